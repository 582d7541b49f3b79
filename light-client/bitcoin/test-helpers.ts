/**
 * Test helper: the shared Bitcoin vectors live next to the repository (../shared/vectors/bitcoin from
 * the repo root), never copied into it. Where the folder is missing, the tests that need it skip.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { LightClientError } from "./errors";

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
