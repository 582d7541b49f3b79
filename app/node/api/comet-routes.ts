/**
 * The REST routes of the methods a node answers from its CometBFT (node-service.ts): the SDK's
 * cosmos.base.tendermint.v1beta1 paths, broadcasting, and the node's config, rendered as jsonpb.
 */
import * as nodeQ from "cosmjs-types/cosmos/base/node/v1beta1/query";
import * as tm from "cosmjs-types/cosmos/base/tendermint/v1beta1/query";
import { BroadcastMode, BroadcastTxRequest, BroadcastTxResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { txBytesOf } from "./cosmos-routes";
import { invalidArgument } from "./errors";
import { grpcRoute, pageRequest, PAGINATION_PARAMS, type QueryContext } from "./grpc-route";
import { BROADCAST_TX, NODE_CONFIG, TM_SERVICE } from "./node-service";
import { cosmjsType } from "./proto-json";
import { uintBig, type ApiRequest, type Route } from "./router";

const TM = "/cosmos/base/tendermint/v1beta1";

export function cometRoutes(ctx: QueryContext): Route[] {
  const none = () => new Uint8Array();
  return [
    grpcRoute(ctx, {
      path: `${TM}/node_info`,
      grpc: `${TM_SERVICE}/GetNodeInfo`,
      summary: "the node's CometBFT info and the application's version",
      request: none,
      response: cosmjsType(tm.GetNodeInfoResponse),
    }),
    grpcRoute(ctx, { path: `${TM}/syncing`, grpc: `${TM_SERVICE}/GetSyncing`, summary: "whether the node is catching up", request: none, response: cosmjsType(tm.GetSyncingResponse) }),
    grpcRoute(ctx, { path: `${TM}/blocks/latest`, grpc: `${TM_SERVICE}/GetLatestBlock`, summary: "the latest block", request: none, response: cosmjsType(tm.GetLatestBlockResponse) }),
    grpcRoute(ctx, {
      path: `${TM}/blocks/{height}`,
      grpc: `${TM_SERVICE}/GetBlockByHeight`,
      summary: "the block at a height",
      request: (r) => tm.GetBlockByHeightRequest.encode({ height: height(r) }).finish(),
      response: cosmjsType(tm.GetBlockByHeightResponse),
    }),
    grpcRoute(ctx, {
      path: `${TM}/validatorsets/latest`,
      grpc: `${TM_SERVICE}/GetLatestValidatorSet`,
      summary: "the latest validator set",
      params: PAGINATION_PARAMS,
      request: (r) => tm.GetLatestValidatorSetRequest.encode({ pagination: pageRequest(r.query) }).finish(),
      response: cosmjsType(tm.GetLatestValidatorSetResponse),
    }),
    grpcRoute(ctx, {
      path: `${TM}/validatorsets/{height}`,
      grpc: `${TM_SERVICE}/GetValidatorSetByHeight`,
      summary: "the validator set at a height",
      params: PAGINATION_PARAMS,
      request: (r) => tm.GetValidatorSetByHeightRequest.encode({ height: height(r), pagination: pageRequest(r.query) }).finish(),
      response: cosmjsType(tm.GetValidatorSetByHeightResponse),
    }),
    grpcRoute(ctx, {
      method: "POST",
      path: "/cosmos/tx/v1beta1/txs",
      grpc: BROADCAST_TX,
      summary: "broadcast a signed tx: BROADCAST_MODE_SYNC answers after CheckTx, BROADCAST_MODE_ASYNC at once",
      params: { tx_bytes: "the signed tx (TxRaw), base64", mode: "BROADCAST_MODE_SYNC or BROADCAST_MODE_ASYNC (or 2, 3)" },
      request: (r) => BroadcastTxRequest.encode({ txBytes: txBytesOf(r, "invalid empty tx"), mode: modeOf(r) }).finish(),
      response: cosmjsType(BroadcastTxResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/base/node/v1beta1/config",
      grpc: NODE_CONFIG,
      summary: "the node's app.toml settings that clients care about",
      request: none,
      response: cosmjsType(nodeQ.ConfigResponse),
    }),
  ];
}

function height(req: ApiRequest): bigint {
  return uintBig("height", req.params.height, 0x7fffffffffffffffn);
}

/** The body's mode, by name or number; the method refuses the ones it does not support. */
function modeOf(req: ApiRequest): BroadcastMode {
  const mode = req.body.mode;
  if (typeof mode === "string" && mode in BroadcastMode) return BroadcastMode[mode as keyof typeof BroadcastMode];
  if (typeof mode === "number" && Number.isInteger(mode) && mode >= 0 && mode < 0x80000000) return mode;
  if (mode === undefined || mode === null) return BroadcastMode.BROADCAST_MODE_UNSPECIFIED;
  throw invalidArgument(`unsupported broadcast mode ${String(mode)}; supported: BROADCAST_MODE_SYNC, BROADCAST_MODE_ASYNC`);
}
