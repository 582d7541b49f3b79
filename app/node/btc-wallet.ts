/**
 * Spending a regtest key's matured coinbases, signed with @scure/btc-signer: the one implementation
 * behind the devnet's `pegzone dev btc-send` (the dev Bitcoin key, app/cli/dev.ts) and the tests'
 * Bitcoin wallet (a fixed test key, test/btc-wallet.ts). For regtest keys only.
 *
 * btcd has no wallet, so coins are found by scanning the chain: the raw blocks from height 1 (parsed
 * with the light client), each coinbase output paying the key's P2WPKH script, oldest first, that is
 * unspent in the chain (`gettxout`) and not spent by a mempool transaction either
 * (`gettxspendingprevout`; btcd's `gettxout` ignores the mempool). No index beyond `--txindex` is
 * needed, and no local state: two spends in a row without a block in between pick different coinbases.
 */
import * as btc from "@scure/btc-signer";
import { bytesEqual } from "../../chain/store/bytes";
import { fromHex, toDisplayHex } from "../../light-client/bitcoin/bytes";
import { parseBlock } from "../../light-client/bitcoin/block";
import type { BitcoinRpcClient, DisplayHash } from "../../relayer/bitcoin-rpc";
import { publicKeyFromPrivate } from "../../chain/crypto/secp256k1";
import { ADDRESS_NETWORKS } from "../../modules/peg/bitcoin/address";
import { DUST_LIMIT } from "../../modules/peg/bitcoin/policy";

/** Regtest address and key prefixes, as the peg reads withdrawal addresses. */
export const REGTEST_NETWORK: typeof btc.TEST_NETWORK = ADDRESS_NETWORKS.regtest;

/** Blocks before a coinbase can be spent (Core's COINBASE_MATURITY; the same in regtest). */
export const COINBASE_MATURITY = 100;

/** A key whose coinbases can be spent: its P2WPKH output script and regtest address. */
export interface CoinbaseKey {
  /** 32 bytes. */
  readonly privateKey: Uint8Array;
  /** Compressed, 33 bytes. */
  readonly publicKey: Uint8Array;
  /** P2WPKH output script: OP_0 <20-byte key hash>. */
  readonly script: Uint8Array;
  /** bcrt1q... address of `script` (btcd's --miningaddr, so coinbases pay it). */
  readonly address: string;
}

/** The P2WPKH regtest key of a 32-byte private key. */
export function regtestP2wpkhKey(privateKey: Uint8Array): CoinbaseKey {
  const publicKey = publicKeyFromPrivate(privateKey);
  const payment = btc.p2wpkh(publicKey, REGTEST_NETWORK);
  return Object.freeze({ privateKey, publicKey, script: payment.script, address: payment.address! });
}

export interface CoinbaseUtxo {
  /** Display hex, as RPCs print it. */
  readonly txid: DisplayHash;
  readonly vout: number;
  /** Satoshis. */
  readonly value: bigint;
  readonly height: number;
}

/** Inputs one spend may take. */
const MAX_INPUTS = 500;

/** A generous vsize estimate of a transaction spending `inputs` P2WPKH outputs into `outputs` outputs (P2WSH or smaller). */
function estimateVsize(inputs: number, outputs: number): bigint {
  return BigInt(11 + 68 * inputs + 43 * outputs);
}

/**
 * Coinbase outputs paying `script` that can be spent in the next block (mined at least
 * COINBASE_MATURITY blocks before it) and are unspent in the chain and the mempool, oldest first,
 * until `enough(selected)` says so (all of them if it never does). Scans from height 1.
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

export interface CoinbaseSpend {
  /** Display hex. */
  readonly txid: DisplayHash;
  /** The signed transaction, wire order (with witness). */
  readonly raw: Uint8Array;
  /** The coinbase outputs spent, oldest first. */
  readonly inputs: readonly CoinbaseUtxo[];
  /** Index of the `toScript` output (always 0; change, if any, is output 1). */
  readonly vout: 0;
  readonly fee: bigint;
  /** Back to the key's script as output 1; 0 when below the dust limit (then it went to the fee). */
  readonly change: bigint;
}

/**
 * Pays `amount` sats to `toScript` (output 0) from the oldest matured unspent coinbases of `key`
 * (as few as cover it, at most 500), with the change back to the key's script (dropped into the fee
 * when below the dust limit), and broadcasts it with `sendrawtransaction`. The caller mines a block
 * to confirm it. The fee is `feeSats` if given, else `feeRate` sat/vB (default 2) of a generous size
 * estimate. `hint` ends the error when no coinbase is spendable (how to mine some).
 */
export async function spendMaturedCoinbases(o: {
  rpc: BitcoinRpcClient;
  key: CoinbaseKey;
  toScript: Uint8Array;
  amount: bigint;
  feeRate?: bigint;
  feeSats?: bigint;
  hint?: string;
}): Promise<CoinbaseSpend> {
  const { feeSats } = o;
  const feeRate = o.feeRate ?? 2n;
  if (feeSats !== undefined && o.feeRate !== undefined) throw new RangeError("give feeSats or feeRate, not both");
  if (o.amount <= 0n || feeRate < 1n || (feeSats !== undefined && feeSats < 0n)) throw new RangeError(`bad amount ${o.amount} or fee (${feeSats ?? `${feeRate} sat/vB`})`);
  const feeFor = (inputs: number) => feeSats ?? feeRate * estimateVsize(inputs, 2);
  const total = (us: readonly CoinbaseUtxo[]) => us.reduce((s, u) => s + u.value, 0n);
  const inputs = await findMaturedCoinbases(o.rpc, o.key.script, (us) => total(us) >= o.amount + feeFor(us.length) || us.length >= MAX_INPUTS);
  const fee = feeFor(inputs.length);
  if (total(inputs) < o.amount + fee) {
    throw new Error(
      inputs.length === 0
        ? `no matured unspent coinbase pays ${o.key.address}: mine at least ${COINBASE_MATURITY + 1} blocks to it first${o.hint ? ` (${o.hint})` : ""}`
        : `the matured coinbases of ${o.key.address} (${inputs.length}, ${total(inputs)} sats) do not cover ${o.amount} + fee ${fee} sats`,
    );
  }
  const tx = new btc.Transaction();
  // btc-signer takes the txid in display order (the bytes of the hex RPCs print) and reverses it when serializing.
  for (const u of inputs) tx.addInput({ txid: fromHex(u.txid), index: u.vout, witnessUtxo: { script: o.key.script, amount: u.value } });
  tx.addOutput({ script: o.toScript, amount: o.amount });
  let change = total(inputs) - o.amount - fee;
  if (change >= DUST_LIMIT) tx.addOutput({ script: o.key.script, amount: change });
  else change = 0n;
  tx.sign(o.key.privateKey);
  tx.finalize();
  const raw = tx.extract();
  const txid = await o.rpc.sendRawTransaction(raw);
  if (txid !== tx.id) throw new Error(`the node reports txid ${txid}, built ${tx.id}`);
  return { txid, raw, inputs, vout: 0, fee: total(inputs) - o.amount - change, change };
}
