/**
 * IAVL tree nodes: in-memory representation, IAVL hashing and the storage encoding.
 *
 * Every inner node object points at its two children through `left`/`right`. A node is in one of
 * three states:
 *  - dirty (id === 0): created while applying the working version's writes; its children may be
 *    dirty, persisted or shells;
 *  - persisted (id > 0, key set, value set for leaves): decoded from storage; its children are
 *    shells. Decoded nodes are transient (the cache keeps encoded bytes), so they never keep a
 *    subtree alive;
 *  - shell (id > 0, no content): a reference to a persisted node with what its parent knows about
 *    it (hash, height, size — and, for a leaf, its key, which parents store so that writes never
 *    have to load leaves). A shell is resolved through the node source when more is needed.
 *
 * IAVL invariant used throughout: an inner node's key is the smallest key of its right subtree, so
 * a right leaf child's key is its parent's key; only left leaf children's keys are stored.
 */
import { putUvarint, putZigzag, Reader } from "./bytes";
import { sha256Into } from "./sha256";

export class Node {
  key: Uint8Array | undefined;
  value: Uint8Array | undefined;
  height: number;
  size: number;
  version: number;
  id: number;
  hash: Uint8Array | undefined;
  left: Node | undefined;
  right: Node | undefined;

  constructor(
    key: Uint8Array | undefined,
    value: Uint8Array | undefined,
    height: number,
    size: number,
    version: number,
    id: number,
    hash: Uint8Array | undefined,
    left: Node | undefined,
    right: Node | undefined,
  ) {
    this.key = key;
    this.value = value;
    this.height = height;
    this.size = size;
    this.version = version;
    this.id = id;
    this.hash = hash;
    this.left = left;
    this.right = right;
  }
}

export function newLeaf(key: Uint8Array, value: Uint8Array, version: number): Node {
  return new Node(key, value, 0, 1, version, 0, undefined, undefined, undefined);
}

/** A dirty inner node; height and size are computed from the children. */
export function newInner(key: Uint8Array, left: Node, right: Node, version: number): Node {
  const h = (left.height > right.height ? left.height : right.height) + 1;
  return new Node(key, undefined, h, left.size + right.size, version, 0, undefined, left, right);
}

export function shell(id: number, hash: Uint8Array, height: number, size: number, key: Uint8Array | undefined): Node {
  return new Node(key, undefined, height, size, 0, id, hash, undefined, undefined);
}

/** A shell referring to a node that has an id and a hash. */
export function shellOf(n: Node): Node {
  return shell(n.id, hashOf(n), n.height, n.size, n.height === 0 ? n.key : undefined);
}

/** Dirty copy of a persisted inner node (sharing its children). */
export function cloneInner(n: Node, version: number): Node {
  return new Node(n.key, undefined, n.height, n.size, version, 0, undefined, n.left, n.right);
}

export function recalc(n: Node): void {
  const l = n.left!;
  const r = n.right!;
  n.height = (l.height > r.height ? l.height : r.height) + 1;
  n.size = l.size + r.size;
}

// ---- hashing ----

let scratch = new Uint8Array(256);
const valueHash = new Uint8Array(32);

/** sha256( zz(0) zz(1) zz(version) uv(len key) key uv(32) sha256(value) ) */
export function leafHash(key: Uint8Array, value: Uint8Array, version: number): Uint8Array {
  sha256Into(value, 0, value.length, valueHash, 0);
  if (scratch.length < key.length + 64) scratch = new Uint8Array(key.length + 64);
  const s = scratch;
  s[0] = 0;
  s[1] = 2;
  let o = putZigzag(s, 2, version);
  o = putUvarint(s, o, key.length);
  o = copy(s, o, key);
  s[o++] = 32;
  o = copy(s, o, valueHash);
  const out = new Uint8Array(32);
  sha256Into(s, 0, o, out, 0);
  return out;
}

