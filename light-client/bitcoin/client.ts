/**
 * The bitcoin light client: the kind-agnostic `LightClient` (light-client/types.ts) over a header store kept in the KVStore the peg module
 * hands over, on top of the pure verification in chain.ts / merkle.ts / inclusion.ts. Every refusal is
 * a `LightClientError` thrown before the first write, so a refused call leaves the store untouched.
 *
 * This file is the facade: configuration checks and the calls. The rest lives apart, one concept each:
 *   checkpoint.ts     the checkpoint format: validation on initialize, the one exportState writes
 *   store-layout.ts   the store layout: keys and the encodings of state, chunks, index and records
 *   store-reads.ts    reads of the store (View): records by height, headers by hash, fork headers
 *   new-headers.ts    the per-header work of an update: hashes, chain work, walk ends, records
 *   attach.ts         where a batch attaches: the stored parent, its branch, the fork point, ancestors
 *   verify-update.ts  verifying an update (steps 1-4), reads only
 *   update-writes.ts  planning an update's writes with reads only (step 5), then applying them (step 6)
 */
import { bytesEqual } from "../../chain/store/bytes";
import type { ClientStatus, ClientSummary, ClientUpdate, LightClient, Now } from "../types";
import type { KVStore } from "../../chain/store/types";
import type {
  TipStatus,
  InclusionProof,
  BitcoinHeaderStore,
  LightClientConfig,
  ProvenTransaction,
  StoredHeaderInfo,
  UpdateContext,
  UpdateResult,
} from "./types";
import { fromHex, toDisplayHex, toHex } from "./bytes";
import { type BitcoinCheckpoint, exportCheckpoint, parseCheckpoint } from "./checkpoint";
import { fail } from "./errors";
import { HEADER_SIZE } from "./header";
import { verifyInclusionProof } from "./inclusion";
import { MEDIAN_TIME_SPAN, NETWORKS, type NetworkParams } from "./params";
import { bestChainEntries, decodeState, encodeState, KEY_STATE, MAX_HEIGHT, type Rec, type State } from "./store-layout";
import { View } from "./store-reads";
import { applyWrites, planUpdate } from "./update-writes";
import { verifyUpdate } from "./verify-update";

/** The smallest pruneWindow the client accepts for a network and reorgLimit (see attach.ts). */
export function minPruneWindow(params: NetworkParams, reorgLimit: number): number {
  return reorgLimit + Math.max(MEDIAN_TIME_SPAN, params.retargetInterval) + 1;
}

function statusOf(state: State, tip: { readonly height: number; readonly hash: Uint8Array; readonly chainWork: bigint }): TipStatus {
  return { tipHeight: tip.height, tipHash: toDisplayHex(tip.hash), chainWork: tip.chainWork.toString(), lowestHeight: state.lowest };
}

function infoOf(rec: Rec): StoredHeaderInfo {
  return { height: rec.height, hash: toDisplayHex(rec.hash), header: toHex(rec.raw), chainWork: rec.chainWork.toString(), onBestChain: rec.best };
}

function parseDisplayHash(s: unknown, what: string): Uint8Array {
  if (typeof s !== "string" || !/^[0-9a-fA-F]{64}$/.test(s)) fail("bad-field", `${what} must be 64 hex characters`);
  return fromHex(s).reverse();
}

// ---------------------------------------------------------------------------------------------
// The client

/**
 * A bitcoin light client over the given networks (default: mainnet, testnet3, testnet4, regtest);
 * `config.network` selects one by name. Tests and benchmarks pass networks made with defineNetwork.
 */
