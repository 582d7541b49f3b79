/**
 * pegzone's light client of a Tendermint main chain, as the follower reads it (`FollowedClient` of
 * tendermint-follower.ts), over the peg module's queries: ClientState for the verification
 * parameters, ConsensusState for the trusted heights and states. Every answer is read afresh, so a
 * relayer built on it keeps nothing it could not read again from pegzone after a restart.
 *
 * Only an Active client is followed: an Expired one needs the peg authority's MsgReviveClient, a
 * Frozen one an examination of its evidence, and no header can help either.
 */
import type { RpcClient } from "../chain/client/rpc";
import { SdkError } from "../chain/tx/errors";
import { pegQuery } from "../modules/peg/client";
import { pegzone } from "../proto";
import type { ClientParams, FollowedClient } from "./tendermint-follower";

const v1 = pegzone.peg.v1;
/** The SDK's ErrNotFound: no consensus state stored at or below the height asked. */
const SDK_NOT_FOUND = 38;

/** A detail of a query answer that must be there. */
function detail(details: Record<string, string>, key: string, what: string): string {
  const value = details[key];
  if (value === undefined || value === "") throw new Error(`${what} has no ${key} (is this a tendermint main chain?)`);
  return value;
}

function nanos(details: Record<string, string>, key: string, what: string): bigint {
  const text = detail(details, key, what);
  if (!/^[0-9]+$/.test(text)) throw new Error(`${what}: ${key} ${JSON.stringify(text)} is not a whole number of nanoseconds`);
  return BigInt(text);
}

/** The client parameters from a ClientState answer; throws unless the client is an Active tendermint client. */
export function clientParamsOf(mainchain: string, s: pegzone.peg.v1.QueryClientStateResponse): ClientParams {
  const what = `${mainchain}'s client state`;
  if (s.clientType !== "tendermint") throw new Error(`${mainchain} is a ${s.clientType} main chain, not tendermint`);
  if (s.status === "Expired")
    throw new Error(`${mainchain}'s light client is Expired (its latest header is older than the trusting period, at ${s.details.expires_at}): the peg authority must revive it with a trusted header (tx peg revive-client)`);
  if (s.status !== "Active") throw new Error(`${mainchain}'s light client is ${s.status}${s.details.evidence ? ` (${s.details.evidence})` : ""}: it takes no headers`);
  const trust = /^([0-9]+)\/([0-9]+)$/.exec(detail(s.details, "trust_level", what));
  if (!trust) throw new Error(`${what}: trust_level ${JSON.stringify(s.details.trust_level)} is not n/d`);
  return {
    chainId: detail(s.details, "chain_id", what),
    trustLevel: { numerator: BigInt(trust[1]), denominator: BigInt(trust[2]) },
    trustingPeriod: nanos(s.details, "trusting_period_nanos", what),
    maxClockDrift: nanos(s.details, "max_clock_drift_nanos", what),
  };
}

/** pegzone's client of `mainchain`, read at pegzone's latest state. */
export function pegzoneTendermintClient(rpc: RpcClient, mainchain: string): FollowedClient {
  const clientState = () => pegQuery(rpc, "ClientState", v1.QueryClientStateRequest, { mainchain }, v1.QueryClientStateResponse);
  /** The stored consensus state at the highest height ≤ `height`; undefined when none is. */
  const atOrBelow = async (height: bigint) => {
    if (height < 1n) return undefined; // height 0 asks for the latest
    try {
      return await pegQuery(rpc, "ConsensusState", v1.QueryConsensusStateRequest, { mainchain, height: Number(height) }, v1.QueryConsensusStateResponse);
    } catch (err) {
      if (err instanceof SdkError && err.codespace === "sdk" && err.code === SDK_NOT_FOUND) return undefined;
      throw err;
    }
  };
  return {
    params: async () => clientParamsOf(mainchain, await clientState()),
    async trustedHeightAtOrBelow(height) {
      const found = await atOrBelow(height);
      return found === undefined ? undefined : BigInt(found.height);
    },
    async trustedState(height) {
      const found = await atOrBelow(height);
      if (found === undefined || BigInt(found.height) !== height) throw new Error(`${mainchain}'s light client holds no consensus state at ${height}`);
      const what = `${mainchain}'s consensus state at ${height}`;
      const nextValidatorsHash = Uint8Array.from(Buffer.from(detail(found.details, "next_validators_hash", what), "hex"));
      const { chainId } = clientParamsOf(mainchain, await clientState());
      return { chainId, height, time: nanos(found.details, "time_nanos", what), nextValidatorsHash };
    },
  };
}
