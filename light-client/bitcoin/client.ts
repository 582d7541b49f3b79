/**
 * The bitcoin `LightClient` (light-client/types.ts): a header store kept in the KVStore the peg module
 * hands over, on top of the pure verification in chain.ts / merkle.ts / inclusion.ts. Every refusal is
 * a `LightClientError` thrown before the first write, so a refused call leaves the store untouched.
 *
 * Store layout, version 3 (keys inside the client's store; integers big-endian, so key order is height
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
 * and the first update that writes gives it a final block (below). "Walk end" is what retarget.ts's testnet walk
 * (minDifficultyWalkEnd) returns from that header: its own bits if it stops the walk (period start,
 * genesis, not at powLimit), else its parent's walk end; 0 when unknown (checkpoint headers before the
 * first header of their period). Persisting it means no update ever walks back over stored headers.
 *
 * update: at most MAX_HEADERS_PER_UPDATE consecutive headers. A leading run of already-stored headers
 * is skipped (re-relaying is not an error; `added` counts the new headers only); the first new header's
 * parent must be stored ("unknown-parent" otherwise). All new headers are verified by
 * verifyRawHeaderChain (maxFutureTime = ctx.blockTime + 2 h) and every read is done before the first
 * write. The best chain is the one with the most cumulative work; on equal work the current tip stays
 * (first seen).
 *
 * What is kept:
 *  - best chain: heights max(lowest, tip - pruneWindow)..tip; everything lower is deleted after each
 *    update (its index entries, the chunks wholly below, and the records below it in the lowest chunk).
 *    `lowest` never decreases, even when a reorg lowers the tip.
 *  - forks: a header off the best chain is kept while its fork point (the best-chain header its branch
 *    leaves from) is at most reorgLimit below the tip; otherwise it is deleted. A new branch that does not
 *    take over the best chain and forks deeper than that is refused ("fork-too-old"): it would not be kept.
 *  - a branch with more cumulative work than the tip becomes the best chain whatever its depth (the
 *    reorgDepth it reports is for the peg module to act on), provided the ancestors verification reads
 *    are still stored; otherwise "fork-too-old".
 *
 * The final block F (the LightClient contract in ../types.ts): the best-chain block buried reorgLimit deep
 * (or, after the tip went down, the one that was). After every update it is the new best chain's block at
 * max(F, tip - reorgLimit, lowest); but when the new best chain does not hold F (it forks below F's
 * height; F is always on the best chain before an update), the update reports a finality violation naming
 * F and F moves to the new best chain's block at max(tip - reorgLimit, lowest). A store without F (version
 * 2) starts from max(tip - reorgLimit, lowest). F is at most reorgLimit below the tip, or higher when the
 * tip went down without leaving it (a branch of fewer blocks with more work); it is never above the tip.
 * So it is always inside the prune window (pruneWindow > reorgLimit), and moving it reads at most one
 * stored hash.
 *
 * What verification of a batch on parent P reads (retarget.ts): the 10 headers below P (median time
 * past), P's walk end (testnets), and the first header of P's retarget period (at a retarget). The
 * client requires P's period start even when the batch does not reach a retarget, so that every stored
 * header, the tip included, stays extendable. Hence the two configuration bounds: pruneWindow >=
 * reorgLimit + max(11, retargetInterval) + 1 (any branch forking within reorgLimit finds its ancestors,
 * and so does the tip), and a checkpoint that reaches back to min(height - 10, its period start).
 *
 * exportState writes the stored best chain (lowest..tip) as a checkpoint, with F's height; fork headers are not
 * exported, and walk ends of exported headers before the first period start in the run become unknown
 * on re-import (which only matters for branches forking that deep).
 */
import type { KVStore } from "../../chain/store/types";
import type {
  ClientStatus,
  InclusionProof,
  LightClient,
  LightClientConfig,
  ProvenTransaction,
  StoredHeaderInfo,
  UpdateContext,
  UpdateResult,
} from "../types";
import { bytesEqual, fromHex, toDisplayHex, toHex } from "./bytes";
import { type ChainAnchor, type HeaderLookup, verifyRawHeaderChain } from "./chain";
import { fail, LightClientError } from "./errors";
import { sha256d, sha256dInto } from "./hash";
import { decodeHeader, encodeHeader, HEADER_SIZE } from "./header";
import { verifyInclusionProof } from "./inclusion";
import { MAX_FUTURE_BLOCK_TIME, MEDIAN_TIME_SPAN, NETWORKS, type NetworkParams } from "./params";
import { blockWork, proofOfWorkFailure } from "./pow";
import { type HeaderRef, stopsMinDifficultyWalk } from "./retarget";

/** Most headers one update may carry. */
export const MAX_HEADERS_PER_UPDATE = 2000;
/** Heights are stored as u32. */
const MAX_HEIGHT = 0xffffffff;
const LAYOUT_VERSION = 3;
/** The previous layout: no final block. */
const LAYOUT_VERSION_NO_FINAL = 2;

// ---------------------------------------------------------------------------------------------
// Checkpoint

/**
 * The trust anchor `initialize` takes and `exportState` returns (JSON). `headers` are consecutive raw
 * 80-byte headers in hex, the last one at `height`, reaching back at least to `checkpointStart(height)`
 * (see there); `chain_work` is the decimal cumulative work up to and including the last one.
 * `network`, if present, must be the configured network. `final_height`, if present, is the height of the
 * final block (see the file comment) among the headers; without it the final block is the one reorgLimit
 * below `height` (or the lowest stored).
 */
export interface BitcoinCheckpoint {
  readonly network?: string;
  readonly height: number;
  readonly chain_work: string;
  readonly headers: readonly string[];
  readonly final_height?: number;
}

/**
 * The highest height a checkpoint at `height` may start at: the 10 headers below it (median time past;
 * fewer only from genesis) and the first header of its retarget period, which the next retarget reads
 * and where the testnet minimum-difficulty walk stops at the latest (so the walk end of the checkpoint,
 * i.e. the last non-minimum-difficulty bits, is always inside the run). Required on every network,
 * regtest included: Core's GetNextWorkRequired (and retarget.ts) read the period's first header at
 * period boundaries even where the difficulty never changes.
 */
export function checkpointStart(params: NetworkParams, height: number): number {
  return Math.max(0, Math.min(height - (MEDIAN_TIME_SPAN - 1), height - (height % params.retargetInterval)));
}

/** The smallest pruneWindow the client accepts for a network and reorgLimit (see the file comment). */
export function minPruneWindow(params: NetworkParams, reorgLimit: number): number {
  return reorgLimit + Math.max(MEDIAN_TIME_SPAN, params.retargetInterval) + 1;
}

