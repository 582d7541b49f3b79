/**
 * The development network `npm start` (`pegzone devnet`) runs: a single validator, and beside it a
 * regtest Bitcoin (btcd) with a block producer, a local Cosmos Hub (gaiad, when .bin/gaiad is
 * built), the relayer of both and the federation's signer, so that the peg works with nothing else to
 * start, on both consensus families. Every key here is public and for development only.
 *
 * This file holds the devnet's public keys and its Bitcoin side (btcd, its saved chain, the block
 * producer); the local Hub is in devnet-hub.ts, the relayers and the signer in devnet-side.ts, the
 * `pegzone devnet` command in devnet-command.ts.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import * as btc from "@scure/btc-signer";
import { decodeHeader } from "../../light-client/bitcoin/header";
import type { BitcoinRpcClient, DisplayHash } from "../../relayer/bitcoin-rpc";
import { sleep } from "../../relayer/poll";
import { pubkeyToBech32Address } from "../../chain/crypto/address";
import { deriveKeyFromMnemonic, rawKeySigner, type KeySigner } from "../../chain/keys/keyring";
import type { Logger } from "../../chain/log";
import { COINBASE_MATURITY, REGTEST_NETWORK, regtestP2wpkhKey } from "../node/btc-wallet";
import { BlockArchive, Btcd, ReplayError, replayBlocks } from "../node/btcd";
import type { Home } from "../node/home";

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
