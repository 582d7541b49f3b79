/**
 * The bitcoin main-chain kind: the peg's `MainChainKind` for Bitcoin, putting together the pieces of
 * the release protocol, none of which imports this file. Deposits pay the P2WSH of a federation
 * witness script (script.ts); withdrawals pay a standard address (address.ts); a release selects
 * reserve outputs and sizes its fee (utxo.ts), is built as an unsigned transaction (release.ts) and
 * signed by the federation (sign.ts), within Bitcoin Core's relay policy (policy.ts). The peg's flow
 * (`bitcoinFlow`, a `PegFlow`) keys deposits and reserve entries by outpoint and carries proofs and
 * reserve data as this kind's protobufs (peg-flow.ts); deposits and releases are proven by the light
 * client. All of it is pure: no clock, no randomness, no floats, no iteration over unordered
 * collections; amounts are BigInt; every bad release input throws a `ReleaseError` (errors.ts), and
 * every refused proof an error with a `reason` (BitcoinProofError, or the light client's), saying
 * what is wrong.
 */
import { Address, OutScript } from "@scure/btc-signer";
import { sha256 } from "@noble/hashes/sha2.js";
import { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import { isValidCompressedPubkey } from "../../../chain/crypto/secp256k1";
import { bytesEqual } from "../../../chain/store/bytes";
import { bitcoinLightClient } from "../../../light-client/bitcoin/client";
import type { LightClientConfig } from "../../../light-client/bitcoin/types";
import { pegzone } from "../../../proto";
import type { BuiltRelease, DepositAddress, Federation, MainChainKind, PegFlow, ProvenDeposit, ReserveEntryView } from "../kinds";
import { bitcoinParams, bitcoinParamsCodec } from "./params";
import { addressNetwork, type BitcoinNetwork, parseWithdrawalAddress } from "./address";
import { DUST_LIMIT, MAX_WITNESS_SCRIPT_SIZE } from "./policy";
import {
  BitcoinProofError,
  decodeDepositProof,
  decodeTxProof,
  DEPOSIT_PROOF_TYPE,
  entryUtxo,
  outpointDisplayId,
  outpointId,
  parseDepositId,
  releaseTxOf,
  RESERVE_OUTPUT_TYPE,
  reserveOutputData,
  TX_PROOF_TYPE,
  utxoEntry,
} from "./peg-flow";
import { buildRelease, buildSweep } from "./release";
import { depositWitnessScript, maxSignatures, reserveWitnessScript } from "./script";
import { assembleSignedRelease, releaseSighashes, verifyReleaseSignature } from "./sign";
import { MAX_RELEASE_INPUTS } from "./utxo";

type MainChain = pegzone.peg.v1.IMainChain;

function p2wshAddress(network: string, witnessScript: Uint8Array): DepositAddress {
  const hash = sha256(witnessScript);
  return { address: Address(addressNetwork(network)).encode({ type: "wsh", hash }), script: OutScript.encode({ type: "wsh", hash }), witnessScript };
}

/** Throws an Error saying which settings of a registration Bitcoin cannot honour. */
function validate(chain: MainChain): void {
  const p = bitcoinParams(chain);
  addressNetwork(p.network);
  if (!Number.isInteger(p.confirmations) || p.confirmations < 1) throw new Error("confirmations must be at least 1");
  // A claimed deposit can only be orphaned by a reorg at least `confirmations` deep, and any reorg deeper
  // than reorg_limit freezes the peg: so no orphaned deposit can ever stay minted unnoticed.
  if (!(p.reorgLimit >= 1 && p.reorgLimit < p.confirmations)) throw new Error("reorg_limit must be at least 1 and below confirmations");
  if (!/^[1-9][0-9]{0,30}$/.test(p.feeRate)) throw new Error(`fee_rate ${JSON.stringify(p.feeRate)} must be an integer of at least 1`);
  const pegInFee = BigInt(chain.pegInFee ?? "0");
  if (pegInFee < DUST_LIMIT) throw new Error(`peg_in_fee must be at least the dust limit ${DUST_LIMIT}: the surplus it builds pays change too small to keep`);
  // A lone withdrawal pays the whole fee and must still leave a spendable output.
  if (BigInt(chain.minWithdrawal ?? "0") <= BigInt(chain.maxFee ?? "0") + DUST_LIMIT) throw new Error(`min_withdrawal must exceed max_fee + ${DUST_LIMIT}`);
}

function validateFederation(chain: MainChain, federation: Federation): void {
  addressNetwork(bitcoinParams(chain).network);
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
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > total) throw new Error(`threshold ${threshold} must be between 1 and the total weight ${total}`);
  // Anything reaching the threshold must be more than half the weight, or two disjoint halves could both spend.
  if (2 * threshold <= total) throw new Error(`threshold ${threshold} must be more than half the total weight ${total}`);
  const size = depositWitnessScript(federation, new Uint8Array(20)).length; // the longer of the two scripts
  if (size > MAX_WITNESS_SCRIPT_SIZE) throw new Error(`the federation's witness script would be ${size} bytes, over the ${MAX_WITNESS_SCRIPT_SIZE}-byte standard limit`);
}

/** The light client's settings of a registered bitcoin chain. */
function clientConfig(chain: MainChain): LightClientConfig {
  const p = bitcoinParams(chain);
  return { network: p.network, reorgLimit: p.reorgLimit, pruneWindow: p.pruneWindow };
}

