/**
 * What a validator signs for a vote (types/vote.go VoteSignBytes): the protobuf CanonicalVote
 * (proto/tendermint/types/canonical.proto), prefixed by its length as a uvarint:
 *   1 type (SignedMsgType varint), 2 height (sfixed64), 3 round (sfixed64), 4 block_id (CanonicalBlockID,
 *   omitted for a nil vote), 5 timestamp (non-nullable: always written), 6 chain_id.
 * A commit signature is a precommit at the commit's height and round, for the commit's block id when
 * its flag is COMMIT and for no block otherwise (Commit.GetVote).
 */
import { BinaryWriter } from "cosmjs-types/binary";
import { writeBlockId, writeTimestamp } from "./header-hash";
import { BLOCK_ID_FLAG_COMMIT, type BlockId, type Commit, type Time } from "./types";

/** tendermint.types.SignedMsgType. */
export const PREVOTE_TYPE = 1;
export const PRECOMMIT_TYPE = 2;

export interface CanonicalVote {
  readonly type: number;
  readonly height: bigint;
  readonly round: bigint;
  /** Undefined, or a zero BlockID, for a vote for no block. */
  readonly blockId?: BlockId;
  readonly timestamp: Time;
  readonly chainId: string;
}

const isZeroBlockId = (id: BlockId): boolean => id.hash.length === 0 && id.partSetHeader.total === 0 && id.partSetHeader.hash.length === 0;

export function voteSignBytes(v: CanonicalVote): Uint8Array {
  const w = BinaryWriter.create().fork();
  if (v.type !== 0) w.uint32(8).int32(v.type);
  if (v.height !== 0n) w.uint32(17).sfixed64(v.height);
  if (v.round !== 0n) w.uint32(25).sfixed64(v.round);
  if (v.blockId !== undefined && !isZeroBlockId(v.blockId)) writeBlockId(w.uint32(34).fork(), v.blockId).ldelim();
  writeTimestamp(w.uint32(42).fork(), v.timestamp).ldelim();
  if (v.chainId !== "") w.uint32(50).string(v.chainId);
  return w.ldelim().finish();
}

/** The sign bytes of the commit's signature at `index` (Commit.VoteSignBytes). */
export function commitSignBytes(chainId: string, commit: Commit, index: number): Uint8Array {
  const sig = commit.signatures[index];
  return voteSignBytes({
    type: PRECOMMIT_TYPE,
    height: commit.height,
    round: BigInt(commit.round),
    blockId: sig.blockIdFlag === BLOCK_ID_FLAG_COMMIT ? commit.blockId : undefined,
    timestamp: sig.timestamp,
    chainId,
  });
}