/** A checkpoint at the network's genesis block (height 0). */
export function genesisCheckpoint(network: string | NetworkParams): BitcoinCheckpoint {
  const params = typeof network === "string" ? NETWORKS.find((n) => n.name === network) : network;
  if (params === undefined) fail("bad-config", `unknown bitcoin network ${JSON.stringify(network)} (known: ${NETWORKS.map((n) => n.name).join(", ")})`);
  return { network: params.name, height: 0, chain_work: blockWork(params.genesis.bits).toString(), headers: [toHex(encodeHeader(params.genesis))] };
}

// ---------------------------------------------------------------------------------------------
// Encodings

/** A stored header: what verification reads (hash, height, time, bits), its raw bytes, work and walk end. */
interface Rec extends ChainAnchor {
  readonly raw: Uint8Array;
  /** Sum of blockWork over this header and all its ancestors (Core's nChainWork). */
  readonly chainWork: bigint;
  /** minDifficultyWalkEnd from this header; 0 = unknown. */
  readonly walkEnd: number;
  /** On the best chain (a 0x02 record), not a fork header (0x03). */
  readonly best: boolean;
}

/** A best-chain block: the final block F. */
interface BlockRef {
  readonly height: number;
  readonly hash: Uint8Array;
}

interface State {
  readonly lowest: number;
  readonly tipHeight: number;
  readonly forkCount: number;
  readonly tipHash: Uint8Array;
  /** Undefined only in a layout-2 store, until its first update writes. */
  readonly final: BlockRef | undefined;
  readonly network: string;
}

/** A fork entry (0x03): `value` is its record. */
interface ForkEntry {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly prev: Uint8Array;
  readonly value: Uint8Array | undefined;
  /** For a header of this update (value not encoded yet): its index in the batch. */
  readonly index?: number;
}

/** A best-chain chunk (0x02): records of heights first..first + count - 1, the first at byte 4. */
interface Chunk {
  readonly first: number;
  readonly count: number;
  readonly bytes: Uint8Array;
}

const KEY_STATE = Uint8Array.of(0x00);
const P_INDEX = 0x01;
const P_BEST = 0x02;
const P_FORK = 0x03;
const RECORD_SIZE = HEADER_SIZE + 32 + 4;
const WORK_OFF = HEADER_SIZE;
const WALK_OFF = HEADER_SIZE + 32;
/** Best-chain records per chunk (a power of two). */
const CHUNK = 64;
/** Hash-index buckets (a power of two): bucket = hash[0] & (BUCKETS - 1). */
const BUCKETS = 32;
/** Bytes of a hash the index keeps (a lookup confirms the whole hash against the chain). */
const PREFIX = 8;
const ENTRY_SIZE = PREFIX + 4;
const BUCKET_KEYS = Array.from({ length: BUCKETS }, (_, b) => Uint8Array.of(P_INDEX, b));

function putU32(buf: Uint8Array, off: number, n: number): void {
  buf[off] = n >>> 24;
  buf[off + 1] = n >>> 16;
  buf[off + 2] = n >>> 8;
  buf[off + 3] = n;
}

function getU32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

function getU32LE(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}

function chunkOf(height: number): number {
  return Math.floor(height / CHUNK);
}

function chunkKey(chunk: number): Uint8Array {
  const k = new Uint8Array(5);
  k[0] = P_BEST;
  putU32(k, 1, chunk);
  return k;
}

function forkKey(height: number, hash: Uint8Array): Uint8Array {
  const k = new Uint8Array(37);
  k[0] = P_FORK;
  putU32(k, 1, height);
  k.set(hash, 5);
  return k;
}

function recOf(raw: Uint8Array, height: number, hash: Uint8Array, chainWork: bigint, walkEnd: number, best: boolean): Rec {
  return { hash, height, raw, chainWork, walkEnd, best, header: { time: getU32LE(raw, 68), bits: getU32LE(raw, 72) } };
}

/** The record at `off` in `v` (its raw header is a view into `v`, which is never written to). */
function readRecord(v: Uint8Array, off: number, height: number, hash: Uint8Array, best: boolean): Rec {
  let w = 0n;
  for (let j = 0; j < 8; j++) w = (w << 32n) | BigInt(getU32(v, off + WORK_OFF + 4 * j));
  return recOf(v.subarray(off, off + HEADER_SIZE), height, hash, w, getU32(v, off + WALK_OFF), best);
}

/** Writes the record of `r` at `off` in `buf`. */
function writeRecord(buf: Uint8Array, off: number, r: Rec): void {
  let w = r.chainWork;
  if (w < 0n || w >> 256n !== 0n) fail("bad-field", `chain work ${w} does not fit 256 bits`);
  buf.set(r.raw, off);
  for (let j = 7; j >= 0; j--, w >>= 32n) putU32(buf, off + WORK_OFF + 4 * j, Number(w & 0xffffffffn));
  putU32(buf, off + WALK_OFF, r.walkEnd);
}

/** The 256-bit chain work as eight little-endian u32 limbs. */
function limbsOf(w: bigint): Uint32Array {
  const out = new Uint32Array(8);
  for (let j = 0; j < 8; j++, w >>= 32n) out[j] = Number(w & 0xffffffffn);
  return out;
}

function bigintOfLimbs(limbs: Uint32Array, off: number): bigint {
  let w = 0n;
  for (let j = 7; j >= 0; j--) w = (w << 32n) | BigInt(limbs[off + j]);
  return w;
}

function decodeChunk(chunk: number, v: Uint8Array): Chunk {
  const count = (v.length - 4) / RECORD_SIZE;
  const first = v.length >= 4 ? getU32(v, 0) : -1;
  if (!Number.isInteger(count) || count < 1 || chunkOf(first) !== chunk || chunkOf(first + count - 1) !== chunk)
    fail("store-corrupt", `best-chain chunk ${chunk} of ${v.length} bytes starting at height ${first}`);
  return { first, count, bytes: v };
}

