/**
 * Synthetic CometBFT chains for the Tendermint light client's tests: ed25519 validators from fixed
 * seeds (secret key i of a label is sha256("<label> i")), signed headers whose commits verify, the
 * messages a relayer sends (ibc `Header` / `Misbehaviour` protobuf bytes) and the RPC JSON of a
 * registration. Deterministic: no clock, no randomness. Production code must not import this.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { Header as HeaderProto, Misbehaviour as MisbehaviourProto } from "cosmjs-types/ibc/lightclients/tendermint/v1/tendermint";
import { sha256 } from "../../chain/store/sha256";
import type { KVStore } from "../../chain/store/types";
import { initialize, updateClient } from "../../light-client/tendermint/client";
import { type Height, revisionOf } from "../../light-client/tendermint/client-state";
import { signedHeaderToProto, validatorSetToProto } from "../../light-client/tendermint/decode";
import { TendermintError } from "../../light-client/tendermint/errors";
import { headerHash } from "../../light-client/tendermint/header-hash";
import { merkleRoot } from "../../light-client/tendermint/merkle";
import { type ExecResult, resultsHash } from "../../light-client/tendermint/proof-results";
import { commitSignBytes } from "../../light-client/tendermint/sign-bytes";
import {
  BLOCK_ID_FLAG_ABSENT,
  BLOCK_ID_FLAG_COMMIT,
  type BlockId,
  type Commit,
  type CommitSig,
  formatTime,
  type Header,
  type SignedHeader,
  type Time,
  type ValidatorSet,
  ZERO_TIME,
} from "../../light-client/tendermint/types";
import { makeValidatorSet, validatorAddress, validatorSetHash } from "../../light-client/tendermint/validator-set";
import { memoryStore } from "./store";

export const SECOND = 1_000_000_000n;

export interface Key {
  readonly secret: Uint8Array;
  readonly pubKey: Uint8Array;
  readonly address: Uint8Array;
}

export function makeKeys(label: string, n: number): Key[] {
  return Array.from({ length: n }, (_, i) => {
    const secret = sha256(new TextEncoder().encode(`${label} ${i}`));
    const pubKey = ed25519.getPublicKey(secret);
    return { secret, pubKey, address: validatorAddress(pubKey) };
  });
}

/** A validator set of `keys`, each with `power` (one power for all, or one each). */
export function validatorSetOf(keys: readonly Key[], power: bigint | readonly bigint[] = 10n): ValidatorSet {
  return makeValidatorSet(
    keys.map((k, i) => ({ address: k.address, pubKey: k.pubKey, votingPower: typeof power === "bigint" ? power : power[i]!, proposerPriority: 0n })),
  );
}

const tagHash = (s: string): Uint8Array => sha256(new TextEncoder().encode(s));
export const EMPTY_HASH = sha256(new Uint8Array(0));

export interface LightBlock {
  readonly signedHeader: SignedHeader;
  readonly validatorSet: ValidatorSet;
  readonly nextValidatorSet: ValidatorSet;
}

export interface ChainSpec {
  readonly chainId: string;
  /** Every key that may sign (looked up by address). */
  readonly keys: readonly Key[];
  /** The validator set of height h (the one its validators_hash commits to). */
  readonly valsAt: (h: bigint) => ValidatorSet;
  readonly timeAt: (h: bigint) => Time;
  /** The txs of block h (data_hash); none by default. */
  readonly txsAt?: (h: bigint) => readonly Uint8Array[];
  /** The results of block h's txs (last_results_hash of block h+1); none by default. */
  readonly resultsAt?: (h: bigint) => readonly ExecResult[];
  /** app_hash of block h (the state after block h − 1). */
  readonly appHashAt?: (h: bigint) => Uint8Array;
}

/** What a test may change in one block: forks, forged times, partial or foreign signatures. */
export interface BlockOverrides {
  readonly time?: Time;
  readonly appHash?: Uint8Array;
  /** A different block at the same height (changes last_commit_hash). */
  readonly fork?: string;
  readonly signs?: (k: Key) => boolean;
  readonly signChainId?: string;
  readonly chainId?: string;
}

