/**
 * `pegzone dev ...`: helpers for the devnet's regtest Bitcoin (see app/cli/devnet.ts). They spend
 * and mine with the public dev Bitcoin key: for development only.
 *
 *   btc-send ADDRESS AMOUNT   pay a regtest address (or a pegzone account's deposit address) from the
 *                             dev key's matured coinbases, then mine a block
 *   btc-mine [N]              mine N blocks now (coinbases to the dev key)
 *   btcctl [ARGS...]          btcd's RPC client against the devnet btcd, with a config file of its own
 *
 * The coins are found and spent by app/node/btc-wallet.ts (as the tests' wallet spends its own).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as btc from "@scure/btc-signer";
import type { Command } from "commander";
import { pegzone } from "../../proto";
import type { DisplayHash } from "../../relayer/bitcoin-rpc";
import { REGTEST_NETWORK, spendMaturedCoinbases } from "../node/btc-wallet";
import { BTCD_REGTEST_RPC_PORT } from "../node/btcd";
import { btcctlArgs, btcctlBinary, writeBtcctlConfig, type BtcctlTarget } from "../node/btcctl";
import { DEV_BTC, DEVNET_MAINCHAIN, devnetBtcRpcUrl, mineBlocks } from "./devnet";
import { printOutput } from "./output";
import { pegQuery } from "../../modules/peg/client";
import { bitcoinRpc } from "./relayer";
import { RpcClient } from "../../chain/client/rpc";

const v1 = pegzone.peg.v1;

/**
 * "1btc", "0.25btc", "150000sat" or "150000" (satoshis) → satoshis.
 */
export function parseBtcAmount(text: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,8}))?\s*(btc|sats?)?$/i.exec(text.trim());
  if (!m) throw new Error(`amount must look like 1btc, 0.5btc, 150000sat or 150000 (satoshis), got ${JSON.stringify(text)}`);
  const unit = (m[3] ?? "sat").toLowerCase();
  if (unit === "btc") return BigInt(m[1]) * 100_000_000n + BigInt((m[2] ?? "").padEnd(8, "0"));
  if (m[2] !== undefined) throw new Error(`satoshis are whole: ${JSON.stringify(text)} (write 0.5btc for half a bitcoin)`);
  return BigInt(m[1]);
}

/** The output script of a regtest address (bcrt1..., m/n..., 2...). */
export function regtestScript(address: string): Uint8Array {
  try {
    return btc.OutScript.encode(btc.Address(REGTEST_NETWORK).decode(address));
  } catch (e) {
    throw new Error(`${address} is not a regtest address: ${e instanceof Error ? e.message : String(e)}`);
  }
}

interface BtcFlags {
  btcRpc: string;
  btcRpcUser?: string;
  btcRpcPassword?: string;
  output: string;
}

function addBtcFlags(cmd: Command): Command {
  return cmd
    .option("--btc-rpc <url>", "the devnet btcd's JSON-RPC URL, credentials included", devnetBtcRpcUrl(BTCD_REGTEST_RPC_PORT))
    .option("--btc-rpc-user <user>", "RPC user (default: from the URL)")
    .option("--btc-rpc-password <password>", "RPC password (default: from the URL)")
    .option("--output <format>", "text or json", "text");
}

/** btcctl's server and credentials from --btc-rpc (and the user and password flags), as `bitcoinRpc` reads them. */
export function btcctlTarget(o: Omit<BtcFlags, "output">): BtcctlTarget {
  const url = new URL(o.btcRpc);
  if (url.protocol !== "http:") throw new Error(`btcctl here speaks plain HTTP to a local btcd (--notls), as the devnet runs it; got ${url.protocol}//`);
  return {
    rpcServer: `${url.hostname}:${url.port || "80"}`,
    rpcUser: o.btcRpcUser ?? decodeURIComponent(url.username),
    rpcPassword: o.btcRpcPassword ?? process.env.PEGZONE_BTC_RPC_PASSWORD ?? decodeURIComponent(url.password),
  };
}

const format = (o: { output: string }) => (o.output === "json" ? "json" : "text");

