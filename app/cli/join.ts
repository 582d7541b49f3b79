/**
 * `pegzone join <moniker> --rpc URL`: a new operator's node for a running network, in one step: its
 * keys and config (as `init`), the network's genesis and a peer, both from a node's CometBFT RPC.
 * It prints the candidate that an active validator proposes (`tx validators propose-add`); once the
 * validators approve it, the node signs blocks, and its signer key joins every federation with them.
 */
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { abciOption, homeOption, intArg } from "./flags";
import { defaultPorts, Home, initHome, portsFrom, writeGenesis, type AbciTransport, type GenesisDoc } from "../node/home";
import { candidateOf } from "./validators";
import { printOutput } from "./output";

interface JoinFlags {
  rpc: string;
  home?: string;
  basePort?: number;
  abci: AbciTransport;
  timeoutCommit?: string;
}

async function rpcResult<T>(rpc: string, method: string): Promise<T> {
  const res = await fetch(`${rpc.replace(/\/$/, "")}/${method}`);
  if (!res.ok) throw new Error(`${rpc}/${method}: HTTP ${res.status}`);
  return ((await res.json()) as { result: T }).result;
}

export function registerJoinCommand(program: Command): void {
  program
    .command("join <moniker>")
    .description("create a node for a running network: keys, config, its genesis and a peer from a node's RPC; prints the candidate the validators approve")
    .requiredOption("--rpc <url>", "a network node's CometBFT RPC, e.g. http://host:26657")
    .addOption(homeOption())
    .option("--base-port <port>", "P2P port; RPC, ABCI, REST API, Prometheus and gRPC follow it (default: the standard ports)", intArg)
    .option("--timeout-commit <duration>", "CometBFT's timeout_commit, as the network's (e.g. 1s)")
    .addOption(abciOption(String(defaultPorts.abci)))
    .action(async (moniker: string, o: JoinFlags) => {
      const home = Home.resolve(o.home);
      if (existsSync(home.genesisFile)) throw new Error(`${home.dir} holds a node already (${home.genesisFile})`);
      const { genesis } = await rpcResult<{ genesis: GenesisDoc }>(o.rpc, "genesis");
      const status = await rpcResult<{ node_info: { id: string; listen_addr: string } }>(o.rpc, "status");
      const listen = /^(?:tcp:\/\/)?([^:]*):(\d+)$/.exec(status.node_info.listen_addr);
      if (!listen) throw new Error(`cannot read the node's P2P address ${JSON.stringify(status.node_info.listen_addr)}`);
      // a node listening on every interface is reached at the RPC's host
      const host = listen[1] === "" || listen[1] === "0.0.0.0" ? new URL(o.rpc).hostname : listen[1];
      const peer = `${status.node_info.id}@${host}:${listen[2]}`;
      const ports = o.basePort === undefined ? defaultPorts : portsFrom(o.basePort);
      const { nodeId, abci } = initHome(home, { moniker, ports, abci: o.abci, persistentPeers: peer, timeoutCommit: o.timeoutCommit });
      writeGenesis(home, genesis);
      printOutput(
        {
          moniker,
          chain_id: genesis.chain_id,
          home: home.dir,
          node_id: nodeId,
          peer,
          abci,
          candidate: candidateOf(home),
          next: [
            `pegzone start --home ${home.dir}`,
            "an active validator's operator: pegzone tx validators propose-add --operator ... --consensus-pubkey ... --signer-pubkey ... (the candidate above); the others: pegzone tx validators approve <id>",
          ],
        },
        "json",
      );
    });
}
