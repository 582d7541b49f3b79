/**
 * Building blocks for tests and benchmarks: an in-memory ancestor lookup over a run of records, a
 * nonce search for easy targets (regtest), and a generator of valid synthetic header chains.
 * Deterministic: the same inputs always give the same headers.
 */
import { fail } from "../../light-client/bitcoin/errors";
import { sha256d } from "../../light-client/bitcoin/hash";
import { type BlockHeader, decodeHeader, encodeHeader } from "../../light-client/bitcoin/header";
import type { NetworkParams } from "../../light-client/bitcoin/params";
import { blockWork, checkProofOfWork } from "../../light-client/bitcoin/pow";
import { nextWorkRequired } from "../../light-client/bitcoin/retarget";
import type { HeaderLookup, StoredHeader } from "../../light-client/bitcoin/chain";

/** A HeaderLookup over consecutive records of one branch (records[i].height = records[0].height + i). */
export class RecordsLookup implements HeaderLookup {
  private readonly records: StoredHeader[] = [];
  constructor(records: readonly StoredHeader[] = []) {
    for (const r of records) this.push(r);
  }
  push(r: StoredHeader): void {
    if (this.records.length > 0 && r.height !== this.tip()!.height + 1) throw new RangeError(`record at height ${r.height} does not follow ${this.tip()!.height}`);
    this.records.push(r);
  }
  tip(): StoredHeader | undefined {
    return this.records[this.records.length - 1];
  }
  ancestor(height: number): StoredHeader | undefined {
    if (this.records.length === 0) return undefined;
    return this.records[height - this.records[0].height];
  }
}

/** Search nonces from `fields.nonce` (default 0) until the header meets its own bits; for easy targets only. */
export function mineHeader(fields: BlockHeader | Omit<BlockHeader, "nonce">, powLimit: bigint, maxTries = 1_000_000): Uint8Array {
  const start = "nonce" in fields ? fields.nonce : 0;
  const raw = encodeHeader({ ...fields, nonce: start });
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let i = 0; i < maxTries; i++) {
    view.setUint32(76, (start + i) >>> 0, true);
    if (checkProofOfWork(sha256d(raw), fields.bits, powLimit)) return raw;
  }
  return fail("bad-pow", `no nonce found in ${maxTries} tries`);
}

export interface SyntheticChainOptions {
  /** Seconds between consecutive headers (default params.targetSpacing). */
  readonly spacing?: number | ((height: number) => number);
  readonly version?: number;
}

/**
 * `count` raw headers extending `anchor` (whose ancestors `lookup` supplies), each carrying the bits the
 * difficulty rules require and mined to meet them; merkle roots are arbitrary but distinct. Built
 * without the verifier, so tests can check one against the other. Only practical where targets are easy.
 */
export function syntheticChain(
  params: NetworkParams,
  anchor: StoredHeader,
  lookup: HeaderLookup,
  count: number,
  opts: SyntheticChainOptions = {},
): Uint8Array[] {
  const view = new RecordsLookup();
  const chainLookup: HeaderLookup = {
    ancestor: (h) => (h > anchor.height ? view.ancestor(h) : h === anchor.height ? anchor : lookup.ancestor(h)),
  };
  const out: Uint8Array[] = [];
  let prev = anchor;
  for (let i = 0; i < count; i++) {
    const height = prev.height + 1;
    const step = typeof opts.spacing === "function" ? opts.spacing(height) : (opts.spacing ?? params.targetSpacing);
    const time = prev.header.time + step;
    const required = nextWorkRequired(prev, time, params, chainLookup);
    const merkleRoot = sha256d(Uint8Array.of(height & 0xff, (height >>> 8) & 0xff, (height >>> 16) & 0xff, height >>> 24));
    const raw = mineHeader({ version: opts.version ?? 0x20000000, prevBlock: prev.hash, merkleRoot, time, bits: required }, params.powLimit);
    const record: StoredHeader = { hash: sha256d(raw), height, chainWork: prev.chainWork + blockWork(required), header: decodeHeader(raw) };
    view.push(record);
    out.push(raw);
    prev = record;
  }
  return out;
}