export function registerDevCommands(program: Command): void {
  const dev = program.command("dev").description("devnet helpers: spend and mine with the public dev Bitcoin key (development only)");

  addBtcFlags(
    dev
      .command("btc-send <address> <amount>")
      .description(
        "pay a regtest ADDRESS (or a pegzone account's deposit address, given its peg1... address) AMOUNT (1btc, 0.5btc, 150000sat or 150000) from the dev Bitcoin key's matured coinbases, then mine a block",
      ),
  )
    .option("--fee-rate <sat/vB>", "fee rate", "2")
    .option("--no-mine", "leave the transaction in the mempool (the devnet's block producer mines it)")
    .option("--node <url>", "pegzone RPC, to look up a peg1... account's deposit address", "http://127.0.0.1:26657")
    .option("--mainchain <id>", "main chain id, for a peg1... account's deposit address", DEVNET_MAINCHAIN)
    .action(async (address: string, amountText: string, o: BtcFlags & { feeRate: string; mine: boolean; node: string; mainchain: string }) => {
      const rpc = bitcoinRpc(o);
      const amount = parseBtcAmount(amountText);
      let toScript: Uint8Array;
      let to = address;
      if (address.startsWith("peg1")) {
        const res = await pegQuery(new RpcClient(o.node), "DepositAddress", v1.QueryDepositAddressRequest, { mainchain: o.mainchain, recipient: address }, v1.QueryDepositAddressResponse);
        toScript = res.script ?? new Uint8Array();
        to = res.address ?? "";
        if (toScript.length === 0) throw new Error(`pegzone returned no deposit address for ${address}`);
      } else {
        toScript = regtestScript(address);
      }
      const sent = await spendMaturedCoinbases({ rpc, key: DEV_BTC, toScript, amount, feeRate: BigInt(o.feeRate), hint: "'pegzone dev btc-mine 101'" });
      let block: DisplayHash | undefined;
      if (o.mine) {
        const [mined] = await mineBlocks(rpc, 1);
        // The devnet's block producer may have mined it first, in the block before ours.
        const info = await rpc.getRawTransactionVerbose(sent.txid);
        if (info.blockhash === undefined) throw new Error(`sent ${sent.txid} but the block mined after it (${mined}) does not include it, nor does any before`);
        block = info.blockhash;
      }
      printOutput(
        {
          txid: sent.txid,
          vout: 0,
          to,
          amount: amount.toString(),
          fee: sent.fee.toString(),
          change: sent.change.toString(),
          inputs: sent.inputs.length,
          block: block ?? null,
          height: block === undefined ? null : await rpc.getBlockCount(),
        },
        format(o),
      );
    });

  addBtcFlags(dev.command("btc-mine [n]").description("mine N blocks now (default 1); their coinbases pay the dev Bitcoin key")).action(async (n: string | undefined, o: BtcFlags) => {
    const count = Number.parseInt(n ?? "1", 10);
    if (!Number.isSafeInteger(count) || count < 1) throw new Error(`block count must be a positive integer, got ${n}`);
    const rpc = bitcoinRpc(o);
    const hashes = await mineBlocks(rpc, count);
    printOutput({ mined: hashes.length, height: await rpc.getBlockCount(), tip: hashes[hashes.length - 1] }, format(o));
  });

  // btcctl, btcd's own RPC client, with a config file written from --btc-rpc: never the user's
  // ~/.btcctl/btcctl.conf (btcctl reads the passwd home's, whatever $HOME says; see btcctlArgs).
  dev.enablePositionalOptions();
  dev
    .command("btcctl [args...]")
    .description("run btcctl (built into .bin/ by 'npm run deps') against the devnet btcd, e.g. 'pegzone dev btcctl getblockchaininfo': its RPC server and credentials come from --btc-rpc in a config file passed with --configfile, so no btcctl.conf of yours is read")
    .option("--btc-rpc <url>", "the devnet btcd's JSON-RPC URL, credentials included (plain http)", devnetBtcRpcUrl(BTCD_REGTEST_RPC_PORT))
    .option("--btc-rpc-user <user>", "RPC user (default: from the URL)")
    .option("--btc-rpc-password <password>", "RPC password (default: from the URL or PEGZONE_BTC_RPC_PASSWORD)")
    .passThroughOptions()
    .allowUnknownOption()
    .action((args: string[], o: Omit<BtcFlags, "output">) => {
      const dir = mkdtempSync(join(tmpdir(), "pegzone-btcctl-"));
      try {
        const configFile = join(dir, "btcctl.conf");
        writeBtcctlConfig(configFile, btcctlTarget(o));
        const res = spawnSync(btcctlBinary(), btcctlArgs(configFile, args), { stdio: "inherit" });
        if (res.error) throw res.error;
        process.exitCode = res.status ?? 1;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

  dev
    .command("btc-key")
    .description("the dev Bitcoin key: its WIF, public key and regtest address (public; development only)")
    .option("--output <format>", "text or json", "text")
    .action((o: { output: string }) => {
      printOutput({ address: DEV_BTC.address, wif: DEV_BTC.wif, pubkey: Buffer.from(DEV_BTC.publicKey).toString("hex"), script: Buffer.from(DEV_BTC.script).toString("hex") }, format(o));
    });
}