export function createBitcoinLightClient(networks: readonly NetworkParams[] = NETWORKS): BitcoinLightClient {
  const byName = new Map<string, NetworkParams>();
  for (const n of networks) {
    if (byName.has(n.name)) throw new Error(`network ${n.name} is listed twice`);
    byName.set(n.name, n);
  }

  function networkParams(name: unknown): NetworkParams {
    const params = typeof name === "string" ? byName.get(name) : undefined;
    if (params === undefined) fail("bad-config", `unknown bitcoin network ${JSON.stringify(name)} (known: ${[...byName.keys()].join(", ")})`);
    return params;
  }

  function configParams(config: LightClientConfig): NetworkParams {
    if (config === null || typeof config !== "object") fail("bad-config", "config must be an object");
    const params = networkParams(config.network);
    const { reorgLimit, pruneWindow } = config;
    if (!Number.isSafeInteger(reorgLimit) || reorgLimit < 0 || reorgLimit > MAX_HEIGHT) fail("bad-config", `reorgLimit must be a non-negative integer, got ${reorgLimit}`);
    if (!Number.isSafeInteger(pruneWindow) || pruneWindow > MAX_HEIGHT) fail("bad-config", `pruneWindow must be an integer, got ${pruneWindow}`);
    const min = minPruneWindow(params, reorgLimit);
    if (pruneWindow < min)
      fail(
        "bad-config",
        `pruneWindow ${pruneWindow} is below ${min} = reorgLimit ${reorgLimit} + max(11, retarget interval ${params.retargetInterval}) + 1: ` +
          `a reorg within reorgLimit could need pruned headers`,
      );
    return params;
  }

  /** The stored state and tip; `network`, when given, must be the stored one. */
  async function load(store: KVStore, network?: string): Promise<View> {
    const v = await store.get(KEY_STATE);
    if (v === undefined) fail("not-initialized", "the bitcoin light client has no state in this store");
    const state = decodeState(v);
    if (network !== undefined && network !== state.network) fail("bad-config", `the client was initialized for ${state.network}, not ${network}`);
    if (!byName.has(state.network)) fail("store-corrupt", `stored network ${JSON.stringify(state.network)} is not one this client knows`);
    const view = new View(store, state);
    const tip = await view.bestRecord(state.tipHeight, state.tipHash);
    if (tip === undefined) fail("store-corrupt", `the tip ${toDisplayHex(state.tipHash)} has no header record`);
    view.tip = tip;
    return view;
  }

  async function initialize(store: KVStore, config: LightClientConfig, checkpoint: unknown): Promise<TipStatus> {
    const params = configParams(config);
    if ((await store.get(KEY_STATE)) !== undefined) fail("already-initialized", "the store already holds bitcoin light-client state");
    const { records, finalHeight } = parseCheckpoint(checkpoint, params);
    const tip = records[records.length - 1];
    const lowest = Math.max(records[0].height, tip.height - config.pruneWindow);
    const entries = bestChainEntries(records.filter((r) => r.height >= lowest));
    // F only moves up: an exported F above tip - reorgLimit stays where it was
    const final = records[Math.max(lowest, tip.height - config.reorgLimit, finalHeight ?? 0) - records[0].height];
    const state = { lowest, tipHeight: tip.height, forkCount: 0, tipHash: tip.hash, final: { height: final.height, hash: final.hash }, network: params.name };
    for (const [k, v] of entries) store.set(k, v);
    store.set(KEY_STATE, encodeState(state));
    return statusOf(state, tip);
  }

  async function update(store: KVStore, config: LightClientConfig, headers: readonly Uint8Array[], ctx: UpdateContext): Promise<UpdateResult> {
    const params = configParams(config);
    const view = await load(store, config.network);
    const verified = await verifyUpdate(view, params, config, headers, ctx);
    if (verified === undefined) return { status: statusOf(view.state, view.tip), added: 0, reorgDepth: 0 };
    const writes = await planUpdate(view, config, verified);
    applyWrites(store, writes);
    const { newState, newTip, reorgDepth, finalityViolation } = writes;
    return { status: statusOf(newState, newTip), added: verified.nh.raws.length, reorgDepth, ...(finalityViolation === undefined ? {} : { finalityViolation }) };
  }

  async function proveTransaction(store: KVStore, config: LightClientConfig, claim: InclusionProof): Promise<ProvenTransaction> {
    configParams(config);
    const view = await load(store, config.network);
    const { tip } = view;
    if (claim === null || typeof claim !== "object" || !(claim.tx instanceof Uint8Array) || !(claim.proof instanceof Uint8Array))
      fail("bad-field", "an inclusion proof is { tx: Uint8Array, blockHash: string, proof: Uint8Array }");
    const hash = parseDisplayHash(claim.blockHash, "blockHash");
    const rec = await view.find(hash);
    if (rec === undefined) fail("unknown-block", `block ${claim.blockHash} is not stored (never relayed, or pruned)`);
    if (!rec.best) fail("not-best-chain", `block ${claim.blockHash} at height ${rec.height} is not on the best chain`);
    if (rec.height < tip.height - config.pruneWindow)
      fail("block-pruned", `block ${claim.blockHash} at height ${rec.height} is below the prune window (tip ${tip.height}, pruneWindow ${config.pruneWindow})`);
    if (claim.proof.length < HEADER_SIZE || !bytesEqual(claim.proof.subarray(0, HEADER_SIZE), rec.raw))
      fail("header-mismatch", `the proof's header is not the stored header of block ${claim.blockHash}`);
    const inc = verifyInclusionProof(claim.tx, claim.proof);
    if (!bytesEqual(inc.blockHash, hash)) fail("header-mismatch", `the proof is for block ${toDisplayHex(inc.blockHash)}`);
    return {
      txid: toDisplayHex(inc.tx.txid),
      blockHash: toDisplayHex(hash),
      height: rec.height,
      confirmations: tip.height - rec.height + 1,
      inputs: inc.tx.inputs.map((i) => ({ txid: toDisplayHex(i.prevTxid), index: i.prevIndex })),
      outputs: inc.tx.outputs.map((o, index) => ({ index, script: o.scriptPubKey, value: o.value })),
    };
  }

  async function tip(store: KVStore): Promise<TipStatus> {
    const view = await load(store);
    return statusOf(view.state, view.tip);
  }

  async function header(store: KVStore, at: { height: number } | { hash: string }): Promise<StoredHeaderInfo | undefined> {
    const view = await load(store);
    if (at === null || typeof at !== "object") fail("bad-field", "header() takes { height } or { hash }");
    if ("height" in at) {
      if (!Number.isSafeInteger(at.height) || at.height < 0) fail("bad-field", `height must be a non-negative integer, got ${at.height}`);
      const rec = await view.bestRecord(at.height);
      return rec === undefined ? undefined : infoOf(rec);
    }
    const rec = await view.find(parseDisplayHash(at.hash, "hash"));
    return rec === undefined ? undefined : infoOf(rec);
  }

  async function exportState(store: KVStore): Promise<BitcoinCheckpoint> {
    return exportCheckpoint(await load(store));
  }

  // The kind-agnostic steps (light-client/types.ts): verifying plans the writes with reads only;
  // misbehaviour is a finality violation, after which the client still follows the most work.

  async function verifyClientMessage(store: KVStore, config: LightClientConfig, headers: readonly Uint8Array[], now: Now): Promise<PlannedUpdate> {
    const params = configParams(config);
    const view = await load(store, config.network);
    const verified = await verifyUpdate(view, params, config, headers, { blockTime: Number(now / 1_000_000_000n) });
    return { view, writes: verified === undefined ? undefined : await planUpdate(view, config, verified), added: verified?.nh.raws.length ?? 0 };
  }

  async function checkForMisbehaviour(_store: KVStore, config: LightClientConfig, planned: PlannedUpdate): Promise<string | undefined> {
    const w = planned.writes;
    if (w === undefined) return undefined;
    // A single update deeper than the limit always leaves F; the depth check holds should it not.
    if (w.finalityViolation === undefined && w.reorgDepth <= config.reorgLimit) return undefined;
    const why = w.finalityViolation ?? `more than the limit of ${config.reorgLimit}`;
    return `a reorg disconnected ${w.reorgDepth} blocks (limit ${config.reorgLimit}): ${why}; new tip ${toDisplayHex(w.newTip.hash)} at ${w.newTip.height}`;
  }

  async function updateState(store: KVStore, _config: LightClientConfig, planned: PlannedUpdate): Promise<ClientUpdate> {
    if (planned.writes !== undefined) applyWrites(store, planned.writes);
    const state = planned.writes?.newState ?? planned.view.state;
    const tip = planned.writes?.newTip ?? planned.view.tip;
    return {
      latestHeight: BigInt(tip.height),
      latestHash: toDisplayHex(tip.hash),
      added: planned.added,
      attributes: [["reorg_depth", String(planned.writes?.reorgDepth ?? 0)], ["chain_work", tip.chainWork.toString()], ["lowest_height", String(state.lowest)]],
    };
  }

  async function clientStatus(store: KVStore): Promise<ClientStatus> {
    await load(store);
    return "Active";
  }

  async function summary(store: KVStore): Promise<ClientSummary> {
    const view = await load(store);
    const t = statusOf(view.state, view.tip);
    return {
      status: "Active",
      latestHeight: BigInt(t.tipHeight),
      latestHash: t.tipHash,
      details: { chain_work: t.chainWork, lowest_height: String(t.lowestHeight), final_height: String(view.state.final?.height ?? ""), network: view.state.network },
    };
  }

  return {
    type: "bitcoin",
    initialize,
    update,
    proveTransaction,
    tip,
    header,
    exportState,
    verifyClientMessage,
    checkForMisbehaviour,
    updateState,
    updateStateOnMisbehaviour: updateState,
    status: clientStatus,
    summary,
  };
}

/** What verifyClientMessage hands on: the writes planned from the store as it was read (none when every header was known). */
export interface PlannedUpdate {
  readonly view: View;
  readonly writes: Awaited<ReturnType<typeof planUpdate>> | undefined;
  readonly added: number;
}

/**
 * Both faces of the client: the header store (its own calls, used by the bitcoin kind and the
 * tests) and the kind-agnostic LightClient the peg module drives. A proof-of-work client never
 * expires and is never frozen itself: a finality violation is its misbehaviour, and the peg freezes.
 */
export interface BitcoinLightClient extends Omit<BitcoinHeaderStore, "initialize" | "exportState">, LightClient<LightClientConfig, PlannedUpdate> {
  initialize(store: KVStore, config: LightClientConfig, checkpoint: unknown): Promise<TipStatus>;
  exportState(store: KVStore): Promise<BitcoinCheckpoint>;
}

/** The client the peg module registers, over mainnet, testnet3, testnet4 and regtest. */
export const bitcoinLightClient: BitcoinLightClient = createBitcoinLightClient();
