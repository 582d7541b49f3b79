/**
 * A kind of main chain (bitcoin, tendermint) as the peg module sees it. Every kind has a light
 * client (light-client/types.ts, ibc-go's shape), its own settings carried in MainChain.params as a
 * google.protobuf.Any of its own package, and the bank metadata of its pegged denom. Adding a kind
 * means a folder under light-client/ and modules/peg/ and one line in app/pegzone.ts.
 *
 * How deposits are proven and releases built is still one model, the UTXO flow (`utxo`): deposits
 * are transaction outputs paying a per-recipient address, the reserve is a set of outputs, releases
 * are transactions spending them with one signature per input. Bitcoin is that flow; a kind without
 * it (tendermint, until its account-model flow exists) follows its main chain but refuses claims
 * and withdrawals with ErrUnsupported.
 */
import type { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import type { KVStore } from "../../chain/store/types";
import type { InclusionProof, ProvenTransaction, StoredHeaderInfo } from "../../light-client/bitcoin/types";
import type { LightClient } from "../../light-client/types";
import type { pegzone } from "../../proto";

export type Federation = pegzone.peg.v1.IFederation;
type MainChain = pegzone.peg.v1.IMainChain;

/** A kind's settings message: MainChain.params, and its genesis JSON (snake_case, bytes base64). */
export interface ParamsCodec {
  /** The Any type URL, e.g. "/pegzone.peg.bitcoin.v1.Params". */
  readonly typeUrl: string;
  /** Checks and encodes the genesis JSON (without "@type"); throws an Error saying what is wrong. */
  fromJson(json: Record<string, unknown>): Uint8Array;
  toJson(value: Uint8Array): Record<string, unknown>;
}

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
  /** The client type registered in genesis: the light client's type. */
  readonly type: string;
  readonly lightClient: LightClient;
  readonly params: ParamsCodec;
  /** The light client's settings for a registered chain (what its calls take as `config`). */
  clientConfig(chain: MainChain): unknown;
  /** Throws an Error saying what is wrong with the chain's params or its generic amounts for this kind. */
  validate(chain: MainChain): void;
  /** Throws an Error saying what is wrong with a federation (keys, weights, threshold) on this chain. */
  validateFederation(chain: MainChain, federation: Federation): void;
  /** Bank metadata of the pegged denom `peg/<mainchainId>` (counted in the main chain's smallest unit). */
  denomMetadata(chain: MainChain): Metadata;
  /** A stored header by best-chain height or hash, for kinds whose client keeps a header store (bitcoin). */
  header?(store: KVStore, at: { height: number } | { hash: string }): Promise<StoredHeaderInfo | undefined>;
  /** Deposits and releases, for kinds that have them yet. */
  readonly utxo?: UtxoFlow;
}

/** The UTXO flow: deposits are outputs, the reserve is outputs, a release is one transaction. */
export interface UtxoFlow {
  /** Proves a transaction against the light client, with its confirmations and how many the chain requires. */
  proveTransaction(store: KVStore, chain: MainChain, proof: InclusionProof): Promise<ProvenTransaction & { readonly required: number }>;
  /** The fee rate a new release pays (a replacement doubles its predecessor's). */
  feeRate(chain: MainChain): bigint;
  /** The most reserve entries one release spends: the peg hands a builder at most this many. */
  readonly maxReleaseInputs: number;
  /** The deposit address of `recipient` (a 20-byte pegzone account address) under `federation`. Deterministic. */
  depositAddress(chain: MainChain, federation: Federation, recipient: Uint8Array): DepositAddress;
  /** The output script a withdrawal to `address` pays; throws for a malformed address or one of another network. */
  withdrawalScript(chain: MainChain, address: string): Uint8Array;
  /**
   * The federation's own reserve address (release change, sweeps). It must differ from every
   * recipient's deposit address under every federation, so that no output the federation created
   * can ever be claimed as a deposit.
   */
  reserveAddress(chain: MainChain, federation: Federation): DepositAddress;
  /** Builds the unsigned release spending reserve outputs to pay what fits of `payments` (none: a sweep); throws if not even one fits. */
  buildRelease(params: ReleaseParams): BuiltRelease;
  /** What each member signs, one digest per input. */
  releaseDigests(release: BuiltRelease): Uint8Array[];
  /** Checks one member's signature of one digest (64-byte r||s, low-S). */
  verifySignature(pubkey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean;
  /** The fully signed release: `signatures[input]` maps member index → signature. */
  assembleRelease(release: BuiltRelease, federation: Federation, signatures: ReadonlyArray<ReadonlyMap<number, Uint8Array>>): Uint8Array;
}
