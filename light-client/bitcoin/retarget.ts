/**
 * Difficulty rules, exactly as Bitcoin Core's GetNextWorkRequired / CalculateNextWorkRequired
 * (src/pow.cpp) and CBlockIndex::GetMedianTimePast (src/chain.h).
 *
 * The caller's header store supplies ancestors through `AncestorLookup`: `ancestor(h)` must return
 * the header at height h *on the branch being extended* (the same branch as `prev`), for
 * 0 <= h <= prev.height. Only three kinds of ancestors are ever asked for:
 *   - the 10 headers below `prev` (median time past),
 *   - the first header of the current period, height prev.height - 2015 (at retargets),
 *   - on testnets (allowMinDifficultyBlocks), headers walking back from `prev` while they carry
 *     powLimit bits, stopping at the first block of the period (at most 2015 steps).
 */
import { fail } from "./errors";
import { MEDIAN_TIME_SPAN, type NetworkParams } from "./params";
import { decodeCompact, encodeCompact } from "./pow";

const MASK256 = (1n << 256n) - 1n;

/** The parts of a stored header the difficulty and time rules read. */
export interface HeaderRef {
  readonly height: number;
  readonly header: { readonly time: number; readonly bits: number };
}

export interface AncestorLookup {
  ancestor(height: number): HeaderRef | undefined;
  /**
   * Optional shortcut for the testnet walk: the bits `minDifficultyWalkEnd` would return starting from
   * the header at `height`, or undefined to let the walk run. verifyHeaderChain provides it for the
   * headers of a batch, so a long batch costs O(n) instead of O(n * period).
   */
  walkEnd?(height: number): number | undefined;
}

/** `lookup.ancestor(height)`, or a missing-ancestor failure naming `why` it was needed. */
export function requireAncestor(lookup: AncestorLookup, height: number, why: string): HeaderRef {
  const h = lookup.ancestor(height);
  if (h === undefined) fail("missing-ancestor", `the header store has no ancestor at height ${height} (needed for ${why})`);
  if (h.height !== height) fail("missing-ancestor", `the header store answered height ${h.height} when asked for ${height}`);
  return h;
}

/** Median of up to 11 timestamps, as Core: sort, take element floor(n / 2). */
export function medianTimePast(times: readonly number[]): number {
  if (times.length === 0 || times.length > MEDIAN_TIME_SPAN) throw new RangeError(`median time past needs 1..11 times, got ${times.length}`);
  // insertion sort: at most 11 integers
  const sorted = times.slice();
  for (let i = 1; i < sorted.length; i++) {
    const t = sorted[i];
    let j = i - 1;
    for (; j >= 0 && sorted[j] > t; j--) sorted[j + 1] = sorted[j];
    sorted[j + 1] = t;
  }
  return sorted[sorted.length >>> 1];
}

/** GetMedianTimePast() of `prev`: over prev and its (up to) 10 predecessors, fewer near genesis. */
export function medianTimePastOf(prev: HeaderRef, lookup: AncestorLookup): number {
  const times = [prev.header.time];
  for (let h = prev.height - 1; h >= 0 && times.length < MEDIAN_TIME_SPAN; h--) times.push(requireAncestor(lookup, h, "median time past").header.time);
  return medianTimePast(times);
}

/**
 * CalculateNextWorkRequired: the nBits for the first block of a new period, from the last block of
 * the ending period and the first block of that period. Under BIP94 the old target is the *first*
 * block's nBits (which can never be a min-difficulty block), otherwise the last block's.
 */
export function calculateNextWorkRequired(
  last: { readonly time: number; readonly bits: number },
  first: { readonly time: number; readonly bits: number },
  params: NetworkParams,
): number {
  if (params.noRetargeting) return last.bits;
  const minSpan = (params.targetTimespan - (params.targetTimespan % 4)) / 4; // int64 division, as Core
  const maxSpan = params.targetTimespan * 4;
  let actual = last.time - first.time;
  if (actual < minSpan) actual = minSpan;
  if (actual > maxSpan) actual = maxSpan;
  let target = decodeCompact(params.enforceBIP94 ? first.bits : last.bits).target;
  // arith_uint256 arithmetic: the product wraps at 2^256 (never reached with real powLimits).
  target = ((target * BigInt(actual)) & MASK256) / BigInt(params.targetTimespan);
  if (target > params.powLimit) target = params.powLimit;
  return encodeCompact(target);
}

/** Whether the testnet walk stops at this header: genesis, first of a period, or not at powLimit. */
export function stopsMinDifficultyWalk(h: HeaderRef, params: NetworkParams): boolean {
  return h.height === 0 || h.height % params.retargetInterval === 0 || h.header.bits !== params.powLimitBits;
}

/**
 * The bits of the last block, from `from` back, that did not use the 20-minute exception (stopping at
 * the first block of the period or genesis): the loop in Core's GetNextWorkRequired.
 */
export function minDifficultyWalkEnd(from: HeaderRef, params: NetworkParams, lookup: AncestorLookup): number {
  let p = from;
  while (!stopsMinDifficultyWalk(p, params)) p = requireAncestor(lookup, p.height - 1, "the testnet minimum-difficulty walk");
  return p.header.bits;
}

/** GetNextWorkRequired: the nBits a header at prev.height + 1 with time `nextTime` must carry. */
export function nextWorkRequired(prev: HeaderRef, nextTime: number, params: NetworkParams, lookup: AncestorLookup): number {
  const interval = params.retargetInterval;
  if ((prev.height + 1) % interval !== 0) {
    if (!params.allowMinDifficultyBlocks) return prev.header.bits;
    // Testnet: more than twice the spacing after its parent, a block may be mined at minimum difficulty.
    if (nextTime > prev.header.time + params.targetSpacing * 2) return params.powLimitBits;
    // Otherwise it carries the bits of the last block that did not use that exception.
    return lookup.walkEnd?.(prev.height) ?? minDifficultyWalkEnd(prev, params, lookup);
  }
  const first = requireAncestor(lookup, prev.height - (interval - 1), "the retarget (first block of the period)");
  return calculateNextWorkRequired(prev.header, first.header, params);
}