/** Index in `federations` of the first whose address (by `address`) has output script `script`; −1: none. */
function federationPaying(federations: readonly Federation[], script: Uint8Array, address: (f: Federation) => DepositAddress): number {
  return federations.findIndex((f) => bytesEqual(address(f).script, script));
}

export const bitcoinFlow: PegFlow = {
  maxReleaseInputs: MAX_RELEASE_INPUTS,
  sequential: false,
  consolidates: true,
  depositProofType: DEPOSIT_PROOF_TYPE,
  releaseProofType: TX_PROOF_TYPE,
  reserveDataType: RESERVE_OUTPUT_TYPE,

  async proveDeposit(store, chain, proof, recipient, federations): Promise<ProvenDeposit> {
    const { vout, ...inclusion } = decodeDepositProof(proof);
    const proven = await bitcoinLightClient.proveTransaction(store, clientConfig(chain), inclusion);
    const output = proven.outputs[vout];
    if (output === undefined) throw new BitcoinProofError("no-such-output", `transaction ${proven.txid} has no output ${vout}`);
    const federationIndex = federationPaying(federations, output.script, (f) => bitcoinFlow.depositAddress(chain, f, recipient));
    const reserveIndex = federationPaying(federations, output.script, (f) => bitcoinFlow.reserveAddress(chain, f));
    const witnessScript = federationIndex >= 0 ? depositWitnessScript(federations[federationIndex], recipient) : new Uint8Array(0);
    return {
      id: outpointId(proven.txid, vout),
      displayId: outpointDisplayId(proven.txid, vout),
      value: output.value,
      blockHash: proven.blockHash,
      blockHeight: proven.height,
      confirmations: proven.confirmations,
      required: bitcoinParams(chain).confirmations,
      federationIndex,
      reserveIndex,
      pays: `script ${Buffer.from(output.script).toString("hex")}`,
      data: reserveOutputData(output.script, witnessScript),
    };
  },

  async proveRelease(stores, chain, proof) {
    const proven = await bitcoinLightClient.proveTransaction(stores.client, clientConfig(chain), decodeTxProof(proof));
    return [{ txid: proven.txid, outcome: "confirmed", confirmations: proven.confirmations, required: bitcoinParams(chain).confirmations }];
  },

  parseDepositId,

  feeRate: (chain) => BigInt(bitcoinParams(chain).feeRate),

  depositAddress(chain, federation, recipient): DepositAddress {
    return p2wshAddress(bitcoinParams(chain).network, depositWitnessScript(federation, recipient));
  },

  withdrawalScript(chain, address) {
    const network = bitcoinParams(chain).network;
    addressNetwork(network);
    return parseWithdrawalAddress(network as BitcoinNetwork, address);
  },

  reserveAddress(chain, federation): DepositAddress {
    return p2wshAddress(bitcoinParams(chain).network, reserveWitnessScript(federation));
  },

  buildRelease({ entries, payments, feeRate, maxFee, federation, changeFederation }): BuiltRelease {
    const changeWitnessScript = reserveWitnessScript(changeFederation ?? federation);
    // The inputs are the signing federation's: its members and threshold size their witnesses.
    const signersPerInput = maxSignatures(reserveWitnessScript(federation));
    const byOutpoint = new Map<string, ReserveEntryView>();
    const utxos = entries.map((e) => {
      const u = entryUtxo(e);
      byOutpoint.set(outpointDisplayId(u.txid, u.vout), e);
      return u;
    });
    const built =
      payments.length === 0
        ? buildSweep({ utxos, feeRate, maxFee, changeWitnessScript, signersPerInput })
        : buildRelease({ utxos, payments, feeRate, maxFee, changeWitnessScript, signersPerInput });
    const change = built.change;
    return {
      payload: built.tx,
      txid: built.txid,
      inputs: built.inputs.map((u) => byOutpoint.get(outpointDisplayId(u.txid, u.vout))!),
      outputs: built.outputs,
      fee: built.fee,
      ...(change
        ? { change: utxoEntry({ txid: built.txid, vout: change.vout, value: change.value, witnessScript: changeWitnessScript }, built.outputs[change.vout].script) }
        : {}),
    };
  },

  releaseDigests(release) {
    return releaseSighashes(releaseTxOf(release));
  },

  verifySignature(pubkey, digest, signature) {
    return verifyReleaseSignature(pubkey, digest, signature);
  },

  assembleRelease(release, federation, signatures) {
    return assembleSignedRelease(releaseTxOf(release), (federation.members ?? []).map((m) => m.pubkey!), signatures);
  },
};

export const bitcoinKind: MainChainKind = {
  type: "bitcoin",
  lightClient: bitcoinLightClient as MainChainKind["lightClient"],
  params: bitcoinParamsCodec,
  clientConfig,
  validate,
  validateFederation,
  deposits: bitcoinFlow,
  releases: bitcoinFlow,
  header: (store, at) => bitcoinLightClient.header(store, at),

  denomMetadata(chain) {
    const base = `peg/${chain.id}`;
    return Metadata.fromPartial({
      description: `Bitcoin locked with the pegzone federation on ${chain.id}, in satoshi`,
      base,
      display: `${base}/btc`,
      name: `Pegged bitcoin (${chain.id})`,
      symbol: "pBTC",
      denomUnits: [
        { denom: base, exponent: 0, aliases: [`${base}/sat`] },
        { denom: `${base}/btc`, exponent: 8, aliases: [] },
      ],
    });
  },
};
