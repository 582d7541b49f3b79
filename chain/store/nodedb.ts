/**
 * Node storage: LevelDB records `n | id(8 bytes BE) -> encoded node`, read synchronously
 * (classic-level getSync) through a bounded in-memory cache of encoded nodes, plus batched
 * asynchronous prefetch.
 */
import type { ClassicLevel } from "classic-level";
import { writeU64 } from "./bytes";
import { decodeNode, Node } from "./node";
import { NodeSource } from "./tree";

export const NODE_PREFIX = 0x6e; // 'n'

export function nodeKey(id: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = NODE_PREFIX;
  writeU64(k, 1, id);
  return k;
}

const HEADER = 8; // u16 length, u48 id
const MAX_RECORD = 0xffff;
const MAX_SLAB = 1 << 22;
const MAX_SLABS = 250; // keeps a location (slab * slabSize + offset) below 2^30: a V8 small integer

/**
 * Open-addressing hash table from node id (a positive safe integer) to a small non-negative
 * integer, in typed arrays: linear probing, backward-shift deletion (no tombstones), grows at
 * half load. About twice as fast as a Map with a million entries, and invisible to the GC.
 */
export class IdTable {
  private keys: Float64Array;
  private vals: Int32Array;
  private bits: number;
  private mask: number;
  size = 0;

  constructor(initialBits = 10) {
    this.bits = initialBits;
    this.mask = (1 << initialBits) - 1;
    this.keys = new Float64Array(1 << initialBits);
    this.vals = new Int32Array(1 << initialBits);
  }

  private home(id: number): number {
    const lo = id >>> 0;
    const hi = (id / 4294967296) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> (32 - this.bits);
  }

  /** The value for id, or -1. */
  get(id: number): number {
    const keys = this.keys;
    for (let i = this.home(id); ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === id) return this.vals[i];
      if (k === 0) return -1;
    }
  }

  set(id: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    for (let i = this.home(id); ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === id) {
        this.vals[i] = value;
        return;
      }
      if (k === 0) {
        keys[i] = id;
        this.vals[i] = value;
        this.size++;
        return;
      }
    }
  }

  delete(id: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.home(id);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === id) break;
      if (k === 0) return;
    }
    this.size--;
    // shift back the following entries of the probe run that may live at or before i
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j];
      if (k === 0) break;
      const h = this.home(k);
      const movable = i <= j ? h <= i || h > j : h <= i && h > j;
      if (movable) {
        keys[i] = k;
        vals[i] = vals[j];
        i = j;
      }
    }
    keys[i] = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    this.bits++;
    this.mask = (1 << this.bits) - 1;
    this.keys = new Float64Array(1 << this.bits);
    this.vals = new Int32Array(1 << this.bits);
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== 0) this.set(oldKeys[i], oldVals[i]);
  }
}

/**
 * Bounded cache of encoded nodes, kept in a few large append-only slabs instead of one JS object
 * per node: a million cached nodes cost the garbage collector almost nothing, which a Map of
 * decoded Node objects (each with several typed arrays) did not. `map` holds id -> location.
 *
 * The oldest slab is recycled when the cache holds more than `maxNodes` nodes or its slabs exceed
 * the byte budget: its still-referenced records are moved to the newest slab if they fill at most
 * half of it (compaction of slabs emptied by deletes of orphaned nodes), dropped otherwise (FIFO
 * eviction), so each recycling frees at least half a slab. Slabs are never written again
 * once recycled (a fresh buffer is allocated), so decoded nodes that still view an old slab stay
 * valid.
 */
export class NodeCache {
  private readonly slabSize: number;
  private readonly shift: number;
  private readonly mask: number;
  private readonly maxBytes: number;
  private readonly slabs: (Uint8Array | undefined)[] = [];
  private readonly used: number[] = [];
  /** Slab indices, oldest first; the last one is being filled. */
  private readonly ring: number[] = [];
  private readonly spare: number[] = [];
  private readonly map = new IdTable();
  /** Records moved by compaction / evicted while live (diagnostics). */
  moved = 0;
  evicted = 0;
  // result of the last successful get()
  slab: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;

