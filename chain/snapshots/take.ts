/**
 * Taking a snapshot: a held committed version's trees, written as format 1 (format.ts) into chunk
 * files. It runs beside block execution: the work is cut into slices between which the event loop
 * serves ABCI, and compression runs on libuv's threadpool.
 */
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { promisify } from "node:util";
import { deflate } from "node:zlib";
import type { VersionExport } from "../store/snapshot-export";
import { CHUNK_RAW_BYTES, encodeItem, SNAPSHOT_FORMAT, type SnapshotItem } from "./format";
import type { SnapshotBuilder, SnapshotDir, SnapshotInfo } from "./snapshot-dir";

const deflateAsync = promisify(deflate);
/** Tree nodes read between two turns of the event loop. */
const NODES_PER_SLICE = 2_000;

/** Writes the snapshot of `exp`'s version; `stopping()` true abandons it (nothing is listed). */
export async function takeSnapshot(
  exp: VersionExport,
  appMeta: Uint8Array,
  dir: SnapshotDir,
  stopping: () => boolean,
  chunkBytes = CHUNK_RAW_BYTES,
): Promise<SnapshotInfo> {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > CHUNK_RAW_BYTES) throw new Error(`chunk size must be 1..${CHUNK_RAW_BYTES} bytes`);
  const builder = await dir.create(exp.version, SNAPSHOT_FORMAT);
  try {
    const out = new ChunkWriter(builder, chunkBytes);
    const names = exp.storeNames;
    out.add({ kind: "header", format: SNAPSHOT_FORMAT, height: exp.version, appMeta, stores: names.length });
    let n = 0;
    for (const name of names) {
      out.add({ kind: "store", name });
      for (const node of exp.nodesOf(name)) {
        out.add({ kind: "node", ...node });
        if (++n % NODES_PER_SLICE === 0) {
          await out.drain();
          await yieldToLoop();
          if (stopping()) throw new Error("the node is stopping");
        }
      }
    }
    out.add({ kind: "end" });
    await out.drain(true);
    return await builder.finish();
  } catch (e) {
    await builder.discard();
    throw e;
  }
}

/** Gathers encoded items and hands the builder full chunks (deflated). */
class ChunkWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(
    private readonly builder: SnapshotBuilder,
    private readonly chunkBytes: number,
  ) {
    this.buf = new Uint8Array(chunkBytes + 64 * 1024);
  }

  add(item: SnapshotItem): void {
    const b = encodeItem(item);
    if (this.len + b.length > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + b.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Writes every full chunk, and with `last` the rest too. */
  async drain(last = false): Promise<void> {
    let start = 0;
    while (this.len - start >= this.chunkBytes || (last && start < this.len)) {
      const end = Math.min(this.len, start + this.chunkBytes);
      await this.builder.addChunk(await deflateAsync(this.buf.subarray(start, end)));
      start = end;
    }
    this.buf.copyWithin(0, start, this.len);
    this.len -= start;
  }
}
