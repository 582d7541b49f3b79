/**
 * Validator sets (types/validator_set.go) and the commit checks CometBFT runs against one
 * (types/validation.go VerifyCommitLight, VerifyCommitLightTrusting): building a checked set in
 * CometBFT's order, its hash, and tallying the power behind a commit's ed25519 signatures.
 */
import { BinaryWriter } from "cosmjs-types/binary";
import { bytesEqual, compareBytes } from "../../chain/store/bytes";
import { sha256 } from "../../chain/store/sha256";
import { fail, type TendermintReason } from "./errors";
import { merkleRoot } from "./merkle";
import { verifyEd25519 } from "./ed25519";
import { commitSignBytes } from "./sign-bytes";
import { BLOCK_ID_FLAG_COMMIT, type Commit, type Fraction, type Validator, type ValidatorSet } from "./types";

export const ADDRESS_SIZE = 20;
export const ED25519_PUBKEY_SIZE = 32;
export const SIGNATURE_SIZE = 64;
/** CometBFT's MaxTotalVotingPower (MaxInt64 / 8): no set, and so no tally, comes near int64 overflow. */
export const MAX_TOTAL_VOTING_POWER = 0x7fff_ffff_ffff_ffffn / 8n;

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex").toUpperCase();

/** crypto/ed25519 PubKey.Address: the first 20 bytes of sha256(key). */
export function validatorAddress(pubKey: Uint8Array): Uint8Array {
  return sha256(pubKey).subarray(0, ADDRESS_SIZE);
}

function checkValidator(v: Validator, what: string): void {
  if (v.pubKey.length !== ED25519_PUBKEY_SIZE) fail("invalid-validator-set", `${what}: ed25519 key of ${v.pubKey.length} bytes`);
  if (!bytesEqual(v.address, validatorAddress(v.pubKey))) fail("invalid-validator-set", `${what}: address ${hex(v.address)} is not derived from its key`);
  if (v.votingPower < 0n || v.votingPower > MAX_TOTAL_VOTING_POWER) fail("invalid-validator-set", `${what}: voting power ${v.votingPower}`);
}

/**
 * A checked set (Validator.ValidateBasic for each member, no duplicate address, total power within
 * MaxTotalVotingPower, the proposer a member), sorted as CometBFT keeps it: voting power descending,
 * then address ascending. The hash and the commit's index order are those of the sorted set.
 */
export function makeValidatorSet(validators: readonly Validator[], proposer?: Validator): ValidatorSet {
  if (validators.length === 0) fail("invalid-validator-set", "no validators");
  validators.forEach((v, i) => checkValidator(v, `validator #${i}`));
  const sorted = [...validators].sort((a, b) => (a.votingPower !== b.votingPower ? (a.votingPower > b.votingPower ? -1 : 1) : compareBytes(a.address, b.address)));
  let total = 0n;
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && bytesEqual(sorted[i].address, sorted[i - 1].address)) fail("invalid-validator-set", `duplicate validator ${hex(sorted[i].address)}`);
    total += sorted[i].votingPower;
  }
  if (total > MAX_TOTAL_VOTING_POWER) fail("invalid-validator-set", `total voting power ${total} exceeds ${MAX_TOTAL_VOTING_POWER}`);
  if (proposer !== undefined) {
    checkValidator(proposer, "proposer");
    if (!sorted.some((v) => bytesEqual(v.address, proposer.address))) fail("invalid-validator-set", `proposer ${hex(proposer.address)} is not in the set`);
  }
  return { validators: sorted, totalVotingPower: total, ...(proposer === undefined ? {} : { proposer }) };
}

/** tendermint.types.SimpleValidator{pub_key: tendermint.crypto.PublicKey{ed25519}, voting_power}. */
export function simpleValidatorBytes(v: Validator): Uint8Array {
  const w = BinaryWriter.create();
  w.uint32(10).fork().uint32(10).bytes(v.pubKey).ldelim();
  if (v.votingPower !== 0n) w.uint32(16).int64(v.votingPower);
  return w.finish();
}

/** ValidatorSet.Hash: the simple Merkle root of the members' SimpleValidator bytes, in set order. */
export function validatorSetHash(set: ValidatorSet): Uint8Array {
  return merkleRoot(set.validators.map(simpleValidatorBytes));
}

