/**
 * Write-buffering branches (Cosmos cachekv / cachemulti): writes stay in the branch until
 * `write()` pushes them, in ascending key order, into the parent.
 */
import { byteString, compareBytes } from "./bytes";
import { CacheMultiStore, KeyRange, KVStore, MultiStore } from "./types";
import { assertKey, assertRange, assertValue } from "./validate";

/** A buffered write; `value === undefined` marks a delete. */
export interface Entry {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

export class CacheKVStore implements KVStore {
  private readonly entries = new Map<string, Entry>();
  /** The entries' map keys in ascending order; dropped when a new key is added. */
  private sortedKeys: string[] | undefined;

  constructor(protected readonly parent: KVStore) {}

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    assertKey(key);
    const e = this.entries.get(byteString(key));
    if (e !== undefined) return e.value;
    return this.parent.get(key);
  }

  async has(key: Uint8Array): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Key and value are copied (Uint8Array.from: a Buffer's slice() would share memory), so the caller may reuse its buffers. */
  set(key: Uint8Array, value: Uint8Array): void {
    assertKey(key);
    assertValue(value);
    this.put(Uint8Array.from(key), Uint8Array.from(value));
  }

  delete(key: Uint8Array): void {
    assertKey(key);
    this.put(Uint8Array.from(key), undefined);
  }

  protected put(key: Uint8Array, value: Uint8Array | undefined): void {
    const s = byteString(key);
    if (this.sortedKeys !== undefined && !this.entries.has(s)) this.sortedKeys = undefined;
    this.entries.set(s, { key, value });
  }

  /** Number of buffered writes (sets and deletes). */
  get pendingWrites(): number {
    return this.entries.size;
  }

  /** Buffered writes in ascending key order. */
  sortedEntries(): Entry[] {
    const keys = this.sorted();
    const out = new Array<Entry>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = this.entries.get(keys[i])!;
    return out;
  }

  /** Pushes the buffered writes into the parent in ascending key order and empties the buffer. */
  write(): void {
    for (const e of this.sortedEntries()) {
      if (e.value === undefined) this.parent.delete(e.key);
      else this.parent.set(e.key, e.value);
    }
    this.discard();
  }

  /** Drops the buffered writes. */
  discard(): void {
    this.entries.clear();
    this.sortedKeys = undefined;
  }

  iterate(range?: KeyRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    assertRange(range);
    const start = range?.start;
    const end = range?.end;
    const reverse = range?.reverse ?? false;
    // snapshot of the buffered entries in range, taken when iterate() is called
    const keys = this.sorted();
    let lo = 0;
    let hi = keys.length;
    if (start !== undefined) lo = lowerBound(keys, byteString(start));
    if (end !== undefined) hi = Math.max(lo, lowerBound(keys, byteString(end)));
    const local: Entry[] = [];
    for (let i = lo; i < hi; i++) local.push(this.entries.get(keys[i])!);
    if (reverse) local.reverse();
    const parentIter = this.parent.iterate({ start, end, reverse });
    return mergeIterate(parentIter, local, reverse, range?.limit);
  }

  private sorted(): string[] {
    if (this.sortedKeys === undefined) this.sortedKeys = Array.from(this.entries.keys()).sort();
    return this.sortedKeys;
  }
}

function lowerBound(sorted: string[], k: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Merges a parent iteration with buffered entries (both in iteration order); buffered entries win. */
async function* mergeIterate(
  parent: AsyncIterable<[Uint8Array, Uint8Array]>,
  local: Entry[],
  reverse: boolean,
  limit: number | undefined,
): AsyncGenerator<[Uint8Array, Uint8Array]> {
  if (limit === 0) return;
  const dir = reverse ? -1 : 1;
  const it = parent[Symbol.asyncIterator]();
  let count = 0;
  let i = 0;
  try {
    let p = await it.next();
    while (!p.done || i < local.length) {
      let fromLocal: Entry | undefined;
      if (p.done) {
        fromLocal = local[i++];
      } else if (i < local.length) {
        const c = compareBytes(local[i].key, p.value[0]) * dir;
        if (c <= 0) {
          fromLocal = local[i++];
          if (c === 0) p = await it.next(); // shadowed by the buffered entry
        }
      }
      if (fromLocal !== undefined) {
        if (fromLocal.value === undefined) continue; // buffered delete
        yield [fromLocal.key, fromLocal.value];
      } else {
        const kv = p.value as [Uint8Array, Uint8Array];
        p = await it.next();
        yield kv;
      }
      if (limit !== undefined && ++count >= limit) return;
    }
  } finally {
    await it.return?.();
  }
}

export class CacheMultiStoreImpl implements CacheMultiStore {
  private readonly stores = new Map<string, CacheKVStore>();

  constructor(private readonly parent: MultiStore) {}

  store(name: string): CacheKVStore {
    let s = this.stores.get(name);
    if (s === undefined) {
      s = new CacheKVStore(this.parent.store(name)); // the parent rejects unknown names
      this.stores.set(name, s);
    }
    return s;
  }

  /** Pushes every store's writes into the parent (stores in name order, keys ascending). */
  write(): void {
    for (const name of Array.from(this.stores.keys()).sort()) this.stores.get(name)!.write();
  }

  discard(): void {
    for (const s of this.stores.values()) s.discard();
  }
}

/** A write-buffering branch over any MultiStore (the working state, a view, or another branch). */
export function branch(parent: MultiStore): CacheMultiStore {
  return new CacheMultiStoreImpl(parent);
}
