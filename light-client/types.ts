/**
 * What the peg module needs from a main chain's light client, whatever the chain's consensus is,
 * in the shape of ibc-go's ClientState (modules/core/exported/client.go): a client message is
 * verified (reads only) separately from being applied; misbehaviour is checked before applying and
 * handled on its own path; the client has a status. A client keeps its whole state in the KVStore
 * it is handed (the peg module gives each main chain its own prefix), takes "now" only from the
 * caller (pegzone's block time, never a clock), and throws an Error with a machine-readable
 * `reason` for every refusal before its first write, so a refused call leaves the store untouched.
 *
 * Proving a transaction or a state entry against a verified header is not here: what a proof shows
 * (outputs and scripts, a tx and its result, an account's sequence) is the kind's business, and each
 * kind (modules/peg/<kind>/) calls its own client's proofs.
 */
import type { KVStore } from "../chain/store/types";

/** ibc-go's statuses: Frozen after misbehaviour; Expired when no stored state may verify any more. */
export type ClientStatus = "Active" | "Frozen" | "Expired";

/** Pegzone's block time, unix nanoseconds: the only "now" a client sees. */
export type Now = bigint;

/** What a query shows of a client, the same for every kind. */
export interface ClientSummary {
  readonly status: ClientStatus;
  /** The latest verified height and the hash of its block (as the main chain displays it). */
  readonly latestHeight: bigint;
  readonly latestHash: string;
  /** The kind's own facts (e.g. chain work, app hash, trusting period), as strings. */
  readonly details: Readonly<Record<string, string>>;
}

/** What applying a verified message did. */
export interface ClientUpdate {
  readonly latestHeight: bigint;
  readonly latestHash: string;
  /** How many headers became new state (re-relayed ones count 0). */
  readonly added: number;
  /** Extra event attributes the kind reports (e.g. reorg depth). */
  readonly attributes: ReadonlyArray<readonly [string, string]>;
}

/**
 * A light client. `Config` is the main chain's registered settings as the client reads them;
 * `Verified` is what verifyClientMessage hands on to the other steps (opaque to the peg module).
 */
export interface LightClient<Config = unknown, Verified = unknown> {
  /** The client type registered in genesis, e.g. "bitcoin", "tendermint". */
  readonly type: string;
  /** Checks a registration (the client's own genesis JSON, or its exportState) and writes the initial state. */
  initialize(store: KVStore, config: Config, registration: unknown): Promise<unknown>;
  /** Checks a client message (the relayed headers, in the kind's encoding) against the stored state. Reads only. */
  verifyClientMessage(store: KVStore, config: Config, message: readonly Uint8Array[], now: Now): Promise<Verified>;
  /** The evidence, if the verified message proves the main chain (or the client's view of it) unsafe. Reads only. */
  checkForMisbehaviour(store: KVStore, config: Config, verified: Verified): Promise<string | undefined>;
  /** Applies a verified message that is not misbehaviour. */
  updateState(store: KVStore, config: Config, verified: Verified, now: Now): Promise<ClientUpdate>;
  /**
   * Applies misbehaviour: the client records it as its kind requires (a Tendermint client freezes;
   * a proof-of-work client still follows the most work, F moved). The peg module freezes the peg either way.
   */
  updateStateOnMisbehaviour(store: KVStore, config: Config, verified: Verified, evidence: string, now: Now): Promise<ClientUpdate>;
  status(store: KVStore, config: Config, now: Now): Promise<ClientStatus>;
  summary(store: KVStore, config: Config, now: Now): Promise<ClientSummary>;
  /** The whole state as JSON for genesis export, re-importable with initialize. */
  exportState(store: KVStore): Promise<unknown>;
  /**
   * The consensus state stored for the highest verified height at or below `height` (0: the latest),
   * for clients that keep one per height; undefined when none is stored there.
   */
  consensusState?(store: KVStore, height: bigint): Promise<{ readonly height: bigint; readonly details: Readonly<Record<string, string>> } | undefined>;
  /**
   * Revives an Expired client from a trusted header (the client's own JSON form), taken on trust:
   * the caller decides who may. Clients that cannot expire leave it out.
   */
  revive?(store: KVStore, config: Config, trusted: unknown, now: Now): Promise<{ readonly height: bigint }>;
}
