/**
 * Where the new headers of an update attach: the already-stored headers it skips, the stored parent P of
 * the first new one, P's branch down to the best chain (the fork point), and the ancestors verifying
 * the new headers reads. Reads only.
 *
 * What verification of a batch on parent P reads (retarget.ts): the 10 headers below P (median time
 * past), P's walk end (testnets), and the first header of P's retarget period (at a retarget). The
 * client requires P's period start even when the batch does not reach a retarget, so that every stored
 * header, the tip included, stays extendable. Hence the two configuration bounds: pruneWindow >=
 * reorgLimit + max(11, retargetInterval) + 1 (any branch forking within reorgLimit finds its ancestors,
 * and so does the tip; minPruneWindow in client.ts), and a checkpoint that reaches back to
 * min(height - 10, its period start) (checkpointStart in checkpoint.ts).
 */
import { bytesEqual } from "../../chain/store/bytes";
import type { LightClientConfig } from "./types";
import { toDisplayHex } from "./bytes";
import type { HeaderLookup } from "./chain";
import { fail } from "./errors";
import { MEDIAN_TIME_SPAN, type NetworkParams } from "./params";
import type { HeaderRef } from "./retarget";
import type { Rec } from "./store-layout";
import type { View } from "./store-reads";

/** Where the new headers of an update attach, and what verifying them reads. */
interface Attachment {
  /** headers[0..k) are already stored; headers[k] is the first new one. */
  readonly k: number;
  /** The parent of headers[k]. */
  readonly P: Rec;
  /** The best-chain header P's branch leaves from, and the fork headers fork+1..P (lowest first). */
  readonly fork: Rec;
  readonly branch: Rec[];
  /** P's ancestors that the rules read (10 below P, P's period start) and P's walk end. */
  readonly lookup: HeaderLookup;
  /** The reason for an ancestor verification needs that is pruned: the tip must always be extendable. */
  readonly missingReason: "missing-ancestor" | "fork-too-old";
}

/** Steps 1-3 of an update (verify-update.ts); undefined when every header is already stored. */
export async function attach(
  view: View,
  params: NetworkParams,
  config: LightClientConfig,
  headers: readonly Uint8Array[],
  hashes: Uint8Array,
): Promise<Attachment | undefined> {
  const { state, tip } = view;
  const n = headers.length;
  // 1. Skip the headers already stored (relaying is idempotent); the rest must hang off a stored header.
  let k = 0;
  let parent: Rec | undefined;
  for (; k < n; k++) {
    if (k > 0 && !bytesEqual(headers[k].subarray(4, 36), parent!.hash)) fail("unknown-parent", `header ${k} of ${n} does not link to header ${k - 1}`);
    const known = await view.find(hashes.subarray(32 * k, 32 * k + 32));
    if (known === undefined) break;
    parent = known;
  }
  if (k === n) return undefined;
  if (parent === undefined) {
    const prevHash = headers[0].slice(4, 36);
    parent = await view.find(prevHash);
    if (parent === undefined)
      fail("unknown-parent", `header 0 of ${n}: its parent ${toDisplayHex(prevHash)} is not stored (never relayed, or pruned below height ${state.lowest})`);
  }
  const P = parent;
  const context = k === 0 ? "" : `(after ${k} already stored) `;

  // 2. P's branch down to the best chain: branch = the fork headers fork+1..P, lowest first.
  const branch: Rec[] = [];
  let cursor = P;
  while (!cursor.best) {
    branch.push(cursor);
    const up = await view.find(cursor.raw.subarray(4, 36));
    if (up === undefined) fail("fork-too-old", `${context}the branch of ${toDisplayHex(P.hash)} does not reach the stored best chain`);
    cursor = up;
  }
  branch.reverse();
  const fork = cursor;
  const forkDepth = tip.height - fork.height;
  if (forkDepth > config.pruneWindow)
    fail("fork-too-old", `${context}the branch forks at height ${fork.height}, ${forkDepth} blocks below the tip, deeper than pruneWindow ${config.pruneWindow}`);

  // 3. Preload the ancestors the rules read (10 below P, P's period start) from P's branch.
  const onBranch = async (h: number): Promise<HeaderRef | undefined> => (h > fork.height ? branch[h - fork.height - 1] : view.bestRef(h));
  const ancestors = new Map<number, HeaderRef>([[P.height, P]]);
  const periodStart = P.height - (P.height % params.retargetInterval);
  const needed: number[] = [];
  for (let h = Math.max(0, P.height - (MEDIAN_TIME_SPAN - 1)); h < P.height; h++) needed.push(h);
  if (periodStart < P.height - (MEDIAN_TIME_SPAN - 1)) needed.push(periodStart);
  const missingReason = bytesEqual(P.hash, tip.hash) ? "missing-ancestor" : "fork-too-old";
  for (const h of needed) {
    const ref = await onBranch(h);
    if (ref === undefined)
      fail(
        missingReason,
        `${context}verifying headers on ${toDisplayHex(P.hash)} (height ${P.height}) needs its ancestor at height ${h}, which is pruned (lowest stored height ${state.lowest})`,
      );
    ancestors.set(h, ref);
  }
  const lookup: HeaderLookup = {
    ancestor: (h) => ancestors.get(h),
    walkEnd: (h) => (h === P.height && P.walkEnd !== 0 ? P.walkEnd : undefined),
  };
  return { k, P, fork, branch, lookup, missingReason };
}