function encodeState(s: State & { final: BlockRef }): Uint8Array {
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

function decodeState(v: Uint8Array): State {
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

const hashHex = toHex;

function parseDisplayHash(s: unknown, what: string): Uint8Array {
  if (typeof s !== "string" || !/^[0-9a-fA-F]{64}$/.test(s)) fail("bad-field", `${what} must be 64 hex characters`);
  return fromHex(s).reverse();
}

/** Orders fork entries as their 0x03 keys: by height, then hash bytes. */
function compareForkEntries(a: ForkEntry, b: ForkEntry): number {
  if (a.height !== b.height) return a.height - b.height;
  for (let i = 0; i < 32; i++) if (a.hash[i] !== b.hash[i]) return a.hash[i] - b.hash[i];
  return 0;
}

/** The chunk and bucket entries of consecutive best-chain records `recs` (initialize). */
function bestChainEntries(recs: readonly Rec[]): [Uint8Array, Uint8Array][] {
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

// ---------------------------------------------------------------------------------------------
// The per-header work of update: small synchronous functions (V8 optimizes their loops long before it
// would the loops of the large async update function)

/** sha256d of every header, 32 bytes each. */
function hashAll(headers: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(32 * headers.length);
  for (let i = 0; i < headers.length; i++) sha256dInto(headers[i], out, 32 * i);
  return out;
}

/** The new headers of an update once verified; header i is at height firstHeight + i. */
interface NewHeaders {
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
function workAndWalkEnds(
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
function writeNewRecords(buf: Uint8Array, off: number, nh: NewHeaders, i0: number, i1: number): void {
  const { raws, works, walkEnds } = nh;
  for (let i = i0; i < i1; i++, off += RECORD_SIZE) {
    buf.set(raws[i], off);
    const o = 8 * i;
    for (let j = 0; j < 8; j++) putU32(buf, off + WORK_OFF + 4 * j, works[o + 7 - j]);
    putU32(buf, off + WALK_OFF, walkEnds[i]);
  }
}

/** The hashes of the new best chain above the fork point: heights from.. are branch[] then the new headers. */
class NewBest {
  constructor(
    readonly from: number,
    readonly branch: readonly Rec[],
    readonly nh: NewHeaders,
  ) {}
  /** The array holding the hash at h (from its offset(h)). */
  source(h: number): Uint8Array {
    return h - this.from < this.branch.length ? this.branch[h - this.from].hash : this.nh.hashes;
  }
  offset(h: number): number {
    return h - this.from < this.branch.length ? 0 : 32 * (h - this.from - this.branch.length);
  }
  hash(h: number): Uint8Array {
    const o = this.offset(h);
    return this.source(h).subarray(o, o + 32);
  }
}

/** Counts the index entries of heights h0..h1 per bucket into `added`, marking their buckets in `touched`. */
function countEntries(nb: NewBest, h0: number, h1: number, added: Uint32Array, touched: Uint8Array): void {
  for (let h = h0; h <= h1; h++) {
    const b = nb.source(h)[nb.offset(h)] & (BUCKETS - 1);
    added[b]++;
    touched[b] = 1;
  }
}

/** A bucket's entries with heights lo..hi (in their order), with room for `extra` more after them. */
function keptEntries(old: Uint8Array, lo: number, hi: number, extra: number): { buf: Uint8Array; used: number } {
  let kept = 0;
  for (let off = 0; off < old.length; off += ENTRY_SIZE) {
    const h = getU32(old, off + PREFIX);
    if (h >= lo && h <= hi) kept++;
  }
  const buf = new Uint8Array((kept + extra) * ENTRY_SIZE);
  // copied in runs (one run unless entries were removed from the middle)
  let used = 0;
  let run = -1;
  for (let off = 0; off <= old.length; off += ENTRY_SIZE) {
    let keep = false;
    if (off < old.length) {
      const h = getU32(old, off + PREFIX);
      keep = h >= lo && h <= hi;
    }
    if (keep) {
      if (run < 0) run = off;
    } else if (run >= 0) {
      buf.set(old.subarray(run, off), used);
      used += off - run;
      run = -1;
    }
  }
  return { buf, used };
}

/** Appends the index entries of heights h0..h1 to their buckets' buffers at pos[bucket]. */
function appendEntries(nb: NewBest, h0: number, h1: number, bufs: (Uint8Array | undefined)[], pos: Uint32Array): void {
  for (let h = h0; h <= h1; h++) {
    const src = nb.source(h);
    const o = nb.offset(h);
    const b = src[o] & (BUCKETS - 1);
    const buf = bufs[b]!;
    const p = pos[b];
    for (let j = 0; j < PREFIX; j++) buf[p + j] = src[o + j];
    putU32(buf, p + PREFIX, h);
    pos[b] = p + ENTRY_SIZE;
  }
}

// ---------------------------------------------------------------------------------------------
// Store reads

/** Reads of one call: the state, the tip, and the chunks read so far (a call reads each at most once). */
class View {
  private readonly chunks = new Map<number, Chunk | undefined>();
  private forkList: ForkEntry[] | undefined;
  tip!: Rec;

  constructor(
    readonly store: KVStore,
    readonly state: State,
  ) {}

  async chunk(c: number): Promise<Chunk | undefined> {
    if (this.chunks.has(c)) return this.chunks.get(c);
    const v = await this.store.get(chunkKey(c));
    const chunk = v === undefined ? undefined : decodeChunk(c, v);
    this.chunks.set(c, chunk);
    return chunk;
  }

  /** The chunk holding best-chain height h and the offset of its record; undefined outside lowest..tip. */
  async locate(h: number): Promise<{ chunk: Chunk; off: number } | undefined> {
    if (!Number.isSafeInteger(h) || h < this.state.lowest || h > this.state.tipHeight) return undefined;
    const chunk = await this.chunk(chunkOf(h));
    if (chunk === undefined || h < chunk.first || h >= chunk.first + chunk.count) fail("store-corrupt", `no best-chain record at height ${h}`);
    return { chunk, off: 4 + (h - chunk.first) * RECORD_SIZE };
  }

  /** The best-chain hash at h: the prevBlock of the record above, or the tip hash. */
  async bestHash(h: number): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(h) || h < this.state.lowest || h > this.state.tipHeight) return undefined;
    if (h === this.state.tipHeight) return this.state.tipHash;
    const above = (await this.locate(h + 1))!;
    return above.chunk.bytes.subarray(above.off + 4, above.off + 36);
  }

  async bestRecord(h: number, hash?: Uint8Array): Promise<Rec | undefined> {
    const at = await this.locate(h);
    if (at === undefined) return undefined;
    return readRecord(at.chunk.bytes, at.off, h, hash ?? (await this.bestHash(h))!, true);
  }

  /** Time and bits of the best-chain header at h (what the difficulty and time rules read). */
  async bestRef(h: number): Promise<HeaderRef | undefined> {
    const at = await this.locate(h);
    if (at === undefined) return undefined;
    const b = at.chunk.bytes;
    return { height: h, header: { time: getU32LE(b, at.off + 68), bits: getU32LE(b, at.off + 72) } };
  }

  async forks(): Promise<ForkEntry[]> {
    if (this.forkList !== undefined) return this.forkList;
    const out: ForkEntry[] = [];
    for await (const [k, v] of this.store.iterate({ start: Uint8Array.of(P_FORK), end: Uint8Array.of(P_FORK + 1) })) {
      if (k.length !== 37 || v.length !== RECORD_SIZE) fail("store-corrupt", `fork entry with a ${k.length}-byte key and ${v.length}-byte value`);
      out.push({ height: getU32(k, 1), hash: k.slice(5), prev: v.subarray(4, 36), value: v });
    }
    return (this.forkList = out);
  }

  /** The stored header with this hash: on the best chain (through the index) or a fork header. */
  async find(hash: Uint8Array): Promise<Rec | undefined> {
    const { state } = this;
    if (bytesEqual(hash, state.tipHash)) return this.tip ?? this.bestRecord(state.tipHeight, state.tipHash);
    const v = await this.store.get(BUCKET_KEYS[hash[0] & (BUCKETS - 1)]);
    if (v !== undefined) {
      if (v.length % ENTRY_SIZE !== 0) fail("store-corrupt", `hash-index bucket of ${v.length} bytes`);
      for (let off = 0; off < v.length; off += ENTRY_SIZE) {
        let j = 0;
        while (j < PREFIX && v[off + j] === hash[j]) j++;
        if (j < PREFIX) continue;
        // the same first 8 bytes: the header at that height has this hash if the chain says so
        const h = getU32(v, off + PREFIX);
        if (h < state.lowest || h > state.tipHeight) fail("store-corrupt", `hash-index entry at height ${h}, outside ${state.lowest}..${state.tipHeight}`);
        if (bytesEqual((await this.bestHash(h))!, hash)) return this.bestRecord(h, hash.slice());
      }
    }
    if (state.forkCount > 0) for (const f of await this.forks()) if (bytesEqual(f.hash, hash)) return readRecord(f.value!, 0, f.height, f.hash, false);
    return undefined;
  }
}

function statusOf(state: State, tip: { readonly height: number; readonly hash: Uint8Array; readonly chainWork: bigint }): ClientStatus {
  return { tipHeight: tip.height, tipHash: toDisplayHex(tip.hash), chainWork: tip.chainWork.toString(), lowestHeight: state.lowest };
}

function infoOf(rec: Rec): StoredHeaderInfo {
  return { height: rec.height, hash: toDisplayHex(rec.hash), header: toHex(rec.raw), chainWork: rec.chainWork.toString(), onBestChain: rec.best };
}

/** Adds `prefix` to a LightClientError's detail, keeping its reason. */
function withContext<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof LightClientError) throw new LightClientError(e.reason, `${prefix}${e.detail}`);
    throw e;
  }
}

