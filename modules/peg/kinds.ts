/**
 * A kind of main chain (bitcoin, tendermint) as the peg module sees it. Every kind has a light
 * client (light-client/types.ts, ibc-go's shape), its own settings carried in MainChain.params as a
 * google.protobuf.Any of its own package, and the bank metadata of its pegged denom. Adding a kind
 * means a folder under light-client/ and modules/peg/ and one line in app/pegzone.ts.
 *
 * Deposits and releases are the kind's `deposits` and `releases` flows: the peg keys deposits and
 * reserve entries by the kind's opaque ids and keeps the kind's proofs and spending data as typed
 * bytes. A kind without a flow yet follows its main chain but refuses claims (or withdrawals) with
 * ErrUnsupported.
 */
import type { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import type { KVStore } from "../../chain/store/types";
import type { StoredHeaderInfo } from "../../light-client/bitcoin/types";
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
  /**
   * For a kind whose deposits share one account (tendermint: the federation's multisig), what tells
   * them apart: the memo a deposit must carry (the recipient's pegzone address). Absent: none needed.
   */
  readonly memo?: string;
}

/** A reserve entry as the peg hands it to its kind: the kind's id, value and spending data. */
export interface ReserveEntryView {
  readonly id: Uint8Array;
  readonly displayId: string;
  readonly value: bigint;
  /** ReserveEntry.data's value, in the kind's reserveDataType. */
  readonly data: Uint8Array;
}

/** A withdrawal a release pays: `amount` less its share of the fee. */
export interface ReleasePayment {
  /** Withdrawal id. */
  readonly id: number;
  /** Where it pays, as the kind encodes it (withdrawalScript). */
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
  /** What the federation signs (Release.payload). */
  readonly payload: Uint8Array;
  /** The main-chain transaction's id, as the main chain displays it. */
  readonly txid: string;
  /** The entries spent, in the kind's order. */
  readonly inputs: readonly ReserveEntryView[];
  readonly outputs: readonly BuiltOutput[];
  readonly fee: bigint;
  /** The entry the reserve gains when the release confirms (its change), if any. */
  readonly change?: ReserveEntryView;
}

/**
 * What a release is built from. With payments, a release pays as many of them as fit in one
 * main-chain transaction, greedily in the order given (the rest wait for a later release: one
 * unpayable request never blocks the others), from some of `entries`, and returns the change to
 * `changeFederation`; `outputs[].paymentId` says which were paid. Given exactly a release's inputs
 * and the payments it pays, it rebuilds the same release. With no payments it is a sweep: it spends
 * `entries` (up to the kind's cap, in a deterministic order) into a single entry of
 * `changeFederation`, worth their sum less the fee (moving a retired federation's reserve, or
 * consolidating the current one's small entries).
 */
export interface ReleaseParams {
  readonly chain: MainChain;
  /** The kind's release context (ReleaseFlow.releaseContext; Release.context once stored); absent for kinds without one. */
  readonly context?: Uint8Array;
  readonly entries: readonly ReserveEntryView[];
  readonly payments: readonly ReleasePayment[];
  readonly feeRate: bigint;
  readonly maxFee: bigint;
  /** The federation that holds `entries` and signs the release. */
  readonly federation: Federation;
  /** The federation the change (or a sweep's output) goes to; `federation` when absent. */
  readonly changeFederation?: Federation;
}

/** What a kind proved about a deposit, for the peg's own checks (claimed, reserve, grace, minimum, cap). */
export interface ProvenDeposit {
  /** Deposit.id: unique per main chain; equal to the reserve entry it becomes. */
  readonly id: Uint8Array;
  readonly displayId: string;
  readonly value: bigint;
  readonly blockHash: string;
  readonly blockHeight: number;
  readonly confirmations: number;
  /** Confirmations the chain requires (1 for a chain with final blocks). */
  readonly required: number;
  /** Index in the federations given of the one whose deposit address for the recipient it pays; −1: none. */
  readonly federationIndex: number;
  /** Index in the federations given of one whose own reserve address it pays (never a deposit); −1: none. */
  readonly reserveIndex: number;
  /** What it pays, for messages (bitcoin: "script <hex>"). */
  readonly pays: string;
  /** ReserveEntry.data of the entry it becomes. */
  readonly data: Uint8Array;
}

/** What a kind's flows read and write: its light client's store and its own (the peg's kind store). */
export interface KindStores {
  readonly client: KVStore;
  readonly state: KVStore;
}

/** A live release (signing or signed) as a kind's release proof may decide it. */
export interface LiveReleaseView {
  readonly id: number;
  readonly txid: string;
  readonly federationId: number;
  readonly context: Uint8Array;
  readonly fee: bigint;
  readonly inputs: readonly ReserveEntryView[];
}

/**
 * What a release proof decided about a release (by its txid): confirmed as built (with its
 * confirmations, checked by the peg), or failed: proven never to pay. A failed release frees its
 * inputs and queues its withdrawals again; when the main chain charged a fee for it anyway
 * (`charged` > 0), its inputs leave the reserve and `remainder` (worth their sum − charged) joins it.
 */
