/**
 * The bitcoin light client's store layout: key prefixes and the encodings of the state, the best-chain
 * chunks, the hash-index buckets and the header records. Nothing here reads or writes a store.
 *
 * Layout, version 3 (keys inside the client's store; integers big-endian, so key order is height
 * order; hashes in internal byte order, i.e. as sha256d returns them):
 *
 *   key                            value
 *   0x00                           state: 0x03 (layout version) | lowest u32 | tip height u32 | forkCount u32 | tip hash 32 |
 *                                  final height u32 | final hash 32 | network name (UTF-8)
 *   0x01 | bucket u8               hash index of the best chain: hash[0..8) | height u32, for every best-chain header
 *                                  lowest..tip whose hash[0] & 31 is the bucket, in height order (32 buckets)
 *   0x02 | chunk u32               best-chain records of heights chunk * 64 .. chunk * 64 + 63 within lowest..tip:
 *                                  first height u32 | one record per height from there on
 *   0x03 | height u32 | hash 32    record of a stored header that is NOT on the best chain (a fork header)
 *
 *   record = raw header 80 | chain work u256 | walk end u32 (116 bytes)
 *
 * A header is hashed once, when it arrives: a best-chain header's hash is the prevBlock of the record
 * above it (the tip's is in the state), and the index maps its first 8 bytes back to a height (a lookup
 * compares the whole hash with the one the chain gives for that height, so a colliding prefix costs a
 * comparison, never a wrong answer). Records and index entries are grouped so that storing a batch of
 * 2,000 headers costs about a hundred store operations (some 32 chunks written, as many pruned, and the
 * 32 index buckets read and rewritten once) instead of two sets per header and, once it is pruned, a
 * read and two deletes. A single relayed header rewrites one chunk (at most 7.4 kB) and one or two
 * buckets (12 bytes per indexed header / 32: about 1.5 kB with a 4,032-header window).
 *
 * `lowest` is the lowest best-chain height still stored; `forkCount` the number of 0x03 entries (so an
 * update without forks never iterates). Version 2 is version 3 without the final block; it is still read,
 * and the first update that writes gives it a final block (update-writes.ts). "Walk end" is what
 * retarget.ts's testnet walk (minDifficultyWalkEnd) returns from that header: its own bits if it stops
 * the walk (period start, genesis, not at powLimit), else its parent's walk end; 0 when unknown
 * (checkpoint headers before the first header of their period). Persisting it means no update ever
 * walks back over stored headers.
 */
import type { ChainAnchor } from "./chain";
import { fail } from "./errors";
import { HEADER_SIZE } from "./header";

/** Heights are stored as u32. */
export const MAX_HEIGHT = 0xffffffff;
const LAYOUT_VERSION = 3;
/** The previous layout: no final block. */
const LAYOUT_VERSION_NO_FINAL = 2;

/** A stored header: what verification reads (hash, height, time, bits), its raw bytes, work and walk end. */
export interface Rec extends ChainAnchor {
  readonly raw: Uint8Array;
  /** Sum of blockWork over this header and all its ancestors (Core's nChainWork). */
  readonly chainWork: bigint;
  /** minDifficultyWalkEnd from this header; 0 = unknown. */
  readonly walkEnd: number;
  /** On the best chain (a 0x02 record), not a fork header (0x03). */
  readonly best: boolean;
}

/** A best-chain block: the final block F. */
export interface BlockRef {
  readonly height: number;
  readonly hash: Uint8Array;
}

export interface State {
  readonly lowest: number;
  readonly tipHeight: number;
  readonly forkCount: number;
  readonly tipHash: Uint8Array;
  /** Undefined only in a layout-2 store, until its first update writes. */
  readonly final: BlockRef | undefined;
  readonly network: string;
}

/** A fork entry (0x03): `value` is its record. */
export interface ForkEntry {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly prev: Uint8Array;
  readonly value: Uint8Array | undefined;
  /** For a header of this update (value not encoded yet): its index in the batch. */
  readonly index?: number;
}

/** A best-chain chunk (0x02): records of heights first..first + count - 1, the first at byte 4. */
export interface Chunk {
  readonly first: number;
  readonly count: number;
  readonly bytes: Uint8Array;
}

export const KEY_STATE = Uint8Array.of(0x00);
const P_INDEX = 0x01;
const P_BEST = 0x02;
export const P_FORK = 0x03;
export const RECORD_SIZE = HEADER_SIZE + 32 + 4;
export const WORK_OFF = HEADER_SIZE;
export const WALK_OFF = HEADER_SIZE + 32;
/** Best-chain records per chunk (a power of two). */
export const CHUNK = 64;
/** Hash-index buckets (a power of two): bucket = hash[0] & (BUCKETS - 1). */
export const BUCKETS = 32;
/** Bytes of a hash the index keeps (a lookup confirms the whole hash against the chain). */
export const PREFIX = 8;
export const ENTRY_SIZE = PREFIX + 4;
export const BUCKET_KEYS = Array.from({ length: BUCKETS }, (_, b) => Uint8Array.of(P_INDEX, b));

export function putU32(buf: Uint8Array, off: number, n: number): void {
  buf[off] = n >>> 24;
  buf[off + 1] = n >>> 16;
  buf[off + 2] = n >>> 8;
  buf[off + 3] = n;
}

export function getU32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

export function getU32LE(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}

export function chunkOf(height: number): number {
  return Math.floor(height / CHUNK);
}

