/**
 * The client's wire messages, decoded at the edge: ibc-go's `ibc.lightclients.tendermint.v1.Header`
 * (a signed header, its validator set, the trusted height and the trusted validators) and
 * `Misbehaviour` (two Headers), from cosmjs-types. Protobuf bytes must be in their canonical
 * encoding (the one cosmjs-types and Go's gogoproto write): bytes that re-encode differently
 * (unknown fields, non-minimal varints, duplicated fields) are "bad-encoding". Also the check every
 * Header gets against the store (ibc-go checkTrustedHeader), shared by updates and misbehaviour.
 */
import { Header as HeaderProto } from "cosmjs-types/ibc/lightclients/tendermint/v1/tendermint";
import { bytesEqual } from "../../chain/store/bytes";
import type { KVStore } from "../../chain/store/types";
import type { ClientState, ConsensusState, Height } from "./client-state";
import { formatHeight, hexUpper, revisionOf } from "./client-state";
import { signedHeaderFromProto, validatorSetFromProto } from "./decode";
import { fail } from "./errors";
import { getConsensusState } from "./store";
import type { SignedHeader, ValidatorSet } from "./types";
import { validatorSetHash } from "./validator-set";

/** A decoded `Header` message: a signed header, its validator set, and what to verify it from. */
export interface HeaderMessage {
  readonly signedHeader: SignedHeader;
  readonly validatorSet: ValidatorSet;
  readonly trustedHeight: Height;
  readonly trustedValidators: ValidatorSet;
}

/** Decodes protobuf bytes, refusing a decoding error or a non-canonical encoding. */
export function decodeCanonical<T>(bytes: Uint8Array, codec: { decode(b: Uint8Array): T; encode(m: T): { finish(): Uint8Array } }, what: string): T {
  if (!(bytes instanceof Uint8Array)) fail("bad-encoding", `${what} must be bytes`);
  let m: T;
  try {
    m = codec.decode(bytes);
  } catch (e) {
    fail("bad-encoding", `${what} protobuf: ${(e as Error).message}`);
  }
  if (!bytesEqual(codec.encode(m).finish(), bytes)) fail("bad-encoding", `${what} is not canonically encoded (unknown fields or non-minimal encoding)`);
  return m;
}

export function headerMessageFromProto(p: HeaderProto, what = "Header"): HeaderMessage {
  if (p.signedHeader === undefined || p.validatorSet === undefined || p.trustedValidators === undefined)
    fail("bad-encoding", `${what} without a signed header, a validator set or trusted validators`);
  return {
    signedHeader: signedHeaderFromProto(p.signedHeader),
    validatorSet: validatorSetFromProto(p.validatorSet),
    trustedHeight: { revisionNumber: p.trustedHeight.revisionNumber, revisionHeight: p.trustedHeight.revisionHeight },
    trustedValidators: validatorSetFromProto(p.trustedValidators),
  };
}

export const decodeHeaderMessage = (bytes: Uint8Array): HeaderMessage => headerMessageFromProto(decodeCanonical(bytes, HeaderProto, "Header"));

/**
 * ibc-go checkTrustedHeader and the revision rule of verifyHeader: trusted height of the client's
 * revision, its consensus state stored, trusted validators hashing to its next_validators_hash.
 */
export async function trustedConsensusState(store: KVStore, state: ClientState, m: HeaderMessage): Promise<ConsensusState> {
  const revision = revisionOf(state.chainId);
  if (m.trustedHeight.revisionNumber !== revision)
    fail("bad-height", `trusted height ${formatHeight(m.trustedHeight)} is not of the client's revision ${revision}`);
  const trusted = await getConsensusState(store, m.trustedHeight);
  if (trusted === undefined) fail("unknown-height", `no consensus state at the trusted height ${formatHeight(m.trustedHeight)} (never stored, or pruned)`);
  const valsHash = validatorSetHash(m.trustedValidators);
  if (!bytesEqual(valsHash, trusted.nextValidatorsHash))
    fail("trusted-validators-mismatch", `trusted validators hash to ${hexUpper(valsHash)}, the consensus state at ${formatHeight(m.trustedHeight)} has next_validators_hash ${hexUpper(trusted.nextValidatorsHash)}`);
  return trusted;
}

/** What verifyClientMessage accepted, for checkForMisbehaviour and updateState. */
export interface VerifiedHeader {
  readonly height: Height;
  readonly signedHeader: SignedHeader;
  readonly validatorSet: ValidatorSet;
  readonly trustedHeight: Height;
  readonly consensusState: ConsensusState;
}
