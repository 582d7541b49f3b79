/**
 * The bitcoin `LightClient` (light-client/types.ts): a header store kept in the KVStore the peg module
 * hands over, on top of the pure verification in chain.ts / merkle.ts / inclusion.ts. Every refusal is
 * a `LightClientError` thrown before the first write, so a refused call leaves the store untouched.
 *
 * Store layout (keys inside the client's store; integers big-endian, so key order is height order;
 * hashes in internal byte order, i.e. as sha256d returns them):
 *
 *   key                            value
 *   0x00                           state: 0x01 (layout version) | lowest u32 | forkCount u32 | tip hash 32 | network name (UTF-8)
 *   0x01 | hash 32                 header record: raw header 80 | height u32 | chain work u256 | walk end u32
 *   0x02 | height u32              hash 32 of the best-chain header at that height, for every height lowest..tip
 *   0x03 | height u32 | hash 32    prevBlock 32: a stored header that is NOT on the best chain (a fork header)
 *
 * `lowest` is the lowest best-chain height still stored; `forkCount` the number of 0x03 entries (so an
 * update without forks never iterates). "Walk end" is what retarget.ts's testnet walk
 * (minDifficultyWalkEnd) returns from that header: its own bits if it stops the walk (period start,
 * genesis, not at powLimit), else its parent's walk end; 0 when unknown (checkpoint headers before the
 * first header of their period). Persisting it means no update ever walks back over stored headers.
 *
 * update: at most MAX_HEADERS_PER_UPDATE consecutive headers. A leading run of already-stored headers
 * is skipped (re-relaying is not an error; `added` counts the new headers only); the first new header's
 * parent must be stored ("unknown-parent" otherwise). All new headers are verified by verifyHeaderChain
 * (maxFutureTime = ctx.blockTime + 2 h) and every read is done before the first write. The best chain
 * is the one with the most cumulative work; on equal work the current tip stays (first seen).
 *
 * What is kept:
 *  - best chain: heights max(lowest, tip - pruneWindow)..tip; everything lower is deleted after each
 *    update (header record and height entry). `lowest` never decreases, even when a reorg lowers the tip.
 *  - forks: a header off the best chain is kept while its fork point (the best-chain header its branch
 *    leaves from) is at most reorgLimit below the tip; otherwise it is deleted. A new branch that does not
 *    take over the best chain and forks deeper than that is refused ("fork-too-old"): it would not be kept.
 *  - a branch with more cumulative work than the tip becomes the best chain whatever its depth (the
 *    reorgDepth it reports is for the peg module to act on), provided the ancestors verification reads
 *    are still stored; otherwise "fork-too-old".
 *
 * What verification of a batch on parent P reads (retarget.ts): the 10 headers below P (median time
 * past), P's walk end (testnets), and the first header of P's retarget period (at a retarget). The
 * client requires P's period start even when the batch does not reach a retarget, so that every stored
 * header, the tip included, stays extendable. Hence the two configuration bounds: pruneWindow >=
 * reorgLimit + max(11, retargetInterval) + 1 (any branch forking within reorgLimit finds its ancestors,
 * and so does the tip), and a checkpoint that reaches back to min(height - 10, its period start).
 *
 * exportState writes the stored best chain (lowest..tip) as a checkpoint; fork headers are not
 * exported, and walk ends of exported headers before the first period start in the run become unknown
 * on re-import (which only matters for branches forking that deep).
 */
import type { KVStore } from "../../chain/store/types";
import type {
  ClientStatus,
  InclusionProof,
  LightClient,
  LightClientConfig,
  ProvenTransaction,
  StoredHeaderInfo,
  UpdateContext,
  UpdateResult,
} from "../types";
import { bytesEqual, fromHex, toDisplayHex, toHex } from "./bytes";
import { type HeaderLookup, type StoredHeader, verifyHeaderChain, verifyHeaderExtends } from "./chain";
import { fail, LightClientError } from "./errors";
import { sha256d } from "./hash";
import { decodeHeader, encodeHeader, HEADER_SIZE } from "./header";
import { verifyTxInclusion } from "./inclusion";
import { MAX_FUTURE_BLOCK_TIME, MEDIAN_TIME_SPAN, NETWORKS, type NetworkParams } from "./params";
import { blockWork, proofOfWorkFailure } from "./pow";
import { stopsMinDifficultyWalk } from "./retarget";

