/** What other modules may know of the validators module: an active validator as the federation sees it. */
export interface ActiveValidator {
  /** Its operator's pegzone account (a federation member's account). */
  readonly operator: string;
  /** Its federation signer key (compressed secp256k1). */
  readonly signerPubkey: Uint8Array;
  readonly power: number;
}
