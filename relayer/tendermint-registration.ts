/**
 * The trust anchor of a Tendermint main chain's light client, fetched from a CometBFT node: the
 * registration JSON of light-client/tendermint/genesis.ts, which `pegzone genesis add-mainchain
 * --kind tendermint` writes as the main chain's checkpoint. Before it is handed on it is checked as
 * InitChain will check it (parseRegistration: it decodes, more than 2/3 of the set signed it, the
 * validator sets hash to the header's), and its trusting period is held below the chain's unbonding
 * period, asked from the node's staking module: past the unbonding period, validators that signed a
 * forged header could no longer be slashed for it, so the client must have stopped trusting them.
 * A header already older than the trusting period is refused too (the client would start Expired).
 */
import { QueryParamsRequest, QueryParamsResponse } from "cosmjs-types/cosmos/staking/v1beta1/query";
import { hexUpper } from "../light-client/tendermint/client-state";
import { parseRegistration } from "../light-client/tendermint/genesis";
import { formatTime } from "../light-client/tendermint/types";
import type { CometRpcClient, LightBlockJson } from "./cometbft-rpc";

/** The registration's JSON form (light-client/tendermint/genesis.ts), as written to genesis. */
export interface TendermintRegistrationJson {
  readonly chain_id: string;
  readonly trust_level: { readonly numerator: number; readonly denominator: number };
  readonly trusting_period_seconds: number;
  readonly max_clock_drift_seconds: number;
  readonly trusted: LightBlockJson;
}

export interface RegistrationOptions {
  /** The trusted header's height; default the node's latest. */
  readonly height?: bigint;
  readonly trustLevel: { readonly numerator: number; readonly denominator: number };
  readonly trustingPeriodSeconds: number;
  readonly maxClockDriftSeconds: number;
}

/** What was registered, for the operator to compare with a source they trust (an explorer, a second node). */
export interface FetchedRegistration {
  readonly registration: TendermintRegistrationJson;
  readonly height: bigint;
  /** The trusted block's hash (uppercase hex): the one fact an operator should check out of band. */
  readonly blockHash: string;
  readonly unbondingPeriodSeconds: bigint;
}

/** The chain's staking unbonding period in whole seconds, from the node's latest committed state. */
export async function unbondingPeriodSeconds(rpc: Pick<CometRpcClient, "url" | "status" | "abciQuery">): Promise<bigint> {
  const { latestHeight } = await rpc.status();
  // CometBFT stores block H before the app commits it, so the state the app surely has is H − 1's.
  const committed = latestHeight > 1n ? latestHeight - 1n : latestHeight;
  const answer = await rpc.abciQuery("/cosmos.staking.v1beta1.Query/Params", QueryParamsRequest.encode({}).finish(), committed, false);
  const unbonding = QueryParamsResponse.decode(answer.value ?? new Uint8Array()).params?.unbondingTime;
  if (unbonding === undefined || unbonding.seconds <= 0n) throw new Error(`the node at ${rpc.url} reports no staking unbonding period`);
  return unbonding.seconds;
}

/**
 * Fetches the signed header at `o.height` with its validator set and the next one, and returns the
 * registration after the checks of the header comment; throws an Error saying which failed.
 */
export async function fetchTendermintRegistration(rpc: CometRpcClient, o: RegistrationOptions): Promise<FetchedRegistration> {
  const status = await rpc.status();
  if (status.catchingUp) throw new Error(`the node at ${rpc.url} is still catching up: trust a header from a synced node`);
  const height = o.height ?? status.latestHeight;
  if (height < 1n || height > status.latestHeight) throw new Error(`trusted height ${height} is not between 1 and the node's latest height ${status.latestHeight}`);
  const unbonding = await unbondingPeriodSeconds(rpc);
  if (BigInt(o.trustingPeriodSeconds) >= unbonding)
    throw new Error(`trusting period ${o.trustingPeriodSeconds} s must be below ${status.chainId}'s unbonding period of ${unbonding} s`);
  const registration: TendermintRegistrationJson = {
    chain_id: status.chainId,
    trust_level: o.trustLevel,
    trusting_period_seconds: o.trustingPeriodSeconds,
    max_clock_drift_seconds: o.maxClockDriftSeconds,
    trusted: await rpc.lightBlockJson(height),
  };
  const { trusted } = parseRegistration(registration);
  // A header older than the trusting period would register a client that is Expired from its first block.
  const expiresAt = trusted.consensusState.time + BigInt(o.trustingPeriodSeconds) * 1_000_000_000n;
  if (expiresAt <= BigInt(Date.now()) * 1_000_000n)
    throw new Error(`the header at ${height} (${formatTime(trusted.consensusState.time)}) is older than the trusting period: trust a more recent height`);
  return { registration, height, blockHash: hexUpper(trusted.consensusState.headerHash), unbondingPeriodSeconds: unbonding };
}
