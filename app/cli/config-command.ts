/**
 * `pegzone config state-sync` and `pegzone config peers`: set up a new node's config.toml to join
 * a running network, as gaiad's operators do by hand (docs/state-sync.md).
 */
import type { Command } from "commander";
import { RpcClient } from "../../chain/client/rpc";
import { writePersistentPeers, writeStateSyncConfig } from "../node/config-edit";
import { Home } from "../node/home";
import { homeOption, intArg } from "./flags";
import { printOutput } from "./output";

/** How far below the latest block the trusted block is taken by default: below the recent snapshots. */
const DEFAULT_TRUST_OFFSET = 100;

export function registerConfigCommand(program: Command): void {
  const config = program.command("config").description("edit this node's CometBFT config.toml to join a running network");

  config
    .command("state-sync")
    .description("enable state sync in config.toml, trusting a recent block the RPC server reports (check its hash against another source)")
    .requiredOption("--rpc <url>", "a CometBFT RPC server of the network; repeat for a second one (CometBFT asks two; one given is used twice)", collect, [] as string[])
    .option("--trust-height <n>", "the trusted block's height (default: the latest minus --trust-offset)", intArg)
    .option("--trust-offset <n>", "blocks below the latest to trust by default", intArg, DEFAULT_TRUST_OFFSET)
    .option("--trust-period <duration>", "how long the trusted block stays trusted", "168h0m0s")
    .option("--discovery-time <duration>", "how long to gather snapshots before restoring one (CometBFT's default 15s, at least 5s)")
    .addOption(homeOption())
    .action(async (o: { rpc: string[]; trustHeight?: number; trustOffset: number; trustPeriod: string; discoveryTime?: string; home?: string }) => {
      const home = Home.resolve(o.home);
      const rpc = new RpcClient(o.rpc[0]);
      const height = o.trustHeight ?? Math.max(1, (await rpc.latestHeight()) - o.trustOffset);
      if (height < 1) throw new Error("--trust-height must be at least 1");
      const hash = await rpc.blockHash(height);
      const rpcServers = o.rpc.map((u) => new RpcClient(u).url);
      writeStateSyncConfig(home, { rpcServers, trustHeight: height, trustHash: hash, trustPeriod: o.trustPeriod, discoveryTime: o.discoveryTime });
      printOutput({ config: home.cometConfigFile, rpc_servers: rpcServers, trust_height: height, trust_hash: hash, trust_period: o.trustPeriod }, "json");
    });

  config
    .command("peers <peers>")
    .description("set config.toml's persistent_peers (node_id@host:port, comma-separated; `pegzone status --node <rpc>` shows a node's id)")
    .addOption(homeOption())
    .action((peers: string, o: { home?: string }) => {
      const home = Home.resolve(o.home);
      writePersistentPeers(home, peers);
      printOutput({ config: home.cometConfigFile, persistent_peers: peers }, "json");
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
