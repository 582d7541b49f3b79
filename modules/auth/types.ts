/** Auth's types other modules may use (as the SDK's x/auth/types): accounts and module-account permissions. */

export interface Account {
  address: Uint8Array;
  pubkey?: Uint8Array;
  accountNumber: bigint;
  sequence: bigint;
  /** Set for module accounts (fee_collector, peg, ...). */
  module?: { name: string; permissions: string[] };
}

/** Module account permissions, as the SDK's authtypes.Minter and authtypes.Burner. */
export const MINTER = "minter";
export const BURNER = "burner";