  constructor(readonly maxNodes: number) {
    const budget = Math.min(maxNodes * 256, MAX_SLAB * (MAX_SLABS - 10));
    let size = 1 << 16;
    while (size < MAX_SLAB && size * 64 < budget) size *= 2;
    this.slabSize = size;
    this.shift = Math.log2(size);
    this.mask = size - 1;
    this.maxBytes = Math.max(budget, 4 * size);
  }

  get size(): number {
    return this.map.size;
  }

  has(id: number): boolean {
    return this.map.get(id) >= 0;
  }

  /** On a hit, sets slab/start/end to the encoded node and returns true. */
  get(id: number): boolean {
    const loc = this.map.get(id);
    if (loc < 0) return false;
    const s = this.slabs[loc >>> this.shift]!;
    const off = loc & this.mask;
    this.slab = s;
    this.start = off + HEADER;
    this.end = off + HEADER + (s[off] | (s[off + 1] << 8));
    return true;
  }

  /**
   * Makes room for a record of up to maxLen bytes, to be written at slab[start...] and then
   * registered with commitReserved(). False if the cache is disabled or the record too large.
   */
  reserve(maxLen: number): boolean {
    if (this.maxNodes === 0 || maxLen > MAX_RECORD) return false;
    let idx = this.ring.length > 0 ? this.ring[this.ring.length - 1] : -1;
    if (idx < 0 || this.used[idx] + HEADER + maxLen > this.slabSize) idx = this.openSlab();
    this.slab = this.slabs[idx]!;
    this.start = this.used[idx] + HEADER;
    return true;
  }

  commitReserved(id: number, len: number): void {
    const idx = this.ring[this.ring.length - 1];
    const s = this.slabs[idx]!;
    const off = this.used[idx];
    s[off] = len & 0xff;
    s[off + 1] = len >>> 8;
    writeU48(s, off + 2, id);
    this.used[idx] = off + HEADER + len;
    this.map.set(id, idx * this.slabSize + off);
    this.enforce();
  }

  add(id: number, src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.maxNodes === 0 || len > MAX_RECORD) return;
    this.map.set(id, this.append(id, src, start, len));
    this.enforce();
  }

  delete(id: number): void {
    this.map.delete(id);
  }

  private append(id: number, src: Uint8Array, start: number, len: number): number {
    let idx = this.ring.length > 0 ? this.ring[this.ring.length - 1] : -1;
    if (idx < 0 || this.used[idx] + HEADER + len > this.slabSize) idx = this.openSlab();
    const s = this.slabs[idx]!;
    const off = this.used[idx];
    s[off] = len & 0xff;
    s[off + 1] = len >>> 8;
    writeU48(s, off + 2, id);
    s.set(src.subarray(start, start + len), off + HEADER);
    this.used[idx] = off + HEADER + len;
    return idx * this.slabSize + off;
  }

  private openSlab(): number {
    const idx = this.spare.length > 0 ? this.spare.pop()! : this.slabs.length;
    this.slabs[idx] = new Uint8Array(this.slabSize);
    this.used[idx] = 0;
    this.ring.push(idx);
    return idx;
  }

  private enforce(): void {
    while (this.ring.length > 2 && (this.map.size > this.maxNodes || this.ring.length * this.slabSize > this.maxBytes || this.ring.length >= MAX_SLABS)) {
      this.recycleOldest();
    }
  }

  private recycleOldest(): void {
    const idx = this.ring.shift()!;
    const s = this.slabs[idx]!;
    const end = this.used[idx];
    const base = idx * this.slabSize;
    let live = 0;
    for (let off = 0; off < end; ) {
      const len = s[off] | (s[off + 1] << 8);
      if (this.map.get(readU48(s, off + 2)) === base + off) live += HEADER + len;
      off += HEADER + len;
    }
    // Moving the live records costs as much as they weigh: worth it only for a mostly dead slab.
    // A mostly live slab is evicted instead (FIFO), so every recycling frees at least half a slab.
    const keep = live * 2 <= end && this.map.size <= this.maxNodes;
    for (let off = 0; off < end; ) {
      const len = s[off] | (s[off + 1] << 8);
      const id = readU48(s, off + 2);
      if (this.map.get(id) === base + off) {
        if (keep) {
          this.map.set(id, this.append(id, s, off + HEADER, len));
          this.moved++;
        } else {
          this.map.delete(id);
          this.evicted++;
        }
      }
      off += HEADER + len;
    }
    this.slabs[idx] = undefined;
    this.used[idx] = 0;
    this.spare.push(idx);
  }
}

