/**
 * `pegzone dev ...`: helpers for the devnet's regtest Bitcoin (see chain/cli/devnet.ts). They spend
 * and mine with the public dev Bitcoin key: for development only.
 *
 *   btc-send ADDRESS AMOUNT   pay a regtest address (or a pegzone account's deposit address) from the
 *                             dev key's matured coinbases, then mine a block
 *   btc-mine [N]              mine N blocks now (coinbases to the dev key)
 *
 * btcd has no wallet, so coins are found by scanning the chain: the coinbase outputs paying the dev
 * key's script, oldest first, that are unspent in the chain (`gettxout`) and not spent by a mempool
 * transaction either (`gettxspendingprevout`; btcd's `gettxout` ignores the mempool). No local state:
 * two sends in a row without a block in between pick different coinbases.
 */
import * as btc from "@scure/btc-signer";
import type { Command } from "commander";
import { bytesEqual, fromHex, toDisplayHex } from "../../light-client/bitcoin/bytes";
import { parseBlock } from "../../light-client/bitcoin/block";
import { pegzone } from "../../proto";
import type { BitcoinRpcClient, DisplayHash } from "../../relayer/bitcoin-rpc";
import { BTCD_REGTEST_RPC_PORT } from "../node/btcd";
import { COINBASE_MATURITY, DEV_BTC, DEVNET_MAINCHAIN, devnetBtcRpcUrl, mineBlocks, REGTEST_NETWORK } from "./devnet";
import { printOutput } from "./output";
import { pegQuery } from "./peg";
import { bitcoinRpc } from "./relayer";
import { RpcClient } from "./rpc-client";

const v1 = pegzone.peg.v1;

export interface CoinbaseUtxo {
  /** Display hex, as RPCs print it. */
  readonly txid: DisplayHash;
  readonly vout: number;
  /** Satoshis. */
  readonly value: bigint;
  readonly height: number;
}

/** Outputs below this many sats are not worth a change output (Core's dust limit for P2WPKH is 294). */
const CHANGE_DUST = 546n;
/** Inputs one send may spend. */
const MAX_INPUTS = 500;

/** A generous vsize estimate of a transaction spending `inputs` P2WPKH outputs into `outputs` outputs (P2WSH or smaller). */
function estimateVsize(inputs: number, outputs: number): bigint {
  return BigInt(11 + 68 * inputs + 43 * outputs);
}

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

/**
 * Coinbase outputs paying `script` that can be spent in the next block (mined at least
 * COINBASE_MATURITY blocks before it) and are unspent in the chain and the mempool, oldest first,
 * until `enough(selected)` says so. Scans from height 1.
 */
export async function findMaturedCoinbases(rpc: BitcoinRpcClient, script: Uint8Array, enough: (selected: readonly CoinbaseUtxo[]) => boolean): Promise<CoinbaseUtxo[]> {
  const tip = await rpc.getBlockCount();
  const found: CoinbaseUtxo[] = [];
  // Spendable in block tip + 1 when (tip + 1) - height >= COINBASE_MATURITY.
  for (let height = 1; height <= tip + 1 - COINBASE_MATURITY; height++) {
    const coinbase = parseBlock(await rpc.getBlockRaw(await rpc.getBlockHash(height))).transactions[0];
    const txid = toDisplayHex(coinbase.txid);
    for (let vout = 0; vout < coinbase.outputs.length; vout++) {
      const out = coinbase.outputs[vout];
      if (out.value === 0n || !bytesEqual(out.scriptPubKey, script)) continue;
      if ((await rpc.getTxOut(txid, vout, false)) === null) continue;
      const [spending] = await rpc.getTxSpendingPrevOut([{ txid, vout }]);
      if (spending?.spendingtxid !== undefined) continue;
      found.push({ txid, vout, value: out.value, height });
      if (enough(found)) return found;
    }
  }
  return found;
}

export interface SendResult {
  readonly txid: DisplayHash;
  /** The signed transaction, wire order (with witness). */
  readonly raw: Uint8Array;
  readonly inputs: readonly CoinbaseUtxo[];
  readonly fee: bigint;
  /** Back to the dev key as output 1; 0 when below the dust limit (then it went to the fee). */
  readonly change: bigint;
}

/**
 * Pays `amount` sats to `toScript` (output 0) from matured coinbases of the dev Bitcoin key, at
 * `feeRate` sat/vB, with the change back to the dev key, and broadcasts it. The caller mines.
 */
export async function sendFromDevCoinbases(o: { rpc: BitcoinRpcClient; toScript: Uint8Array; amount: bigint; feeRate?: bigint }): Promise<SendResult> {
  const feeRate = o.feeRate ?? 2n;
  if (o.amount <= 0n || feeRate < 1n) throw new RangeError(`bad amount ${o.amount} or fee rate ${feeRate}`);
  const feeFor = (inputs: number) => feeRate * estimateVsize(inputs, 2);
  const total = (us: readonly CoinbaseUtxo[]) => us.reduce((s, u) => s + u.value, 0n);
  const inputs = await findMaturedCoinbases(o.rpc, DEV_BTC.script, (us) => total(us) >= o.amount + feeFor(us.length) || us.length >= MAX_INPUTS);
  const fee = feeFor(inputs.length);
  if (total(inputs) < o.amount + fee) {
    throw new Error(
      inputs.length === 0
        ? `no matured unspent coinbase pays ${DEV_BTC.address}: mine at least ${COINBASE_MATURITY + 1} blocks to it first ('pegzone dev btc-mine 101')`
        : `the dev key's matured coinbases (${inputs.length}, ${total(inputs)} sats) do not cover ${o.amount} + fee ${fee} sats`,
    );
  }
  const tx = new btc.Transaction();
  // btc-signer takes the txid in display order (the bytes of the hex RPCs print) and reverses it when serializing.
  for (const u of inputs) tx.addInput({ txid: fromHex(u.txid), index: u.vout, witnessUtxo: { script: DEV_BTC.script, amount: u.value } });
  tx.addOutput({ script: o.toScript, amount: o.amount });
  let change = total(inputs) - o.amount - fee;
  if (change >= CHANGE_DUST) tx.addOutput({ script: DEV_BTC.script, amount: change });
  else change = 0n;
  tx.sign(DEV_BTC.privateKey);
  tx.finalize();
  const raw = tx.extract();
  const txid = await o.rpc.sendRawTransaction(raw);
  if (txid !== tx.id) throw new Error(`the node reports txid ${txid}, built ${tx.id}`);
  return { txid, raw, inputs, fee: total(inputs) - o.amount - change, change };
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
      const sent = await sendFromDevCoinbases({ rpc, toScript, amount, feeRate: BigInt(o.feeRate) });
      let block: DisplayHash | undefined;
      if (o.mine) {
        [block] = await mineBlocks(rpc, 1);
        const info = await rpc.getRawTransactionVerbose(sent.txid);
        if (info.blockhash !== block) throw new Error(`sent ${sent.txid} but the block mined after it (${block}) does not include it`);
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

  dev
    .command("btc-key")
    .description("the dev Bitcoin key: its WIF, public key and regtest address (public; development only)")
    .option("--output <format>", "text or json", "text")
    .action((o: { output: string }) => {
      printOutput({ address: DEV_BTC.address, wif: DEV_BTC.wif, pubkey: Buffer.from(DEV_BTC.publicKey).toString("hex"), script: Buffer.from(DEV_BTC.script).toString("hex") }, format(o));
    });
}
