/**
 * The federation's account on a Tendermint (Cosmos SDK) main chain: the threshold multisig
 * `LegacyAminoPubKey{threshold, public_keys}` of its members' secp256k1 keys (weight 1 each: the
 * kind's validateFederation insists), the keys sorted by their account addresses as
 * `gaiad keys add --multisig` and CosmJS `createMultisigThresholdPubkey` sort them by default. Its
 * address is the first 20 bytes of sha256 of the key's amino encoding, in bech32 with the chain's
 * `bech32_prefix`. CosmJS (@cosmjs/amino) does the encoding; nothing here is hand-written amino.
 */
import { createMultisigThresholdPubkey, encodeAminoPubkey, encodeSecp256k1Pubkey, type MultisigThresholdPubkey, pubkeyToRawAddress } from "@cosmjs/amino";
import { toBech32 } from "../../../chain/crypto/address";
import type { pegzone } from "../../../proto";
import type { Federation } from "../kinds";
import { tendermintParams } from "./params";

type MainChain = pegzone.peg.v1.IMainChain;

/** The federation's account as the main chain knows it. */
export interface FederationAccount {
  /** bech32 with the chain's prefix. */
  readonly address: string;
  /** The 20 account-address bytes. */
  readonly rawAddress: Uint8Array;
  /** The amino encoding of the multisig key (prefix 22c1f7e2), what the address hashes. */
  readonly aminoPubkey: Uint8Array;
  readonly pubkey: MultisigThresholdPubkey;
}

/** The federation's LegacyAminoPubKey: its members' keys, sorted by address, and its threshold. */
export function federationMultisigPubkey(federation: Federation): MultisigThresholdPubkey {
  const keys = (federation.members ?? []).map((m, i) => {
    const key = m.pubkey ?? new Uint8Array();
    if (key.length !== 33 || (key[0] !== 2 && key[0] !== 3)) throw new Error(`federation ${federation.id} member ${i}: pubkey must be a 33-byte compressed secp256k1 key`);
    return encodeSecp256k1Pubkey(key);
  });
  if (keys.length === 0) throw new Error(`federation ${federation.id} has no members`);
  const threshold = federation.threshold ?? 0;
  if (!Number.isInteger(threshold) || threshold < 1) throw new Error(`federation ${federation.id}: threshold ${threshold} must be a positive integer`);
  return createMultisigThresholdPubkey(keys, threshold);
}

/** The federation's multisig account on `chain` (its address in the chain's bech32 prefix). */
export function federationAccount(chain: MainChain, federation: Federation): FederationAccount {
  const prefix = tendermintParams(chain).bech32Prefix;
  // A pure function of the keys, threshold and prefix, asked for on every claim (~100 µs to derive):
  // remembered, as the answer can never differ. Few federations exist, so the memo stays small.
  const key = `${prefix}|${federation.threshold}|${(federation.members ?? []).map((m) => Buffer.from(m.pubkey ?? []).toString("hex")).join(",")}`;
  const known = accounts.get(key);
  if (known !== undefined) return known;
  const pubkey = federationMultisigPubkey(federation);
  const rawAddress = pubkeyToRawAddress(pubkey);
  const account = Object.freeze({ address: toBech32(prefix, rawAddress), rawAddress, aminoPubkey: encodeAminoPubkey(pubkey), pubkey });
  if (accounts.size >= MAX_REMEMBERED) accounts.clear();
  accounts.set(key, account);
  return account;
}

const MAX_REMEMBERED = 64;
const accounts = new Map<string, FederationAccount>();

/** The bech32 address of the federation's multisig account on `chain`, e.g. "cosmos1…". */
export function federationAccountAddress(chain: MainChain, federation: Federation): string {
  return federationAccount(chain, federation).address;
}
