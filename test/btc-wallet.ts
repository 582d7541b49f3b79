/**
 * A deterministic Bitcoin test wallet for regtest: one secp256k1 key from a fixed seed, its P2WPKH
 * address (btcd's `--miningaddr`, so coinbases pay it), and `spendCoinbase` to fund arbitrary output
 * scripts (e.g. a peg's P2WSH deposit address) from matured coinbases, signed by @scure/btc-signer.
 *
 * btcd has no wallet, so coins are found by scanning the chain: `findMaturedCoinbase` walks the raw
 * blocks from height 1 (`getblock hash 0`, parsed with the light client), takes each coinbase output
 * paying the test key's script, and keeps the first one that is unspent in the chain (`gettxout`) and
 * not spent by a mempool transaction either (`gettxspendingprevout`; btcd's `gettxout` ignores the
 * mempool). No index beyond `--txindex` is needed, and no local state: two spends in a row without
 * mining in between pick different coinbases.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import * as btc from "@scure/btc-signer";
import { bytesEqual, fromHex, toDisplayHex } from "../light-client/bitcoin/bytes";
import { parseBlock } from "../light-client/bitcoin/block";
import type { BitcoinRpcClient, DisplayHash } from "../relayer/bitcoin-rpc";

/** Regtest address and key prefixes (Core's chainparams: bech32 "bcrt", base58 as testnet). */
export const REGTEST_NETWORK: typeof btc.TEST_NETWORK = Object.freeze({ bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef });

/** Blocks a coinbase output must wait before it can be spent (Core's COINBASE_MATURITY; same in regtest). */
export const COINBASE_MATURITY = 100;

/** A deterministic test key: private key = sha256("pegzone test key: " + label). Never use outside regtest. */
export function testKey(label: string): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = sha256(new TextEncoder().encode(`pegzone test key: ${label}`));
  return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, true) };
}

const main = testKey("btc-wallet");
/** The wallet's private key (32 bytes) and compressed public key (33 bytes). */
export const TEST_PRIVATE_KEY: Uint8Array = main.privateKey;
export const TEST_PUBLIC_KEY: Uint8Array = main.publicKey;
const payment = btc.p2wpkh(TEST_PUBLIC_KEY, REGTEST_NETWORK);
/** P2WPKH output script of the test key: OP_0 <20-byte key hash>. */
export const TEST_SCRIPT: Uint8Array = payment.script;
/** bcrt1q... address of TEST_SCRIPT; btcd accepts it as --miningaddr. */
export const TEST_ADDRESS: string = payment.address;

export interface CoinbaseUtxo {
  /** Display hex, as RPCs print it. */
  readonly txid: DisplayHash;
  readonly vout: number;
  /** Satoshis. */
  readonly value: bigint;
  readonly height: number;
}

/**
 * The oldest coinbase output paying TEST_SCRIPT that can be spent in the next block (mined at least
 * COINBASE_MATURITY blocks before it) and is not spent in the chain or the mempool; undefined if none.
 */
export async function findMaturedCoinbase(rpc: BitcoinRpcClient): Promise<CoinbaseUtxo | undefined> {
  const tip = await rpc.getBlockCount();
  // Spendable in block tip + 1 when (tip + 1) - height >= COINBASE_MATURITY.
  for (let height = 1; height <= tip + 1 - COINBASE_MATURITY; height++) {
    const block = parseBlock(await rpc.getBlockRaw(await rpc.getBlockHash(height)));
    const coinbase = block.transactions[0];
    const txid = toDisplayHex(coinbase.txid);
    for (let vout = 0; vout < coinbase.outputs.length; vout++) {
      const out = coinbase.outputs[vout];
      if (out.value === 0n || !bytesEqual(out.scriptPubKey, TEST_SCRIPT)) continue;
      if ((await rpc.getTxOut(txid, vout, false)) === null) continue;
      const [spending] = await rpc.getTxSpendingPrevOut([{ txid, vout }]);
      if (spending?.spendingtxid !== undefined) continue;
      return { txid, vout, value: out.value, height };
    }
  }
  return undefined;
}

/** Outputs below this many sats are not worth a change output (Core's dust limit for P2WPKH is 294). */
const CHANGE_DUST = 546n;

export interface SpendResult {
  /** Display hex. */
  readonly txid: DisplayHash;
  /** The signed transaction, wire order (with witness). */
  readonly raw: Uint8Array;
  /** The coinbase output spent. */
  readonly spent: CoinbaseUtxo;
  /** Index of the `toScript` output (always 0; change, if any, is output 1). */
  readonly vout: number;
  readonly change: bigint;
}

/**
 * Pay `amount` sats to `toScript` from a matured coinbase of the test key, with `feeSats` fee and the
 * rest back to TEST_SCRIPT (dropped into the fee when below the dust limit), and broadcast it with
 * `sendrawtransaction`. The caller mines a block to confirm it. Mine at least COINBASE_MATURITY + 1
 * blocks to TEST_ADDRESS first.
 */
export async function spendCoinbase(o: { rpc: BitcoinRpcClient; toScript: Uint8Array; amount: bigint; feeSats?: bigint }): Promise<SpendResult> {
  const fee = o.feeSats ?? 1_000n;
  if (o.amount <= 0n || fee < 0n) throw new RangeError(`bad amount ${o.amount} or fee ${fee}`);
  const utxo = await findMaturedCoinbase(o.rpc);
  if (utxo === undefined) throw new Error(`no matured unspent coinbase pays ${TEST_ADDRESS}: mine at least ${COINBASE_MATURITY + 1} blocks to it first`);
  let change = utxo.value - o.amount - fee;
  if (change < 0n) throw new RangeError(`coinbase ${utxo.txid}:${utxo.vout} holds ${utxo.value} sats, less than ${o.amount} + fee ${fee}`);

  const tx = new btc.Transaction();
  // btc-signer takes the txid in display order (the bytes of the hex RPCs print) and reverses it when serializing.
  tx.addInput({ txid: fromHex(utxo.txid), index: utxo.vout, witnessUtxo: { script: TEST_SCRIPT, amount: utxo.value } });
  tx.addOutput({ script: o.toScript, amount: o.amount });
  if (change >= CHANGE_DUST) tx.addOutput({ script: TEST_SCRIPT, amount: change });
  else change = 0n;
  tx.sign(TEST_PRIVATE_KEY);
  tx.finalize();
  const raw = tx.extract();
  const txid = await o.rpc.sendRawTransaction(raw);
  if (txid !== tx.id) throw new Error(`node reports txid ${txid}, built ${tx.id}`);
  return { txid, raw, spent: utxo, vout: 0, change };
}
