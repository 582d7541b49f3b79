/**
 * The store's LevelDB key layout and the codecs of its records, kept in one place so that the
 * on-disk format can be read (and changed) without reading the code that uses it.
 *
 * LevelDB layout (one-byte prefixes):
 *   n | id u64be             -> tree node (ids are global and increase with every commit; nodedb.ts)
 *   o | version u64be        -> ids of the nodes orphaned by that version (sorted, delta varints)
 *   c | version u64be        -> commit info: app hash, then per store its root reference
 *   l | len name | name | key -> latest value of `key` in that store (flat index, no tree walk)
 *   m                        -> uv(last version) uv(next node id)
 *   e                        -> uv(earliest readable version) — pruning progress
 *   a                        -> the application's own record of the last commit (not hashed)
 *   r                        -> a snapshot restore is under way: everything else is partial (open() wipes it)
 */
import type { ClassicLevel } from "classic-level";
import { compareBytes, concatBytes, putUvarint, Reader, uvarintSize, writeU64 } from "./bytes";
import { hashOf, Node, shell } from "./node";

export type Db = ClassicLevel<Uint8Array, Uint8Array>;

export const P_COMMIT = 0x63; // c
const P_EARLIEST = 0x65; // e
const P_LATEST = 0x6c; // l
const P_META = 0x6d; // m
export const P_ORPHANS = 0x6f; // o
const P_APP_META = 0x61; // a: the application's own record of the last commit (not part of the app hash)
export const META_KEY = Uint8Array.of(P_META);
export const EARLIEST_KEY = Uint8Array.of(P_EARLIEST);
export const APP_META_KEY = Uint8Array.of(P_APP_META);
export const RESTORE_KEY = Uint8Array.of(0x72); // r

export function versionKey(prefix: number, v: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = prefix;
  writeU64(k, 1, v);
  return k;
}

/** Prefix of one store's flat-index keys: `l | len name | name`. */
export function flatPrefix(nameBytes: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(P_LATEST, nameBytes.length), nameBytes);
}

/** Store names in byte order: the order of the app-hash Merkle leaves and of commit-info records. */
export function sortNames(names: string[]): string[] {
  return names.slice().sort((a, b) => compareBytes(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
}

export interface CommitInfo {
  version: number;
  appHash: Uint8Array;
  /** Store name -> root (a shell), undefined for an empty tree; only stores that existed then. */
  roots: Map<string, Node | undefined>;
}

export function encodeCommitInfo(info: CommitInfo): Uint8Array {
  const parts: Uint8Array[] = [info.appHash];
  const names = sortNames(Array.from(info.roots.keys()));
  const head = new Uint8Array(10);
  parts.push(head.subarray(0, putUvarint(head, 0, names.length)));
  for (const name of names) {
    const nb = Buffer.from(name, "utf8");
    const root = info.roots.get(name);
    const b = new Uint8Array(10 + nb.length + 10 + 32 + 20);
    let o = putUvarint(b, 0, nb.length);
    b.set(nb, o);
    o += nb.length;
    if (root === undefined) {
      o = putUvarint(b, o, 0);
    } else {
      o = putUvarint(b, o, root.id);
      b.set(hashOf(root), o);
      o += 32;
      o = putUvarint(b, o, root.height);
      o = putUvarint(b, o, root.size);
    }
    parts.push(b.subarray(0, o));
  }
  return concatBytes(...parts);
}

export function decodeCommitInfo(version: number, buf: Uint8Array): CommitInfo {
  const r = new Reader(buf);
  const appHash = r.bytes(32);
  const n = r.uvarint();
  const roots = new Map<string, Node | undefined>();
  for (let i = 0; i < n; i++) {
    const name = Buffer.from(r.bytes(r.uvarint())).toString("utf8");
    const id = r.uvarint();
    if (id === 0) {
      roots.set(name, undefined);
    } else {
      const ho = r.pos;
      r.bytes(32);
      const height = r.uvarint();
      roots.set(name, shell(id, buf, ho, height, r.uvarint(), undefined));
    }
  }
  return { version, appHash, roots };
}

/** The orphan list of a version. */
export function encodeIds(ids: number[]): Uint8Array {
  const sorted = Float64Array.from(ids).sort();
  const buf = new Uint8Array(sorted.length * 9);
  let o = 0;
  let prev = 0;
  for (let i = 0; i < sorted.length; i++) {
    o = putUvarint(buf, o, sorted[i] - prev);
    prev = sorted[i];
  }
  return buf.slice(0, o);
}

export function decodeIds(buf: Uint8Array): number[] {
  const r = new Reader(buf);
  const out: number[] = [];
  let prev = 0;
  while (r.pos < buf.length) {
    prev += r.uvarint();
    out.push(prev);
  }
  return out;
}

/** The `m` record. */
export function encodeMeta(lastVersion: number, nextId: number): Uint8Array {
  const meta = new Uint8Array(20);
  return meta.subarray(0, putUvarint(meta, putUvarint(meta, 0, lastVersion), nextId));
}

export function decodeMeta(buf: Uint8Array): { lastVersion: number; nextId: number } {
  const r = new Reader(buf);
  const lastVersion = r.uvarint();
  return { lastVersion, nextId: r.uvarint() };
}

/** The `e` record. */
export function encodeEarliest(version: number): Uint8Array {
  const b = new Uint8Array(uvarintSize(version));
  putUvarint(b, 0, version);
  return b;
}

export function decodeEarliest(buf: Uint8Array): number {
  return new Reader(buf).uvarint();
}