/** Most headers one update may carry. */
export const MAX_HEADERS_PER_UPDATE = 2000;
/** Heights are stored as u32. */
const MAX_HEIGHT = 0xffffffff;
const LAYOUT_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Checkpoint

/**
 * The trust anchor `initialize` takes and `exportState` returns (JSON). `headers` are consecutive raw
 * 80-byte headers in hex, the last one at `height`, reaching back at least to `checkpointStart(height)`
 * (see there); `chain_work` is the decimal cumulative work up to and including the last one.
 * `network`, if present, must be the configured network.
 */
export interface BitcoinCheckpoint {
  readonly network?: string;
  readonly height: number;
  readonly chain_work: string;
  readonly headers: readonly string[];
}

/**
 * The highest height a checkpoint at `height` may start at: the 10 headers below it (median time past;
 * fewer only from genesis) and the first header of its retarget period, which the next retarget reads
 * and where the testnet minimum-difficulty walk stops at the latest (so the walk end of the checkpoint,
 * i.e. the last non-minimum-difficulty bits, is always inside the run). Required on every network,
 * regtest included: Core's GetNextWorkRequired (and retarget.ts) read the period's first header at
 * period boundaries even where the difficulty never changes.
 */
export function checkpointStart(params: NetworkParams, height: number): number {
  return Math.max(0, Math.min(height - (MEDIAN_TIME_SPAN - 1), height - (height % params.retargetInterval)));
}

/** The smallest pruneWindow the client accepts for a network and reorgLimit (see the file comment). */
export function minPruneWindow(params: NetworkParams, reorgLimit: number): number {
  return reorgLimit + Math.max(MEDIAN_TIME_SPAN, params.retargetInterval) + 1;
}

/** A checkpoint at the network's genesis block (height 0). */
export function genesisCheckpoint(network: string | NetworkParams): BitcoinCheckpoint {
  const params = typeof network === "string" ? NETWORKS.find((n) => n.name === network) : network;
  if (params === undefined) fail("bad-config", `unknown bitcoin network ${JSON.stringify(network)} (known: ${NETWORKS.map((n) => n.name).join(", ")})`);
  return { network: params.name, height: 0, chain_work: blockWork(params.genesis.bits).toString(), headers: [toHex(encodeHeader(params.genesis))] };
}

// ---------------------------------------------------------------------------------------------
// Encodings

/** A stored header: what chain.ts verifies against, plus its raw bytes and walk end. */
interface Rec extends StoredHeader {
  readonly raw: Uint8Array;
  /** minDifficultyWalkEnd from this header; 0 = unknown. */
  readonly walkEnd: number;
}

interface State {
  readonly lowest: number;
  readonly forkCount: number;
  readonly tipHash: Uint8Array;
  readonly network: string;
}

/** A fork-index entry (0x03). */
interface ForkEntry {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly prev: Uint8Array;
}

const KEY_STATE = Uint8Array.of(0x00);
const P_HEADER = 0x01;
const P_BEST = 0x02;
const P_FORK = 0x03;
const RECORD_SIZE = HEADER_SIZE + 4 + 32 + 4;
const MASK64 = (1n << 64n) - 1n;

function putU32(buf: Uint8Array, off: number, n: number): void {
  buf[off] = n >>> 24;
  buf[off + 1] = n >>> 16;
  buf[off + 2] = n >>> 8;
  buf[off + 3] = n;
}

function getU32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

function headerKey(hash: Uint8Array): Uint8Array {
  const k = new Uint8Array(33);
  k[0] = P_HEADER;
  k.set(hash, 1);
  return k;
}

function bestKey(height: number): Uint8Array {
  const k = new Uint8Array(5);
  k[0] = P_BEST;
  putU32(k, 1, height);
  return k;
}

function forkKey(height: number, hash: Uint8Array): Uint8Array {
  const k = new Uint8Array(37);
  k[0] = P_FORK;
  putU32(k, 1, height);
  k.set(hash, 5);
  return k;
}

