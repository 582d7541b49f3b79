/**
 * A deterministic Bitcoin test wallet for regtest: one secp256k1 key from a fixed seed, its P2WPKH
 * address (btcd's `--miningaddr`, so coinbases pay it), and `spendCoinbase` to fund arbitrary output
 * scripts (e.g. a peg's P2WSH deposit address) from matured coinbases.
 *
 * Finding and spending the coinbases is app/node/btc-wallet.ts, the same code the devnet's
 * `pegzone dev btc-send` spends the dev key's coinbases with: oldest first, unspent in the chain and
 * not spent in the mempool, no local state (two spends in a row without mining in between pick
 * different coinbases).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { type CoinbaseSpend, type CoinbaseUtxo, COINBASE_MATURITY, findMaturedCoinbases, REGTEST_NETWORK, regtestP2wpkhKey, spendMaturedCoinbases } from "../../app/node/btc-wallet";
import type { BitcoinRpcClient } from "../../relayer/bitcoin-rpc";

export { COINBASE_MATURITY, REGTEST_NETWORK, type CoinbaseUtxo };

/** A deterministic test key: private key = sha256("pegzone test key: " + label), with its P2WPKH regtest script and address. Never use outside regtest. */
export function testKey(label: string) {
  return regtestP2wpkhKey(sha256(new TextEncoder().encode(`pegzone test key: ${label}`)));
}

const main = testKey("btc-wallet");
/** The wallet's private key (32 bytes) and compressed public key (33 bytes). */
export const TEST_PRIVATE_KEY: Uint8Array = main.privateKey;
export const TEST_PUBLIC_KEY: Uint8Array = main.publicKey;
/** P2WPKH output script of the test key: OP_0 <20-byte key hash>. */
export const TEST_SCRIPT: Uint8Array = main.script;
/** bcrt1q... address of TEST_SCRIPT; btcd accepts it as --miningaddr. */
export const TEST_ADDRESS: string = main.address;

/**
 * The oldest coinbase output paying TEST_SCRIPT that can be spent in the next block (mined at least
 * COINBASE_MATURITY blocks before it) and is not spent in the chain or the mempool; undefined if none.
 */
export async function findMaturedCoinbase(rpc: BitcoinRpcClient): Promise<CoinbaseUtxo | undefined> {
  return (await findMaturedCoinbases(rpc, TEST_SCRIPT, () => true))[0];
}

export interface SpendResult extends CoinbaseSpend {
  /** The (oldest) coinbase output spent: the only one unless one did not cover amount + fee. */
  readonly spent: CoinbaseUtxo;
}

/**
 * Pay `amount` sats to `toScript` (output 0) from the test key's oldest matured coinbase (more if one
 * does not cover it), with `feeSats` fee (default 1,000) and the rest back to TEST_SCRIPT (dropped
 * into the fee when below the dust limit), and broadcast it. The caller mines a block to confirm it.
 * Mine at least COINBASE_MATURITY + 1 blocks to TEST_ADDRESS first.
 */
export async function spendCoinbase(o: { rpc: BitcoinRpcClient; toScript: Uint8Array; amount: bigint; feeSats?: bigint }): Promise<SpendResult> {
  const sp = await spendMaturedCoinbases({ rpc: o.rpc, key: main, toScript: o.toScript, amount: o.amount, feeSats: o.feeSats ?? 1_000n });
  return { ...sp, spent: sp.inputs[0] };
}
