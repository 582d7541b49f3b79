/** The keepers auth uses from other modules: only what it calls (the SDK's x/auth/types/expected_keepers.go). */
import type { Context } from "../../chain/app/context";
import type { Coin } from "../../chain/types/coins";

/** The ante chain moves each tx's fee to the fee collector module account. */
export interface BankKeeper {
  sendCoinsFromAccountToModule(ctx: Context, from: Uint8Array, recipientModule: string, coins: readonly Coin[]): Promise<void>;
}
