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
import { putUvarint, putZigzag } from "./bytes";
import { sha256Into } from "./sha256";

export class Node {
  key: Uint8Array | undefined;
  value: Uint8Array | undefined;
  height: number;
  size: number;
  version: number;
  id: number;
  /** The hash is hb[ho, ho+32) — a view-free reference into a shared buffer; hb undefined = not computed. */
  hb: Uint8Array | undefined;
  ho: number;
  left: Node | undefined;
  right: Node | undefined;
  /** Freshly decoded and referenced by nobody else: may be turned into a dirty node in place. */
  owned: boolean;

  constructor(
    key: Uint8Array | undefined,
    value: Uint8Array | undefined,
    height: number,
    size: number,
    version: number,
    id: number,
    hb: Uint8Array | undefined,
    ho: number,
    left: Node | undefined,
    right: Node | undefined,
    owned: boolean,
  ) {
    this.key = key;
    this.value = value;
    this.height = height;
    this.size = size;
    this.version = version;
    this.id = id;
    this.hb = hb;
    this.ho = ho;
    this.left = left;
    this.right = right;
    this.owned = owned;
  }
}

export function newLeaf(key: Uint8Array, value: Uint8Array, version: number): Node {
  return new Node(key, value, 0, 1, version, 0, undefined, 0, undefined, undefined, false);
}

/** A dirty inner node; height and size are computed from the children. */
export function newInner(key: Uint8Array, left: Node, right: Node, version: number): Node {
  const h = (left.height > right.height ? left.height : right.height) + 1;
  return new Node(key, undefined, h, left.size + right.size, version, 0, undefined, 0, left, right, false);
}

/** A reference to a persisted node whose hash is hb[ho, ho+32). */
export function shell(id: number, hb: Uint8Array, ho: number, height: number, size: number, key: Uint8Array | undefined): Node {
  return new Node(key, undefined, height, size, 0, id, hb, ho, undefined, undefined, false);
}

/** A shell referring to a node that has an id and a hash. */
export function shellOf(n: Node): Node {
  ensureHash(n);
  return shell(n.id, n.hb!, n.ho, n.height, n.size, n.height === 0 ? n.key : undefined);
}

