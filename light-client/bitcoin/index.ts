/** Bitcoin SPV verification: pure and deterministic (no clock, no randomness, no floats, no I/O). */
export { type LightClientReason, LightClientError } from "./errors";
export { bytesEqual } from "../../chain/store/bytes";
export { fromDisplayHex, fromHex, toDisplayHex, toHex } from "./bytes";
export { hashPair, sha256d, sha256dInto } from "./hash";
export { type BlockHeader, HEADER_SIZE, blockHash, blockHashHex, decodeHeader, encodeHeader } from "./header";
export { type Compact, blockWork, checkProofOfWork, decodeCompact, encodeCompact, hashToBigInt, proofOfWorkFailure } from "./pow";
export {
  type NetworkParams,
  type NetworkSpec,
  MAINNET,
  MAX_FUTURE_BLOCK_TIME,
  MAX_TIMEWARP,
  MEDIAN_TIME_SPAN,
  NETWORKS,
  REGTEST,
  TESTNET3,
  TESTNET4,
  defineNetwork,
} from "./params";
export {
  type AncestorLookup,
  type HeaderRef,
  calculateNextWorkRequired,
  requireAncestor,
  medianTimePast,
  medianTimePastOf,
  minDifficultyWalkEnd,
  nextWorkRequired,
  stopsMinDifficultyWalk,
} from "./retarget";
export {
  type ChainAnchor,
  type HeaderInput,
  type HeaderLookup,
  type StoredHeader,
  type VerifyContext,
  genesisRecord,
  trustedRecord,
  verifyHeaderChain,
  verifyHeaderExtends,
  verifyRawHeaderChain,
} from "./chain";
export {
  type MatchedTx,
  type MerkleBlock,
  type PartialMerkleTree,
  type VerifiedMerkleBlock,
  MAX_BLOCK_TRANSACTIONS,
  buildPartialMerkleTree,
  computeMerkleRoot,
  decodeMerkleBlock,
  encodeMerkleBlock,
  extractMatches,
  merkleBranch,
  merkleRootFromBranch,
  readMerkleBlock,
  treeHeight,
  verifyMerkleBlock,
  verifyMerkleBranch,
} from "./merkle";
export {
  type ParsedTx,
  type Transaction,
  type TxInput,
  type TxOutput,
  MAX_MONEY,
  assertNotSixtyFourBytes,
  encodeTx,
  parseTx,
  txid,
  wtxid,
} from "./tx";
export { type Block, parseBlock, verifyBlockMerkleRoot } from "./block";
export { type TxInclusion, decodeInclusionProof, encodeInclusionProof, verifyInclusionProof, verifyTxInclusion } from "./inclusion";
export { type BitcoinCheckpoint, checkpointStart, genesisCheckpoint } from "./checkpoint";
export { bitcoinLightClient, createBitcoinLightClient, minPruneWindow } from "./client";
export { MAX_HEADERS_PER_UPDATE } from "./verify-update";
