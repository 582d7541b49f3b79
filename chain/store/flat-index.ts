/**
 * The flat index: per store, the latest committed value of every key under `l | len name | name`
 * (see layout.ts), so that reads of the latest version are one LevelDB get instead of a tree walk.
 * commit() keeps it up to date in the same batch as the tree nodes.
 */
import { compareBytes, concatBytes } from "./bytes";
import { Db, flatPrefix } from "./layout";
import { KeyRange, KVStore } from "./types";
import { assertKey, assertRange } from "./validate";

/** Read-only access to the latest committed values through the flat index. */
export class LatestKVStore implements KVStore {
  private readonly prefix: Uint8Array;
  private readonly end: Uint8Array;

  constructor(
    private readonly db: Db,
    nameBytes: Uint8Array,
  ) {
    this.prefix = flatPrefix(nameBytes);
    this.end = this.prefix.slice();
    this.end[this.end.length - 1]++; // utf8 never contains 0xff, so no carry
  }

  /** The flat-index key of `key` in this store. */
  flatKey(key: Uint8Array): Uint8Array {
    const k = new Uint8Array(this.prefix.length + key.length);
    k.set(this.prefix, 0);
    k.set(key, this.prefix.length);
    return k;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    assertKey(key);
    return this.getSync(key);
  }
  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.db.getSync(this.flatKey(key));
  }
  async has(key: Uint8Array): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }
  set(): void {
    throw new Error("the committed state is read-only");
  }
  delete(): void {
    throw new Error("the committed state is read-only");
  }
  iterate(range?: KeyRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    assertRange(range);
    return flatIterate(this.db, this.prefix, this.end, range);
  }
}

/** Shared by every store's flat-index reads. */
async function* flatIterate(
  db: Db,
  prefix: Uint8Array,
  prefixEnd: Uint8Array,
  range: KeyRange | undefined,
): AsyncGenerator<[Uint8Array, Uint8Array]> {
  const start = range?.start;
  const end = range?.end;
  const limit = range?.limit;
  if (limit === 0) return;
  if (start !== undefined && end !== undefined && compareBytes(start, end) >= 0) return;
  const it = db.iterator({
    gte: start === undefined ? prefix : concatBytes(prefix, start),
    lt: end === undefined ? prefixEnd : concatBytes(prefix, end),
    reverse: range?.reverse ?? false,
    limit: limit ?? -1,
  });
  const plen = prefix.length;
  try {
    for (;;) {
      const batch = await it.nextv(256);
      if (batch.length === 0) break;
      for (const [k, v] of batch) yield [k.subarray(plen), v];
    }
  } finally {
    await it.close();
  }
}
