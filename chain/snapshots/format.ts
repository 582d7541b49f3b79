/**
 * Snapshot format 1: one stream of items, cut into chunks of CHUNK_RAW_BYTES (an item may straddle
 * two chunks), each chunk deflated on its own.
 *
 *   header  0x01 uv(format) uv(height) uv(len) appMeta uv(stores)
 *   store   0x02 uv(len) name                                  (stores in name order, each once)
 *   node    0x03 uv(height) uv(version) uv(len) key [uv(len) value, for a leaf (height 0)]
 *   end     0x04
 *
 * Nodes follow their store in post-order, as the SDK's SnapshotIAVLItem (height, version, key,
 * value). appMeta is what the app keeps beside the trees (the block time of the height).
 */
import { putUvarint, Reader, uvarintSize } from "../store/bytes";

export const SNAPSHOT_FORMAT = 1;
/** Raw bytes per chunk before compression (the SDK's chunks are at most 10 MB). */
export const CHUNK_RAW_BYTES = 4 * 1024 * 1024;
/** The largest key, value or app record an item may carry. */
const MAX_FIELD = 64 * 1024 * 1024;

const T_HEADER = 1;
const T_STORE = 2;
const T_NODE = 3;
const T_END = 4;

export type SnapshotItem =
  | { kind: "header"; format: number; height: number; appMeta: Uint8Array; stores: number }
  | { kind: "store"; name: string }
  | { kind: "node"; height: number; version: number; key: Uint8Array; value?: Uint8Array }
  | { kind: "end" };

export function encodeItem(item: SnapshotItem): Uint8Array {
  switch (item.kind) {
    case "header": {
      const b = new Uint8Array(1 + 30 + uvarintSize(item.appMeta.length) + item.appMeta.length);
      b[0] = T_HEADER;
      let o = putUvarint(b, putUvarint(b, 1, item.format), item.height);
      o = putBytes(b, o, item.appMeta);
      return b.subarray(0, putUvarint(b, o, item.stores));
    }
    case "store": {
      const name = Buffer.from(item.name, "utf8");
      const b = new Uint8Array(1 + 10 + name.length);
      b[0] = T_STORE;
      return b.subarray(0, putBytes(b, 1, name));
    }
    case "node": {
      const v = item.value;
      const b = new Uint8Array(1 + 40 + item.key.length + (v === undefined ? 0 : v.length));
      b[0] = T_NODE;
      let o = putUvarint(b, putUvarint(b, 1, item.height), item.version);
      o = putBytes(b, o, item.key);
      if (item.height === 0) o = putBytes(b, o, v!);
      return b.subarray(0, o);
    }
    case "end":
      return Uint8Array.of(T_END);
  }
}

function putBytes(b: Uint8Array, o: number, bytes: Uint8Array): number {
  o = putUvarint(b, o, bytes.length);
  b.set(bytes, o);
  return o + bytes.length;
}

/** Thrown inside the parser when an item continues in the next chunk. */
class NeedMore extends Error {}

/**
 * Parses the item stream chunk by chunk, keeping an item cut by a chunk boundary for the next
 * chunk. Malformed input throws; so does anything after the end item.
 */
export class ItemParser {
  private rest: Uint8Array = new Uint8Array(0);
  private ended = false;

  /** True once the end item was read. */
  get complete(): boolean {
    return this.ended;
  }

  /** Bytes of an unfinished item waiting for the next chunk. */
  get pending(): number {
    return this.rest.length;
  }

  *feed(raw: Uint8Array): Generator<SnapshotItem> {
    const buf = this.rest.length === 0 ? raw : Buffer.concat([this.rest, raw]);
    let pos = 0;
    try {
      while (pos < buf.length) {
        if (this.ended) throw new Error("data after the end of the snapshot");
        const r = new Reader(buf.subarray(pos));
        const item = readItem(r);
        pos += r.pos;
        if (item.kind === "end") this.ended = true;
        yield item;
      }
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
    }
    this.rest = Uint8Array.from(buf.subarray(pos));
  }
}

function readItem(r: Reader): SnapshotItem {
  const tag = need(r, () => r.bytes(1)[0]);
  switch (tag) {
    case T_HEADER: {
      const format = uv(r);
      const height = uv(r);
      const appMeta = field(r);
      return { kind: "header", format, height, appMeta, stores: uv(r) };
    }
    case T_STORE:
      return { kind: "store", name: Buffer.from(field(r)).toString("utf8") };
    case T_NODE: {
      const height = uv(r);
      const version = uv(r);
      const key = field(r);
      return height === 0 ? { kind: "node", height, version, key, value: field(r) } : { kind: "node", height, version, key };
    }
    case T_END:
      return { kind: "end" };
    default:
      throw new Error(`unknown snapshot item type ${tag}`);
  }
}

function uv(r: Reader): number {
  return need(r, () => r.uvarint());
}

function field(r: Reader): Uint8Array {
  const len = uv(r);
  if (len > MAX_FIELD) throw new Error(`a snapshot field of ${len} bytes (at most ${MAX_FIELD})`);
  return need(r, () => Uint8Array.from(r.bytes(len)));
}

/** Runs a read; running out of bytes means the item continues in the next chunk. */
function need<T>(r: Reader, read: () => T): T {
  try {
    return read();
  } catch (e) {
    // Reader's only errors at the end of its buffer: "truncated varint", "truncated bytes"
    if (e instanceof Error && e.message.startsWith("truncated") && r.pos <= r.end) throw new NeedMore();
    throw e;
  }
}
