/**
 * The writes of a verified update (verify-update.ts): planUpdate computes, with reads only, every key
 * the update sets or deletes (fork entries, best-chain chunks, hash-index buckets, the state with the
 * final block); applyWrites then writes them, synchronously, once nothing can be refused any more.
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
 */
import { bytesEqual } from "../../chain/store/bytes";
import type { KVStore } from "../../chain/store/types";
import type { LightClientConfig } from "./types";
import { toDisplayHex, toHex } from "./bytes";
import { fail } from "./errors";
import { type NewHeaders, writeNewRecords } from "./new-headers";
import {
  type BlockRef,
  BUCKET_KEYS,
  BUCKETS,
  CHUNK,
  chunkKey,
  chunkOf,
  compareForkEntries,
  encodeState,
  ENTRY_SIZE,
  type ForkEntry,
  forkKey,
  getU32,
  KEY_STATE,
  PREFIX,
  putU32,
  type Rec,
  RECORD_SIZE,
  type State,
  writeRecord,
} from "./store-layout";
import type { View } from "./store-reads";
import type { VerifiedUpdate } from "./verify-update";

const hashHex = toHex;

// ---------------------------------------------------------------------------------------------
// The new best chain and its hash-index entries: small synchronous functions (see new-headers.ts)

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
// The writes, planned from what the update decided

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

/** Every write of an update, and the state and tip they leave. */
interface UpdateWrites {
  readonly sets: readonly (readonly [Uint8Array, Uint8Array])[];
  readonly deletes: readonly Uint8Array[];
  readonly newState: State & { final: BlockRef };
  readonly newTip: { readonly height: number; readonly hash: Uint8Array; readonly chainWork: bigint };
  readonly reorgDepth: number;
  readonly finalityViolation?: string;
}

/** Step 5 of an update: the resulting state and every write, computed (with reads only) before the first write. */
export async function planUpdate(view: View, config: LightClientConfig, verified: VerifiedUpdate): Promise<UpdateWrites> {
  const { state, tip } = view;
  const { parent: P, fork, branch, nh, lastWork, becomesBest } = verified;
  const m = nh.raws.length;
  const freshHashes = nh.hashes;
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
  return { sets, deletes, newState, newTip, reorgDepth, ...(finalityViolation === undefined ? {} : { finalityViolation }) };
}

/** Step 6 of an update: the planned writes (synchronously, nothing can be refused from here on). */
export function applyWrites(store: KVStore, writes: UpdateWrites): void {
  for (const key of writes.deletes) store.delete(key);
  for (const [key, value] of writes.sets) store.set(key, value);
}
