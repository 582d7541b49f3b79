/**
 * The stateful Tendermint (CometBFT) light client, in the manner of ibc-go's 07-tendermint: its whole
 * state lives in the KVStore the peg module hands over, `now` is always pegzone's block time (bigint
 * Unix nanoseconds, never a clock), and every refusal is a TendermintError with a `reason` thrown
 * before the first write, so a refused call leaves the store untouched. Verifying a message is
 * separate from applying it: verifyClientMessage → checkForMisbehaviour → updateState, or freeze.
 *
 * This file is the facade. The concepts have a file each:
 *   client-state.ts   heights (revision from the chain id), client and consensus state, parameter rules
 *   genesis.ts        the JSON forms: registration (+ the trusted header revive takes), export/import
 *   store.ts          the KV layout: client state, consensus states by big-endian height, frozen evidence
 *   message.ts        the Header / Misbehaviour protobuf messages, decoded canonically; the trusted-state check
 *   update.ts         verifyClientMessage (reads only), updateState (writes) and pruning
 *   misbehaviour.ts   checkForMisbehaviour, freeze, submitMisbehaviour
 *   status.ts         status (Active / Expired / Frozen) and revive
 *   prove.ts          proveTransaction (tx + result), proveState (ICS23)
 */
import type { KVStore } from "../../chain/store/types";
import type { ClientUpdate, LightClient } from "../types";
import type { ClientState, ConsensusState, Height } from "./client-state";
import { formatHeight, hexUpper, toHeight } from "./client-state";
import { fail } from "./errors";
import { type ClientExport, exportJson, isRegistration, parseExport, parseRegistration } from "./genesis";
import type { VerifiedHeader } from "./message";
import { checkForMisbehaviour, freeze, submitMisbehaviour } from "./misbehaviour";
import { proveState, proveTransaction } from "./prove";
import { revive, status } from "./status";
import { consensusStates, frozenEvidence, getConsensusState, KEY_CLIENT_STATE, loadClientState, neighbours, saveClientState, setConsensusState, setFrozenEvidence } from "./store";
import { formatTime, type Time } from "./types";
import { type UpdateResult, updateState, verifyClientMessage } from "./update";

/**
 * Writes the initial state from a registration (genesis.ts: parameters and a self-consistent trusted
 * header, whose consensus state is stored) or from exportState's JSON. Refuses a store that already
 * holds a client. Takes no `now`: a registration whose header is already expired initializes an
 * Expired client (see status), which the caller may check and refuse.
 */
export async function initialize(store: KVStore, json: unknown): Promise<ClientState> {
  if ((await store.get(KEY_CLIENT_STATE)) !== undefined) fail("already-initialized", "the store already holds a Tendermint light client");
  if (isRegistration(json)) {
    const { state, trusted } = parseRegistration(json);
    setConsensusState(store, trusted.height, trusted.consensusState);
    saveClientState(store, state);
    return state;
  }
  const { state, states, evidence } = parseExport(json);
  for (const { height, state: c } of states) setConsensusState(store, height, c);
  if (evidence !== undefined) setFrozenEvidence(store, evidence);
  saveClientState(store, state);
  return state;
}

/** The consensus state stored at a height (a bare block height is of the client's chain id); undefined if never stored or pruned. */
export async function consensusState(store: KVStore, height: Height | bigint): Promise<ConsensusState | undefined> {
  return getConsensusState(store, toHeight(await loadClientState(store), height));
}

/** The client's parameters and latest height (chain id, trust level, trusting period, clock drift, ...). */
export function clientState(store: KVStore): Promise<ClientState> {
  return loadClientState(store);
}

/** The highest height of the client's chain id at or below `height` with a stored consensus state, if any. */
export async function storedHeightAtOrBelow(store: KVStore, height: bigint): Promise<bigint | undefined> {
  const state = await loadClientState(store);
  const at = toHeight(state, height);
  if ((await getConsensusState(store, at)) !== undefined) return height;
  const { lower } = await neighbours(store, at);
  return lower?.height.revisionNumber === at.revisionNumber ? lower.height.revisionHeight : undefined;
}

export async function latestHeight(store: KVStore): Promise<Height> {
  return (await loadClientState(store)).latestHeight;
}

/** The whole state as JSON (genesis.ts ClientExport), re-importable with initialize. */
export async function exportState(store: KVStore): Promise<ClientExport> {
  const state = await loadClientState(store);
  return exportJson(state, await consensusStates(store), await frozenEvidence(store));
}