/** Writes the record of `r` at `off` in `buf` (`dv` a DataView over all of `buf`). */
function writeRecord(buf: Uint8Array, dv: DataView, off: number, r: Rec): void {
  const w = r.chainWork;
  if (w < 0n || w >> 256n !== 0n) fail("bad-field", `chain work ${w} does not fit 256 bits`);
  buf.set(r.raw, off);
  putU32(buf, off + HEADER_SIZE, r.height);
  const o = off + HEADER_SIZE + 4;
  dv.setBigUint64(o, w >> 192n);
  dv.setBigUint64(o + 8, (w >> 128n) & MASK64);
  dv.setBigUint64(o + 16, (w >> 64n) & MASK64);
  dv.setBigUint64(o + 24, w & MASK64);
  putU32(buf, off + HEADER_SIZE + 36, r.walkEnd);
}

/** The records of `recs`, as subarrays of one buffer (one allocation per update, not one per header). */
function encodeRecords(recs: readonly Rec[]): Uint8Array[] {
  const slab = new Uint8Array(recs.length * RECORD_SIZE);
  const dv = new DataView(slab.buffer, slab.byteOffset, slab.byteLength);
  const out = new Array<Uint8Array>(recs.length);
  for (let i = 0; i < recs.length; i++) {
    writeRecord(slab, dv, i * RECORD_SIZE, recs[i]);
    out[i] = slab.subarray(i * RECORD_SIZE, (i + 1) * RECORD_SIZE);
  }
  return out;
}

function decodeRecord(hash: Uint8Array, v: Uint8Array): Rec {
  if (v.length !== RECORD_SIZE) fail("store-corrupt", `header record of ${toDisplayHex(hash)} has ${v.length} bytes`);
  const raw = v.slice(0, HEADER_SIZE);
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const o = HEADER_SIZE + 4;
  const chainWork = (dv.getBigUint64(o) << 192n) | (dv.getBigUint64(o + 8) << 128n) | (dv.getBigUint64(o + 16) << 64n) | dv.getBigUint64(o + 24);
  return { hash, raw, header: decodeHeader(raw), height: getU32(v, HEADER_SIZE), chainWork, walkEnd: getU32(v, HEADER_SIZE + 36) };
}

function encodeState(s: State): Uint8Array {
  const name = new TextEncoder().encode(s.network);
  const v = new Uint8Array(41 + name.length);
  v[0] = LAYOUT_VERSION;
  putU32(v, 1, s.lowest);
  putU32(v, 5, s.forkCount);
  v.set(s.tipHash, 9);
  v.set(name, 41);
  return v;
}

function decodeState(v: Uint8Array): State {
  if (v.length < 41 || v[0] !== LAYOUT_VERSION) fail("store-corrupt", `client state of ${v.length} bytes, layout version ${v[0]}`);
  return { lowest: getU32(v, 1), forkCount: getU32(v, 5), tipHash: v.slice(9, 41), network: new TextDecoder().decode(v.subarray(41)) };
}

const hashHex = toHex;

function parseDisplayHash(s: unknown, what: string): Uint8Array {
  if (typeof s !== "string" || !/^[0-9a-fA-F]{64}$/.test(s)) fail("bad-field", `${what} must be 64 hex characters`);
  return fromHex(s).reverse();
}

