/**
 * The devnet's local Cosmos Hub: a single-validator gaiad under <home>/gaiad, created on a new
 * devnet and registered in its genesis as the tendermint main chain 'hub-local' (a 1-of-1 federation
 * of the validator's signer key). Apart from devnet.ts (the dev keys, the Bitcoin side) because the
 * Hub is a main chain of its own, optional (`--no-hub`, or no gaiad built).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pubkeyToRawAddress } from "@cosmjs/amino";
import { fetchTendermintRegistration, type TendermintRegistrationJson } from "../../relayer/tendermint-registration";
import { addressFromPubkey, toBech32 } from "../../chain/crypto/address";
import { deriveKeyFromMnemonic } from "../../chain/keys/keyring";
import type { Logger } from "../../chain/log";
import { Gaiad, HUB_DENOM, HUB_GAS_PRICE, stopLeftoverGaiad } from "../node/gaiad";
import { configureGaiad, gaiadHomeInitialized, initGaiadHome } from "../node/gaiad-home";
import type { GenesisDoc, Home } from "../node/home";
import { hubMultisigPubkey } from "../../modules/peg/tendermint/multisig-tx";
import { addTendermintMainChain, BITCOIN_MAINCHAIN_DEFAULTS, DEFAULT_MAX_CLOCK_DRIFT_SECONDS, signerMembers } from "./genesis";
import { DEV_MNEMONIC, devAccountAddress } from "./devnet";

/** The main chain the devnet registers for its local Cosmos Hub (a tendermint main chain). */
export const DEVNET_HUB_MAINCHAIN = "hub-local";
export const DEVNET_HUB_CHAIN_ID = "localhub-1";
/** The Hub's CometBFT RPC and P2P ports: below the ephemeral range, beside pegzone's 26656/26657 and btcd's 18334/18444. */
export const DEVNET_HUB_RPC_PORT = 26757;
export const DEVNET_HUB_P2P_PORT = 26756;
/** The dev account's stake on the Hub at its genesis. */
export const DEVNET_HUB_DEV_COINS = 1_000_000_000_000_000n;
/**
 * The local Hub unbonds in a year instead of gaiad's 21 days, so that pegzone's light client of it
 * may trust a header for 300 days: a devnet left stopped for weeks still resumes its Hub peg (a
 * client past its trusting period would be Expired until --reset).
 */
const DEVNET_HUB_UNBONDING_SECONDS = 365 * 86_400;
export const DEVNET_HUB_TRUSTING_PERIOD_SECONDS = 300 * 86_400;
/**
 * The most one Hub release may pay in fees: a 1-of-1 release to one account takes 150,000 gas
 * (hubReleaseGasLimit), 150,000 stake at the Hub's 1 stake per gas; this leaves room for a few more
 * outputs, or for the doubled gas price after a release timed out.
 */
export const DEVNET_HUB_MAX_FEE = "500000";
/** Written once the Hub's home is complete: a home without it is half made and made again. */
const HUB_HOME_MARKER = "pegzone-devnet-hub.json";

/** The dev account's address on the Hub: the dev mnemonic's first key (the same key as the peg1 dev account), as cosmos1... */
export function devHubAddress(): string {
  return toBech32("cosmos", addressFromPubkey(deriveKeyFromMnemonic(DEV_MNEMONIC).publicKey));
}

/** <home>/gaiad: the local Hub's home (keys, chain, config, gaiad.log). */
export function devnetHubDir(home: Home): string {
  return join(home.dir, "gaiad");
}

/** Whether the devnet's local Hub was ever created under `home` (its home completed). */
export function devnetHubCreated(home: Home): boolean {
  return existsSync(join(devnetHubDir(home), HUB_HOME_MARKER)) && gaiadHomeInitialized(devnetHubDir(home));
}

export interface DevnetHubOptions {
  home: Home;
  rpcPort: number;
  p2pPort: number;
  logger: Logger;
}

export interface DevnetHub {
  gaiad: Gaiad;
  p2pPort: number;
  /** Settles if gaiad exits without `stop()`. */
  unexpectedExit: Promise<number | null>;
  /** Stops gaiad (its chain stays in its home); calling it again does nothing. */
  stop(): Promise<void>;
}

/**
 * Starts the local Hub under <home>/gaiad, creating its home first on a new devnet: one validator,
 * and the dev mnemonic's key as 'dev' in its test keyring with DEVNET_HUB_DEV_COINS stake (the
 * validator's operator key is the dev mnemonic's index 2; both public, development only). The ports
 * are written to its config at every start. Returns once the Hub has made a block.
 */
