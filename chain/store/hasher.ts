/**
 * Parallel node hashing on a worker thread, pipelined with the main thread.
 *
 * The main thread encodes a version's dirty nodes in post-order (children first) into a shared
 * buffer, leaving the hashes of dirty children as zero placeholders, and publishes how many
 * records are ready. The worker follows behind: for each record it takes the dirty children's
 * hashes from the output area, patches them into the record, computes the IAVL hash of the node
 * from the record (leaf: zz(0) zz(1) zz(version) uv(len key) key uv(32) sha256(value); inner:
 * zz(height) zz(size) zz(version) uv(32) left uv(32) right) and publishes its progress. The main
 * thread then hands each finished record to the LevelDB batch and the node cache. Hashes are
 * identical to the main-thread path (the property tests compare both).
 *
 * Shared control cells (Int32): 0 = records ready, 1 = records hashed, 2 = error flag.
 */
import { Worker } from "node:worker_threads";

const READY = 0;
const HASHED = 1;
const FAILED = 2;
const WAIT_LIMIT_MS = 30_000;

/** Per record in the table: start, end, index of the left and right dirty child (-1: none). */
export const TABLE_STRIDE = 4;

const WORKER_SOURCE = String.raw`
"use strict";
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
const W = new Int32Array(64);
const H = new Int32Array(8);
const tail = new Uint8Array(128);
function compress(b, o) {
  for (let i = 0; i < 16; i++, o += 4) W[i] = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15], w2 = W[i - 2];
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
  }
  let a = H[0], b1 = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b1) ^ (a & c) ^ (b1 & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b1; b1 = a; a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0; H[1] = (H[1] + b1) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
}
function sha256Into(data, off, len, out, outOff) {
  if (len >= 256) {
    out.set(createHash("sha256").update(data.subarray(off, off + len)).digest(), outOff);
    return;
  }
  H[0] = 0x6a09e667; H[1] = 0xbb67ae85 | 0; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a | 0;
  H[4] = 0x510e527f; H[5] = 0x9b05688c | 0; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
  const end = off + len;
  let o = off;
  for (; o + 64 <= end; o += 64) compress(data, o);
  const rem = end - o;
  for (let i = 0; i < rem; i++) tail[i] = data[o + i];
  tail[rem] = 0x80;
  const blockEnd = rem < 56 ? 64 : 128;
  tail.fill(0, rem + 1, blockEnd - 4);
  const bits = len * 8;
  tail[blockEnd - 4] = bits >>> 24; tail[blockEnd - 3] = bits >>> 16; tail[blockEnd - 2] = bits >>> 8; tail[blockEnd - 1] = bits;
  compress(tail, 0);
  if (blockEnd === 128) compress(tail, 64);
  for (let i = 0; i < 8; i++) {
    const v = H[i], p = outOff + 4 * i;
    out[p] = v >>> 24; out[p + 1] = v >>> 16; out[p + 2] = v >>> 8; out[p + 3] = v;
  }
}
let scratch = new Uint8Array(512);
const vh = new Uint8Array(32);
let buf, pos;
function uv() {
  let r = 0, m = 1;
  for (;;) { const b = buf[pos++]; r += (b & 0x7f) * m; if (b < 0x80) return r; m *= 128; }
}
function putUv(s, o, n) {
  while (n >= 0x80) { s[o++] = (n & 0x7f) | 0x80; n = n >= 0x80000000 ? Math.floor(n / 128) : n >>> 7; }
  s[o++] = n;
  return o;
}
function hashRecord(recs, start, end, table, i, out) {
  buf = recs; pos = start;
  const height = uv();
  let o;
  if (height === 0) {
    const version = uv();
    const klen = uv();
    const kpos = pos;
    sha256Into(recs, kpos + klen, end - kpos - klen, vh, 0);
    if (scratch.length < klen + 64) scratch = new Uint8Array(klen + 64);
    const s = scratch;
    s[0] = 0; s[1] = 2;
    o = putUv(s, 2, version * 2);
    o = putUv(s, o, klen);
    for (let j = 0; j < klen; j++) s[o + j] = recs[kpos + j];
    o += klen;
    s[o++] = 32;
    for (let j = 0; j < 32; j++) s[o + j] = vh[j];
    o += 32;
  } else {
    const size = uv();
    const version = uv();
    const klen = uv(); // (not "pos += uv()": that reads pos before uv() advances it)
    pos += klen;
    uv(); // left id
    const lpos = pos;
    pos += 32;
    const lHeight = uv();
    uv(); // left size
    if (lHeight === 0) {
      const lklen = uv(); // left leaf key
      pos += lklen;
    }
    uv(); // right id
    const rpos = pos;
    const li = table[i * 4 + 2], ri = table[i * 4 + 3];
    if (li >= 0) for (let j = 0; j < 32; j++) recs[lpos + j] = out[li * 32 + j];
    if (ri >= 0) for (let j = 0; j < 32; j++) recs[rpos + j] = out[ri * 32 + j];
    const s = scratch;
    o = putUv(s, 0, height * 2);
    o = putUv(s, o, size * 2);
    o = putUv(s, o, version * 2);
    s[o++] = 32;
    for (let j = 0; j < 32; j++) s[o + j] = recs[lpos + j];
    o += 32;
    s[o++] = 32;
    for (let j = 0; j < 32; j++) s[o + j] = recs[rpos + j];
    o += 32;
  }
  sha256Into(scratch, 0, o, out, i * 32);
}
parentPort.on("message", (job) => {
  const ctl = new Int32Array(job.ctl);
  const recs = new Uint8Array(job.recs);
  const table = new Int32Array(job.table);
  const out = new Uint8Array(job.out);
  const count = job.count;
  try {
    let ready = 0;
    for (let i = 0; i < count; i++) {
      while (i >= ready) {
        if (Atomics.load(ctl, ${FAILED}) !== 0) return; // abandoned by the main thread
        ready = Atomics.load(ctl, ${READY});
        if (i >= ready) Atomics.wait(ctl, ${READY}, ready, 200);
      }
      hashRecord(recs, table[i * 4], table[i * 4 + 1], table, i, out);
      if ((i & 31) === 31 || i === count - 1) {
        Atomics.store(ctl, ${HASHED}, i + 1);
        Atomics.notify(ctl, ${HASHED});
      }
    }
  } catch (e) {
    Atomics.store(ctl, ${FAILED}, 1);
    Atomics.notify(ctl, ${HASHED});
  }
});
`;