/** Where the new headers of an update attach, and what verifying them reads. */
interface Attachment {
  /** headers[0..k) are already stored; headers[k] is the first new one. */
  readonly k: number;
  /** The parent of headers[k]. */
  readonly P: Rec;
  /** The best-chain header P's branch leaves from, and the fork headers fork+1..P (lowest first). */
  readonly fork: Rec;
  readonly branch: Rec[];
  /** P's ancestors that the rules read (10 below P, P's period start) and P's walk end. */
  readonly lookup: HeaderLookup;
  /** The reason for an ancestor verification needs that is pruned: the tip must always be extendable. */
  readonly missingReason: "missing-ancestor" | "fork-too-old";
}

/** Steps 1-3 of update; undefined when every header is already stored. */
async function attach(
  view: View,
  params: NetworkParams,
  config: LightClientConfig,
  headers: readonly Uint8Array[],
  hashes: Uint8Array,
): Promise<Attachment | undefined> {
  const { state, tip } = view;
  const n = headers.length;
  // 1. Skip the headers already stored (relaying is idempotent); the rest must hang off a stored header.
  let k = 0;
  let parent: Rec | undefined;
  for (; k < n; k++) {
    if (k > 0 && !bytesEqual(headers[k].subarray(4, 36), parent!.hash)) fail("unknown-parent", `header ${k} of ${n} does not link to header ${k - 1}`);
    const known = await view.find(hashes.subarray(32 * k, 32 * k + 32));
    if (known === undefined) break;
    parent = known;
  }
  if (k === n) return undefined;
  if (parent === undefined) {
    const prevHash = headers[0].slice(4, 36);
    parent = await view.find(prevHash);
    if (parent === undefined)
      fail("unknown-parent", `header 0 of ${n}: its parent ${toDisplayHex(prevHash)} is not stored (never relayed, or pruned below height ${state.lowest})`);
  }
  const P = parent;
  const context = k === 0 ? "" : `(after ${k} already stored) `;

  // 2. P's branch down to the best chain: branch = the fork headers fork+1..P, lowest first.
  const branch: Rec[] = [];
  let cursor = P;
  while (!cursor.best) {
    branch.push(cursor);
    const up = await view.find(cursor.raw.subarray(4, 36));
    if (up === undefined) fail("fork-too-old", `${context}the branch of ${toDisplayHex(P.hash)} does not reach the stored best chain`);
    cursor = up;
  }
  branch.reverse();
  const fork = cursor;
  const forkDepth = tip.height - fork.height;
  if (forkDepth > config.pruneWindow)
    fail("fork-too-old", `${context}the branch forks at height ${fork.height}, ${forkDepth} blocks below the tip, deeper than pruneWindow ${config.pruneWindow}`);

  // 3. Preload the ancestors the rules read (10 below P, P's period start) from P's branch.
  const onBranch = async (h: number): Promise<HeaderRef | undefined> => (h > fork.height ? branch[h - fork.height - 1] : view.bestRef(h));
  const ancestors = new Map<number, HeaderRef>([[P.height, P]]);
  const periodStart = P.height - (P.height % params.retargetInterval);
  const needed: number[] = [];
  for (let h = Math.max(0, P.height - (MEDIAN_TIME_SPAN - 1)); h < P.height; h++) needed.push(h);
  if (periodStart < P.height - (MEDIAN_TIME_SPAN - 1)) needed.push(periodStart);
  const missingReason = bytesEqual(P.hash, tip.hash) ? "missing-ancestor" : "fork-too-old";
  for (const h of needed) {
    const ref = await onBranch(h);
    if (ref === undefined)
      fail(
        missingReason,
        `${context}verifying headers on ${toDisplayHex(P.hash)} (height ${P.height}) needs its ancestor at height ${h}, which is pruned (lowest stored height ${state.lowest})`,
      );
    ancestors.set(h, ref);
  }
  const lookup: HeaderLookup = {
    ancestor: (h) => ancestors.get(h),
    walkEnd: (h) => (h === P.height && P.walkEnd !== 0 ? P.walkEnd : undefined),
  };
  return { k, P, fork, branch, lookup, missingReason };
}

// ---------------------------------------------------------------------------------------------
// The writes of an update

/** What an update decided once its headers verified: the input of the functions computing its writes. */
interface Plan {
  readonly view: View;
  readonly config: LightClientConfig;
  /** The best-chain header the new headers' branch leaves from, and the stored fork headers fork+1..parent. */
  readonly fork: Rec;
  readonly branch: readonly Rec[];
  readonly nh: NewHeaders;
  readonly becomesBest: boolean;
  readonly newTip: { readonly height: number; readonly hash: Uint8Array; readonly chainWork: bigint };
  readonly newLowest: number;
  /** fork.height + 1: with becomesBest, the first height of the new best branch. */
  readonly from: number;
  /** max(from, newLowest): the first best-chain height (re)written. */
  readonly writeFrom: number;
  readonly newBest: NewBest;
  readonly sets: [Uint8Array, Uint8Array][];
  readonly deletes: Uint8Array[];
}

