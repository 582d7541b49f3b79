/**
 * The ICS23 shape checks Go's cosmos/ics23 makes and the JS @confio/ics23 0.6.8 we ship does not:
 * the IAVL op layout added after the 2022 "Dragonberry" forgery (ics23 go v0.9: the leaf prefix is
 * exactly three varints height 0 / size 1 / version, an inner prefix three varints with height ≥ its
 * layer followed by 1 or 34 bytes), an inner suffix that is whole child hashes, at most 128 inner ops
 * (go v0.11's default max depth), and the Tendermint-spec inner prefix 0x01 (go ics23 main). The JS
 * library still does the spec checks it has (hash ops, length op, prefix lengths) and the hashing.
 */
import { ics23 } from "@confio/ics23";
import { fail } from "./errors";

const MAX_DEPTH = 128;
const IAVL_CHILD_SIZE = 33;
const TENDERMINT_CHILD_SIZE = 32;

export type SpecKind = "iavl" | "tendermint";

/** Refuses an existence proof whose ops cannot come from an IAVL tree / a simple Merkle tree. */
export function checkExistenceShape(p: ics23.IExistenceProof, kind: SpecKind, where: string): void {
  if (!p.leaf) fail("ics23-invalid", `${where}: no leaf op`);
  const path = p.path ?? [];
  if (path.length > MAX_DEPTH) fail("ics23-invalid", `${where}: ${path.length} inner ops, at most ${MAX_DEPTH}`);
  if (kind === "iavl") checkIavlPrefix(p.leaf.prefix, 0, where);
  path.forEach((op, i) => {
    const suffix = op.suffix ?? new Uint8Array(0);
    const prefix = op.prefix ?? new Uint8Array(0);
    if (op.hash !== ics23.HashOp.SHA256) fail("ics23-invalid", `${where}: inner op ${i} is not SHA-256`);
    if (kind === "iavl") {
      checkIavlPrefix(prefix, i + 1, where);
      if (suffix.length % IAVL_CHILD_SIZE !== 0) fail("ics23-invalid", `${where}: inner op ${i} suffix of ${suffix.length} bytes`);
    } else {
      if (prefix[0] !== 1) fail("ics23-invalid", `${where}: inner op ${i} prefix does not start with 0x01`);
      // A step with the sibling on the right has prefix exactly 0x01. protobufjs writes an empty suffix
      // where Go omits it, so "has a suffix" means a non-empty one here.
      if (suffix.length > 0 && prefix.length !== 1) fail("ics23-invalid", `${where}: inner op ${i} has both siblings`);
      if (suffix.length % TENDERMINT_CHILD_SIZE !== 0) fail("ics23-invalid", `${where}: inner op ${i} suffix of ${suffix.length} bytes`);
    }
  });
}

/** An IAVL node's hash prefix: zigzag varints height, size, version, then (inner nodes) the child framing. */
function checkIavlPrefix(prefix: Uint8Array | null | undefined, layer: number, where: string): void {
  const b = prefix ?? new Uint8Array(0);
  let pos = 0;
  const next = (): bigint => {
    const r = readVarint(b, pos, where);
    pos = r.next;
    return r.value;
  };
  const height = next();
  const size = next();
  const version = next();
  if (height < BigInt(layer) || size < 0n || version < 0n) fail("ics23-invalid", `${where}: IAVL op ${layer} has impossible height/size/version`);
  const rest = b.length - pos;
  if (layer === 0) {
    if (rest !== 0 || height !== 0n || size !== 1n) fail("ics23-invalid", `${where}: IAVL leaf prefix is not height 0, size 1, version`);
  } else if (rest !== 1 && rest !== 34) {
    // 0x20 (left child follows) or 0x20‖left hash‖0x20 (right child follows)
    fail("ics23-invalid", `${where}: IAVL inner op ${layer} prefix ends with ${rest} bytes`);
  }
}

/** Go's binary.ReadVarint: a zigzag-encoded signed varint of at most 10 bytes. */
function readVarint(b: Uint8Array, pos: number, where: string): { value: bigint; next: number } {
  let u = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= b.length) fail("ics23-invalid", `${where}: IAVL prefix ends inside a varint`);
    const byte = b[pos + i]!;
    if (i === 9 && byte > 1) fail("ics23-invalid", `${where}: IAVL varint overflows 64 bits`);
    u |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if (byte < 0x80) return { value: u & 1n ? -((u >> 1n) + 1n) : u >> 1n, next: pos + i + 1 };
  }
  fail("ics23-invalid", `${where}: IAVL varint overflows 64 bits`);
}
