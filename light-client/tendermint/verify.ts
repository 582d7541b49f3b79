/**
 * Light verification of an untrusted signed header against a trusted state (CometBFT light/verifier.go
 * Verify, VerifyAdjacent, VerifyNonAdjacent; ibc-go 07-tendermint's update path):
 *  - the header on its own (SignedHeader.ValidateBasic): well-formed, of the trusted chain, its
 *    commit for this height and this block;
 *  - against the trusted state: trusted state not expired, height above, time strictly after, time
 *    before now + max clock drift, the supplied validator set hashing to validators_hash;
 *  - adjacent (height + 1): validators_hash is the trusted next_validators_hash, then more than 2/3 of
 *    the new set signed;
 *  - non-adjacent: more than the trust level of the trusted set signed ("not-enough-trust" otherwise:
 *    the caller should try a closer height), then more than 2/3 of the new set.
 * Pure: `now` is a parameter, all arithmetic is on bigint.
 */
import { bytesEqual } from "../../chain/store/bytes";
import { fail } from "./errors";
import { headerHash } from "./header-hash";
import { ADDRESS_SIZE, SIGNATURE_SIZE, validatorSetHash, verifyCommitLight, verifyCommitLightTrusting } from "./validator-set";
import {
  BLOCK_ID_FLAG_ABSENT,
  type BlockId,
  type Commit,
  type Header,
  type SignedHeader,
  type TrustedState,
  type ValidatorSet,
  type VerifyOptions,
  formatTime,
  ZERO_TIME,
} from "./types";

/** version.BlockProtocol of CometBFT v0.34–v0.38. */
export const BLOCK_PROTOCOL = 11n;
/** types.MaxChainIDLen, in bytes. */
export const MAX_CHAIN_ID_LENGTH = 50;
const HASH_SIZE = 32;

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex").toUpperCase();

/** The state a verified header leaves for the next verification. */
export function trustedStateOf(header: Header): TrustedState {
  return { chainId: header.chainId, height: header.height, time: header.time, nextValidatorsHash: header.nextValidatorsHash };
}

/** light.ValidateTrustLevel ([1/3, 1]), a positive trusting period, a non-negative clock drift. */
export function checkOptions(o: VerifyOptions): void {
  const { numerator, denominator } = o.trustLevel;
  if (denominator <= 0n || numerator * 3n < denominator || numerator > denominator)
    fail("bad-options", `trust level ${numerator}/${denominator} is not within [1/3, 1]`);
  if (o.trustingPeriod <= 0n) fail("bad-options", `trusting period ${o.trustingPeriod} ns`);
  if (o.maxClockDrift < 0n) fail("bad-options", `max clock drift ${o.maxClockDrift} ns`);
}

/** types.ValidateHash: empty, or a sha256. */
function checkHash(h: Uint8Array, what: string): void {
  if (h.length !== 0 && h.length !== HASH_SIZE) fail("invalid-header", `${what} of ${h.length} bytes`);
}

function checkBlockId(id: BlockId, what: string): void {
  checkHash(id.hash, `${what} hash`);
  checkHash(id.partSetHeader.hash, `${what} part set header hash`);
}

/** Header.ValidateBasic; validators_hash must be a hash here (CometBFT hashes a header without one to nil). */
function validateHeader(h: Header): void {
  if (h.version.block !== BLOCK_PROTOCOL) fail("invalid-header", `block protocol ${h.version.block}, expected ${BLOCK_PROTOCOL}`);
  const chainIdBytes = Buffer.byteLength(h.chainId, "utf8"); // Go's len(string)
  if (chainIdBytes > MAX_CHAIN_ID_LENGTH) fail("invalid-header", `chain id of ${chainIdBytes} bytes`);
  if (h.height <= 0n) fail("invalid-header", `height ${h.height}`);
  checkBlockId(h.lastBlockId, "last block id");
  checkHash(h.lastCommitHash, "last commit hash");
  checkHash(h.dataHash, "data hash");
  checkHash(h.evidenceHash, "evidence hash");
  if (h.proposerAddress.length !== ADDRESS_SIZE) fail("invalid-header", `proposer address of ${h.proposerAddress.length} bytes`);
  if (h.validatorsHash.length !== HASH_SIZE) fail("invalid-header", `validators hash of ${h.validatorsHash.length} bytes`);
  checkHash(h.nextValidatorsHash, "next validators hash");
  checkHash(h.consensusHash, "consensus hash");
  checkHash(h.lastResultsHash, "last results hash");
}

/** Commit.ValidateBasic and CommitSig.ValidateBasic. */
function validateCommit(c: Commit): void {
  if (c.height <= 0n) fail("invalid-header", `commit height ${c.height}`);
  if (c.round < 0) fail("invalid-header", `commit round ${c.round}`);
  checkBlockId(c.blockId, "commit block id");
  if (c.signatures.length === 0) fail("invalid-header", "no signatures in commit");
  c.signatures.forEach((s, i) => {
    if (s.blockIdFlag === BLOCK_ID_FLAG_ABSENT) {
      if (s.validatorAddress.length !== 0 || s.signature.length !== 0 || s.timestamp !== ZERO_TIME)
        fail("invalid-header", `absent signature #${i} carries an address, a signature or a time`);
    } else {
      if (s.validatorAddress.length !== ADDRESS_SIZE) fail("invalid-header", `signature #${i}: address of ${s.validatorAddress.length} bytes`);
      if (s.signature.length === 0 || s.signature.length > SIGNATURE_SIZE) fail("invalid-header", `signature #${i} of ${s.signature.length} bytes`);
    }
  });
}

