/**
 * CommitMultiStore: named IAVL trees persisted in one LevelDB, committed together as one version
 * per block, with an app hash computed like Cosmos' rootmulti. See docs/store.md for the design.
 *
 * LevelDB layout (one-byte prefixes):
 *   n | id u64be             -> tree node (ids are global and increase with every commit)
 *   o | version u64be        -> ids of the nodes orphaned by that version (sorted, delta varints)
 *   c | version u64be        -> commit info: app hash, then per store its root reference
 *   l | len name | name | key -> latest value of `key` in that store (flat index, no tree walk)
 *   m                        -> uv(last version) uv(next node id)
 *   e                        -> uv(earliest readable version) — pruning progress
 */
import { mkdirSync } from "node:fs";
import { ClassicLevel } from "classic-level";
import { compareBytes, concatBytes, putUvarint, Reader, uvarintSize, writeU64 } from "./bytes";
import { CacheKVStore, Entry } from "./cachekv";
import { detachChildren, encodeDirty, ensureHash, hashOf, maxEncodedSize, Node, shell } from "./node";
import { ParallelHasher, TABLE_STRIDE } from "./hasher";
import { NODE_PREFIX, NodeCache, NodeDB } from "./nodedb";
import { encodeCommitmentProof, iavlCommitmentProof, NamedRoot, simpleExistenceProof, simpleMerkleRoot } from "./proofs";
import { EMPTY_HASH } from "./sha256";
import { nav, treeGet, treeIterate, TreeWriter } from "./tree";
import { KeyRange, KVStore, MultiStore } from "./types";
import { assertKey, assertRange } from "./validate";

export interface StoreOptions {
  /** Committed versions kept (the latest included); 0 = keep all. */
  keepRecent: number;
  /**
   * Tree nodes kept in memory, as encoded records in large slabs (default 1,000,000, about
   * 150–250 MiB; 0 disables the cache). Sized to the tree's inner nodes (≈ its key count), writes
   * never read LevelDB.
   */
  cacheSize?: number;
  /**
   * fsync the commit batch (default false). Without it a commit survives a process crash
   * (kill -9) but not necessarily an OS crash or power loss; CometBFT replays the missing blocks.
   */
  syncWrites?: boolean;
  /**
   * Writes in a version from which node hashing runs on a worker thread, pipelined with encoding
   * on the main thread (default 200; Infinity keeps everything on the main thread).
   */
  parallelHashThreshold?: number;
}

export interface CommitStats {
  version: number;
  nodesWritten: number;
  orphans: number;
  /** Reading nodes ahead in parallel (0 when the cache is warm). */
  prefetchMs: number;
  /** Applying the writes to the trees. */
  applyMs: number;
  /** Hashing — on the parallel path, encoding and queueing the node records too. */
  hashMs: number;
  /** workingHash as seen by commit() (the phases above, unless computed earlier). */
  workingHashMs: number;
  /** Filling the rest of the LevelDB batch (nodes too on the main-thread path). */
  encodeMs: number;
  /** Writing the batch. */
  writeMs: number;
}

export interface ProofOp {
  type: string;
  key: Uint8Array;
  data: Uint8Array;
}

const P_COMMIT = 0x63; // c
const P_EARLIEST = 0x65; // e
const P_LATEST = 0x6c; // l
const P_META = 0x6d; // m
const P_ORPHANS = 0x6f; // o
const P_APP_META = 0x61; // a: the application's own record of the last commit (not part of the app hash)
const META_KEY = Uint8Array.of(P_META);
const EARLIEST_KEY = Uint8Array.of(P_EARLIEST);
const APP_META_KEY = Uint8Array.of(P_APP_META);
const DEFAULT_CACHE = 1_000_000;
const DEFAULT_PARALLEL_HASH_THRESHOLD = 200;
/** Record bytes of one version above which hashing stays on the main thread (shared-memory offsets are int32). */
const MAX_PARALLEL_BYTES = 1 << 30;
const PRUNE_VERSIONS_PER_BATCH = 50;
/**
 * Prefetching walks every path of the block's writes (~1.5 µs per node even when cached), so it
 * pays off only when many nodes come from disk (~6 µs each with getSync, ~2 µs in parallel
 * multi-gets): after a restart, or when the tree far outgrows the cache. It is used when the
 * last version read more than this fraction of its rewritten nodes from disk.
 */
const PREFETCH_MISS_RATIO = 0.25;
const PREFETCH_MIN_MISSES = 256;

type Db = ClassicLevel<Uint8Array, Uint8Array>;

function versionKey(prefix: number, v: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = prefix;
  writeU64(k, 1, v);
  return k;
}

interface Prepared {
  firstId: number;
  endId: number;
  rewritten: Node[];
}

interface CommitInfo {
  version: number;
  appHash: Uint8Array;
  /** Store name -> root (a shell), undefined for an empty tree; only stores that existed then. */
  roots: Map<string, Node | undefined>;
}

