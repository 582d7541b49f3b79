/**
 * Domain types of the Tendermint (CometBFT v0.38) light client: a signed header, its commit and a
 * validator set, as decode.ts builds them from RPC JSON or protobuf. Integers of the protocol's
 * int64/uint64 fields are bigint; times are bigint nanoseconds since the Unix epoch (UTC), so every
 * comparison and sum is exact. Sizes and header rules are checked by verify.ts, not by these types.
 */

export interface PartSetHeader {
  /** uint32. */
  readonly total: number;
  readonly hash: Uint8Array;
}

export interface BlockId {
  readonly hash: Uint8Array;
  readonly partSetHeader: PartSetHeader;
}

export interface Header {
  /** tendermint.version.Consensus: block protocol (11 in v0.34–v0.38) and app version. */
  readonly version: { readonly block: bigint; readonly app: bigint };
  readonly chainId: string;
  readonly height: bigint;
  readonly time: Time;
  readonly lastBlockId: BlockId;
  readonly lastCommitHash: Uint8Array;
  readonly dataHash: Uint8Array;
  readonly validatorsHash: Uint8Array;
  readonly nextValidatorsHash: Uint8Array;
  readonly consensusHash: Uint8Array;
  readonly appHash: Uint8Array;
  readonly lastResultsHash: Uint8Array;
  readonly evidenceHash: Uint8Array;
  readonly proposerAddress: Uint8Array;
}

/** tendermint.types.BlockIDFlag. */
export const BLOCK_ID_FLAG_ABSENT = 1;
export const BLOCK_ID_FLAG_COMMIT = 2;
export const BLOCK_ID_FLAG_NIL = 3;
export type BlockIdFlag = typeof BLOCK_ID_FLAG_ABSENT | typeof BLOCK_ID_FLAG_COMMIT | typeof BLOCK_ID_FLAG_NIL;

export interface CommitSig {
  readonly blockIdFlag: BlockIdFlag;
  readonly validatorAddress: Uint8Array;
  readonly timestamp: Time;
  readonly signature: Uint8Array;
}

export interface Commit {
  readonly height: bigint;
  /** int32. */
  readonly round: number;
  readonly blockId: BlockId;
  readonly signatures: readonly CommitSig[];
}

export interface SignedHeader {
  readonly header: Header;
  readonly commit: Commit;
}

/** A validator with an ed25519 key, the only key type this client accepts. */
export interface Validator {
  /** First 20 bytes of sha256(pubKey). */
  readonly address: Uint8Array;
  /** 32-byte ed25519 public key. */
  readonly pubKey: Uint8Array;
  readonly votingPower: bigint;
  /** Carried for protobuf round trips; no part of any hash or check. */
  readonly proposerPriority: bigint;
}

/** Built only by validator-set.ts `makeValidatorSet`: checked, and in CometBFT's order. */
export interface ValidatorSet {
  /** Voting power descending, then address ascending. */
  readonly validators: readonly Validator[];
  readonly totalVotingPower: bigint;
  /** Carried for protobuf round trips; light verification does not use it (nor does CometBFT's). */
  readonly proposer?: Validator;
}

/** A fraction of voting power, e.g. the trust level 1/3. */
export interface Fraction {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** What a client keeps of a verified header to verify the next one (ibc-go's ConsensusState plus the chain id). */
export interface TrustedState {
  readonly chainId: string;
  readonly height: bigint;
  readonly time: Time;
  readonly nextValidatorsHash: Uint8Array;
}

export interface VerifyOptions {
  /** The verifier's current time: pegzone's block time, never a clock. */
  readonly now: Time;
  /** Nanoseconds a trusted header stays usable (must be below the main chain's unbonding period). */
  readonly trustingPeriod: bigint;
  /** Nanoseconds a header's time may be ahead of `now`. */
  readonly maxClockDrift: bigint;
  /** Share of the trusted set's power that must sign a non-adjacent header, within [1/3, 1]. */
  readonly trustLevel: Fraction;
}

/** CometBFT's light.DefaultTrustLevel. */
export const DEFAULT_TRUST_LEVEL: Fraction = { numerator: 1n, denominator: 3n };

// ---------------------------------------------------------------------------------------------
// Time: bigint nanoseconds, exact, within a protobuf Timestamp's range

/** Unix nanoseconds. */
export type Time = bigint;

const NANOS_PER_SECOND = 1_000_000_000n;

/** Go's zero time.Time, 0001-01-01T00:00:00Z: the time of an absent commit signature. */
export const ZERO_TIME: Time = -62_135_596_800n * NANOS_PER_SECOND;

/** The range a protobuf Timestamp may hold: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
export const MIN_TIME: Time = ZERO_TIME;
export const MAX_TIME: Time = 253_402_300_800n * NANOS_PER_SECOND - 1n;

/** A protobuf Timestamp's fields: seconds (floored, so negative before 1970) and nanos in [0, 1e9). */
export function timeToTimestamp(t: Time): { seconds: bigint; nanos: number } {
  let seconds = t / NANOS_PER_SECOND;
  if (seconds * NANOS_PER_SECOND > t) seconds -= 1n;
  return { seconds, nanos: Number(t - seconds * NANOS_PER_SECOND) };
}

export function timestampToTime(seconds: bigint, nanos: number): Time {
  return seconds * NANOS_PER_SECOND + BigInt(nanos);
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm; integer arithmetic only). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** The inverse of daysFromCivil. */
function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, doy - Math.floor((153 * mp + 2) / 5) + 1];
}

/**
 * RFC 3339 with up to nine fractional digits and a Z or ±hh:mm offset, as Go reads a time.Time from
 * JSON; undefined for anything else, an impossible date, or a time outside MIN_TIME..MAX_TIME.
 */
export function parseRfc3339(s: string): Time | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (monthDays === undefined || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = m[8] === undefined ? 0 : (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60);
  const seconds = BigInt(daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset);
  const t = timestampToTime(seconds, Number((m[7] ?? "").padEnd(9, "0")));
  return t < MIN_TIME || t > MAX_TIME ? undefined : t;
}

/** RFC 3339 in UTC with nanoseconds, trailing zeros dropped (Go's RFC3339Nano). */
export function formatTime(t: Time): string {
  const { seconds, nanos } = timeToTimestamp(t);
  const days = seconds / 86_400n - (seconds % 86_400n < 0n ? 1n : 0n);
  const s = Number(seconds - days * 86_400n);
  const [year, month, day] = civilFromDays(Number(days));
  const pad = (n: number, w = 2): string => String(n).padStart(w, "0");
  const fraction = nanos === 0 ? "" : `.${pad(nanos, 9).replace(/0+$/, "")}`;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}${fraction}Z`;
}
