/**
 * `pegzone relayer` (the daemon, for a bitcoin or a tendermint main chain: the kind is read from
 * pegzone's registered main chains) and `pegzone tx peg claim` (one deposit, no relayer needed).
 */
import { join } from "node:path";
import type { Command } from "commander";
import pino from "pino";
import { pegzone } from "../../proto";
import { pegTypeUrls } from "../../modules/peg/msgs";
import { BitcoinRpcClient } from "../../relayer/bitcoin-rpc";
import { Relayer } from "../../relayer/relayer";
import { CometRpcClient } from "../../relayer/cometbft-rpc";
import { TendermintRelayer } from "../../relayer/tendermint-relayer";
import { claimDepositMsg, depositAccounts, depositsInTx, hubDepositProof } from "../../relayer/hub-deposits";
import { tendermintParams } from "../../modules/peg/tendermint/params";
import { tendermintDepositDisplayId } from "../../modules/peg/tendermint/deposit-flow";
import { terminalProgress } from "../../relayer/tendermint-follower";
import { fetchInclusionProof } from "../../relayer/tx-proof";
import { parseTx } from "../../light-client/bitcoin/tx";
import { createLogger, type Logger } from "../../chain/log";
import { SdkError } from "../../chain/tx/errors";
import { sleep } from "../../relayer/poll";
import { Home, readSignerKey } from "../node/home";
import { bitcoinDepositProof } from "../../modules/peg/bitcoin/peg-flow";
import { Signer } from "../../relayer/signer";
import { RelayerMetrics, SignerMetrics } from "../../relayer/metrics";
import { MetricsRegistry } from "../../chain/metrics/prometheus";
import { parseListenAddress, serveMetrics, type MetricsServer } from "../../chain/metrics/serve";
import { asFormat, openKeyring } from "./keys";
import { printOutput } from "./output";
import { anyMsg } from "../../chain/client/query";
import { pegQuery } from "../../modules/peg/client";
import { RpcClient } from "../../chain/client/rpc";
import { addTxOptions, broadcastAndPrint, txOptions, type TxFlags } from "./tx";
import { DEFAULT_GAS_PRICES, MAINCHAIN_KINDS } from "../pegzone";

const v1 = pegzone.peg.v1;

interface BtcRpcFlags {
  btcRpc: string;
  btcRpcUser?: string;
  btcRpcPassword?: string;
}

function addBtcRpcOptions(cmd: Command, required = true): Command {
  const url = "the Bitcoin node's JSON-RPC URL (btcd with --notls, or bitcoind), e.g. http://user:pass@127.0.0.1:18334";
  return (required ? cmd.requiredOption("--btc-rpc <url>", url) : cmd.option("--btc-rpc <url>", `${url} (a bitcoin main chain)`))
    .option("--btc-rpc-user <user>", "RPC user (default: from the URL)")
    .option("--btc-rpc-password <password>", "RPC password (default: from the URL or PEGZONE_BTC_RPC_PASSWORD)");
}

/** Aborted by Ctrl-C or SIGTERM: a daemon finishes its round and stops. */
function abortOnSignal(): AbortSignal {
  const stop = new AbortController();
  process.on("SIGINT", () => stop.abort());
  process.on("SIGTERM", () => stop.abort());
  return stop.signal;
}

export function bitcoinRpc(o: BtcRpcFlags): BitcoinRpcClient {
  const url = new URL(o.btcRpc);
  const user = o.btcRpcUser ?? decodeURIComponent(url.username);
  const password = o.btcRpcPassword ?? process.env.PEGZONE_BTC_RPC_PASSWORD ?? decodeURIComponent(url.password);
  url.username = "";
  url.password = "";
  return new BitcoinRpcClient({ url: url.toString().replace(/\/$/, ""), user, password });
}

/**
 * The client type pegzone registered `mainchain` with. A daemon may start before its node: while
 * pegzone cannot be reached, it asks again every `retry.ms` until `retry.signal` aborts (without `retry`: once).
 */