/** A dirty version of a persisted inner node (sharing its children); reuses a freshly decoded object. */
export function cloneInner(n: Node, version: number): Node {
  if (n.owned) {
    n.owned = false;
    n.id = 0;
    n.version = version;
    n.hb = undefined;
    return n;
  }
  return new Node(n.key, undefined, n.height, n.size, version, 0, undefined, 0, n.left, n.right, false);
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

// Hashes are written into shared 64 KiB chunks and referenced by (chunk, offset): no object per
// hash, which matters at ~100k new hashes per block.
const ARENA = 1 << 16;
let arena = new Uint8Array(ARENA);
let arenaPos = ARENA;

function copy32(dst: Uint8Array, off: number, src: Uint8Array, so: number): number {
  for (let i = 0; i < 32; i++) dst[off + i] = src[so + i];
  return off + 32;
}

/** Computes (once) and stores the node's hash; dirty children are hashed first. */
export function ensureHash(n: Node): void {
  if (n.hb !== undefined) return;
  let o: number;
  if (n.height === 0) {
    // sha256( zz(0) zz(1) zz(version) uv(len key) key uv(32) sha256(value) )
    const key = n.key!;
    const value = n.value!;
    sha256Into(value, 0, value.length, valueHash, 0);
    if (scratch.length < key.length + 64) scratch = new Uint8Array(key.length + 64);
    const t = scratch;
    t[0] = 0;
    t[1] = 2;
    o = putZigzag(t, 2, n.version);
    o = putUvarint(t, o, key.length);
    t.set(key, o);
    o += key.length;
    t[o++] = 32;
    o = copy32(t, o, valueHash, 0);
  } else {
    // sha256( zz(height) zz(size) zz(version) uv(32) leftHash uv(32) rightHash )
    const l = n.left!;
    const r = n.right!;
    ensureHash(l);
    ensureHash(r);
    const s = scratch; // read after the children: hashing a leaf with a long key may replace it
    o = putZigzag(s, 0, n.height);
    o = putZigzag(s, o, n.size);
    o = putZigzag(s, o, n.version);
    s[o++] = 32;
    o = copy32(s, o, l.hb!, l.ho);
    s[o++] = 32;
    o = copy32(s, o, r.hb!, r.ho);
  }
  if (arenaPos === ARENA) {
    arena = new Uint8Array(ARENA);
    arenaPos = 0;
  }
  sha256Into(scratch, 0, o, arena, arenaPos);
  n.hb = arena;
  n.ho = arenaPos;
  arenaPos += 32;
}

/** The node's hash as a (new) view. */
export function hashOf(n: Node): Uint8Array {
  ensureHash(n);
  return n.hb!.subarray(n.ho, n.ho + 32);
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

/**
 * Encodes a dirty node whose children already have ids. A child without a computed hash is
 * hashed first, or, with `placeholders`, gets 32 zero bytes for the hashing worker to patch.
 * Returns the end offset.
 */
export function encodeDirty(n: Node, buf: Uint8Array, off: number, placeholders = false): number {
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
  off = writeChildHash(l, buf, off, placeholders);
  buf[off++] = l.height;
  off = putUvarint(buf, off, l.size);
  if (l.height === 0) {
    off = putUvarint(buf, off, l.key!.length);
    off = copy(buf, off, l.key!);
  }
  off = putUvarint(buf, off, r.id);
  off = writeChildHash(r, buf, off, placeholders);
  buf[off++] = r.height;
  return off;
}

function writeChildHash(c: Node, buf: Uint8Array, off: number, placeholders: boolean): number {
  if (c.hb === undefined) {
    if (placeholders) {
      buf.fill(0, off, off + 32);
      return off + 32;
    }
    ensureHash(c);
  }
  return copy32(buf, off, c.hb!, c.ho);
}

/** After a commit: the root keeps only shells of its children, so the written tree can be freed. */
export function detachChildren(n: Node): void {
  n.owned = false;
  if (n.height > 0) {
    n.left = shellOf(n.left!);
    n.right = shellOf(n.right!);
  }
}

// decoding cursor (module-level, so decoding allocates nothing but the node and its views)
let dBuf: Uint8Array = new Uint8Array(0);
let dPos = 0;
let dEnd = 0;

function dUvarint(): number {
  let result = 0;
  let mul = 1;
  for (;;) {
    if (dPos >= dEnd) throw new Error("truncated tree node");
    const b = dBuf[dPos++];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
    if (mul > 2 ** 56) throw new Error("varint too long in tree node");
  }
}

function dBytes(n: number): Uint8Array {
  if (dPos + n > dEnd) throw new Error("truncated tree node");
  const b = dBuf.subarray(dPos, dPos + n);
  dPos += n;
  return b;
}

export function decodeNode(id: number, buf: Uint8Array, start = 0, end = buf.length): Node {
  dBuf = buf;
  dPos = start;
  dEnd = end;
  const height = dUvarint();
  if (height === 0) {
    const version = dUvarint();
    const key = dBytes(dUvarint());
    return new Node(key, buf.subarray(dPos, end), 0, 1, version, id, undefined, 0, undefined, undefined, true);
  }
  const size = dUvarint();
  const version = dUvarint();
  const key = dBytes(dUvarint());
  const lId = dUvarint();
  const lHash = dPos;
  dPos += 32;
  const lHeight = dUvarint();
  const lSize = dUvarint();
  const lKey = lHeight === 0 ? dBytes(dUvarint()) : undefined;
  const rId = dUvarint();
  const rHash = dPos;
  dPos += 32;
  const rHeight = dUvarint();
  if (dPos !== end) throw new Error(`tree node ${id}: ${end - dPos} trailing bytes`);
  return new Node(
    key,
    undefined,
    height,
    size,
    version,
    id,
    undefined,
    0,
    shell(lId, buf, lHash, lHeight, lSize, lKey),
    shell(rId, buf, rHash, rHeight, size - lSize, rHeight === 0 ? key : undefined),
    true,
  );
}
