/**
 * Every refusal of the Tendermint light client — the header verifier, the proof verifiers (Merkle,
 * tx, result, ICS23 state proofs) and the stateful client — is a `TendermintError` whose `reason` is
 * one of the codes below, so the peg module maps it to an ABCI error code without parsing messages.
 * Among the header verifier's reasons only "not-enough-trust" means "try a closer height" (CometBFT's
 * ErrNewValSetCantBeTrusted); every other one is a verdict that the header, or its validator set, is
 * invalid.
 */
export type TendermintReason =
  // inputs
  | "bad-encoding" // RPC JSON or protobuf that does not decode into the domain types
  | "invalid-validator-set" // empty, a non-ed25519 key, an address not derived from its key, a duplicate, power out of range
  | "bad-options" // trust level outside [1/3, 1], non-positive trusting period, negative clock drift
  // the untrusted signed header on its own (SignedHeader.ValidateBasic)
  | "invalid-header" // a header or commit field of the wrong size or range, a malformed commit signature
  | "wrong-chain" // a header of another chain id than the trusted one
  | "commit-height-mismatch" // the commit's height is not the header's
  | "block-id-mismatch" // the commit is for another block than the header's hash
  // the untrusted header against the trusted state
  | "non-increasing-height" // height not above the trusted height
  | "non-monotonic-time" // time not strictly after the trusted time
  | "future-header" // time not before now + max clock drift
  | "expired" // the trusted state's time + trusting period is not after now
  | "validators-mismatch" // the supplied validator set does not hash to the header's validators_hash
  | "next-validators-mismatch" // adjacent: validators_hash is not the trusted next_validators_hash
  | "trusted-validators-mismatch" // the supplied trusted set does not hash to the trusted next_validators_hash
  // the commit's signatures
  | "signature-count" // a commit with another number of signatures than the validator set has members
  | "validator-mismatch" // a signature by another address than the set's validator at that index
  | "duplicate-signature" // the same trusted validator signing twice in one commit
  | "bad-signature" // an ed25519 signature that does not verify over its vote sign bytes
  | "not-enough-power" // not more than 2/3 of the header's own validator set signed
  | "not-enough-trust" // not more than the trust level of the trusted set signed
  // proofs (merkle.ts, proof-*.ts)
  | "bad-merkle-proof" // total <= 0, index out of range, aunt count not the leaf's depth, more than 100 aunts
  | "merkle-mismatch" // a Merkle proof whose computed root differs from the expected one
  | "leaf-mismatch" // a proof's leaf hash is not the hash of the tx / result it claims to prove
  | "tx-mismatch" // the TxProof's data is not the tx being proven
  | "root-mismatch" // a proof for another root than the verified header's data_hash / app_hash, or another store root than the app hash commits to
  | "index-mismatch" // tx and result proofs claiming different (index, total)
  | "tx-failed" // a proven result with a non-zero code
  | "bad-proof-ops" // ABCI proof ops of the wrong number, type or order
  | "key-mismatch" // a proof op (or ICS23 proof) for another key or store name; an empty key
  | "value-mismatch" // an ICS23 existence proof for another value
  | "ics23-invalid" // an ICS23 proof that @confio/ics23, or the shape checks of proof-state-spec.ts, refuse
  // the stateful client (client.ts and the files it uses)
  | "not-initialized" // the store holds no client state
  | "already-initialized" // initialize on a store that already holds client state
  | "bad-height" // a height of another revision than the client's chain id, or zero
  | "unknown-height" // no consensus state stored at that height (never verified, or pruned)
  | "frozen" // the client is frozen by misbehaviour evidence
  | "client-expired" // the latest consensus state is past its trusting period (status Expired)
  | "not-expired" // revive on a client that is not Expired
  | "misbehaviour" // updateState on a header that conflicts with the stored ones (freeze instead)
  | "no-misbehaviour" // submitted misbehaviour whose headers do not conflict
  | "store-corrupt"; // a stored entry this client did not write

export class TendermintError extends Error {
  override readonly name = "TendermintError";
  constructor(
    readonly reason: TendermintReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

export function fail(reason: TendermintReason, detail: string): never {
  throw new TendermintError(reason, detail);
}

/** The verdicts of CometBFT's light verifier (and of the tendermint-rs model-based tests). */
export type Verdict = "SUCCESS" | "NOT_ENOUGH_TRUST" | "INVALID";

/** The verdict `verify` reached: its outcome, or that of the TendermintError it threw. Other errors are rethrown. */
export function verdictOf(run: () => unknown): Verdict {
  try {
    run();
    return "SUCCESS";
  } catch (e) {
    if (!(e instanceof TendermintError)) throw e;
    return e.reason === "not-enough-trust" ? "NOT_ENOUGH_TRUST" : "INVALID";
  }
}