/**
 * SignedHeader.ValidateBasic(chainId): both halves well formed, the header of `chainId`, and the
 * commit for this header's height and hash. Returns the header's hash.
 */
export function validateSignedHeader(sh: SignedHeader, chainId: string): Uint8Array {
  validateHeader(sh.header);
  validateCommit(sh.commit);
  if (sh.header.chainId !== chainId) fail("wrong-chain", `header of chain "${sh.header.chainId}", expected "${chainId}"`);
  if (sh.commit.height !== sh.header.height) fail("commit-height-mismatch", `commit at height ${sh.commit.height} for a header at ${sh.header.height}`);
  const hash = headerHash(sh.header);
  if (!bytesEqual(sh.commit.blockId.hash, hash)) fail("block-id-mismatch", `commit signs block ${hex(sh.commit.blockId.hash)}, the header is block ${hex(hash)}`);
  return hash;
}

/** light.HeaderExpired: the trusted state is usable while its time + trusting period is after now. */
function checkNotExpired(trusted: TrustedState, o: VerifyOptions): void {
  const expiry = trusted.time + o.trustingPeriod;
  if (expiry <= o.now) fail("expired", `trusted header at ${trusted.height} expired at ${formatTime(expiry)}, now is ${formatTime(o.now)}`);
}

/** light.verifyNewHeaderAndVals. */
function checkNewHeaderAndVals(trusted: TrustedState, untrusted: SignedHeader, untrustedVals: ValidatorSet, o: VerifyOptions): void {
  validateSignedHeader(untrusted, trusted.chainId);
  const h = untrusted.header;
  if (h.height <= trusted.height) fail("non-increasing-height", `new height ${h.height} is not above the trusted ${trusted.height}`);
  if (h.time <= trusted.time) fail("non-monotonic-time", `new time ${formatTime(h.time)} is not after the trusted ${formatTime(trusted.time)}`);
  if (h.time >= o.now + o.maxClockDrift)
    fail("future-header", `header time ${formatTime(h.time)} is not before now ${formatTime(o.now)} + max clock drift ${o.maxClockDrift} ns`);
  const valsHash = validatorSetHash(untrustedVals);
  if (!bytesEqual(h.validatorsHash, valsHash))
    fail("validators-mismatch", `validators_hash ${hex(h.validatorsHash)} at height ${h.height}, the supplied set hashes to ${hex(valsHash)}`);
}

/** light.VerifyAdjacent: `untrusted` is at trusted height + 1. */
export function verifyAdjacent(trusted: TrustedState, untrusted: SignedHeader, untrustedVals: ValidatorSet, o: VerifyOptions): void {
  if (untrusted.header.height !== trusted.height + 1n) fail("invalid-header", "headers must be adjacent in height");
  checkNotExpired(trusted, o);
  checkNewHeaderAndVals(trusted, untrusted, untrustedVals, o);
  if (!bytesEqual(untrusted.header.validatorsHash, trusted.nextValidatorsHash))
    fail("next-validators-mismatch", `validators_hash ${hex(untrusted.header.validatorsHash)}, the trusted next_validators_hash is ${hex(trusted.nextValidatorsHash)}`);
  verifyCommitLight(trusted.chainId, untrustedVals, untrusted.commit);
}

/**
 * light.VerifyNonAdjacent. `trustedVals` is the trusted header's next validator set; unlike CometBFT's
 * light client, which keeps it itself, the caller supplies it, so it is checked against the trusted
 * next_validators_hash (as ibc-go checks its TrustedValidators).
 */
export function verifyNonAdjacent(
  trusted: TrustedState,
  trustedVals: ValidatorSet,
  untrusted: SignedHeader,
  untrustedVals: ValidatorSet,
  o: VerifyOptions,
): void {
  if (untrusted.header.height === trusted.height + 1n) fail("invalid-header", "headers must be non-adjacent in height");
  checkNotExpired(trusted, o);
  checkNewHeaderAndVals(trusted, untrusted, untrustedVals, o);
  const trustedHash = validatorSetHash(trustedVals);
  if (!bytesEqual(trustedHash, trusted.nextValidatorsHash))
    fail("trusted-validators-mismatch", `the trusted set hashes to ${hex(trustedHash)}, the trusted next_validators_hash is ${hex(trusted.nextValidatorsHash)}`);
  verifyCommitLightTrusting(trusted.chainId, trustedVals, untrusted.commit, o.trustLevel);
  // Last, as in CometBFT: the untrusted set may be made huge to make this check costly.
  verifyCommitLight(trusted.chainId, untrustedVals, untrusted.commit);
}

/**
 * light.Verify: adjacent or non-adjacent by height. Returns the state the header leaves for the next
 * verification; throws a TendermintError otherwise (reason "not-enough-trust" only when the trusted
 * set's signers fall short, every other reason meaning the header is invalid).
 */
export function verify(
  trusted: TrustedState,
  trustedVals: ValidatorSet,
  untrusted: SignedHeader,
  untrustedVals: ValidatorSet,
  o: VerifyOptions,
): TrustedState {
  checkOptions(o);
  if (untrusted.header.height === trusted.height + 1n) verifyAdjacent(trusted, untrusted, untrustedVals, o);
  else verifyNonAdjacent(trusted, trustedVals, untrusted, untrustedVals, o);
  return trustedStateOf(untrusted.header);
}
