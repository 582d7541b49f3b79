/**
 * `pegzone devnet` (what `npm start` runs): creates the single-validator devnet on first run,
 * starts its local Hub, the node and what runs beside it, and prints the banner with the devnet's
 * addresses, keys and copy-paste commands. Apart from main.ts because the command, its checks and
 * its banner are the devnet's alone.
 */
import { Command } from "commander";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { createLogger } from "../../chain/log";
import { COINBASE_MATURITY } from "../node/btc-wallet";
import { BTCD_REGTEST_P2P_PORT, BTCD_REGTEST_RPC_PORT, stopLeftoverBtcd } from "../node/btcd";
import { gaiadInstalled, gaiadMissing, HUB_DENOM, stopLeftoverGaiad } from "../node/gaiad";
import { Home, defaultPorts, initHome, portsFrom, newGenesis, readAppConfig, readCometAddresses, readGenesis, writeGenesis, type AbciTransport } from "../node/home";
import { FEE_DENOM } from "../pegzone";
import { addBitcoinMainChain, addGenesisAccount, addGenesisValidator, signerAccount, signerMembers } from "./genesis";
import { DEV_BTC, DEV_MNEMONIC, DEVNET_BTC_RPC_PASSWORD, DEVNET_BTC_RPC_USER, DEVNET_CONFIRMATIONS, DEVNET_MAINCHAIN, devAccountAddress, devRelayerAddress } from "./devnet";
import {
  DEVNET_HUB_CHAIN_ID,
  DEVNET_HUB_DEV_COINS,
  DEVNET_HUB_MAINCHAIN,
  DEVNET_HUB_P2P_PORT,
  DEVNET_HUB_RPC_PORT,
  addDevnetHub,
  devHubAddress,
  devnetHubCreated,
  devnetHubDir,
  devnetHubRegistration,
  genesisHubFederationAccount,
  startDevnetHub,
  type DevnetHub,
} from "./devnet-hub";
import { startDevnetSide } from "./devnet-side";
import { abciOption, homeOption, intArg } from "./flags";
import { openKeyring } from "./keys";
import { runUntilSignal } from "./run-node";

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

export function registerDevnetCommand(program: Command): void {
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
          const { validator, signerPubkey } = initHome(home, { moniker: "devnet", ports: portsFrom(base), abci: o.abci });
          const doc = newGenesis("pegzone-devnet", [validator], {}, new Date());
          addGenesisValidator(doc, validator, signerPubkey);
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
}

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
  /** The REST API (app.toml [api]), when on. */
  api?: string;
  /** The gRPC server (app.toml [grpc]), when on. */
  grpc?: string;
}

/** The ports the devnet's config.toml names (a devnet keeps the ports it was created with). */
function devnetPorts(home: Home): DevnetPorts {
  const { proxyApp, rpc } = readCometAddresses(home);
  const t = parseToml(readFileSync(home.cometConfigFile, "utf8")) as { p2p?: { laddr?: string } };
  const p2p = Number(/:(\d+)$/.exec(t.p2p?.laddr ?? "")?.[1] ?? defaultPorts.p2p);
  const { api, grpc } = readAppConfig(home);
  return {
    rpc: rpc.replace(/^tcp:/, "http:"),
    p2p,
    abci: proxyApp,
    ...(api.enable ? { api: api.address.replace(/^tcp:/, "http:") } : {}),
    ...(grpc.enable ? { grpc: grpc.address } : {}),
  };
}

function devnetBanner(home: Home, chainId: string, ports: DevnetPorts, bitcoin: DevnetFlags | undefined, hub?: { hub: DevnetHub; federation: string }): string {
  const lines = [
    "",
    "pegzone devnet",
    `  chain id     ${chainId}`,
    `  home         ${home.dir}`,
    `  RPC          ${ports.rpc}  (CosmJS: StargateClient.connect("${ports.rpc}"))`,
    `  P2P          127.0.0.1:${ports.p2p}    ABCI ${ports.abci}`,
    ...(ports.api ? [`  REST API     ${ports.api}  (the SDK's routes, the peg's under /pegzone/peg/v1/, metrics at /metrics, routes at /swagger/)`] : []),
    ...(ports.grpc ? [`  gRPC         ${ports.grpc}  (with reflection: .bin/grpcurl -plaintext ${ports.grpc} list)`] : []),
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