/** Fork entries: the disconnected blocks and new side headers join them, those out of reach go. */
async function planForks(plan: Plan): Promise<{ forkCount: number; disconnected: ForkEntry[] }> {
  const { view, config, fork, branch, nh, becomesBest, newTip, newLowest, from, newBest, sets, deletes } = plan;
  const { state, tip } = view;
  const oldTip = tip.height;
  const fresh = nh.raws;
  const freshHashes = nh.hashes;
  // the blocks a reorg disconnects become fork headers
  const disconnected: ForkEntry[] = [];
  if (becomesBest)
    for (let h = from; h <= oldTip; h++) {
      const at = (await view.locate(h))!;
      const value = at.chunk.bytes.slice(at.off, at.off + RECORD_SIZE);
      disconnected.push({ height: h, hash: (await view.bestHash(h))!, prev: value.subarray(4, 36), value });
    }
  const existing = state.forkCount > 0 ? await view.forks() : [];
  if (existing.length !== state.forkCount) fail("store-corrupt", `${existing.length} fork entries, the state counts ${state.forkCount}`);
  const existingSet = new Set(existing.map((e) => hashHex(e.hash)));
  const nowBest = new Set(branch.map((r) => hashHex(r.hash)));
  const candidates: ForkEntry[] = existing.filter((e) => !(becomesBest && nowBest.has(hashHex(e.hash))));
  if (becomesBest) candidates.push(...disconnected);
  else
    for (let i = 0; i < fresh.length; i++)
      candidates.push({ height: nh.firstHeight + i, hash: freshHashes.slice(32 * i, 32 * i + 32), prev: fresh[i].subarray(4, 36), value: undefined, index: i });
  candidates.sort(compareForkEntries);
  const oldBest = new Map<number, Uint8Array | undefined>();
  for (const e of candidates) {
    const h = e.height - 1;
    if (!(becomesBest && h > fork.height) && !oldBest.has(h)) oldBest.set(h, await view.bestHash(h));
  }
  /** The best-chain hash at h after this update (old entries must have been read). */
  const finalBest = (h: number): Uint8Array | undefined => {
    if (becomesBest && h > fork.height) return h <= newTip.height ? newBest.hash(h) : undefined;
    return oldBest.get(h);
  };
  // Fork points, lowest height first (a parent is always lower than its child); orphans go too.
  const forkPointOf = new Map<string, number>();
  const keep: ForkEntry[] = [];
  const drop: ForkEntry[] = [];
  for (const e of candidates) {
    const parentHeight = e.height - 1;
    const bestAtParent = finalBest(parentHeight);
    const fp = bestAtParent !== undefined && bytesEqual(bestAtParent, e.prev) ? parentHeight : forkPointOf.get(hashHex(e.prev));
    if (fp !== undefined && newTip.height - fp <= config.reorgLimit && e.height >= newLowest) {
      forkPointOf.set(hashHex(e.hash), fp);
      keep.push(e);
    } else drop.push(e);
  }
  if (becomesBest) for (const r of branch) deletes.push(forkKey(r.height, r.hash));
  for (const e of keep)
    if (!existingSet.has(hashHex(e.hash))) {
      let value = e.value;
      if (value === undefined) writeNewRecords((value = new Uint8Array(RECORD_SIZE)), 0, nh, e.index!, e.index! + 1);
      sets.push([forkKey(e.height, e.hash), value]);
    }
  for (const e of drop) if (existingSet.has(hashHex(e.hash))) deletes.push(forkKey(e.height, e.hash));
  return { forkCount: keep.length, disconnected };
}

/** Best-chain chunks: rewritten from writeFrom to the new tip, removed above it, pruned below newLowest. */
async function planChunks(plan: Plan): Promise<void> {
  const { view, branch, nh, becomesBest, newTip, newLowest, from, writeFrom, sets, deletes } = plan;
  const { state, tip } = view;
  const oldTip = tip.height;
  const nb = branch.length;
  if (becomesBest) {
    const last = chunkOf(newTip.height);
    for (let c = chunkOf(writeFrom); c <= last; c++) {
      const start = Math.max(c * CHUNK, newLowest);
      const end = Math.min(c * CHUNK + CHUNK - 1, newTip.height);
      const buf = new Uint8Array(4 + (end - start + 1) * RECORD_SIZE);
      putU32(buf, 0, start);
      let h = start;
      if (h < from) {
        // the records below the fork point stay as they are
        const old = await view.chunk(c);
        if (old === undefined || start < old.first || from > old.first + old.count) fail("store-corrupt", `best-chain chunk ${c} lacks heights ${start}..${from - 1}`);
        buf.set(old.bytes.subarray(4 + (start - old.first) * RECORD_SIZE, 4 + (from - old.first) * RECORD_SIZE), 4);
        h = from;
      }
      for (; h <= end && h - from < nb; h++) writeRecord(buf, 4 + (h - start) * RECORD_SIZE, branch[h - from]);
      if (h <= end) writeNewRecords(buf, 4 + (h - start) * RECORD_SIZE, nh, h - from - nb, end + 1 - from - nb);
      sets.push([chunkKey(c), buf]);
    }
    for (let c = last + 1; c <= chunkOf(oldTip); c++) deletes.push(chunkKey(c));
  }
  // pruning: the chunks wholly below newLowest go, the one holding it keeps the records from newLowest on
  if (newLowest > state.lowest) {
    const cl = chunkOf(newLowest);
    for (let c = chunkOf(state.lowest); c < cl; c++) deletes.push(chunkKey(c));
    if (!(becomesBest && chunkOf(writeFrom) === cl)) {
      const old = await view.chunk(cl);
      if (old === undefined || newLowest < old.first || newLowest >= old.first + old.count) fail("store-corrupt", `best-chain chunk ${cl} lacks height ${newLowest}`);
      if (newLowest > old.first) {
        const buf = new Uint8Array(4 + (old.first + old.count - newLowest) * RECORD_SIZE);
        putU32(buf, 0, newLowest);
        buf.set(old.bytes.subarray(4 + (newLowest - old.first) * RECORD_SIZE), 4);
        sets.push([chunkKey(cl), buf]);
      }
    }
  }
}

/**
 * The hash index: entries newLowest..keepMax stay, entries of writeFrom..newTip are appended (heights
 * above keepMax are the disconnected ones). Every bucket holding a removed or added entry is rewritten.
 */
