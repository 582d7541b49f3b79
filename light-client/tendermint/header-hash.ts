/**
 * The block hash of a CometBFT header (types/block.go Header.Hash): the simple Merkle root of its 14
 * fields in order, each encoded as protobuf — version as tendermint.version.Consensus, time as
 * google.protobuf.Timestamp, last_block_id as tendermint.types.BlockID, every other field wrapped by
 * cdcEncode in a gogoproto StringValue / Int64Value / BytesValue (a zero or empty value encodes to
 * zero bytes, as proto3 omits it). The proto writers here are shared with sign-bytes.ts.
 */
import { BinaryWriter } from "cosmjs-types/binary";
import { merkleRoot } from "./merkle";
import { type BlockId, type Header, type Time, timeToTimestamp } from "./types";

// Field tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const VARINT_1 = 8;
const VARINT_2 = 16;
const BYTES_1 = 10;
const BYTES_2 = 18;

/** google.protobuf.Timestamp. */
export function writeTimestamp(w: BinaryWriter, t: Time): BinaryWriter {
  const { seconds, nanos } = timeToTimestamp(t);
  if (seconds !== 0n) w.uint32(VARINT_1).int64(seconds);
  if (nanos !== 0) w.uint32(VARINT_2).int32(nanos);
  return w;
}

/**
 * tendermint.types.BlockID, whose wire form CanonicalBlockID shares: part_set_header is non-nullable
 * in gogoproto, so it is always written, even empty.
 */
export function writeBlockId(w: BinaryWriter, id: BlockId): BinaryWriter {
  if (id.hash.length > 0) w.uint32(BYTES_1).bytes(id.hash);
  w.uint32(BYTES_2).fork();
  if (id.partSetHeader.total !== 0) w.uint32(VARINT_1).uint32(id.partSetHeader.total);
  if (id.partSetHeader.hash.length > 0) w.uint32(BYTES_2).bytes(id.partSetHeader.hash);
  return w.ldelim();
}

function consensusBytes(version: Header["version"]): Uint8Array {
  const w = BinaryWriter.create();
  if (version.block !== 0n) w.uint32(VARINT_1).uint64(version.block);
  if (version.app !== 0n) w.uint32(VARINT_2).uint64(version.app);
  return w.finish();
}

const stringValue = (s: string): Uint8Array => (s === "" ? new Uint8Array(0) : BinaryWriter.create().uint32(BYTES_1).string(s).finish());
const int64Value = (n: bigint): Uint8Array => (n === 0n ? new Uint8Array(0) : BinaryWriter.create().uint32(VARINT_1).int64(n).finish());
const bytesValue = (b: Uint8Array): Uint8Array => (b.length === 0 ? new Uint8Array(0) : BinaryWriter.create().uint32(BYTES_1).bytes(b).finish());

/** The 14 Merkle leaves of a header, in Header.Hash's order. */
export function headerLeaves(h: Header): Uint8Array[] {
  return [
    consensusBytes(h.version),
    stringValue(h.chainId),
    int64Value(h.height),
    writeTimestamp(BinaryWriter.create(), h.time).finish(),
    writeBlockId(BinaryWriter.create(), h.lastBlockId).finish(),
    bytesValue(h.lastCommitHash),
    bytesValue(h.dataHash),
    bytesValue(h.validatorsHash),
    bytesValue(h.nextValidatorsHash),
    bytesValue(h.consensusHash),
    bytesValue(h.appHash),
    bytesValue(h.lastResultsHash),
    bytesValue(h.evidenceHash),
    bytesValue(h.proposerAddress),
  ];
}

/**
 * The header's block hash. CometBFT returns nil for a header without validators_hash; such a header
 * never reaches this in verification (verify.ts requires a 32-byte validators_hash first).
 */
export function headerHash(h: Header): Uint8Array {
  return merkleRoot(headerLeaves(h));
}
