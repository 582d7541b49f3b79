/**
 * POST /cosmos/tx/v1beta1/txs: hands a signed tx to CometBFT's mempool (broadcast_tx_sync or
 * _async on the node's RPC) and answers the SDK's `tx_response`, as the SDK's tx service does:
 * CheckTx's code and log for sync, the hash alone for async; a tx CometBFT refuses before CheckTx
 * (already in its cache, mempool full, too large) is answered 200 with the SDK's code for it.
 */
import { createHash } from "node:crypto";
import { BroadcastMode } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { sdkErrors } from "../../../chain/tx/errors";
import { txBytesOf } from "./cosmos-routes";
import { CometRpcError, type CometCall } from "./comet-rpc";
import { ApiError, Grpc, invalidArgument } from "./errors";
import type { ApiRequest, Route } from "./router";

interface CheckTxAnswer {
  code: number;
  data: string | null;
  log: string;
  codespace: string;
  hash: string;
}

/** cosmos-sdk client.CheckCometError: what CometBFT says before CheckTx, as the SDK's codes. */
const MEMPOOL_REFUSALS: Array<[string, { code: number; codespace: string }]> = [
  ["tx already exists in cache", sdkErrors.ErrTxInMempoolCache],
  ["mempool is full", sdkErrors.ErrMempoolIsFull],
  ["tx too large", sdkErrors.ErrTxTooLarge],
];

export function broadcastRoute(comet: CometCall): Route {
  return {
    method: "POST",
    path: "/cosmos/tx/v1beta1/txs",
    grpc: "/cosmos.tx.v1beta1.Service/BroadcastTx",
    summary: "broadcast a signed tx: BROADCAST_MODE_SYNC answers after CheckTx, BROADCAST_MODE_ASYNC at once",
    params: { tx_bytes: "the signed tx (TxRaw), base64", mode: "BROADCAST_MODE_SYNC or BROADCAST_MODE_ASYNC (or 2, 3)" },
    async handle(req) {
      const tx = txBytesOf(req, "invalid empty tx");
      const mode = modeOf(req);
      const method = mode === BroadcastMode.BROADCAST_MODE_SYNC ? "broadcast_tx_sync" : "broadcast_tx_async";
      const hash = createHash("sha256").update(tx).digest("hex").toUpperCase();
      try {
        const res = await comet<CheckTxAnswer>(method, { tx: Buffer.from(tx).toString("base64") });
        return { body: { tx_response: txResponse(res.hash || hash, res.code, res.codespace, Buffer.from(res.data ?? "", "base64").toString("hex").toUpperCase(), res.log) } };
      } catch (err) {
        if (!(err instanceof CometRpcError)) throw err;
        const refusal = MEMPOOL_REFUSALS.find(([text]) => err.detail.toLowerCase().includes(text));
        if (refusal) return { body: { tx_response: txResponse(hash, refusal[1].code, refusal[1].codespace, "", "") } };
        throw new ApiError(Grpc.Unknown, err.detail);
      }
    },
  };
}

function modeOf(req: ApiRequest): BroadcastMode {
  const mode = req.body.mode;
  const named = typeof mode === "string" && mode in BroadcastMode ? BroadcastMode[mode as keyof typeof BroadcastMode] : mode;
  if (named === BroadcastMode.BROADCAST_MODE_SYNC || named === BroadcastMode.BROADCAST_MODE_ASYNC) return named;
  const shown = typeof named === "number" ? (BroadcastMode[named] ?? String(named)) : String(mode ?? "unspecified");
  throw invalidArgument(`unsupported broadcast mode ${shown}; supported: BROADCAST_MODE_SYNC, BROADCAST_MODE_ASYNC`);
}

/** The SDK's TxResponse of a broadcast, in its JSON: nothing is known yet of the block. */
function txResponse(txhash: string, code: number, codespace: string, data: string, rawLog: string): object {
  return { height: "0", txhash, codespace, code, data, raw_log: rawLog, logs: [], info: "", gas_wanted: "0", gas_used: "0", tx: null, timestamp: "", events: [] };
}
