/**
 * Bitcoin's hash: SHA-256 applied twice (FIPS 180-4).
 *
 * Small inputs (block headers: 80 bytes; Merkle nodes: 64 bytes; anything up to SMALL_INPUT bytes)
 * are hashed by the plain-JavaScript compression function below: for them node:crypto's cost is the
 * call itself (about 1 µs per digest even with the one-shot `crypto.hash`, 2 µs for createHash, and
 * sha256d needs two), while three JIT-compiled compressions into preallocated state cost about as much
 * as one native call and allocate nothing. Larger inputs (transactions, sighash preimages) go to
 * node:crypto, whose per-byte speed wins there. Both give the same digests (hash.test.ts).
 *
 * `sha256dInto` writes the digest into a caller's buffer: a batch verifier hashes 2,000 headers into
 * one slab without a single allocation.
 */
import { hash as nodeHash } from "node:crypto";
import { concatBytes } from "../../chain/store/bytes";

/** Inputs up to this many bytes are hashed in JavaScript (3 compressions for the first SHA-256 at most). */
const SMALL_INPUT = 183;

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

// Scratch state: every call fills what it reads before reading it, and nothing here is re-entrant
// (no callbacks, no awaits), so one set of buffers serves every caller.
const W = new Int32Array(64);
const S = new Int32Array(8);
const PAIR = new Uint8Array(64);

/** One SHA-256 compression of the block in W[0..15] into S. */
function compress(): void {
  const w = W;
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15];
    const b = w[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (s1 + w[i - 7] + s0 + w[i - 16]) | 0;
  }
  const s = S;
  let a = s[0];
  let b = s[1];
  let c = s[2];
  let d = s[3];
  let e = s[4];
  let f = s[5];
  let g = s[6];
  let h = s[7];
  for (let i = 0; i < 64; i++) {
    const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + K[i] + w[i]) | 0;
    const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) | (c & (a | b)))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  s[0] = (s[0] + a) | 0;
  s[1] = (s[1] + b) | 0;
  s[2] = (s[2] + c) | 0;
  s[3] = (s[3] + d) | 0;
  s[4] = (s[4] + e) | 0;
  s[5] = (s[5] + f) | 0;
  s[6] = (s[6] + g) | 0;
  s[7] = (s[7] + h) | 0;
}

function be32(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

/** S = SHA-256 of data[0..len) for len <= SMALL_INPUT (so the bit length fits W[15]). */
function sha256Small(data: Uint8Array, len: number): void {
  S.set(IV);
  let off = 0;
  for (; off + 64 <= len; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = be32(data, off + 4 * i);
    compress();
  }
  // the tail, the 0x80 terminator and the bit length: one block, or two if the tail leaves < 9 bytes
  const tail = len - off;
  const full = tail >>> 2; // whole words of the tail
  for (let i = 0; i < full; i++) W[i] = be32(data, off + 4 * i);
  let word = 0;
  for (let j = 0; j < 4; j++) {
    const p = 4 * full + j;
    const byte = p < tail ? data[off + p] : p === tail ? 0x80 : 0;
    word |= byte << (24 - 8 * j);
  }
  W[full] = word;
  for (let i = full + 1; i < 16; i++) W[i] = 0;
  if (tail >= 56) {
    compress();
    W.fill(0, 0, 16);
  }
  W[15] = len * 8;
  compress();
}

/** S = SHA-256 of the 32-byte digest now in S (the second round of sha256d). */
function rehashState(): void {
  for (let i = 0; i < 8; i++) W[i] = S[i];
  W[8] = 0x80000000 | 0;
  for (let i = 9; i < 15; i++) W[i] = 0;
  W[15] = 256;
  S.set(IV);
  compress();
}

function writeState(out: Uint8Array, off: number): void {
  for (let i = 0; i < 8; i++) {
    const v = S[i];
    const o = off + 4 * i;
    out[o] = v >>> 24;
    out[o + 1] = v >>> 16;
    out[o + 2] = v >>> 8;
    out[o + 3] = v;
  }
}

/** sha256d(data) written to out[off..off + 32). */
export function sha256dInto(data: Uint8Array, out: Uint8Array, off: number): void {
  if (data.length <= SMALL_INPUT) {
    sha256Small(data, data.length);
    rehashState();
    writeState(out, off);
  } else out.set(nodeHash("sha256", nodeHash("sha256", data, "buffer"), "buffer"), off);
}

export function sha256d(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  sha256dInto(data, out, 0);
  return out;
}

/** Single SHA-256 (not Bitcoin's hash; for tests of the compression function against node:crypto). */
export function sha256(data: Uint8Array): Uint8Array {
  if (data.length > SMALL_INPUT) return new Uint8Array(nodeHash("sha256", data, "buffer"));
  const out = new Uint8Array(32);
  sha256Small(data, data.length);
  writeState(out, 0);
  return out;
}

/** sha256d(left || right): a Merkle inner node. */
export function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length + right.length !== 64) return sha256dParts(left, right);
  PAIR.set(left, 0);
  PAIR.set(right, left.length);
  return sha256d(PAIR);
}

/** sha256d of the concatenation of `parts`. */
export function sha256dParts(...parts: Uint8Array[]): Uint8Array {
  return sha256d(concatBytes(...parts));
}
