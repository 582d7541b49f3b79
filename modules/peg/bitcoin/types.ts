/**
 * The bitcoin kind's own shapes of a release, used by its builders and signing code (release.ts,
 * utxo.ts, sign.ts): reserve outputs as outpoints with their witness scripts, and the unsigned
 * transaction they build. The peg sees them through the generic `BuiltRelease` of ../kinds.ts,
 * converted by the kind's flow (peg-flow.ts).
 */
import type { BuiltOutput } from "../kinds";

/** A reserve output a release may spend. */
export interface ReleaseUtxo {
  /** As Bitcoin's RPCs print it: display hex, lowercase. */
  readonly txid: string;
  readonly vout: number;
  readonly value: bigint;
  readonly witnessScript: Uint8Array;
}

/** An unsigned bitcoin release as the builders make it; the same inputs always build the same bytes. */
export interface BitcoinBuiltRelease {
  /** Unsigned, without witness. */
  readonly tx: Uint8Array;
  /** Display hex. */
  readonly txid: string;
  /** The UTXOs spent, in input order. */
  readonly inputs: readonly ReleaseUtxo[];
  readonly outputs: readonly BuiltOutput[];
  readonly fee: bigint;
  /** Per payment, in the order of the payments. */
  readonly feeShares: readonly bigint[];
  readonly change?: { readonly vout: number; readonly value: bigint };
}
