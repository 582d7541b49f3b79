/**
 * Bitcoin Merkle trees over txids (internal byte order): roots with the duplicate-last-when-odd rule,
 * single-leaf branches, and the partial Merkle tree of a `merkleblock` message / `gettxoutproof`
 * (Bitcoin Core's CPartialMerkleTree, src/merkleblock.cpp).
 *
 * Inner nodes are sha256d(left || right) of two 32-byte children, i.e. of 64 bytes: a transaction
 * whose non-witness serialization is 64 bytes could pass for an inner node, so proofs of inclusion
 * must refuse such transactions (tx.ts: assertNotSixtyFourBytes) and must fix the tree depth, which a
 * merkleblock's transaction count does not (the prover chooses it): inclusion.ts does it with the
 * block's coinbase proven at position 0.
 */
import { bytesEqual } from "../../chain/store/bytes";
import { assertHash, Reader, toDisplayHex, Writer } from "./bytes";
import { fail } from "./errors";
import { hashPair } from "./hash";
import { type BlockHeader, blockHash, encodeHeader, readHeader } from "./header";

/** Core's MAX_BLOCK_WEIGHT / MIN_TRANSACTION_WEIGHT (4,000,000 / 240): no block holds more transactions. */
export const MAX_BLOCK_TRANSACTIONS = 16666;

/** Core's ComputeMerkleRoot: the root, and whether two equal siblings were seen (CVE-2012-2459 mutation). */
export function computeMerkleRoot(leaves: readonly Uint8Array[]): { root: Uint8Array; mutated: boolean } {
  if (leaves.length === 0) fail("bad-count", "a Merkle tree needs at least one leaf");
  for (const l of leaves) assertHash(l, "Merkle leaf");
  let level = leaves.slice();
  let mutated = false;
  while (level.length > 1) {
    for (let i = 0; i + 1 < level.length; i += 2) if (bytesEqual(level[i], level[i + 1])) mutated = true;
    if (level.length % 2 === 1) level.push(level[level.length - 1]);
    const next: Uint8Array[] = new Array(level.length / 2);
    for (let i = 0; i < next.length; i++) next[i] = hashPair(level[2 * i], level[2 * i + 1]);
    level = next;
  }
  return { root: level[0], mutated };
}

/** Number of nodes at `height` (0 = leaves) in a tree of `total` leaves: Core's CalcTreeWidth. */
export function treeWidth(total: number, height: number): number {
  if (!Number.isSafeInteger(total) || total < 0 || total > 0x7fffffff || height < 0 || height > 31) throw new RangeError(`treeWidth(${total}, ${height})`);
  return (total + (1 << height) - 1) >>> height;
}

/** Height of the root of a tree with `total` leaves (0 for a single leaf). */
export function treeHeight(total: number): number {
  let h = 0;
  while (treeWidth(total, h) > 1) h++;
  return h;
}

/** The sibling hashes from leaf `index` up to the root (the form verifyMerkleBranch takes). */
export function merkleBranch(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leaves.length) fail("bad-merkle-branch", `index ${index} of ${leaves.length} leaves`);
  const branch: Uint8Array[] = [];
  let level = leaves.slice();
  let pos = index;
  while (level.length > 1) {
    if (level.length % 2 === 1) level.push(level[level.length - 1]);
    branch.push(level[pos ^ 1]);
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashPair(level[i], level[i + 1]));
    level = next;
    pos >>>= 1;
  }
  return branch;
}

/** The root a branch leads to from `leaf` at `index`; `index` must fit in branch.length bits. */
export function merkleRootFromBranch(leaf: Uint8Array, branch: readonly Uint8Array[], index: number): Uint8Array {
  assertHash(leaf, "leaf");
  if (branch.length > 32) fail("bad-merkle-branch", `branch of ${branch.length} hashes is deeper than any block`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** branch.length)
    fail("bad-merkle-branch", `index ${index} does not fit a branch of ${branch.length} hashes`);
  let node = leaf;
  let pos = index; // < 2^32, so the uint32 operators below are exact
  for (const sibling of branch) {
    assertHash(sibling, "branch hash");
    node = pos & 1 ? hashPair(sibling, node) : hashPair(node, sibling);
    pos >>>= 1;
  }
  return node;
}

/**
 * Verify that `txid` is leaf `index` of the tree with root `root`. Throws "merkle-mismatch" if it is not.
 * With `totalTransactions` (the block's count, e.g. from its merkleblock), also require that the branch
 * has exactly the tree's height, that index < total, and that siblings follow Bitcoin's odd-level rule:
 * a node without a right neighbour is paired with itself, any other node with a *different* hash.
 */
