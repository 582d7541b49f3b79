/**
 * The stateful client's domain types (ibc-go 07-tendermint ClientState / ConsensusState, extended):
 *  - Height: (revision number, revision height), the revision parsed from the chain id as ibc-go's
 *    ParseChainID does ("localhub-1" → 1, "dockerchain" → 0); heights compare as that pair.
 *  - ClientState: what a main chain is registered with (chain id, trust level, trusting period, max
 *    clock drift, pruning window), the latest height and, once misbehaviour is proven, the frozen height.
 *  - ConsensusState: what is kept of each verified header. More than ibc-go's {timestamp, root,
 *    next_validators_hash}: tx and result proofs need data_hash (header H) and last_results_hash
 *    (header H+1), and misbehaviour detection compares header hashes.
 * Durations and times are bigint nanoseconds; nothing here reads a clock.
 */
import { fail } from "./errors";
import { type Fraction, type Header, type Time, type VerifyOptions } from "./types";
import { checkOptions, MAX_CHAIN_ID_LENGTH } from "./verify";

export interface Height {
  readonly revisionNumber: bigint;
  readonly revisionHeight: bigint;
}

export interface ClientState {
  readonly chainId: string;
  readonly trustLevel: Fraction;
  /** Nanoseconds a consensus state stays usable to verify from (below the main chain's unbonding period). */
  readonly trustingPeriod: bigint;
  /** Nanoseconds a header's time may be ahead of pegzone's block time. */
  readonly maxClockDrift: bigint;
  /** Nanoseconds a consensus state is kept for proofs (≥ trustingPeriod); older ones are pruned, never the latest. */
  readonly pruningWindow: bigint;
  readonly latestHeight: Height;
  /** Set when misbehaviour was proven; the evidence is stored apart (store.ts). */
  readonly frozenHeight: Height | undefined;
}

export interface ConsensusState {
  readonly time: Time;
  /** app_hash: the root state proofs are checked against (of the state after block height − 1). */
  readonly root: Uint8Array;
  readonly nextValidatorsHash: Uint8Array;
  /** The block hash (header hash): two different ones at a height are misbehaviour. */
  readonly headerHash: Uint8Array;
  /** Root of this block's txs. */
  readonly dataHash: Uint8Array;
  /** Root of the previous block's results. */
  readonly lastResultsHash: Uint8Array;
}

export type Status = "Active" | "Expired" | "Frozen";

/** Go's int64 (time.Duration) bounds every duration. */
export const MAX_DURATION = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** ibc-go IsRevisionFormat: anything, a character that is not "-" or a newline, "-", then a number without leading zero. */
const REVISION_FORMAT = /^.*[^\n-]-[1-9][0-9]*$/;

/** ibc-go ParseChainID: the number after the last "-" in revision format, else 0 (also 0 if it overflows uint64). */
export function revisionOf(chainId: string): bigint {
  if (!REVISION_FORMAT.test(chainId)) return 0n;
  const n = BigInt(chainId.slice(chainId.lastIndexOf("-") + 1));
  return n > UINT64_MAX ? 0n : n;
}

export function compareHeights(a: Height, b: Height): number {
  if (a.revisionNumber !== b.revisionNumber) return a.revisionNumber < b.revisionNumber ? -1 : 1;
  if (a.revisionHeight !== b.revisionHeight) return a.revisionHeight < b.revisionHeight ? -1 : 1;
  return 0;
}

export const heightsEqual = (a: Height, b: Height): boolean => compareHeights(a, b) === 0;

/** ibc-go's Height.String: "revision-height". */
export const formatHeight = (h: Height): string => `${h.revisionNumber}-${h.revisionHeight}`;

/** The client's height of a block of `chainId`. */
export const heightOf = (chainId: string, height: bigint): Height => ({ revisionNumber: revisionOf(chainId), revisionHeight: height });

/** A height given as a bare block height is one of the client's current chain id. */
export function toHeight(state: ClientState, h: Height | bigint): Height {
  const height = typeof h === "bigint" ? heightOf(state.chainId, h) : h;
  if (typeof height !== "object" || height === null || typeof height.revisionNumber !== "bigint" || typeof height.revisionHeight !== "bigint")
    fail("bad-height", "a height is a bigint or { revisionNumber, revisionHeight } of bigints");
  checkHeight(height, "height");
  return height;
}

/** Both parts within uint64, the height positive (ibc-go's zero height means "none"). */
export function checkHeight(h: Height, what: string): void {
  if (h.revisionNumber < 0n || h.revisionNumber > UINT64_MAX || h.revisionHeight <= 0n || h.revisionHeight > UINT64_MAX)
    fail("bad-height", `${what} ${formatHeight(h)} is not a positive uint64 height`);
}

/** The parameters' rules: a chain id CometBFT accepts, trust level in [1/3, 1], positive trusting period, drift ≥ 0, pruning window ≥ trusting period. */
export function checkParams(p: Omit<ClientState, "latestHeight" | "frozenHeight">): void {
  const bytes = Buffer.byteLength(p.chainId, "utf8");
  if (bytes === 0 || bytes > MAX_CHAIN_ID_LENGTH) fail("bad-options", `chain id of ${bytes} bytes`);
  checkOptions({ now: 0n, trustingPeriod: p.trustingPeriod, maxClockDrift: p.maxClockDrift, trustLevel: p.trustLevel });
  const { numerator, denominator } = p.trustLevel;
  if (numerator > UINT64_MAX || denominator > UINT64_MAX) fail("bad-options", "trust level terms above uint64");
  for (const [name, d] of [["trusting period", p.trustingPeriod], ["max clock drift", p.maxClockDrift], ["pruning window", p.pruningWindow]] as const)
    if (d > MAX_DURATION) fail("bad-options", `${name} of ${d} ns exceeds int64 nanoseconds`);
  if (p.pruningWindow < p.trustingPeriod)
    fail("bad-options", `pruning window ${p.pruningWindow} ns is below the trusting period ${p.trustingPeriod} ns: consensus states still usable would be pruned`);
}

/** `now` is pegzone's block time as bigint Unix nanoseconds (a number here would be seconds or milliseconds: refused). */
export function checkNow(now: unknown): asserts now is Time {
  if (typeof now !== "bigint") fail("bad-options", `now must be bigint Unix nanoseconds, got ${typeof now}`);
}

/** The options `verify` runs with at pegzone block time `now`. */
export const verifyOptionsOf = (s: ClientState, now: Time): VerifyOptions => ({
  now,
  trustingPeriod: s.trustingPeriod,
  maxClockDrift: s.maxClockDrift,
  trustLevel: s.trustLevel,
});

export function consensusStateOf(header: Header, headerHash: Uint8Array): ConsensusState {
  return {
    time: header.time,
    root: header.appHash,
    nextValidatorsHash: header.nextValidatorsHash,
    headerHash,
    dataHash: header.dataHash,
    lastResultsHash: header.lastResultsHash,
  };
}

/** ibc-go IsExpired: a consensus state of time `t` is expired once t + trusting period ≤ now. */
export const isExpired = (s: ClientState, t: Time, now: Time): boolean => t + s.trustingPeriod <= now;

export const hexUpper = (b: Uint8Array): string => Buffer.from(b).toString("hex").toUpperCase();
