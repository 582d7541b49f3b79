/**
 * Pruning in the background: deleting the nodes and commit infos of versions no longer kept, in
 * batches that each persist their progress (the `e` record), so a crash only delays it. The store
 * decides which versions are kept; this deletes the rest.
 */
import { writeU64 } from "./bytes";
import { NativeBatch } from "./batch";
import { Db, decodeIds, EARLIEST_KEY, encodeEarliest, P_COMMIT, P_ORPHANS, versionKey } from "./layout";
import { NODE_PREFIX } from "./nodedb";

const PRUNE_VERSIONS_PER_BATCH = 50;

export class Pruner {
  /** Earliest version as persisted (pruning may lag behind the store's earliest readable version). */
  prunedTo = 0;
  private pruning: Promise<void> = Promise.resolve();
  private pruneError: unknown = undefined;
  /** Reused LevelDB batch (see NativeBatch.write). */
  private readonly batch: NativeBatch;

  constructor(private readonly db: Db) {
    this.batch = new NativeBatch(db);
  }

  /** Queues pruning up to `target` behind any pruning in progress; a failure is kept for throwError(). */
  schedule(target: number): void {
    this.pruning = this.pruning.then(() => this.pruneTo(target)).catch((e: unknown) => {
      this.pruneError = e;
    });
  }

  /** Resolves when the pruning scheduled so far is over (it never rejects). */
  idle(): Promise<void> {
    return this.pruning;
  }

  /** Throws (once) the error of a failed pruning, if any. */
  throwError(): void {
    if (this.pruneError !== undefined) {
      const e = this.pruneError;
      this.pruneError = undefined;
      throw e;
    }
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
      const batch = this.batch;
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
      batch.put(EARLIEST_KEY, encodeEarliest(to));
      await batch.write(false);
      this.prunedTo = to;
    }
  }
}
