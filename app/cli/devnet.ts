/**
 * The development network `npm start` (`pegzone devnet`) runs: a single validator, and beside it a
 * regtest Bitcoin (btcd) with a block producer, the relayer and the federation's signer, so that the
 * peg works with nothing else to start. Every key here is public and for development only.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
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
import { pubkeyToBech32Address } from "../../chain/crypto/address";
import { deriveKeyFromMnemonic, rawKeySigner, type KeySigner } from "../../chain/keys/keyring";
import type { Logger } from "../../chain/log";
import { COINBASE_MATURITY, REGTEST_NETWORK, regtestP2wpkhKey } from "../node/btc-wallet";
import { BlockArchive, Btcd, ReplayError, replayBlocks } from "../node/btcd";
import { readAppConfig, readSignerKey, type Home } from "../node/home";
import { MSG_SEND_TYPE_URL } from "../../modules/bank/codecs";
import { pegQuery } from "../../modules/peg/client";
import { RpcClient } from "../../chain/client/rpc";
import { signAndBroadcast, type TxOptions } from "../../chain/client/tx";
import { DEFAULT_GAS_PRICES, FEE_DENOM, MAINCHAIN_KINDS } from "../pegzone";

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
  /** pegzone's CometBFT RPC, http://... */
  pegzoneRpc: string;
  chainId: string;
  btcRpcPort: number;
  btcP2pPort: number;
  /** Seconds between mined blocks; 0 mines none (but the first 101). */
  blockTimeSeconds: number;
  logger: Logger;
}

export interface DevnetBitcoin {
  btcd: Btcd;
  /** Settles if btcd exits without `stop()`. */
  unexpectedExit: Promise<number | null>;
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
 * first 101 blocks on a fresh chain, then runs the block producer, the relayer and the signer until
 * `stop()`. Each new block is appended (fsynced) to blocks.dat before the relayer may relay it, so
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

  const rpc = new RpcClient(o.pegzoneRpc);
  const gasPrices = readAppConfig(o.home).minimumGasPrices || DEFAULT_GAS_PRICES;
  const txFlags = { gasAdjustment: "1.5", gasPrices, chainId: o.chainId };
  const relayerKey = devRelayerKey();
  const relayer = new Relayer({
    mainchain: DEVNET_MAINCHAIN,
    btc: new ArchivedChain({ url: btcd.rpcUrl, user: DEVNET_BTC_RPC_USER, password: DEVNET_BTC_RPC_PASSWORD, timeoutMs: 60_000 }, archive),
    pegzone: rpc,
    signer: relayerKey,
    tx: txFlags,
    stateFile: join(o.home.dir, "relayer", `${DEVNET_MAINCHAIN}.json`),
    logger: log.child({ module: "relayer" }),
    // no line per header batch: the round's summary below says it
    onProgress: () => undefined,
  });
  const signer = new Signer({ pegzone: rpc, key: readSignerKey(o.home), kinds: MAINCHAIN_KINDS, tx: txFlags, logger: log.child({ module: "signer" }) });

  const abort = new AbortController();
  const signal = abort.signal;

  const relayLoop = async () => {
    await waitForNewBlock(rpc, signal);
    if (signal.aborted) return;
    await ensureFunded(rpc, relayerKey, txFlags, log).catch((e: unknown) => log.warn({ err: String(e) }, "could not fund the relayer's account"));
    await warnIfClientAhead(rpc, archive, log).catch(() => undefined);
    const rlog = log.child({ module: "relayer" });
    rlog.info({ account: relayerKey.address, btc: btcd.rpcUrl }, "relayer started");
    while (!signal.aborted) {
      try {
        await archive.sync(btcd.rpc);
        const r = await relayer.step();
        if (r.relayed > 0 || r.claimed > 0 || r.broadcast > 0 || r.confirmed > 0) rlog.info({ mainchain: DEVNET_MAINCHAIN, ...r }, "relayer round");
      } catch (err) {
        if (!signal.aborted) rlog.warn({ err: err instanceof Error ? err.message : String(err) }, "relayer round failed; retrying");
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

  const loops = Promise.all([relayLoop(), signLoop(), mineLoop()].map((p) => p.catch((e: unknown) => log.error({ err: String(e) }, "devnet bitcoin loop failed"))));
  const unexpectedExit = btcd.exited!.then((code) => (stopping ? new Promise<never>(() => undefined) : code));

  return {
    btcd,
    unexpectedExit,
    async stop() {
      if (stopping) return;
      stopping = true;
      abort.abort();
      // A round in flight finishes (its pegzone tx is waited for) unless it takes too long.
      await Promise.race([loops, new Promise((r) => setTimeout(r, 15_000))]);
      if (btcd.running) await archive.sync(btcd.rpc).catch((e: unknown) => log.warn({ err: String(e) }, "could not save the last blocks"));
      await btcd.stop();
      archive.close();
      log.info({ blocks: archive.height }, "btcd stopped; its blocks are kept in blocks.dat");
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