async function mainChainKind(pegzoneRpc: RpcClient, mainchain: string, logger: Logger, retry?: { ms: number; signal: AbortSignal }): Promise<string> {
  for (;;) {
    const answer = await pegQuery(pegzoneRpc, "MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse).catch((err: unknown) => {
      if (retry === undefined || retry.signal.aborted || err instanceof SdkError) throw err;
      logger.warn({ node: pegzoneRpc.url, err: err instanceof Error ? err.message : String(err) }, "cannot ask pegzone for its main chains yet; retrying");
      return undefined;
    });
    if (answer !== undefined) {
      const chain = answer.mainchains.find((c) => c.id === mainchain);
      if (chain === undefined) throw new Error(`pegzone has no main chain ${JSON.stringify(mainchain)} (registered: ${answer.mainchains.map((c) => c.id).join(", ") || "none"})`);
      return chain.clientType ?? "";
    }
    await sleep(retry!.ms, retry!.signal);
  }
}

const METRICS_ADDRESS_HELP = "serve the daemon's Prometheus metrics at http://<host:port>/metrics, e.g. 127.0.0.1:26661 (default: off; a bare port listens on 127.0.0.1 only)";

/**
 * The daemon's metrics endpoint when `--metrics-address` is given (a daemon only: not with --once),
 * and `run` with it; the endpoint is closed when `run` ends, however it ends.
 */
async function withMetricsEndpoint(address: string | undefined, once: boolean | undefined, registry: MetricsRegistry, logger: Logger, run: () => Promise<void>): Promise<void> {
  if (address === undefined) return run();
  if (once) throw new Error("--metrics-address serves a daemon's metrics: drop --once");
  const server: MetricsServer = await serveMetrics(registry, parseListenAddress(address));
  logger.info({ url: server.url }, "serving metrics");
  try {
    await run();
  } finally {
    await server.close();
  }
}

type RelayerFlags = TxFlags & Partial<BtcRpcFlags> & { from: string; mainchain: string; cometbftRpc?: string; pollInterval: number; once?: boolean; metricsAddress?: string };

export function registerRelayerCommand(program: Command): void {
  addBtcRpcOptions(addTxOptions(program.command("relayer").description("relay a main chain's headers to pegzone: a Bitcoin node's (and claim deposits to registered addresses), or a CometBFT chain's")), false)
    .option("--cometbft-rpc <url>", "the CometBFT RPC of a tendermint main chain, e.g. http://127.0.0.1:26657 (a tendermint main chain)")
    .requiredOption("--from <key>", "key that signs and pays for the relayer's transactions")
    .option("--mainchain <id>", "main chain id", "btc-regtest")
    .option("--poll-interval <ms>", "milliseconds between rounds", (v) => Number.parseInt(v, 10), 2000)
    .option("--once", "run one round and exit")
    .option("--metrics-address <host:port>", METRICS_ADDRESS_HELP)
    .action(async (o: RelayerFlags) => {
      const logger = createLogger("relayer");
      const registry = new MetricsRegistry();
      const metrics = o.metricsAddress === undefined ? undefined : new RelayerMetrics(registry, o.mainchain);
      await withMetricsEndpoint(o.metricsAddress, o.once, registry, logger, () => runRelayer(o, logger, metrics));
    });
}

async function runRelayer(o: RelayerFlags, logger: Logger, metrics: RelayerMetrics | undefined): Promise<void> {
  const pegzoneRpc = new RpcClient(o.node);
  const signal = o.once ? undefined : abortOnSignal();
  const kind = await mainChainKind(pegzoneRpc, o.mainchain, logger, signal && { ms: o.pollInterval, signal });
  const signer = await openKeyring(o).signer(o.from);
  let relayer: { step(): Promise<object>; run(pollMs: number, signal: AbortSignal): Promise<void> };
  let source: string;
  if (kind === "bitcoin") {
    if (o.btcRpc === undefined) throw new Error(`${o.mainchain} is a bitcoin main chain: give --btc-rpc <url>`);
    source = o.btcRpc.replace(/\/\/[^@]*@/, "//");
    relayer = new Relayer({
      mainchain: o.mainchain,
      btc: bitcoinRpc({ ...o, btcRpc: o.btcRpc }),
      pegzone: pegzoneRpc,
      signer,
      tx: o,
      stateFile: join(Home.resolve(o.home).dir, "relayer", `${o.mainchain}.json`),
      logger,
      onProgress: terminalProgress("headers"),
      metrics,
    });
  } else if (kind === "tendermint") {
    if (o.cometbftRpc === undefined) throw new Error(`${o.mainchain} is a tendermint main chain: give --cometbft-rpc <url>`);
    source = o.cometbftRpc;
    relayer = new TendermintRelayer({ mainchain: o.mainchain, comet: new CometRpcClient(o.cometbftRpc), pegzone: pegzoneRpc, signer, tx: o, logger, onProgress: terminalProgress("tendermint headers"), metrics });
  } else {
    throw new Error(`${o.mainchain} is a ${kind} main chain, which no relayer follows`);
  }
  logger.info({ mainchain: o.mainchain, kind, relayer: signer.address, node: o.node, source }, "relayer started");
  if (signal === undefined) {
    printOutput(await relayer.step(), asFormat(o.output));
    return;
  }
  await relayer.run(o.pollInterval, signal);
  logger.info("relayer stopped");
}

