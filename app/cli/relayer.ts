/** `pegzone relayer` (the daemon) and `pegzone tx peg claim` (one deposit, no relayer needed). */
import { join } from "node:path";
import { Bar, Presets } from "cli-progress";
import type { Command } from "commander";
import { pegzone } from "../../proto";
import { pegTypeUrls } from "../../modules/peg/msgs";
import { BitcoinRpcClient } from "../../relayer/bitcoin-rpc";
import { Relayer } from "../../relayer/relayer";
import { fetchInclusionProof } from "../../relayer/tx-proof";
import { parseTx } from "../../light-client/bitcoin/tx";
import { createLogger } from "../../chain/log";
import { Home, readSignerKey } from "../node/home";
import { bitcoinKind } from "../../modules/peg/bitcoin/kind";
import { Signer } from "../../relayer/signer";
import { asFormat, openKeyring } from "./keys";
import { printOutput } from "./output";
import { anyMsg } from "../../chain/client/query";
import { pegQuery } from "../../modules/peg/client";
import { RpcClient } from "../../chain/client/rpc";
import { addTxOptions, broadcastAndPrint, type TxFlags } from "./tx";
import { DEFAULT_GAS_PRICES } from "../pegzone";

const v1 = pegzone.peg.v1;

interface BtcRpcFlags {
  btcRpc: string;
  btcRpcUser?: string;
  btcRpcPassword?: string;
}

function addBtcRpcOptions(cmd: Command): Command {
  return cmd
    .requiredOption("--btc-rpc <url>", "the Bitcoin node's JSON-RPC URL (btcd with --notls, or bitcoind), e.g. http://user:pass@127.0.0.1:18334")
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

export function registerRelayerCommand(program: Command): void {
  addBtcRpcOptions(addTxOptions(program.command("relayer").description("relay a Bitcoin node's headers to pegzone and claim deposits to registered addresses")))
    .requiredOption("--from <key>", "key that signs and pays for the relayer's transactions")
    .option("--mainchain <id>", "main chain id", "btc-regtest")
    .option("--poll-interval <ms>", "milliseconds between rounds", (v) => Number.parseInt(v, 10), 2000)
    .option("--once", "run one round and exit")
    .action(async (o: TxFlags & BtcRpcFlags & { from: string; mainchain: string; pollInterval: number; once?: boolean }) => {
      const logger = createLogger("relayer");
      const signer = await openKeyring(o).signer(o.from);
      // A progress bar on a terminal; otherwise the relayer logs a line per batch.
      const bar = process.stderr.isTTY ? new Bar({ format: "headers [{bar}] {value}/{total} {percentage}%", stream: process.stderr }, Presets.shades_classic) : undefined;
      let barActive = false;
      const relayer = new Relayer({
        mainchain: o.mainchain,
        btc: bitcoinRpc(o),
        pegzone: new RpcClient(o.node),
        signer,
        tx: o,
        stateFile: join(Home.resolve(o.home).dir, "relayer", `${o.mainchain}.json`),
        logger,
        onProgress: bar
          ? (done, total) => {
              if (!barActive) bar.start(total, 0);
              barActive = done < total;
              bar.update(done);
              if (!barActive) bar.stop();
            }
          : undefined,
      });
      logger.info({ mainchain: o.mainchain, relayer: signer.address, node: o.node, btc: o.btcRpc.replace(/\/\/[^@]*@/, "//") }, "relayer started");
      if (o.once) {
        printOutput(await relayer.step(), asFormat(o.output));
        return;
      }
      await relayer.run(o.pollInterval, abortOnSignal());
      logger.info("relayer stopped");
    });
}

export function registerClaimCommand(pegTx: Command): void {
  addBtcRpcOptions(addTxOptions(pegTx.command("claim").description("claim one deposit: fetches the tx and its proof from a Bitcoin node")))
    .requiredOption("--from <key>", "key that signs and pays the fee")
    .requiredOption("--btc-txid <txid>", "the deposit transaction")
    .option("--mainchain <id>", "main chain id", "btc-regtest")
    .option("--recipient <address>", "the pegzone account the deposit address belongs to (default: --from)")
    .option("--vout <n>", "output index (default: the first output paying the recipient's deposit address)")
    .action(async (o: TxFlags & BtcRpcFlags & { from: string; btcTxid: string; mainchain: string; recipient?: string; vout?: string }) => {
      const signer = await openKeyring(o).signer(o.from);
      const rpc = new RpcClient(o.node);
      const btc = bitcoinRpc(o);
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
      const msg = anyMsg(pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: signer.address, mainchain: o.mainchain, tx: tx.raw, vout, blockHash: tx.blockhash, merkleProof, recipient });
      await broadcastAndPrint(o, signer, [msg]);
    });
}

export function registerSignerCommand(program: Command): void {
  program
    .command("signer")
    .description("sign releases as a federation member, with the key in <home>/config/signer_key.json")
    .option("--home <dir>", "the validator's home folder (default ~/.pegzone)")
    .option("--node <url>", "CometBFT RPC address", "http://127.0.0.1:26657")
    .option("--mainchain <id>", "main chain id", "btc-regtest")
    .option("--gas-adjustment <factor>", "multiplies the simulated gas", "1.4")
    .option("--gas-prices <prices>", "fee per unit of gas", DEFAULT_GAS_PRICES)
    .option("--poll-interval <ms>", "milliseconds between rounds", (v) => Number.parseInt(v, 10), 2000)
    .option("--once", "sign what is pending once and exit")
    .action(async (o: { home?: string; node: string; mainchain: string; gasAdjustment: string; gasPrices: string; pollInterval: number; once?: boolean }) => {
      const logger = createLogger("signer");
      const home = Home.resolve(o.home);
      const signer = new Signer({ mainchain: o.mainchain, pegzone: new RpcClient(o.node), key: readSignerKey(home), kind: bitcoinKind, tx: { gasAdjustment: o.gasAdjustment, gasPrices: o.gasPrices }, logger });
      logger.info({ mainchain: o.mainchain, account: signer.address, node: o.node }, "signer started");
      if (o.once) {
        printOutput({ signed: await signer.step() }, "json");
        return;
      }
      await signer.run(o.pollInterval, abortOnSignal());
      logger.info("signer stopped");
    });
}
