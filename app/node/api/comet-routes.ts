/**
 * cosmos.base.tendermint.v1beta1 (node info, syncing, blocks, validator sets) and the node's
 * cosmos.base.node.v1beta1 config: not app state but CometBFT's, so these ask the node's CometBFT
 * RPC, as the SDK's service does through its CometBFT client, and reshape the answers (comet-json.ts).
 */
import { APP_NAME, APP_VERSION } from "../../../chain/app/baseapp";
import { blockId, blockJson, defaultNodeInfoJson, validatorJson, type CometBlock, type CometBlockId, type CometNodeInfo, type CometValidator } from "./comet-json";
import { CometRpcError, type CometCall } from "./comet-rpc";
import { invalidArgument } from "./errors";
import { PAGINATION_PARAMS } from "./grpc-route";
import { uintBig, type ApiRequest, type Route } from "./router";

export interface NodeSettings {
  minimumGasPrices: string;
  pruningKeepRecent: number;
}

const TM = "/cosmos/base/tendermint/v1beta1";
const TM_SERVICE = "/cosmos.base.tendermint.v1beta1.Service";
/** CometBFT's /validators gives at most this many per page. */
const VALIDATORS_PER_PAGE = 100;

export function cometRoutes(comet: CometCall): Route[] {
  const status = () => comet<{ node_info: CometNodeInfo; sync_info: { catching_up: boolean } }>("status");
  const block = async (height?: bigint) => {
    const res = await comet<{ block_id: CometBlockId; block: CometBlock }>("block", height === undefined ? {} : { height: String(height) }).catch(badHeight);
    return { body: { block_id: blockId(res.block_id), block: blockJson(res.block, "bytes"), sdk_block: blockJson(res.block, "bech32") } };
  };
  return [
    {
      method: "GET",
      path: `${TM}/node_info`,
      grpc: `${TM_SERVICE}/GetNodeInfo`,
      summary: "the node's CometBFT info and the application's version",
      handle: async () => ({
        body: {
          default_node_info: defaultNodeInfoJson((await status()).node_info),
          // pegzone is not built with Go or the SDK: those fields stay empty.
          application_version: { name: APP_NAME, app_name: APP_NAME, version: APP_VERSION, git_commit: "", build_tags: "", go_version: "", build_deps: [], cosmos_sdk_version: "" },
        },
      }),
    },
    {
      method: "GET",
      path: `${TM}/syncing`,
      grpc: `${TM_SERVICE}/GetSyncing`,
      summary: "whether the node is catching up",
      handle: async () => ({ body: { syncing: (await status()).sync_info.catching_up } }),
    },
    { method: "GET", path: `${TM}/blocks/latest`, grpc: `${TM_SERVICE}/GetLatestBlock`, summary: "the latest block", handle: () => block() },
    {
      method: "GET",
      path: `${TM}/blocks/{height}`,
      grpc: `${TM_SERVICE}/GetBlockByHeight`,
      summary: "the block at a height",
      handle: (r) => block(positiveHeight(r.params.height)),
    },
    {
      method: "GET",
      path: `${TM}/validatorsets/latest`,
      grpc: `${TM_SERVICE}/GetLatestValidatorSet`,
      summary: "the latest validator set",
      params: PAGINATION_PARAMS,
      handle: (r) => validatorSet(comet, r),
    },
    {
      method: "GET",
      path: `${TM}/validatorsets/{height}`,
      grpc: `${TM_SERVICE}/GetValidatorSetByHeight`,
      summary: "the validator set at a height",
      params: PAGINATION_PARAMS,
      handle: (r) => validatorSet(comet, r, positiveHeight(r.params.height)),
    },
  ];
}

export function nodeConfigRoute(settings: NodeSettings): Route {
  return {
    method: "GET",
    path: "/cosmos/base/node/v1beta1/config",
    grpc: "/cosmos.base.node.v1beta1.Service/Config",
    summary: "the node's app.toml settings that clients care about",
    handle: async () => ({
      body: { minimum_gas_price: settings.minimumGasPrices, pruning_keep_recent: String(settings.pruningKeepRecent), pruning_interval: "0", halt_height: "0" },
    }),
  };
}

/** Every validator at the height (CometBFT pages them), then the SDK's offset and limit (default 100). */
async function validatorSet(comet: CometCall, req: ApiRequest, height?: bigint) {
  const offset = Number(req.query.uint64("pagination.offset"));
  const limit = Number(req.query.uint64("pagination.limit")) || 100;
  const all: CometValidator[] = [];
  let blockHeight = "";
  for (let page = 1; ; page++) {
    const params: Record<string, string> = { page: String(page), per_page: String(VALIDATORS_PER_PAGE), ...(height === undefined ? {} : { height: String(height) }) };
    const res = await comet<{ block_height: string; validators: CometValidator[]; total: string }>("validators", params).catch(badHeight);
    // every page at the height the first one was read at
    if (height === undefined) height = BigInt(res.block_height);
    blockHeight = res.block_height;
    all.push(...res.validators);
    if (res.validators.length === 0 || all.length >= Number(res.total)) break;
  }
  return {
    body: {
      block_height: blockHeight,
      validators: all.slice(offset, offset + limit).map(validatorJson),
      pagination: { next_key: null, total: String(all.length) },
    },
  };
}

function positiveHeight(text: string): bigint {
  const height = uintBig("height", text, 0x7fffffffffffffffn);
  if (height === 0n) throw invalidArgument("height must be greater than 0");
  return height;
}

/** CometBFT refusing a height (pruned, or beyond its latest block) is the client's mistake. */
function badHeight(err: unknown): never {
  throw err instanceof CometRpcError ? invalidArgument(err.detail) : err;
}