async function planIndex(plan: Plan, disconnected: readonly ForkEntry[]): Promise<void> {
  const { view, fork, becomesBest, newTip, newLowest, writeFrom, newBest, sets, deletes } = plan;
  const { state, tip } = view;
  if (!becomesBest && newLowest === state.lowest) return;
  const keepMax = becomesBest ? fork.height : tip.height;
  const addTo = becomesBest ? newTip.height : writeFrom - 1;
  const added = new Uint32Array(BUCKETS);
  const touched = new Uint8Array(BUCKETS);
  countEntries(newBest, writeFrom, addTo, added, touched);
  for (const d of disconnected) touched[d.hash[0] & (BUCKETS - 1)] = 1;
  for (let h = state.lowest; h < newLowest && h <= keepMax && touched.includes(0); h++) touched[(await view.bestHash(h))![0] & (BUCKETS - 1)] = 1;
  const bufs: (Uint8Array | undefined)[] = new Array(BUCKETS);
  const pos = new Uint32Array(BUCKETS);
  for (let b = 0; b < BUCKETS; b++) {
    if (touched[b] === 0) continue;
    const old = (await view.store.get(BUCKET_KEYS[b])) ?? new Uint8Array(0);
    if (old.length % ENTRY_SIZE !== 0) fail("store-corrupt", `hash-index bucket of ${old.length} bytes`);
    const { buf, used } = keptEntries(old, newLowest, keepMax, added[b]);
    bufs[b] = buf;
    pos[b] = used;
    if (buf.length === 0) {
      if (old.length > 0) deletes.push(BUCKET_KEYS[b]);
    } else sets.push([BUCKET_KEYS[b], buf]);
  }
  appendEntries(newBest, writeFrom, addTo, bufs, pos);
}

/** A store without a final block (layout 2): the best-chain block reorgLimit below the tip, or the lowest. */
async function defaultFinal(view: View, config: LightClientConfig): Promise<BlockRef> {
  const height = Math.max(view.state.lowest, view.state.tipHeight - config.reorgLimit);
  return { height, hash: (await view.bestHash(height))! };
}

/**
 * The final block after the update, and the violation to report if the new best chain left `final`
 * (F is on the old best chain, so the new one holds it exactly when it forks at or above F's height).
 * Every block a claim counted confirmations > reorgLimit on is F or an ancestor of F, so that block can
 * only leave the best chain together with F: no sequence of shallow reorgs gets past this check.
 */
async function planFinal(plan: Plan, final: BlockRef): Promise<{ final: BlockRef; finalityViolation?: string }> {
  const { view, config, fork, becomesBest, newTip, newLowest, newBest } = plan;
  const left = becomesBest && fork.height < final.height;
  const floor = Math.max(newLowest, newTip.height - config.reorgLimit);
  const height = left ? floor : Math.max(final.height, floor);
  let moved = final;
  if (left || height !== final.height)
    moved = { height, hash: (becomesBest && height > fork.height ? newBest.hash(height) : await view.bestHash(height))!.slice() };
  if (!left) return { final: moved };
  return {
    final: moved,
    finalityViolation:
      `block ${toDisplayHex(final.hash)} at height ${final.height}, final once buried ${config.reorgLimit} deep, left the best chain: ` +
      `the new best chain (tip ${toDisplayHex(newTip.hash)} at height ${newTip.height}) leaves the old one at height ${fork.height}, below it`,
  };
}

// ---------------------------------------------------------------------------------------------
// The client

/**
 * A bitcoin light client over the given networks (default: mainnet, testnet3, testnet4, regtest);
 * `config.network` selects one by name. Tests and benchmarks pass networks made with defineNetwork.
 */