export interface UpdateOutcome extends UpdateResult {
  /** Set when the header proved misbehaviour: the client is now frozen with this evidence. */
  readonly misbehaviour?: string;
}

/**
 * MsgUpdateClient as ibc-go runs it: verify (refusals throw), then freeze on misbehaviour or apply.
 * A composition of the facade's steps, for callers that need nothing in between.
 */
export async function updateClient(store: KVStore, headerBytes: Uint8Array, now: Time): Promise<UpdateOutcome> {
  const verified = await verifyClientMessage(store, headerBytes, now);
  const evidence = await checkForMisbehaviour(store, verified);
  if (evidence === undefined) return updateState(store, verified, now);
  await freeze(store, evidence, verified.height);
  return { height: verified.height, added: false, pruned: 0, misbehaviour: evidence };
}

export type { VerifiedHeader };
export { checkForMisbehaviour, freeze, proveState, proveTransaction, revive, status, submitMisbehaviour, updateState, verifyClientMessage };

/** A message carries one header: each is verified against state the one before it may have written. */
function oneHeader(message: readonly Uint8Array[]): Uint8Array {
  if (message.length !== 1) fail("bad-encoding", `a Tendermint client message is one Header, got ${message.length}`);
  return message[0];
}

async function updateOf(store: KVStore, height: Height, added: boolean, pruned: number): Promise<ClientUpdate> {
  const c = await getConsensusState(store, height);
  return { latestHeight: (await latestHeight(store)).revisionHeight, latestHash: c === undefined ? "" : hexUpper(c.headerHash), added: added ? 1 : 0, attributes: [["height", formatHeight(height)], ["pruned", String(pruned)]] };
}

/**
 * The client as the peg module's kind-agnostic LightClient (light-client/types.ts). Its settings
 * are all in its client state, so it takes no config.
 */
export const tendermintLightClient: LightClient<unknown, VerifiedHeader> = {
  type: "tendermint",
  async initialize(store, _config, registration) {
    await initialize(store, registration);
  },
  verifyClientMessage: async (store, _config, message, now) => verifyClientMessage(store, oneHeader(message), now),
  checkForMisbehaviour: (store, _config, verified) => checkForMisbehaviour(store, verified),
  async updateState(store, _config, verified, now) {
    const r = await updateState(store, verified, now);
    return updateOf(store, verified.height, r.added, r.pruned);
  },
  async updateStateOnMisbehaviour(store, _config, verified, evidence) {
    await freeze(store, evidence, verified.height);
    return updateOf(store, verified.height, false, 0);
  },
  status: (store, _config, now) => status(store, now),
  async summary(store, _config, now) {
    const state = await loadClientState(store);
    const latest = (await getConsensusState(store, state.latestHeight))!;
    return {
      status: await status(store, now),
      latestHeight: state.latestHeight.revisionHeight,
      latestHash: hexUpper(latest.headerHash),
      details: {
        chain_id: state.chainId,
        latest_height: formatHeight(state.latestHeight),
        latest_time: formatTime(latest.time),
        app_hash: hexUpper(latest.root),
        next_validators_hash: hexUpper(latest.nextValidatorsHash),
        trust_level: `${state.trustLevel.numerator}/${state.trustLevel.denominator}`,
        trusting_period_nanos: String(state.trustingPeriod),
        max_clock_drift_nanos: String(state.maxClockDrift),
        expires_at: formatTime(latest.time + state.trustingPeriod),
        ...(state.frozenHeight === undefined ? {} : { frozen_height: formatHeight(state.frozenHeight), evidence: (await frozenEvidence(store)) ?? "" }),
      },
    };
  },
  exportState,
  async consensusState(store, height) {
    const at = height === 0n ? (await latestHeight(store)).revisionHeight : await storedHeightAtOrBelow(store, height);
    if (at === undefined) return undefined;
    const c = await consensusState(store, at);
    if (c === undefined) return undefined;
    return {
      height: at,
      details: {
        time: formatTime(c.time),
        time_nanos: String(c.time),
        app_hash: hexUpper(c.root),
        next_validators_hash: hexUpper(c.nextValidatorsHash),
        header_hash: hexUpper(c.headerHash),
        data_hash: hexUpper(c.dataHash),
        last_results_hash: hexUpper(c.lastResultsHash),
      },
    };
  },
  async revive(store, _config, trusted, now) {
    return { height: (await revive(store, trusted, now)).height.revisionHeight };
  },
};
