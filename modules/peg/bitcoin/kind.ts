/**
 * The bitcoin main-chain kind. A deposit address is a P2WSH output whose witness script names the
 * pegzone recipient and then requires signatures of the federation's members worth at least the
 * threshold:
 *
 *   <recipient: 20 bytes> OP_DROP
 *   <pk_1> OP_CHECKSIG OP_IF <w_1> OP_ELSE 0 OP_ENDIF
 *   OP_SWAP <pk_i> OP_CHECKSIG OP_IF <w_i> OP_ELSE 0 OP_ENDIF OP_ADD      (for i = 2..n)
 *   <threshold> OP_GREATERTHANOREQUAL
 *
 * Spent with the witness [sig_n | <>, ..., sig_1 | <>, witness script]: an empty item for each
 * member that does not sign. Weights make CHECKMULTISIG unusable; every opcode here is standard in
 * P2WSH. Any wallet that can pay a bech32 address can deposit; nobody but the federation can spend.
 */
import { Address, OutScript, Script, type ScriptType } from "@scure/btc-signer";
import { sha256 } from "@noble/hashes/sha2.js";
import { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import { isValidCompressedPubkey } from "../../../chain/crypto/secp256k1";
import { bitcoinLightClient } from "../../../light-client/bitcoin/client";
import type { DepositAddress, Federation, MainChainKind } from "../kinds";
import {
  assembleSignedRelease,
  type BitcoinNetwork,
  buildRelease,
  buildSweep,
  DUST_LIMIT,
  MAX_RELEASE_INPUTS,
  maxSignatures,
  parseWithdrawalAddress,
  releaseSighashes,
  verifyReleaseSignature,
} from "./release";

/** Address encodings of the networks the light client knows. */
const ADDRESS_NETWORKS: Record<string, { bech32: string; pubKeyHash: number; scriptHash: number; wif: number }> = {
  mainnet: { bech32: "bc", pubKeyHash: 0x00, scriptHash: 0x05, wif: 0x80 },
  testnet3: { bech32: "tb", pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
  testnet4: { bech32: "tb", pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
  regtest: { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
};

/** Bitcoin Core's MAX_SCRIPT_ELEMENT_SIZE and the P2WSH standardness limit on witness scripts. */
const MAX_WITNESS_SCRIPT = 3600;

export function addressNetwork(network: string) {
  const n = ADDRESS_NETWORKS[network];
  if (n === undefined) throw new Error(`unknown bitcoin network ${JSON.stringify(network)} (known: ${Object.keys(ADDRESS_NETWORKS).join(", ")})`);
  return n;
}

/** The federation's weighted threshold: members' signatures worth at least `threshold`. */
function thresholdOps(federation: Federation): ScriptType {
  const ops: ScriptType = [];
  (federation.members ?? []).forEach((m, i) => {
    if (i > 0) ops.push("SWAP");
    ops.push(m.pubkey!, "CHECKSIG", "IF", m.weight!, "ELSE", 0, "ENDIF");
    if (i > 0) ops.push("ADD");
  });
  ops.push(federation.threshold!, "GREATERTHANOREQUAL");
  return ops;
}

/** The federation's weighted-threshold witness script, prefixed by the recipient it commits to. */
export function depositWitnessScript(federation: Federation, recipient: Uint8Array): Uint8Array {
  if (recipient.length !== 20) throw new Error(`recipient must be a 20-byte address, got ${recipient.length} bytes`);
  return Script.encode([recipient, "DROP", ...thresholdOps(federation)]);
}

/**
 * The federation's own reserve outputs (release change, sweeps): the threshold alone, with no
 * recipient. A deposit script always starts with a 20-byte push and this one with a 33-byte key, so
 * no recipient's deposit address is ever a reserve address: a change output cannot be claimed.
 */
export function reserveWitnessScript(federation: Federation): Uint8Array {
  return Script.encode(thresholdOps(federation));
}

function p2wshAddress(network: string, witnessScript: Uint8Array): DepositAddress {
  const hash = sha256(witnessScript);
  return { address: Address(addressNetwork(network)).encode({ type: "wsh", hash }), script: OutScript.encode({ type: "wsh", hash }), witnessScript };
}

export const bitcoinKind: MainChainKind = {
  lightClient: bitcoinLightClient,
  maxReleaseInputs: MAX_RELEASE_INPUTS,

  validateFederation(network, federation) {
    addressNetwork(network);
    const members = federation.members ?? [];
    if (members.length === 0) throw new Error("federation has no members");
    const seen = new Set<string>();
    let total = 0;
    for (const [i, m] of members.entries()) {
      const key = m.pubkey ?? new Uint8Array();
      if (key.length !== 33 || (key[0] !== 2 && key[0] !== 3)) throw new Error(`member ${i}: pubkey must be a 33-byte compressed secp256k1 key`);
      // A key off the curve can never sign: with it in the threshold the reserve could be unspendable.
      if (!isValidCompressedPubkey(key)) throw new Error(`member ${i}: pubkey ${Buffer.from(key).toString("hex")} is not a point on secp256k1`);
      const hex = Buffer.from(key).toString("hex");
      if (seen.has(hex)) throw new Error(`member ${i}: pubkey ${hex} is listed twice`);
      seen.add(hex);
      if (!Number.isInteger(m.weight) || m.weight! < 1 || m.weight! > 1000) throw new Error(`member ${i}: weight must be an integer from 1 to 1000`);
      total += m.weight!;
    }
    const threshold = federation.threshold ?? 0;
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > total)
      throw new Error(`threshold ${threshold} must be between 1 and the total weight ${total}`);
    // Anything reaching the threshold must be more than half the weight, or two disjoint halves could both spend.
    if (2 * threshold <= total) throw new Error(`threshold ${threshold} must be more than half the total weight ${total}`);
    const size = depositWitnessScript(federation, new Uint8Array(20)).length; // the longer of the two scripts
    if (size > MAX_WITNESS_SCRIPT) throw new Error(`the federation's witness script would be ${size} bytes, over the ${MAX_WITNESS_SCRIPT}-byte standard limit`);
  },

  validateAmounts({ pegInFee, minWithdrawal, maxFee }) {
    if (pegInFee < DUST_LIMIT) throw new Error(`peg_in_fee must be at least the dust limit ${DUST_LIMIT}: the surplus it builds pays change too small to keep`);
    // A lone withdrawal pays the whole fee and must still leave a spendable output.
    if (minWithdrawal <= maxFee + DUST_LIMIT) throw new Error(`min_withdrawal must exceed max_fee + ${DUST_LIMIT}`);
  },

  depositAddress(network, federation, recipient): DepositAddress {
    return p2wshAddress(network, depositWitnessScript(federation, recipient));
  },

  withdrawalScript(network, address) {
    addressNetwork(network);
    return parseWithdrawalAddress(network as BitcoinNetwork, address);
  },

  reserveAddress(network, federation): DepositAddress {
    return p2wshAddress(network, reserveWitnessScript(federation));
  },

  buildRelease({ utxos, payments, feeRate, maxFee, federation, changeFederation }) {
    const changeWitnessScript = reserveWitnessScript(changeFederation ?? federation);
    // The inputs are the signing federation's: its members and threshold size their witnesses.
    const signersPerInput = maxSignatures(reserveWitnessScript(federation));
    if (payments.length === 0) return buildSweep({ utxos, feeRate, maxFee, changeWitnessScript, signersPerInput });
    return buildRelease({ utxos, payments, feeRate, maxFee, changeWitnessScript, signersPerInput });
  },

  releaseDigests(release) {
    return releaseSighashes(release);
  },

  verifySignature(pubkey, digest, signature) {
    return verifyReleaseSignature(pubkey, digest, signature);
  },

  assembleRelease(release, federation, signatures) {
    return assembleSignedRelease(release, (federation.members ?? []).map((m) => m.pubkey!), signatures);
  },

  denomMetadata(mainchainId) {
    const base = `peg/${mainchainId}`;
    return Metadata.fromPartial({
      description: `Bitcoin locked with the pegzone federation on ${mainchainId}, in satoshi`,
      base,
      display: `${base}/btc`,
      name: `Pegged bitcoin (${mainchainId})`,
      symbol: "pBTC",
      denomUnits: [
        { denom: base, exponent: 0, aliases: [`${base}/sat`] },
        { denom: `${base}/btc`, exponent: 8, aliases: [] },
      ],
    });
  },
};