/**
 * VerifyCommitLight: more than 2/3 of `vals`' power signed the commit, `vals` being the set that
 * made it (so signature i is validator i's). Refuses a commit whose size differs from the set's.
 */
export function verifyCommitLight(chainId: string, vals: ValidatorSet, commit: Commit): void {
  if (commit.signatures.length !== vals.validators.length)
    fail("signature-count", `${commit.signatures.length} signatures for ${vals.validators.length} validators`);
  tally(chainId, vals, commit, (vals.totalVotingPower * 2n) / 3n, true, "not-enough-power");
}

/**
 * VerifyCommitLightTrusting: more than `trustLevel` of `vals`' power signed the commit, `vals` being
 * another (trusted) set: signers are looked up by address, strangers skipped, a double signer refused.
 */
export function verifyCommitLightTrusting(chainId: string, vals: ValidatorSet, commit: Commit, trustLevel: Fraction): void {
  tally(chainId, vals, commit, (vals.totalVotingPower * trustLevel.numerator) / trustLevel.denominator, false, "not-enough-trust");
}

/**
 * CometBFT's verifyCommitBatch / verifyCommitSingle. Only COMMIT signatures count; the walk stops once
 * the tally exceeds `needed`, so later signatures are not checked (as in CometBFT's light functions).
 * CometBFT batch-verifies when the commit has at least two signatures (ed25519 keys): only lengths
 * are checked while collecting, and the tally is compared with `needed` before any signature is
 * verified, so a short tally is reported as such even if a collected signature is bad. With one
 * signature it verifies first. Both orders are kept: "not enough trust" and "invalid" lead a client
 * to different actions.
 */
function tally(chainId: string, vals: ValidatorSet, commit: Commit, needed: bigint, byIndex: boolean, short: TendermintReason): void {
  const batch = commit.signatures.length >= 2;
  const byAddress = byIndex ? undefined : new Map(vals.validators.map((v, i) => [hex(v.address), i]));
  const seen = new Map<number, number>();
  const collected: [number, Uint8Array][] = [];
  let tallied = 0n;
  for (let idx = 0; idx < commit.signatures.length && tallied <= needed; idx++) {
    const sig = commit.signatures[idx];
    if (sig.blockIdFlag !== BLOCK_ID_FLAG_COMMIT) continue;
    let val: Validator;
    if (byAddress === undefined) {
      val = vals.validators[idx];
      if (!bytesEqual(val.address, sig.validatorAddress))
        fail("validator-mismatch", `signature #${idx} is by ${hex(sig.validatorAddress)}, the set's validator #${idx} is ${hex(val.address)}`);
    } else {
      const at = byAddress.get(hex(sig.validatorAddress));
      if (at === undefined) continue; // not in the trusted set: its power is unknown, skip it
      const first = seen.get(at);
      if (first !== undefined) fail("duplicate-signature", `validator ${hex(sig.validatorAddress)} signed twice (#${first} and #${idx})`);
      seen.set(at, idx);
      val = vals.validators[at];
    }
    if (!batch) checkSignature(chainId, commit, idx, val.pubKey);
    else if (sig.signature.length !== SIGNATURE_SIZE) fail("bad-signature", `signature #${idx} of ${sig.signature.length} bytes`); // BatchVerifier.Add's check
    else collected.push([idx, val.pubKey]);
    tallied += val.votingPower;
  }
  if (tallied <= needed) fail(short, `signed power ${tallied} is not more than ${needed} of ${vals.totalVotingPower}`);
  for (const [idx, pubKey] of collected) checkSignature(chainId, commit, idx, pubKey);
}

/** ed25519 with ZIP-215's rules, as CometBFT (curve25519-voi) verifies; a signature not 64 bytes long fails. */
function checkSignature(chainId: string, commit: Commit, idx: number, pubKey: Uint8Array): void {
  const sig = commit.signatures[idx].signature;
  const ok = sig.length === SIGNATURE_SIZE && verifyEd25519(sig, commitSignBytes(chainId, commit, idx), pubKey);
  if (!ok) fail("bad-signature", `signature #${idx} by ${hex(commit.signatures[idx].validatorAddress)} does not verify`);
}