function encodeCommitInfo(info: CommitInfo): Uint8Array {
  const parts: Uint8Array[] = [info.appHash];
  const names = sortNames(Array.from(info.roots.keys()));
  const head = new Uint8Array(10);
  parts.push(head.subarray(0, putUvarint(head, 0, names.length)));
  for (const name of names) {
    const nb = Buffer.from(name, "utf8");
    const root = info.roots.get(name);
    const b = new Uint8Array(10 + nb.length + 10 + 32 + 20);
    let o = putUvarint(b, 0, nb.length);
    b.set(nb, o);
    o += nb.length;
    if (root === undefined) {
      o = putUvarint(b, o, 0);
    } else {
      o = putUvarint(b, o, root.id);
      b.set(hashOf(root), o);
      o += 32;
      o = putUvarint(b, o, root.height);
      o = putUvarint(b, o, root.size);
    }
    parts.push(b.subarray(0, o));
  }
  return concatBytes(...parts);
}

function decodeCommitInfo(version: number, buf: Uint8Array): CommitInfo {
  const r = new Reader(buf);
  const appHash = r.bytes(32);
  const n = r.uvarint();
  const roots = new Map<string, Node | undefined>();
  for (let i = 0; i < n; i++) {
    const name = Buffer.from(r.bytes(r.uvarint())).toString("utf8");
    const id = r.uvarint();
    if (id === 0) {
      roots.set(name, undefined);
    } else {
      const ho = r.pos;
      r.bytes(32);
      const height = r.uvarint();
      roots.set(name, shell(id, buf, ho, height, r.uvarint(), undefined));
    }
  }
  return { version, appHash, roots };
}

function encodeIds(ids: number[]): Uint8Array {
  const sorted = Float64Array.from(ids).sort();
  const buf = new Uint8Array(sorted.length * 9);
  let o = 0;
  let prev = 0;
  for (let i = 0; i < sorted.length; i++) {
    o = putUvarint(buf, o, sorted[i] - prev);
    prev = sorted[i];
  }
  return buf.slice(0, o);
}

function decodeIds(buf: Uint8Array): number[] {
  const r = new Reader(buf);
  const out: number[] = [];
  let prev = 0;
  while (r.pos < buf.length) {
    prev += r.uvarint();
    out.push(prev);
  }
  return out;
}

