/**
 * The checkpoint format: the trust anchor `initialize` takes (a genesis checkpoint or a trusted recent
 * one), its validation into header records, and the checkpoint `exportState` writes.
 *
 * exportState writes the stored best chain (lowest..tip) as a checkpoint, with F's height; fork headers are not
 * exported, and walk ends of exported headers before the first period start in the run become unknown
 * on re-import (which only matters for branches forking that deep).
 */
import { bytesEqual } from "../../chain/store/bytes";
import { fromHex, toDisplayHex, toHex } from "./bytes";
import { type HeaderLookup, verifyRawHeaderChain } from "./chain";
import { fail, LightClientError } from "./errors";
import { sha256d } from "./hash";
import { decodeHeader, encodeHeader, HEADER_SIZE } from "./header";
import { MEDIAN_TIME_SPAN, NETWORKS, type NetworkParams } from "./params";
import { blockWork, proofOfWorkFailure } from "./pow";
import { stopsMinDifficultyWalk } from "./retarget";
import { MAX_HEIGHT, type Rec, recOf } from "./store-layout";
import type { View } from "./store-reads";

/**
 * The trust anchor `initialize` takes and `exportState` returns (JSON). `headers` are consecutive raw
 * 80-byte headers in hex, the last one at `height`, reaching back at least to `checkpointStart(height)`
 * (see there); `chain_work` is the decimal cumulative work up to and including the last one.
 * `network`, if present, must be the configured network. `final_height`, if present, is the height of the
 * final block (see update-writes.ts) among the headers; without it the final block is the one reorgLimit
 * below `height` (or the lowest stored).
 */
export interface BitcoinCheckpoint {
  readonly network?: string;
  readonly height: number;
  readonly chain_work: string;
  readonly headers: readonly string[];
  readonly final_height?: number;
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

/** A checkpoint at the network's genesis block (height 0). */
export function genesisCheckpoint(network: string | NetworkParams): BitcoinCheckpoint {
  const params = typeof network === "string" ? NETWORKS.find((n) => n.name === network) : network;
  if (params === undefined) fail("bad-config", `unknown bitcoin network ${JSON.stringify(network)} (known: ${NETWORKS.map((n) => n.name).join(", ")})`);
  return { network: params.name, height: 0, chain_work: blockWork(params.genesis.bits).toString(), headers: [toHex(encodeHeader(params.genesis))] };
}

/** Checks a checkpoint (see BitcoinCheckpoint) and returns its records, lowest first, and its final height. */
export function parseCheckpoint(checkpoint: unknown, params: NetworkParams): { records: Rec[]; finalHeight: number | undefined } {
  const bad = (detail: string): never => fail("bad-checkpoint", detail);
  if (checkpoint === null || typeof checkpoint !== "object" || Array.isArray(checkpoint)) bad("the checkpoint must be a JSON object");
  const cp = checkpoint as Record<string, unknown>;
  for (const key of Object.keys(cp)) if (!["network", "height", "chain_work", "headers", "final_height"].includes(key)) bad(`unknown field ${JSON.stringify(key)}`);
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
  const finalHeight = cp.final_height;
  if (finalHeight !== undefined && !(typeof finalHeight === "number" && Number.isSafeInteger(finalHeight) && finalHeight >= start && finalHeight <= h))
    bad(`final_height must be the height of one of the headers, ${start} to ${h}`);
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
    const partial = { height: start + i, header: headers[i] };
    walkEnds.push(stopsMinDifficultyWalk(partial, params) ? headers[i].bits : i > 0 ? walkEnds[i - 1] : 0);
    return recOf(raw, start + i, hashes[i], works[i], walkEnds[i], true);
  });
  // the consensus rules, for each header whose ancestors the run holds
  const lookup: HeaderLookup = {
    ancestor: (x) => records[x - start],
    walkEnd: (x) => (x >= start && walkEnds[x - start] !== 0 ? walkEnds[x - start] : undefined),
  };
  for (let i = 1; i < records.length; i++) {
    try {
      verifyRawHeaderChain(records[i - 1], [raws[i]], { params, lookup, maxFutureTime: MAX_HEIGHT }, hashes[i], false);
    } catch (e) {
      if (!(e instanceof LightClientError)) throw e;
      if (e.reason === "missing-ancestor") continue; // an ancestor before the run: taken on trust
      bad(`header ${i} (height ${start + i}) breaks the consensus rules: ${e.reason}: ${e.detail}`);
    }
  }
  return { records, finalHeight: finalHeight as number | undefined };
}

/** A checkpoint at the tip holding every stored best-chain header (fork headers are not exported). */
export async function exportCheckpoint(view: View): Promise<BitcoinCheckpoint> {
  const { state, tip } = view;
  const headers: string[] = [];
  for (let h = state.lowest; h <= tip.height; h++) {
    const at = await view.locate(h);
    if (at === undefined) fail("store-corrupt", `no best-chain header at height ${h}`);
    headers.push(toHex(at.chunk.bytes.subarray(at.off, at.off + HEADER_SIZE)));
  }
  const cp: BitcoinCheckpoint = { network: state.network, height: tip.height, chain_work: tip.chainWork.toString(), headers };
  return state.final === undefined ? cp : { ...cp, final_height: state.final.height };
}
