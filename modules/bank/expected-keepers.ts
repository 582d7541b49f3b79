/** The keepers bank uses from other modules: only what it calls (the SDK's x/bank/types/expected_keepers.go). */
import type { Context } from "../../chain/app/context";
import type { Account } from "../auth/types";

/** Accounts spring into existence when they first receive coins; module accounts carry the permissions mint and burn check. */
export interface AccountKeeper {
  hasAccount(ctx: Context, address: Uint8Array): Promise<boolean>;
  createAccount(ctx: Context, address: Uint8Array): Promise<void>;
  /** The module account of `name` (created on first use); throws ErrUnknownAddress if the app has none of that name. */
  getModuleAccount(ctx: Context, name: string): Promise<Account>;
}