export type ReleaseOutcome =
  | { readonly txid: string; readonly outcome: "confirmed"; readonly confirmations: number; readonly required: number }
  | { readonly txid: string; readonly outcome: "failed"; readonly reason: string; readonly charged: bigint; readonly remainder?: ReserveEntryView };

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
  /** Deposits and releases, for kinds that have them yet (a kind with releases has deposits). */
  readonly deposits?: DepositFlow;
  readonly releases?: ReleaseFlow;
}

/**
 * A kind's deposits: proving one (checked by the kind's light client) and saying what it pays, and
 * the deposit address a user pays. The peg does the rest the same for every kind: claimed ids, the
 * reserve, federation-owned entries, grace windows, minimum and cap, minting.
 */
export interface DepositFlow {
  /** The Any type URLs of MsgClaimDeposit.proof and of ReserveEntry.data. */
  readonly depositProofType: string;
  readonly reserveDataType: string;
  /**
   * Checks a deposit's proof against the light client and says what it pays: which of `federations`
   * (current first, then retired) it pays as a deposit for `recipient`, or whether it is the
   * federation's own (reserveIndex). Throws an Error with a `reason` for a proof the client refuses.
   * `now` is pegzone's block time (unix ns), for light clients whose proofs depend on time
   * (tendermint: an expired client proves nothing); the peg always passes it.
   */
  proveDeposit(store: KVStore, chain: MainChain, proof: Uint8Array, recipient: Uint8Array, federations: readonly Federation[], now: bigint): Promise<ProvenDeposit>;
  /** A deposit id from how users write it (bitcoin: "txid:vout"); throws an Error for a malformed one. */
  parseDepositId(displayId: string): Uint8Array;
  /** Where `recipient` (a 20-byte pegzone account address) deposits under `federation`. Deterministic. */
  depositAddress(chain: MainChain, federation: Federation, recipient: Uint8Array): DepositAddress;
}

/**
 * A kind's releases: building them from reserve entries, what members sign, assembling the signed
 * transaction and proving its confirmation. The peg runs the release lifecycle the same for every
 * kind: batches, the surplus rule, signatures' weights, replacement, sweeps after a rotation.
 */
export interface ReleaseFlow {
  /** The most reserve entries one release spends: the peg hands a builder at most this many. */
  readonly maxReleaseInputs: number;
  /**
   * Releases of one federation are ordered (an account chain's sequence): at most one is live per
   * signing federation, none is replaced on a timer (a proof fails it: ReleaseOutcome), and each is
   * built with the kind's `releaseContext`. Otherwise (bitcoin) releases spend distinct entries and
   * a stale one is replaced at a doubled fee rate.
   */
  readonly sequential: boolean;
  /** Whether many small entries of a federation are worth a consolidation release (bitcoin: yes; an account: no). */
  readonly consolidates: boolean;
  /**
   * The context of the next release signed by `federation` (tendermint: account number, sequence,
   * timeout height, gas price), for ReleaseParams.context; throws an Error saying what is missing
   * (e.g. the account's number is not proven yet). Only for sequential kinds.
   */
  releaseContext?(stores: KindStores, chain: MainChain, federation: Federation): Promise<Uint8Array>;
  /** The Any type URL of MsgConfirmRelease.proof. */
  readonly releaseProofType: string;
  /**
   * Checks a release proof with the light client and says what it decided about `live` releases
   * (none: the kind only learned something, e.g. an account's number). May update the kind's state.
   * `federations`: the current, then the retired. Throws an Error with a `reason` for a bad proof.
   */
  proveRelease(stores: KindStores, chain: MainChain, proof: Uint8Array, now: bigint, live: readonly LiveReleaseView[], federations: readonly Federation[]): Promise<ReleaseOutcome[]>;
  /** The fee rate a new release pays (a replacement doubles its predecessor's). */
  feeRate(chain: MainChain): bigint;
  /** What a withdrawal to `address` pays, in the kind's encoding; throws for a malformed address or one of another network. */
  withdrawalScript(chain: MainChain, address: string): Uint8Array;
  /**
   * The federation's own reserve address (release change, sweeps), in withdrawalScript's encoding:
   * no withdrawal may pay it (the coins would count nowhere).
   */
  reserveAddress(chain: MainChain, federation: Federation): DepositAddress;
  /** Builds the unsigned release spending reserve entries to pay what fits of `payments` (none: a sweep); throws if not even one fits. */
  buildRelease(params: ReleaseParams): BuiltRelease;
  /** What each member signs: the release's digests (bitcoin: one per input). */
  releaseDigests(release: BuiltRelease): Uint8Array[];
  /** Checks one member's signature of one digest (64-byte r||s, low-S). */
  verifySignature(pubkey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean;
  /** The fully signed release: `signatures[digest]` maps member index → signature. */
  assembleRelease(release: BuiltRelease, federation: Federation, signatures: ReadonlyArray<ReadonlyMap<number, Uint8Array>>): Uint8Array;
}

/** Both flows, as a kind with the whole peg (bitcoin) implements them in one object. */
export type PegFlow = DepositFlow & ReleaseFlow;
