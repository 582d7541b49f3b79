/**
 * The edges of the domain types: CometBFT's RPC JSON (`/commit`'s signed_header, `/validators`,
 * genesis validators; hashes and addresses hex, keys and signatures base64, int64 as strings, times
 * RFC 3339) and its protobuf `tendermint.types.SignedHeader` / `ValidatorSet` (the wire form a relayer
 * sends, via cosmjs-types). Both check every field's encoding and range and refuse the rest with
 * "bad-encoding"; validator sets go through makeValidatorSet. Header rules are verify.ts's.
 *
 * An absent commit signature carries Go's zero time; an epoch time (1970-01-01T00:00:00Z, which some
 * tools write, and what a protobuf Timestamp left unset decodes to) is read as that zero time.
 */
import type { Timestamp } from "cosmjs-types/google/protobuf/timestamp";
import { type BlockID as ProtoBlockId, SignedHeader as ProtoSignedHeader } from "cosmjs-types/tendermint/types/types";
import { ValidatorSet as ProtoValidatorSet, type Validator as ProtoValidator } from "cosmjs-types/tendermint/types/validator";
import { fail } from "./errors";
import { makeValidatorSet } from "./validator-set";
import {
  BLOCK_ID_FLAG_ABSENT,
  type BlockId,
  type BlockIdFlag,
  type Commit,
  type CommitSig,
  type Header,
  MAX_TIME,
  MIN_TIME,
  parseRfc3339,
  type SignedHeader,
  type Time,
  timestampToTime,
  timeToTimestamp,
  type Validator,
  type ValidatorSet,
  ZERO_TIME,
} from "./types";

type Json = unknown;
type JsonObject = Record<string, Json>;

const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const UINT64 = [0n, 2n ** 64n - 1n] as const;
const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const UINT32 = [0n, 2n ** 32n - 1n] as const;

function obj(x: Json, what: string): JsonObject {
  if (typeof x !== "object" || x === null || Array.isArray(x)) fail("bad-encoding", `${what} is not an object`);
  return x as JsonObject;
}

function list(x: Json, what: string): Json[] {
  if (!Array.isArray(x)) fail("bad-encoding", `${what} is not an array`);
  return x;
}

function str(x: Json, what: string): string {
  if (typeof x !== "string") fail("bad-encoding", `${what} is not a string`);
  return x;
}

/** An integer given as a decimal string (Go's int64 JSON) or a safe JSON number, within [min, max]. */
function int(x: Json, what: string, [min, max]: readonly [bigint, bigint]): bigint {
  let n: bigint;
  if (typeof x === "number" && Number.isSafeInteger(x)) n = BigInt(x);
  else if (typeof x === "string" && /^-?(0|[1-9][0-9]*)$/.test(x)) n = BigInt(x);
  else fail("bad-encoding", `${what} is not an integer`);
  if (n < min || n > max) fail("bad-encoding", `${what} ${n} is out of range`);
  return n;
}

/** Go's HexBytes: hex of either case; "" and null are empty. */
function hexBytes(x: Json, what: string): Uint8Array {
  if (x === null) return new Uint8Array(0);
  const s = str(x, what);
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) fail("bad-encoding", `${what} is not hex`);
  return new Uint8Array(Buffer.from(s, "hex"));
}

/** Go's []byte: padded standard base64; "" and null are empty. */
function base64Bytes(x: Json, what: string): Uint8Array {
  if (x === null) return new Uint8Array(0);
  const s = str(x, what);
  const b = Buffer.from(s, "base64");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || b.toString("base64") !== s) fail("bad-encoding", `${what} is not canonical base64`);
  return new Uint8Array(b);
}

/** An RFC 3339 time within a protobuf Timestamp's range (Go's time.Time JSON). */
export function parseTime(x: Json, what: string): Time {
  const t = parseRfc3339(str(x, what));
  if (t === undefined) fail("bad-encoding", `${what} ${JSON.stringify(x)} is not an RFC 3339 time in years 1 to 9999`);
  return t;
}

function blockIdFlag(n: bigint | number, what: string): BlockIdFlag {
  if (n !== 1n && n !== 2n && n !== 3n && n !== 1 && n !== 2 && n !== 3) fail("bad-encoding", `${what} block_id_flag ${n}`);
  return Number(n) as BlockIdFlag;
}

/** An absent signature's epoch time is its zero time (see the header comment). */
const sigTime = (flag: BlockIdFlag, t: Time): Time => (flag === BLOCK_ID_FLAG_ABSENT && t === 0n ? ZERO_TIME : t);

// ---------------------------------------------------------------------------------------------
// RPC JSON

/** A BlockID; its part set header is "parts" in RPC answers and "part_set_header" in some tools' files. */
function blockIdJson(x: Json, what: string): BlockId {
  if (x === null) return { hash: new Uint8Array(0), partSetHeader: { total: 0, hash: new Uint8Array(0) } };
  const o = obj(x, what);
  const psh = obj(o.parts ?? o.part_set_header, `${what}.parts`);
  return {
    hash: hexBytes(o.hash, `${what}.hash`),
    partSetHeader: { total: Number(int(psh.total, `${what}.parts.total`, UINT32)), hash: hexBytes(psh.hash, `${what}.parts.hash`) },
  };
}

