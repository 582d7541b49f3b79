/**
 * Restoring one offered snapshot, chunk by chunk, into the empty store. Each chunk must match its
 * sha256 in the offered metadata; the rebuilt state's app hash must equal the app hash CometBFT
 * trusts (from the light client) before it is committed. Any failure wipes what was imported.
 */
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { inflate } from "node:zlib";
import { bytesEqual } from "../store/bytes";
import type { StoreImporter } from "../store/snapshot-import";
import { CHUNK_RAW_BYTES, ItemParser, SNAPSHOT_FORMAT } from "./format";
import type { SnapshotInfo } from "./snapshot-dir";

const inflateAsync = promisify(inflate);

/** What became of a chunk. */
export type ChunkOutcome =
  | { kind: "accepted" }
  | { kind: "restored"; height: number }
  /** The chunk does not match the metadata: fetch it again, from another peer. */
  | { kind: "bad-chunk"; reason: string }
  /** The snapshot is unusable; the partial restore was wiped. */
  | { kind: "rejected"; reason: string };

export class RestoreSession {
  private readonly parser = new ItemParser();
  private next = 0;
  private appMeta: Uint8Array | undefined;
  private storesSeen = 0;
  private over = false;

  constructor(
    readonly snapshot: SnapshotInfo,
    private readonly trustedAppHash: Uint8Array,
    private readonly importer: StoreImporter,
  ) {}

  /** Why the offered snapshot cannot be restored, or undefined if it may be tried. */
  static problem(s: SnapshotInfo, appHash: Uint8Array): string | undefined {
    if (s.format !== SNAPSHOT_FORMAT) return `unknown snapshot format ${s.format}`;
    if (!Number.isSafeInteger(s.height) || s.height < 1) return `invalid snapshot height ${s.height}`;
    if (!Number.isSafeInteger(s.chunks) || s.chunks < 1) return `a snapshot of ${s.chunks} chunks`;
    if (s.metadata.length !== 32 * s.chunks) return `metadata of ${s.metadata.length} bytes for ${s.chunks} chunks (want 32 bytes, a sha256, per chunk)`;
    if (!bytesEqual(createHash("sha256").update(s.metadata).digest(), s.hash)) return "the snapshot hash is not the sha256 of its metadata";
    if (appHash.length !== 32) return `a trusted app hash of ${appHash.length} bytes`;
    return undefined;
  }

  get nextChunk(): number {
    return this.next;
  }

  async apply(index: number, chunk: Uint8Array): Promise<ChunkOutcome> {
    if (this.over) return { kind: "rejected", reason: "this restore is over" };
    if (index !== this.next) return this.reject(`chunk ${index} arrived while chunk ${this.next} was expected`);
    const want = this.snapshot.metadata.subarray(32 * index, 32 * index + 32);
    if (!bytesEqual(createHash("sha256").update(chunk).digest(), want)) return { kind: "bad-chunk", reason: `chunk ${index} does not match its sha256 in the snapshot metadata` };
    try {
      const raw = await inflateAsync(chunk, { maxOutputLength: CHUNK_RAW_BYTES });
      for (const item of this.parser.feed(raw)) {
        switch (item.kind) {
          case "header":
            if (this.appMeta !== undefined) throw new Error("a second header");
            if (item.format !== this.snapshot.format || item.height !== this.snapshot.height) {
              throw new Error(`the header says format ${item.format} height ${item.height}, the offer format ${this.snapshot.format} height ${this.snapshot.height}`);
            }
            this.appMeta = item.appMeta;
            break;
          case "store":
            this.requireHeader();
            this.importer.startStore(item.name);
            this.storesSeen++;
            break;
          case "node":
            this.requireHeader();
            this.importer.add(item);
            break;
          case "end":
            break;
        }
      }
      await this.importer.flushIfFull();
      this.next++;
      if (this.next < this.snapshot.chunks) return { kind: "accepted" };
      if (!this.parser.complete) throw new Error(`the snapshot ends early${this.parser.pending > 0 ? ` (inside an item, ${this.parser.pending} bytes)` : ""}: truncated`);
      const appHash = this.importer.finish();
      if (!bytesEqual(appHash, this.trustedAppHash)) {
        return this.reject(`the restored state's app hash ${hex(appHash)} is not the trusted app hash ${hex(this.trustedAppHash)}`);
      }
      await this.importer.commit(appHash, this.appMeta);
      this.over = true;
      return { kind: "restored", height: this.snapshot.height };
    } catch (e) {
      return this.reject(e instanceof Error ? e.message : String(e));
    }
  }

  /** Wipes the partial restore. */
  async abandon(): Promise<void> {
    this.over = true;
    await this.importer.abort();
  }

  private requireHeader(): void {
    if (this.appMeta === undefined) throw new Error("the snapshot does not start with its header");
  }

  private async reject(reason: string): Promise<ChunkOutcome> {
    await this.abandon();
    return { kind: "rejected", reason };
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex").toUpperCase();
}
