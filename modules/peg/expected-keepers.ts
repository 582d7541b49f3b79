/** The keepers the peg uses from other modules: only what it calls (the SDK's expected_keepers.go). */
import type { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import type { Context } from "../../chain/app/context";
import type { Coin } from "../../chain/types/coins";

/**
 * The bank as the peg sees it, bound to the peg's module account (its redemption account): coins
 * are minted into and burned from that account only, so the peg can never create coins anywhere
 * else or destroy anyone else's.
 */
export interface PegBankKeeper {
  /** Mints `coins` in the peg's module account and pays them to `to` (unless `to` is that account). */
  mint(ctx: Context, to: Uint8Array, coins: readonly Coin[]): Promise<void>;
  /** Burns `coins` held by the peg's module account; `from` must be that account. */
  burn(ctx: Context, from: Uint8Array, coins: readonly Coin[]): Promise<void>;
  /** Moves coins into or out of the peg's module account: `from` or `to` must be that account. */
  send(ctx: Context, from: Uint8Array, to: Uint8Array, coins: readonly Coin[]): Promise<void>;
  supplyOf(ctx: Context, denom: string): Promise<bigint>;
  setDenomMetadata(ctx: Context, metadata: Metadata): void;
}
