/**
 * Misbehaviour (ibc-go 07-tendermint misbehaviour_handle.go, misbehaviour.go): evidence that the main
 * chain's validators signed two histories. A client that sees it freezes, for good: only its evidence
 * being examined (off chain, then governance) can lead to a new client; `revive` refuses a frozen one.
 *  - checkForMisbehaviour (reads only), on a header verifyClientMessage accepted: a stored consensus
 *    state at the same height with another header hash (conflicting headers), or a time not strictly
 *    between those of the nearest stored heights below and above (time monotonicity broken).
 *  - freeze: records the frozen height and the evidence; refuses a client already frozen, so the
 *    first evidence is kept.
 *  - submitMisbehaviour: an `ibc.lightclients.tendermint.v1.Misbehaviour` with two Headers, each
 *    verified against its own trusted consensus state as ibc-go's checkMisbehaviourHeader does (well
 *    formed and of the client's chain, its validator set hashing to validators_hash and signing more
 *    than 2/3, the trusted validators matching a stored, unexpired consensus state and signing more
 *    than the trust level). They must be misbehaviour: at the same height, different blocks; at
 *    different heights, the higher one not later in time. Otherwise "no-misbehaviour". Unlike ibc-go,
 *    the two headers may come in either order (ibc-go wants the higher one first).
 */
import { Misbehaviour as MisbehaviourProto } from "cosmjs-types/ibc/lightclients/tendermint/v1/tendermint";
import { bytesEqual } from "../../chain/store/bytes";
import type { KVStore } from "../../chain/store/types";
import type { ClientState, Height } from "./client-state";
import { checkHeight, checkNow, formatHeight, heightOf, hexUpper, isExpired } from "./client-state";
import { fail, TendermintError } from "./errors";
import { decodeCanonical, type HeaderMessage, headerMessageFromProto, trustedConsensusState, type VerifiedHeader } from "./message";
import { getConsensusState, loadClientState, neighbours, saveClientState, setFrozenEvidence } from "./store";
import { formatTime, type Time } from "./types";
import { validatorSetHash, verifyCommitLight, verifyCommitLightTrusting } from "./validator-set";
import { validateSignedHeader } from "./verify";

export async function checkForMisbehaviour(store: KVStore, verified: VerifiedHeader): Promise<string | undefined> {
  const at = formatHeight(verified.height);
  const c = verified.consensusState;
  const existing = await getConsensusState(store, verified.height);
  if (existing !== undefined) {
    if (bytesEqual(existing.headerHash, c.headerHash)) return undefined;
    return `conflicting headers at ${at}: stored block ${hexUpper(existing.headerHash)}, new block ${hexUpper(c.headerHash)}`;
  }
  const { lower, higher } = await neighbours(store, verified.height);
  if (lower !== undefined && c.time <= lower.state.time)
    return `non-monotonic time: block ${hexUpper(c.headerHash)} at ${at} has time ${formatTime(c.time)}, not after ${formatTime(lower.state.time)} at ${formatHeight(lower.height)}`;
  if (higher !== undefined && c.time >= higher.state.time)
    return `non-monotonic time: block ${hexUpper(c.headerHash)} at ${at} has time ${formatTime(c.time)}, not before ${formatTime(higher.state.time)} at ${formatHeight(higher.height)}`;
  return undefined;
}

export async function freeze(store: KVStore, evidence: string, height: Height): Promise<void> {
  const state = await loadClientState(store);
  if (state.frozenHeight !== undefined) fail("frozen", `the client is already frozen at ${formatHeight(state.frozenHeight)}`);
  if (typeof evidence !== "string" || evidence === "") fail("no-misbehaviour", "freezing takes a non-empty evidence string");
  if (typeof height !== "object" || height === null) fail("bad-height", "the frozen height is { revisionNumber, revisionHeight }");
  checkHeight(height, "frozen height");
  saveClientState(store, { ...state, frozenHeight: { revisionNumber: height.revisionNumber, revisionHeight: height.revisionHeight } });
  setFrozenEvidence(store, evidence);
}

