/**
 * A kind of main chain (bitcoin now, tendermint later) as the peg module sees it: its light client
 * and how a deposit to the federation names its pegzone recipient. Adding a kind means writing one
 * of these and listing it in chain/app/pegzone.ts; the bank and the peg flow stay as they are.
 */
import type { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import type { LightClient } from "../../light-client/types";
import type { pegzone } from "../../proto";

export type Federation = pegzone.peg.v1.IFederation;

/** Where a recipient deposits: the main-chain output script, the script it commits to, and its address text. */
export interface DepositAddress {
  readonly address: string;
  readonly script: Uint8Array;
  readonly witnessScript: Uint8Array;
}

/** A reserve output a release may spend. */
export interface ReleaseUtxo {
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  readonly witnessScript: Uint8Array;
}

/** A withdrawal a release pays: `amount` less its share of the fee. */
export interface ReleasePayment {
  readonly id: number;
  readonly script: Uint8Array;
  readonly amount: bigint;
}

/** An unsigned release as built by a kind; the same inputs always build the same bytes. */
export interface BuiltRelease {
  readonly tx: Uint8Array;
  readonly txid: string;
  readonly inputs: readonly ReleaseUtxo[];
  readonly outputs: ReadonlyArray<{ readonly paymentId?: number; readonly script: Uint8Array; readonly value: bigint }>;
  readonly fee: bigint;
  readonly feeShares: readonly bigint[];
  readonly change?: { readonly vout: number; readonly value: bigint };
}

/**
 * What a release is built from. With payments, a release pays them from some of `utxos` (coin
 * selection) and returns the change to `changeFederation`. With no payments it is a sweep: it
 * spends `utxos` (up to the kind's per-transaction cap, in a deterministic order) into a single
 * output to `changeFederation`'s reserve script, worth their sum less the fee.
 */
export interface ReleaseParams {
  readonly utxos: readonly ReleaseUtxo[];
  readonly payments: readonly ReleasePayment[];
  readonly feeRate: bigint;
  readonly maxFee: bigint;
  /** The federation that holds `utxos` and signs the release. */
  readonly federation: Federation;
  /** The federation the change (or a sweep's output) goes to; `federation` when absent. */
  readonly changeFederation?: Federation;
}

export interface MainChainKind {
  readonly lightClient: LightClient;
  /** Throws an Error saying what is wrong with a network name or federation (keys, weights, threshold). */
  validateFederation(network: string, federation: Federation): void;
  /** The deposit address of `recipient` (a 20-byte pegzone address) under `federation`. Deterministic. */
  depositAddress(network: string, federation: Federation, recipient: Uint8Array): DepositAddress;
  /** The output script a withdrawal to `address` pays; throws for a malformed address or one of another network. */
  withdrawalScript(network: string, address: string): Uint8Array;
  /** The witness script of the federation's own reserve outputs (release change). */
  reserveWitnessScript(federation: Federation): Uint8Array;
  /** Builds the unsigned release spending reserve outputs to pay `payments` (none: a sweep); throws if it cannot. */
  buildRelease(params: ReleaseParams): BuiltRelease;
  /** What each member signs, one digest per input. */
  releaseDigests(release: BuiltRelease): Uint8Array[];
  /** Checks one member's signature of one digest (64-byte r||s, low-S). */
  verifySignature(pubkey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean;
  /** The fully signed release: `signatures[input]` maps member index → signature. */
  assembleRelease(release: BuiltRelease, federation: Federation, signatures: ReadonlyArray<ReadonlyMap<number, Uint8Array>>): Uint8Array;
  /** Bank metadata of the pegged denom `peg/<mainchainId>` (counted in the main chain's smallest unit). */
  denomMetadata(mainchainId: string): Metadata;
}
