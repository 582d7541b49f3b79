/**
 * Every rejection in this library is a `LightClientError` whose `reason` is one of the codes below,
 * so the peg module can map it to an ABCI error code without parsing messages.
 */
export type LightClientReason =
  // encodings
  | "bad-length" // a header that is not 80 bytes, a hash that is not 32 bytes
  | "bad-field" // a number out of its field's range when encoding
  | "truncated" // the input ends inside a field
  | "trailing-bytes" // bytes left after a complete object
  | "bad-varint" // a CompactSize that is non-canonical or above Bitcoin Core's MAX_SIZE
  | "bad-count" // a count that cannot fit in the remaining bytes or exceeds a consensus bound
  | "bad-tx" // a transaction no valid block can contain (no inputs/outputs, superfluous witness, ...)
  | "tx-64-bytes" // a transaction whose non-witness serialization is exactly 64 bytes
  // header chain
  | "unknown-parent" // prevBlock is not the hash of the header being extended
  | "bad-pow" // nBits invalid/zero/above powLimit, or hash above the target
  | "bad-bits" // nBits differs from what the difficulty rules require
  | "time-too-old" // time <= median time past of the previous 11 blocks
  | "time-timewarp-attack" // BIP94: first block of a period more than 600 s before its predecessor
  | "time-too-new" // time > maxFutureTime
  | "bad-version" // nVersion below the BIP34/66/65 minimum at that height
  | "missing-ancestor" // the header lookup cannot supply an ancestor the rules need
  | "bad-anchor" // the record being extended is inconsistent (hash, height)
  // merkle
  | "bad-partial-tree" // a partial Merkle tree that Bitcoin Core's ExtractMatches refuses
  | "bad-merkle-branch" // a branch/index that cannot be a path in the claimed tree
  | "merkle-mismatch" // a computed Merkle root differs from the expected one
  | "merkle-mutated" // a block's transaction list hits the CVE-2012-2459 duplicate mutation
  | "tx-not-in-proof" // a transaction whose txid is not among a proof's matched txids
  | "no-coinbase" // an inclusion proof without the block's coinbase transaction after its merkleblock
  | "bad-coinbase" // the proof's "coinbase" does not have exactly one input spending the null prevout, or is 64 bytes without witness
  | "coinbase-not-in-proof" // the proof's coinbase is not its merkleblock's match at position 0
  // header store (client.ts and the files it uses)
  | "bad-config" // unknown network, a prune window too small for the rules, a network other than the stored one
  | "bad-checkpoint" // a checkpoint that is malformed, does not link, fails proof of work or lacks the ancestors verification needs
  | "not-initialized" // the store holds no client state
  | "already-initialized" // initialize on a store that already holds client state
  | "batch-too-large" // more headers in one update than MAX_HEADERS_PER_UPDATE
  | "fork-too-old" // a branch forking deeper than the client keeps forks (reorgLimit) or than its pruned ancestors allow
  | "unknown-block" // a block hash that is not stored (never relayed, or pruned)
  | "not-best-chain" // a stored block that is not on the best chain (a fork, or orphaned by a reorg)
  | "block-pruned" // a block below the prune window
  | "header-mismatch" // a proof whose header is not the stored header of the claimed block
  | "store-corrupt"; // a stored entry that does not decode (never produced by this client)

export class LightClientError extends Error {
  override readonly name = "LightClientError";
  constructor(
    readonly reason: LightClientReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

export function fail(reason: LightClientReason, detail: string): never {
  throw new LightClientError(reason, detail);
}
