/**
 * Transaction inclusion proofs, built from a raw block with the light client's partial-Merkle-tree code.
 *
 * - `buildTxOutProof` / `fetchTxOutProof`: Bitcoin Core's `gettxoutproof` format (a serialized BIP37
 *   merkleblock: 80-byte header, uint32 transaction count, CompactSize + hashes, CompactSize + flag
 *   bytes). btcd has no `gettxoutproof`, so the proof is built from the raw block (`getblock hash 0`);
 *   the result is byte-for-byte what Core would return for the same block and txids (Core's
 *   CMerkleBlock(block, txids) builds the same CPartialMerkleTree).
 * - `buildInclusionProof` / `fetchInclusionProof`: what the bitcoin light client takes in MsgClaimDeposit
 *   and MsgConfirmRelease (light-client/bitcoin/inclusion.ts): the `gettxoutproof` of the block's
 *   coinbase and the transaction, then the raw coinbase, which pins the Merkle tree's depth
 *   (CVE-2017-12842). Both come from the raw block, on btcd and Core alike.
 */
import { parseBlock, verifyBlockMerkleRoot, type Block } from "../light-client/bitcoin/block";
import { bytesEqual } from "../chain/store/bytes";
import { fromDisplayHex, toDisplayHex } from "../light-client/bitcoin/bytes";
import { encodeInclusionProof, verifyInclusionProof } from "../light-client/bitcoin/inclusion";
import { buildPartialMerkleTree, encodeMerkleBlock, verifyMerkleBlock } from "../light-client/bitcoin/merkle";
import { encodeTx } from "../light-client/bitcoin/tx";
import { type BitcoinRpcClient, BitcoinRpcError, type DisplayHash, RPC_ERROR } from "./bitcoin-rpc";

/**
 * The merkleblock proving that the transactions `txids` (display hex, as RPCs print them) are in
 * `rawBlock` (the serialized block, wire order). Throws if the block's Merkle root does not match its
 * transactions or if a txid is not in the block. The proof is checked with `verifyMerkleBlock` before
 * it is returned.
 */
export function buildTxOutProof(rawBlock: Uint8Array, txids: DisplayHash | readonly DisplayHash[]): Uint8Array {
  return merkleBlockOf(checkedBlock(rawBlock), txids);
}

function checkedBlock(rawBlock: Uint8Array): Block {
  const block = parseBlock(rawBlock);
  verifyBlockMerkleRoot(block);
  return block;
}

function merkleBlockOf(block: Block, txids: DisplayHash | readonly DisplayHash[]): Uint8Array {
  const wanted = (typeof txids === "string" ? [txids] : txids).map((t) => fromDisplayHex(t));
  if (wanted.length === 0) throw new TypeError("no txids to prove");
  const blockTxids = block.transactions.map((t) => t.txid);
  const match = blockTxids.map((id) => wanted.some((w) => bytesEqual(w, id)));
  for (const w of wanted)
    if (!blockTxids.some((id) => bytesEqual(id, w))) throw new Error(`transaction ${toDisplayHex(w)} is not in block ${toDisplayHex(block.hash)}`);
  const proof = encodeMerkleBlock({ header: block.header, tree: buildPartialMerkleTree(blockTxids, match) });

  // Round trip: the proof must decode, commit to the header's Merkle root and match exactly the txids asked for.
  const checked = verifyMerkleBlock(proof);
  if (!bytesEqual(checked.blockHash, block.hash) || checked.matched.length !== match.filter(Boolean).length)
    throw new Error("built merkleblock does not verify");
  for (const w of wanted) if (!checked.matched.some((m) => bytesEqual(m.txid, w))) throw new Error("built merkleblock lost a txid");
  return proof;
}

/** Clients known to lack `gettxoutproof` (btcd), so later calls go straight to building the proof. */
const noTxOutProof = new WeakSet<BitcoinRpcClient>();

/**
 * The `gettxoutproof` bytes for `txids` in block `blockHash` (both display hex): asked of the node
 * when it implements `gettxoutproof` (Core), else built from `getblock blockHash 0` (btcd).
 */
export async function fetchTxOutProof(rpc: BitcoinRpcClient, txids: DisplayHash | readonly DisplayHash[], blockHash: DisplayHash): Promise<Uint8Array> {
  const list = typeof txids === "string" ? [txids] : txids;
  if (!noTxOutProof.has(rpc)) {
    try {
      return await rpc.getTxOutProof(list, blockHash);
    } catch (e) {
      if (!(e instanceof BitcoinRpcError && e.code === RPC_ERROR.METHOD_NOT_FOUND)) throw e;
      noTxOutProof.add(rpc);
    }
  }
  return buildTxOutProof(await rpc.getBlockRaw(blockHash), list);
}

/**
 * The light client's inclusion proof of `txid` (display hex) in `rawBlock`: the merkleblock matching the
 * block's coinbase and `txid` (one match when `txid` is the coinbase), then the raw coinbase. Throws if
 * the block's Merkle root does not match its transactions or `txid` is not in the block; the proof is
 * checked with the light client's `verifyInclusionProof` before it is returned.
 */
export function buildInclusionProof(rawBlock: Uint8Array, txid: DisplayHash): Uint8Array {
  const block = checkedBlock(rawBlock);
  const coinbase = block.transactions[0];
  const proof = encodeInclusionProof(merkleBlockOf(block, [toDisplayHex(coinbase.txid), txid]), encodeTx(coinbase));
  const id = fromDisplayHex(txid);
  const tx = block.transactions.find((t) => bytesEqual(t.txid, id))!; // merkleBlockOf found it
  verifyInclusionProof(encodeTx(tx), proof);
  return proof;
}

/** `buildInclusionProof` for `txid` in block `blockHash` (both display hex), from `getblock blockHash 0`. */
export async function fetchInclusionProof(rpc: BitcoinRpcClient, txid: DisplayHash, blockHash: DisplayHash): Promise<Uint8Array> {
  return buildInclusionProof(await rpc.getBlockRaw(blockHash), txid);
}