export function decodeHeader(x: Json): Header {
  const o = obj(x, "header");
  const v = obj(o.version, "header.version");
  const h = (k: string): Uint8Array => hexBytes(o[k], `header.${k}`);
  return {
    version: { block: int(v.block, "version.block", UINT64), app: int(v.app ?? "0", "version.app", UINT64) },
    chainId: str(o.chain_id, "header.chain_id"),
    height: int(o.height, "header.height", INT64),
    time: parseTime(o.time, "header.time"),
    lastBlockId: blockIdJson(o.last_block_id, "header.last_block_id"),
    lastCommitHash: h("last_commit_hash"),
    dataHash: h("data_hash"),
    validatorsHash: h("validators_hash"),
    nextValidatorsHash: h("next_validators_hash"),
    consensusHash: h("consensus_hash"),
    appHash: h("app_hash"),
    lastResultsHash: h("last_results_hash"),
    evidenceHash: h("evidence_hash"),
    proposerAddress: h("proposer_address"),
  };
}

function commitSigJson(x: Json, what: string): CommitSig {
  const o = obj(x, what);
  const flag = blockIdFlag(int(o.block_id_flag, `${what}.block_id_flag`, INT32), what);
  return {
    blockIdFlag: flag,
    validatorAddress: hexBytes(o.validator_address, `${what}.validator_address`),
    timestamp: sigTime(flag, parseTime(o.timestamp, `${what}.timestamp`)),
    signature: base64Bytes(o.signature, `${what}.signature`),
  };
}

export function decodeCommit(x: Json): Commit {
  const o = obj(x, "commit");
  return {
    height: int(o.height, "commit.height", INT64),
    round: Number(int(o.round, "commit.round", INT32)),
    blockId: blockIdJson(o.block_id, "commit.block_id"),
    // CometBFT writes a commit without signatures as null.
    signatures: o.signatures === null ? [] : list(o.signatures, "commit.signatures").map((s, i) => commitSigJson(s, `commit.signatures[${i}]`)),
  };
}

/** `{header, commit}`: the `signed_header` of `/commit` and of light blocks. */
export function decodeSignedHeader(x: Json): SignedHeader {
  const o = obj(x, "signed_header");
  return { header: decodeHeader(o.header), commit: decodeCommit(o.commit) };
}

function ed25519KeyJson(x: Json, what: string): Uint8Array {
  const o = obj(x, what);
  if (o.type !== "tendermint/PubKeyEd25519") fail("invalid-validator-set", `${what}: key type ${String(o.type)}, only ed25519 is supported`);
  return base64Bytes(o.value, `${what}.value`);
}

function validatorJson(x: Json, what: string, powerKey: "voting_power" | "power"): Validator {
  const o = obj(x, what);
  return {
    address: hexBytes(o.address, `${what}.address`),
    pubKey: ed25519KeyJson(o.pub_key, `${what}.pub_key`),
    votingPower: int(o[powerKey], `${what}.${powerKey}`, INT64),
    proposerPriority: int(o.proposer_priority ?? "0", `${what}.proposer_priority`, INT64),
  };
}

/** A validator set total, where given, must be the members' sum (CometBFT would trust it as is). */
function checkedTotal(set: ValidatorSet, claimed: bigint): ValidatorSet {
  if (claimed !== 0n && claimed !== set.totalVotingPower) fail("bad-encoding", `total_voting_power ${claimed}, the members sum to ${set.totalVotingPower}`);
  return set;
}

/** `{validators, proposer?, total_voting_power?}`: a light block's validator_set, or the `/validators` result. */
export function decodeValidatorSet(x: Json): ValidatorSet {
  const o = obj(x, "validator_set");
  const vals = list(o.validators, "validators").map((v, i) => validatorJson(v, `validators[${i}]`, "voting_power"));
  const proposer = o.proposer === undefined || o.proposer === null ? undefined : validatorJson(o.proposer, "proposer", "voting_power");
  return checkedTotal(makeValidatorSet(vals, proposer), int(o.total_voting_power ?? "0", "total_voting_power", INT64));
}

/** The validators of a genesis document (`/genesis`'s `genesis`): `{address, pub_key, power, name}` each. */
export function decodeGenesisValidators(x: Json): ValidatorSet {
  const o = obj(x, "genesis");
  return makeValidatorSet(list(o.validators, "genesis.validators").map((v, i) => validatorJson(v, `genesis.validators[${i}]`, "power")));
}

// ---------------------------------------------------------------------------------------------
// Protobuf (cosmjs-types), the relayer's wire form

