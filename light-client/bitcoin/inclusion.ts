/**
 * Proof that a transaction is in a block: a raw transaction plus a merkleblock (gettxoutproof).
 * The caller must then require `blockHash` to be in its verified header chain, with enough
 * confirmations, before acting on `tx.outputs`.
 */
import { bytesEqual, toDisplayHex } from "./bytes";
import { fail } from "./errors";
import type { BlockHeader } from "./header";
import { type MerkleBlock, verifyMerkleBlock } from "./merkle";
import { assertNotSixtyFourBytes, type ParsedTx, parseTx } from "./tx";

export interface TxInclusion {
  readonly tx: ParsedTx;
  /** Position of the transaction in its block. */
  readonly index: number;
  readonly header: BlockHeader;
  readonly blockHash: Uint8Array;
  readonly totalTransactions: number;
}

export function verifyTxInclusion(rawTx: Uint8Array, merkleBlock: Uint8Array | MerkleBlock): TxInclusion {
  const tx = parseTx(rawTx);
  assertNotSixtyFourBytes(tx);
  const mb = verifyMerkleBlock(merkleBlock);
  const match = mb.matched.find((m) => bytesEqual(m.txid, tx.txid));
  if (match === undefined) fail("tx-not-in-proof", `txid ${toDisplayHex(tx.txid)} is not among the proof's ${mb.matched.length} matches`);
  return { tx, index: match.index, header: mb.header, blockHash: mb.blockHash, totalTransactions: mb.totalTransactions };
}
