/**
 * Compact targets ("nBits") and proof of work, with Bitcoin Core's arith_uint256 semantics:
 * SetCompact/GetCompact, CheckProofOfWork and GetBlockProof. All arithmetic is BigInt.
 */
import { assertHash } from "./bytes";

const MOD256 = 1n << 256n;
const MASK256 = MOD256 - 1n;

export interface Compact {
  /** The decoded value, truncated to 256 bits as arith_uint256's shift would. */
  readonly target: bigint;
  readonly negative: boolean;
  readonly overflow: boolean;
}

/** arith_uint256::SetCompact(nCompact, &fNegative, &fOverflow). */
export function decodeCompact(bits: number): Compact {
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  let target: bigint;
  if (size <= 3) {
    word >>>= 8 * (3 - size);
    target = BigInt(word);
  } else {
    target = (BigInt(word) << BigInt(8 * (size - 3))) & MASK256;
  }
  const negative = word !== 0 && (bits & 0x00800000) !== 0;
  const overflow = word !== 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32));
  return { target, negative, overflow };
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** arith_uint256::GetCompact(fNegative). `target` must be in [0, 2^256). */
export function encodeCompact(target: bigint, negative = false): number {
  if (target < 0n || target >= MOD256) throw new RangeError(`target out of uint256 range: ${target}`);
  let size = (bitLength(target) + 7) >>> 3;
  let compact: number;
  if (size <= 3) compact = Number(target << BigInt(8 * (3 - size)));
  else compact = Number(target >> BigInt(8 * (size - 3)));
  // 0x00800000 is the sign bit: if the mantissa would set it, shift one more byte into the exponent.
  if (compact & 0x00800000) {
    compact >>>= 8;
    size++;
  }
  compact = (compact | (size << 24)) >>> 0;
  if (negative && (compact & 0x007fffff) !== 0) compact = (compact | 0x00800000) >>> 0;
  return compact;
}

/** A 32-byte hash in internal byte order read as the little-endian uint256 that Core compares. */
export function hashToBigInt(hash: Uint8Array): bigint {
  assertHash(hash, "hash");
  const v = new DataView(hash.buffer, hash.byteOffset, 32);
  return (v.getBigUint64(24, true) << 192n) | (v.getBigUint64(16, true) << 128n) | (v.getBigUint64(8, true) << 64n) | v.getBigUint64(0, true);
}

/**
 * Why `bits` or `hash` fails CheckProofOfWork, or undefined if it passes:
 * the target must be non-negative, non-zero, not overflowing and <= powLimit; the hash <= target.
 */
export function proofOfWorkFailure(hash: Uint8Array, bits: number, powLimit: bigint): string | undefined {
  const { target, negative, overflow } = decodeCompact(bits);
  if (negative) return `nBits 0x${hex32(bits)} is negative`;
  if (overflow) return `nBits 0x${hex32(bits)} overflows 256 bits`;
  if (target === 0n) return `nBits 0x${hex32(bits)} is a zero target`;
  if (target > powLimit) return `nBits 0x${hex32(bits)} is easier than the network's powLimit`;
  if (hashToBigInt(hash) > target) return `hash is above the target of nBits 0x${hex32(bits)}`;
  return undefined;
}

/** Bitcoin Core's CheckProofOfWork(hash, nBits, params). */
export function checkProofOfWork(hash: Uint8Array, bits: number, powLimit: bigint): boolean {
  return proofOfWorkFailure(hash, bits, powLimit) === undefined;
}

/**
 * Expected number of hashes for a block at `bits`: floor(2^256 / (target + 1)), as Core's GetBlockProof
 * (which returns 0 for negative, overflowing or zero targets; so does this).
 */
export function blockWork(bits: number): bigint {
  const { target, negative, overflow } = decodeCompact(bits);
  if (negative || overflow || target === 0n) return 0n;
  return MOD256 / (target + 1n);
}

export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
