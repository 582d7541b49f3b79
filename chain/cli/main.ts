#!/usr/bin/env node
import { Command, Option } from "commander";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { createLogger } from "../log";
import { APP_VERSION } from "../app/app";
import { Home, defaultPorts, initHome, newGenesis, readGenesis, writeGenesis, type GenesisDoc } from "../node/home";
import { startNode } from "../node/start";
import { createTestnet } from "../node/testnet";
import { addBitcoinMainChain, addGenesisAccount, signerAccount } from "./genesis";
import { registerPegQueryCommands, registerPegTxCommands } from "./peg";
import { registerClaimCommand, registerRelayerCommand, registerSignerCommand } from "./relayer";
import { DEV_MNEMONIC, devAccountAddress } from "./devnet";
import { registerKeysCommands } from "./keys";
import { fail, printOutput } from "./output";
import { registerQueryCommands } from "./query";
import { registerTxCommands } from "./tx";

const program = new Command()
  .name("pegzone")
  .description("pegzone: a Cosmos-style side chain with a two-way peg to Bitcoin and other main chains")
  .version(APP_VERSION)
  .showHelpAfterError();

const homeOption = () => new Option("--home <dir>", "node home folder (default $PEGZONE_HOME or ~/.pegzone)");

program
  .command("init <moniker>")
  .description("create a single node's keys, CometBFT config, app config and genesis")
  .requiredOption("--chain-id <id>", "the chain's id")
  .addOption(homeOption())
  .action((moniker: string, o: { chainId: string; home?: string }) => {
    const home = Home.resolve(o.home);
    const { validator, nodeId } = initHome(home, { moniker, ports: defaultPorts });
    writeGenesis(home, newGenesis(o.chainId, [validator], {}, new Date()));
    printOutput({ moniker, chain_id: o.chainId, node_id: nodeId, home: home.dir }, "json");
  });

const genesis = program.command("genesis").description("edit the genesis file before the chain starts");
genesis
  .command("add-account <address> <coins>")
  .description("add an account with a balance to genesis.json, e.g. 'add-account peg1... 1000000upeg'")
  .addOption(homeOption())
  .action((address: string, coins: string, o: { home?: string }) => {
    const home = Home.resolve(o.home);
    const doc = readGenesis(home);
    addGenesisAccount(doc, address, coins);
    writeGenesis(home, doc);
  });

program
  .command("start")
  .description("start the application and a CometBFT node wired to it")
  .addOption(homeOption())
  .option("--abci-only", "serve ABCI only; run CometBFT yourself against config.toml's proxy_app")
  .action(async (o: { home?: string; abciOnly?: boolean }) => {
    await runUntilSignal(Home.resolve(o.home), Boolean(o.abciOnly));
  });

program
  .command("devnet")
  .description("start a single-validator development chain on the default ports, creating it on first run")
  .addOption(homeOption())
  .option("--reset", "delete the home folder first and start a fresh chain")
  .action(async (o: { home?: string; reset?: boolean }) => {
    const home = Home.resolve(o.home);
    if (o.reset) rmSync(home.dir, { recursive: true, force: true });
    if (!home.isInitialized()) {
      const { validator, signerPubkey } = initHome(home, { moniker: "devnet", ports: defaultPorts });
      const doc = newGenesis("pegzone-devnet", [validator], {}, new Date());
      addGenesisAccount(doc, devAccountAddress(), "1000000000000upeg");
      addBitcoinMainChain(doc, { id: "btc-regtest", network: "regtest", signerPubkeys: [signerPubkey], confirmations: 6, authority: devAccountAddress() });
      addGenesisAccount(doc, signerAccount(signerPubkey), "1000000000upeg");
      writeGenesis(home, doc);
    }
    const chainId = readGenesis(home).chain_id;
    console.log(devnetBanner(home, chainId));
    await runUntilSignal(home, false);
  });

