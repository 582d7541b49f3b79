/**
 * Writing to LevelDB: NativeBatch, the atomic write batch every commit and pruning step goes
 * through, and Encoder, which fills a batch with the records of a version's new tree nodes on
 * the main thread (hash-pipeline.ts is the worker-thread counterpart).
 */
import { writeU64 } from "./bytes";
import type { Db } from "./layout";
import { encodeDirty, ensureHash, maxEncodedSize, Node } from "./node";
import { NODE_PREFIX, NodeCache } from "./nodedb";

/**
 * One atomic LevelDB write batch. Operations go straight to classic-level's native batch (its
 * `_put`/`_del`/`_write`), which copies each key and value when it is added: abstract-level's
 * public batch API re-validates and clones every operation in JavaScript, which took a third of
 * the commit time for ~100k operations, and our keys and values are already well-formed bytes.
 * Falls back to the public chained-batch API if those methods are not there.
 */
export class NativeBatch {
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
export class Encoder {
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
