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

export interface MainChainKind {
  readonly lightClient: LightClient;
  /** Throws an Error saying what is wrong with a network name or federation (keys, weights, threshold). */
  validateFederation(network: string, federation: Federation): void;
  /** The deposit address of `recipient` (a 20-byte pegzone address) under `federation`. Deterministic. */
  depositAddress(network: string, federation: Federation, recipient: Uint8Array): DepositAddress;
  /** Bank metadata of the pegged denom `peg/<mainchainId>` (counted in the main chain's smallest unit). */
  denomMetadata(mainchainId: string): Metadata;
}