program
  .command("testnet")
  .description("create N validator homes sharing one genesis, peered on 127.0.0.1")
  .requiredOption("--validators <n>", "number of validators", (v) => Number.parseInt(v, 10))
  .requiredOption("--output <dir>", "folder to create node0..nodeN-1 in")
  .option("--chain-id <id>", "chain id", "pegzone-testnet")
  .option("--base-port <port>", "node i uses base+10i (P2P), +1 (RPC), +2 (ABCI)", (v) => Number.parseInt(v, 10), defaultPorts.p2p)
  .option("--timeout-commit <duration>", "CometBFT timeout_commit", "1s")
  .option("--account <address=coins...>", "fund an account in genesis (repeatable)", collect, [] as string[])
  .option("--btc-confirmations <n>", "confirmations a btc-regtest deposit needs", (v) => Number.parseInt(v, 10), 6)
  .option("--peg-authority <address>", "the account that may unfreeze a peg (default: the first --account)")
  .option("--batch-interval <n>", "pegzone blocks between btc-regtest releases", (v) => Number.parseInt(v, 10), 10)
  .action((o: { validators: number; output: string; chainId: string; basePort: number; timeoutCommit: string; account: string[]; btcConfirmations: number; pegAuthority?: string; batchInterval: number }) => {
    const { nodes } = createTestnet({
      validators: o.validators,
      outputDir: resolve(o.output),
      chainId: o.chainId,
      basePort: o.basePort,
      timeoutCommit: o.timeoutCommit,
      genesisTime: new Date(),
      appState: (nodes) => {
        const doc = { app_state: {} } as GenesisDoc;
        for (const a of o.account) {
          const [address, coins] = a.split("=");
          addGenesisAccount(doc, address, coins);
        }
        const authority = o.pegAuthority ?? o.account[0]?.split("=")[0] ?? "";
        const signerPubkeys = nodes.map((n) => n.signerPubkey);
        addBitcoinMainChain(doc, { id: "btc-regtest", network: "regtest", signerPubkeys, confirmations: o.btcConfirmations, authority, batchInterval: o.batchInterval });
        // each federation member's signer pays for submitting its signatures
        for (const key of signerPubkeys) addGenesisAccount(doc, signerAccount(key), "1000000000upeg");
        return doc.app_state;
      },
    });
    printOutput(
      nodes.map((n) => ({ moniker: n.moniker, home: n.home.dir, node_id: n.nodeId, rpc: `http://127.0.0.1:${n.ports.rpc}`, p2p: n.ports.p2p, abci: n.ports.abci })),
      "json",
    );
  });

program
  .command("status")
  .description("show the node's sync status over CometBFT RPC")
  .option("--node <url>", "CometBFT RPC address", "http://127.0.0.1:26657")
  .action(async (o: { node: string }) => {
    const res = await fetch(`${o.node.replace(/^tcp:/, "http:")}/status`).catch((err: Error) => fail(`cannot reach ${o.node}: ${err.message}`));
    const { result } = (await res.json()) as { result: { node_info: Record<string, unknown>; sync_info: Record<string, unknown>; validator_info: Record<string, unknown> } };
    printOutput({ node_info: result.node_info, sync_info: result.sync_info, validator_info: result.validator_info }, "json");
  });


registerKeysCommands(program);
registerClaimCommand(registerPegTxCommands(registerTxCommands(program)));
registerRelayerCommand(program);
registerSignerCommand(program);
registerPegQueryCommands(registerQueryCommands(program));

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function runUntilSignal(home: Home, abciOnly: boolean): Promise<void> {
  const logger = createLogger("pegzone");
  const node = await startNode(home, logger, abciOnly ? { abciOnly } : { onCometLine: (line) => process.stdout.write(`[cometbft] ${line}\n`) });
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, "shutting down");
    await node.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  node.cometExited?.then((code) => {
    if (!stopping) {
      logger.error({ code }, "CometBFT exited unexpectedly");
      void shutdown("cometbft exited", 1);
    }
  });
}

function devnetBanner(home: Home, chainId: string): string {
  return [
    "",
    "pegzone devnet",
    `  chain id     ${chainId}`,
    `  home         ${home.dir}`,
    `  RPC          http://127.0.0.1:${defaultPorts.rpc}  (CosmJS: StargateClient.connect("http://127.0.0.1:${defaultPorts.rpc}"))`,
    `  P2P          127.0.0.1:${defaultPorts.p2p}    ABCI 127.0.0.1:${defaultPorts.abci}`,
    `  dev account  ${devAccountAddress()}  (1,000,000,000,000 upeg at genesis)`,
    `  mnemonic     ${DEV_MNEMONIC}`,
    "  The mnemonic above is public and for development only: never use it for anything of value.",
    "  Stop with Ctrl-C; 'npm start' again resumes the same chain ('--reset' starts over).",
    "",
  ].join("\n");
}

program.parseAsync(process.argv).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
