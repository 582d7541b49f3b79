/**
 * The development network `npm start` (`pegzone devnet`) runs: a single validator, and beside it a
 * regtest Bitcoin (btcd) with a block producer, a local Cosmos Hub (gaiad, when .bin/gaiad is
 * built), the relayer of both and the federation's signer, so that the peg works with nothing else to
 * start, on both consensus families. Every key here is public and for development only.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pubkeyToRawAddress } from "@cosmjs/amino";
import { sha256 } from "@noble/hashes/sha2.js";
import * as btc from "@scure/btc-signer";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { decodeHeader } from "../../light-client/bitcoin/header";
import { pegzone } from "../../proto";
import { BitcoinRpcClient, type BitcoinRpcOptions, type DisplayHash } from "../../relayer/bitcoin-rpc";
import { sleep } from "../../relayer/poll";
import { Relayer } from "../../relayer/relayer";
import { Signer } from "../../relayer/signer";
import { TendermintRelayer } from "../../relayer/tendermint-relayer";
import { fetchTendermintRegistration, type TendermintRegistrationJson } from "../../relayer/tendermint-registration";
import { addressFromPubkey, pubkeyToBech32Address, toBech32 } from "../../chain/crypto/address";
import { deriveKeyFromMnemonic, rawKeySigner, type KeySigner } from "../../chain/keys/keyring";
import type { Logger } from "../../chain/log";
import { COINBASE_MATURITY, REGTEST_NETWORK, regtestP2wpkhKey } from "../node/btc-wallet";
import { BlockArchive, Btcd, ReplayError, replayBlocks } from "../node/btcd";
import { configureGaiad, Gaiad, gaiadHomeInitialized, HUB_DENOM, HUB_GAS_PRICE, initGaiadHome, stopLeftoverGaiad } from "../node/gaiad";
import { readAppConfig, readSignerKey, type GenesisDoc, type Home } from "../node/home";
import { MSG_SEND_TYPE_URL } from "../../modules/bank/codecs";
import { pegQuery } from "../../modules/peg/client";
import { hubMultisigPubkey } from "../../modules/peg/tendermint/multisig-tx";
import { RpcClient } from "../../chain/client/rpc";
import { signAndBroadcast, type TxOptions } from "../../chain/client/tx";
import { DEFAULT_GAS_PRICES, FEE_DENOM, MAINCHAIN_KINDS } from "../pegzone";
import { addTendermintMainChain, BITCOIN_MAINCHAIN_DEFAULTS, DEFAULT_MAX_CLOCK_DRIFT_SECONDS, signerMembers } from "./genesis";

const v1 = pegzone.peg.v1;

/** A public mnemonic for the development account `npm start` funds: for development only. */
export const DEV_MNEMONIC =
  "sure lobster father harbor ivory eye urban cattle panel debate such depend push satoshi year sun exhaust marriage edit sock claw ugly loud rare";

/** The dev account's address on the Cosmos HD path m/44'/118'/0'/0/0, as every Cosmos wallet derives it. */
export function devAccountAddress(): string {
  return pubkeyToBech32Address(deriveKeyFromMnemonic(DEV_MNEMONIC).publicKey);
}

/** The devnet relayer's account: the dev mnemonic's second key (m/44'/118'/0'/0/1), funded at genesis. */
export function devRelayerKey(): KeySigner {
  return rawKeySigner("devnet-relayer", deriveKeyFromMnemonic(DEV_MNEMONIC, { index: 1 }).privateKey);
}

/** The relayer account's address (funded at genesis on first run). */
export function devRelayerAddress(): string {
  return devRelayerKey().address;
}

/** The main chain the devnet registers in genesis and runs btcd for. */
export const DEVNET_MAINCHAIN = "btc-regtest";
export const DEVNET_CONFIRMATIONS = 6;

/** btcd's fixed RPC credentials on the devnet: loopback only, for development only. */
export const DEVNET_BTC_RPC_USER = "pegzone";
export const DEVNET_BTC_RPC_PASSWORD = "pegzone-devnet";

/**
 * The devnet's Bitcoin key, derived as test/btc-wallet.ts derives its test key: private key =
 * sha256("pegzone dev key: btc-regtest"). btcd's coinbases pay its P2WPKH address, so the developer
 * holds every mined coin. Public: never use it outside regtest.
 */
