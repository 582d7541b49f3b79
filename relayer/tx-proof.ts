/**
 * Transaction inclusion proofs in Bitcoin Core's `gettxoutproof` format (a serialized BIP37
 * merkleblock: 80-byte header, uint32 transaction count, CompactSize + hashes, CompactSize + flag
 * bytes), built from a raw block with the light client's partial-Merkle-tree code.
 *
 * btcd has no `gettxoutproof`, so the relayer fetches the raw block (`getblock hash 0`) and builds the
 * proof itself; the result is byte-for-byte what Core would return for the same block and txids
 * (Core's CMerkleBlock(block, txids) builds the same CPartialMerkleTree).
 */
import { bytesEqual, fromDisplayHex, toDisplayHex } from "../light-client/bitcoin/bytes";
import { parseBlock, verifyBlockMerkleRoot } from "../light-client/bitcoin/block";
import { buildPartialMerkleTree, encodeMerkleBlock, verifyMerkleBlock } from "../light-client/bitcoin/merkle";
import { type BitcoinRpcClient, BitcoinRpcError, type DisplayHash, RPC_ERROR } from "./bitcoin-rpc";

/**
 * The merkleblock proving that the transactions `txids` (display hex, as RPCs print them) are in
 * `rawBlock` (the serialized block, wire order). Throws if the block's Merkle root does not match its
 * transactions or if a txid is not in the block. The proof is checked with `verifyMerkleBlock` before
 * it is returned.
 */
export function buildTxOutProof(rawBlock: Uint8Array, txids: DisplayHash | readonly DisplayHash[]): Uint8Array {
  const wanted = (typeof txids === "string" ? [txids] : txids).map((t) => fromDisplayHex(t));
  if (wanted.length === 0) throw new TypeError("no txids to prove");
  const block = parseBlock(rawBlock);
  verifyBlockMerkleRoot(block);
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