export async function startDevnetHub(o: DevnetHubOptions): Promise<DevnetHub> {
  const log = o.logger;
  const dir = devnetHubDir(o.home);
  if (!devnetHubCreated(o.home)) {
    await stopLeftoverGaiad(dir);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await initGaiadHome({
      home: dir,
      chainId: DEVNET_HUB_CHAIN_ID,
      moniker: "devnet-hub",
      accounts: [
        { name: "dev", coins: `${DEVNET_HUB_DEV_COINS}${HUB_DENOM}`, recover: { mnemonic: DEV_MNEMONIC, index: 0 } },
        { name: "validator", coins: `1000000000000${HUB_DENOM}`, recover: { mnemonic: DEV_MNEMONIC, index: 2 } },
      ],
      validator: { name: "validator", selfDelegation: `100000000000${HUB_DENOM}` },
      unbondingTimeSeconds: DEVNET_HUB_UNBONDING_SECONDS,
    });
    writeFileSync(join(dir, HUB_HOME_MARKER), `${JSON.stringify({ chain_id: DEVNET_HUB_CHAIN_ID, dev: devHubAddress() })}\n`);
    log.info({ home: dir, chainId: DEVNET_HUB_CHAIN_ID, dev: devHubAddress() }, "created the local Cosmos Hub's home");
  }
  configureGaiad(dir, { ports: { rpc: o.rpcPort, p2p: o.p2pPort }, chainId: DEVNET_HUB_CHAIN_ID, timeoutCommit: "1s" });
  const gaiad = new Gaiad({ home: dir, chainId: DEVNET_HUB_CHAIN_ID, rpcPort: o.rpcPort, p2pPort: o.p2pPort });
  await gaiad.start(1, 90_000);
  log.info({ rpc: gaiad.rpcUrl, height: String((await gaiad.rpc.status()).latestHeight), log: gaiad.logFile }, "local Cosmos Hub started (gaiad)");
  let stopping = false;
  return {
    gaiad,
    p2pPort: o.p2pPort,
    unexpectedExit: gaiad.exited!.then((code) => (stopping ? new Promise<never>(() => undefined) : code)),
    async stop() {
      if (stopping) return;
      stopping = true;
      await gaiad.stop();
      log.info({ home: dir }, "the local Cosmos Hub stopped; its chain is kept in its home");
    },
  };
}

/** The Hub's registration for pegzone's genesis, from its latest header (trust level 1/3, DEVNET_HUB_TRUSTING_PERIOD_SECONDS). */
export async function devnetHubRegistration(hub: DevnetHub): Promise<TendermintRegistrationJson> {
  const fetched = await fetchTendermintRegistration(hub.gaiad.rpc, {
    trustLevel: { numerator: 1, denominator: 3 },
    trustingPeriodSeconds: DEVNET_HUB_TRUSTING_PERIOD_SECONDS,
    maxClockDriftSeconds: DEFAULT_MAX_CLOCK_DRIFT_SECONDS,
  });
  return fetched.registration;
}

/** Registers the local Hub in a new devnet's genesis: its 1-of-1 federation is the validator's signer key, as btc-regtest's. */
export function addDevnetHub(doc: GenesisDoc, signerPubkey: Uint8Array, registration: TendermintRegistrationJson): void {
  addTendermintMainChain(doc, {
    id: DEVNET_HUB_MAINCHAIN,
    members: signerMembers([signerPubkey]),
    authority: devAccountAddress(),
    denom: HUB_DENOM,
    bech32_prefix: "cosmos",
    gas_price: HUB_GAS_PRICE,
    max_fee: DEVNET_HUB_MAX_FEE,
    release_timeout_blocks: 100,
    batch_interval: BITCOIN_MAINCHAIN_DEFAULTS.batch_interval,
    registration,
  });
}

/** The federation's account of `mainchain` on its Hub (cosmos1...), from genesis; undefined when genesis does not register it. */
export function genesisHubFederationAccount(doc: GenesisDoc, mainchain = DEVNET_HUB_MAINCHAIN): string | undefined {
  const peg = doc.app_state.peg as { mainchains?: Array<{ id: string; federation: { members: Array<{ pubkey: string }>; threshold: number }; params: { bech32_prefix?: string } }> } | undefined;
  const chain = peg?.mainchains?.find((m) => m.id === mainchain);
  if (chain === undefined) return undefined;
  const pubkey = hubMultisigPubkey(chain.federation.members.map((m) => Uint8Array.from(Buffer.from(m.pubkey, "base64"))), chain.federation.threshold);
  return toBech32(chain.params.bech32_prefix || "cosmos", pubkeyToRawAddress(pubkey));
}