export const DEV_BTC = (() => {
  const key = regtestP2wpkhKey(sha256(new TextEncoder().encode("pegzone dev key: btc-regtest")));
  return Object.freeze({ ...key, wif: btc.WIF(REGTEST_NETWORK).encode(key.privateKey) });
})();

/** The btcd RPC URL the devnet serves, with its credentials in it (as `--btc-rpc` takes it). */
export function devnetBtcRpcUrl(port: number): string {
  return `http://${DEVNET_BTC_RPC_USER}:${DEVNET_BTC_RPC_PASSWORD}@127.0.0.1:${port}`;
}

/** Mined blocks may not run this far ahead of the wall clock (pegzone refuses headers more than 2 h after its block time). */
const MAX_AHEAD_SECONDS = 60 * 60;

/**
 * Mines `n` blocks with `generate` (btcd pays its --miningaddr; a node without `generate` pays
 * `address`). btcd stamps each block max(now, median time past + 1), so blocks mined in a burst run
 * ahead of the clock by about n/6 seconds: this refuses to mine while the tip is already more than
 * an hour ahead, which keeps headers well inside pegzone's 2-hour limit.
 */
export async function mineBlocks(rpc: BitcoinRpcClient, n: number, address: string = DEV_BTC.address): Promise<DisplayHash[]> {
  const tipTime = decodeHeader(await rpc.getBlockHeaderRaw(await rpc.getBestBlockHash())).time;
  const ahead = tipTime - Math.floor(Date.now() / 1000);
  if (ahead > MAX_AHEAD_SECONDS) throw new Error(`the Bitcoin tip is stamped ${ahead} s ahead of this clock; not mining until the clock catches up`);
  if (n > 6 * (MAX_AHEAD_SECONDS - Math.max(0, ahead))) throw new Error(`mining ${n} blocks at once would stamp them more than an hour ahead of the clock`);
  // btcd mines one `generate` at a time and refuses a second one meanwhile (the devnet's block
  // producer and `pegzone dev btc-send` share it): wait for the other to finish.
  for (let attempt = 0; ; attempt++) {
    try {
      return await rpc.generate(n, address);
    } catch (err) {
      if (!/already CPU mining/i.test(String(err)) || attempt >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export interface DevnetBitcoinOptions {
  home: Home;
  btcRpcPort: number;
  btcP2pPort: number;
  /** Seconds between mined blocks; 0 mines none (but the first 101). */
  blockTimeSeconds: number;
  logger: Logger;
}

export interface DevnetBitcoin {
  btcd: Btcd;
  /** The chain kept on disk: the relayer relays no block above its height. */
  archive: BlockArchive;
  /** Settles if btcd exits without `stop()`. */
  unexpectedExit: Promise<number | null>;
  /** Stops the block producer, saves the last blocks and stops btcd. */
  stop(): Promise<void>;
}

/** The relayer's Bitcoin node as the archive has it: its tip is never above what is safely on disk. */
class ArchivedChain extends BitcoinRpcClient {
  constructor(
    o: BitcoinRpcOptions,
    private readonly archive: BlockArchive,
  ) {
    super(o);
  }

  override async getBlockCount(): Promise<number> {
    return Math.min(await super.getBlockCount(), this.archive.height);
  }
}

/**
 * Starts btcd under <home>/btcd, gives it back the chain kept in <home>/btcd/blocks.dat, mines the
 * first 101 blocks on a fresh chain, then runs the block producer until `stop()`. Each new block is
 * appended (fsynced) to blocks.dat before the relayer may relay it (`startDevnetRelayers`), so
 * pegzone's light client never knows a block that a restart (even after kill -9) would not bring back.
 */
export async function startDevnetBitcoin(o: DevnetBitcoinOptions): Promise<DevnetBitcoin> {
  const log = o.logger;
  const dir = join(o.home.dir, "btcd");
  const btcd = new Btcd({
    dataDir: dir,
    rpcPort: o.btcRpcPort,
    p2pPort: o.btcP2pPort,
    rpcUser: DEVNET_BTC_RPC_USER,
    rpcPassword: DEVNET_BTC_RPC_PASSWORD,
    miningAddress: DEV_BTC.address,
  });
  mkdirSync(dir, { recursive: true });
  const archive = BlockArchive.open(join(dir, "blocks.dat"));
  if (archive.dropped > 0) log.warn({ bytes: archive.dropped, kept: archive.height }, "blocks.dat ended in a torn or inconsistent record; cut it off");
  let stopping = false;
  try {
    await btcd.start();
    log.info({ rpc: btcd.rpcUrl, log: btcd.logFile }, "btcd started (regtest)");
    if (archive.height > 0) {
      log.info({ blocks: archive.height }, "giving btcd its saved blocks back");
      try {
        await replayBlocks(btcd.rpc, archive.blocks(), (done) => log.info({ done, of: archive.height }, "replaying blocks"));
      } catch (e) {
        if (!(e instanceof ReplayError)) throw e;
        log.warn({ height: e.height, reason: e.reason }, "btcd refused a saved block; dropping it and everything after it from blocks.dat");
        archive.truncate(e.height - 1);
      }
    }
    const height = await btcd.rpc.getBlockCount();
    if (height < COINBASE_MATURITY + 1) {
      await mineBlocks(btcd.rpc, COINBASE_MATURITY + 1 - height);
      log.info({ blocks: COINBASE_MATURITY + 1 - height, to: DEV_BTC.address }, "mined the first blocks; their coinbases pay the dev Bitcoin key");
    }
    await archive.sync(btcd.rpc);
    log.info({ height: archive.height, tip: archive.hashAt(archive.height) }, "bitcoin regtest ready");
  } catch (e) {
    await btcd.stop();
    archive.close();
    throw e;
  }

  const abort = new AbortController();
  const signal = abort.signal;
  const mineLoop = async () => {
    if (o.blockTimeSeconds <= 0) return;
    const mlog = log.child({ module: "miner" });
    for (;;) {
      await sleep(o.blockTimeSeconds * 1000, signal);
      if (signal.aborted) return;
      try {
        const [hash] = await mineBlocks(btcd.rpc, 1);
        await archive.sync(btcd.rpc);
        mlog.debug({ height: archive.height, hash }, "mined a block");
      } catch (err) {
        if (!signal.aborted) mlog.warn({ err: err instanceof Error ? err.message : String(err) }, "could not mine a block");
      }
    }
  };
  const mining = mineLoop().catch((e: unknown) => log.error({ err: String(e) }, "the block producer failed"));
  const unexpectedExit = btcd.exited!.then((code) => (stopping ? new Promise<never>(() => undefined) : code));

  return {
    btcd,
    archive,
    unexpectedExit,
    async stop() {
      if (stopping) return;
      stopping = true;
      abort.abort();
      await Promise.race([mining, new Promise((r) => setTimeout(r, 15_000))]);
      if (btcd.running) await archive.sync(btcd.rpc).catch((e: unknown) => log.warn({ err: String(e) }, "could not save the last blocks"));
      await btcd.stop();
      archive.close();
      log.info({ blocks: archive.height }, "btcd stopped; its blocks are kept in blocks.dat");
    },
  };
}

// ---- the local Cosmos Hub

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

// ---- the relayers and the signer

export interface DevnetRelayersOptions {
  home: Home;
  /** pegzone's CometBFT RPC, http://... */
  pegzoneRpc: string;
  chainId: string;
  bitcoin?: DevnetBitcoin;
  hub?: DevnetHub;
  logger: Logger;
}

/**
 * Runs the relayer (btc-regtest from the archived btcd chain, hub-local from the Hub's RPC) and the
 * federation's signer until `stop()`. Both relayers sign with the devnet relayer's one account, so
 * their rounds take turns (two txs of one account in flight would race for its sequence). The
 * signer signs with the validator's signer key for every main chain whose federation holds it.
 */
export function startDevnetRelayers(o: DevnetRelayersOptions): { stop(): Promise<void> } {
  const log = o.logger;
  const rpc = new RpcClient(o.pegzoneRpc);
  const gasPrices = readAppConfig(o.home).minimumGasPrices || DEFAULT_GAS_PRICES;
  const txFlags = { gasAdjustment: "1.5", gasPrices, chainId: o.chainId };
  const relayerKey = devRelayerKey();
  const rlog = log.child({ module: "relayer" });
  const { bitcoin, hub } = o;
  const btcRelayer =
    bitcoin &&
    new Relayer({
      mainchain: DEVNET_MAINCHAIN,
      btc: new ArchivedChain({ url: bitcoin.btcd.rpcUrl, user: DEVNET_BTC_RPC_USER, password: DEVNET_BTC_RPC_PASSWORD, timeoutMs: 60_000 }, bitcoin.archive),
      pegzone: rpc,
      signer: relayerKey,
      tx: txFlags,
      stateFile: join(o.home.dir, "relayer", `${DEVNET_MAINCHAIN}.json`),
      logger: rlog,
      // no line per header batch: the round's summary below says it
      onProgress: () => undefined,
    });
  const hubRelayer = hub && new TendermintRelayer({ mainchain: DEVNET_HUB_MAINCHAIN, comet: hub.gaiad.rpc, pegzone: rpc, signer: relayerKey, tx: txFlags, logger: rlog });
  // No mainchain filter: the signer signs for btc-regtest and hub-local alike.
  const signer = new Signer({ pegzone: rpc, key: readSignerKey(o.home), kinds: MAINCHAIN_KINDS, tx: txFlags, logger: log.child({ module: "signer" }) });

  const abort = new AbortController();
  const signal = abort.signal;
  const failed = (err: unknown, mainchain: string) => {
    if (!signal.aborted) rlog.warn({ mainchain, err: err instanceof Error ? err.message : String(err) }, "relayer round failed; retrying");
  };

  const relayLoop = async () => {
    await waitForNewBlock(rpc, signal);
    if (signal.aborted) return;
    await ensureFunded(rpc, relayerKey, txFlags, log).catch((e: unknown) => log.warn({ err: String(e) }, "could not fund the relayer's account"));
    if (bitcoin) await warnIfClientAhead(rpc, bitcoin.archive, log).catch(() => undefined);
    rlog.info({ account: relayerKey.address, btc: bitcoin?.btcd.rpcUrl, hub: hub?.gaiad.rpcUrl }, "relayer started");
    while (!signal.aborted) {
      if (bitcoin && btcRelayer) {
        try {
          await bitcoin.archive.sync(bitcoin.btcd.rpc);
          const r = await btcRelayer.step();
          if (r.relayed > 0 || r.claimed > 0 || r.broadcast > 0 || r.confirmed > 0) rlog.info({ mainchain: DEVNET_MAINCHAIN, ...r }, "relayer round");
        } catch (err) {
          failed(err, DEVNET_MAINCHAIN);
        }
      }
      if (hubRelayer && !signal.aborted) {
        try {
          const r = await hubRelayer.step();
          const [d, rel] = [r.deposits, r.releases];
          // a header a second is routine: said at debug level; deposits and releases at info
          const eventful = d.claimed > 0 || d.skipped > 0 || rel.txProofs > 0 || rel.broadcast > 0 || rel.accountProofs > 0;
          rlog[eventful ? "info" : "debug"]({ mainchain: DEVNET_HUB_MAINCHAIN, to: String(r.to), sent: r.sent, ...d, ...rel }, "relayer round");
        } catch (err) {
          failed(err, DEVNET_HUB_MAINCHAIN);
        }
      }
      await sleep(1000, signal);
    }
  };

  const signLoop = async () => {
    await waitForNewBlock(rpc, signal);
    if (signal.aborted) return;
    log.child({ module: "signer" }).info({ account: signer.address }, "signer started");
    await signer.run(1000, signal);
  };

  const loops = Promise.all([relayLoop(), signLoop()].map((p) => p.catch((e: unknown) => log.error({ err: String(e) }, "devnet relayer or signer loop failed"))));
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      abort.abort();
      // A round in flight finishes (its pegzone tx is waited for) unless it takes too long.
      stopped ??= Promise.race([loops.then(() => undefined), new Promise<void>((r) => setTimeout(r, 15_000))]);
      return stopped;
    },
  };
}

/** What runs beside the devnet's node: Bitcoin (optional), the Hub (optional, started before the node), the relayers and the signer. */
export interface DevnetSide {
  /** Settles, saying which, if btcd or gaiad exits without `stop()`. */
  unexpectedExit: Promise<string>;
  /** Stops the relayers and the signer, then btcd and gaiad; calling it again does nothing more. */
  stop(): Promise<void>;
}

/** Starts the Bitcoin side (when `bitcoin` is given) and then the relayers and the signer, for it and for `hub`. */
export async function startDevnetSide(o: { home: Home; pegzoneRpc: string; chainId: string; bitcoin?: Omit<DevnetBitcoinOptions, "home" | "logger">; hub?: DevnetHub; logger: Logger }): Promise<DevnetSide> {
  const bitcoin = o.bitcoin && (await startDevnetBitcoin({ ...o.bitcoin, home: o.home, logger: o.logger }));
  const relayers = startDevnetRelayers({ home: o.home, pegzoneRpc: o.pegzoneRpc, chainId: o.chainId, bitcoin, hub: o.hub, logger: o.logger });
  const never = new Promise<never>(() => undefined);
  let stopped: Promise<void> | undefined;
  return {
    unexpectedExit: Promise.race([
      bitcoin ? bitcoin.unexpectedExit.then((code) => `btcd exited (${code})`) : never,
      o.hub ? o.hub.unexpectedExit.then((code) => `gaiad exited (${code})`) : never,
    ]),
    stop() {
      stopped ??= (async () => {
        await relayers.stop();
        await bitcoin?.stop().catch((err: unknown) => o.logger.error({ err: String(err) }, "stopping btcd failed"));
        await o.hub?.stop().catch((err: unknown) => o.logger.error({ err: String(err) }, "stopping gaiad failed"));
      })();
      return stopped;
    },
  };
}

/**
 * Waits until pegzone commits a block after this start (queries are answered from state before that,
 * but the context of a simulated transaction has no block time yet, and pegzone checks header times
 * against it).
 */
async function waitForNewBlock(rpc: RpcClient, signal: AbortSignal): Promise<void> {
  let first: number | undefined;
  while (!signal.aborted) {
    try {
      const res = await fetch(`${rpc.url}/status`);
      const body = (await res.json()) as { result?: { sync_info?: { latest_block_height?: string } } };
      const height = Number(body.result?.sync_info?.latest_block_height ?? 0);
      first ??= height;
      if (height > first) return;
    } catch {
      // not up yet
    }
    await sleep(300, signal);
  }
}

/** A devnet created before the relayer had its own genesis account: fund it once from the dev account. */
async function ensureFunded(rpc: RpcClient, account: KeySigner, tx: Pick<TxOptions, "gasAdjustment" | "gasPrices" | "chainId">, log: Logger): Promise<void> {
  const { balance } = QueryBalanceResponse.decode(await rpc.query("/cosmos.bank.v1beta1.Query/Balance", QueryBalanceRequest.encode({ address: account.address, denom: FEE_DENOM }).finish()));
  if (BigInt(balance?.amount ?? "0") > 0n) return;
  const dev = rawKeySigner("dev", deriveKeyFromMnemonic(DEV_MNEMONIC).privateKey);
  const msg = { typeUrl: MSG_SEND_TYPE_URL, value: MsgSend.encode({ fromAddress: dev.address, toAddress: account.address, amount: [{ denom: FEE_DENOM, amount: "1000000000" }] }).finish() };
  const res = await signAndBroadcast(rpc, dev, [msg], { ...tx, gas: "auto" });
  if (res.code !== 0) throw new Error(`${res.codespace}/${res.code} ${res.raw_log}`);
  log.info({ account: account.address }, "funded the relayer's account from the dev account");
}

/** pegzone's light client above the saved chain can only come from another Bitcoin node: the devnet's btcd will fork from it. */
async function warnIfClientAhead(rpc: RpcClient, archive: BlockArchive, log: Logger): Promise<void> {
  const state = await pegQuery(rpc, "ClientState", v1.QueryClientStateRequest, { mainchain: DEVNET_MAINCHAIN }, v1.QueryClientStateResponse);
  if (state.tipHeight > archive.height)
    log.warn(
      { lightClientTip: state.tipHeight, savedHeight: archive.height },
      "pegzone's light client is ahead of the saved Bitcoin chain; btcd's new blocks will fork from it (a deep fork freezes the peg: 'pegzone devnet --reset' starts over)",
    );
}
