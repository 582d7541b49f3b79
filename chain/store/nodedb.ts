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
  private readonly map = new Map<number, number>();
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
    return this.map.has(id);
  }

  /** On a hit, sets slab/start/end to the encoded node and returns true. */
  get(id: number): boolean {
    const loc = this.map.get(id);
    if (loc === undefined) return false;
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
        } else {
          this.map.delete(id);
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
    if (pinned !== undefined) pinned.set(id, n);
    return n;
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
            if (this.pinned !== undefined) this.pinned.set(part[i], decodeNode(part[i], v));
          }
        }),
      );
    }
    await Promise.all(jobs);
  }
}
