#!/usr/bin/env node
/**
 * The `pegzone` command's entry: the program, its smaller commands (init, start, testnet, status)
 * and the registration of every other command group, in the order `pegzone --help` lists them.
 */
import { Command, Option } from "commander";
import { resolve } from "node:path";
import { APP_VERSION } from "../../chain/app/baseapp";
import { Home, defaultAppConfig, defaultPorts, initHome, portsFrom, newGenesis, writeGenesis, type AbciTransport, type GenesisDoc } from "../node/home";
import { createTestnet } from "../node/testnet";
import {
  addBitcoinMainChain,
  addGenesisAccount,
  addGenesisValidator,
  addTendermintMainChain,
  setValidatorParams,
  DEFAULT_MAX_CLOCK_DRIFT_SECONDS,
  DEFAULT_TRUSTING_PERIOD_SECONDS,
  parseTrustLevel,
  signerAccount,
  signerMembers,
  TENDERMINT_RELEASE_DEFAULTS,
} from "./genesis";
import { CometRpcClient } from "../../relayer/cometbft-rpc";
import { fetchTendermintRegistration } from "../../relayer/tendermint-registration";
import { registerPegQueryCommands, registerPegTxCommands } from "./peg";
import { registerValidatorCommands } from "./validators";
import { registerJoinCommand } from "./join";
import { registerClaimCommand, registerRelayerCommand, registerSignerCommand } from "./relayer";
import { registerDevCommands } from "./dev";
import { registerDevnetCommand } from "./devnet-command";
import { registerGenesisCommand } from "./genesis-command";
import { registerConfigCommand } from "./config-command";
import { abciOption, homeOption, intArg } from "./flags";
import { registerKeysCommands } from "./keys";
import { fail, printOutput } from "./output";
import { registerQueryCommands } from "./query";
import { registerChainInfoCommand } from "./chain-info";
import { runUntilSignal } from "./run-node";
import { registerTxCommands } from "./tx";
import { FEE_DENOM } from "../pegzone";

/** A testnet's snapshot interval: at 1 s blocks a new node can state-sync from a snapshot at most a minute old. */
const TESTNET_SNAPSHOT_INTERVAL = 50;

const program = new Command()
  .name("pegzone")
  .description("pegzone: a Cosmos-style side chain with a two-way peg to Bitcoin and other main chains")
  .version(APP_VERSION)
  .showHelpAfterError();

program
  .command("init <moniker>")
  .description("create a single node's keys, CometBFT config, app config and genesis")
  .requiredOption("--chain-id <id>", "the chain's id")
  .addOption(homeOption())
  .addOption(abciOption(String(defaultPorts.abci)))
  .option("--base-port <port>", "P2P port; RPC, ABCI over TCP, REST API, Prometheus and gRPC take the next five (default: CometBFT's and the SDK's ports)", intArg)
  .action((moniker: string, o: { chainId: string; home?: string; abci: AbciTransport; basePort?: number }) => {
    const home = Home.resolve(o.home);
    const ports = o.basePort === undefined ? defaultPorts : portsFrom(o.basePort);
    const { validator, nodeId, abci, signerPubkey } = initHome(home, { moniker, ports, abci: o.abci });
    const doc = newGenesis(o.chainId, [validator], {}, new Date());
    addGenesisValidator(doc, validator, signerPubkey);
    writeGenesis(home, doc);
    printOutput({ moniker, chain_id: o.chainId, node_id: nodeId, home: home.dir, abci }, "json");
  });

registerGenesisCommand(program);

interface TestnetFlags {
  validators: number;
  output: string;
  chainId: string;
  basePort: number;
  abci: AbciTransport;
  timeoutCommit: string;
  account: string[];
  btcConfirmations: number;
  pegAuthority?: string;
  batchInterval: number;
  hubRpc?: string;
  hubId: string;
  hubDenom: string;
  hubGasPrice: string;
  hubMaxFee: string;
  hubReleaseTimeoutBlocks: number;
  snapshotInterval: number;
  signedBlocksWindow: number;
}

program
  .command("start")
  .description("start the application and a CometBFT node wired to it")
  .addOption(homeOption())
  .option("--abci-only", "serve ABCI only; run CometBFT yourself against config.toml's proxy_app (same user for the default unix socket)")
  .addOption(new Option("--unsafe-crash-at <phase:n>", "debugging crash recovery: kill this process with SIGKILL the n-th time a block reaches phase finalize, commit or committed (docs/robustness.md)").hideHelp())
  .action(async (o: { home?: string; abciOnly?: boolean; unsafeCrashAt?: string }) => {
    await runUntilSignal(Home.resolve(o.home), { abciOnly: Boolean(o.abciOnly), crashAt: o.unsafeCrashAt });
  });

registerDevnetCommand(program);

