/**
 * The client's JSON forms, checked at the edge:
 *  - registration (a main chain's genesis entry):
 *      { chain_id, trust_level: {numerator, denominator}, trusting_period_seconds, max_clock_drift_seconds,
 *        pruning_window_seconds? (default: the trusting period), trusted: TRUSTED }
 *    where TRUSTED = { signed_header, validator_set, next_validator_set } in CometBFT RPC JSON (decode.ts;
 *    the `signed_header` of /commit, the `validators` of /validators at that height and the next one).
 *    Integers are JSON safe integers or decimal strings. A trusted header must be self-consistent:
 *    well formed and of chain_id, validator_set hashing to validators_hash and more than 2/3 of it
 *    signing the commit, next_validator_set hashing to next_validators_hash. revive takes TRUSTED too.
 *  - export (exportState, re-imported by initialize): every parameter in nanoseconds, the latest and
 *    frozen heights, the evidence, and every consensus state in height order. It is trusted as a
 *    genesis file is, but still checked for shape and consistency (heights ascending with strictly
 *    increasing times, the latest the last of them and of the chain id's revision, frozen ⇔ evidence).
 * Unknown keys of these objects are refused (a misspelt optional field must not pass silently).
 */
import { bytesEqual } from "../../chain/store/bytes";
import type { ClientState, ConsensusState, Height } from "./client-state";
import { checkHeight, checkParams, compareHeights, consensusStateOf, formatHeight, heightOf, hexUpper, revisionOf } from "./client-state";
import { decodeSignedHeader, decodeValidatorSet, parseTime } from "./decode";
import { fail } from "./errors";
import type { StoredConsensusState } from "./store";
import { formatTime, type SignedHeader, type ValidatorSet } from "./types";
import { validatorSetHash, verifyCommitLight } from "./validator-set";
import { validateSignedHeader } from "./verify";

type JsonObject = Record<string, unknown>;
const SECOND = 1_000_000_000n;

function obj(x: unknown, what: string, keys: readonly string[]): JsonObject {
  if (typeof x !== "object" || x === null || Array.isArray(x)) fail("bad-encoding", `${what} is not an object`);
  const unknown = Object.keys(x).filter((k) => !keys.includes(k));
  if (unknown.length > 0) fail("bad-encoding", `${what} has unknown keys ${unknown.join(", ")}`);
  return x as JsonObject;
}

/** A non-negative integer: a JSON safe integer or a decimal string. */
function uint(x: unknown, what: string): bigint {
  if (typeof x === "number" && Number.isSafeInteger(x) && x >= 0) return BigInt(x);
  if (typeof x === "string" && /^(0|[1-9][0-9]{0,19})$/.test(x)) return BigInt(x);
  fail("bad-encoding", `${what} is not a non-negative integer`);
}

function str(x: unknown, what: string): string {
  if (typeof x !== "string") fail("bad-encoding", `${what} is not a string`);
  return x;
}

function hex(x: unknown, what: string): Uint8Array {
  const s = str(x, what);
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) fail("bad-encoding", `${what} is not hex`);
  return Uint8Array.from(Buffer.from(s, "hex"));
}

// ---------------------------------------------------------------------------------------------
// Trusted headers

export interface TrustedHeader {
  readonly signedHeader: SignedHeader;
  readonly validatorSet: ValidatorSet;
  readonly nextValidatorSet: ValidatorSet;
  readonly height: Height;
  readonly consensusState: ConsensusState;
}

/** Self-consistency of a header taken on trust (it is not verified against anything stored). */
export function checkTrustedHeader(sh: SignedHeader, vals: ValidatorSet, next: ValidatorSet, chainId: string): TrustedHeader {
  const hash = validateSignedHeader(sh, chainId);
  const h = sh.header;
  const valsHash = validatorSetHash(vals);
  if (!bytesEqual(valsHash, h.validatorsHash))
    fail("validators-mismatch", `validator_set hashes to ${hexUpper(valsHash)}, the header's validators_hash is ${hexUpper(h.validatorsHash)}`);
  verifyCommitLight(chainId, vals, sh.commit);
  const nextHash = validatorSetHash(next);
  if (!bytesEqual(nextHash, h.nextValidatorsHash))
    fail("next-validators-mismatch", `next_validator_set hashes to ${hexUpper(nextHash)}, the header's next_validators_hash is ${hexUpper(h.nextValidatorsHash)}`);
  return { signedHeader: sh, validatorSet: vals, nextValidatorSet: next, height: heightOf(chainId, h.height), consensusState: consensusStateOf(h, hash) };
}

