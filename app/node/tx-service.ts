import type { TxResponse } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import { GetTxRequest, GetTxResponse, GetTxsEventRequest, GetTxsEventResponse, OrderBy } from "cosmjs-types/cosmos/tx/v1beta1/service";
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
 * CometBFT's RPC at `rpcUrl`: the result, or `onError` of its error's text. GET with URI parameters
 * (`tx`, `block`); `tx_search` is posted as JSON-RPC, so its query string needs no URI quoting.
 */
function cometCall(rpcUrl: string, onError: (text: string) => Error) {
  return async <T>(method: string, params: Record<string, string>, post = false): Promise<T> => {
    const res = post
      ? await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) })
      : await fetch(`${rpcUrl}/${method}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { result?: T; error?: { data?: string; message: string } };
    if (body.error) throw onError(body.error.data ?? body.error.message);
    return body.result as T;
  };
}

/** The SDK's TxResponse of an indexed tx committed in a block made at `time`. */
function txResponseOf(found: CometTx, time: string): { tx: Tx; txResponse: TxResponse } {
  const txBytes = Buffer.from(found.tx, "base64");
  const r = found.tx_result;
  return {
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
      timestamp: time,
      events: r.events,
    },
  };
}

type BlockResult = { block: { header: { time: string } } };

/**
 * `/cosmos.tx.v1beta1.Service/GetTx`: committed txs live in CometBFT's indexer, not in app state,
 * so this query asks the node's own RPC, as the SDK's tx service does.
 */
export function getTxHandler(rpcUrl: string): QueryHandler {
  const call = cometCall(rpcUrl, (text) => sdkErrors.ErrNotFound.wrap(`rpc error: code = NotFound desc = ${text}`));
  return async (_ctx, request) => {
    const { hash } = GetTxRequest.decode(request);
    if (!/^[0-9a-fA-F]{64}$/.test(hash)) throw sdkErrors.ErrInvalidRequest.wrap("tx hash must be 64 hex characters");
    const found = await call<CometTx>("tx", { hash: `0x${hash}` });
    const block = await call<BlockResult>("block", { height: found.height });
    return GetTxResponse.encode(txResponseOf(found, block.block.header.time)).finish();
  };
}

/** Txs per page of GetTxsEvent when the request gives no limit (the SDK's default), and CometBFT's most. */
export const TXS_PAGE_LIMIT = 100;

/**
 * `/cosmos.tx.v1beta1.Service/GetTxsEvent`: the txs matching a CometBFT event query (`query`, or
 * the older repeated `events` joined with AND), page `page` (from 1) of `limit` (1..100, default
 * 100), in `order_by` height order, found by the node's `tx_search`; `total` counts every match.
 */
export function getTxsEventHandler(rpcUrl: string): QueryHandler {
  const call = cometCall(rpcUrl, (text) => sdkErrors.ErrInvalidRequest.wrap(text));
  return async (_ctx, request) => {
    const req = GetTxsEventRequest.decode(request);
    const query = req.query.trim() !== "" ? req.query.trim() : req.events.map((e) => e.trim()).filter((e) => e !== "").join(" AND ");
    if (query === "") throw sdkErrors.ErrInvalidRequest.wrap("query cannot be empty");
    const page = req.page === 0n ? 1n : req.page;
    const limit = req.limit === 0n ? BigInt(TXS_PAGE_LIMIT) : req.limit;
    if (limit > BigInt(TXS_PAGE_LIMIT)) throw sdkErrors.ErrInvalidRequest.wrap(`limit must be at most ${TXS_PAGE_LIMIT}, got ${limit}`);
    if (page > 0xffffffffn) throw sdkErrors.ErrInvalidRequest.wrap(`page ${page} is out of range`);
    const orderBy = req.orderBy === OrderBy.ORDER_BY_DESC ? "desc" : "asc";
    const found = await call<{ txs: CometTx[]; total_count: string }>("tx_search", { query, page: page.toString(), per_page: limit.toString(), order_by: orderBy }, true);
    const times = new Map<string, string>();
    for (const t of found.txs) {
      if (!times.has(t.height)) times.set(t.height, (await call<BlockResult>("block", { height: t.height })).block.header.time);
    }
    const results = found.txs.map((t) => txResponseOf(t, times.get(t.height)!));
    return GetTxsEventResponse.encode({
      txs: results.map((r) => r.tx),
      txResponses: results.map((r) => r.txResponse),
      total: BigInt(found.total_count),
    }).finish();
  };
}
