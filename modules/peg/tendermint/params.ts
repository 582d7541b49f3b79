/** A Tendermint main chain's settings (pegzone.peg.tendermint.v1.Params, in MainChain.params). */
import { google, pegzone } from "../../../proto";
import { paramsCodec } from "../params-codec";

export type TendermintParams = pegzone.peg.tendermint.v1.Params;

export const tendermintParamsCodec = paramsCodec<TendermintParams>("/pegzone.peg.tendermint.v1.Params", pegzone.peg.tendermint.v1.Params);

export function tendermintParams(chain: pegzone.peg.v1.IMainChain): TendermintParams {
  return tendermintParamsCodec.decode(chain);
}

/** MainChain.params holding these settings. */
export function tendermintParamsAny(params: pegzone.peg.tendermint.v1.IParams): google.protobuf.IAny {
  return { type_url: tendermintParamsCodec.typeUrl, value: pegzone.peg.tendermint.v1.Params.encode(params).finish() };
}