export function lightBlock(spec: ChainSpec, height: bigint, o: BlockOverrides = {}): LightBlock {
  const vals = spec.valsAt(height);
  const next = spec.valsAt(height + 1n);
  const time = o.time ?? spec.timeAt(height);
  const chainId = o.chainId ?? spec.chainId;
  const txs = spec.txsAt?.(height) ?? [];
  const header: Header = {
    version: { block: 11n, app: 1n },
    chainId,
    height,
    time,
    lastBlockId: { hash: tagHash(`block ${height - 1n}`), partSetHeader: { total: 1, hash: tagHash(`parts ${height - 1n}`) } },
    lastCommitHash: tagHash(`last commit ${height}${o.fork === undefined ? "" : ` fork ${o.fork}`}`),
    dataHash: merkleRoot(txs.map((t) => sha256(t))),
    validatorsHash: validatorSetHash(vals),
    nextValidatorsHash: validatorSetHash(next),
    consensusHash: tagHash("consensus params"),
    appHash: o.appHash ?? spec.appHashAt?.(height) ?? tagHash(`app ${height}`),
    lastResultsHash: height > 1n ? resultsHash(spec.resultsAt?.(height - 1n) ?? []) : EMPTY_HASH,
    evidenceHash: EMPTY_HASH,
    proposerAddress: vals.validators[0]!.address,
  };
  const blockId: BlockId = { hash: headerHash(header), partSetHeader: { total: 1, hash: tagHash(`parts ${height}`) } };
  const unsigned: Commit = {
    height,
    round: 0,
    blockId,
    signatures: vals.validators.map((v, i) => ({ blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: v.address, timestamp: time + BigInt(i + 1) * 1_000_000n, signature: new Uint8Array(0) })),
  };
  const signatures = unsigned.signatures.map((s, i): CommitSig => {
    const key = spec.keys.find((k) => Buffer.compare(k.address, s.validatorAddress) === 0);
    if (key === undefined) throw new Error(`no key for validator ${Buffer.from(s.validatorAddress).toString("hex")}`);
    if (o.signs !== undefined && !o.signs(key))
      return { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(0), timestamp: ZERO_TIME, signature: new Uint8Array(0) };
    return { ...s, signature: ed25519.sign(commitSignBytes(o.signChainId ?? chainId, unsigned, i), key.secret) };
  });
  return { signedHeader: { header, commit: { ...unsigned, signatures } }, validatorSet: vals, nextValidatorSet: next };
}

export const heightAt = (revisionNumber: bigint, revisionHeight: bigint): Height => ({ revisionNumber, revisionHeight });

/** The ibc `Header` proto object a relayer builds: the block, and the trusted height and set to verify it from. */
export function headerProto(b: LightBlock, trustedHeight: Height, trustedValidators: ValidatorSet): HeaderProto {
  return {
    signedHeader: signedHeaderToProto(b.signedHeader),
    validatorSet: validatorSetToProto(b.validatorSet),
    trustedHeight,
    trustedValidators: validatorSetToProto(trustedValidators),
  };
}

export const headerBytes = (b: LightBlock, trustedHeight: Height, trustedValidators: ValidatorSet): Uint8Array =>
  HeaderProto.encode(headerProto(b, trustedHeight, trustedValidators)).finish();

export const misbehaviourBytes = (header1: HeaderProto, header2: HeaderProto): Uint8Array =>
  MisbehaviourProto.encode({ clientId: "", header1, header2 }).finish();

// ---------------------------------------------------------------------------------------------
// CometBFT RPC JSON (what decode.ts reads)

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex").toUpperCase();
const b64 = (b: Uint8Array): string | null => (b.length === 0 ? null : Buffer.from(b).toString("base64"));
const blockIdJson = (id: BlockId) => ({ hash: hex(id.hash), parts: { total: id.partSetHeader.total, hash: hex(id.partSetHeader.hash) } });

export function signedHeaderJson(sh: SignedHeader): unknown {
  const h = sh.header;
  return {
    header: {
      version: { block: String(h.version.block), app: String(h.version.app) },
      chain_id: h.chainId,
      height: String(h.height),
      time: formatTime(h.time),
      last_block_id: blockIdJson(h.lastBlockId),
      last_commit_hash: hex(h.lastCommitHash),
      data_hash: hex(h.dataHash),
      validators_hash: hex(h.validatorsHash),
      next_validators_hash: hex(h.nextValidatorsHash),
      consensus_hash: hex(h.consensusHash),
      app_hash: hex(h.appHash),
      last_results_hash: hex(h.lastResultsHash),
      evidence_hash: hex(h.evidenceHash),
      proposer_address: hex(h.proposerAddress),
    },
    commit: {
      height: String(sh.commit.height),
      round: sh.commit.round,
      block_id: blockIdJson(sh.commit.blockId),
      signatures: sh.commit.signatures.map((s) => ({
        block_id_flag: s.blockIdFlag,
        validator_address: hex(s.validatorAddress),
        timestamp: formatTime(s.timestamp),
        signature: b64(s.signature),
      })),
    },
  };
}

