/**
 * Applying a version's buffered writes to a store's tree (in key order, as Cosmos' cachekv does),
 * and reading ahead from disk the inner nodes that will need when they are not in memory.
 */
import { compareBytes } from "./bytes";
import type { Entry } from "./cachekv";
import type { Node } from "./node";
import type { NodeDB } from "./nodedb";
import type { StoreState } from "./store-state";
import { nav, TreeWriter } from "./tree";

/**
 * Prefetching walks every path of the block's writes (~1.5 µs per node even when cached), so it
 * pays off only when many nodes come from disk (~6 µs each with getSync, ~2 µs in parallel
 * multi-gets): after a restart, or when the tree far outgrows the cache. It is used when the
 * last version read more than this fraction of its rewritten nodes from disk.
 */
const PREFETCH_MISS_RATIO = 0.25;
const PREFETCH_MIN_MISSES = 256;

/** Builds the store's working tree (`dirtyRoot`, `orphans`) from its committed root and writes. */
export function applyWrites(nodes: NodeDB, st: StoreState, version: number): void {
  const w = new TreeWriter(nodes, version);
  let root = st.root;
  for (const e of st.working.sortedEntries()) {
    root = e.value === undefined ? w.remove(root, e.key) : w.set(root, e.key, e.value);
  }
  st.dirtyRoot = root;
  st.orphans = w.orphans;
  st.applied = true;
}

/** Whether `misses` nodes read from disk for the stores' writes make prefetching worth its walk. */
export function worthPrefetching(misses: number, states: readonly StoreState[]): boolean {
  let rewritten = 0;
  for (const st of states) rewritten += st.orphans.length;
  return misses >= PREFETCH_MIN_MISSES && misses >= rewritten * PREFETCH_MISS_RATIO;
}

/**
 * Loads, level by level with parallel multi-gets, the inner nodes on the paths of the pending
 * keys that are not in memory (leaves are never needed: parents know their keys and hashes).
 * Returns how many nodes had to be read.
 */
export async function prefetchPaths(nodes: NodeDB, st: StoreState): Promise<number> {
  const entries = st.working.sortedEntries();
  const root = st.root;
  if (root === undefined || root.height === 0 || entries.length === 0) return 0;
  let ptrs: Node[] = [root];
  let los: number[] = [0];
  let his: number[] = [entries.length];
  let fetched = 0;
  while (ptrs.length > 0) {
    const missing: number[] = [];
    for (const p of ptrs) if (p.key === undefined && !nodes.inMemory(p.id)) missing.push(p.id);
    await nodes.prefetch(missing);
    fetched += missing.length;
    const nPtrs: Node[] = [];
    const nLos: number[] = [];
    const nHis: number[] = [];
    for (let i = 0; i < ptrs.length; i++) {
      const n = nav(nodes, ptrs[i]);
      const lo = los[i];
      const hi = his[i];
      const m = lowerBoundEntries(entries, lo, hi, n.key!);
      const l = n.left!;
      const r = n.right!;
      if (m > lo && l.height > 0) {
        nPtrs.push(l);
        nLos.push(lo);
        nHis.push(m);
      }
      if (hi > m && r.height > 0) {
        nPtrs.push(r);
        nLos.push(m);
        nHis.push(hi);
      }
    }
    ptrs = nPtrs;
    los = nLos;
    his = nHis;
  }
  return fetched;
}

function lowerBoundEntries(entries: Entry[], lo: number, hi: number, key: Uint8Array): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(entries[mid].key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
