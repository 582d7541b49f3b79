/**
 * The bitcoin light client's own calls: a header store that follows the chain with the most work,
 * proves transactions on it and keeps a final block F. The peg module reaches it through the
 * kind-agnostic `LightClient` (light-client/types.ts), which client.ts implements on top of these.
 * It keeps its whole state in the KVStore it is handed, reads time only from `UpdateContext`, and
 * throws a `LightClientError` (with a machine-readable `reason`) for every refusal, leaving the store untouched.
 */
import type { KVStore } from "../../chain/store/types";

/** The settings a main chain is registered with that concern its light client. */
export interface LightClientConfig {
  /** Network name understood by the client type, e.g. "regtest" or "mainnet" for bitcoin. */
  readonly network: string;
  /** How deep a best-chain block must be buried to be final (see `UpdateResult.finalityViolation`). */
  readonly reorgLimit: number;
  /** Headers kept below the tip; older ones are pruned (must cover what verification needs). */
  readonly pruneWindow: number;
}

export interface UpdateContext {
  /** The pegzone block time, unix seconds: headers too far past it are refused. */
  readonly blockTime: number;
}

export interface TipStatus {
  readonly tipHeight: number;
  /** Block hash as the main chain displays it (hex). */
  readonly tipHash: string;
  /** Cumulative work of the best chain, as a decimal string. */
  readonly chainWork: string;
  /** Lowest height still stored on the best chain. */
  readonly lowestHeight: number;
}

export interface UpdateResult {
  readonly status: TipStatus;
  /** How many headers of the update were new (already-known headers are skipped, not refused). */
  readonly added: number;
  /** How many blocks of the previous best chain the update disconnected (0 when it only extended). */
  readonly reorgDepth: number;
  /**
   * Set when the update's new best chain does not hold the final block F, with a reason naming F. Every
   * kind keeps F in its store: a best-chain block buried `reorgLimit` deep (at tip − reorgLimit once the
   * chain is that long), which only ever moves up along the best chain; after a violation F moves to the
   * new best chain's block at tip − reorgLimit. F survives pruning and genesis export/import. Shallow
   * updates therefore add up: any sequence of them that orphans a block once buried `reorgLimit` deep
   * reports a violation, and so does a single update disconnecting more than `reorgLimit` blocks.
   */
  readonly finalityViolation?: string;
}

export interface StoredHeaderInfo {
  readonly height: number;
  /** Display hex. */
  readonly hash: string;
  /** The raw header, hex. */
  readonly header: string;
  readonly chainWork: string;
  readonly onBestChain: boolean;
}

/** A main-chain transaction output, as proven. */
export interface ProvenOutput {
  readonly index: number;
  readonly script: Uint8Array;
  /** In the main chain's smallest unit. */
  readonly value: bigint;
}

/** A main-chain transaction input: the outpoint it spends. */
export interface ProvenInput {
  /** Display hex of the spent transaction. */
  readonly txid: string;
  readonly index: number;
}

/** What a light client proved about one transaction. */
export interface ProvenTransaction {
  /** Display hex. */
  readonly txid: string;
  /** Display hex of the block that includes it. */
  readonly blockHash: string;
  readonly height: number;
  /** tip height − height + 1, on the best chain. */
  readonly confirmations: number;
  readonly inputs: readonly ProvenInput[];
  readonly outputs: readonly ProvenOutput[];
}

/** Proof that a transaction is in a block: raw tx, its block, and an inclusion proof of the client's format. */
export interface InclusionProof {
  readonly tx: Uint8Array;
  /** Display hex. */
  readonly blockHash: string;
  readonly proof: Uint8Array;
}

export interface BitcoinHeaderStore {
  /** The light-client type registered in genesis, e.g. "bitcoin". */
  readonly type: string;
  /** Checks a genesis checkpoint (client-specific JSON) and writes the initial state. */
  initialize(store: KVStore, config: LightClientConfig, checkpoint: unknown): Promise<TipStatus>;
  /** Verifies every header before writing any, then stores them, moves the best chain to the most work and moves F. */
  update(store: KVStore, config: LightClientConfig, headers: readonly Uint8Array[], ctx: UpdateContext): Promise<UpdateResult>;
  /** Proves a transaction is in a block on the best chain; refuses blocks off the best chain or pruned. */
  proveTransaction(store: KVStore, config: LightClientConfig, proof: InclusionProof): Promise<ProvenTransaction>;
  tip(store: KVStore): Promise<TipStatus>;
  /** A stored header by best-chain height or by hash (display hex); undefined if unknown or pruned. */
  header(store: KVStore, at: { height: number } | { hash: string }): Promise<StoredHeaderInfo | undefined>;
  /** The client's state as JSON for genesis export (re-importable with initialize, F included). */
  exportState(store: KVStore): Promise<unknown>;
}
