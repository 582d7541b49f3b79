/**
 * Exporting a committed version for a state-sync snapshot: each store's tree as its nodes in
 * post-order (height, version, key, and a leaf's value), as cosmos/iavl's Exporter does, which is
 * enough for snapshot-import.ts to rebuild the very same trees (same shapes, same node versions,
 * so the same hashes). The version is held against pruning until the export is closed.
 */
import type { CommitInfo } from "./layout";
import type { Node } from "./node";
import { NodeSource, resolve } from "./tree";

export interface ExportedNode {
  height: number;
  version: number;
  key: Uint8Array;
  /** A leaf's value; undefined for inner nodes. */
  value?: Uint8Array;
}

export class VersionExport {
  private closed = false;

  constructor(
    private readonly nodes: NodeSource,
    private readonly info: CommitInfo,
    private readonly release: () => void,
  ) {}

  get version(): number {
    return this.info.version;
  }

  get appHash(): Uint8Array {
    return this.info.appHash;
  }

  /** The stores of the version, in name (byte) order. */
  get storeNames(): string[] {
    return Array.from(this.info.roots.keys());
  }

  /** The store's nodes in post-order (children before their parent, left before right). */
  *nodesOf(name: string): Generator<ExportedNode> {
    if (!this.info.roots.has(name)) throw new Error(`store "${name}" did not exist at version ${this.info.version}`);
    const root = this.info.roots.get(name);
    if (root === undefined) return;
    // Each stack entry is a node and whether its children were pushed already.
    const stack: Array<{ n: Node; expanded: boolean }> = [{ n: resolve(this.nodes, root), expanded: false }];
    while (stack.length > 0) {
      if (this.closed) throw new Error(`the export of version ${this.info.version} was closed`);
      const top = stack[stack.length - 1];
      const n = top.n;
      if (n.height > 0 && !top.expanded) {
        top.expanded = true;
        stack.push({ n: resolve(this.nodes, n.right!), expanded: false });
        stack.push({ n: resolve(this.nodes, n.left!), expanded: false });
        continue;
      }
      stack.pop();
      yield n.height === 0 ? { height: 0, version: n.version, key: n.key!, value: n.value! } : { height: n.height, version: n.version, key: n.key! };
    }
  }

  /** Lets pruning delete the version again; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}