export function verifyMerkleBranch(
  txid: Uint8Array,
  branch: readonly Uint8Array[],
  index: number,
  root: Uint8Array,
  totalTransactions?: number,
): void {
  assertHash(root, "root");
  assertHash(txid, "txid");
  let node = txid;
  if (totalTransactions !== undefined) {
    if (!Number.isSafeInteger(totalTransactions) || totalTransactions < 1 || totalTransactions > MAX_BLOCK_TRANSACTIONS)
      fail("bad-merkle-branch", `${totalTransactions} transactions is not a block's count`);
    if (!Number.isSafeInteger(index) || index < 0 || index >= totalTransactions) fail("bad-merkle-branch", `index ${index} of ${totalTransactions} transactions`);
    const height = treeHeight(totalTransactions);
    if (branch.length !== height) fail("bad-merkle-branch", `a tree of ${totalTransactions} transactions has height ${height}, branch has ${branch.length} hashes`);
    node = txid;
    let pos = index;
    for (let level = 0; level < height; level++) {
      const sibling = branch[level];
      assertHash(sibling, "branch hash");
      const lastWithoutPair = pos % 2 === 0 && pos === treeWidth(totalTransactions, level) - 1;
      if (lastWithoutPair !== bytesEqual(sibling, node))
        fail("bad-merkle-branch", `level ${level}: sibling ${lastWithoutPair ? "must" : "must not"} equal the node`);
      node = pos & 1 ? hashPair(sibling, node) : hashPair(node, sibling);
      pos >>>= 1;
    }
  }
  const got = totalTransactions === undefined ? merkleRootFromBranch(txid, branch, index) : node;
  if (!bytesEqual(got, root)) fail("merkle-mismatch", `branch leads to ${toDisplayHex(got)}, expected ${toDisplayHex(root)}`);
}

// ---------------------------------------------------------------------------------------------
// Partial Merkle trees (BIP37 merkleblock, gettxoutproof)

export interface PartialMerkleTree {
  /** Number of transactions in the block. */
  readonly totalTransactions: number;
  /** Hashes in depth-first order. */
  readonly hashes: readonly Uint8Array[];
  /** Flag bits, least significant bit of the first byte first. */
  readonly flags: Uint8Array;
}

export interface MerkleBlock {
  readonly header: BlockHeader;
  readonly tree: PartialMerkleTree;
}

export interface MatchedTx {
  readonly txid: Uint8Array;
  /** Position of the transaction in the block. */
  readonly index: number;
}

/** Decode a merkleblock message: header, uint32 total, CompactSize + hashes, CompactSize + flag bytes. */
export function decodeMerkleBlock(raw: Uint8Array): MerkleBlock {
  const r = new Reader(raw, "merkleblock");
  const mb = readMerkleBlock(r);
  r.end();
  return mb;
}

/** Read one merkleblock from `r` (e.g. at the start of an inclusion proof), leaving `r` after its flag bytes. */
export function readMerkleBlock(r: Reader): MerkleBlock {
  const header = readHeader(r);
  const totalTransactions = r.u32("total transactions");
  const nHashes = r.count("hashes", 32);
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < nHashes; i++) hashes.push(r.bytes(32, "hash"));
  const flags = r.varBytes("flags");
  return { header, tree: { totalTransactions, hashes, flags } };
}

export function encodeMerkleBlock(mb: MerkleBlock): Uint8Array {
  const w = new Writer().bytes(encodeHeader(mb.header)).u32(mb.tree.totalTransactions).compactSize(mb.tree.hashes.length);
  for (const h of mb.tree.hashes) {
    assertHash(h, "partial tree hash");
    w.bytes(h);
  }
  return w.varBytes(mb.tree.flags).finish();
}

/**
 * Core's CPartialMerkleTree::ExtractMatches: the root the tree commits to and the matched txids with
 * their positions. Throws "bad-partial-tree" wherever Core would return a null root: no transactions,
 * more than MAX_BLOCK_TRANSACTIONS, more hashes than transactions, fewer flag bits than hashes, running
 * out of bits or hashes, identical left and right subtrees (CVE-2012-2459), unused flag bytes or hashes.
 */
