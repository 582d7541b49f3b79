/**
 * The Tendermint (CometBFT v0.38) light client. The verification core is pure and deterministic (no
 * clock, no randomness, no floats, no I/O): decode at the edge (decode.ts), then `verify` a signed
 * header against a trusted state; the proofs (merkle.ts, proof-*.ts) check txs, results and state
 * against verified hashes. The stateful client (client.ts, ibc-go 07-tendermint style) keeps its
 * consensus states in a KVStore and is the peg module's entry point. Every refusal is a TendermintError.
 */
export { type TendermintReason, type Verdict, TendermintError, verdictOf } from "./errors";
export {
  type BlockId,
  type BlockIdFlag,
  type Commit,
  type CommitSig,
  type Fraction,
  type Header,
  type PartSetHeader,
  type SignedHeader,
  type Time,
  type TrustedState,
  type Validator,
  type ValidatorSet,
  type VerifyOptions,
  BLOCK_ID_FLAG_ABSENT,
  BLOCK_ID_FLAG_COMMIT,
  BLOCK_ID_FLAG_NIL,
  DEFAULT_TRUST_LEVEL,
  ZERO_TIME,
  formatTime,
  parseRfc3339,
  timeToTimestamp,
  timestampToTime,
} from "./types";
export {
  decodeCommit,
  decodeGenesisValidators,
  decodeHeader,
  decodeSignedHeader,
  decodeValidatorSet,
  parseTime,
  signedHeaderFromBytes,
  signedHeaderFromProto,
  signedHeaderToBytes,
  signedHeaderToProto,
  validatorSetFromBytes,
  validatorSetFromProto,
  validatorSetToBytes,
  validatorSetToProto,
} from "./decode";
export { headerHash, headerLeaves } from "./header-hash";
export { type CanonicalVote, PRECOMMIT_TYPE, PREVOTE_TYPE, commitSignBytes, voteSignBytes } from "./sign-bytes";
export {
  MAX_TOTAL_VOTING_POWER,
  makeValidatorSet,
  simpleValidatorBytes,
  validatorAddress,
  validatorSetHash,
  verifyCommitLight,
  verifyCommitLightTrusting,
} from "./validator-set";
export { BLOCK_PROTOCOL, checkOptions, trustedStateOf, validateSignedHeader, verify, verifyAdjacent, verifyNonAdjacent } from "./verify";

// the stateful client
export {
  type UpdateOutcome,
  type VerifiedHeader,
  checkForMisbehaviour,
  clientState,
  consensusState,
  exportState,
  freeze,
  initialize,
  latestHeight,
  proveState,
  proveTransaction,
  revive,
  status,
  storedHeightAtOrBelow,
  submitMisbehaviour,
  tendermintLightClient,
  updateClient,
  updateState,
  verifyClientMessage,
} from "./client";
export {
  type ClientState,
  type ConsensusState,
  type Height,
  type Status,
  compareHeights,
  formatHeight,
  heightOf,
  revisionOf,
} from "./client-state";
export { type ClientExport, type TrustedHeader } from "./genesis";
export { type HeaderMessage, decodeHeaderMessage } from "./message";
export { type MisbehaviourFound, verifyMisbehaviour } from "./misbehaviour";
export { type ProvenState, type ProvenTx, type StateClaim, type TxClaim, requireTxSuccess } from "./prove";
export { type ReviveResult, statusOf } from "./status";
export { loadClientState } from "./store";
export { type UpdateResult, MAX_PRUNE } from "./update";

// proofs
export { type MerkleProof, MAX_AUNTS, buildMerkleProof, expectedAunts, innerHash, leafHash, merkleRoot, verifyMerkleProof } from "./merkle";
export { type TxInclusion, type TxProof, decodeTxProofJson, decodeTxProofProto, txProofToBytes, verifyTxProof } from "./proof-tx";
export {
  type ExecResult,
  type ResultProof,
  type TxAndResult,
  decodeExecResultJson,
  encodeExecResult,
  requireSuccess,
  resultsHash,
  verifyResultProof,
  verifyTxAndResult,
} from "./proof-results";
export { buildResultProof, decodeBlockResultsJson } from "./proof-results-build";
export { type ProofOp, type StateQuery, decodeProofOpsJson, verifyStateMembership, verifyStateNonMembership } from "./proof-state";
