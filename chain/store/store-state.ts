/**
 * StoreState: everything the CommitMultiStore keeps about one named store — its committed and
 * working tree roots, the nodes the working writes orphan, and its two faces (the flat index of
 * the latest values, the buffered writes of the next version). Shared by the store, the write
 * application and the hashing pipeline.
 */
import { LatestKVStore } from "./flat-index";
import type { Db } from "./layout";
import type { Node } from "./node";
import { ViewedStore, ViewHost, WorkingKVStore } from "./views";

export class StoreState implements ViewedStore {
  readonly nameBytes: Uint8Array;
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
    host: ViewHost,
    db: Db,
  ) {
    this.nameBytes = Buffer.from(name, "utf8");
    this.latest = new LatestKVStore(db, this.nameBytes);
    this.working = new WorkingKVStore(host, this, this.latest);
  }
}
