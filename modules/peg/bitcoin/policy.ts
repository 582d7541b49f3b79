/**
 * Bitcoin Core's relay policy (standardness) as the peg applies it: the limits a release and the
 * federation's witness scripts must meet for nodes to relay them. The one definition of each.
 */

/**
 * Smallest payment output and smallest change output, in sats: a flat 546, Bitcoin Core's dust
 * threshold for P2PKH, the highest of the accepted output types at the default dust relay fee.
 */
export const DUST_LIMIT = 546n;
/** Bitcoin Core's MAX_STANDARD_TX_WEIGHT. */
export const MAX_STANDARD_TX_WEIGHT = 400_000;
/** Bitcoin Core's MAX_STANDARD_P2WSH_SCRIPT_SIZE: the longest witness script a standard P2WSH spend carries. */
export const MAX_WITNESS_SCRIPT_SIZE = 3600;