/** Orders fork entries as their 0x03 keys: by height, then hash bytes. */
function compareForkEntries(a: ForkEntry, b: ForkEntry): number {
  if (a.height !== b.height) return a.height - b.height;
  for (let i = 0; i < 32; i++) if (a.hash[i] !== b.hash[i]) return a.hash[i] - b.hash[i];
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Store reads

async function getRecord(store: KVStore, hash: Uint8Array): Promise<Rec | undefined> {
  const v = await store.get(headerKey(hash));
  return v === undefined ? undefined : decodeRecord(hash.slice(), v);
}

async function bestHashAt(store: KVStore, height: number): Promise<Uint8Array | undefined> {
  if (!Number.isSafeInteger(height) || height < 0 || height > MAX_HEIGHT) return undefined;
  const v = await store.get(bestKey(height));
  if (v !== undefined && v.length !== 32) fail("store-corrupt", `best-chain entry at height ${height} has ${v.length} bytes`);
  return v;
}

async function scanForks(store: KVStore): Promise<ForkEntry[]> {
  const out: ForkEntry[] = [];
  for await (const [k, v] of store.iterate({ start: Uint8Array.of(P_FORK), end: Uint8Array.of(P_FORK + 1) })) {
    if (k.length !== 37 || v.length !== 32) fail("store-corrupt", `fork entry with a ${k.length}-byte key and ${v.length}-byte value`);
    out.push({ height: getU32(k, 1), hash: k.slice(5), prev: v.slice() });
  }
  return out;
}

function statusOf(state: State, tip: Rec): ClientStatus {
  return { tipHeight: tip.height, tipHash: toDisplayHex(tip.hash), chainWork: tip.chainWork.toString(), lowestHeight: state.lowest };
}

function infoOf(rec: Rec, onBestChain: boolean): StoredHeaderInfo {
  return { height: rec.height, hash: toDisplayHex(rec.hash), header: toHex(rec.raw), chainWork: rec.chainWork.toString(), onBestChain };
}

/** Adds `prefix` to a LightClientError's detail, keeping its reason. */
function withContext<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof LightClientError) throw new LightClientError(e.reason, `${prefix}${e.detail}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// The client

/**
 * A bitcoin light client over the given networks (default: mainnet, testnet3, testnet4, regtest);
 * `config.network` selects one by name. Tests and benchmarks pass networks made with defineNetwork.
 */
export function createBitcoinLightClient(networks: readonly NetworkParams[] = NETWORKS): LightClient {
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
  async function load(store: KVStore, network?: string): Promise<{ state: State; tip: Rec; params: NetworkParams }> {
    const v = await store.get(KEY_STATE);
    if (v === undefined) fail("not-initialized", "the bitcoin light client has no state in this store");
    const state = decodeState(v);
    if (network !== undefined && network !== state.network) fail("bad-config", `the client was initialized for ${state.network}, not ${network}`);
    const params = byName.get(state.network);
    if (params === undefined) fail("store-corrupt", `stored network ${JSON.stringify(state.network)} is not one this client knows`);
    const tip = await getRecord(store, state.tipHash);
    if (tip === undefined) fail("store-corrupt", `the tip ${toDisplayHex(state.tipHash)} has no header record`);
    return { state, tip, params };
  }

  /** Checks a checkpoint (see BitcoinCheckpoint) and returns its records, lowest first. */
  function parseCheckpoint(checkpoint: unknown, params: NetworkParams): Rec[] {
    const bad = (detail: string): never => fail("bad-checkpoint", detail);
    if (checkpoint === null || typeof checkpoint !== "object" || Array.isArray(checkpoint)) bad("the checkpoint must be a JSON object");
    const cp = checkpoint as Record<string, unknown>;
    for (const key of Object.keys(cp)) if (!["network", "height", "chain_work", "headers"].includes(key)) bad(`unknown field ${JSON.stringify(key)}`);
    if (cp.network !== undefined && cp.network !== params.name) bad(`checkpoint of network ${JSON.stringify(cp.network)}, the client is configured for ${params.name}`);
    const height = cp.height;
    if (typeof height !== "number" || !Number.isSafeInteger(height) || height < 0 || height > MAX_HEIGHT) bad(`height must be an integer from 0 to ${MAX_HEIGHT}`);
    const h = height as number;
    if (typeof cp.chain_work !== "string" || !/^(0|[1-9][0-9]{0,77})$/.test(cp.chain_work)) bad("chain_work must be a decimal string");
    const chainWork = BigInt(cp.chain_work as string);
    if (chainWork >> 256n !== 0n) bad("chain_work does not fit 256 bits");
    const hexes = cp.headers;
    if (!Array.isArray(hexes) || hexes.length === 0) bad("headers must be a non-empty array of hex headers");
    const list = hexes as unknown[];
    if (list.length > h + 1) bad(`${list.length} headers cannot end at height ${h}`);
    const start = h - list.length + 1;
    const need = checkpointStart(params, h);
    if (start > need)
      bad(
        `a checkpoint at height ${h} must reach back to height ${need} (the 10 headers below it for the median time past and ` +
          `the first header of its retarget period, ${h - (h % params.retargetInterval)}, which retargets and the testnet walk read); it starts at ${start}`,
      );
    const raws = list.map((x, i) => {
      if (typeof x !== "string" || !/^[0-9a-fA-F]{160}$/.test(x)) bad(`header ${i} (height ${start + i}) is not 160 hex characters`);
      return fromHex(x as string);
    });
    // links and proof of work
    const hashes = raws.map((r) => sha256d(r));
    const headers = raws.map((r) => decodeHeader(r));
    for (let i = 0; i < raws.length; i++) {
      if (i > 0 && !bytesEqual(headers[i].prevBlock, hashes[i - 1])) bad(`header ${i} (height ${start + i}) does not link to the header before it`);
      const powError = proofOfWorkFailure(hashes[i], headers[i].bits, params.powLimit);
      if (powError !== undefined) bad(`header ${i} (height ${start + i}) fails proof of work: ${powError}`);
    }
    if (start === 0 && toDisplayHex(hashes[0]) !== params.genesisHash) bad(`the header at height 0 is not ${params.name}'s genesis ${params.genesisHash}`);
    // chain work of the earlier headers, derived back from the checkpoint's
    const works = new Array<bigint>(raws.length);
    works[raws.length - 1] = chainWork;
    for (let i = raws.length - 1; i > 0; i--) works[i - 1] = works[i] - blockWork(headers[i].bits);
    const firstWork = blockWork(headers[0].bits);
    if (start === 0 && works[0] !== firstWork) bad(`chain_work ${chainWork} is not the sum of the headers' work from genesis (${chainWork - works[0] + firstWork})`);
    // every block before the run has work >= 1
    if (works[0] < firstWork + BigInt(start)) bad(`chain_work ${chainWork} is less than the work of the headers it covers`);
    const walkEnds: number[] = [];
    const records: Rec[] = raws.map((raw, i) => {
      const partial = { hash: hashes[i], height: start + i, chainWork: works[i], header: headers[i] };
      walkEnds.push(stopsMinDifficultyWalk(partial, params) ? headers[i].bits : i > 0 ? walkEnds[i - 1] : 0);
      return { ...partial, raw, walkEnd: walkEnds[i] };
    });
    // the consensus rules, for each header whose ancestors the run holds
    const lookup: HeaderLookup = {
      ancestor: (x) => records[x - start],
      walkEnd: (x) => (x >= start && walkEnds[x - start] !== 0 ? walkEnds[x - start] : undefined),
    };
    for (let i = 1; i < records.length; i++) {
      try {
        verifyHeaderExtends(records[i - 1], raws[i], { params, lookup, maxFutureTime: MAX_HEIGHT });
      } catch (e) {
        if (!(e instanceof LightClientError)) throw e;
        if (e.reason === "missing-ancestor") continue; // an ancestor before the run: taken on trust
        bad(`header ${i} (height ${start + i}) breaks the consensus rules: ${e.reason}: ${e.detail}`);
      }
    }
    return records;
  }

  async function initialize(store: KVStore, config: LightClientConfig, checkpoint: unknown): Promise<ClientStatus> {
    const params = configParams(config);
    if ((await store.get(KEY_STATE)) !== undefined) fail("already-initialized", "the store already holds bitcoin light-client state");
    const records = parseCheckpoint(checkpoint, params);
    const tip = records[records.length - 1];
    const lowest = Math.max(records[0].height, tip.height - config.pruneWindow);
    const kept = records.filter((r) => r.height >= lowest);
    const values = encodeRecords(kept);
    for (let i = 0; i < kept.length; i++) {
      store.set(headerKey(kept[i].hash), values[i]);
      store.set(bestKey(kept[i].height), kept[i].hash);
    }
    const state: State = { lowest, forkCount: 0, tipHash: tip.hash, network: params.name };
    store.set(KEY_STATE, encodeState(state));
    return statusOf(state, tip);
  }

  async function update(store: KVStore, config: LightClientConfig, headers: readonly Uint8Array[], ctx: UpdateContext): Promise<UpdateResult> {
    const params = configParams(config);
    const { state, tip } = await load(store, config.network);
    if (!Array.isArray(headers)) fail("bad-field", "headers must be an array of raw headers");
    const n = headers.length;
    if (n > MAX_HEADERS_PER_UPDATE) fail("batch-too-large", `${n} headers; at most ${MAX_HEADERS_PER_UPDATE} per update`);
    if (ctx === null || typeof ctx !== "object" || !Number.isSafeInteger(ctx.blockTime) || ctx.blockTime < 0)
      fail("bad-field", `ctx.blockTime must be a non-negative integer (unix seconds)`);
    for (let i = 0; i < n; i++) {
      const h = headers[i];
      if (!(h instanceof Uint8Array) || h.length !== HEADER_SIZE) fail("bad-length", `header ${i} of ${n}: a header is ${HEADER_SIZE} bytes, got ${h?.length}`);
    }
    const unchanged: UpdateResult = { status: statusOf(state, tip), added: 0, reorgDepth: 0 };

    // 1. Skip the headers already stored (relaying is idempotent); the rest must hang off a stored header.
    let k = 0;
    let parent: Rec | undefined;
    for (; k < n; k++) {
      if (k > 0 && !bytesEqual(headers[k].subarray(4, 36), parent!.hash)) fail("unknown-parent", `header ${k} of ${n} does not link to header ${k - 1}`);
      const known = await getRecord(store, sha256d(headers[k]));
      if (known === undefined) break;
      parent = known;
    }
    if (k === n) return unchanged;
    if (parent === undefined) {
      const prevHash = headers[0].slice(4, 36);
      parent = await getRecord(store, prevHash);
      if (parent === undefined)
        fail("unknown-parent", `header 0 of ${n}: its parent ${toDisplayHex(prevHash)} is not stored (never relayed, or pruned below height ${state.lowest})`);
    }
    const P = parent;
    const fresh = k === 0 ? headers : headers.slice(k);
    const context = k === 0 ? "" : `(after ${k} already stored) `;

    // 2. P's branch down to the best chain: branch = the fork headers fork+1..P, lowest first.
    const branch: Rec[] = [];
    let cursor = P;
    for (;;) {
      const best = await bestHashAt(store, cursor.height);
      if (best !== undefined && bytesEqual(best, cursor.hash)) break;
      branch.push(cursor);
      const up = await getRecord(store, cursor.header.prevBlock);
      if (up === undefined) fail("fork-too-old", `${context}the branch of ${toDisplayHex(P.hash)} does not reach the stored best chain`);
      cursor = up;
    }
    branch.reverse();
    const fork = cursor;
    const forkDepth = tip.height - fork.height;
    if (forkDepth > config.pruneWindow)
      fail("fork-too-old", `${context}the branch forks at height ${fork.height}, ${forkDepth} blocks below the tip, deeper than pruneWindow ${config.pruneWindow}`);

    // 3. Preload the ancestors the rules read (10 below P, P's period start) from P's branch.
    const onBranch = async (h: number): Promise<Rec | undefined> => {
      if (h > fork.height) return branch[h - fork.height - 1];
      const hash = await bestHashAt(store, h);
      return hash === undefined ? undefined : getRecord(store, hash);
    };
    const ancestors = new Map<number, Rec>([[P.height, P]]);
    const periodStart = P.height - (P.height % params.retargetInterval);
    const needed: number[] = [];
    for (let h = Math.max(0, P.height - (MEDIAN_TIME_SPAN - 1)); h < P.height; h++) needed.push(h);
    if (periodStart < P.height - (MEDIAN_TIME_SPAN - 1)) needed.push(periodStart);
    const missingReason = P === tip || bytesEqual(P.hash, tip.hash) ? "missing-ancestor" : "fork-too-old";
    for (const h of needed) {
      const rec = await onBranch(h);
      if (rec === undefined)
        fail(
          missingReason,
          `${context}verifying headers on ${toDisplayHex(P.hash)} (height ${P.height}) needs its ancestor at height ${h}, which is pruned (lowest stored height ${state.lowest})`,
        );
      ancestors.set(h, rec);
    }
    const lookup: HeaderLookup = {
      ancestor: (h) => ancestors.get(h),
      walkEnd: (h) => (h === P.height && P.walkEnd !== 0 ? P.walkEnd : undefined),
    };

    // 4. Verify every new header before anything is written.
    const verified = withContext(context, () => {
      try {
        return verifyHeaderChain(P, fresh, { params, lookup, maxFutureTime: ctx.blockTime + MAX_FUTURE_BLOCK_TIME });
      } catch (e) {
        // an ancestor beyond what was preloaded: only a walk from a checkpoint header with unknown walk end
        if (e instanceof LightClientError && e.reason === "missing-ancestor" && missingReason === "fork-too-old") throw new LightClientError("fork-too-old", e.detail);
        throw e;
      }
    });
    const added: Rec[] = [];
    let walkEnd = P.walkEnd;
    for (let i = 0; i < verified.length; i++) {
      const r = verified[i];
      walkEnd = stopsMinDifficultyWalk(r, params) ? r.header.bits : walkEnd;
      added.push({ hash: r.hash, height: r.height, chainWork: r.chainWork, header: r.header, raw: fresh[i], walkEnd });
    }
    const last = added[added.length - 1];
    // Most cumulative work wins; on a tie the current tip stays (first seen, as Core).
    const becomesBest = last.chainWork > tip.chainWork;
    if (!becomesBest && forkDepth > config.reorgLimit)
      fail(
        "fork-too-old",
        `${context}the branch forks at height ${fork.height}, ${forkDepth} blocks below the tip, and has less work than the best chain: ` +
          `forks are kept only within reorgLimit ${config.reorgLimit}`,
      );

    // 5. The resulting state, computed (with reads only) before the first write.
    const newTip = becomesBest ? last : tip;
    const reorgDepth = becomesBest ? tip.height - fork.height : 0;
    const newLowest = Math.max(state.lowest, newTip.height - config.pruneWindow);
    const newBranch: Rec[] = becomesBest ? branch.concat(added) : []; // heights fork+1..last, the new best chain above the fork point
    const oldBest = new Map<number, Uint8Array | undefined>();
    const readOldBest = async (h: number): Promise<Uint8Array | undefined> => {
      if (!oldBest.has(h)) oldBest.set(h, await bestHashAt(store, h));
      return oldBest.get(h);
    };
    /** The best-chain hash at h after this update (old entries must have been read). */
    const finalBest = (h: number): Uint8Array | undefined => {
      if (becomesBest && h > fork.height) return newBranch[h - fork.height - 1]?.hash;
      return oldBest.get(h);
    };
    // the blocks a reorg disconnects become fork headers
    const disconnected: ForkEntry[] = [];
    if (becomesBest)
      for (let h = fork.height + 1; h <= tip.height; h++) {
        const hash = await readOldBest(h);
        if (hash === undefined) fail("store-corrupt", `no best-chain entry at height ${h}`);
        disconnected.push({ height: h, hash, prev: h === fork.height + 1 ? fork.hash : disconnected[disconnected.length - 1].hash });
      }
    const existing = state.forkCount > 0 ? await scanForks(store) : [];
    if (existing.length !== state.forkCount) fail("store-corrupt", `${existing.length} fork entries, the state counts ${state.forkCount}`);
    const existingSet = new Set(existing.map((e) => hashHex(e.hash)));
    const nowBest = new Set(branch.map((r) => hashHex(r.hash)));
    const candidates: ForkEntry[] = existing.filter((e) => !(becomesBest && nowBest.has(hashHex(e.hash))));
    if (becomesBest) candidates.push(...disconnected);
    else for (const r of added) candidates.push({ height: r.height, hash: r.hash, prev: r.header.prevBlock });
    candidates.sort(compareForkEntries);
    for (const e of candidates) if (!(becomesBest && e.height - 1 > fork.height)) await readOldBest(e.height - 1);
    // the best-chain hashes pruning removes (read together: one await for the whole range)
    const pruneTo = becomesBest ? Math.min(newLowest, fork.height + 1) : newLowest;
    const pruneHeights: number[] = [];
    for (let h = state.lowest; h < pruneTo; h++) if (!oldBest.has(h)) pruneHeights.push(h);
    const pruneHashes = await Promise.all(pruneHeights.map((h) => bestHashAt(store, h)));
    for (let i = 0; i < pruneHeights.length; i++) oldBest.set(pruneHeights[i], pruneHashes[i]);
    // Fork points, lowest height first (a parent is always lower than its child); orphans go too.
    const forkPointOf = new Map<string, number>();
    const keep: ForkEntry[] = [];
    const drop: ForkEntry[] = [];
    for (const e of candidates) {
      const parentHeight = e.height - 1;
      const bestAtParent = finalBest(parentHeight);
      const fp = bestAtParent !== undefined && bytesEqual(bestAtParent, e.prev) ? parentHeight : forkPointOf.get(hashHex(e.prev));
      if (fp !== undefined && newTip.height - fp <= config.reorgLimit && e.height >= newLowest) {
        forkPointOf.set(hashHex(e.hash), fp);
        keep.push(e);
      } else drop.push(e);
    }

    const values = encodeRecords(added);

    // 6. Write (synchronously, nothing can be refused from here on).
    for (let i = 0; i < added.length; i++) store.set(headerKey(added[i].hash), values[i]);
    if (becomesBest) {
      for (const r of newBranch) store.set(bestKey(r.height), r.hash);
      for (let h = newTip.height + 1; h <= tip.height; h++) store.delete(bestKey(h));
      for (const r of branch) store.delete(forkKey(r.height, r.hash));
    }
    for (const e of keep) if (!existingSet.has(hashHex(e.hash))) store.set(forkKey(e.height, e.hash), e.prev);
    for (const e of drop) {
      if (existingSet.has(hashHex(e.hash))) store.delete(forkKey(e.height, e.hash));
      store.delete(headerKey(e.hash));
    }
    for (let h = state.lowest; h < newLowest; h++) {
      const hash = finalBest(h);
      store.delete(bestKey(h));
      if (hash !== undefined) store.delete(headerKey(hash));
    }
    const newState: State = { lowest: newLowest, forkCount: keep.length, tipHash: newTip.hash, network: state.network };
    store.set(KEY_STATE, encodeState(newState));
    return { status: statusOf(newState, newTip), added: added.length, reorgDepth };
  }

  async function proveTransaction(store: KVStore, config: LightClientConfig, claim: InclusionProof): Promise<ProvenTransaction> {
    configParams(config);
    const { tip } = await load(store, config.network);
    if (claim === null || typeof claim !== "object" || !(claim.tx instanceof Uint8Array) || !(claim.proof instanceof Uint8Array))
      fail("bad-field", "an inclusion proof is { tx: Uint8Array, blockHash: string, proof: Uint8Array }");
    const hash = parseDisplayHash(claim.blockHash, "blockHash");
    const rec = await getRecord(store, hash);
    if (rec === undefined) fail("unknown-block", `block ${claim.blockHash} is not stored (never relayed, or pruned)`);
    const best = await bestHashAt(store, rec.height);
    if (best === undefined || !bytesEqual(best, hash)) fail("not-best-chain", `block ${claim.blockHash} at height ${rec.height} is not on the best chain`);
    if (rec.height < tip.height - config.pruneWindow)
      fail("block-pruned", `block ${claim.blockHash} at height ${rec.height} is below the prune window (tip ${tip.height}, pruneWindow ${config.pruneWindow})`);
    if (claim.proof.length < HEADER_SIZE || !bytesEqual(claim.proof.subarray(0, HEADER_SIZE), rec.raw))
      fail("header-mismatch", `the proof's header is not the stored header of block ${claim.blockHash}`);
    const inc = verifyTxInclusion(claim.tx, claim.proof);
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

  async function status(store: KVStore): Promise<ClientStatus> {
    const { state, tip } = await load(store);
    return statusOf(state, tip);
  }

  async function header(store: KVStore, at: { height: number } | { hash: string }): Promise<StoredHeaderInfo | undefined> {
    await load(store);
    if (at === null || typeof at !== "object") fail("bad-field", "header() takes { height } or { hash }");
    if ("height" in at) {
      if (!Number.isSafeInteger(at.height) || at.height < 0) fail("bad-field", `height must be a non-negative integer, got ${at.height}`);
      const hash = await bestHashAt(store, at.height);
      if (hash === undefined) return undefined;
      const rec = await getRecord(store, hash);
      if (rec === undefined) fail("store-corrupt", `best-chain entry at height ${at.height} has no header record`);
      return infoOf(rec, true);
    }
    const hash = parseDisplayHash(at.hash, "hash");
    const rec = await getRecord(store, hash);
    if (rec === undefined) return undefined;
    const best = await bestHashAt(store, rec.height);
    return infoOf(rec, best !== undefined && bytesEqual(best, hash));
  }

  /** A checkpoint at the tip holding every stored best-chain header (fork headers are not exported). */
  async function exportState(store: KVStore): Promise<BitcoinCheckpoint> {
    const { state, tip } = await load(store);
    const headers: string[] = [];
    for (let h = state.lowest; h <= tip.height; h++) {
      const hash = await bestHashAt(store, h);
      const rec = hash === undefined ? undefined : await getRecord(store, hash);
      if (rec === undefined) fail("store-corrupt", `no best-chain header at height ${h}`);
      headers.push(toHex(rec.raw));
    }
    return { network: state.network, height: tip.height, chain_work: tip.chainWork.toString(), headers };
  }

  return { type: "bitcoin", initialize, update, proveTransaction, status, header, exportState };
}

/** The client the peg module registers, over mainnet, testnet3, testnet4 and regtest. */
export const bitcoinLightClient: LightClient = createBitcoinLightClient();
