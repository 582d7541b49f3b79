/**
 * The KVStore / MultiStore views the app and the modules see: the working state of the next
 * version, and read-only views of committed versions. They reach the CommitMultiStore only
 * through ViewHost, the few checks and lookups they need, so those stay private to the store.
 */
import { CacheKVStore } from "./cachekv";
import type { LatestKVStore } from "./flat-index";
import type { CommitInfo } from "./layout";
import type { Node } from "./node";
import { NodeSource, treeGet, treeIterate } from "./tree";
import { KeyRange, KVStore, MultiStore } from "./types";
import { assertKey, assertRange } from "./validate";

/**
 * What the views need from the CommitMultiStore that owns them. The store hands its views an
 * object implementing this rather than making these methods public.
 */
export interface ViewHost {
  /** Nodes of the committed trees (reads of versions other than the settled latest one). */
  readonly nodes: NodeSource;
  /** The named store; throws for a name the store was not opened with. */
  storeState(name: string): ViewedStore;
  /** Throws unless the working state may be written now (store open, no commit in progress). */
  assertWritable(): void;
  /** The working state changed: forget its hash and the work prepared for it. */
  invalidateWorkingHash(): void;
  /** Throws unless version `v` can be read (committed and not pruned). */
  assertReadable(v: number): void;
  /** True when `v` is the latest version and the flat index holds exactly its values. */
  isSettledLatest(v: number): boolean;
}

/** The parts of one store's state (StoreState) that the views use. */
export interface ViewedStore {
  readonly name: string;
  readonly latest: LatestKVStore;
  readonly working: KVStore;
  /** Whether the store's working tree reflects its working writes; a write clears it. */
  applied: boolean;
}

/** The mutable state of one store for the next version: buffered writes over the latest values. */
export class WorkingKVStore extends CacheKVStore {
  constructor(
    private readonly host: ViewHost,
    private readonly st: ViewedStore,
    parent: LatestKVStore,
  ) {
    super(parent);
  }
  protected override put(key: Uint8Array, value: Uint8Array | undefined): void {
    this.host.assertWritable();
    super.put(key, value);
    this.st.applied = false;
    this.host.invalidateWorkingHash();
  }
  override write(): void {
    throw new Error("the working state is persisted with CommitMultiStore.commit(), not write()");
  }
}

/** A committed version of one store: flat index while it is the latest version, tree otherwise. */
class CommittedKVStore implements KVStore {
  constructor(
    private readonly host: ViewHost,
    private readonly st: ViewedStore,
    private readonly version: number,
    private readonly root: Node | undefined,
  ) {}

  private useFlat(): boolean {
    this.host.assertReadable(this.version);
    return this.host.isSettledLatest(this.version);
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    assertKey(key);
    if (this.useFlat()) return this.st.latest.getSync(key);
    return treeGet(this.host.nodes, this.root, key);
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
    for (const n of treeIterate(this.host.nodes, this.root, range?.start, range?.end, range?.reverse ?? false)) {
      yield [n.key!, n.value!];
      if (limit !== undefined && ++count >= limit) return;
      this.host.assertReadable(this.version);
    }
  }
}

export class CommittedMultiStore implements MultiStore {
  private readonly stores = new Map<string, CommittedKVStore>();
  constructor(
    private readonly host: ViewHost,
    private readonly info: CommitInfo,
  ) {}
  store(name: string): KVStore {
    let s = this.stores.get(name);
    if (s === undefined) {
      s = new CommittedKVStore(this.host, this.host.storeState(name), this.info.version, this.info.roots.get(name));
      this.stores.set(name, s);
    }
    return s;
  }
}

export class WorkingMultiStore implements MultiStore {
  constructor(private readonly host: ViewHost) {}
  store(name: string): KVStore {
    return this.host.storeState(name).working;
  }
}