function timeFromProto(t: Timestamp | undefined, what: string): Time {
  if (t === undefined) fail("bad-encoding", `${what} is missing`);
  if (t.nanos < 0 || t.nanos > 999_999_999) fail("bad-encoding", `${what} nanos ${t.nanos}`);
  const time = timestampToTime(t.seconds, t.nanos);
  if (time < MIN_TIME || time > MAX_TIME) fail("bad-encoding", `${what} is outside years 1 to 9999`);
  return time;
}

function blockIdFromProto(b: ProtoBlockId): BlockId {
  return { hash: b.hash, partSetHeader: { total: b.partSetHeader.total, hash: b.partSetHeader.hash } };
}

export function signedHeaderFromProto(p: ProtoSignedHeader): SignedHeader {
  const { header: h, commit: c } = p;
  if (h === undefined || c === undefined) fail("bad-encoding", "SignedHeader without a header or a commit");
  return {
    header: {
      version: { block: h.version.block, app: h.version.app },
      chainId: h.chainId,
      height: h.height,
      time: timeFromProto(h.time, "header.time"),
      lastBlockId: blockIdFromProto(h.lastBlockId),
      lastCommitHash: h.lastCommitHash,
      dataHash: h.dataHash,
      validatorsHash: h.validatorsHash,
      nextValidatorsHash: h.nextValidatorsHash,
      consensusHash: h.consensusHash,
      appHash: h.appHash,
      lastResultsHash: h.lastResultsHash,
      evidenceHash: h.evidenceHash,
      proposerAddress: h.proposerAddress,
    },
    commit: {
      height: c.height,
      round: c.round,
      blockId: blockIdFromProto(c.blockId),
      signatures: c.signatures.map((s, i) => {
        const flag = blockIdFlag(s.blockIdFlag, `commit.signatures[${i}]`);
        const timestamp = sigTime(flag, timeFromProto(s.timestamp, `commit.signatures[${i}].timestamp`));
        return { blockIdFlag: flag, validatorAddress: s.validatorAddress, timestamp, signature: s.signature };
      }),
    },
  };
}

export function signedHeaderToProto(sh: SignedHeader): ProtoSignedHeader {
  const { header: h, commit: c } = sh;
  return {
    header: { ...h, version: { ...h.version }, time: timeToTimestamp(h.time), lastBlockId: { ...h.lastBlockId, partSetHeader: { ...h.lastBlockId.partSetHeader } } },
    commit: {
      height: c.height,
      round: c.round,
      blockId: { ...c.blockId, partSetHeader: { ...c.blockId.partSetHeader } },
      signatures: c.signatures.map((s) => ({ ...s, timestamp: timeToTimestamp(s.timestamp) })),
    },
  };
}

function validatorFromProto(v: ProtoValidator, what: string): Validator {
  if (v.pubKey?.ed25519 === undefined || v.pubKey.secp256k1 !== undefined) fail("invalid-validator-set", `${what}: only ed25519 keys are supported`);
  return { address: v.address, pubKey: v.pubKey.ed25519, votingPower: v.votingPower, proposerPriority: v.proposerPriority };
}

export function validatorSetFromProto(p: ProtoValidatorSet): ValidatorSet {
  const vals = p.validators.map((v, i) => validatorFromProto(v, `validators[${i}]`));
  const set = makeValidatorSet(vals, p.proposer === undefined ? undefined : validatorFromProto(p.proposer, "proposer"));
  return checkedTotal(set, p.totalVotingPower);
}

const validatorToProto = (v: Validator): ProtoValidator => ({ ...v, pubKey: { ed25519: v.pubKey } });

export function validatorSetToProto(set: ValidatorSet): ProtoValidatorSet {
  return {
    validators: set.validators.map(validatorToProto),
    ...(set.proposer === undefined ? {} : { proposer: validatorToProto(set.proposer) }),
    totalVotingPower: set.totalVotingPower,
  };
}

/** Protobuf decoding errors (truncation, bad wire types) become "bad-encoding". */
function fromBytes<P, D>(bytes: Uint8Array, decode: (b: Uint8Array) => P, convert: (p: P) => D, what: string): D {
  let p: P;
  try {
    p = decode(bytes);
  } catch (e) {
    fail("bad-encoding", `${what} protobuf: ${(e as Error).message}`);
  }
  return convert(p);
}

export const signedHeaderFromBytes = (b: Uint8Array): SignedHeader => fromBytes(b, (x) => ProtoSignedHeader.decode(x), signedHeaderFromProto, "SignedHeader");
export const signedHeaderToBytes = (sh: SignedHeader): Uint8Array => ProtoSignedHeader.encode(signedHeaderToProto(sh)).finish();
export const validatorSetFromBytes = (b: Uint8Array): ValidatorSet => fromBytes(b, (x) => ProtoValidatorSet.decode(x), validatorSetFromProto, "ValidatorSet");
export const validatorSetToBytes = (set: ValidatorSet): Uint8Array => ProtoValidatorSet.encode(validatorSetToProto(set)).finish();