export function createBitcoinLightClient(networks: readonly NetworkParams[] = NETWORKS): LightClient {
  const byName = new Map<string, NetworkParams>();
  for (const n of networks) {
    if (byName.has(n.name)) throw new Error(`network ${n.name} is listed twice`);
    byName.set(n.name, n);
  }

  function networkParams(name: unknown): NetworkParams {
    const params = typeof name === "string" ? byName.get(name) : undefined;
    if (params === undefined) fail("bad-config", `unknown bitcoin network ${JSON.stringify(name)} (known: ${[...byName.keys()].join(", ")})`);
    return params;
  }

  function configParams(config: LightClientConfig): NetworkParams {
    if (config === null || typeof config !== "object") fail("bad-config", "config must be an object");
    const params = networkParams(config.network);
    const { reorgLimit, pruneWindow } = config;
    if (!Number.isSafeInteger(reorgLimit) || reorgLimit < 0 || reorgLimit > MAX_HEIGHT) fail("bad-config", `reorgLimit must be a non-negative integer, got ${reorgLimit}`);
    if (!Number.isSafeInteger(pruneWindow) || pruneWindow > MAX_HEIGHT) fail("bad-config", `pruneWindow must be an integer, got ${pruneWindow}`);
    const min = minPruneWindow(params, reorgLimit);
    if (pruneWindow < min)
      fail(
        "bad-config",
        `pruneWindow ${pruneWindow} is below ${min} = reorgLimit ${reorgLimit} + max(11, retarget interval ${params.retargetInterval}) + 1: ` +
          `a reorg within reorgLimit could need pruned headers`,
      );
    return params;
  }

  /** The stored state and tip; `network`, when given, must be the stored one. */
  async function load(store: KVStore, network?: string): Promise<View> {
    const v = await store.get(KEY_STATE);
    if (v === undefined) fail("not-initialized", "the bitcoin light client has no state in this store");
    const state = decodeState(v);
    if (network !== undefined && network !== state.network) fail("bad-config", `the client was initialized for ${state.network}, not ${network}`);
    if (!byName.has(state.network)) fail("store-corrupt", `stored network ${JSON.stringify(state.network)} is not one this client knows`);
    const view = new View(store, state);
    const tip = await view.bestRecord(state.tipHeight, state.tipHash);
    if (tip === undefined) fail("store-corrupt", `the tip ${toDisplayHex(state.tipHash)} has no header record`);
    view.tip = tip;
    return view;
  }

  /** Checks a checkpoint (see BitcoinCheckpoint) and returns its records, lowest first, and its final height. */
  function parseCheckpoint(checkpoint: unknown, params: NetworkParams): { records: Rec[]; finalHeight: number | undefined } {
    const bad = (detail: string): never => fail("bad-checkpoint", detail);
    if (checkpoint === null || typeof checkpoint !== "object" || Array.isArray(checkpoint)) bad("the checkpoint must be a JSON object");
    const cp = checkpoint as Record<string, unknown>;
    for (const key of Object.keys(cp)) if (!["network", "height", "chain_work", "headers", "final_height"].includes(key)) bad(`unknown field ${JSON.stringify(key)}`);
    if (cp.network !== undefined && cp.network !== params.name) bad(`checkpoint of network ${JSON.stringify(cp.network)}, the client is configured for ${params.name}`);
    const height = cp.height;
    if (typeof height !== "number" || !Number.isSafeInteger(height) || height < 0 || height > MAX_HEIGHT) bad(`height must be an integer from 0 to ${MAX_HEIGHT}`);
    const h = height as number;
    if (typeof cp.chain_work !== "string" || !/^(0|[1-9][0-9]{0,77})$/.test(cp.chain_work)) bad("chain_work must be a decimal string");
    const chainWork = BigInt(cp.chain_work as string);
    if (chainWork >> 256n !== 0n) bad("chain_work does not fit 256 bits");
    const hexes = cp.headers;
    if (!Array.isArray(hexes) || hexes.length === 0) bad("headers must be a non-empty array of hex headers");
    const list = hexes as unknown[];
    if (list.length > h + 1) bad(`${list.length} headers cannot end at height ${h}`);
    const start = h - list.length + 1;
    const finalHeight = cp.final_height;
    if (finalHeight !== undefined && !(typeof finalHeight === "number" && Number.isSafeInteger(finalHeight) && finalHeight >= start && finalHeight <= h))
      bad(`final_height must be the height of one of the headers, ${start} to ${h}`);
    const need = checkpointStart(params, h);
    if (start > need)
      bad(
        `a checkpoint at height ${h} must reach back to height ${need} (the 10 headers below it for the median time past and ` +
          `the first header of its retarget period, ${h - (h % params.retargetInterval)}, which retargets and the testnet walk read); it starts at ${start}`,
      );
    const raws = list.map((x, i) => {
      if (typeof x !== "string" || !/^[0-9a-fA-F]{160}$/.test(x)) bad(`header ${i} (height ${start + i}) is not 160 hex characters`);
      return fromHex(x as string);
    });
    // links and proof of work
    const hashes = raws.map((r) => sha256d(r));
    const headers = raws.map((r) => decodeHeader(r));
    for (let i = 0; i < raws.length; i++) {
      if (i > 0 && !bytesEqual(headers[i].prevBlock, hashes[i - 1])) bad(`header ${i} (height ${start + i}) does not link to the header before it`);
      const powError = proofOfWorkFailure(hashes[i], headers[i].bits, params.powLimit);
      if (powError !== undefined) bad(`header ${i} (height ${start + i}) fails proof of work: ${powError}`);
    }
    if (start === 0 && toDisplayHex(hashes[0]) !== params.genesisHash) bad(`the header at height 0 is not ${params.name}'s genesis ${params.genesisHash}`);
    // chain work of the earlier headers, derived back from the checkpoint's
    const works = new Array<bigint>(raws.length);
    works[raws.length - 1] = chainWork;
    for (let i = raws.length - 1; i > 0; i--) works[i - 1] = works[i] - blockWork(headers[i].bits);
    const firstWork = blockWork(headers[0].bits);
    if (start === 0 && works[0] !== firstWork) bad(`chain_work ${chainWork} is not the sum of the headers' work from genesis (${chainWork - works[0] + firstWork})`);
    // every block before the run has work >= 1
    if (works[0] < firstWork + BigInt(start)) bad(`chain_work ${chainWork} is less than the work of the headers it covers`);
    const walkEnds: number[] = [];
    const records: Rec[] = raws.map((raw, i) => {
      const partial = { height: start + i, header: headers[i] };
      walkEnds.push(stopsMinDifficultyWalk(partial, params) ? headers[i].bits : i > 0 ? walkEnds[i - 1] : 0);
      return recOf(raw, start + i, hashes[i], works[i], walkEnds[i], true);
    });
    // the consensus rules, for each header whose ancestors the run holds
    const lookup: HeaderLookup = {
      ancestor: (x) => records[x - start],
      walkEnd: (x) => (x >= start && walkEnds[x - start] !== 0 ? walkEnds[x - start] : undefined),
    };
    for (let i = 1; i < records.length; i++) {
      try {
        verifyRawHeaderChain(records[i - 1], [raws[i]], { params, lookup, maxFutureTime: MAX_HEIGHT }, hashes[i], false);
      } catch (e) {
        if (!(e instanceof LightClientError)) throw e;
        if (e.reason === "missing-ancestor") continue; // an ancestor before the run: taken on trust
        bad(`header ${i} (height ${start + i}) breaks the consensus rules: ${e.reason}: ${e.detail}`);
      }
    }
    return { records, finalHeight: finalHeight as number | undefined };
  }

  async function initialize(store: KVStore, config: LightClientConfig, checkpoint: unknown): Promise<ClientStatus> {
    const params = configParams(config);
    if ((await store.get(KEY_STATE)) !== undefined) fail("already-initialized", "the store already holds bitcoin light-client state");
    const { records, finalHeight } = parseCheckpoint(checkpoint, params);
    const tip = records[records.length - 1];
    const lowest = Math.max(records[0].height, tip.height - config.pruneWindow);
    const entries = bestChainEntries(records.filter((r) => r.height >= lowest));
    // F only moves up: an exported F above tip - reorgLimit stays where it was
    const final = records[Math.max(lowest, tip.height - config.reorgLimit, finalHeight ?? 0) - records[0].height];
    const state = { lowest, tipHeight: tip.height, forkCount: 0, tipHash: tip.hash, final: { height: final.height, hash: final.hash }, network: params.name };
    for (const [k, v] of entries) store.set(k, v);
    store.set(KEY_STATE, encodeState(state));
    return statusOf(state, tip);
  }

  async function update(store: KVStore, config: LightClientConfig, headers: readonly Uint8Array[], ctx: UpdateContext): Promise<UpdateResult> {
    const params = configParams(config);
    const view = await load(store, config.network);
    const { state, tip } = view;
    if (!Array.isArray(headers)) fail("bad-field", "headers must be an array of raw headers");
    const n = headers.length;
    if (n > MAX_HEADERS_PER_UPDATE) fail("batch-too-large", `${n} headers; at most ${MAX_HEADERS_PER_UPDATE} per update`);
    if (ctx === null || typeof ctx !== "object" || !Number.isSafeInteger(ctx.blockTime) || ctx.blockTime < 0)
      fail("bad-field", `ctx.blockTime must be a non-negative integer (unix seconds)`);
    for (let i = 0; i < n; i++) {
      const h = headers[i];
      if (!(h instanceof Uint8Array) || h.length !== HEADER_SIZE) fail("bad-length", `header ${i} of ${n}: a header is ${HEADER_SIZE} bytes, got ${h?.length}`);
    }
    const unchanged: UpdateResult = { status: statusOf(state, tip), added: 0, reorgDepth: 0 };
    // Every header is hashed here, once: the lookups below and verification use these hashes.
    const hashes = hashAll(headers);

    // 1.-3. Where the new headers attach, and the ancestors verification reads.
    const at = await attach(view, params, config, headers, hashes);
    if (at === undefined) return unchanged;
    const { k, P, fork, branch, lookup, missingReason } = at;
    const fresh = k === 0 ? headers : headers.slice(k);
    const freshHashes = hashes.subarray(32 * k);
    const m = fresh.length;
    const context = k === 0 ? "" : `(after ${k} already stored) `;
    const forkDepth = tip.height - fork.height;

    // 4. Verify every new header before anything is written (with the hashes computed above).
    withContext(context, () => {
      try {
        verifyRawHeaderChain(P, fresh, { params, lookup, maxFutureTime: ctx.blockTime + MAX_FUTURE_BLOCK_TIME }, freshHashes);
      } catch (e) {
        // an ancestor beyond what was preloaded: only a walk from a checkpoint header with unknown walk end
        if (e instanceof LightClientError && e.reason === "missing-ancestor" && missingReason === "fork-too-old") throw new LightClientError("fork-too-old", e.detail);
        throw e;
      }
    });
    // Chain work (as limbs) and walk ends of the new headers.
    const cw = workAndWalkEnds(fresh, P.height + 1, P.chainWork, P.walkEnd, params);
    if (cw === undefined) fail("bad-field", `${context}the chain work of the new headers does not fit 256 bits`);
    const nh: NewHeaders = { raws: fresh, firstHeight: P.height + 1, hashes: freshHashes, works: cw.works, walkEnds: cw.walkEnds };
    const lastWork = bigintOfLimbs(nh.works, 8 * (m - 1));
    // Most cumulative work wins; on a tie the current tip stays (first seen, as Core).
    const becomesBest = lastWork > tip.chainWork;
    if (!becomesBest && forkDepth > config.reorgLimit)
      fail(
        "fork-too-old",
        `${context}the branch forks at height ${fork.height}, ${forkDepth} blocks below the tip, and has less work than the best chain: ` +
          `forks are kept only within reorgLimit ${config.reorgLimit}`,
      );

    // 5. The resulting state and every write, computed (with reads only) before the first write.
    const newTip = becomesBest ? { height: P.height + m, hash: freshHashes.slice(32 * (m - 1), 32 * m), chainWork: lastWork } : tip;
    const reorgDepth = becomesBest ? tip.height - fork.height : 0;
    const newLowest = Math.max(state.lowest, newTip.height - config.pruneWindow);
    // When the best chain moves, heights from..newTip are branch[] then the new headers.
    const from = fork.height + 1;
    const plan: Plan = {
      view,
      config,
      fork,
      branch,
      nh,
      becomesBest,
      newTip,
      newLowest,
      from,
      writeFrom: Math.max(from, newLowest),
      newBest: new NewBest(from, branch, nh),
      sets: [],
      deletes: [],
    };
    const { forkCount, disconnected } = await planForks(plan);
    await planChunks(plan);
    await planIndex(plan, disconnected);
    const { final, finalityViolation } = await planFinal(plan, state.final ?? (await defaultFinal(view, config)));
    const { sets, deletes } = plan;
    const newState = { lowest: newLowest, tipHeight: newTip.height, forkCount, tipHash: newTip.hash, final, network: state.network };
    sets.push([KEY_STATE, encodeState(newState)]);

    // 6. Write (synchronously, nothing can be refused from here on).
    for (const key of deletes) store.delete(key);
    for (const [key, value] of sets) store.set(key, value);
    return { status: statusOf(newState, newTip), added: m, reorgDepth, ...(finalityViolation === undefined ? {} : { finalityViolation }) };
  }

  async function proveTransaction(store: KVStore, config: LightClientConfig, claim: InclusionProof): Promise<ProvenTransaction> {
    configParams(config);
    const view = await load(store, config.network);
    const { tip } = view;
    if (claim === null || typeof claim !== "object" || !(claim.tx instanceof Uint8Array) || !(claim.proof instanceof Uint8Array))
      fail("bad-field", "an inclusion proof is { tx: Uint8Array, blockHash: string, proof: Uint8Array }");
    const hash = parseDisplayHash(claim.blockHash, "blockHash");
    const rec = await view.find(hash);
    if (rec === undefined) fail("unknown-block", `block ${claim.blockHash} is not stored (never relayed, or pruned)`);
    if (!rec.best) fail("not-best-chain", `block ${claim.blockHash} at height ${rec.height} is not on the best chain`);
    if (rec.height < tip.height - config.pruneWindow)
      fail("block-pruned", `block ${claim.blockHash} at height ${rec.height} is below the prune window (tip ${tip.height}, pruneWindow ${config.pruneWindow})`);
    if (claim.proof.length < HEADER_SIZE || !bytesEqual(claim.proof.subarray(0, HEADER_SIZE), rec.raw))
      fail("header-mismatch", `the proof's header is not the stored header of block ${claim.blockHash}`);
    const inc = verifyInclusionProof(claim.tx, claim.proof);
    if (!bytesEqual(inc.blockHash, hash)) fail("header-mismatch", `the proof is for block ${toDisplayHex(inc.blockHash)}`);
    return {
      txid: toDisplayHex(inc.tx.txid),
      blockHash: toDisplayHex(hash),
      height: rec.height,
      confirmations: tip.height - rec.height + 1,
      inputs: inc.tx.inputs.map((i) => ({ txid: toDisplayHex(i.prevTxid), index: i.prevIndex })),
      outputs: inc.tx.outputs.map((o, index) => ({ index, script: o.scriptPubKey, value: o.value })),
    };
  }

  async function status(store: KVStore): Promise<ClientStatus> {
    const view = await load(store);
    return statusOf(view.state, view.tip);
  }

  async function header(store: KVStore, at: { height: number } | { hash: string }): Promise<StoredHeaderInfo | undefined> {
    const view = await load(store);
    if (at === null || typeof at !== "object") fail("bad-field", "header() takes { height } or { hash }");
    if ("height" in at) {
      if (!Number.isSafeInteger(at.height) || at.height < 0) fail("bad-field", `height must be a non-negative integer, got ${at.height}`);
      const rec = await view.bestRecord(at.height);
      return rec === undefined ? undefined : infoOf(rec);
    }
    const rec = await view.find(parseDisplayHash(at.hash, "hash"));
    return rec === undefined ? undefined : infoOf(rec);
  }

  /** A checkpoint at the tip holding every stored best-chain header (fork headers are not exported). */
  async function exportState(store: KVStore): Promise<BitcoinCheckpoint> {
    const view = await load(store);
    const { state, tip } = view;
    const headers: string[] = [];
    for (let h = state.lowest; h <= tip.height; h++) {
      const at = await view.locate(h);
      if (at === undefined) fail("store-corrupt", `no best-chain header at height ${h}`);
      headers.push(toHex(at.chunk.bytes.subarray(at.off, at.off + HEADER_SIZE)));
    }
    const cp: BitcoinCheckpoint = { network: state.network, height: tip.height, chain_work: tip.chainWork.toString(), headers };
    return state.final === undefined ? cp : { ...cp, final_height: state.final.height };
  }

  return { type: "bitcoin", initialize, update, proveTransaction, status, header, exportState };
}

/** The client the peg module registers, over mainnet, testnet3, testnet4 and regtest. */
export const bitcoinLightClient: LightClient = createBitcoinLightClient();
