/**
 * Reads of the client's store (layout in store-layout.ts): the `View` one call reads through, with the
 * lookups of best-chain records and hashes by height, of any stored header by hash, and of the fork
 * headers. Nothing here writes.
 */
import { bytesEqual } from "../../chain/store/bytes";
import type { KVStore } from "../../chain/store/types";
import { fail } from "./errors";
import type { HeaderRef } from "./retarget";
import {
  BUCKET_KEYS,
  BUCKETS,
  type Chunk,
  chunkKey,
  chunkOf,
  decodeChunk,
  ENTRY_SIZE,
  type ForkEntry,
  getU32,
  getU32LE,
  P_FORK,
  PREFIX,
  readRecord,
  type Rec,
  RECORD_SIZE,
  type State,
} from "./store-layout";

/** Reads of one call: the state, the tip, and the chunks read so far (a call reads each at most once). */
export class View {
  private readonly chunks = new Map<number, Chunk | undefined>();
  private forkList: ForkEntry[] | undefined;
  tip!: Rec;

  constructor(
    readonly store: KVStore,
    readonly state: State,
  ) {}

  async chunk(c: number): Promise<Chunk | undefined> {
    if (this.chunks.has(c)) return this.chunks.get(c);
    const v = await this.store.get(chunkKey(c));
    const chunk = v === undefined ? undefined : decodeChunk(c, v);
    this.chunks.set(c, chunk);
    return chunk;
  }

  /** The chunk holding best-chain height h and the offset of its record; undefined outside lowest..tip. */
  async locate(h: number): Promise<{ chunk: Chunk; off: number } | undefined> {
    if (!Number.isSafeInteger(h) || h < this.state.lowest || h > this.state.tipHeight) return undefined;
    const chunk = await this.chunk(chunkOf(h));
    if (chunk === undefined || h < chunk.first || h >= chunk.first + chunk.count) fail("store-corrupt", `no best-chain record at height ${h}`);
    return { chunk, off: 4 + (h - chunk.first) * RECORD_SIZE };
  }

  /** The best-chain hash at h: the prevBlock of the record above, or the tip hash. */
  async bestHash(h: number): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(h) || h < this.state.lowest || h > this.state.tipHeight) return undefined;
    if (h === this.state.tipHeight) return this.state.tipHash;
    const above = (await this.locate(h + 1))!;
    return above.chunk.bytes.subarray(above.off + 4, above.off + 36);
  }

  async bestRecord(h: number, hash?: Uint8Array): Promise<Rec | undefined> {
    const at = await this.locate(h);
    if (at === undefined) return undefined;
    return readRecord(at.chunk.bytes, at.off, h, hash ?? (await this.bestHash(h))!, true);
  }

  /** Time and bits of the best-chain header at h (what the difficulty and time rules read). */
  async bestRef(h: number): Promise<HeaderRef | undefined> {
    const at = await this.locate(h);
    if (at === undefined) return undefined;
    const b = at.chunk.bytes;
    return { height: h, header: { time: getU32LE(b, at.off + 68), bits: getU32LE(b, at.off + 72) } };
  }

  async forks(): Promise<ForkEntry[]> {
    if (this.forkList !== undefined) return this.forkList;
    const out: ForkEntry[] = [];
    for await (const [k, v] of this.store.iterate({ start: Uint8Array.of(P_FORK), end: Uint8Array.of(P_FORK + 1) })) {
      if (k.length !== 37 || v.length !== RECORD_SIZE) fail("store-corrupt", `fork entry with a ${k.length}-byte key and ${v.length}-byte value`);
      out.push({ height: getU32(k, 1), hash: k.slice(5), prev: v.subarray(4, 36), value: v });
    }
    return (this.forkList = out);
  }

  /** The stored header with this hash: on the best chain (through the index) or a fork header. */
  async find(hash: Uint8Array): Promise<Rec | undefined> {
    const { state } = this;
    if (bytesEqual(hash, state.tipHash)) return this.tip ?? this.bestRecord(state.tipHeight, state.tipHash);
    const v = await this.store.get(BUCKET_KEYS[hash[0] & (BUCKETS - 1)]);
    if (v !== undefined) {
      if (v.length % ENTRY_SIZE !== 0) fail("store-corrupt", `hash-index bucket of ${v.length} bytes`);
      for (let off = 0; off < v.length; off += ENTRY_SIZE) {
        let j = 0;
        while (j < PREFIX && v[off + j] === hash[j]) j++;
        if (j < PREFIX) continue;
        // the same first 8 bytes: the header at that height has this hash if the chain says so
        const h = getU32(v, off + PREFIX);
        if (h < state.lowest || h > state.tipHeight) fail("store-corrupt", `hash-index entry at height ${h}, outside ${state.lowest}..${state.tipHeight}`);
        if (bytesEqual((await this.bestHash(h))!, hash)) return this.bestRecord(h, hash.slice());
      }
    }
    if (state.forkCount > 0) for (const f of await this.forks()) if (bytesEqual(f.hash, hash)) return readRecord(f.value!, 0, f.height, f.hash, false);
    return undefined;
  }
}
