/**
 * Verifying an update, before anything is planned or written (update-writes.ts): the batch's shape, where
 * it attaches (attach.ts), the consensus rules for every new header, their chain work, and whether they
 * take over the best chain. Reads only; every refusal is a `LightClientError` thrown here.
 *
 * An update carries at most MAX_HEADERS_PER_UPDATE consecutive headers. A leading run of already-stored
 * headers is skipped (re-relaying is not an error; `added` counts the new headers only); the first new
 * header's parent must be stored ("unknown-parent" otherwise). All new headers are verified by
 * verifyRawHeaderChain (maxFutureTime = ctx.blockTime + 2 h) and every read is done before the first
 * write. The best chain is the one with the most cumulative work; on equal work the current tip stays
 * (first seen).
 */
import type { LightClientConfig, UpdateContext } from "./types";
import { attach } from "./attach";
import { verifyRawHeaderChain } from "./chain";
import { fail, LightClientError } from "./errors";
import { HEADER_SIZE } from "./header";
import { bigintOfLimbs, hashAll, type NewHeaders, workAndWalkEnds } from "./new-headers";
import { MAX_FUTURE_BLOCK_TIME, type NetworkParams } from "./params";
import type { Rec } from "./store-layout";
import type { View } from "./store-reads";

/** Most headers one update may carry. */
export const MAX_HEADERS_PER_UPDATE = 2000;

/** Adds `prefix` to a LightClientError's detail, keeping its reason. */
function withContext<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof LightClientError) throw new LightClientError(e.reason, `${prefix}${e.detail}`);
    throw e;
  }
}

/** A batch that verified: its new headers, where they attach, and whether they become the best chain. */
export interface VerifiedUpdate {
  /** The stored parent of the first new header. */
  readonly parent: Rec;
  /** The best-chain header the new headers' branch leaves from, and the stored fork headers fork+1..parent. */
  readonly fork: Rec;
  readonly branch: readonly Rec[];
  readonly nh: NewHeaders;
  /** Cumulative chain work of the last new header. */
  readonly lastWork: bigint;
  readonly becomesBest: boolean;
}

/** Steps 1-4 of an update on the loaded `view`; undefined when every header is already stored. */
export async function verifyUpdate(
  view: View,
  params: NetworkParams,
  config: LightClientConfig,
  headers: readonly Uint8Array[],
  ctx: UpdateContext,
): Promise<VerifiedUpdate | undefined> {
  const { tip } = view;
  if (!Array.isArray(headers)) fail("bad-field", "headers must be an array of raw headers");
  const n = headers.length;
  if (n > MAX_HEADERS_PER_UPDATE) fail("batch-too-large", `${n} headers; at most ${MAX_HEADERS_PER_UPDATE} per update`);
  if (ctx === null || typeof ctx !== "object" || !Number.isSafeInteger(ctx.blockTime) || ctx.blockTime < 0)
    fail("bad-field", `ctx.blockTime must be a non-negative integer (unix seconds)`);
  for (let i = 0; i < n; i++) {
    const h = headers[i];
    if (!(h instanceof Uint8Array) || h.length !== HEADER_SIZE) fail("bad-length", `header ${i} of ${n}: a header is ${HEADER_SIZE} bytes, got ${h?.length}`);
  }
  // Every header is hashed here, once: the lookups below and verification use these hashes.
  const hashes = hashAll(headers);

  // 1.-3. Where the new headers attach, and the ancestors verification reads.
  const at = await attach(view, params, config, headers, hashes);
  if (at === undefined) return undefined;
  const { k, P, fork, branch, lookup, missingReason } = at;
  const fresh = k === 0 ? headers : headers.slice(k);
  const freshHashes = hashes.subarray(32 * k);
  const m = fresh.length;
  const context = k === 0 ? "" : `(after ${k} already stored) `;
  const forkDepth = tip.height - fork.height;

  // 4. Verify every new header before anything is written (with the hashes computed above).
  withContext(context, () => {
    try {
      verifyRawHeaderChain(P, fresh, { params, lookup, maxFutureTime: ctx.blockTime + MAX_FUTURE_BLOCK_TIME }, freshHashes);
    } catch (e) {
      // an ancestor beyond what was preloaded: only a walk from a checkpoint header with unknown walk end
      if (e instanceof LightClientError && e.reason === "missing-ancestor" && missingReason === "fork-too-old") throw new LightClientError("fork-too-old", e.detail);
      throw e;
    }
  });
  // Chain work (as limbs) and walk ends of the new headers.
  const cw = workAndWalkEnds(fresh, P.height + 1, P.chainWork, P.walkEnd, params);
  if (cw === undefined) fail("bad-field", `${context}the chain work of the new headers does not fit 256 bits`);
  const nh: NewHeaders = { raws: fresh, firstHeight: P.height + 1, hashes: freshHashes, works: cw.works, walkEnds: cw.walkEnds };
  const lastWork = bigintOfLimbs(nh.works, 8 * (m - 1));
  // Most cumulative work wins; on a tie the current tip stays (first seen, as Core).
  const becomesBest = lastWork > tip.chainWork;
  if (!becomesBest && forkDepth > config.reorgLimit)
    fail(
      "fork-too-old",
      `${context}the branch forks at height ${fork.height}, ${forkDepth} blocks below the tip, and has less work than the best chain: ` +
        `forks are kept only within reorgLimit ${config.reorgLimit}`,
    );
  return { parent: P, fork, branch, nh, lastWork, becomesBest };
}