export function validatorSetJson(set: ValidatorSet): unknown {
  return {
    validators: set.validators.map((v) => ({
      address: hex(v.address),
      pub_key: { type: "tendermint/PubKeyEd25519", value: Buffer.from(v.pubKey).toString("base64") },
      voting_power: String(v.votingPower),
      proposer_priority: String(v.proposerPriority),
    })),
    total_voting_power: String(set.totalVotingPower),
  };
}

/** TRUSTED: { signed_header, validator_set, next_validator_set }. */
export const trustedJson = (b: LightBlock): unknown => ({
  signed_header: signedHeaderJson(b.signedHeader),
  validator_set: validatorSetJson(b.validatorSet),
  next_validator_set: validatorSetJson(b.nextValidatorSet),
});

export interface RegistrationParams {
  readonly trustLevel?: [number | string, number | string];
  readonly trustingPeriodSeconds?: number | string;
  readonly maxClockDriftSeconds?: number | string;
  readonly pruningWindowSeconds?: number | string;
}

export function registrationJson(chainId: string, b: LightBlock, p: RegistrationParams = {}): Record<string, unknown> {
  const [numerator, denominator] = p.trustLevel ?? [1, 3];
  return {
    chain_id: chainId,
    trust_level: { numerator, denominator },
    trusting_period_seconds: p.trustingPeriodSeconds ?? 3600,
    max_clock_drift_seconds: p.maxClockDriftSeconds ?? 10,
    ...(p.pruningWindowSeconds === undefined ? {} : { pruning_window_seconds: p.pruningWindowSeconds }),
    trusted: trustedJson(b),
  };
}

// ---------------------------------------------------------------------------------------------
// A standard test chain and small test helpers

export const T0: Time = 1_704_067_200n * SECOND; // 2024-01-01T00:00:00Z
export const BLOCK_INTERVAL = 5n * SECOND;

/** "localhub-1" (revision 1): four validators of power 10 at every height, a block every 5 s after T0. */
export function testChain(over: Partial<ChainSpec> = {}): ChainSpec {
  const keys = over.keys ?? makeKeys("tendermint client test", 8);
  const vals = validatorSetOf(keys.slice(0, 4));
  return { chainId: "localhub-1", keys, valsAt: () => vals, timeAt: (h) => T0 + h * BLOCK_INTERVAL, ...over };
}

/** The reason of the TendermintError `f` throws, or "accepted". */
export async function reasonOf(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof TendermintError) return e.reason;
    throw e;
  }
  return "accepted";
}

/**
 * A fresh in-memory store holding a client of `spec` registered at block 1 (with `params`), then
 * updated to each of `heights` from there (trusting block 1's next validator set), a second after
 * each block's time.
 */
export async function initializedClient(spec: ChainSpec, heights: readonly bigint[] = [], params: RegistrationParams = {}): Promise<KVStore> {
  const store = memoryStore();
  await initialize(store, registrationJson(spec.chainId, lightBlock(spec, 1n), params));
  const trustedHeight = heightAt(revisionOf(spec.chainId), 1n);
  for (const h of heights) await updateClient(store, headerBytes(lightBlock(spec, h), trustedHeight, spec.valsAt(2n)), spec.timeAt(h) + SECOND);
  return store;
}

/** The light-client verdict class of a reason: SUCCESS, NOT_ENOUGH_TRUST (try a closer height) or INVALID. */
export const verdictOfReason = (reason: string): string => (reason === "accepted" ? "SUCCESS" : reason === "not-enough-trust" ? "NOT_ENOUGH_TRUST" : "INVALID");

/** The reason of the TendermintError a synchronous `f` throws, or `accepted` when it returns. */
export function reasonOfSync<A extends string | undefined>(f: () => unknown, accepted: A): string | A {
  try {
    f();
  } catch (e) {
    if (e instanceof TendermintError) return e.reason;
    throw e;
  }
  return accepted;
}

/** Every entry of a store, hex, in key order: to show a refused call wrote nothing. */
export async function snapshot(store: KVStore): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of store.iterate()) out.push(`${Buffer.from(k).toString("hex")}=${Buffer.from(v).toString("hex")}`);
  return out;
}