/** TRUSTED of the header comment, decoded but not checked. */
export function decodeTrustedJson(json: unknown): { signedHeader: SignedHeader; validatorSet: ValidatorSet; nextValidatorSet: ValidatorSet } {
  const o = obj(json, "trusted", ["signed_header", "validator_set", "next_validator_set"]);
  return { signedHeader: decodeSignedHeader(o.signed_header), validatorSet: decodeValidatorSet(o.validator_set), nextValidatorSet: decodeValidatorSet(o.next_validator_set) };
}

/** TRUSTED of the header comment, decoded and checked as a header of `chainId`. */
export function parseTrustedHeader(json: unknown, chainId: string): TrustedHeader {
  const t = decodeTrustedJson(json);
  return checkTrustedHeader(t.signedHeader, t.validatorSet, t.nextValidatorSet, chainId);
}

// ---------------------------------------------------------------------------------------------
// Registration

export interface Registration {
  readonly state: ClientState;
  readonly trusted: TrustedHeader;
}

const REGISTRATION_KEYS = ["chain_id", "trust_level", "trusting_period_seconds", "max_clock_drift_seconds", "pruning_window_seconds", "trusted"];

export const isRegistration = (json: unknown): boolean => typeof json === "object" && json !== null && "trusted" in json;

export function parseRegistration(json: unknown): Registration {
  const o = obj(json, "registration", REGISTRATION_KEYS);
  const chainId = str(o.chain_id, "chain_id");
  const tl = obj(o.trust_level, "trust_level", ["numerator", "denominator"]);
  const trustingPeriod = uint(o.trusting_period_seconds, "trusting_period_seconds") * SECOND;
  const params = {
    chainId,
    trustLevel: { numerator: uint(tl.numerator, "trust_level.numerator"), denominator: uint(tl.denominator, "trust_level.denominator") },
    trustingPeriod,
    maxClockDrift: uint(o.max_clock_drift_seconds, "max_clock_drift_seconds") * SECOND,
    pruningWindow: o.pruning_window_seconds === undefined ? trustingPeriod : uint(o.pruning_window_seconds, "pruning_window_seconds") * SECOND,
  };
  checkParams(params);
  const trusted = parseTrustedHeader(o.trusted, chainId);
  return { state: { ...params, latestHeight: trusted.height, frozenHeight: undefined }, trusted };
}

// ---------------------------------------------------------------------------------------------
// Export

export interface HeightJson {
  readonly revision_number: string;
  readonly revision_height: string;
}

export interface ConsensusStateJson {
  readonly height: HeightJson;
  readonly time: string;
  readonly root: string;
  readonly next_validators_hash: string;
  readonly header_hash: string;
  readonly data_hash: string;
  readonly last_results_hash: string;
}

export interface ClientExport {
  readonly chain_id: string;
  readonly trust_level: { readonly numerator: string; readonly denominator: string };
  readonly trusting_period_ns: string;
  readonly max_clock_drift_ns: string;
  readonly pruning_window_ns: string;
  readonly latest_height: HeightJson;
  readonly frozen: { readonly height: HeightJson; readonly evidence: string } | null;
  readonly consensus_states: readonly ConsensusStateJson[];
}

const heightJson = (h: Height): HeightJson => ({ revision_number: String(h.revisionNumber), revision_height: String(h.revisionHeight) });

function parseHeight(x: unknown, what: string): Height {
  const o = obj(x, what, ["revision_number", "revision_height"]);
  const h = { revisionNumber: uint(o.revision_number, `${what}.revision_number`), revisionHeight: uint(o.revision_height, `${what}.revision_height`) };
  checkHeight(h, what);
  return h;
}

