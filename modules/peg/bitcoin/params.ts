/** A bitcoin main chain's settings (pegzone.peg.bitcoin.v1.Params, in MainChain.params). */
import { google, pegzone } from "../../../proto";
import { paramsCodec } from "../params-codec";

export type BitcoinParams = pegzone.peg.bitcoin.v1.Params;

export const bitcoinParamsCodec = paramsCodec<BitcoinParams>("/pegzone.peg.bitcoin.v1.Params", pegzone.peg.bitcoin.v1.Params);

export function bitcoinParams(chain: pegzone.peg.v1.IMainChain): BitcoinParams {
  return bitcoinParamsCodec.decode(chain);
}

/** MainChain.params holding these settings. */
export function bitcoinParamsAny(params: pegzone.peg.bitcoin.v1.IParams): google.protobuf.IAny {
  return { type_url: bitcoinParamsCodec.typeUrl, value: pegzone.peg.bitcoin.v1.Params.encode(params).finish() };
}