/** ibc-go checkMisbehaviourHeader plus Header.ValidateBasic; returns the header's block hash. */
async function checkMisbehaviourHeader(store: KVStore, state: ClientState, m: HeaderMessage, now: Time, which: string): Promise<Uint8Array> {
  const { header, commit } = m.signedHeader;
  try {
    const hash = validateSignedHeader(m.signedHeader, state.chainId);
    if (header.height <= m.trustedHeight.revisionHeight)
      fail("non-increasing-height", `height ${header.height} is not above the trusted height ${formatHeight(m.trustedHeight)}`);
    const valsHash = validatorSetHash(m.validatorSet);
    if (!bytesEqual(valsHash, header.validatorsHash))
      fail("validators-mismatch", `the validator set hashes to ${hexUpper(valsHash)}, validators_hash is ${hexUpper(header.validatorsHash)}`);
    const trusted = await trustedConsensusState(store, state, m);
    if (isExpired(state, trusted.time, now)) fail("expired", `the consensus state at ${formatHeight(m.trustedHeight)} is past its trusting period`);
    verifyCommitLightTrusting(state.chainId, m.trustedValidators, commit, state.trustLevel);
    verifyCommitLight(state.chainId, m.validatorSet, commit);
    return hash;
  } catch (e) {
    throw e instanceof TendermintError ? new TendermintError(e.reason, `${which}: ${e.detail}`) : e;
  }
}

export interface MisbehaviourFound {
  /** The height the client is frozen at: the (higher) conflicting header's. */
  readonly height: Height;
  readonly evidence: string;
}

/** Decodes and verifies a Misbehaviour message (reads only); the evidence it shows, or a refusal. */
export async function verifyMisbehaviour(store: KVStore, bytes: Uint8Array, now: Time): Promise<MisbehaviourFound> {
  checkNow(now);
  const state = await loadClientState(store);
  if (state.frozenHeight !== undefined) fail("frozen", `the client is already frozen at ${formatHeight(state.frozenHeight)}`);
  const p = decodeCanonical(bytes, MisbehaviourProto, "Misbehaviour");
  if (p.header1 === undefined || p.header2 === undefined) fail("bad-encoding", "Misbehaviour without two headers");
  let [m1, m2] = [headerMessageFromProto(p.header1, "header1"), headerMessageFromProto(p.header2, "header2")];
  if (m1.signedHeader.header.height < m2.signedHeader.header.height) [m1, m2] = [m2, m1];
  const hash1 = await checkMisbehaviourHeader(store, state, m1, now, "header1");
  const hash2 = await checkMisbehaviourHeader(store, state, m2, now, "header2");
  const [h1, h2] = [m1.signedHeader.header, m2.signedHeader.header];
  const height = heightOf(state.chainId, h1.height);
  if (h1.height === h2.height) {
    if (bytesEqual(hash1, hash2)) fail("no-misbehaviour", `both headers are block ${hexUpper(hash1)} at ${formatHeight(height)}`);
    return { height, evidence: `conflicting headers at ${formatHeight(height)}: blocks ${hexUpper(hash1)} and ${hexUpper(hash2)}` };
  }
  if (h1.time > h2.time) fail("no-misbehaviour", `the headers at ${h1.height} and ${h2.height} are in time order`);
  return {
    height,
    evidence: `non-monotonic time: block ${hexUpper(hash1)} at ${formatHeight(height)} has time ${formatTime(h1.time)}, not after ${formatTime(h2.time)} of block ${hexUpper(hash2)} at ${formatHeight(heightOf(state.chainId, h2.height))}`,
  };
}

/** verifyMisbehaviour, then freeze with its evidence. */
export async function submitMisbehaviour(store: KVStore, bytes: Uint8Array, now: Time): Promise<MisbehaviourFound> {
  const found = await verifyMisbehaviour(store, bytes, now);
  await freeze(store, found.evidence, found.height);
  return found;
}
