import { GetTxRequest, GetTxResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { Tx } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Event } from "cosmjs-types/tendermint/abci/types";
import type { QueryHandler } from "../../chain/app/module";
import { sdkErrors } from "../../chain/tx/errors";

interface CometTx {
  hash: string;
  height: string;
  tx: string;
  tx_result: { code: number; codespace: string; data: string | null; log: string; info: string; gas_wanted: string; gas_used: string; events: Event[] };
}

/**
 * `/cosmos.tx.v1beta1.Service/GetTx`: committed txs live in CometBFT's indexer, not in app state,
 * so this query asks the node's own RPC, as the SDK's tx service does.
 */
export function getTxHandler(rpcUrl: string): QueryHandler {
  const call = async <T>(method: string, params: Record<string, string>): Promise<T> => {
    const res = await fetch(`${rpcUrl}/${method}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { result?: T; error?: { data?: string; message: string } };
    if (body.error) throw sdkErrors.ErrNotFound.wrap(`rpc error: code = NotFound desc = ${body.error.data ?? body.error.message}`);
    return body.result as T;
  };
  return async (_ctx, request) => {
    const { hash } = GetTxRequest.decode(request);
    if (!/^[0-9a-fA-F]{64}$/.test(hash)) throw sdkErrors.ErrInvalidRequest.wrap("tx hash must be 64 hex characters");
    const found = await call<CometTx>("tx", { hash: `0x${hash}` });
    const block = await call<{ block: { header: { time: string } } }>("block", { height: found.height });
    const txBytes = Buffer.from(found.tx, "base64");
    const r = found.tx_result;
    return GetTxResponse.encode({
      tx: Tx.decode(txBytes),
      txResponse: {
        height: BigInt(found.height),
        txhash: found.hash,
        codespace: r.codespace,
        code: r.code,
        data: Buffer.from(r.data ?? "", "base64").toString("hex").toUpperCase(),
        rawLog: r.log,
        logs: [],
        info: r.info,
        gasWanted: BigInt(r.gas_wanted),
        gasUsed: BigInt(r.gas_used),
        tx: { typeUrl: "/cosmos.tx.v1beta1.Tx", value: txBytes },
        timestamp: block.block.header.time,
        events: r.events,
      },
    }).finish();
  };
}
