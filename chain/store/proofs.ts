/**
 * ICS23 proofs: IAVL existence / non-existence proofs for a store's tree, and the Tendermint
 * "simple Merkle" tree over the stores' root hashes that yields the app hash (Cosmos rootmulti).
 */
import { ics23 } from "@confio/ics23";
import { compareBytes, concatBytes, putUvarint, putZigzag } from "./bytes";
import { hashOf, Node } from "./node";
import { sha256 } from "./sha256";
import { NodeSource, resolve, treeGetByIndex, treeSearch } from "./tree";

const { HashOp, LengthOp } = ics23;
const LEN32 = Uint8Array.of(32);

function zz3(height: number, size: number, version: number): Uint8Array {
  const b = new Uint8Array(30);
  let o = putZigzag(b, 0, height);
  o = putZigzag(b, o, size);
  o = putZigzag(b, o, version);
  return b.slice(0, o);
}

/** Existence proof for a key present in the tree rooted at `root`; throws if it is absent. */
export function iavlExistenceProof(src: NodeSource, root: Node, key: Uint8Array): ics23.IExistenceProof {
  const path: ics23.IInnerOp[] = [];
  let n = resolve(src, root);
  while (n.height > 0) {
    const lh = hashOf(n.left!);
    const rh = hashOf(n.right!);
    const head = zz3(n.height, n.size, n.version);
    if (compareBytes(key, n.key!) < 0) {
      path.push({ hash: HashOp.SHA256, prefix: concatBytes(head, LEN32), suffix: concatBytes(LEN32, rh) });
      n = resolve(src, n.left!);
    } else {
      path.push({ hash: HashOp.SHA256, prefix: concatBytes(head, LEN32, lh, LEN32), suffix: new Uint8Array(0) });
      n = resolve(src, n.right!);
    }
  }
  if (compareBytes(key, n.key!) !== 0) throw new Error("key not in tree");
  path.reverse();
  return {
    key: n.key,
    value: n.value,
    leaf: {
      hash: HashOp.SHA256,
      prehashKey: HashOp.NO_HASH,
      prehashValue: HashOp.SHA256,
      length: LengthOp.VAR_PROTO,
      prefix: zz3(0, 1, n.version),
    },
    path,
  };
}

/**
 * A CommitmentProof for `key`: existence if present, otherwise non-existence carrying the
 * existence proofs of the left and right neighbours (either may be absent at the edges).
 * An empty tree has no neighbours, so ICS23 cannot express absence in it: that throws.
 */
export function iavlCommitmentProof(
  src: NodeSource,
  root: Node | undefined,
  key: Uint8Array,
): { value?: Uint8Array; proof: ics23.ICommitmentProof } {
  if (root === undefined) throw new Error("cannot prove a key against an empty tree (ICS23 has no empty non-existence proof)");
  const { leaf, index } = treeSearch(src, root, key);
  const c = compareBytes(leaf.key!, key);
  if (c === 0) return { value: leaf.value, proof: { exist: iavlExistenceProof(src, root, key) } };
  const nonexist: ics23.INonExistenceProof = { key };
  if (c < 0) {
    nonexist.left = iavlExistenceProof(src, root, leaf.key!);
    if (index + 1 < resolve(src, root).size) {
      nonexist.right = iavlExistenceProof(src, root, treeGetByIndex(src, root, index + 1).key!);
    }
  } else {
    nonexist.right = iavlExistenceProof(src, root, leaf.key!);
  }
  return { proof: { nonexist } };
}

// ---- simple Merkle tree over (store name -> store root) ----

function kvLeafHash(key: Uint8Array, value: Uint8Array): Uint8Array {
  const vh = sha256(value);
  const b = new Uint8Array(1 + 10 + key.length + 1 + 32);
  b[0] = 0;
  let o = putUvarint(b, 1, key.length);
  b.set(key, o);
  o += key.length;
  b[o++] = 32;
  b.set(vh, o);
  o += 32;
  return sha256(b, 0, o);
}

function innerSimple(l: Uint8Array, r: Uint8Array): Uint8Array {
  const b = new Uint8Array(65);
  b[0] = 1;
  b.set(l, 1);
  b.set(r, 33);
  return sha256(b);
}

/** Largest power of two strictly less than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function simpleRootOf(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0];
  const k = splitPoint(leaves.length);
  return innerSimple(simpleRootOf(leaves.slice(0, k)), simpleRootOf(leaves.slice(k)));
}

export interface NamedRoot {
  name: Uint8Array; // utf8 store name
  root: Uint8Array; // the store's root hash
}

/** Items must be sorted by name (unsigned byte order). */
export function simpleMerkleRoot(items: NamedRoot[]): Uint8Array {
  return simpleRootOf(items.map((i) => kvLeafHash(i.name, i.root)));
}

/** ICS23 existence proof of items[index] (name -> root) in the simple Merkle tree. */
export function simpleExistenceProof(items: NamedRoot[], index: number): ics23.IExistenceProof {
  const leaves = items.map((i) => kvLeafHash(i.name, i.root));
  const path: ics23.IInnerOp[] = [];
  const walk = (lo: number, hi: number): void => {
    // collects the steps from the root down; reversed at the end
    if (hi - lo <= 1) return;
    const mid = lo + splitPoint(hi - lo);
    if (index < mid) {
      path.push({ hash: HashOp.SHA256, prefix: Uint8Array.of(1), suffix: simpleRootOf(leaves.slice(mid, hi)) });
      walk(lo, mid);
    } else {
      path.push({ hash: HashOp.SHA256, prefix: concatBytes(Uint8Array.of(1), simpleRootOf(leaves.slice(lo, mid))), suffix: new Uint8Array(0) });
      walk(mid, hi);
    }
  };
  walk(0, leaves.length);
  path.reverse();
  return {
    key: items[index].name,
    value: items[index].root,
    leaf: {
      hash: HashOp.SHA256,
      prehashKey: HashOp.NO_HASH,
      prehashValue: HashOp.SHA256,
      length: LengthOp.VAR_PROTO,
      prefix: Uint8Array.of(0),
    },
    path,
  };
}

export function encodeCommitmentProof(p: ics23.ICommitmentProof): Uint8Array {
  return ics23.CommitmentProof.encode(p).finish();
}