function writeU48(b: Uint8Array, o: number, n: number): void {
  const hi = Math.floor(n / 0x100000000);
  b[o] = hi >>> 8;
  b[o + 1] = hi;
  b[o + 2] = n >>> 24;
  b[o + 3] = n >>> 16;
  b[o + 4] = n >>> 8;
  b[o + 5] = n;
}

function readU48(b: Uint8Array, o: number): number {
  return ((b[o] << 8) | b[o + 1]) * 0x100000000 + (((b[o + 2] << 24) | (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]) >>> 0);
}

export class NodeDB implements NodeSource {
  readonly cache: NodeCache;
  /** Decoded nodes held while a version's writes are applied (each decoded once). */
  private pinned: Map<number, Node> | undefined;
  private pinDepth = 0;

  /** Nodes read from LevelDB one at a time (cache misses outside prefetching). */
  diskReads = 0;

  constructor(
    private readonly db: ClassicLevel<Uint8Array, Uint8Array>,
    cacheSize: number,
  ) {
    this.cache = new NodeCache(cacheSize);
  }

  get(id: number): Node {
    const pinned = this.pinned;
    let n: Node | undefined;
    if (pinned !== undefined) {
      n = pinned.get(id);
      if (n !== undefined) return n;
    }
    const c = this.cache;
    if (c.get(id)) {
      n = decodeNode(id, c.slab, c.start, c.end);
    } else {
      this.diskReads++;
      const buf = this.db.getSync(nodeKey(id));
      if (buf === undefined) throw new Error(`tree node ${id} is missing from the database (pruned version or corrupt database)`);
      n = decodeNode(id, buf);
      c.add(id, buf, 0, buf.length);
    }
    if (pinned !== undefined) {
      n.owned = false; // shared through the pinned set
      pinned.set(id, n);
    }
    return n;
  }

  /** A node read without entering the cache or the pinned set: bulk reads (snapshot exports) must not evict the working set. */
  peek(id: number): Node {
    const c = this.cache;
    if (c.get(id)) return decodeNode(id, c.slab, c.start, c.end);
    const buf = this.db.getSync(nodeKey(id));
    if (buf === undefined) throw new Error(`tree node ${id} is missing from the database (pruned version or corrupt database)`);
    return decodeNode(id, buf);
  }

  /** True when the node can be had without reading LevelDB. */
  inMemory(id: number): boolean {
    return (this.pinned !== undefined && this.pinned.has(id)) || this.cache.has(id);
  }

  beginPinning(): void {
    if (this.pinDepth++ === 0) this.pinned = new Map();
  }

  endPinning(): void {
    if (--this.pinDepth === 0) this.pinned = undefined;
  }

  /** Reads the given nodes with parallel multi-gets into the cache (and the pinned set). */
  async prefetch(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const chunks = ids.length < 256 ? 1 : 2; // two threadpool workers: the machine has two cores
    const per = Math.ceil(ids.length / chunks);
    const jobs: Promise<void>[] = [];
    for (let c = 0; c < chunks; c++) {
      const part = ids.slice(c * per, (c + 1) * per);
      jobs.push(
        this.db.getMany(part.map(nodeKey)).then((values) => {
          for (let i = 0; i < part.length; i++) {
            const v = values[i];
            if (v === undefined) throw new Error(`tree node ${part[i]} is missing from the database`);
            this.cache.add(part[i], v, 0, v.length);
            if (this.pinned !== undefined) {
              const n = decodeNode(part[i], v);
              n.owned = false;
              this.pinned.set(part[i], n);
            }
          }
        }),
      );
    }
    await Promise.all(jobs);
  }
}
