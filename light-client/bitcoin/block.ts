/** Full blocks: header, CompactSize transaction count, transactions. Used to check Merkle roots from data. */
import { bytesEqual } from "../../chain/store/bytes";
import { Reader, toDisplayHex } from "./bytes";
import { fail } from "./errors";
import { type BlockHeader, blockHash, readHeader } from "./header";
import { computeMerkleRoot, MAX_BLOCK_TRANSACTIONS } from "./merkle";
import { MAX_BLOCK_WEIGHT, MIN_TX_SIZE, type ParsedTx, readTx } from "./tx";

export interface Block {
  readonly header: BlockHeader;
  readonly hash: Uint8Array;
  readonly transactions: readonly ParsedTx[];
}

export function parseBlock(raw: Uint8Array): Block {
  if (raw.length > MAX_BLOCK_WEIGHT + 80 + 9) fail("bad-length", `${raw.length} bytes is larger than any block`);
  const r = new Reader(raw, "block");
  const header = readHeader(r);
  const n = r.count("transactions", MIN_TX_SIZE);
  if (n === 0 || n > MAX_BLOCK_TRANSACTIONS) fail("bad-count", `${n} transactions`);
  const transactions: ParsedTx[] = [];
  for (let i = 0; i < n; i++) transactions.push(readTx(r));
  r.end();
  return { header, hash: blockHash(raw.subarray(0, 80)), transactions };
}

/**
 * The header's merkleRoot must be the root of the txids (not wtxids), without the CVE-2012-2459
 * duplicate-sibling mutation, as Core's CheckMerkleRoot.
 */
export function verifyBlockMerkleRoot(block: Block): void {
  const { root, mutated } = computeMerkleRoot(block.transactions.map((t) => t.txid));
  if (!bytesEqual(root, block.header.merkleRoot))
    fail("merkle-mismatch", `txids give ${toDisplayHex(root)}, header has ${toDisplayHex(block.header.merkleRoot)}`);
  if (mutated) fail("merkle-mutated", "duplicate transactions in the Merkle tree");
}
