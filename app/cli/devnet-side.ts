/**
 * What runs beside the devnet's node once it is up: the relayer of both main chains (btc-regtest
 * from the archived btcd chain, hub-local from the local Hub), the federation's signer, and the
 * Bitcoin side they follow. Apart from devnet.ts and devnet-hub.ts because it wires both main
 * chains' parts together and to pegzone.
 */
import { join } from "node:path";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { pegzone } from "../../proto";
import { BitcoinRpcClient, type BitcoinRpcOptions } from "../../relayer/bitcoin-rpc";
import { sleep } from "../../relayer/poll";
import { Relayer } from "../../relayer/relayer";
import { Signer } from "../../relayer/signer";
import { TendermintRelayer } from "../../relayer/tendermint-relayer";
import { deriveKeyFromMnemonic, rawKeySigner, type KeySigner } from "../../chain/keys/keyring";
import type { Logger } from "../../chain/log";
import type { BlockArchive } from "../node/btcd";
import { readAppConfig, readSignerKey, type Home } from "../node/home";
import { MSG_SEND_TYPE_URL } from "../../modules/bank/codecs";
import { pegQuery } from "../../modules/peg/client";
import { RpcClient } from "../../chain/client/rpc";
import { signAndBroadcast, type TxOptions } from "../../chain/client/tx";
import { DEFAULT_GAS_PRICES, FEE_DENOM, MAINCHAIN_KINDS } from "../pegzone";
import { DEV_MNEMONIC, DEVNET_BTC_RPC_PASSWORD, DEVNET_BTC_RPC_USER, DEVNET_MAINCHAIN, devRelayerKey, startDevnetBitcoin, type DevnetBitcoin, type DevnetBitcoinOptions } from "./devnet";
import { DEVNET_HUB_MAINCHAIN, type DevnetHub } from "./devnet-hub";

const v1 = pegzone.peg.v1;

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