type ClaimFlags = TxFlags & Partial<BtcRpcFlags> & { from: string; mainchain: string; recipient?: string; btcTxid?: string; vout?: string; txHash?: string; rpc?: string; msgIndex?: string };

export function registerClaimCommand(pegTx: Command): void {
  addBtcRpcOptions(addTxOptions(pegTx.command("claim").description("claim one deposit: fetches the tx and its proof from a Bitcoin node (--btc-txid), or from a tendermint main chain's CometBFT RPC (--tx-hash, --rpc)")), false)
    .requiredOption("--from <key>", "key that signs and pays the fee")
    .option("--btc-txid <txid>", "bitcoin: the deposit transaction")
    .option("--mainchain <id>", "main chain id", "btc-regtest")
    .option("--recipient <address>", "bitcoin: the pegzone account the deposit address belongs to (default: --from); tendermint: default the tx's memo")
    .option("--vout <n>", "bitcoin: output index (default: the first output paying the recipient's deposit address)")
    .option("--tx-hash <hash>", "tendermint: the deposit tx (a MsgSend to the federation's account, the recipient in its memo)")
    .option("--rpc <url>", "tendermint: the main chain's CometBFT RPC, e.g. http://127.0.0.1:26657")
    .option("--msg-index <n>", "tendermint: which message of the tx (default: the first MsgSend or MsgMultiSend paying a federation account)")
    .action(async (o: ClaimFlags) => {
      const rpc = new RpcClient(o.node);
      // Log lines to stderr: stdout is the tx result (JSON with --output json).
      const logger = pino({ name: "claim", level: process.env.PEGZONE_LOG_LEVEL ?? "info", base: undefined }, pino.destination({ dest: 2, sync: true }));
      const kind = await mainChainKind(rpc, o.mainchain, logger);
      if (kind === "tendermint") return claimHubDeposit(o, rpc, logger);
      if (kind !== "bitcoin") throw new Error(`${o.mainchain} is a ${kind} main chain: no claim command for it`);
      if (o.btcRpc === undefined || o.btcTxid === undefined) throw new Error(`${o.mainchain} is a bitcoin main chain: give --btc-rpc <url> and --btc-txid <txid>`);
      const signer = await openKeyring(o).signer(o.from);
      const btc = bitcoinRpc({ ...o, btcRpc: o.btcRpc });
      const recipient = o.recipient ?? signer.address;
      const tx = await btc.getRawTransactionVerbose(o.btcTxid);
      if (!tx.blockhash) throw new Error(`${o.btcTxid} is not in a block yet`);
      let vout = o.vout === undefined ? -1 : Number.parseInt(o.vout, 10);
      if (vout < 0) {
        const { script } = await pegQuery(rpc, "DepositAddress", v1.QueryDepositAddressRequest, { mainchain: o.mainchain, recipient }, v1.QueryDepositAddressResponse);
        vout = parseTx(tx.raw).outputs.findIndex((out) => Buffer.from(out.scriptPubKey).equals(Buffer.from(script ?? [])));
        if (vout < 0) throw new Error(`${o.btcTxid} pays nothing to ${recipient}'s deposit address`);
      }
      const merkleProof = await fetchInclusionProof(btc, o.btcTxid, tx.blockhash);
      const proof = bitcoinDepositProof({ tx: tx.raw, vout, blockHash: tx.blockhash, merkleProof });
      const msg = anyMsg(pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: signer.address, mainchain: o.mainchain, recipient, proof });
      await broadcastAndPrint(o, signer, [msg]);
    });
}

/**
 * `tx peg claim` of a tendermint main chain: the tx with its proof from the chain's node, the MsgSend
 * paying a federation account pegzone honours, the headers H and H+1 relayed first if pegzone's
 * client lacks them (paid by --from), then MsgClaimDeposit. pegzone decides: a failed tx, a memo that
 * is not the recipient or a deposit claimed already are refused with its code.
 */
