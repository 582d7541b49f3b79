/**
 * CommitMultiStore: named IAVL trees persisted in one LevelDB, committed together as one version
 * per block, with an app hash computed like Cosmos' rootmulti. See docs/store.md for the design.
 *
 * This file is one concept, the store's lifecycle (open, working state, workingHash, commit,
 * views and proofs of versions, exports and restores of versions for state sync, close) and the
 * version bookkeeping those steps share; it runs over 500 lines because commit() must keep it all
 * consistent in one place. The parts it
 * drives live next to it: layout.ts (LevelDB keys and records), store-state.ts and views.ts
 * (per-store state and the KVStore views), flat-index.ts (latest-value reads), apply-writes.ts
 * (writes into the trees), hash-pipeline.ts (worker-thread hashing), batch.ts (LevelDB batches,
 * node encoding), pruning.ts, and for state sync snapshot-export.ts and snapshot-import.ts.
 */
import { mkdirSync } from "node:fs";
import { ClassicLevel } from "classic-level";
import { applyWrites, prefetchPaths, worthPrefetching } from "./apply-writes";
import { Encoder, NativeBatch } from "./batch";
import { compareBytes } from "./bytes";
import { HashPipeline } from "./hash-pipeline";
import {
  APP_META_KEY,
  CommitInfo,
  Db,
  decodeCommitInfo,
  decodeEarliest,
  decodeMeta,
  EARLIEST_KEY,
  encodeCommitInfo,
  encodeEarliest,
  encodeIds,
  encodeMeta,
  META_KEY,
  P_COMMIT,
  P_ORPHANS,
  RESTORE_KEY,
  sortNames,
  versionKey,
} from "./layout";
import { detachChildren, hashOf, Node, shell } from "./node";
import { NodeDB } from "./nodedb";
import { encodeCommitmentProof, iavlCommitmentProof, NamedRoot, simpleExistenceProof, simpleMerkleRoot } from "./proofs";
import { Pruner } from "./pruning";
import { EMPTY_HASH } from "./sha256";
import { VersionExport } from "./snapshot-export";
import { StoreImporter } from "./snapshot-import";
import { StoreState } from "./store-state";
import { MultiStore } from "./types";
import { assertKey } from "./validate";
import { CommittedMultiStore, ViewHost, WorkingMultiStore } from "./views";

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

const DEFAULT_CACHE = 1_000_000;
const DEFAULT_PARALLEL_HASH_THRESHOLD = 200;

