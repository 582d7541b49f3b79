/**
 * IAVL+ tree algorithms (set/remove with AVL rebalancing exactly as cosmos/iavl's MutableTree,
 * point reads, ordered iteration, index lookups) over the Node representation of node.ts.
 */
import { compareBytes } from "./bytes";
import { cloneInner, newInner, newLeaf, Node, recalc } from "./node";

/** Loads persisted nodes by id (synchronously: cache, or a LevelDB getSync). */
export interface NodeSource {
  get(id: number): Node;
}

/** The node with its full content (a leaf with its value). */
export function resolve(src: NodeSource, p: Node): Node {
  if (p.height > 0 ? p.key !== undefined : p.value !== undefined) return p;
  const n = src.get(p.id);
  if (n.hb === undefined) {
    n.hb = p.hb;
    n.ho = p.ho;
  }
  return n;
}

/** Enough of the node to navigate and rewrite the tree: a leaf's key suffices. */
export function nav(src: NodeSource, p: Node): Node {
  if (p.key !== undefined) return p;
  const n = src.get(p.id);
  if (n.hb === undefined) {
    n.hb = p.hb;
    n.ho = p.ho;
  }
  return n;
}

function balanceOf(n: Node): number {
  return n.left!.height - n.right!.height;
}

/**
 * Applies writes for one version. Dirty nodes are mutated in place (they belong to this version
 * only); persisted nodes are cloned first and their ids recorded in `orphans`.
 */
export class TreeWriter {
  readonly orphans: number[] = [];
  private updated = false;
  private removed = false;
  private newKey: Uint8Array | undefined = undefined;

  constructor(
    private readonly src: NodeSource,
    readonly version: number,
  ) {}

  set(root: Node | undefined, key: Uint8Array, value: Uint8Array): Node {
    if (root === undefined) return newLeaf(key, value, this.version);
    this.updated = false;
    return this.recSet(root, key, value);
  }

  /** Returns the new root (undefined when the tree became empty); a missing key is a no-op. */
  remove(root: Node | undefined, key: Uint8Array): Node | undefined {
    if (root === undefined) return undefined;
    this.removed = false;
    this.newKey = undefined;
    const r = this.recRemove(root, key);
    return this.removed ? r : root;
  }

  private mutable(n: Node): Node {
    if (n.id === 0) return n;
    this.orphans.push(n.id);
    return cloneInner(n, this.version);
  }

  private recSet(p: Node, key: Uint8Array, value: Uint8Array): Node {
    const n = nav(this.src, p);
    if (n.height === 0) {
      const c = compareBytes(key, n.key!);
      if (c < 0) return newInner(n.key!, newLeaf(key, value, this.version), n, this.version);
      if (c > 0) return newInner(key, n, newLeaf(key, value, this.version), this.version);
      this.updated = true;
      if (n.id !== 0) this.orphans.push(n.id);
      return newLeaf(key, value, this.version);
    }
    const d = this.mutable(n);
    if (compareBytes(key, d.key!) < 0) d.left = this.recSet(d.left!, key, value);
    else d.right = this.recSet(d.right!, key, value);
    if (this.updated) return d;
    recalc(d);
    return this.balance(d);
  }

  private recRemove(p: Node, key: Uint8Array): Node | undefined {
    const n = nav(this.src, p);
    if (n.height === 0) {
      if (compareBytes(key, n.key!) === 0) {
        this.removed = true;
        if (n.id !== 0) this.orphans.push(n.id);
        return undefined;
      }
      return n;
    }
    if (compareBytes(key, n.key!) < 0) {
      const nl = this.recRemove(n.left!, key);
      if (!this.removed) return p;
      if (nl === undefined) {
        // the left child was the removed leaf: this node is replaced by its right subtree, whose
        // smallest key (this node's key) becomes the new smallest key of the enclosing subtree
        if (n.id !== 0) this.orphans.push(n.id);
        this.newKey = n.key;
        return n.right!;
      }
      const d = this.mutable(n);
      d.left = nl;
      recalc(d);
      return this.balance(d);
    }
    const nr = this.recRemove(n.right!, key);
    if (!this.removed) return p;
    if (nr === undefined) {
      if (n.id !== 0) this.orphans.push(n.id);
      this.newKey = undefined;
      return n.left!;
    }
    const d = this.mutable(n);
    d.right = nr;
    if (this.newKey !== undefined) {
      d.key = this.newKey;
      this.newKey = undefined;
    }
    recalc(d);
    return this.balance(d);
  }

