/**
 * The state-access interfaces modules and the app code against. Keys and values are raw bytes;
 * iteration is always in ascending (or, with `reverse`, descending) unsigned byte order, so
 * state transitions never depend on insertion order.
 */
export interface KVStore {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  has(key: Uint8Array): Promise<boolean>;
  set(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** Entries with start <= key < end (either bound may be omitted), merged with pending writes. */
  iterate(range?: KeyRange): AsyncIterable<[Uint8Array, Uint8Array]>;
}

export interface KeyRange {
  start?: Uint8Array;
  end?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

/** A set of named sub-stores, one per module, as in Cosmos' multistore. */
export interface MultiStore {
  store(name: string): KVStore;
}

/** A branch whose writes stay private until `write()` pushes them into its parent. */
export interface CacheMultiStore extends MultiStore {
  write(): void;
}