export function extractMatches(tree: PartialMerkleTree): { root: Uint8Array; matches: MatchedTx[] } {
  const total = tree.totalTransactions;
  const { hashes, flags } = tree;
  if (!Number.isSafeInteger(total) || total === 0) fail("bad-partial-tree", "no transactions");
  if (total > MAX_BLOCK_TRANSACTIONS) fail("bad-partial-tree", `${total} transactions is more than a block can hold`);
  if (hashes.length > total) fail("bad-partial-tree", `${hashes.length} hashes for ${total} transactions`);
  const nBits = flags.length * 8;
  if (nBits < hashes.length) fail("bad-partial-tree", `${nBits} flag bits for ${hashes.length} hashes`);
  for (const h of hashes) assertHash(h, "partial tree hash");

  let bitsUsed = 0;
  let hashesUsed = 0;
  const matches: MatchedTx[] = [];
  const traverse = (height: number, pos: number): Uint8Array => {
    if (bitsUsed >= nBits) fail("bad-partial-tree", "ran out of flag bits");
    const parentOfMatch = ((flags[bitsUsed >> 3] >> (bitsUsed & 7)) & 1) === 1;
    bitsUsed++;
    if (height === 0 || !parentOfMatch) {
      if (hashesUsed >= hashes.length) fail("bad-partial-tree", "ran out of hashes");
      const hash = hashes[hashesUsed++];
      if (height === 0 && parentOfMatch) matches.push({ txid: hash, index: pos });
      return hash;
    }
    const left = traverse(height - 1, pos * 2);
    let right = left;
    if (pos * 2 + 1 < treeWidth(total, height - 1)) {
      right = traverse(height - 1, pos * 2 + 1);
      // The two subtrees cover different transactions, so equal hashes mean a duplicated subtree.
      if (bytesEqual(left, right)) fail("bad-partial-tree", `identical left and right subtrees at height ${height}, position ${pos}`);
    }
    return hashPair(left, right);
  };
  const root = traverse(treeHeight(total), 0);
  // All bits must be used, except the padding of the last flag byte; all hashes must be used.
  const bytesUsed = (bitsUsed + 7) >>> 3;
  if (bytesUsed !== flags.length) fail("bad-partial-tree", `${flags.length} flag bytes, ${bytesUsed} used`);
  if (hashesUsed !== hashes.length) fail("bad-partial-tree", `${hashes.length} hashes, ${hashesUsed} used`);
  return { root, matches };
}

export interface VerifiedMerkleBlock {
  readonly header: BlockHeader;
  /** Hash of `header`; the caller must find it in its verified header chain. */
  readonly blockHash: Uint8Array;
  readonly totalTransactions: number;
  readonly matched: readonly MatchedTx[];
}

/**
 * Decode and check a merkleblock / gettxoutproof: the partial tree must be well formed and its root
 * must equal the header's merkleRoot ("merkle-mismatch"). Does not check the header itself: the caller
 * looks `blockHash` up in its header store (which holds only verified headers).
 */
export function verifyMerkleBlock(input: Uint8Array | MerkleBlock): VerifiedMerkleBlock {
  const mb = input instanceof Uint8Array ? decodeMerkleBlock(input) : input;
  const { root, matches } = extractMatches(mb.tree);
  if (!bytesEqual(root, mb.header.merkleRoot))
    fail("merkle-mismatch", `partial tree root ${toDisplayHex(root)} is not the header's ${toDisplayHex(mb.header.merkleRoot)}`);
  return { header: mb.header, blockHash: blockHash(mb.header), totalTransactions: mb.tree.totalTransactions, matched: matches };
}

/** Core's CPartialMerkleTree(vTxid, vMatch) constructor: the smallest tree proving the matched leaves. */
export function buildPartialMerkleTree(txids: readonly Uint8Array[], match: readonly boolean[]): PartialMerkleTree {
  const total = txids.length;
  if (total === 0 || total > MAX_BLOCK_TRANSACTIONS || match.length !== total) fail("bad-count", `${total} txids, ${match.length} match flags`);
  for (const t of txids) assertHash(t, "txid");
  const bits: boolean[] = [];
  const hashes: Uint8Array[] = [];
  const calcHash = (height: number, pos: number): Uint8Array => {
    if (height === 0) return txids[pos];
    const left = calcHash(height - 1, pos * 2);
    const right = pos * 2 + 1 < treeWidth(total, height - 1) ? calcHash(height - 1, pos * 2 + 1) : left;
    return hashPair(left, right);
  };
  const build = (height: number, pos: number): void => {
    let parentOfMatch = false;
    const end = Math.min((pos + 1) << height, total);
    for (let p = pos << height; p < end; p++) parentOfMatch ||= match[p];
    bits.push(parentOfMatch);
    if (height === 0 || !parentOfMatch) hashes.push(calcHash(height, pos));
    else {
      build(height - 1, pos * 2);
      if (pos * 2 + 1 < treeWidth(total, height - 1)) build(height - 1, pos * 2 + 1);
    }
  };
  build(treeHeight(total), 0);
  const flags = new Uint8Array((bits.length + 7) >>> 3);
  bits.forEach((b, i) => {
    if (b) flags[i >> 3] |= 1 << (i & 7);
  });
  return { totalTransactions: total, hashes, flags };
}