program
  .command("testnet")
  .description("create N validator homes sharing one genesis, peered on 127.0.0.1")
  .requiredOption("--validators <n>", "number of validators", (v) => Number.parseInt(v, 10))
  .requiredOption("--output <dir>", "folder to create node0..nodeN-1 in")
  .option("--chain-id <id>", "chain id", "pegzone-testnet")
  .option("--base-port <port>", "node i uses base+10i (P2P), +1 (RPC), +2 (ABCI over TCP)", (v) => Number.parseInt(v, 10), defaultPorts.p2p)
  .addOption(abciOption("base port + 10i + 2"))
  .option("--timeout-commit <duration>", "CometBFT timeout_commit", "1s")
  .option("--account <address=coins>", "fund an account in genesis; repeat the flag for more accounts", collect, [] as string[])
  .option("--btc-confirmations <n>", "confirmations a btc-regtest deposit needs", (v) => Number.parseInt(v, 10), 6)
  .option("--peg-authority <address>", "the account that may unfreeze a peg (default: the first --account)")
  .option("--batch-interval <n>", "pegzone blocks between releases", (v) => Number.parseInt(v, 10), 10)
  .option("--hub-rpc <url>", "also peg a Cosmos Hub (a tendermint main chain) from this CometBFT RPC, with the same 2/3 federation of the validators' signer keys")
  .option("--hub-id <id>", "the Hub's main chain id on pegzone", "hub-local")
  .option("--hub-denom <denom>", "the Hub's token the peg holds", "stake")
  .option("--hub-gas-price <price>", "what a Hub release offers per gas, in the Hub's denom (a local gaiad asks 1)", "1")
  .option("--hub-max-fee <amount>", "the most one Hub release pays in fees", "2000000")
  .option("--hub-release-timeout-blocks <n>", "Hub blocks a Hub release stays valid", (v) => Number.parseInt(v, 10), TENDERMINT_RELEASE_DEFAULTS.release_timeout_blocks)
  .option("--snapshot-interval <n>", "every node takes a state sync snapshot every n blocks, for new nodes to join by state sync (app.toml [state-sync]; 0: none)", (v) => Number.parseInt(v, 10), TESTNET_SNAPSHOT_INTERVAL)
  .option("--signed-blocks-window <n>", "blocks over which a validator's downtime is measured (it is jailed after missing more than half of them; 0: never)", (v) => Number.parseInt(v, 10), 100)
  .action(async (o: TestnetFlags) => {
    if (!Number.isSafeInteger(o.snapshotInterval) || o.snapshotInterval < 0) throw new Error("--snapshot-interval must be a non-negative integer");
    if (!Number.isSafeInteger(o.signedBlocksWindow) || o.signedBlocksWindow < 0) throw new Error("--signed-blocks-window must be a non-negative integer");
    const hub = o.hubRpc === undefined ? undefined : await fetchTendermintRegistration(new CometRpcClient(o.hubRpc), {
      trustLevel: parseTrustLevel("1/3"),
      trustingPeriodSeconds: DEFAULT_TRUSTING_PERIOD_SECONDS,
      maxClockDriftSeconds: DEFAULT_MAX_CLOCK_DRIFT_SECONDS,
    });
    const { nodes } = createTestnet({
      validators: o.validators,
      outputDir: resolve(o.output),
      chainId: o.chainId,
      basePort: o.basePort,
      abci: o.abci,
      timeoutCommit: o.timeoutCommit,
      appConfig: { ...defaultAppConfig, stateSync: { ...defaultAppConfig.stateSync, snapshotInterval: o.snapshotInterval } },
      genesisTime: new Date(),
      appState: (nodes) => {
        const doc = { app_state: {} } as GenesisDoc;
        for (const n of nodes) addGenesisValidator(doc, n.validator, n.signerPubkey);
        setValidatorParams(doc, { signed_blocks_window: String(o.signedBlocksWindow) });
        for (const a of o.account) {
          const [address, coins] = a.split("=");
          addGenesisAccount(doc, address, coins);
        }
        const authority = o.pegAuthority ?? o.account[0]?.split("=")[0] ?? "";
        const signerPubkeys = nodes.map((n) => n.signerPubkey);
        addBitcoinMainChain(doc, { id: "btc-regtest", network: "regtest", members: signerMembers(signerPubkeys), confirmations: o.btcConfirmations, authority, batch_interval: o.batchInterval });
        if (hub !== undefined)
          addTendermintMainChain(doc, {
            id: o.hubId,
            members: signerMembers(signerPubkeys),
            authority,
            denom: o.hubDenom,
            gas_price: o.hubGasPrice,
            max_fee: o.hubMaxFee,
            release_timeout_blocks: o.hubReleaseTimeoutBlocks,
            batch_interval: o.batchInterval,
            registration: hub.registration,
          });
        // each federation member's signer pays for submitting its signatures
        for (const key of signerPubkeys) addGenesisAccount(doc, signerAccount(key), `1000000000${FEE_DENOM}`);
        return doc.app_state;
      },
    });
    printOutput(
      nodes.map((n) => ({
        moniker: n.moniker,
        home: n.home.dir,
        node_id: n.nodeId,
        rpc: `http://127.0.0.1:${n.ports.rpc}`,
        p2p: n.ports.p2p,
        abci: n.abci,
        api: `http://127.0.0.1:${n.ports.api}`,
        prometheus: `http://127.0.0.1:${n.ports.prometheus}/metrics`,
        grpc: `127.0.0.1:${n.ports.grpc}`,
      })),
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


registerConfigCommand(program);
registerKeysCommands(program);
const txCommand = registerTxCommands(program);
registerClaimCommand(registerPegTxCommands(txCommand));
registerRelayerCommand(program);
registerSignerCommand(program);
registerChainInfoCommand(program);
const queryCommand = registerQueryCommands(program);
registerPegQueryCommands(queryCommand);
registerValidatorCommands(program, txCommand, queryCommand);
registerJoinCommand(program);
registerDevCommands(program);

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

program.parseAsync(process.argv).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