export function chunkKey(chunk: number): Uint8Array {
  const k = new Uint8Array(5);
  k[0] = P_BEST;
  putU32(k, 1, chunk);
  return k;
}

export function forkKey(height: number, hash: Uint8Array): Uint8Array {
  const k = new Uint8Array(37);
  k[0] = P_FORK;
  putU32(k, 1, height);
  k.set(hash, 5);
  return k;
}

export function recOf(raw: Uint8Array, height: number, hash: Uint8Array, chainWork: bigint, walkEnd: number, best: boolean): Rec {
  return { hash, height, raw, chainWork, walkEnd, best, header: { time: getU32LE(raw, 68), bits: getU32LE(raw, 72) } };
}

/** The record at `off` in `v` (its raw header is a view into `v`, which is never written to). */
export function readRecord(v: Uint8Array, off: number, height: number, hash: Uint8Array, best: boolean): Rec {
  let w = 0n;
  for (let j = 0; j < 8; j++) w = (w << 32n) | BigInt(getU32(v, off + WORK_OFF + 4 * j));
  return recOf(v.subarray(off, off + HEADER_SIZE), height, hash, w, getU32(v, off + WALK_OFF), best);
}

/** Writes the record of `r` at `off` in `buf`. */
export function writeRecord(buf: Uint8Array, off: number, r: Rec): void {
  let w = r.chainWork;
  if (w < 0n || w >> 256n !== 0n) fail("bad-field", `chain work ${w} does not fit 256 bits`);
  buf.set(r.raw, off);
  for (let j = 7; j >= 0; j--, w >>= 32n) putU32(buf, off + WORK_OFF + 4 * j, Number(w & 0xffffffffn));
  putU32(buf, off + WALK_OFF, r.walkEnd);
}

export function decodeChunk(chunk: number, v: Uint8Array): Chunk {
  const count = (v.length - 4) / RECORD_SIZE;
  const first = v.length >= 4 ? getU32(v, 0) : -1;
  if (!Number.isInteger(count) || count < 1 || chunkOf(first) !== chunk || chunkOf(first + count - 1) !== chunk)
    fail("store-corrupt", `best-chain chunk ${chunk} of ${v.length} bytes starting at height ${first}`);
  return { first, count, bytes: v };
}

export function encodeState(s: State & { final: BlockRef }): Uint8Array {
  const name = new TextEncoder().encode(s.network);
  const v = new Uint8Array(81 + name.length);
  v[0] = LAYOUT_VERSION;
  putU32(v, 1, s.lowest);
  putU32(v, 5, s.tipHeight);
  putU32(v, 9, s.forkCount);
  v.set(s.tipHash, 13);
  putU32(v, 45, s.final.height);
  v.set(s.final.hash, 49);
  v.set(name, 81);
  return v;
}

export function decodeState(v: Uint8Array): State {
  const withFinal = v[0] === LAYOUT_VERSION;
  const nameAt = withFinal ? 81 : 45;
  if (v.length < nameAt || !(withFinal || v[0] === LAYOUT_VERSION_NO_FINAL)) fail("store-corrupt", `client state of ${v.length} bytes, layout version ${v[0]}`);
  const s = {
    lowest: getU32(v, 1),
    tipHeight: getU32(v, 5),
    forkCount: getU32(v, 9),
    tipHash: v.slice(13, 45),
    final: withFinal ? { height: getU32(v, 45), hash: v.slice(49, 81) } : undefined,
    network: new TextDecoder().decode(v.subarray(nameAt)),
  };
  if (s.lowest > s.tipHeight) fail("store-corrupt", `lowest height ${s.lowest} above the tip ${s.tipHeight}`);
  if (s.final !== undefined && (s.final.height < s.lowest || s.final.height > s.tipHeight))
    fail("store-corrupt", `final block at height ${s.final.height}, outside ${s.lowest}..${s.tipHeight}`);
  return s;
}

/** Orders fork entries as their 0x03 keys: by height, then hash bytes. */
export function compareForkEntries(a: ForkEntry, b: ForkEntry): number {
  if (a.height !== b.height) return a.height - b.height;
  for (let i = 0; i < 32; i++) if (a.hash[i] !== b.hash[i]) return a.hash[i] - b.hash[i];
  return 0;
}

/** The chunk and bucket entries of consecutive best-chain records `recs` (initialize). */
export function bestChainEntries(recs: readonly Rec[]): [Uint8Array, Uint8Array][] {
  const out: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < recs.length; ) {
    const c = chunkOf(recs[i].height);
    let j = i;
    while (j < recs.length && chunkOf(recs[j].height) === c) j++;
    const v = new Uint8Array(4 + (j - i) * RECORD_SIZE);
    putU32(v, 0, recs[i].height);
    for (let x = i; x < j; x++) writeRecord(v, 4 + (x - i) * RECORD_SIZE, recs[x]);
    out.push([chunkKey(c), v]);
    i = j;
  }
  for (let b = 0; b < BUCKETS; b++) {
    const mine = recs.filter((r) => (r.hash[0] & (BUCKETS - 1)) === b);
    if (mine.length === 0) continue;
    const v = new Uint8Array(mine.length * ENTRY_SIZE);
    mine.forEach((r, x) => {
      v.set(r.hash.subarray(0, PREFIX), x * ENTRY_SIZE);
      putU32(v, x * ENTRY_SIZE + PREFIX, r.height);
    });
    out.push([BUCKET_KEYS[b], v]);
  }
  return out;
}
