/**
 * CometBFT's simple Merkle tree (RFC 6962 hashing, `crypto/merkle/tree.go`, `proof.go`): leaves are
 * sha256(0x00‖item), inner nodes sha256(0x01‖left‖right), and a node over n > 1 items splits them at
 * the largest power of two below n, so the tree is never padded (no Bitcoin-style duplicate leaf).
 * Used for header fields (the header hash, validator sets) and for tx / result inclusion proofs.
 */
import { bytesEqual } from "../../chain/store/bytes";
import { sha256 } from "../../chain/store/sha256";
import { fail } from "./errors";

/** CometBFT's `MaxAunts`: a proof deeper than this is refused before any hashing. */
export const MAX_AUNTS = 100;
const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0);
const INNER_PREFIX = Uint8Array.of(1);

export function leafHash(x: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + x.length);
  buf.set(LEAF_PREFIX, 0);
  buf.set(x, 1);
  return sha256(buf);
}

export function innerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf.set(INNER_PREFIX, 0);
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return sha256(buf);
}

/** The largest power of two strictly below n (n >= 2): the size of the left subtree. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** `HashFromByteSlices`: the root over the items (each is leaf-hashed here); empty → sha256(""). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  return rootOf(leaves, 0, leaves.length);
}

function rootOf(items: readonly Uint8Array[], start: number, n: number): Uint8Array {
  if (n === 1) return leafHash(items[start]!);
  const k = splitPoint(n);
  return innerHash(rootOf(items, start, k), rootOf(items, start + k, n - k));
}

/**
 * `total` and `index` only select the path (left/right at each level): the tree does not commit to
 * its size, so the same aunts verify under every (index, total) with that path — leaf 4 of 5 is also
 * "leaf 1 of 2". What a verified proof establishes is the path, which in a tree of known size is one
 * position; the claimed numbers themselves are not authenticated (CometBFT behaves the same).
 */
export interface MerkleProof {
  readonly total: number;
  readonly index: number;
  /** leafHash(item) of the proven item. */
  readonly leafHash: Uint8Array;
  /** Sibling hashes from the leaf up to the root (CometBFT's order). */
  readonly aunts: readonly Uint8Array[];
}

/** How many aunts a proof of `index` in a tree of `total` leaves has: the depth of that leaf. */
export function expectedAunts(index: number, total: number): number {
  let depth = 0;
  while (total > 1) {
    const k = splitPoint(total);
    if (index < k) total = k;
    else {
      index -= k;
      total -= k;
    }
    depth++;
  }
  return depth;
}

/**
 * `ProofsFromByteSlices` for one item: the relayer-side builder (block results, tests). The proof it
 * returns is what `verifyMerkleProof` checks against `merkleRoot(items)`.
 */
export function buildMerkleProof(items: readonly Uint8Array[], index: number): MerkleProof {
  if (!Number.isSafeInteger(index) || index < 0 || index >= items.length) {
    fail("bad-merkle-proof", `index ${index} outside 0..${items.length - 1}`);
  }
  const aunts: Uint8Array[] = [];
  let start = 0;
  let n = items.length;
  let i = index;
  // Walk down collecting siblings, then reverse: CometBFT lists aunts leaf-first.
  while (n > 1) {
    const k = splitPoint(n);
    if (i < k) {
      aunts.push(rootOf(items, start + k, n - k));
      n = k;
    } else {
      aunts.push(rootOf(items, start, k));
      start += k;
      i -= k;
      n -= k;
    }
  }
  aunts.reverse();
  return { total: items.length, index, leafHash: leafHash(items[index]!), aunts };
}

/**
 * `Proof.Verify` minus the leaf check (the caller compares `proof.leafHash` with its own item first):
 * the shape is refused before hashing, then the root computed from the leaf and its aunts must be `root`.
 */
export function verifyMerkleProof(proof: MerkleProof, root: Uint8Array): void {
  const { total, index, aunts } = proof;
  if (!Number.isSafeInteger(total) || total <= 0) fail("bad-merkle-proof", `total ${total} must be positive`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= total) {
    fail("bad-merkle-proof", `index ${index} outside 0..${total - 1}`);
  }
  if (aunts.length > MAX_AUNTS) fail("bad-merkle-proof", `${aunts.length} aunts, at most ${MAX_AUNTS}`);
  const depth = expectedAunts(index, total);
  if (aunts.length !== depth) fail("bad-merkle-proof", `${aunts.length} aunts, a leaf at ${index} of ${total} has ${depth}`);
  if (proof.leafHash.length !== HASH_SIZE) fail("bad-merkle-proof", `leaf hash of ${proof.leafHash.length} bytes`);
  for (const a of aunts) if (a.length !== HASH_SIZE) fail("bad-merkle-proof", `aunt of ${a.length} bytes`);
  if (!bytesEqual(computeRoot(index, total, proof.leafHash, aunts), root)) {
    fail("merkle-mismatch", "the proof does not lead to the expected root");
  }
}

/** `computeHashFromAunts`: recurse to the leaf's subtree; the last aunt is the sibling at the top. */
function computeRoot(index: number, total: number, leaf: Uint8Array, aunts: readonly Uint8Array[]): Uint8Array {
  if (total === 1) return leaf;
  const k = splitPoint(total);
  const top = aunts[aunts.length - 1]!;
  const below = aunts.slice(0, -1);
  return index < k
    ? innerHash(computeRoot(index, k, leaf, below), top)
    : innerHash(top, computeRoot(index - k, total - k, leaf, below));
}
