/**
 * The service methods a node answers from its CometBFT rather than from app state, as the SDK's
 * node does through its CometBFT client: cosmos.base.tendermint.v1beta1.Service (node info,
 * syncing, blocks, validator sets), cosmos.tx.v1beta1.Service/BroadcastTx and the node's
 * cosmos.base.node.v1beta1 config. Protobuf in, protobuf out: the gRPC server serves them as they
 * are, the REST routes render them as jsonpb (one implementation, two transports).
 */
import { createHash } from "node:crypto";
import * as nodeQ from "cosmjs-types/cosmos/base/node/v1beta1/query";
import * as tm from "cosmjs-types/cosmos/base/tendermint/v1beta1/query";
import type { TxResponse } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import { BroadcastMode, BroadcastTxRequest, BroadcastTxResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { sdkErrors } from "../../../chain/tx/errors";
import type { QueryResult } from "./app-query";
import { blockIdProto, blockProto, nodeInfoProto, sdkBlockProto, validatorProto, type CometBlock, type CometBlockId, type CometNodeInfo, type CometValidator } from "./comet-proto";
import { CometRpcError, type CometCall } from "./comet-rpc";
import { ApiError, Grpc, invalidArgument } from "./errors";

/** A service method: the protobuf request in, the protobuf response and the height it describes out. */
export type ServiceMethod = (request: Uint8Array) => Promise<QueryResult>;

export interface NodeSettings {
  minimumGasPrices: string;
  pruningKeepRecent: number;
}

export const TM_SERVICE = "/cosmos.base.tendermint.v1beta1.Service";
export const BROADCAST_TX = "/cosmos.tx.v1beta1.Service/BroadcastTx";
export const NODE_CONFIG = "/cosmos.base.node.v1beta1.Service/Config";
/** CometBFT's /validators gives at most this many per page. */
const VALIDATORS_PER_PAGE = 100;
const MAX_HEIGHT = 0x7fffffffffffffffn;

export function nodeMethods(comet: CometCall, settings: NodeSettings, version: tm.VersionInfo): Map<string, ServiceMethod> {
  const status = () => comet<{ node_info: CometNodeInfo; sync_info: { catching_up: boolean; latest_block_height: string } }>("status");
  const block = async (height?: bigint) => {
    const res = await comet<{ block_id: CometBlockId; block: CometBlock }>("block", height === undefined ? {} : { height: String(height) }).catch(badHeight);
    return { blockId: blockIdProto(res.block_id), block: blockProto(res.block), sdkBlock: sdkBlockProto(res.block), height: BigInt(res.block.header.height) };
  };
  const answer = (value: Uint8Array, height = 0n): QueryResult => ({ value, height });
  return new Map<string, ServiceMethod>([
    [
      `${TM_SERVICE}/GetNodeInfo`,
      async () => answer(tm.GetNodeInfoResponse.encode({ defaultNodeInfo: nodeInfoProto((await status()).node_info), applicationVersion: version }).finish()),
    ],
    [`${TM_SERVICE}/GetSyncing`, async () => answer(tm.GetSyncingResponse.encode({ syncing: (await status()).sync_info.catching_up }).finish())],
    [
      `${TM_SERVICE}/GetLatestBlock`,
      async () => {
        const { height, ...res } = await block();
        return answer(tm.GetLatestBlockResponse.encode(res).finish(), height);
      },
    ],
    [
      `${TM_SERVICE}/GetBlockByHeight`,
      async (request) => {
        const { height, ...res } = await block(positiveHeight(decode(tm.GetBlockByHeightRequest, request).height));
        return answer(tm.GetBlockByHeightResponse.encode(res).finish(), height);
      },
    ],
    [
      `${TM_SERVICE}/GetLatestValidatorSet`,
      async (request) => {
        const res = await validatorSet(comet, decode(tm.GetLatestValidatorSetRequest, request).pagination);
        return answer(tm.GetLatestValidatorSetResponse.encode(res).finish(), res.blockHeight);
      },
    ],
    [
      `${TM_SERVICE}/GetValidatorSetByHeight`,
      async (request) => {
        const req = decode(tm.GetValidatorSetByHeightRequest, request);
        const res = await validatorSet(comet, req.pagination, positiveHeight(req.height));
        return answer(tm.GetValidatorSetByHeightResponse.encode(res).finish(), res.blockHeight);
      },
    ],
    [BROADCAST_TX, async (request) => answer(BroadcastTxResponse.encode({ txResponse: await broadcast(comet, decode(BroadcastTxRequest, request)) }).finish())],
    [
      NODE_CONFIG,
      async () =>
        answer(nodeQ.ConfigResponse.encode({ minimumGasPrice: settings.minimumGasPrices, pruningKeepRecent: String(settings.pruningKeepRecent), pruningInterval: "0", haltHeight: 0n }).finish()),
    ],
  ]);
}

/** A request's protobuf, or InvalidArgument as grpc-go answers bytes it cannot unmarshal. */
function decode<T>(codec: { decode(bytes: Uint8Array): T }, bytes: Uint8Array): T {
  try {
    return codec.decode(bytes);
  } catch (err) {
    throw invalidArgument(`grpc: error unmarshalling request: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Every validator at the height (CometBFT pages them), then the SDK's offset and limit (default 100). */
async function validatorSet(comet: CometCall, page: { offset: bigint; limit: bigint } | undefined, height?: bigint) {
  const offset = Number(page?.offset ?? 0n);
  const limit = Number(page?.limit ?? 0n) || 100;
  const all: CometValidator[] = [];
  let blockHeight = 0n;
  for (let n = 1; ; n++) {
    const params: Record<string, string> = { page: String(n), per_page: String(VALIDATORS_PER_PAGE), ...(height === undefined ? {} : { height: String(height) }) };
    const res = await comet<{ block_height: string; validators: CometValidator[]; total: string }>("validators", params).catch(badHeight);
    // every page at the height the first one was read at
    height ??= BigInt(res.block_height);
    blockHeight = BigInt(res.block_height);
    all.push(...res.validators);
    if (res.validators.length === 0 || all.length >= Number(res.total)) break;
  }
  return { blockHeight, validators: all.slice(offset, offset + limit).map(validatorProto), pagination: { nextKey: new Uint8Array(), total: BigInt(all.length) } };
}

/** cosmos-sdk client.CheckCometError: what CometBFT says before CheckTx, as the SDK's codes. */
const MEMPOOL_REFUSALS: Array<[string, { code: number; codespace: string }]> = [
  ["tx already exists in cache", sdkErrors.ErrTxInMempoolCache],
  ["mempool is full", sdkErrors.ErrMempoolIsFull],
  ["tx too large", sdkErrors.ErrTxTooLarge],
];

/**
 * Hands a signed tx to CometBFT's mempool (broadcast_tx_sync or _async) and answers the SDK's
 * TxResponse: CheckTx's code and log for sync, the hash alone for async; a tx CometBFT refuses
 * before CheckTx (already in its cache, mempool full, too large) gets the SDK's code for it.
 */
async function broadcast(comet: CometCall, req: BroadcastTxRequest): Promise<TxResponse> {
  if (req.txBytes.length === 0) throw invalidArgument("invalid empty tx");
  if (req.mode !== BroadcastMode.BROADCAST_MODE_SYNC && req.mode !== BroadcastMode.BROADCAST_MODE_ASYNC) {
    throw invalidArgument(`unsupported broadcast mode ${BroadcastMode[req.mode] ?? String(req.mode)}; supported: BROADCAST_MODE_SYNC, BROADCAST_MODE_ASYNC`);
  }
  const method = req.mode === BroadcastMode.BROADCAST_MODE_SYNC ? "broadcast_tx_sync" : "broadcast_tx_async";
  const hash = createHash("sha256").update(req.txBytes).digest("hex").toUpperCase();
  try {
    const res = await comet<{ code: number; data: string | null; log: string; codespace: string; hash: string }>(method, { tx: Buffer.from(req.txBytes).toString("base64") });
    return txResponse(res.hash || hash, res.code, res.codespace, Buffer.from(res.data ?? "", "base64").toString("hex").toUpperCase(), res.log);
  } catch (err) {
    if (!(err instanceof CometRpcError)) throw err;
    const refusal = MEMPOOL_REFUSALS.find(([text]) => err.detail.toLowerCase().includes(text));
    if (refusal) return txResponse(hash, refusal[1].code, refusal[1].codespace, "", "");
    throw new ApiError(Grpc.Unknown, err.detail);
  }
}

/** A broadcast's TxResponse: nothing is known yet of the block. */
function txResponse(txhash: string, code: number, codespace: string, data: string, rawLog: string): TxResponse {
  return { height: 0n, txhash, codespace, code, data, rawLog, logs: [], info: "", gasWanted: 0n, gasUsed: 0n, timestamp: "", events: [] };
}

function positiveHeight(height: bigint): bigint {
  if (height <= 0n) throw invalidArgument("height must be greater than 0");
  if (height > MAX_HEIGHT) throw invalidArgument(`height ${height} is out of range`);
  return height;
}

/** CometBFT refusing a height (pruned, or beyond its latest block) is the client's mistake. */
function badHeight(err: unknown): never {
  throw err instanceof CometRpcError ? invalidArgument(err.detail) : err;
}