  /** d is dirty. */
  private balance(d: Node): Node {
    const b = d.left!.height - d.right!.height;
    if (b > 1) {
      if (balanceOf(nav(this.src, d.left!)) >= 0) return this.rotateRight(d);
      d.left = this.rotateLeft(d.left!);
      return this.rotateRight(d);
    }
    if (b < -1) {
      if (balanceOf(nav(this.src, d.right!)) <= 0) return this.rotateLeft(d);
      d.right = this.rotateRight(d.right!);
      return this.rotateLeft(d);
    }
    return d;
  }

  private rotateRight(p: Node): Node {
    const n = this.mutable(nav(this.src, p));
    const l = this.mutable(nav(this.src, n.left!));
    n.left = l.right;
    l.right = n;
    recalc(n);
    recalc(l);
    return l;
  }

  private rotateLeft(p: Node): Node {
    const n = this.mutable(nav(this.src, p));
    const r = this.mutable(nav(this.src, n.right!));
    n.right = r.left;
    r.left = n;
    recalc(n);
    recalc(r);
    return r;
  }
}

export function treeGet(src: NodeSource, root: Node | undefined, key: Uint8Array): Uint8Array | undefined {
  if (root === undefined) return undefined;
  let n = resolve(src, root);
  while (n.height > 0) {
    n = compareBytes(key, n.key!) < 0 ? resolve(src, n.left!) : resolve(src, n.right!);
  }
  return compareBytes(key, n.key!) === 0 ? n.value : undefined;
}

/**
 * The leaf the search for `key` ends at and its index: the largest leaf key <= key if there is
 * one, otherwise the leftmost leaf.
 */
export function treeSearch(src: NodeSource, root: Node, key: Uint8Array): { leaf: Node; index: number } {
  let n = resolve(src, root);
  let index = 0;
  while (n.height > 0) {
    if (compareBytes(key, n.key!) < 0) {
      n = resolve(src, n.left!);
    } else {
      index += n.left!.size;
      n = resolve(src, n.right!);
    }
  }
  return { leaf: n, index };
}

export function treeGetByIndex(src: NodeSource, root: Node, index: number): Node {
  let n = resolve(src, root);
  if (index < 0 || index >= n.size) throw new Error(`index ${index} out of range [0, ${n.size})`);
  while (n.height > 0) {
    const ls = n.left!.size;
    if (index < ls) {
      n = resolve(src, n.left!);
    } else {
      index -= ls;
      n = resolve(src, n.right!);
    }
  }
  return n;
}

/** In-order traversal of leaves with start <= key < end (ascending, or descending if reverse). */
export function* treeIterate(
  src: NodeSource,
  root: Node | undefined,
  start: Uint8Array | undefined,
  end: Uint8Array | undefined,
  reverse: boolean,
): Generator<Node> {
  if (root === undefined) return;
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = resolve(src, stack.pop()!);
    if (n.height === 0) {
      const k = n.key!;
      if ((start === undefined || compareBytes(k, start) >= 0) && (end === undefined || compareBytes(k, end) < 0)) yield n;
      continue;
    }
    // left subtree holds keys < n.key, right subtree keys >= n.key
    const goLeft = start === undefined || compareBytes(start, n.key!) < 0;
    const goRight = end === undefined || compareBytes(end, n.key!) > 0;
    if (reverse) {
      if (goLeft) stack.push(n.left!);
      if (goRight) stack.push(n.right!);
    } else {
      if (goRight) stack.push(n.right!);
      if (goLeft) stack.push(n.left!);
    }
  }
}
