/**
 * The client's status (ibc-go 07-tendermint status.go) and its revival.
 *  - status: Frozen once misbehaviour froze it; Expired once the latest consensus state's time +
 *    trusting period ≤ now (no stored state can verify a header any more, and proofs are refused);
 *    else Active. `now` is pegzone's block time, never a clock.
 *  - revive: an Expired client takes a new trusted header, in the registration's TRUSTED JSON form
 *    (genesis.ts), better than IBC's governance-only substitution. Never a Frozen client: its evidence
 *    must be examined first. The header must be above the latest height, later than the latest time,
 *    not after now + max clock drift, itself within its trusting period at now, and self-consistent
 *    (its validator set hashing to validators_hash and signing more than 2/3, the next set hashing to
 *    next_validators_hash). It becomes the latest consensus state; the parameters are kept. Its chain id
 *    may differ only with a higher revision (a main chain upgraded to "name-N+1": its heights start
 *    again but compare higher). WHO may revive (the peg authority, or the federation's threshold) is
 *    the peg module's business, not this client's: the header is taken on trust exactly as at
 *    registration, so revive must be as hard to call as registering the chain.
 */
import type { KVStore } from "../../chain/store/types";
import type { ClientState, ConsensusState, Height, Status } from "./client-state";
import { checkNow, compareHeights, formatHeight, heightOf, isExpired, revisionOf } from "./client-state";
import { fail } from "./errors";
import { checkTrustedHeader, decodeTrustedJson } from "./genesis";
import { latestConsensusState, loadClientState, saveClientState, setConsensusState } from "./store";
import { formatTime, type Time } from "./types";
import { pruneConsensusStates } from "./update";

export function statusOf(state: ClientState, latest: ConsensusState, now: Time): Status {
  if (state.frozenHeight !== undefined) return "Frozen";
  return isExpired(state, latest.time, now) ? "Expired" : "Active";
}

export async function status(store: KVStore, now: Time): Promise<Status> {
  checkNow(now);
  const state = await loadClientState(store);
  return statusOf(state, await latestConsensusState(store, state), now);
}

/** The client state, if the client is Active; "frozen" or "client-expired" otherwise. */
export async function requireActive(store: KVStore, now: Time): Promise<ClientState> {
  checkNow(now);
  const state = await loadClientState(store);
  if (state.frozenHeight !== undefined) fail("frozen", `the client is frozen at ${formatHeight(state.frozenHeight)}`);
  const latest = await latestConsensusState(store, state);
  if (isExpired(state, latest.time, now))
    fail("client-expired", `the latest consensus state (${formatHeight(state.latestHeight)}, ${formatTime(latest.time)}) expired at ${formatTime(latest.time + state.trustingPeriod)}`);
  return state;
}

export interface ReviveResult {
  readonly height: Height;
  readonly pruned: number;
}

export async function revive(store: KVStore, trustedJson: unknown, now: Time): Promise<ReviveResult> {
  checkNow(now);
  const state = await loadClientState(store);
  if (state.frozenHeight !== undefined) fail("frozen", `the client is frozen at ${formatHeight(state.frozenHeight)}: its evidence must be examined, not revived`);
  const latest = await latestConsensusState(store, state);
  if (!isExpired(state, latest.time, now)) fail("not-expired", `the client is Active until ${formatTime(latest.time + state.trustingPeriod)}: update it instead`);
  const t = decodeTrustedJson(trustedJson);
  const h = t.signedHeader.header;
  if (h.chainId !== state.chainId && revisionOf(h.chainId) <= revisionOf(state.chainId))
    fail("wrong-chain", `a header of chain "${h.chainId}": only a higher revision than "${state.chainId}"'s may replace it`);
  const height = heightOf(h.chainId, h.height);
  if (compareHeights(height, state.latestHeight) <= 0)
    fail("non-increasing-height", `height ${formatHeight(height)} is not above the latest ${formatHeight(state.latestHeight)}`);
  if (h.time <= latest.time) fail("non-monotonic-time", `time ${formatTime(h.time)} is not after the latest ${formatTime(latest.time)}`);
  if (h.time > now + state.maxClockDrift) fail("future-header", `time ${formatTime(h.time)} is after now ${formatTime(now)} + max clock drift`);
  if (isExpired(state, h.time, now)) fail("expired", `the header of ${formatTime(h.time)} is itself past the trusting period`);
  const trusted = checkTrustedHeader(t.signedHeader, t.validatorSet, t.nextValidatorSet, h.chainId);
  const next: ClientState = { ...state, chainId: h.chainId, latestHeight: height };
  setConsensusState(store, height, trusted.consensusState);
  saveClientState(store, next);
  return { height, pruned: await pruneConsensusStates(store, next, now) };
}