/** sha256( zz(height) zz(size) zz(version) uv(32) leftHash uv(32) rightHash ) */
export function innerHash(height: number, size: number, version: number, l: Uint8Array, r: Uint8Array): Uint8Array {
  const s = scratch;
  let o = putZigzag(s, 0, height);
  o = putZigzag(s, o, size);
  o = putZigzag(s, o, version);
  s[o++] = 32;
  o = copy(s, o, l);
  s[o++] = 32;
  o = copy(s, o, r);
  const out = new Uint8Array(32);
  sha256Into(s, 0, o, out, 0);
  return out;
}

/** Hash of any node (dirty ones are hashed bottom-up, once; the result is memoised). */
export function hashOf(n: Node): Uint8Array {
  if (n.hash !== undefined) return n.hash;
  const h = n.height === 0 ? leafHash(n.key!, n.value!, n.version) : innerHash(n.height, n.size, n.version, hashOf(n.left!), hashOf(n.right!));
  n.hash = h;
  return h;
}

// ---- storage encoding ----
// leaf:  uv(0) uv(version) uv(len key) key value
// inner: uv(height) uv(size) uv(version) uv(len key) key
//        uv(lId) lHash uv(lHeight) uv(lSize) [uv(len lKey) lKey, if the left child is a leaf]
//        uv(rId) rHash uv(rHeight)                     (rSize = size - lSize; right leaf key = key)

/** Upper bound of the encoded size of a dirty node. */
export function maxEncodedSize(n: Node): number {
  if (n.height === 0) return 32 + n.key!.length + n.value!.length;
  const l = n.left!;
  return 128 + n.key!.length + (l.height === 0 ? l.key!.length : 0);
}

function copy(dst: Uint8Array, off: number, src: Uint8Array): number {
  dst.set(src, off);
  return off + src.length;
}

/** Encodes a dirty node whose children already have ids and hashes. Returns the end offset. */
export function encodeDirty(n: Node, buf: Uint8Array, off: number): number {
  const k = n.key!;
  if (n.height === 0) {
    buf[off++] = 0;
    off = putUvarint(buf, off, n.version);
    off = putUvarint(buf, off, k.length);
    off = copy(buf, off, k);
    return copy(buf, off, n.value!);
  }
  const l = n.left!;
  const r = n.right!;
  buf[off++] = n.height;
  off = putUvarint(buf, off, n.size);
  off = putUvarint(buf, off, n.version);
  off = putUvarint(buf, off, k.length);
  off = copy(buf, off, k);
  off = putUvarint(buf, off, l.id);
  off = copy(buf, off, hashOf(l));
  buf[off++] = l.height;
  off = putUvarint(buf, off, l.size);
  if (l.height === 0) {
    off = putUvarint(buf, off, l.key!.length);
    off = copy(buf, off, l.key!);
  }
  off = putUvarint(buf, off, r.id);
  off = copy(buf, off, hashOf(r));
  buf[off++] = r.height;
  return off;
}

/** After a commit: the root keeps only shells of its children, so the written tree can be freed. */
export function detachChildren(n: Node): void {
  if (n.height > 0) {
    n.left = shellOf(n.left!);
    n.right = shellOf(n.right!);
  }
}

export function decodeNode(id: number, buf: Uint8Array, start = 0, end = buf.length): Node {
  const r = new Reader(buf, start, end);
  const height = r.uvarint();
  if (height === 0) {
    const version = r.uvarint();
    const key = r.bytes(r.uvarint());
    return new Node(key, r.rest(), 0, 1, version, id, undefined, undefined, undefined);
  }
  const size = r.uvarint();
  const version = r.uvarint();
  const key = r.bytes(r.uvarint());
  const lId = r.uvarint();
  const lHash = r.bytes(32);
  const lHeight = r.uvarint();
  const lSize = r.uvarint();
  const lKey = lHeight === 0 ? r.bytes(r.uvarint()) : undefined;
  const rId = r.uvarint();
  const rHash = r.bytes(32);
  const rHeight = r.uvarint();
  if (r.pos !== end) throw new Error(`tree node ${id}: ${end - r.pos} trailing bytes`);
  return new Node(
    key,
    undefined,
    height,
    size,
    version,
    id,
    undefined,
    shell(lId, lHash, lHeight, lSize, lKey),
    shell(rId, rHash, rHeight, size - lSize, rHeight === 0 ? key : undefined),
  );
}
