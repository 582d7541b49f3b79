/**
 * Updating the client with a header (ibc-go 07-tendermint update.go), in two steps so a refused
 * message can never be half-applied:
 *  - verifyClientMessage (reads only): decode the `ibc.lightclients.tendermint.v1.Header` bytes, then
 *    the client must not be frozen, trusted_height must be of the client's revision and have a stored
 *    consensus state, trusted_validators must hash to its next_validators_hash, and `verify` must accept
 *    the header from it (adjacent at trusted height + 1, else non-adjacent with the trust level; the
 *    trusted state within its trusting period and the header not ahead of now + max clock drift).
 *  - updateState (writes): store the header's consensus state (nothing if that very header is stored),
 *    raise the latest height, prune. The caller runs checkForMisbehaviour (misbehaviour.ts) in between
 *    and freezes instead; updateState re-runs it and refuses ("misbehaviour"), never overwriting.
 * Pruning (ibc-go prunes expired consensus states too): in ascending height order, while
 * now − time > pruning window and the state is not the latest, at most MAX_PRUNE per call (so one
 * call's cost is bounded; the rest goes on later calls). Stored times increase with height (verify
 * and the misbehaviour checks see to it), so the walk stops at the first state it keeps.
 */
import type { KVStore } from "../../chain/store/types";
import type { ClientState, Height } from "./client-state";
import { checkNow, compareHeights, consensusStateOf, formatHeight, heightOf, heightsEqual, verifyOptionsOf } from "./client-state";
import { fail } from "./errors";
import { headerHash } from "./header-hash";
import { decodeHeaderMessage, trustedConsensusState, type VerifiedHeader } from "./message";
import { checkForMisbehaviour } from "./misbehaviour";
import { consensusStatesAscending, deleteConsensusState, getConsensusState, loadClientState, saveClientState, setConsensusState } from "./store";
import type { Time } from "./types";
import { verify } from "./verify";

/** Consensus states one call prunes at most. */
export const MAX_PRUNE = 64;

export interface UpdateResult {
  readonly height: Height;
  /** False when this header's consensus state was already stored (a repeated update is a no-op). */
  readonly added: boolean;
  /** How many consensus states were pruned. */
  readonly pruned: number;
}

export async function verifyClientMessage(store: KVStore, headerBytes: Uint8Array, now: Time): Promise<VerifiedHeader> {
  checkNow(now);
  const state = await loadClientState(store);
  if (state.frozenHeight !== undefined) fail("frozen", `the client is frozen at ${formatHeight(state.frozenHeight)}`);
  const m = decodeHeaderMessage(headerBytes);
  const trusted = await trustedConsensusState(store, state, m);
  const trustedState = { chainId: state.chainId, height: m.trustedHeight.revisionHeight, time: trusted.time, nextValidatorsHash: trusted.nextValidatorsHash };
  verify(trustedState, m.trustedValidators, m.signedHeader, m.validatorSet, verifyOptionsOf(state, now));
  const h = m.signedHeader.header;
  return {
    height: heightOf(state.chainId, h.height),
    signedHeader: m.signedHeader,
    validatorSet: m.validatorSet,
    trustedHeight: m.trustedHeight,
    consensusState: consensusStateOf(h, headerHash(h)),
  };
}

/**
 * Deletes up to MAX_PRUNE consensus states, oldest first, while now − time > the pruning window,
 * never the latest height's. Returns how many it deleted. Writes only deletes.
 */
export async function pruneConsensusStates(store: KVStore, state: ClientState, now: Time): Promise<number> {
  const doomed: Height[] = [];
  for await (const { height, state: c } of consensusStatesAscending(store)) {
    if (doomed.length === MAX_PRUNE || heightsEqual(height, state.latestHeight) || now - c.time <= state.pruningWindow) break;
    doomed.push(height);
  }
  for (const h of doomed) deleteConsensusState(store, h);
  return doomed.length;
}

export async function updateState(store: KVStore, verified: VerifiedHeader, now: Time): Promise<UpdateResult> {
  checkNow(now);
  const state = await loadClientState(store);
  if (state.frozenHeight !== undefined) fail("frozen", `the client is frozen at ${formatHeight(state.frozenHeight)}`);
  const evidence = await checkForMisbehaviour(store, verified);
  if (evidence !== undefined) fail("misbehaviour", `${evidence} (freeze the client instead)`);
  const existing = await getConsensusState(store, verified.height);
  const added = existing === undefined;
  let next = state;
  if (added) {
    setConsensusState(store, verified.height, verified.consensusState);
    if (compareHeights(verified.height, state.latestHeight) > 0) {
      next = { ...state, latestHeight: verified.height };
      saveClientState(store, next);
    }
  }
  const pruned = await pruneConsensusStates(store, next, now);
  return { height: verified.height, added, pruned };
}