async function claimHubDeposit(o: ClaimFlags, rpc: RpcClient, logger: Logger): Promise<void> {
  if (o.txHash === undefined || o.rpc === undefined) throw new Error(`${o.mainchain} is a tendermint main chain: give --tx-hash <hash> and --rpc <url>`);
  const signer = await openKeyring(o).signer(o.from);
  const comet = new CometRpcClient(o.rpc);
  const tx = await comet.tx(o.txHash, true);
  const { mainchains } = await pegQuery(rpc, "MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse);
  const chain = mainchains.find((m) => m.id === o.mainchain)!;
  const denom = tendermintParams(chain).denom;
  const accounts = await depositAccounts(rpc, chain);
  const deposits = accounts.flatMap((a) => depositsInTx(tx, a.address, denom));
  const wanted = o.msgIndex === undefined ? undefined : Number.parseInt(o.msgIndex, 10);
  const deposit = wanted === undefined ? deposits[0] : deposits.find((d) => d.msgIndex === wanted);
  if (deposit === undefined)
    throw new Error(`tx ${tx.hash} has no MsgSend or MsgMultiSend${wanted === undefined ? "" : ` at index ${wanted}`} to a federation account of ${o.mainchain} (${accounts.map((a) => a.address).join(", ")})`);
  if (tx.result.code !== 0) process.stderr.write(`warning: tx ${tx.hash} failed on ${o.mainchain} (code ${tx.result.code}); pegzone will refuse it\n`);
  const recipient = o.recipient ?? deposit.memo;
  // The headers of the tx's block and of the next (its result), if pegzone's client lacks them.
  const relayer = new TendermintRelayer({ mainchain: o.mainchain, comet, pegzone: rpc, signer, tx: txOptions(o), logger, noDeposits: true });
  await relayer.ensureHeight(tx.height);
  await relayer.ensureHeight(tx.height + 1n);
  const proof = await hubDepositProof(comet, tx, deposit.msgIndex);
  process.stderr.write(`deposit ${tendermintDepositDisplayId(tx.hash, deposit.msgIndex)}: ${deposit.amount}${denom} at height ${tx.height}, recipient ${recipient}\n`);
  await broadcastAndPrint(o, signer, [claimDepositMsg(signer.address, o.mainchain, recipient, proof)]);
}

export function registerSignerCommand(program: Command): void {
  program
    .command("signer")
    .description("sign releases as a federation member, with the key in <home>/config/signer_key.json")
    .option("--home <dir>", "the validator's home folder (default ~/.pegzone)")
    .option("--node <url>", "CometBFT RPC address", "http://127.0.0.1:26657")
    .option("--mainchain <id...>", "main chains to sign for (default: every one whose federation holds the key)")
    .option("--gas-adjustment <factor>", "multiplies the simulated gas", "1.4")
    .option("--gas-prices <prices>", "fee per unit of gas", DEFAULT_GAS_PRICES)
    .option("--poll-interval <ms>", "milliseconds between rounds", (v) => Number.parseInt(v, 10), 2000)
    .option("--once", "sign what is pending once and exit")
    .option("--metrics-address <host:port>", METRICS_ADDRESS_HELP)
    .action(async (o: { home?: string; node: string; mainchain?: string[]; gasAdjustment: string; gasPrices: string; pollInterval: number; once?: boolean; metricsAddress?: string }) => {
      const logger = createLogger("signer");
      const home = Home.resolve(o.home);
      const registry = new MetricsRegistry();
      const metrics = o.metricsAddress === undefined ? undefined : new SignerMetrics(registry);
      for (const id of o.mainchain ?? []) metrics?.watch(id);
      const signer = new Signer({ mainchains: o.mainchain, pegzone: new RpcClient(o.node), key: readSignerKey(home), kinds: MAINCHAIN_KINDS, tx: { gasAdjustment: o.gasAdjustment, gasPrices: o.gasPrices }, logger, metrics });
      await withMetricsEndpoint(o.metricsAddress, o.once, registry, logger, async () => {
        logger.info({ mainchains: o.mainchain ?? "all", account: signer.address, node: o.node }, "signer started");
        if (o.once) {
          printOutput({ signed: await signer.step() }, "json");
          return;
        }
        await signer.run(o.pollInterval, abortOnSignal());
        logger.info("signer stopped");
      });
    });
}
