/**
 * A kind of main chain (bitcoin now, tendermint later) as the peg module sees it: its light client
 * and how a deposit to the federation names its pegzone recipient. Adding a kind means writing one
 * of these and listing it in app/pegzone.ts; the bank and the peg flow stay as they are.
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
  /** As the main chain's RPCs print it (bitcoin: display hex, lowercase). */
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  readonly witnessScript: Uint8Array;
}

/** A withdrawal a release pays: `amount` less its share of the fee. */
export interface ReleasePayment {
  /** Withdrawal id. */
  readonly id: number;
  readonly script: Uint8Array;
  readonly amount: bigint;
}

/** An output of a built release: a payment (`paymentId`: the withdrawal it pays) or the change. */
export interface BuiltOutput {
  readonly paymentId?: number;
  readonly script: Uint8Array;
  readonly value: bigint;
}

/** An unsigned release as built by a kind; the same inputs always build the same bytes. */
export interface BuiltRelease {
  /** Unsigned, without witness. */
  readonly tx: Uint8Array;
  /** As the main chain's RPCs print it. */
  readonly txid: string;
  /** The UTXOs spent, in input order. */
  readonly inputs: readonly ReleaseUtxo[];
  readonly outputs: readonly BuiltOutput[];
  readonly fee: bigint;
  /** Per payment, in the order of the payments. */
  readonly feeShares: readonly bigint[];
  readonly change?: { readonly vout: number; readonly value: bigint };
}

/**
 * What a release is built from. With payments, a release pays as many of them as fit in one
 * main-chain transaction, greedily in the order given (the rest wait for a later release: one
 * unpayable request never blocks the others), from some of `utxos` (coin selection), and returns the
 * change to `changeFederation`; `outputs[].paymentId` says which were paid. Given exactly a
 * release's inputs and the payments it pays, it rebuilds the same release. With no payments it is a
 * sweep: it spends `utxos` (up to the kind's per-transaction cap, in a deterministic order) into a
 * single output to `changeFederation`'s reserve address, worth their sum less the fee (moving a
 * retired federation's reserve, or consolidating the current one's small outputs).
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
  /** The most reserve entries one release spends: the peg hands a builder at most this many. */
  readonly maxReleaseInputs: number;
  /**
   * Throws an Error saying which amounts of a registration the kind cannot honour: e.g. a peg-in fee
   * below its dust limit (the surplus the fees build must cover change too small to keep), or a
   * minimum withdrawal that the largest fee would leave below dust.
   */
  validateAmounts(amounts: { readonly minDeposit: bigint; readonly pegInFee: bigint; readonly minWithdrawal: bigint; readonly maxFee: bigint }): void;
  /** Throws an Error saying what is wrong with a network name or federation (keys, weights, threshold). */
  validateFederation(network: string, federation: Federation): void;
  /** The deposit address of `recipient` (a 20-byte pegzone account address) under `federation`. Deterministic. */
  depositAddress(network: string, federation: Federation, recipient: Uint8Array): DepositAddress;
  /** The output script a withdrawal to `address` pays; throws for a malformed address or one of another network. */
  withdrawalScript(network: string, address: string): Uint8Array;
  /**
   * The federation's own reserve address (release change, sweeps). It must differ from every
   * recipient's deposit address under every federation, so that no output the federation created
   * can ever be claimed as a deposit.
   */
  reserveAddress(network: string, federation: Federation): DepositAddress;
  /** Builds the unsigned release spending reserve outputs to pay what fits of `payments` (none: a sweep); throws if not even one fits. */
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
