/**
 * Snapshots on disk, one folder each under the snapshots folder (`<home>/data/snapshots`):
 * `<height>-<format>/` holds the chunk files `0`, `1`, ... and `snapshot.json` (height, format,
 * chunks, hash, metadata). A snapshot is built in `.tmp-<height>-<format>/` and renamed into place
 * once complete, so a node killed mid-snapshot never lists a partial one; leftovers of such a
 * snapshot are removed when the folder is opened.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface SnapshotInfo {
  height: number;
  format: number;
  chunks: number;
  /** sha256 of `metadata`, which commits to every chunk. */
  hash: Uint8Array;
  /** The chunks' sha256 hashes, 32 bytes each, in order. */
  metadata: Uint8Array;
}

const MANIFEST = "snapshot.json";
const NAME = /^(\d+)-(\d+)$/;

export class SnapshotDir {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) if (name.startsWith(".tmp-")) rmSync(join(dir, name), { recursive: true, force: true });
  }

  /** Complete snapshots, newest first. */
  list(): SnapshotInfo[] {
    const out: SnapshotInfo[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!NAME.test(name)) continue;
      try {
        out.push(parseManifest(readFileSync(join(this.dir, name, MANIFEST), "utf8")));
      } catch {
        // not a complete snapshot (or not ours): never listed
      }
    }
    return out.sort((a, b) => b.height - a.height || b.format - a.format);
  }

  has(height: number, format: number): boolean {
    return this.list().some((s) => s.height === height && s.format === format);
  }

  /** A chunk's bytes, or undefined if there is no such snapshot or chunk. */
  async chunk(height: number, format: number, index: number): Promise<Uint8Array | undefined> {
    if (![height, format, index].every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
    try {
      return await readFile(join(this.dir, `${height}-${format}`, String(index)));
    } catch {
      return undefined;
    }
  }

  /** Starts writing a snapshot. */
  async create(height: number, format: number): Promise<SnapshotBuilder> {
    const tmp = join(this.dir, `.tmp-${height}-${format}`);
    await rm(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    return new SnapshotBuilder(tmp, join(this.dir, `${height}-${format}`), height, format);
  }

  /** Deletes all but the `keep` newest snapshots. */
  prune(keep: number): void {
    for (const s of this.list().slice(keep)) rmSync(join(this.dir, `${s.height}-${s.format}`), { recursive: true, force: true });
  }
}

export class SnapshotBuilder {
  private readonly hashes: Uint8Array[] = [];

  constructor(
    private readonly tmp: string,
    private readonly final: string,
    private readonly height: number,
    private readonly format: number,
  ) {}

  async addChunk(bytes: Uint8Array): Promise<void> {
    await writeSynced(join(this.tmp, String(this.hashes.length)), bytes);
    this.hashes.push(createHash("sha256").update(bytes).digest());
  }

  /** Writes the manifest and moves the snapshot into place. */
  async finish(): Promise<SnapshotInfo> {
    const metadata = Buffer.concat(this.hashes);
    const info: SnapshotInfo = { height: this.height, format: this.format, chunks: this.hashes.length, hash: createHash("sha256").update(metadata).digest(), metadata };
    await writeSynced(join(this.tmp, MANIFEST), JSON.stringify(manifestJson(info), null, 2) + "\n");
    await rename(this.tmp, this.final);
    return info;
  }

  async discard(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
  }
}

/** Written and fsynced, so that a snapshot renamed into place is complete on disk. */
async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  await writeFile(file, data);
  const fh = await open(file, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function manifestJson(s: SnapshotInfo): object {
  return { height: s.height, format: s.format, chunks: s.chunks, hash: Buffer.from(s.hash).toString("hex"), metadata: Buffer.from(s.metadata).toString("hex") };
}

function parseManifest(text: string): SnapshotInfo {
  const j = JSON.parse(text) as { height: number; format: number; chunks: number; hash: string; metadata: string };
  const info: SnapshotInfo = { height: j.height, format: j.format, chunks: j.chunks, hash: Buffer.from(j.hash, "hex"), metadata: Buffer.from(j.metadata, "hex") };
  if (![info.height, info.format, info.chunks].every((n) => Number.isSafeInteger(n) && n >= 0) || info.metadata.length !== 32 * info.chunks) {
    throw new Error("malformed snapshot manifest");
  }
  return info;
}
