/**
 * Test helper: the shared Bitcoin vectors live next to the repository (../shared/vectors/bitcoin from
 * the repo root), never copied into it. Where the folder is missing, the tests that need it skip.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { concatBytes } from "../../chain/store/bytes";
import { LightClientError } from "../../light-client/bitcoin/errors";
import { sha256d } from "../../light-client/bitcoin/hash";

export const VECTORS_DIR = path.resolve(__dirname, "../../../shared/vectors/bitcoin");
export const haveVectors = existsSync(path.join(VECTORS_DIR, "README.md"));
if (!haveVectors) console.warn(`light-client/bitcoin: ${VECTORS_DIR} is missing; tests on real Bitcoin data are skipped`);

/**
 * `describe` when the vectors are present. Otherwise a skipped suite whose body is never run (it would
 * read the missing files while jest collects tests), with the warning above saying why.
 */
export function describeVectors(name: string, body: () => void): void {
  if (haveVectors) describe(name, body);
  else describe.skip(name, () => test.skip(`needs ${VECTORS_DIR}`, () => undefined));
}

export function readVector(file: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(VECTORS_DIR, file)));
}

export interface BlockRow {
  readonly file: string;
  readonly bytes: number;
  readonly hash: string;
  readonly merkleRoot: string;
  readonly transactions: number;
  readonly network: string;
}

/** The table of block files in the vectors' README (rows whose hash column is a real hash). */
export function readmeBlocks(): BlockRow[] {
  const text = readFileSync(path.join(VECTORS_DIR, "README.md"), "utf8");
  const rows: BlockRow[] = [];
  for (const line of text.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    // | file | bytes | block hash | merkle root | transactions | network, height |
    if (cells.length < 8 || !/^[0-9a-f]{64}$/.test(cells[3])) continue;
    rows.push({
      file: cells[1],
      bytes: Number(cells[2]),
      hash: cells[3],
      merkleRoot: cells[4],
      transactions: parseInt(cells[5], 10),
      network: cells[6],
    });
  }
  return rows;
}

/** The published retarget cases: first-block time, last height, last time, last bits → next bits. */
export interface RetargetRow {
  readonly firstTime: number;
  readonly lastHeight: number;
  readonly lastTime: number;
  readonly lastBits: number;
  readonly nextBits: number;
}

export function readmeRetargets(): RetargetRow[] {
  const text = readFileSync(path.join(VECTORS_DIR, "README.md"), "utf8");
  const rows: RetargetRow[] = [];
  for (const line of text.split("\n")) {
    const m = /^\|\s*(\d+)\b[^|]*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(0x[0-9a-f]{8})\s*\|\s*(0x[0-9a-f]{8})\b/.exec(line);
    if (m) rows.push({ firstTime: Number(m[1]), lastHeight: Number(m[2]), lastTime: Number(m[3]), lastBits: Number(m[4]), nextBits: Number(m[5]) });
  }
  return rows;
}

/** The reason code of the LightClientError `f` throws, or undefined if it returns. */
export function reasonOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof LightClientError) return e.reason;
    throw e;
  }
  return undefined;
}

/**
 * CVE-2017-12842: a valid 64-byte transaction whose first half is sha256d(fake), so that its txid is the
 * inner Merkle node over sha256d(fake) and its second half, and a merkleblock claiming a tree one level
 * deeper passes `fake` off as a mined transaction. `fake(n)` is tried for n = 0, 1, ... until byte 4 of
 * its hash is 1, the carrier's input count (some 256 tries; a real attacker grinds more bytes the same way).
 */
export function sixtyFourByteCarrier(fake: (n: number) => Uint8Array): { fake: Uint8Array; carrier: Uint8Array } {
  for (let n = 0; ; n++) {
    const tx = fake(n);
    const left = sha256d(tx); // version 4 | input count 1 | 27 bytes of the spent txid
    if (left[4] !== 1) continue;
    const right = concatBytes(
      new Uint8Array(5), // the rest of the spent txid
      new Uint8Array(4), // its output index
      Uint8Array.of(0), // empty scriptSig
      Uint8Array.of(0xff, 0xff, 0xff, 0xff), // sequence
      Uint8Array.of(1), // one output
      new Uint8Array(8), // of 0 satoshi
      Uint8Array.of(4, 0x51, 0x51, 0x51, 0x51), // to OP_1 OP_1 OP_1 OP_1
      new Uint8Array(4), // locktime
    );
    return { fake: tx, carrier: concatBytes(left, right) };
  }
}