export class CommitMultiStore {
  private readonly nodes: NodeDB;
  private readonly states = new Map<string, StoreState>();
  /** Stores in name (byte) order: the order of the app-hash Merkle leaves. */
  private readonly ordered: StoreState[];
  /** What the views get to see of this store (ViewHost keeps these internals off the public API). */
  private readonly viewHost: ViewHost;
  private readonly workingStore: WorkingMultiStore;
  private readonly infoCache = new Map<number, CommitInfo>();
  private _lastVersion = 0;
  private _lastAppMeta: Uint8Array | undefined;
  private _lastHash: Uint8Array;
  private _earliest = 0;
  private initialVersion = 1;
  private nextId = 1;
  private committing = false;
  private closed = false;
  /** A snapshot restore is writing into the (empty) database. */
  private restoring = false;
  /** Versions being exported, with their number of exports: pruning keeps them. */
  private readonly held = new Map<number, number>();
  private workingHashCache: Uint8Array | undefined;
  private prefetchWanted = true;
  /** Reused LevelDB batch for commits (filled from workingHash() on). */
  private readonly commitBatch: NativeBatch;
  private readonly pipeline: HashPipeline;
  private readonly pruner: Pruner;
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
    this.pruner = new Pruner(db);
    this.viewHost = {
      nodes: this.nodes,
      storeState: (name) => this.storeState(name),
      assertWritable: () => this.assertWritable(),
      invalidateWorkingHash: () => this.invalidateWorkingHash(),
      assertReadable: (v) => this.assertReadable(v),
      isSettledLatest: (v) => this.isSettledLatest(v),
    };
    for (const name of sortNames(names)) this.states.set(name, new StoreState(name, this.viewHost, db));
    this.ordered = Array.from(this.states.values());
    this.pipeline = new HashPipeline(this.nodes.cache, this.commitBatch, this.ordered);
    this.workingStore = new WorkingMultiStore(this.viewHost);
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
      // A restore that did not finish left partial data: the database was empty before it began.
      if (db.getSync(RESTORE_KEY) !== undefined) await db.clear();
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
    const { lastVersion: last, nextId } = decodeMeta(meta);
    this.nextId = nextId;
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
    this.pruner.prunedTo = decodeEarliest(e);
    this._earliest = this.pruner.prunedTo;
    this.schedulePrune();
    await this.pruner.idle();
    this.pruner.throwError();
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
    this.pipeline.drop();
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
      if (!st.applied) applyWrites(this.nodes, st, version);
      writes += st.working.pendingWrites;
    }
    const t1 = performance.now();
    this.phaseMs.apply += t1 - t0;
    if (writes >= this.opts.parallelHashThreshold && !this.pipeline.hasPrepared) {
      try {
        this.pipeline.prepare(this.nextId);
      } catch (e) {
        if (!this.pipeline.workerDied) throw e;
        // the worker died mid-job: the trees were reset, redo the version on the main thread
        for (const st of this.ordered) if (!st.applied) applyWrites(this.nodes, st, version);
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
        for (const st of this.ordered) if (!st.applied) fetched += await prefetchPaths(this.nodes, st);
        this.prefetchWanted = worthPrefetching(fetched, this.ordered);
        this.phaseMs.prefetch += performance.now() - t0;
      }
      const reads = this.nodes.diskReads;
      const h = this.workingHash();
      if (worthPrefetching(this.nodes.diskReads - reads, this.ordered)) this.prefetchWanted = true;
      return h;
    } finally {
      if (pin) this.nodes.endPinning();
    }
  }

  resetWorking(): void {
    this.assertOpen();
    this.assertWritable();
    this.pipeline.drop();
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
    if (this.restoring) throw new Error("cannot commit while a snapshot is being restored");
    this.committing = true;
    try {
      this.pruner.throwError();
      const version = this.workingVersion;
      const t0 = performance.now();
      this.phaseMs = { prefetch: 0, apply: 0, hash: 0 };
      const hash = await this.workingHashAsync();
      const t1 = performance.now();
      const firstId = this.nextId;
      const prepared = this.pipeline.take();
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
            if (e.value === undefined) batch.del(st.latest.flatKey(e.key));
            else batch.put(st.latest.flatKey(e.key), e.value);
          }
        }
        if (orphans.length > 0) batch.put(versionKey(P_ORPHANS, version), encodeIds(orphans));
        const info: CommitInfo = { version, appHash: hash, roots };
        batch.put(versionKey(P_COMMIT, version), encodeCommitInfo(info));
        batch.put(META_KEY, encodeMeta(version, id));
        if (this._lastVersion === 0) batch.put(EARLIEST_KEY, encodeEarliest(version));
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
        this.pruner.prunedTo = version;
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
      return new CommittedMultiStore(this.viewHost, { version: 0, appHash: this._lastHash, roots: new Map() });
    }
    this.assertReadable(v);
    return new CommittedMultiStore(this.viewHost, this.commitInfo(v));
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

  /**
   * A committed version's trees for a snapshot, read while the chain goes on: the version is kept
   * from pruning until the export is closed.
   */
  exportVersion(version: number): VersionExport {
    this.assertReadable(version);
    if (this._lastVersion === 0) throw new Error("nothing has been committed yet");
    const info = this.commitInfo(version);
    this.held.set(version, (this.held.get(version) ?? 0) + 1);
    return new VersionExport({ get: (id) => this.nodes.peek(id) }, info, () => {
      const n = this.held.get(version)! - 1;
      if (n > 0) this.held.set(version, n);
      else this.held.delete(version);
      if (!this.closed) this.schedulePrune();
    });
  }

  /**
   * Starts restoring a snapshot of `version` into this store, which must be empty (nothing
   * committed). The importer's commit() makes it the last version; its abort() empties the store again.
   */
  async beginRestore(version: number): Promise<StoreImporter> {
    this.assertOpen();
    if (this._lastVersion !== 0) throw new Error(`cannot restore a snapshot into a non-empty store (it is at version ${this._lastVersion})`);
    if (this.restoring) throw new Error("a snapshot restore is already in progress");
    this.resetWorking();
    const importer = new StoreImporter(this.db, this.ordered.map((st) => st.name), version, async (committed) => {
      this.restoring = false;
      if (committed) await this.load();
    });
    this.restoring = true;
    try {
      await importer.begin();
    } catch (e) {
      this.restoring = false;
      throw e;
    }
    return importer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.committing) throw new Error("cannot close while a commit is in progress");
    this.pipeline.drop();
    this.closed = true;
    await this.pruner.idle();
    await this.pipeline.close();
    await this.db.close();
    this.pruner.throwError();
  }

  // ---- private helpers ----

  private storeState(name: string): StoreState {
    const st = this.states.get(name);
    if (st === undefined) throw new Error(`unknown store "${name}"; stores are: ${this.ordered.map((s) => s.name).join(", ")}`);
    return st;
  }

  private assertWritable(): void {
    if (this.closed) throw new Error("the store is closed");
    if (this.committing) throw new Error("cannot write to the working state while a commit is in progress");
  }

  private invalidateWorkingHash(): void {
    this.workingHashCache = undefined;
    this.pipeline.drop();
  }

  private assertReadable(v: number): void {
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

  /** True when `v` is the latest version and the flat index holds exactly its values. */
  private isSettledLatest(v: number): boolean {
    // while restoring, the flat index holds a partial import, not version 0's (empty) state
    return v === this._lastVersion && !this.committing && !this.restoring;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("the store is closed");
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
    let target = this._lastVersion - this.opts.keepRecent + 1;
    for (const v of this.held.keys()) target = Math.min(target, v);
    if (target <= this._earliest) return;
    this._earliest = target; // reads of older versions are refused from now on
    for (const v of this.infoCache.keys()) if (v < target) this.infoCache.delete(v);
    this.pruner.schedule(target);
  }
}