function sortNames(names: string[]): string[] {
  return names.slice().sort((a, b) => compareBytes(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
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

class StoreState {
  readonly nameBytes: Uint8Array;
  readonly flatPrefix: Uint8Array;
  readonly flatEnd: Uint8Array;
  /** Committed root at lastVersion. */
  root: Node | undefined = undefined;
  /** Root after applying the working writes (valid when `applied`). */
  dirtyRoot: Node | undefined = undefined;
  orphans: number[] = [];
  applied = true;
  readonly working: WorkingKVStore;
  readonly latest: LatestKVStore;

  constructor(
    readonly name: string,
    ms: CommitMultiStore,
    db: Db,
  ) {
    this.nameBytes = Buffer.from(name, "utf8");
    this.flatPrefix = concatBytes(Uint8Array.of(P_LATEST, this.nameBytes.length), this.nameBytes);
    this.flatEnd = this.flatPrefix.slice();
    this.flatEnd[this.flatEnd.length - 1]++; // utf8 never contains 0xff, so no carry
    this.latest = new LatestKVStore(db, this);
    this.working = new WorkingKVStore(ms, this, this.latest);
  }

  flatKey(key: Uint8Array): Uint8Array {
    const k = new Uint8Array(this.flatPrefix.length + key.length);
    k.set(this.flatPrefix, 0);
    k.set(key, this.flatPrefix.length);
    return k;
  }
}

/** Read-only access to the latest committed values through the flat index. */
class LatestKVStore implements KVStore {
  constructor(
    private readonly db: Db,
    private readonly st: StoreState,
  ) {}
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    assertKey(key);
    return this.getSync(key);
  }
  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.db.getSync(this.st.flatKey(key));
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
    return flatIterate(this.db, this.st.flatPrefix, this.st.flatEnd, range);
  }
}

/** The mutable state of one store for the next version: buffered writes over the latest values. */
class WorkingKVStore extends CacheKVStore {
  constructor(
    private readonly ms: CommitMultiStore,
    private readonly st: StoreState,
    parent: LatestKVStore,
  ) {
    super(parent);
  }
  protected override put(key: Uint8Array, value: Uint8Array | undefined): void {
    this.ms.assertWritable();
    super.put(key, value);
    this.st.applied = false;
    this.ms.invalidateWorkingHash();
  }
  override write(): void {
    throw new Error("the working state is persisted with CommitMultiStore.commit(), not write()");
  }
}

/** A committed version of one store: flat index while it is the latest version, tree otherwise. */
class CommittedKVStore implements KVStore {
  constructor(
    private readonly ms: CommitMultiStore,
    private readonly st: StoreState,
    private readonly version: number,
    private readonly root: Node | undefined,
  ) {}

  private useFlat(): boolean {
    this.ms.assertReadable(this.version);
    return this.ms.isSettledLatest(this.version);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    assertKey(key);
    if (this.useFlat()) return this.st.latest.getSync(key);
    return treeGet(this.ms.nodes, this.root, key);
  }

  async has(key: Uint8Array): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  set(): void {
    throw new Error(`store "${this.st.name}" at version ${this.version} is a read-only view`);
  }

  delete(): void {
    throw new Error(`store "${this.st.name}" at version ${this.version} is a read-only view`);
  }

  iterate(range?: KeyRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    assertRange(range);
    return this.iterateFrom(range);
  }

  /**
   * Source chosen when iteration starts (the first next()): the flat index if this is still the
   * settled latest version — its LevelDB iterator is created in the same step and reads a
   * snapshot, so later commits don't show through — otherwise the version's tree.
   */
  private async *iterateFrom(range: KeyRange | undefined): AsyncGenerator<[Uint8Array, Uint8Array]> {
    if (this.useFlat()) {
      yield* this.st.latest.iterate(range);
      return;
    }
    const limit = range?.limit;
    if (limit === 0) return;
    let count = 0;
    for (const n of treeIterate(this.ms.nodes, this.root, range?.start, range?.end, range?.reverse ?? false)) {
      yield [n.key!, n.value!];
      if (limit !== undefined && ++count >= limit) return;
      this.ms.assertReadable(this.version);
    }
  }
}

class CommittedMultiStore implements MultiStore {
  private readonly stores = new Map<string, CommittedKVStore>();
  constructor(
    private readonly ms: CommitMultiStore,
    private readonly info: CommitInfo,
  ) {}
  store(name: string): KVStore {
    let s = this.stores.get(name);
    if (s === undefined) {
      s = new CommittedKVStore(this.ms, this.ms.storeState(name), this.info.version, this.info.roots.get(name));
      this.stores.set(name, s);
    }
    return s;
  }
}

class WorkingMultiStore implements MultiStore {
  constructor(private readonly ms: CommitMultiStore) {}
  store(name: string): KVStore {
    return this.ms.storeState(name).working;
  }
}

export class CommitMultiStore {
  /** @internal */ readonly nodes: NodeDB;
  private readonly states = new Map<string, StoreState>();
  /** Stores in name (byte) order: the order of the app-hash Merkle leaves. */
  private readonly ordered: StoreState[];
  private readonly workingStore: WorkingMultiStore;
  private readonly infoCache = new Map<number, CommitInfo>();
  private _lastVersion = 0;
  private _lastAppMeta: Uint8Array | undefined;
  private _lastHash: Uint8Array;
  private _earliest = 0;
  /** Earliest version as persisted (pruning may lag behind `_earliest`). */
  private prunedTo = 0;
  private initialVersion = 1;
  private nextId = 1;
  private committing = false;
  private closed = false;
  private workingHashCache: Uint8Array | undefined;
  private pruning: Promise<void> = Promise.resolve();
  private pruneError: unknown = undefined;
  private prefetchWanted = true;
  /** Node records of the working version, encoded and hashed ahead of commit() (parallel path). */
  private prepared: Prepared | undefined = undefined;
  private hasher: ParallelHasher | undefined = undefined;
  /** Reused LevelDB batches: one for commits (filled from workingHash() on), one for pruning. */
  private readonly commitBatch: NativeBatch;
  private readonly pruneBatch: NativeBatch;
  private hasherFailed = false;
  private phaseMs = { prefetch: 0, apply: 0, hash: 0 };
  /** Figures about the last commit (for benchmarks and diagnostics). */
  lastCommitStats: CommitStats | undefined = undefined;

  private constructor(
    private readonly db: Db,
    names: string[],
    private readonly opts: Required<StoreOptions>,
  ) {
    this.nodes = new NodeDB(db, opts.cacheSize);
    this.commitBatch = new NativeBatch(db);
    this.pruneBatch = new NativeBatch(db);
    for (const name of sortNames(names)) this.states.set(name, new StoreState(name, this, db));
    this.ordered = Array.from(this.states.values());
    this.workingStore = new WorkingMultiStore(this);
    this._lastHash = this.appHash(this.ordered.map(() => EMPTY_HASH));
  }

  static async open(dir: string, storeNames: string[], opts: StoreOptions): Promise<CommitMultiStore> {
    if (!Array.isArray(storeNames) || storeNames.length === 0) throw new Error("at least one store name is required");
    const seen = new Set<string>();
    for (const n of storeNames) {
      if (typeof n !== "string" || n.length === 0) throw new Error(`invalid store name ${JSON.stringify(n)}`);
      if (Buffer.byteLength(n, "utf8") > 255) throw new Error(`store name "${n}" is longer than 255 bytes`);
      if (seen.has(n)) throw new Error(`duplicate store name "${n}"`);
      seen.add(n);
    }
    if (!opts || !Number.isSafeInteger(opts.keepRecent) || opts.keepRecent < 0) {
      throw new Error(`keepRecent must be a non-negative integer, got ${String(opts?.keepRecent)}`);
    }
    const cacheSize = opts.cacheSize ?? DEFAULT_CACHE;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) throw new Error(`cacheSize must be a non-negative integer`);
    mkdirSync(dir, { recursive: true });
    const db: Db = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
      keyEncoding: "view",
      valueEncoding: "view",
      writeBufferSize: 32 * 1024 * 1024,
      cacheSize: 32 * 1024 * 1024,
      maxFileSize: 8 * 1024 * 1024,
    });
    await db.open();
    try {
      const threshold = opts.parallelHashThreshold ?? DEFAULT_PARALLEL_HASH_THRESHOLD;
      if (!(threshold >= 0)) throw new Error("parallelHashThreshold must be a non-negative number");
      const ms = new CommitMultiStore(db, storeNames, {
        keepRecent: opts.keepRecent,
        cacheSize,
        syncWrites: opts.syncWrites ?? false,
        parallelHashThreshold: threshold,
      });
      await ms.load();
      return ms;
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  private async load(): Promise<void> {
    const meta = this.db.getSync(META_KEY);
    if (meta === undefined) return;
    const r = new Reader(meta);
    const last = r.uvarint();
    this.nextId = r.uvarint();
    const info = this.commitInfo(last);
    for (const name of info.roots.keys()) {
      if (!this.states.has(name)) {
        throw new Error(`the database has a store "${name}" that is not in the store names given to open(): ${this.ordered.map((s) => s.name).join(", ")}`);
      }
    }
    for (const st of this.ordered) {
      st.root = info.roots.get(st.name);
      st.dirtyRoot = st.root;
    }
    this._lastVersion = last;
    this._lastHash = info.appHash;
    this._lastAppMeta = this.db.getSync(APP_META_KEY);
    const e = this.db.getSync(EARLIEST_KEY);
    if (e === undefined) throw new Error("corrupt store: missing earliest version record");
    this.prunedTo = new Reader(e).uvarint();
    this._earliest = this.prunedTo;
    this.schedulePrune();
    await this.pruning;
    this.throwPruneError();
  }

  /** What the app passed to the last commit() that had `appMeta`, also after a restart. */
  get lastAppMeta(): Uint8Array | undefined {
    return this._lastAppMeta;
  }

  get lastVersion(): number {
    return this._lastVersion;
  }

  get lastHash(): Uint8Array {
    return this._lastHash;
  }

  /** Oldest readable committed version (0 when nothing is committed). */
  get earliestVersion(): number {
    return this._earliest;
  }

  /** The version the working state will be committed as. */
  get workingVersion(): number {
    return this._lastVersion > 0 ? this._lastVersion + 1 : this.initialVersion;
  }

  setInitialVersion(v: number): void {
    this.assertOpen();
    if (this._lastVersion > 0) throw new Error(`setInitialVersion must be called before the first commit (last version is ${this._lastVersion})`);
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`initial version must be a positive integer, got ${String(v)}`);
    this.initialVersion = v;
    this.dropPrepared();
    for (const st of this.ordered) st.applied = false;
    this.workingHashCache = undefined;
  }

  working(): MultiStore {
    this.assertOpen();
    return this.workingStore;
  }

  /**
   * App hash the working state would commit to. Synchronous: nodes missing from the cache are read
   * with getSync. `workingHashAsync()` gives the same result after prefetching them in parallel.
   * The result depends only on the committed state and the net writes (applied in key order, as
   * Cosmos' cachekv does), not on when or how often this is called.
   */
  workingHash(): Uint8Array {
    this.assertOpen();
    if (this.workingHashCache !== undefined) return this.workingHashCache;
    const version = this.workingVersion;
    const t0 = performance.now();
    let writes = 0;
    for (const st of this.ordered) {
      if (!st.applied) this.apply(st, version);
      writes += st.working.pendingWrites;
    }
    const t1 = performance.now();
    this.phaseMs.apply += t1 - t0;
    if (writes >= this.opts.parallelHashThreshold && this.prepared === undefined) {
      try {
        this.prepareParallel();
      } catch (e) {
        if (this.hasher === undefined || this.hasher.alive) throw e;
        // the worker died mid-job: the trees were reset, redo the version on the main thread
        for (const st of this.ordered) if (!st.applied) this.apply(st, version);
      }
    }
    this.workingHashCache = this.appHash(this.ordered.map((st) => (st.dirtyRoot === undefined ? EMPTY_HASH : hashOf(st.dirtyRoot))));
    this.phaseMs.hash += performance.now() - t1;
    return this.workingHashCache;
  }

  async workingHashAsync(): Promise<Uint8Array> {
    this.assertOpen();
    if (this.workingHashCache !== undefined) return this.workingHashCache;
    const pin = this.prefetchWanted;
    if (pin) this.nodes.beginPinning();
    try {
      // The level-by-level walk pays off when nodes must come from disk (after a restart, or
      // when the tree outgrows the cache); with a warm cache it is pure overhead, so it is
      // skipped until the synchronous path reports disk reads again.
      if (this.prefetchWanted) {
        const t0 = performance.now();
        let fetched = 0;
        for (const st of this.ordered) if (!st.applied) fetched += await this.prefetchPaths(st);
        this.prefetchWanted = this.worthPrefetching(fetched);
        this.phaseMs.prefetch += performance.now() - t0;
      }
      const reads = this.nodes.diskReads;
      const h = this.workingHash();
      if (this.worthPrefetching(this.nodes.diskReads - reads)) this.prefetchWanted = true;
      return h;
    } finally {
      if (pin) this.nodes.endPinning();
    }
  }

  resetWorking(): void {
    this.assertOpen();
    this.assertWritable();
    this.dropPrepared();
    for (const st of this.ordered) {
      st.working.discard();
      st.dirtyRoot = st.root;
      st.orphans = [];
      st.applied = true;
    }
    this.workingHashCache = undefined;
  }

  /**
   * `appMeta`, if given, is stored in the same atomic batch and returned by `lastAppMeta` after a
   * restart (the app keeps its last block time there); it is not hashed.
   */
  async commit(appMeta?: Uint8Array): Promise<{ version: number; hash: Uint8Array }> {
    this.assertOpen();
    if (this.committing) throw new Error("a commit is already in progress");
    this.committing = true;
    try {
      this.throwPruneError();
      const version = this.workingVersion;
      const t0 = performance.now();
      this.phaseMs = { prefetch: 0, apply: 0, hash: 0 };
      const hash = await this.workingHashAsync();
      const t1 = performance.now();
      const firstId = this.nextId;
      const prepared = this.prepared;
      this.prepared = undefined;
      const batch = this.commitBatch;
      let id = prepared?.endId ?? firstId;
      const rewritten: Node[] = prepared?.rewritten ?? [];
      const orphans: number[] = [];
      const roots = new Map<string, Node | undefined>();
      const enc = new Encoder(this.nodes.cache, batch);
      try {
        for (const st of this.ordered) {
          const root = st.dirtyRoot;
          if (root !== undefined && root.id === 0) {
            id = enc.writeTree(root, id);
            rewritten.push(root);
          }
          roots.set(st.name, root === undefined ? undefined : shell(root.id, root.hb!, root.ho, root.height, root.size, undefined));
          for (const o of st.orphans) orphans.push(o);
          for (const e of st.working.sortedEntries()) {
            if (e.value === undefined) batch.del(st.flatKey(e.key));
            else batch.put(st.flatKey(e.key), e.value);
          }
        }
        if (orphans.length > 0) batch.put(versionKey(P_ORPHANS, version), encodeIds(orphans));
        const info: CommitInfo = { version, appHash: hash, roots };
        batch.put(versionKey(P_COMMIT, version), encodeCommitInfo(info));
        const meta = new Uint8Array(20);
        batch.put(META_KEY, meta.subarray(0, putUvarint(meta, putUvarint(meta, 0, version), id)));
        if (this._lastVersion === 0) batch.put(EARLIEST_KEY, encodeUv(version));
        if (appMeta !== undefined) batch.put(APP_META_KEY, Uint8Array.from(appMeta));
        const t2 = performance.now();
        await batch.write(this.opts.syncWrites);
        this.lastCommitStats = {
          version,
          nodesWritten: id - firstId,
          orphans: orphans.length,
          prefetchMs: this.phaseMs.prefetch,
          applyMs: this.phaseMs.apply,
          hashMs: this.phaseMs.hash,
          workingHashMs: t1 - t0,
          encodeMs: t2 - t1,
          writeMs: performance.now() - t2,
        };
        this.rememberInfo(info);
      } catch (e) {
        // ids were handed out to dirty nodes: forget them and rebuild the working trees next time
        for (let i = firstId; i < id; i++) this.nodes.cache.delete(i);
        for (const st of this.ordered) st.applied = false;
        this.workingHashCache = undefined;
        batch.discard();
        throw e;
      }
      this.nextId = id;
      for (const o of orphans) this.nodes.cache.delete(o);
      for (const root of rewritten) detachChildren(root);
      for (const st of this.ordered) {
        st.root = st.dirtyRoot;
        st.orphans = [];
        st.applied = true;
        st.working.discard();
      }
      if (this._lastVersion === 0) {
        this._earliest = version;
        this.prunedTo = version;
      }
      this._lastVersion = version;
      this._lastHash = hash;
      if (appMeta !== undefined) this._lastAppMeta = Uint8Array.from(appMeta);
      this.workingHashCache = undefined;
      this.schedulePrune();
      return { version, hash };
    } finally {
      this.committing = false;
    }
  }

  /** Node cache occupancy (diagnostics). */
  cacheInfo(): { nodes: number; capacity: number; moved: number; evicted: number; diskReads: number } {
    const c = this.nodes.cache;
    return { nodes: c.size, capacity: c.maxNodes, moved: c.moved, evicted: c.evicted, diskReads: this.nodes.diskReads };
  }

  async view(version?: number): Promise<MultiStore> {
    this.assertOpen();
    const v = version ?? this._lastVersion;
    if (v === 0 && this._lastVersion === 0) {
      return new CommittedMultiStore(this, { version: 0, appHash: this._lastHash, roots: new Map() });
    }
    this.assertReadable(v);
    return new CommittedMultiStore(this, this.commitInfo(v));
  }

  async prove(storeName: string, key: Uint8Array, version: number): Promise<{ value?: Uint8Array; proof: ProofOp[] }> {
    this.assertOpen();
    assertKey(key);
    const st = this.storeState(storeName);
    this.assertReadable(version);
    const info = this.commitInfo(version);
    if (!info.roots.has(storeName)) throw new Error(`store "${storeName}" did not exist at version ${version}`);
    const { value, proof } = iavlCommitmentProof(this.nodes, info.roots.get(storeName), key);
    const items = this.namedRoots(info);
    const index = items.findIndex((i) => compareBytes(i.name, st.nameBytes) === 0);
    const simple = simpleExistenceProof(items, index);
    const ops: ProofOp[] = [
      { type: "ics23:iavl", key: key.slice(), data: encodeCommitmentProof(proof) },
      { type: "ics23:simple", key: st.nameBytes.slice(), data: encodeCommitmentProof({ exist: simple }) },
    ];
    return value === undefined ? { proof: ops } : { value, proof: ops };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.committing) throw new Error("cannot close while a commit is in progress");
    this.dropPrepared();
    this.closed = true;
    await this.pruning;
    await this.hasher?.close();
    await this.db.close();
    this.throwPruneError();
  }

  // ---- internals shared with the store classes ----

  /** @internal */
  storeState(name: string): StoreState {
    const st = this.states.get(name);
    if (st === undefined) throw new Error(`unknown store "${name}"; stores are: ${this.ordered.map((s) => s.name).join(", ")}`);
    return st;
  }

  /** @internal */
  assertWritable(): void {
    if (this.closed) throw new Error("the store is closed");
    if (this.committing) throw new Error("cannot write to the working state while a commit is in progress");
  }

  /** @internal */
  invalidateWorkingHash(): void {
    this.workingHashCache = undefined;
    this.dropPrepared();
  }

  /** @internal */
  assertReadable(v: number): void {
    this.assertOpen();
    if (!Number.isSafeInteger(v)) throw new Error(`version must be an integer, got ${String(v)}`);
    if (this._lastVersion === 0) {
      if (v === 0) return;
      throw new Error(`version ${v} is not available: nothing has been committed yet`);
    }
    if (v < this._earliest || v > this._lastVersion) {
      const why = v > this._lastVersion ? "not committed yet" : "pruned";
      throw new Error(`version ${v} is not available (${why}); readable versions are ${this._earliest}..${this._lastVersion}`);
    }
  }

  /** @internal True when `v` is the latest version and the flat index holds exactly its values. */
  isSettledLatest(v: number): boolean {
    return v === this._lastVersion && !this.committing;
  }

  // ---- private helpers ----

  private assertOpen(): void {
    if (this.closed) throw new Error("the store is closed");
  }

  /**
   * Parallel path of workingHash(): assigns ids to the dirty nodes of every store (post-order),
   * encodes them into shared memory while the worker hashes them behind, then queues the
   * finished records in a LevelDB batch and the node cache; commit() adds the rest and writes.
   */
  private prepareParallel(): void {
    if (this.hasher !== undefined && !this.hasher.alive) {
      this.hasher = undefined; // the worker died (it was reported): hash on the main thread from now on
      this.hasherFailed = true;
    }
    if (this.hasher === undefined && !this.hasherFailed) {
      this.hasher = ParallelHasher.create();
      this.hasherFailed = this.hasher === undefined;
    }
    const hasher = this.hasher;
    if (hasher === undefined) return;
    const firstId = this.nextId;
    const nodes: Node[] = [];
    const rewritten: Node[] = [];
    let bytes = 0;
    let id = firstId;
    const collect = (n: Node): void => {
      if (n.height > 0) {
        if (n.left!.id === 0) collect(n.left!);
        if (n.right!.id === 0) collect(n.right!);
      }
      n.id = id++;
      bytes += maxEncodedSize(n);
      nodes.push(n);
    };
    for (const st of this.ordered) {
      const root = st.dirtyRoot;
      if (root !== undefined && root.id === 0) {
        collect(root);
        rewritten.push(root);
      }
    }
    if (nodes.length === 0) return;
    if (bytes > MAX_PARALLEL_BYTES) {
      // e.g. a huge genesis in one version: keep to the main thread (ids are reassigned at commit)
      for (const n of nodes) n.id = 0;
      return;
    }
    const job = hasher.begin(nodes.length, bytes);
    const batch = this.commitBatch;
    const cache = this.nodes.cache;
    try {
      const recs = job.recs;
      const table = job.table;
      let used = 0;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i];
        const t = i * TABLE_STRIDE;
        table[t] = used;
        used = encodeDirty(n, recs, used, true);
        table[t + 1] = used;
        table[t + 2] = n.height > 0 && n.left!.hb === undefined ? n.left!.id - firstId : -1;
        table[t + 3] = n.height > 0 && n.right!.hb === undefined ? n.right!.id - firstId : -1;
        job.publish(i + 1);
      }
      const key = new Uint8Array(9);
      key[0] = NODE_PREFIX;
      for (let i = 0; i < nodes.length; i++) {
        job.waitHashed(i);
        const n = nodes[i];
        n.hb = job.out;
        n.ho = i * 32;
        const start = table[i * TABLE_STRIDE];
        const end = table[i * TABLE_STRIDE + 1];
        writeU64(key, 1, n.id);
        batch.put(key, recs.subarray(start, end));
        if (n.height > 0) cache.add(n.id, recs, start, end);
      }
    } catch (e) {
      job.abandon();
      hasher.forgetBuffers();
      for (let i = firstId; i < id; i++) cache.delete(i);
      batch.discard();
      for (const st of this.ordered) st.applied = false; // ids were handed out: rebuild
      throw e;
    }
    this.prepared = { firstId, endId: id, rewritten };
  }

  /** Forgets work prepared for the working version (its ids and cached records included). */
  private dropPrepared(): void {
    const p = this.prepared;
    if (p === undefined) return;
    this.prepared = undefined;
    for (let i = p.firstId; i < p.endId; i++) this.nodes.cache.delete(i);
    this.commitBatch.discard();
    for (const st of this.ordered) st.applied = false; // the dirty nodes carry the dropped ids
  }

  private worthPrefetching(misses: number): boolean {
    let rewritten = 0;
    for (const st of this.ordered) rewritten += st.orphans.length;
    return misses >= PREFETCH_MIN_MISSES && misses >= rewritten * PREFETCH_MISS_RATIO;
  }

  private apply(st: StoreState, version: number): void {
    const w = new TreeWriter(this.nodes, version);
    let root = st.root;
    for (const e of st.working.sortedEntries()) {
      root = e.value === undefined ? w.remove(root, e.key) : w.set(root, e.key, e.value);
    }
    st.dirtyRoot = root;
    st.orphans = w.orphans;
    st.applied = true;
  }

  /**
   * Loads, level by level with parallel multi-gets, the inner nodes on the paths of the pending
   * keys that are not in memory (leaves are never needed: parents know their keys and hashes).
   * Returns how many nodes had to be read.
   */
  private async prefetchPaths(st: StoreState): Promise<number> {
    const entries = st.working.sortedEntries();
    const root = st.root;
    if (root === undefined || root.height === 0 || entries.length === 0) return 0;
    let ptrs: Node[] = [root];
    let los: number[] = [0];
    let his: number[] = [entries.length];
    let fetched = 0;
    while (ptrs.length > 0) {
      const missing: number[] = [];
      for (const p of ptrs) if (p.key === undefined && !this.nodes.inMemory(p.id)) missing.push(p.id);
      await this.nodes.prefetch(missing);
      fetched += missing.length;
      const nPtrs: Node[] = [];
      const nLos: number[] = [];
      const nHis: number[] = [];
      for (let i = 0; i < ptrs.length; i++) {
        const n = nav(this.nodes, ptrs[i]);
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

  private appHash(rootHashes: Uint8Array[]): Uint8Array {
    return simpleMerkleRoot(this.ordered.map((st, i) => ({ name: st.nameBytes, root: rootHashes[i] })));
  }

  private namedRoots(info: CommitInfo): NamedRoot[] {
    const items: NamedRoot[] = [];
    for (const [n, root] of info.roots) items.push({ name: Buffer.from(n, "utf8"), root: root === undefined ? EMPTY_HASH : hashOf(root) });
    items.sort((a, b) => compareBytes(a.name, b.name));
    return items;
  }

  private commitInfo(v: number): CommitInfo {
    const cached = this.infoCache.get(v);
    if (cached !== undefined) return cached;
    const buf = this.db.getSync(versionKey(P_COMMIT, v));
    if (buf === undefined) throw new Error(`commit info for version ${v} is missing (pruned version or corrupt database)`);
    const info = decodeCommitInfo(v, buf);
    this.rememberInfo(info);
    return info;
  }

  private rememberInfo(info: CommitInfo): void {
    this.infoCache.set(info.version, info);
    if (this.infoCache.size > 64) this.infoCache.delete(this.infoCache.keys().next().value!);
  }

  private schedulePrune(): void {
    if (this.opts.keepRecent === 0 || this._lastVersion === 0) return;
    const target = this._lastVersion - this.opts.keepRecent + 1;
    if (target <= this._earliest) return;
    this._earliest = target; // reads of older versions are refused from now on
    for (const v of this.infoCache.keys()) if (v < target) this.infoCache.delete(v);
    this.pruning = this.pruning.then(() => this.pruneTo(target)).catch((e: unknown) => {
      this.pruneError = e;
    });
  }

  /**
   * Deletes the nodes orphaned by versions (prunedTo, target] — a node orphaned at version v was
   * last reachable from version v-1 — plus the commit infos of versions [prunedTo, target).
   * Runs in batches that each advance the persisted earliest version, so it can resume after a crash.
   */
  private async pruneTo(target: number): Promise<void> {
    while (this.prunedTo < target) {
      const from = this.prunedTo;
      const to = Math.min(target, from + PRUNE_VERSIONS_PER_BATCH);
      const batch = this.pruneBatch;
      const key = new Uint8Array(9);
      key[0] = NODE_PREFIX;
      for (let v = from + 1; v <= to; v++) {
        const ok = versionKey(P_ORPHANS, v);
        const buf = this.db.getSync(ok);
        if (buf !== undefined) {
          for (const id of decodeIds(buf)) {
            writeU64(key, 1, id);
            batch.del(key);
          }
          batch.del(ok);
        }
      }
      for (let v = from; v < to; v++) batch.del(versionKey(P_COMMIT, v));
      batch.put(EARLIEST_KEY, encodeUv(to));
      await batch.write(false);
      this.prunedTo = to;
    }
  }

  private throwPruneError(): void {
    if (this.pruneError !== undefined) {
      const e = this.pruneError;
      this.pruneError = undefined;
      throw e;
    }
  }
}

function encodeUv(n: number): Uint8Array {
  const b = new Uint8Array(uvarintSize(n));
  putUvarint(b, 0, n);
  return b;
}

function lowerBoundEntries(entries: Entry[], lo: number, hi: number, key: Uint8Array): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes(entries[mid].key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One atomic LevelDB write batch. Operations go straight to classic-level's native batch (its
 * `_put`/`_del`/`_write`), which copies each key and value when it is added: abstract-level's
 * public batch API re-validates and clones every operation in JavaScript, which took a third of
 * the commit time for ~100k operations, and our keys and values are already well-formed bytes.
 * Falls back to the public chained-batch API if those methods are not there.
 */
class NativeBatch {
  private b: ChainedBatchInternals;
  private readonly direct: boolean;
  constructor(private readonly db: Db) {
    this.b = db.batch() as unknown as ChainedBatchInternals;
    this.direct = typeof this.b._put === "function" && typeof this.b._del === "function" && typeof this.b._write === "function" && typeof this.b._clear === "function";
  }
  put(key: Uint8Array, value: Uint8Array): void {
    if (this.direct) this.b._put(key, value, NO_OPTIONS);
    else this.b.put(key, value);
  }
  del(key: Uint8Array): void {
    if (this.direct) this.b._del(key, NO_OPTIONS);
    else this.b.del(key);
  }
  /**
   * Writes the operations atomically and empties the batch for reuse. The native batch is kept
   * (and its buffer with it): classic-level frees a batch only when the GC finalizes it, so one
   * batch per commit would leave ~10 MiB of native memory per block waiting for a full GC.
   */
  async write(sync: boolean): Promise<void> {
    if (this.direct) {
      try {
        await this.b._write({ sync });
      } finally {
        this.b._clear();
      }
      return;
    }
    const b = this.b;
    this.b = this.db.batch() as unknown as ChainedBatchInternals;
    await b.write({ sync });
  }
  /** Drops the queued operations. */
  discard(): void {
    if (this.direct) {
      this.b._clear();
      return;
    }
    void this.b.close().catch(() => undefined);
    this.b = this.db.batch() as unknown as ChainedBatchInternals;
  }
}

const NO_OPTIONS = {};

interface ChainedBatchInternals {
  put(key: Uint8Array, value: Uint8Array): void;
  del(key: Uint8Array): void;
  write(options: { sync: boolean }): Promise<void>;
  close(): Promise<void>;
  _put(key: Uint8Array, value: Uint8Array, options: object): void;
  _del(key: Uint8Array, options: object): void;
  _write(options: { sync: boolean }): Promise<void>;
  _clear(): void;
}

/**
 * Assigns ids to dirty nodes in post-order and queues their records. Inner nodes are encoded
 * straight into the node cache (write-through; the batch copies the bytes); leaves go through a
 * scratch buffer and are not cached, since the latest values are read from the flat index and
 * writes never need leaves.
 */
class Encoder {
  private buf = new Uint8Array(4096);
  private readonly key = new Uint8Array(9);
  constructor(
    private readonly cache: NodeCache,
    private readonly batch: NativeBatch,
  ) {
    this.key[0] = NODE_PREFIX;
  }

  writeTree(n: Node, id: number): number {
    if (n.height > 0) {
      if (n.left!.id === 0) id = this.writeTree(n.left!, id);
      if (n.right!.id === 0) id = this.writeTree(n.right!, id);
    }
    ensureHash(n);
    n.id = id;
    const need = maxEncodedSize(n);
    writeU64(this.key, 1, id);
    const c = this.cache;
    if (n.height > 0 && c.reserve(need)) {
      const start = c.start;
      const end = encodeDirty(n, c.slab, start);
      this.batch.put(this.key, c.slab.subarray(start, end));
      c.commitReserved(id, end - start);
    } else {
      if (need > this.buf.length) this.buf = new Uint8Array(need * 2);
      const end = encodeDirty(n, this.buf, 0);
      this.batch.put(this.key, this.buf.subarray(0, end));
    }
    return id + 1;
  }
}