export function exportJson(s: ClientState, states: readonly StoredConsensusState[], evidence: string | undefined): ClientExport {
  if ((s.frozenHeight === undefined) !== (evidence === undefined)) fail("store-corrupt", "frozen height and evidence disagree");
  return {
    chain_id: s.chainId,
    trust_level: { numerator: String(s.trustLevel.numerator), denominator: String(s.trustLevel.denominator) },
    trusting_period_ns: String(s.trustingPeriod),
    max_clock_drift_ns: String(s.maxClockDrift),
    pruning_window_ns: String(s.pruningWindow),
    latest_height: heightJson(s.latestHeight),
    frozen: s.frozenHeight === undefined ? null : { height: heightJson(s.frozenHeight), evidence: evidence! },
    consensus_states: states.map(({ height, state: c }) => ({
      height: heightJson(height),
      time: formatTime(c.time),
      root: hexUpper(c.root),
      next_validators_hash: hexUpper(c.nextValidatorsHash),
      header_hash: hexUpper(c.headerHash),
      data_hash: hexUpper(c.dataHash),
      last_results_hash: hexUpper(c.lastResultsHash),
    })),
  };
}

const EXPORT_KEYS = ["chain_id", "trust_level", "trusting_period_ns", "max_clock_drift_ns", "pruning_window_ns", "latest_height", "frozen", "consensus_states"];
const CONSENSUS_KEYS = ["height", "time", "root", "next_validators_hash", "header_hash", "data_hash", "last_results_hash"];

function parseConsensusState(x: unknown, what: string): StoredConsensusState {
  const o = obj(x, what, CONSENSUS_KEYS);
  const sized = (k: string, sizes: readonly number[]): Uint8Array => {
    const b = hex(o[k], `${what}.${k}`);
    if (!sizes.includes(b.length)) fail("bad-encoding", `${what}.${k} of ${b.length} bytes`);
    return b;
  };
  const state = {
    time: parseTime(o.time, `${what}.time`),
    root: hex(o.root, `${what}.root`),
    nextValidatorsHash: sized("next_validators_hash", [0, 32]),
    headerHash: sized("header_hash", [32]),
    dataHash: sized("data_hash", [0, 32]),
    lastResultsHash: sized("last_results_hash", [0, 32]),
  };
  return { height: parseHeight(o.height, `${what}.height`), state };
}

export function parseExport(json: unknown): { state: ClientState; states: StoredConsensusState[]; evidence: string | undefined } {
  const o = obj(json, "exported client", EXPORT_KEYS);
  const tl = obj(o.trust_level, "trust_level", ["numerator", "denominator"]);
  const params = {
    chainId: str(o.chain_id, "chain_id"),
    trustLevel: { numerator: uint(tl.numerator, "trust_level.numerator"), denominator: uint(tl.denominator, "trust_level.denominator") },
    trustingPeriod: uint(o.trusting_period_ns, "trusting_period_ns"),
    maxClockDrift: uint(o.max_clock_drift_ns, "max_clock_drift_ns"),
    pruningWindow: uint(o.pruning_window_ns, "pruning_window_ns"),
  };
  checkParams(params);
  const latestHeight = parseHeight(o.latest_height, "latest_height");
  if (latestHeight.revisionNumber !== revisionOf(params.chainId))
    fail("bad-height", `latest height ${formatHeight(latestHeight)} is not of chain ${params.chainId}'s revision ${revisionOf(params.chainId)}`);
  let frozenHeight: Height | undefined;
  let evidence: string | undefined;
  if (o.frozen !== null) {
    const f = obj(o.frozen, "frozen", ["height", "evidence"]);
    frozenHeight = parseHeight(f.height, "frozen.height");
    evidence = str(f.evidence, "frozen.evidence");
    if (evidence === "") fail("bad-encoding", "frozen.evidence is empty");
  }
  if (!Array.isArray(o.consensus_states) || o.consensus_states.length === 0) fail("bad-encoding", "consensus_states is not a non-empty array");
  const states = o.consensus_states.map((c, i) => parseConsensusState(c, `consensus_states[${i}]`));
  states.forEach((c, i) => {
    const prev = states[i - 1];
    if (prev !== undefined && (compareHeights(prev.height, c.height) >= 0 || prev.state.time >= c.state.time))
      fail("bad-encoding", `consensus_states[${i}] at ${formatHeight(c.height)} does not follow ${formatHeight(prev.height)} in height and time`);
  });
  if (compareHeights(states[states.length - 1]!.height, latestHeight) !== 0) fail("bad-height", "the latest height is not the last consensus state's");
  return { state: { ...params, latestHeight, frozenHeight }, states, evidence };
}