/** One hashing job: records are appended by the main thread and hashed by the worker. */
export class HashJob {
  readonly ctl: Int32Array;
  recs: Uint8Array;
  table: Int32Array;
  readonly out: Uint8Array;
  private published = 0;
  private hashedSeen = 0;

  constructor(
    private readonly hasher: ParallelHasher,
    worker: Worker,
    readonly count: number,
    recs: Uint8Array,
    table: Int32Array,
  ) {
    this.ctl = new Int32Array(new SharedArrayBuffer(16));
    this.recs = recs;
    this.table = table;
    // not reused: the committed nodes keep referring to their hashes here
    this.out = new Uint8Array(new SharedArrayBuffer(Math.max(1, count) * 32));
    worker.postMessage({ ctl: this.ctl.buffer, recs: this.recs.buffer, table: this.table.buffer, out: this.out.buffer, count });
  }

  /** Records 0..n-1 are complete (their bytes and table rows). */
  publish(n: number): void {
    if (n - this.published >= 32 || n === this.count) {
      this.published = n;
      Atomics.store(this.ctl, READY, n);
      Atomics.notify(this.ctl, READY);
    }
  }

  /** Tells the worker to drop this job (the main thread failed while filling it). */
  abandon(): void {
    Atomics.store(this.ctl, FAILED, 2);
    Atomics.notify(this.ctl, READY);
  }

  /** Blocks until record i has been hashed (and its children's hashes patched into it). */
  waitHashed(i: number): void {
    if (i < this.hashedSeen) return;
    const start = Date.now();
    for (;;) {
      if (Atomics.load(this.ctl, FAILED) !== 0 || !this.hasher.alive) throw new Error("the hashing worker failed");
      const h = Atomics.load(this.ctl, HASHED);
      if (i < h) {
        this.hashedSeen = h;
        return;
      }
      Atomics.wait(this.ctl, HASHED, h, 100);
      if (Date.now() - start > WAIT_LIMIT_MS) throw new Error("the hashing worker did not answer");
    }
  }
}

export class ParallelHasher {
  /** False once the worker has died; the store then hashes on the main thread. */
  alive = true;
  /** Record and table buffers, reused from job to job (grown when needed). */
  private recs: Uint8Array = new Uint8Array(0);
  private table: Int32Array = new Int32Array(0);

  private constructor(private readonly worker: Worker) {}

  /** A hasher with its worker thread, or undefined where workers are unavailable. */
  static create(): ParallelHasher | undefined {
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true });
      w.unref();
      const h = new ParallelHasher(w);
      const dead = (): void => {
        h.alive = false;
      };
      w.on("error", dead);
      w.on("exit", dead);
      return h;
    } catch {
      return undefined;
    }
  }

  begin(count: number, recordBytes: number): HashJob {
    if (this.recs.length < recordBytes) this.recs = new Uint8Array(new SharedArrayBuffer(Math.ceil(Math.max(1 << 20, recordBytes * 1.25))));
    if (this.table.length < count * TABLE_STRIDE) this.table = new Int32Array(new SharedArrayBuffer(Math.ceil(Math.max(1024, count * TABLE_STRIDE * 1.25)) * 4));
    return new HashJob(this, this.worker, count, this.recs, this.table);
  }

  /** After an abandoned job the worker may still be reading the buffers: use fresh ones next time. */
  forgetBuffers(): void {
    this.recs = new Uint8Array(0);
    this.table = new Int32Array(0);
  }

  async close(): Promise<void> {
    this.alive = false;
    await this.worker.terminate();
  }
}
