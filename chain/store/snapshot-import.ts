/**
 * Importing a state-sync snapshot into an empty store: each store's nodes arrive in post-order
 * (snapshot-export.ts) and are rebuilt bottom-up into the same trees, written with fresh node ids
 * together with the flat index. The nodes come from a peer, so everything the hashes do not cover
 * is checked (inner keys, key order, heights, balance); the hashes themselves are checked by the
 * caller, who compares `finish()`'s app hash with the trusted one before `commit()`.
 *
 * Crash safety: the first batch writes the `r` marker, the last one (`commit()`) the `m` record
 * and removes the marker; `CommitMultiStore.open` wipes a database that still has the marker, so
 * a node killed mid-restore starts again empty.
 */
import { Encoder, NativeBatch } from "./batch";
import { compareBytes } from "./bytes";
import {
  APP_META_KEY,
  CommitInfo,
  Db,
  EARLIEST_KEY,
  encodeCommitInfo,
  encodeEarliest,
  encodeMeta,
  flatPrefix,
  META_KEY,
  P_COMMIT,
  RESTORE_KEY,
  versionKey,
} from "./layout";
import { hashOf, newInner, newLeaf, Node, shellOf } from "./node";
import { NodeCache } from "./nodedb";
import { simpleMerkleRoot } from "./proofs";
import { EMPTY_HASH } from "./sha256";
import type { ExportedNode } from "./snapshot-export";

/** Operations per LevelDB batch while importing. */
const OPS_PER_BATCH = 20_000;

interface Pending {
  node: Node;
  /** Smallest and largest key of the subtree. */
  min: Uint8Array;
  max: Uint8Array;
}

export class StoreImporter {
  private readonly batch: NativeBatch;
  private readonly enc: Encoder;
  private readonly roots = new Map<string, Node | undefined>();
  private nextId = 1;
  private ops = 0;
  private current: string | undefined;
  private prefix: Uint8Array = new Uint8Array(0);
  private stack: Pending[] = [];
  private lastLeafKey: Uint8Array | undefined;
  private done = false;

  /** `names` are all the store's names; `onEnd(committed)` runs once, after commit() or abort(). */
  constructor(
    private readonly db: Db,
    private readonly names: string[],
    private readonly version: number,
    private readonly onEnd: (committed: boolean) => Promise<void>,
  ) {
    if (!Number.isSafeInteger(version) || version < 1) throw new Error(`snapshot version must be a positive integer, got ${String(version)}`);
    this.batch = new NativeBatch(db);
    // A cache of size 0: nothing of a restore that may be abandoned stays in memory.
    this.enc = new Encoder(new NodeCache(0), this.batch);
  }

  /** Writes the marker; call before anything else. */
  async begin(): Promise<void> {
    this.batch.put(RESTORE_KEY, Uint8Array.of(1));
    await this.batch.write(true);
  }

  /** Starts the next store; stores come in name (byte) order, each exactly once. */
  startStore(name: string): void {
    this.assertActive();
    this.endStore();
    const expected = this.names[this.roots.size];
    if (name !== expected) {
      throw new Error(expected === undefined ? `unexpected store "${name}" after the last store` : `expected store "${expected}", got "${name}"`);
    }
    this.current = name;
    this.prefix = flatPrefix(Buffer.from(name, "utf8"));
    this.stack = [];
    this.lastLeafKey = undefined;
  }

  add(n: ExportedNode): void {
    this.assertActive();
    if (this.current === undefined) throw new Error("a tree node before any store");
    if (!Number.isSafeInteger(n.version) || n.version < 1 || n.version > this.version) {
      throw new Error(`node version ${String(n.version)} outside 1..${this.version}`);
    }
    if (n.key.length === 0) throw new Error("empty key in a tree node");
    if (n.height === 0) this.addLeaf(n);
    else this.addInner(n);
  }

  /** Writes the queued operations when enough have gathered. */
  async flushIfFull(): Promise<void> {
    if (this.ops >= OPS_PER_BATCH) await this.flush();
  }

  /** Ends the last store and returns the app hash of the imported state. */
  finish(): Uint8Array {
    this.assertActive();
    this.endStore();
    if (this.roots.size !== this.names.length) throw new Error(`the snapshot holds ${this.roots.size} of the ${this.names.length} stores (${this.names.join(", ")})`);
    return simpleMerkleRoot(this.names.map((name) => {
      const root = this.roots.get(name);
      return { name: Buffer.from(name, "utf8"), root: root === undefined ? EMPTY_HASH : hashOf(root) };
    }));
  }

  /** Makes the imported state the store's committed version (one atomic batch, removing the marker). */
  async commit(appHash: Uint8Array, appMeta: Uint8Array | undefined): Promise<void> {
    this.assertActive();
    const info: CommitInfo = { version: this.version, appHash, roots: this.roots };
    await this.flush();
    this.batch.put(versionKey(P_COMMIT, this.version), encodeCommitInfo(info));
    this.batch.put(META_KEY, encodeMeta(this.version, this.nextId));
    this.batch.put(EARLIEST_KEY, encodeEarliest(this.version));
    if (appMeta !== undefined) this.batch.put(APP_META_KEY, Uint8Array.from(appMeta));
    this.batch.del(RESTORE_KEY);
    await this.batch.write(true);
    this.done = true;
    await this.onEnd(true);
  }

  /** Wipes everything imported so far (the database was empty before). */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.batch.discard();
    await this.db.clear();
    await this.onEnd(false);
  }

  private addLeaf(n: ExportedNode): void {
    if (n.value === undefined || n.value.length === 0) throw new Error("a leaf without a value");
    if (this.lastLeafKey !== undefined && compareBytes(n.key, this.lastLeafKey) <= 0) throw new Error("leaf keys out of order");
    const key = Uint8Array.from(n.key);
    const leaf = newLeaf(key, n.value, n.version);
    this.nextId = this.enc.writeTree(leaf, this.nextId);
    const flat = new Uint8Array(this.prefix.length + key.length);
    flat.set(this.prefix, 0);
    flat.set(key, this.prefix.length);
    this.batch.put(flat, n.value);
    this.ops += 2;
    this.lastLeafKey = key;
    this.stack.push({ node: shellOf(leaf), min: key, max: key });
  }

  private addInner(n: ExportedNode): void {
    const r = this.stack.pop();
    const l = this.stack.pop();
    if (l === undefined || r === undefined) throw new Error("an inner node without two children");
    const expected = Math.max(l.node.height, r.node.height) + 1;
    if (n.height !== expected) throw new Error(`inner node of height ${n.height} over children of heights ${l.node.height} and ${r.node.height}`);
    if (Math.abs(l.node.height - r.node.height) > 1) throw new Error("an unbalanced inner node");
    // The key is not hashed: it must be the smallest key of the right subtree, or reads would go astray.
    if (compareBytes(n.key, r.min) !== 0) throw new Error("an inner node's key is not the smallest key of its right subtree");
    const inner = newInner(r.min, l.node, r.node, n.version);
    this.nextId = this.enc.writeTree(inner, this.nextId);
    this.ops++;
    this.stack.push({ node: shellOf(inner), min: l.min, max: r.max });
  }

  private endStore(): void {
    if (this.current === undefined) return;
    if (this.stack.length > 1) throw new Error(`store "${this.current}": ${this.stack.length} subtrees left without a parent`);
    this.roots.set(this.current, this.stack[0]?.node);
    this.current = undefined;
    this.stack = [];
  }

  private async flush(): Promise<void> {
    await this.batch.write(false);
    this.ops = 0;
  }

  private assertActive(): void {
    if (this.done) throw new Error("this restore is over");
  }
}
