/**
 * The per-header work of an update: the hashes, cumulative chain work and walk ends of its new headers,
 * and their records. Small synchronous functions (V8 optimizes their loops long before it would the
 * loops of a large async function).
 */
import { sha256dInto } from "./hash";
import type { NetworkParams } from "./params";
import { blockWork } from "./pow";
import { getU32LE, putU32, RECORD_SIZE, WALK_OFF, WORK_OFF } from "./store-layout";

/** sha256d of every header, 32 bytes each. */
export function hashAll(headers: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(32 * headers.length);
  for (let i = 0; i < headers.length; i++) sha256dInto(headers[i], out, 32 * i);
  return out;
}

/** The new headers of an update once verified; header i is at height firstHeight + i. */
export interface NewHeaders {
  readonly raws: readonly Uint8Array[];
  readonly firstHeight: number;
  /** sha256d of each, 32 bytes at 32 * i. */
  readonly hashes: Uint8Array;
  /** Cumulative chain work of each as eight little-endian u32 limbs at 8 * i (no BigInt per header). */
  readonly works: Uint32Array;
  readonly walkEnds: Uint32Array;
}

/**
 * Chain work and walk ends of `raws` (verified, on a parent with `parentWork` and `parentWalkEnd`);
 * undefined if the work overflows 256 bits.
 */
export function workAndWalkEnds(
  raws: readonly Uint8Array[],
  firstHeight: number,
  parentWork: bigint,
  parentWalkEnd: number,
  params: NetworkParams,
): { works: Uint32Array; walkEnds: Uint32Array } | undefined {
  const m = raws.length;
  const works = new Uint32Array(8 * m);
  const walkEnds = new Uint32Array(m);
  if (m === 0) return { works, walkEnds };
  const interval = params.retargetInterval;
  const powLimitBits = params.powLimitBits;
  const workOf = new Map<number, Uint32Array>();
  let lastBits = getU32LE(raws[0], 72);
  let work = workLimbs(workOf, lastBits);
  const parent = limbsOf(parentWork);
  let walkEnd = parentWalkEnd;
  for (let i = 0; i < m; i++) {
    const bits = getU32LE(raws[i], 72);
    if (bits !== lastBits) {
      work = workLimbs(workOf, bits);
      lastBits = bits;
    }
    const o = 8 * i;
    const prev = i === 0 ? parent : works;
    const p = i === 0 ? 0 : o - 8;
    let carry = 0;
    for (let j = 0; j < 8; j++) {
      const sum = prev[p + j] + work[j] + carry;
      const low = sum >>> 0;
      works[o + j] = low;
      carry = sum === low ? 0 : 1;
    }
    if (carry !== 0) return undefined;
    // stopsMinDifficultyWalk (heights here are > 0)
    if ((firstHeight + i) % interval === 0 || bits !== powLimitBits) walkEnd = bits;
    walkEnds[i] = walkEnd;
  }
  return { works, walkEnds };
}

/** blockWork(bits) as limbs, computed once per distinct bits of an update. */
function workLimbs(cache: Map<number, Uint32Array>, bits: number): Uint32Array {
  let w = cache.get(bits);
  if (w === undefined) cache.set(bits, (w = limbsOf(blockWork(bits))));
  return w;
}

/** Writes the records of new headers i0..i1 - 1 from `off` in `buf`. */
export function writeNewRecords(buf: Uint8Array, off: number, nh: NewHeaders, i0: number, i1: number): void {
  const { raws, works, walkEnds } = nh;
  for (let i = i0; i < i1; i++, off += RECORD_SIZE) {
    buf.set(raws[i], off);
    const o = 8 * i;
    for (let j = 0; j < 8; j++) putU32(buf, off + WORK_OFF + 4 * j, works[o + 7 - j]);
    putU32(buf, off + WALK_OFF, walkEnds[i]);
  }
}

/** The 256-bit chain work as eight little-endian u32 limbs. */
function limbsOf(w: bigint): Uint32Array {
  const out = new Uint32Array(8);
  for (let j = 0; j < 8; j++, w >>= 32n) out[j] = Number(w & 0xffffffffn);
  return out;
}

export function bigintOfLimbs(limbs: Uint32Array, off: number): bigint {
  let w = 0n;
  for (let j = 7; j >= 0; j--) w = (w << 32n) | BigInt(limbs[off + j]);
  return w;
}
