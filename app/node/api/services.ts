/**
 * Every service method a node answers, behind one call: the node's own (node-service.ts, from
 * CometBFT) and the app's query router (every path it registered, asked as `abci_query` asks it).
 * The REST routes and the gRPC server both call through here.
 */
import type { AbciApplication } from "../../../chain/abci/application";
import type { VersionInfo } from "cosmjs-types/cosmos/base/tendermint/v1beta1/query";
import { appQuery, type AppQuery } from "./app-query";
import { cometRpc } from "./comet-rpc";
import type { AppGate } from "./gate";
import { nodeMethods, type NodeSettings } from "./node-service";

export interface ServiceDeps {
  app: Pick<AbciApplication, "query"> & { queries: { paths(): string[] } };
  gate: AppGate;
  /** The node's CometBFT RPC, e.g. http://127.0.0.1:26657. */
  rpcUrl: string;
  settings: NodeSettings;
  version: VersionInfo;
}

export interface Services {
  /** Answers a method by its gRPC path ("/cosmos.bank.v1beta1.Query/Balance"). */
  call: AppQuery;
  /** Every method path `call` answers, sorted. */
  paths: string[];
}

export function nodeServices(deps: ServiceDeps): Services {
  const app = appQuery(deps.app, deps.gate);
  const node = nodeMethods(cometRpc(deps.rpcUrl), deps.settings, deps.version);
  return {
    call: (path, data, height) => node.get(path)?.(data) ?? app(path, data, height),
    paths: [...new Set([...node.keys(), ...deps.app.queries.paths()])].sort(),
  };
}
