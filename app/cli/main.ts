#!/usr/bin/env node
import { Command, Option } from "commander";
import { readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { createLogger, type Logger } from "../../chain/log";
import { APP_VERSION } from "../../chain/app/baseapp";
import { BTCD_REGTEST_P2P_PORT, BTCD_REGTEST_RPC_PORT, stopLeftoverBtcd } from "../node/btcd";
import { gaiadInstalled, gaiadMissing, HUB_DENOM, stopLeftoverGaiad } from "../node/gaiad";
import { Home, defaultPorts, initHome, newGenesis, parseAbciTransport, readCometAddresses, readGenesis, writeGenesis, type AbciTransport, type GenesisDoc } from "../node/home";
import { startNode, type RunningNode, type StartOptions } from "../node/start";
import { COINBASE_MATURITY } from "../node/btc-wallet";
import { createTestnet } from "../node/testnet";
import {
  addBitcoinMainChain,
  addGenesisAccount,
  addTendermintMainChain,
  BITCOIN_MAINCHAIN_DEFAULTS,
  DEFAULT_MAX_CLOCK_DRIFT_SECONDS,
  DEFAULT_TRUSTING_PERIOD_SECONDS,
  parseTrustLevel,
  signerAccount,
  signerMembers,
  TENDERMINT_MAINCHAIN_DEFAULTS,
  TENDERMINT_RELEASE_DEFAULTS,
  type GenericSettings,
} from "./genesis";
import { CometRpcClient } from "../../relayer/cometbft-rpc";
import { fetchTendermintRegistration } from "../../relayer/tendermint-registration";
import { parseFederationMembers, registerPegQueryCommands, registerPegTxCommands } from "./peg";
import { registerClaimCommand, registerRelayerCommand, registerSignerCommand } from "./relayer";
import {
  DEV_BTC,
  DEV_MNEMONIC,
  DEVNET_BTC_RPC_PASSWORD,
  DEVNET_BTC_RPC_USER,
  DEVNET_CONFIRMATIONS,
  DEVNET_MAINCHAIN,
  DEVNET_HUB_CHAIN_ID,
  DEVNET_HUB_DEV_COINS,
  DEVNET_HUB_MAINCHAIN,
  DEVNET_HUB_P2P_PORT,
  DEVNET_HUB_RPC_PORT,
  addDevnetHub,
  devAccountAddress,
  devHubAddress,
  devnetHubCreated,
  devnetHubDir,
  devnetHubRegistration,
  devRelayerAddress,
  genesisHubFederationAccount,
  startDevnetHub,
  startDevnetSide,
  type DevnetHub,
  type DevnetSide,
} from "./devnet";
import { registerDevCommands } from "./dev";
import { openKeyring, registerKeysCommands } from "./keys";
import { fail, printOutput } from "./output";
import { registerQueryCommands } from "./query";
import { registerTxCommands } from "./tx";
import { FEE_DENOM } from "../pegzone";

const program = new Command()
  .name("pegzone")
  .description("pegzone: a Cosmos-style side chain with a two-way peg to Bitcoin and other main chains")
  .version(APP_VERSION)
  .showHelpAfterError();

const homeOption = () => new Option("--home <dir>", "node home folder (default $PEGZONE_HOME or ~/.pegzone)");
const abciOption = (tcpPort: string) =>
  new Option("--abci <transport>", `how the app and CometBFT talk ABCI, written to config.toml's proxy_app: 'unix' (a socket only this user can open, in <home>/data) or 'tcp' (127.0.0.1:${tcpPort}, open to every local process)`)
    .argParser(parseAbciTransport)
    .default("unix");

program
  .command("init <moniker>")
  .description("create a single node's keys, CometBFT config, app config and genesis")
  .requiredOption("--chain-id <id>", "the chain's id")
  .addOption(homeOption())
  .addOption(abciOption(String(defaultPorts.abci)))
  .action((moniker: string, o: { chainId: string; home?: string; abci: AbciTransport }) => {
    const home = Home.resolve(o.home);
    const { validator, nodeId, abci } = initHome(home, { moniker, ports: defaultPorts, abci: o.abci });
    writeGenesis(home, newGenesis(o.chainId, [validator], {}, new Date()));
    printOutput({ moniker, chain_id: o.chainId, node_id: nodeId, home: home.dir, abci }, "json");
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

const kindDefault = (setting: keyof GenericSettings) => {
  const [bitcoin, tendermint] = [BITCOIN_MAINCHAIN_DEFAULTS[setting], TENDERMINT_MAINCHAIN_DEFAULTS[setting]];
  return bitcoin === tendermint ? `(default: ${bitcoin})` : `(default: ${bitcoin} for bitcoin, ${tendermint} for tendermint)`;
};
/** Flags of one kind only, by their option keys: given with the other kind, they are refused. */
const BITCOIN_ONLY_FLAGS = ["network", "confirmations", "reorgLimit", "pruneWindow", "feeRate"] as const;
const TENDERMINT_ONLY_FLAGS = ["trustedRpc", "trustedHeight", "denom", "displayDenom", "decimals", "bech32Prefix", "trustLevel", "trustingPeriod", "maxClockDrift", "gasPrice", "releaseTimeoutBlocks"] as const;

genesis
  .command("add-mainchain <id>")
  .description("register a main chain to peg, checked as InitChain will check it, e.g. 'add-mainchain btc-regtest --members 02ab...:1:peg1... --authority peg1...' or 'add-mainchain cosmoshub --kind tendermint --trusted-rpc http://hub:26657 --denom uatom --members ... --authority ...'")
  .addOption(homeOption())
  .addOption(new Option("--kind <kind>", "the main chain's kind").choices(["bitcoin", "tendermint"]).default("bitcoin"))
  .requiredOption("--members <list>", "the federation: comma-separated PUBKEYHEX:WEIGHT:ACCOUNT (33-byte compressed key, weight, the member's pegzone account; tendermint: weight 1)")
  .requiredOption("--authority <address>", "the peg authority (may unfreeze the peg)")
  .option("--threshold <weight>", "signing weight a release needs (default: a majority of the total weight)", intArg)
  .option("--min-deposit <amount>", `smallest deposit minted ${kindDefault("min_deposit")}`)
  .option("--peg-in-fee <amount>", `kept from every deposit ${kindDefault("peg_in_fee")}`)
  .option("--reserve-cap <amount>", `the most the reserve may hold ${kindDefault("reserve_cap")}`)
  .option("--min-withdrawal <amount>", `smallest withdrawal ${kindDefault("min_withdrawal")}`)
  .option("--batch-interval <blocks>", `pegzone blocks between releases ${kindDefault("batch_interval")}`, intArg)
  .option("--max-fee <amount>", `the most one release may pay in fees ${kindDefault("max_fee")}`)
  .option("--release-timeout <blocks>", `pegzone blocks before an unconfirmed release is fee-bumped ${kindDefault("release_timeout")}`, intArg)
  .option("--federation-grace <blocks>", `how long a retired federation may still sign ${kindDefault("federation_grace")}`, intArg)
  .option("--network <name>", "bitcoin: mainnet, testnet3, testnet4 or regtest (default: regtest)")
  .option("--confirmations <n>", "bitcoin: blocks a deposit must be buried (default: 6)", intArg)
  .option("--reorg-limit <n>", "bitcoin: the deepest reorg followed without freezing (default: confirmations − 1)", intArg)
  .option("--prune-window <headers>", `bitcoin: headers the light client keeps below its tip (default: ${BITCOIN_MAINCHAIN_DEFAULTS.prune_window})`, intArg)
  .option("--fee-rate <sat/vB>", `bitcoin: release fee rate (default: ${BITCOIN_MAINCHAIN_DEFAULTS.fee_rate})`)
  .option("--trusted-rpc <url>", "tendermint (required): a CometBFT RPC of the main chain you trust, e.g. http://127.0.0.1:26657; the light client starts from its header")
  .option("--trusted-height <h>", "tendermint: the height of the header to trust (default: the node's latest)", intArg)
  .option("--denom <denom>", "tendermint (required): the main chain's token the peg holds, e.g. uatom")
  .option("--display-denom <denom>", "tendermint: its display unit, e.g. atom")
  .option("--decimals <n>", "tendermint: decimals of the display unit, e.g. 6", intArg)
  .option("--bech32-prefix <prefix>", "tendermint: the chain's account address prefix (the federation's multisig account, withdrawal addresses)", "cosmos")
  .option("--trust-level <n/d>", "tendermint: the share of a trusted validator set that must sign a header skipped to (1/3 to 1)", "1/3")
  .option("--trusting-period <seconds>", "tendermint: how long a verified header is trusted; must be below the chain's unbonding period (default: 14 days)", intArg)
  .option("--max-clock-drift <seconds>", "tendermint: how far a header's time may be ahead of pegzone's (default: 10)", intArg)
  .option("--gas-price <price>", `tendermint: what a release offers per unit of gas, in the denom, e.g. 0.005 (default: ${TENDERMINT_RELEASE_DEFAULTS.gas_price})`)
  .option("--release-timeout-blocks <n>", `tendermint: main-chain blocks a release stays valid (its timeout height past the light client's tip; default: ${TENDERMINT_RELEASE_DEFAULTS.release_timeout_blocks})`, intArg)
  .action(async (id: string, o: AddMainChainFlags, cmd: Command) => {
    const home = Home.resolve(o.home);
    const doc = readGenesis(home);
    const foreign = (o.kind === "bitcoin" ? TENDERMINT_ONLY_FLAGS : BITCOIN_ONLY_FLAGS).filter((k) => cmd.getOptionValueSource(k) === "cli");
    if (foreign.length > 0) throw new Error(`${foreign.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")} ${foreign.length === 1 ? "is not a setting" : "are not settings"} of a ${o.kind} main chain`);
    const base = {
      id,
      members: parseFederationMembers(o.members).map((m) => ({ pubkey: m.pubkey as Uint8Array, weight: m.weight as number, account: m.account as string })),
      threshold: o.threshold,
      authority: o.authority,
      min_deposit: o.minDeposit,
      peg_in_fee: o.pegInFee,
      reserve_cap: o.reserveCap,
      min_withdrawal: o.minWithdrawal,
      batch_interval: o.batchInterval,
      max_fee: o.maxFee,
      release_timeout: o.releaseTimeout,
      federation_grace: o.federationGrace,
    };
    if (o.kind === "bitcoin") {
      const confirmations = o.confirmations ?? 6;
      addBitcoinMainChain(doc, { ...base, network: o.network ?? "regtest", confirmations, reorg_limit: o.reorgLimit, prune_window: o.pruneWindow, fee_rate: o.feeRate });
      writeGenesis(home, doc);
      return;
    }
    if (o.trustedRpc === undefined || o.denom === undefined) throw new Error("a tendermint main chain needs --trusted-rpc <url> and --denom <denom>");
    const fetched = await fetchTendermintRegistration(new CometRpcClient(o.trustedRpc), {
      height: o.trustedHeight === undefined ? undefined : BigInt(o.trustedHeight),
      trustLevel: parseTrustLevel(o.trustLevel),
      trustingPeriodSeconds: o.trustingPeriod ?? DEFAULT_TRUSTING_PERIOD_SECONDS,
      maxClockDriftSeconds: o.maxClockDrift ?? DEFAULT_MAX_CLOCK_DRIFT_SECONDS,
    });
    addTendermintMainChain(doc, {
      ...base,
      denom: o.denom,
      display_denom: o.displayDenom,
      decimals: o.decimals,
      bech32_prefix: o.bech32Prefix,
      gas_price: o.gasPrice,
      release_timeout_blocks: o.releaseTimeoutBlocks,
      registration: fetched.registration,
    });
    writeGenesis(home, doc);
    // The trusted block, to compare with a source the operator trusts (an explorer, another node).
    printOutput({ mainchain: id, chain_id: fetched.registration.chain_id, trusted_height: String(fetched.height), trusted_hash: fetched.blockHash, unbonding_period_seconds: String(fetched.unbondingPeriodSeconds) }, "json");
  });

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
}

interface AddMainChainFlags {
  home?: string;
  gasPrice?: string;
  releaseTimeoutBlocks?: number;
  kind: "bitcoin" | "tendermint";
  members: string;
  authority: string;
  threshold?: number;
  minDeposit?: string;
  pegInFee?: string;
  reserveCap?: string;
  minWithdrawal?: string;
  batchInterval?: number;
  maxFee?: string;
  releaseTimeout?: number;
  federationGrace?: number;
  network?: string;
  confirmations?: number;
  reorgLimit?: number;
  pruneWindow?: number;
  feeRate?: string;
  trustedRpc?: string;
  trustedHeight?: number;
  denom?: string;
  displayDenom?: string;
  decimals?: number;
  bech32Prefix?: string;
  trustLevel: string;
  trustingPeriod?: number;
  maxClockDrift?: number;
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

interface DevnetFlags {
  home?: string;
  reset?: boolean;
  abci: AbciTransport;
  bitcoin: boolean;
  basePort?: number;
  btcRpcPort: number;
  btcP2pPort: number;
  btcBlockTime: number;
  hub: boolean;
  hubRpcPort: number;
  hubP2pPort: number;
}

program
  .command("devnet")
  .description("start a single-validator development chain (CometBFT's default ports unless --base-port), creating it on first run, with a regtest btcd, a block producer, a local Cosmos Hub (gaiad, when built), the relayer and the signer beside it")
  .addOption(homeOption())
  .option("--reset", "delete the home folder (btcd's and the Hub's chains included) first and start a fresh chain")
  .option("--no-bitcoin", "run no btcd, block producer or Bitcoin relayer (with --no-hub: the node alone, no relayer or signer)")
  .option("--no-hub", `run no local Cosmos Hub (gaiad) or its relayer; a devnet created without it does not peg '${DEVNET_HUB_MAINCHAIN}'`)
  .option("--base-port <port>", `when the devnet is created: P2P on this port, RPC +1, ABCI over TCP +2 (default ${defaultPorts.p2p})`, intArg)
  .addOption(abciOption("base port + 2").default("unix", "unix; when the devnet is created"))
  .option("--btc-rpc-port <port>", "btcd's RPC port on 127.0.0.1", intArg, BTCD_REGTEST_RPC_PORT)
  .option("--btc-p2p-port <port>", "btcd's P2P port on 127.0.0.1", intArg, BTCD_REGTEST_P2P_PORT)
  .option("--btc-block-time <seconds>", "mine a Bitcoin block every this many seconds (0 = off)", Number, 10)
  .option("--hub-rpc-port <port>", "the local Hub's CometBFT RPC port on 127.0.0.1 (its gRPC and REST API are off)", intArg, DEVNET_HUB_RPC_PORT)
  .option("--hub-p2p-port <port>", "the local Hub's P2P port on 127.0.0.1", intArg, DEVNET_HUB_P2P_PORT)
  .action(async (o: DevnetFlags) => {
    const home = Home.resolve(o.home);
    if (!(o.btcBlockTime >= 0)) throw new Error(`--btc-block-time must be 0 or more seconds, got ${o.btcBlockTime}`);
    if (o.reset) {
      await stopLeftoverBtcd(join(home.dir, "btcd"));
      await stopLeftoverGaiad(devnetHubDir(home));
      rmSync(home.dir, { recursive: true, force: true });
    }
    const logger = createLogger("pegzone");
    const creating = !home.isInitialized();
    // The Hub starts first: a new devnet's genesis registers it from its latest header.
    let hub: DevnetHub | undefined;
    if (o.hub) {
      const skip = devnetHubSkipped(home, creating);
      if (skip !== undefined) console.warn(`pegzone: ${skip}`);
      else {
        try {
          hub = await startDevnetHub({ home, rpcPort: o.hubRpcPort, p2pPort: o.hubP2pPort, logger });
        } catch (err) {
          throw new Error(`could not start the devnet's local Cosmos Hub (other ports: --hub-rpc-port, --hub-p2p-port; without it: --no-hub): ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    try {
      if (creating) {
        const registration = hub && (await devnetHubRegistration(hub));
        const base = o.basePort ?? defaultPorts.p2p;
        const { validator, signerPubkey } = initHome(home, { moniker: "devnet", ports: { p2p: base, rpc: base + 1, abci: base + 2 }, abci: o.abci });
        const doc = newGenesis("pegzone-devnet", [validator], {}, new Date());
        addGenesisAccount(doc, devAccountAddress(), `1000000000000${FEE_DENOM}`);
        addBitcoinMainChain(doc, { id: DEVNET_MAINCHAIN, network: "regtest", members: signerMembers([signerPubkey]), confirmations: DEVNET_CONFIRMATIONS, authority: devAccountAddress() });
        if (registration !== undefined) addDevnetHub(doc, signerPubkey, registration);
        addGenesisAccount(doc, signerAccount(signerPubkey), `1000000000${FEE_DENOM}`);
        // the devnet's relayer signs with its own account, so that it never races the developer's transactions
        addGenesisAccount(doc, devRelayerAddress(), `1000000000${FEE_DENOM}`);
        writeGenesis(home, doc);
      }
      await addDevKey(home);
    } catch (err) {
      await hub?.stop();
      throw err;
    }
    const ports = devnetPorts(home);
    if (o.basePort !== undefined && o.basePort !== ports.p2p) console.warn(`pegzone: ${home.dir} was created with P2P port ${ports.p2p}; --base-port ${o.basePort} applies to a new devnet only (--reset)`);
    const genesisDoc = readGenesis(home);
    const chainId = genesisDoc.chain_id;
    const hubBanner = hub && { hub, federation: genesisHubFederationAccount(genesisDoc) ?? "(not in genesis)" };
    console.log(devnetBanner(home, chainId, ports, o.bitcoin ? o : undefined, hubBanner));
    const withSide = o.bitcoin || hub !== undefined;
    await runUntilSignal(home, {}, {
      logger,
      hub,
      withNode: withSide
        ? (node, logger) =>
            startDevnetSide({ home, pegzoneRpc: node.rpc, chainId, bitcoin: o.bitcoin ? { btcRpcPort: o.btcRpcPort, btcP2pPort: o.btcP2pPort, blockTimeSeconds: o.btcBlockTime } : undefined, hub, logger })
        : undefined,
    });
  });

/**
 * Why the devnet in `home` runs without its local Hub this time, or undefined to run it: gaiad not
 * built (a warning, not an error: the Bitcoin devnet runs as ever), or a devnet created without the
 * Hub (its genesis does not register one), or a Hub home gone missing (a new Hub would not be the
 * registered chain).
 */
function devnetHubSkipped(home: Home, creating: boolean): string | undefined {
  if (!gaiadInstalled())
    return `running without the local Cosmos Hub: ${gaiadMissing()}.${creating ? ` This new devnet does not peg '${DEVNET_HUB_MAINCHAIN}' ('--reset' once gaiad is built starts one that does).` : ""} '--no-hub' silences this.`;
  if (creating) return undefined;
  if (genesisHubFederationAccount(readGenesis(home)) === undefined)
    return `this devnet was created without the local Cosmos Hub, so it does not peg '${DEVNET_HUB_MAINCHAIN}': running without it ('--reset' starts a devnet with it; '--no-hub' silences this).`;
  if (!devnetHubCreated(home))
    return `${devnetHubDir(home)} is missing or incomplete, and a new Hub would not be the chain this devnet registered: running without it ('--reset' starts over).`;
  return undefined;
}

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
  .action(async (o: TestnetFlags) => {
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
      genesisTime: new Date(),
      appState: (nodes) => {
        const doc = { app_state: {} } as GenesisDoc;
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
      nodes.map((n) => ({ moniker: n.moniker, home: n.home.dir, node_id: n.nodeId, rpc: `http://127.0.0.1:${n.ports.rpc}`, p2p: n.ports.p2p, abci: n.abci })),
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
registerDevCommands(program);

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`expected a whole number, got ${JSON.stringify(value)}`);
  return n;
}

/** What `pegzone devnet` runs beside the node: the Hub, already started, and what starts once the node is up. */
interface DevnetRun {
  logger: Logger;
  hub?: DevnetHub;
  withNode?: (node: RunningNode, logger: Logger) => Promise<DevnetSide>;
}

async function runUntilSignal(home: Home, opts: StartOptions, devnet?: DevnetRun): Promise<void> {
  const logger = devnet?.logger ?? createLogger("pegzone");
  let node: RunningNode;
  try {
    node = await startNode(home, logger, opts);
  } catch (err) {
    await devnet?.hub?.stop();
    throw err;
  }
  let side: DevnetSide | undefined;
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, "shutting down");
    await side?.stop();
    await devnet?.hub?.stop().catch((err: unknown) => logger.error({ err: String(err) }, "stopping gaiad failed"));
    await node.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  node.cometExited?.then((code) => {
    if (!stopping) {
      logger.error({ code, log: home.cometLogFile }, "CometBFT exited unexpectedly");
      void shutdown("cometbft exited", 1);
    }
  });
  void devnet?.hub?.unexpectedExit.then((code) => {
    if (stopping) return;
    logger.error({ code, log: devnet.hub?.gaiad.logFile }, "gaiad exited unexpectedly");
    void shutdown("gaiad exited", 1);
  });
  if (devnet?.withNode) {
    try {
      side = await devnet.withNode(node, logger);
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, "could not start the devnet's Bitcoin side (other ports: --btc-rpc-port, --btc-p2p-port; the node alone: --no-bitcoin)");
      await shutdown("bitcoin failed to start", 1);
      return;
    }
    if (stopping) {
      await side.stop();
      return;
    }
    void side.unexpectedExit.then((what) => {
      if (stopping) return;
      logger.error({ what }, "a devnet process exited unexpectedly");
      void shutdown(what, 1);
    });
  }
}

/** The devnet's key in the home's test keyring, as 'dev', so that copy-pasted commands can sign with --from dev. */
async function addDevKey(home: Home): Promise<void> {
  const keyring = openKeyring({ home: home.dir, keyringBackend: "test" });
  if ((await keyring.list()).some((k) => k.name === "dev" || k.address === devAccountAddress())) return;
  await keyring.recover("dev", DEV_MNEMONIC);
}

interface DevnetPorts {
  rpc: string;
  p2p: number;
  abci: string;
}

/** The ports the devnet's config.toml names (a devnet keeps the ports it was created with). */
function devnetPorts(home: Home): DevnetPorts {
  const { proxyApp, rpc } = readCometAddresses(home);
  const t = parseToml(readFileSync(home.cometConfigFile, "utf8")) as { p2p?: { laddr?: string } };
  const p2p = Number(/:(\d+)$/.exec(t.p2p?.laddr ?? "")?.[1] ?? defaultPorts.p2p);
  return { rpc: rpc.replace(/^tcp:/, "http:"), p2p, abci: proxyApp };
}

function devnetBanner(home: Home, chainId: string, ports: DevnetPorts, bitcoin: DevnetFlags | undefined, hub?: { hub: DevnetHub; federation: string }): string {
  const lines = [
    "",
    "pegzone devnet",
    `  chain id     ${chainId}`,
    `  home         ${home.dir}`,
    `  RPC          ${ports.rpc}  (CosmJS: StargateClient.connect("${ports.rpc}"))`,
    `  P2P          127.0.0.1:${ports.p2p}    ABCI ${ports.abci}`,
    `  CometBFT log ${home.cometLogFile}`,
    `  dev account  ${devAccountAddress()}  (1,000,000,000,000 upeg at genesis; key 'dev' in the test keyring)`,
    `  mnemonic     ${DEV_MNEMONIC}`,
    "  The mnemonic above is public and for development only: never use it for anything of value.",
  ];
  const dev = devAccountAddress();
  // flags the copy-paste commands need when the devnet is not at its defaults
  const homeFlag = Home.resolve(undefined).dir === home.dir ? "" : ` --home ${home.dir}`;
  const nodeFlag = ports.rpc === `http://127.0.0.1:${defaultPorts.rpc}` ? "" : ` --node ${ports.rpc}`;
  if (bitcoin) {
    const btcFlag = bitcoin.btcRpcPort === BTCD_REGTEST_RPC_PORT ? "" : ` --btc-rpc http://${DEVNET_BTC_RPC_USER}:${DEVNET_BTC_RPC_PASSWORD}@127.0.0.1:${bitcoin.btcRpcPort}`;
    const t = bitcoin.btcBlockTime;
    const wait = t > 0 ? `after ${DEVNET_CONFIRMATIONS} Bitcoin blocks (~${DEVNET_CONFIRMATIONS * t} s)` : `after 'pegzone dev btc-mine ${DEVNET_CONFIRMATIONS - 1}'${btcFlag}`;
    lines.push(
      "",
      `  bitcoin      btcd in regtest: main chain '${DEVNET_MAINCHAIN}', ${DEVNET_CONFIRMATIONS} confirmations per deposit`,
      `  btcd RPC     http://127.0.0.1:${bitcoin.btcRpcPort}  user ${DEVNET_BTC_RPC_USER}  password ${DEVNET_BTC_RPC_PASSWORD}  (fixed, development only)`,
      `  btcd P2P     127.0.0.1:${bitcoin.btcP2pPort} (loopback only)   data, log and saved blocks: ${join(home.dir, "btcd")}`,
      `  dev BTC key  ${DEV_BTC.address}  WIF ${DEV_BTC.wif}`,
      "               (every coinbase pays it; public, development only)",
      `  blocks       ${COINBASE_MATURITY + 1} mined on a fresh chain, then ${t > 0 ? `one every ${t} s` : "none (--btc-block-time 0): mine with 'pegzone dev btc-mine'"}`,
      `  relayer      ${devRelayerAddress()}   signer: the validator's key (config/signer_key.json)`,
      "",
      "  Peg in ('pegzone' is 'node dist/app/cli/main.js', or run 'npm link' once):",
      `    pegzone tx peg register-address --from dev --keyring-backend test${homeFlag}${nodeFlag}`,
      `    pegzone query peg deposit-address ${dev}${nodeFlag}`,
      `    pegzone dev btc-send ${dev} 1btc${nodeFlag}${btcFlag}    # pays that deposit address (a bcrt1... address works too) and mines a block`,
      `    pegzone query bank balances ${dev}${nodeFlag}    # 99999000 peg/btc-regtest ${wait}`,
      "  Peg out:",
      `    pegzone tx peg withdraw 50000000 ${DEV_BTC.address} --from dev --keyring-backend test${homeFlag}${nodeFlag}    # prints its withdrawal_id`,
      `    pegzone query peg withdrawal 1${nodeFlag}    # released, signed and confirmed on Bitcoin by the devnet (or: query peg withdrawals ${dev})`,
    );
  }
  if (hub) {
    const { gaiad, p2pPort } = hub.hub;
    const devHub = devHubAddress();
    const hubFlags = `--home ${gaiad.home} --node ${gaiad.node}`;
    const mainchain = `--mainchain ${DEVNET_HUB_MAINCHAIN}`;
    lines.push(
      "",
      `  cosmos hub   gaiad, one validator, a block a second: main chain '${DEVNET_HUB_MAINCHAIN}', chain id ${DEVNET_HUB_CHAIN_ID}, denom ${HUB_DENOM}`,
      `  Hub RPC      ${gaiad.rpcUrl}   P2P 127.0.0.1:${p2pPort} (loopback only; gRPC and REST API off)`,
      `  Hub home     ${gaiad.home}   (keys, chain, config, gaiad.log)`,
      `  dev Hub acct ${devHub}  (the dev mnemonic's key: 'dev' in the Hub's test keyring, ${DEVNET_HUB_DEV_COINS.toLocaleString("en-US")} ${HUB_DENOM} at genesis)`,
      `  federation   ${hub.federation}  (1-of-1: the validator's signer key; deposits carry the pegzone recipient as the memo)`,
      "",
      "  Peg in from the Hub:",
      `    pegzone query peg deposit-address ${dev} ${mainchain}${nodeFlag}    # the federation's account and the memo`,
      `    ${[gaiad.binary, ...gaiad.bankSendArgs({ from: "dev", to: hub.federation, amount: 10_000_000n, memo: dev })].join(" ")}`,
      `    pegzone query bank balances ${dev}${nodeFlag}    # 9999900 peg/${DEVNET_HUB_MAINCHAIN} a few seconds later`,
      "  Peg out to the Hub:",
      `    pegzone tx peg withdraw 5000000 ${devHub} ${mainchain} --from dev --keyring-backend test${homeFlag}${nodeFlag}    # the signer signs the release, the relayer broadcasts it`,
      `    ${gaiad.binary} query bank balances ${devHub} ${hubFlags}    # 5000000 stake less the release's fee (150000 for one output) arrive`,
    );
  }
  lines.push("  Stop with Ctrl-C; 'npm start' again resumes the same chain ('--reset' starts over).", "");
  return lines.join("\n");
}

program.parseAsync(process.argv).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
