/**
 * Proof that a transaction is in a block. The caller must then require `blockHash` to be in its
 * verified header chain, with enough confirmations, before acting on `tx.outputs`.
 *
 * `verifyInclusionProof` checks the bitcoin light client's proof format:
 *
 *   merkleblock (gettxoutproof) matching the block's coinbase and the transaction | raw coinbase transaction
 *
 * which is what Bitcoin Core's `gettxoutproof '["<coinbase txid>","<txid>"]'` returns (one match when the
 * transaction is the coinbase), followed by `getrawtransaction <coinbase txid>`.
 *
 * Why the coinbase (CVE-2017-12842): a merkleblock's transaction count is the prover's word, so a tree
 * of another depth can pass an inner node (the two 32-byte halves of a mined 64-byte transaction) off as
 * a leaf, and "prove" a transaction whose txid is one half. Every leaf of Bitcoin's Merkle tree sits at
 * the same depth, so a real coinbase proven at position 0 pins the depth the proof claims to the real one:
 *  - a deeper claimed tree makes the real first leaf an inner node of the proof, i.e. the real coinbase
 *    a 64-byte preimage of it whose left half would be the hash of the next node down; a coinbase's left
 *    half is its version, input count 1 and 27 zero bytes of the null prevout, a hash no one can find a
 *    preimage for;
 *  - a shallower claimed tree makes the presented coinbase hash to a real inner node, i.e. to sha256d of
 *    64 bytes: a collision unless the presented coinbase has 64 bytes, which is refused.
 * At the real depth a leaf is a real txid, and a 64-byte transaction (which could pose as an inner node
 * there too) is refused.
 *
 * `verifyTxInclusion` checks a bare merkleblock (no coinbase): it does not pin the depth, so it alone
 * must never be taken as proof of a transaction.
 */
import { bytesEqual, concatBytes } from "../../chain/store/bytes";
import { Reader, toDisplayHex } from "./bytes";
import { fail } from "./errors";
import type { BlockHeader } from "./header";
import { encodeMerkleBlock, type MatchedTx, type MerkleBlock, readMerkleBlock, type VerifiedMerkleBlock, verifyMerkleBlock } from "./merkle";
import { assertNotSixtyFourBytes, type ParsedTx, parseTx, readTx } from "./tx";

export interface TxInclusion {
  readonly tx: ParsedTx;
  /** Position of the transaction in its block. */
  readonly index: number;
  readonly header: BlockHeader;
  readonly blockHash: Uint8Array;
  readonly totalTransactions: number;
}

function matchOf(tx: ParsedTx, mb: VerifiedMerkleBlock): TxInclusion {
  const match = mb.matched.find((m) => bytesEqual(m.txid, tx.txid));
  if (match === undefined) fail("tx-not-in-proof", `txid ${toDisplayHex(tx.txid)} is not among the proof's ${mb.matched.length} matches`);
  return { tx, index: match.index, header: mb.header, blockHash: mb.blockHash, totalTransactions: mb.totalTransactions };
}

/** A raw transaction and a bare merkleblock: the tree's depth is NOT pinned (see the file comment). */
export function verifyTxInclusion(rawTx: Uint8Array, merkleBlock: Uint8Array | MerkleBlock): TxInclusion {
  const tx = parseTx(rawTx);
  assertNotSixtyFourBytes(tx);
  return matchOf(tx, verifyMerkleBlock(merkleBlock));
}

/** The proof bytes: a merkleblock matching the coinbase (and the transaction), then the raw coinbase. */
export function encodeInclusionProof(merkleBlock: Uint8Array | MerkleBlock, coinbase: Uint8Array): Uint8Array {
  return concatBytes(merkleBlock instanceof Uint8Array ? merkleBlock : encodeMerkleBlock(merkleBlock), coinbase);
}

/** Splits a proof into its merkleblock and coinbase; nothing may follow the coinbase. */
export function decodeInclusionProof(proof: Uint8Array): { merkleBlock: MerkleBlock; coinbase: ParsedTx } {
  const r = new Reader(proof, "inclusion proof");
  const merkleBlock = readMerkleBlock(r);
  if (r.remaining === 0) fail("no-coinbase", "the proof ends after its merkleblock: the block's coinbase transaction must follow it");
  const coinbase = readTx(r);
  r.end();
  return { merkleBlock, coinbase };
}

/** One input spending the null prevout (Core's IsCoinBase), and not 64 bytes without witness. */
function assertCoinbase(coinbase: ParsedTx): void {
  const input = coinbase.inputs[0];
  if (coinbase.inputs.length !== 1 || input.prevIndex !== 0xffffffff || input.prevTxid.some((b) => b !== 0))
    fail("bad-coinbase", `transaction ${toDisplayHex(coinbase.txid)} is not a coinbase (it must have exactly one input, spending the null prevout)`);
  // a 64-byte coinbase could hash to an inner node of a shallower tree than the claimed one
  if (coinbase.strippedSize === 64) fail("bad-coinbase", "a coinbase of 64 bytes without witness cannot pin the Merkle tree's depth");
}

/** Verify an inclusion proof of the format above; refuses what does not pin the tree's depth. */
export function verifyInclusionProof(rawTx: Uint8Array, proof: Uint8Array): TxInclusion {
  const tx = parseTx(rawTx);
  assertNotSixtyFourBytes(tx);
  const { merkleBlock, coinbase } = decodeInclusionProof(proof);
  assertCoinbase(coinbase);
  const mb = verifyMerkleBlock(merkleBlock);
  // matches come in position order: a match at position 0 is the first
  const first: MatchedTx | undefined = mb.matched[0];
  if (first?.index !== 0 || !bytesEqual(first.txid, coinbase.txid))
    fail("coinbase-not-in-proof", `the coinbase ${toDisplayHex(coinbase.txid)} is not the proof's match at position 0`);
  return matchOf(tx, mb);
}
