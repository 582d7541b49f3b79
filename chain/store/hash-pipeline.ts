/**
 * The store's side of parallel hashing (the worker itself is in hasher.ts): on a large version,
 * workingHash() assigns ids to the dirty nodes, encodes them into shared memory while the worker
 * hashes them behind, and queues the finished records in the commit batch ahead of commit().
 * Owns the worker's lifecycle and falls back to the main thread for good if it dies.
 */
import { writeU64 } from "./bytes";
import type { NativeBatch } from "./batch";
import { ParallelHasher, TABLE_STRIDE } from "./hasher";
import { encodeDirty, maxEncodedSize, Node } from "./node";
import { NODE_PREFIX, NodeCache } from "./nodedb";
import type { StoreState } from "./store-state";

/** Record bytes of one version above which hashing stays on the main thread (shared-memory offsets are int32). */
const MAX_PARALLEL_BYTES = 1 << 30;

/** Node records of the working version, queued in the commit batch and the node cache. */
interface Prepared {
  firstId: number;
  endId: number;
  rewritten: Node[];
}

export class HashPipeline {
  private hasher: ParallelHasher | undefined = undefined;
  private hasherFailed = false;
  /** Node records of the working version, encoded and hashed ahead of commit() (parallel path). */
  private prepared: Prepared | undefined = undefined;

  constructor(
    private readonly cache: NodeCache,
    private readonly batch: NativeBatch,
    private readonly states: readonly StoreState[],
  ) {}

  get hasPrepared(): boolean {
    return this.prepared !== undefined;
  }

  /** True when the worker died (possibly in the middle of prepare()). */
  get workerDied(): boolean {
    return this.hasher !== undefined && !this.hasher.alive;
  }

  /**
   * Parallel path of workingHash(): assigns ids from `firstId` to the dirty nodes of every store
   * (post-order), encodes them into shared memory while the worker hashes them behind, then
   * queues the finished records in the LevelDB batch and the node cache; commit() adds the rest
   * and writes.
   */
  prepare(firstId: number): void {
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
    for (const st of this.states) {
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
    const batch = this.batch;
    const cache = this.cache;
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
      for (const st of this.states) st.applied = false; // ids were handed out: rebuild
      throw e;
    }
    this.prepared = { firstId, endId: id, rewritten };
  }

  /** Hands the prepared work to commit(), which writes it. */
  take(): Prepared | undefined {
    const p = this.prepared;
    this.prepared = undefined;
    return p;
  }

  /** Forgets work prepared for the working version (its ids and cached records included). */
  drop(): void {
    const p = this.prepared;
    if (p === undefined) return;
    this.prepared = undefined;
    for (let i = p.firstId; i < p.endId; i++) this.cache.delete(i);
    this.batch.discard();
    for (const st of this.states) st.applied = false; // the dirty nodes carry the dropped ids
  }

  async close(): Promise<void> {
    await this.hasher?.close();
  }
}
