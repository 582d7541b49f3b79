/**
 * State sync between two stores, through the ABCI-facing StateSync: a snapshot taken after a
 * commit and restored chunk by chunk gives the same app hash, the same reads and the same next
 * versions (property test over random writes and deletes across versions); bad snapshots (a
 * corrupted or missing chunk, a wrong app hash, an unknown format, bad metadata) are refused and
 * leave the store empty; a non-empty store is never restored into; a restore or a snapshot cut
 * short by a crash leaves nothing behind.
 */
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as abci from "cosmjs-types/tendermint/abci/types";
import fc from "fast-check";
import { capturingLogger } from "../../test/support/abci-app";
import { ClassicLevel } from "classic-level";
import { CommitMultiStore } from "../store";
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { encodeItem, SNAPSHOT_FORMAT, type SnapshotItem } from "./format";
import { SnapshotDir } from "./snapshot-dir";
import { StateSync } from "./state-sync";

const STORES = ["acc", "bank", "consensus", "peg"];
const Offer = abci.ResponseOfferSnapshot_Result;
const Apply = abci.ResponseApplySnapshotChunk_Result;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "pegzone-statesync-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

interface Node {
  cms: CommitMultiStore;
  sync: StateSync;
  dir: string;
}

let count = 0;
async function node(o: { interval?: number; keepRecent?: number; pruning?: number; chunkBytes?: number } = {}): Promise<Node> {
  const dir = join(root, `n${count++}`);
  const cms = await CommitMultiStore.open(join(dir, "db"), STORES, { keepRecent: o.pruning ?? 0 });
  const sync = new StateSync(cms, { dir: join(dir, "snapshots"), interval: o.interval ?? 0, keepRecent: o.keepRecent ?? 0, chunkBytes: o.chunkBytes }, capturingLogger().logger);
  return { cms, sync, dir };
}

async function close(n: Node): Promise<void> {
  await n.sync.close();
  await n.cms.close();
}

type Write = { store: number; key: Uint8Array; value?: Uint8Array };

/** Applies the writes as one version and tells StateSync about the commit. */
async function commitVersion(n: Node, writes: Write[]): Promise<void> {
  const ws = n.cms.working();
  for (const w of writes) {
    const s = ws.store(STORES[w.store]);
    if (w.value === undefined) s.delete(w.key);
    else s.set(w.key, w.value);
  }
  const meta = Buffer.from(`time of ${n.cms.workingVersion}`);
  const { version } = await n.cms.commit(meta);
  n.sync.afterCommit(version, meta);
}

async function dump(cms: CommitMultiStore): Promise<Record<string, string[]>> {
  const view = await cms.view();
  const out: Record<string, string[]> = {};
  for (const name of STORES) {
    out[name] = [];
    for await (const [k, v] of view.store(name).iterate()) out[name].push(`${Buffer.from(k).toString("hex")}=${Buffer.from(v).toString("hex")}`);
  }
  return out;
}

async function chunksOf(n: Node, s: abci.Snapshot): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < s.chunks; i++) out.push((await n.sync.loadSnapshotChunk({ height: s.height, format: s.format, chunk: i })).chunk);
  return out;
}

/** Offers the snapshot and applies the chunks in order, as CometBFT does; returns every answer. */
async function restore(target: Node, s: abci.Snapshot, appHash: Uint8Array, chunks: Uint8Array[]): Promise<abci.ResponseApplySnapshotChunk_Result[]> {
  const offered = await target.sync.offerSnapshot({ snapshot: s, appHash });
  expect(offered.result).toBe(Offer.ACCEPT);
  const results = [];
  for (let i = 0; i < chunks.length; i++) {
    const r = await target.sync.applySnapshotChunk({ index: i, chunk: chunks[i], sender: "peer" });
    results.push(r.result);
    if (r.result !== Apply.ACCEPT) break;
  }
  return results;
}

async function keysIn(dbDir: string): Promise<number> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(dbDir, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  let n = 0;
  for await (const _ of db.keys()) n++;
  await db.close();
  return n;
}

const bytes = (s: string) => Buffer.from(s);

/** A source with a few versions of state and a snapshot at version 4 in small chunks. */
async function sourceWithSnapshot(): Promise<{ src: Node; snap: abci.Snapshot; chunks: Uint8Array[] }> {
  const src = await node({ interval: 4, chunkBytes: 512 });
  for (let v = 1; v <= 4; v++) {
    const writes: Write[] = [];
    for (let i = 0; i < 40; i++) writes.push({ store: i % 4, key: bytes(`k${v}-${i}`), value: bytes(`value ${v} ${i} `.repeat(3)) });
    if (v > 1) writes.push({ store: 1, key: bytes(`k${v - 1}-1`) });
    await commitVersion(src, writes);
  }
  await src.sync.idle();
  const [snap] = src.sync.listSnapshots().snapshots;
  return { src, snap, chunks: await chunksOf(src, snap) };
}

describe("state sync snapshots", () => {
  test("export then import gives the same app hash, the same reads, and the same next versions (random writes and deletes)", async () => {
    const write = fc.record({ store: fc.nat(3), key: fc.uint8Array({ minLength: 1, maxLength: 3 }), value: fc.option(fc.uint8Array({ minLength: 1, maxLength: 40 }), { nil: undefined }) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(write, { maxLength: 30 }), { minLength: 1, maxLength: 6 }), fc.array(write, { maxLength: 20 }), fc.integer({ min: 40, max: 2000 }), async (versions, after, chunkBytes) => {
        const src = await node({ interval: versions.length, chunkBytes, pruning: 2 });
        const dst = await node();
        try {
          for (const w of versions) await commitVersion(src, w);
          await src.sync.idle();
          const [snap] = src.sync.listSnapshots().snapshots;
          expect(Number(snap.height)).toBe(versions.length);
          const results = await restore(dst, snap, src.cms.lastHash, await chunksOf(src, snap));
          expect(results.every((r) => r === Apply.ACCEPT)).toBe(true);
          expect(dst.cms.lastVersion).toBe(src.cms.lastVersion);
          expect(Buffer.from(dst.cms.lastHash)).toEqual(Buffer.from(src.cms.lastHash));
          expect(Buffer.from(dst.cms.lastAppMeta!).toString()).toBe(`time of ${versions.length}`);
          expect(await dump(dst.cms)).toEqual(await dump(src.cms));
          // the same next block on both: same trees, so same node versions and shapes, so same hash
          await commitVersion(src, after);
          await commitVersion(dst, after);
          expect(Buffer.from(dst.cms.lastHash)).toEqual(Buffer.from(src.cms.lastHash));
          expect(await dump(dst.cms)).toEqual(await dump(src.cms));
        } finally {
          await close(src);
          await close(dst);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  test("the restored state survives a restart and serves proofs", async () => {
    const { src, snap, chunks } = await sourceWithSnapshot();
    const dst = await node();
    expect(snap.chunks).toBeGreaterThan(3);
    expect(await restore(dst, snap, src.cms.lastHash, chunks)).toEqual(chunks.map(() => Apply.ACCEPT));
    await close(dst);
    const reopened = await CommitMultiStore.open(join(dst.dir, "db"), STORES, { keepRecent: 0 });
    expect(reopened.lastVersion).toBe(4);
    expect(Buffer.from(reopened.lastHash)).toEqual(Buffer.from(src.cms.lastHash));
    const proof = await reopened.prove("bank", bytes("k4-1"), 4);
    expect(Buffer.from(proof.value!).toString()).toBe("value 4 1 ".repeat(3));
    await reopened.close();
    await close(src);
  });

  test("a corrupted chunk is fetched again from another sender; one corrupted every time rejects the snapshot and wipes the restore", async () => {
    const { src, snap, chunks } = await sourceWithSnapshot();
    const dst = await node();
    expect((await dst.sync.offerSnapshot({ snapshot: snap, appHash: src.cms.lastHash })).result).toBe(Offer.ACCEPT);
    expect((await dst.sync.applySnapshotChunk({ index: 0, chunk: chunks[0], sender: "good" })).result).toBe(Apply.ACCEPT);
    const bad = Uint8Array.from(chunks[1]);
    bad[bad.length >> 1] ^= 1;
    expect(await dst.sync.applySnapshotChunk({ index: 1, chunk: bad, sender: "evil" })).toEqual({ result: Apply.RETRY, refetchChunks: [1], rejectSenders: ["evil"] });
    for (let i = 1; i < chunks.length; i++) expect((await dst.sync.applySnapshotChunk({ index: i, chunk: chunks[i], sender: "good" })).result).toBe(Apply.ACCEPT);
    expect(Buffer.from(dst.cms.lastHash)).toEqual(Buffer.from(src.cms.lastHash));

    const other = await node();
    expect((await other.sync.offerSnapshot({ snapshot: snap, appHash: src.cms.lastHash })).result).toBe(Offer.ACCEPT);
    expect((await other.sync.applySnapshotChunk({ index: 0, chunk: chunks[0], sender: "good" })).result).toBe(Apply.ACCEPT);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await other.sync.applySnapshotChunk({ index: 1, chunk: bad, sender: `evil${i}` })).result);
    expect(answers).toEqual([Apply.RETRY, Apply.RETRY, Apply.RETRY, Apply.REJECT_SNAPSHOT]);
    expect(other.cms.lastVersion).toBe(0);
    await close(other);
    expect(await keysIn(join(other.dir, "db"))).toBe(0);
    await close(dst);
    await close(src);
  });

  test("a truncated snapshot (its last chunk left out, metadata consistent) is rejected and wiped", async () => {
    const { src, snap, chunks } = await sourceWithSnapshot();
    const dst = await node();
    const short = chunks.slice(0, -1);
    const metadata = snap.metadata.subarray(0, 32 * short.length);
    const truncated = { ...snap, chunks: short.length, metadata, hash: createHash("sha256").update(metadata).digest() };
    const results = await restore(dst, truncated, src.cms.lastHash, short);
    expect(results.at(-1)).toBe(Apply.REJECT_SNAPSHOT);
    expect(dst.cms.lastVersion).toBe(0);
    await close(dst);
    expect(await keysIn(join(dst.dir, "db"))).toBe(0);
    await close(src);
  });

  test("a snapshot whose state does not give the trusted app hash is rejected and wiped; the right one is then restored", async () => {
    const { src, snap, chunks } = await sourceWithSnapshot();
    const dst = await node();
    const wrong = Uint8Array.from(src.cms.lastHash);
    wrong[0] ^= 0xff;
    expect((await restore(dst, snap, wrong, chunks)).at(-1)).toBe(Apply.REJECT_SNAPSHOT);
    expect(dst.cms.lastVersion).toBe(0);
    expect(await restore(dst, snap, src.cms.lastHash, chunks)).toEqual(chunks.map(() => Apply.ACCEPT));
    expect(dst.cms.lastVersion).toBe(4);
    await close(dst);
    await close(src);
  });

  test("offers: unknown format, inconsistent metadata, and a non-empty store are refused", async () => {
    const { src, snap } = await sourceWithSnapshot();
    const dst = await node();
    const hash = src.cms.lastHash;
    expect((await dst.sync.offerSnapshot({ snapshot: { ...snap, format: 2 }, appHash: hash })).result).toBe(Offer.REJECT_FORMAT);
    expect((await dst.sync.offerSnapshot({ snapshot: { ...snap, chunks: snap.chunks + 1 }, appHash: hash })).result).toBe(Offer.REJECT);
    expect((await dst.sync.offerSnapshot({ snapshot: { ...snap, hash: new Uint8Array(32) }, appHash: hash })).result).toBe(Offer.REJECT);
    expect((await dst.sync.offerSnapshot({ snapshot: undefined, appHash: hash })).result).toBe(Offer.REJECT);
    expect((await dst.sync.applySnapshotChunk({ index: 0, chunk: new Uint8Array(), sender: "" })).result).toBe(Apply.ABORT);
    // the source has state: restoring into it would mix two states
    expect((await src.sync.offerSnapshot({ snapshot: snap, appHash: hash })).result).toBe(Offer.ABORT);
    expect(src.cms.lastVersion).toBe(4);
    await close(dst);
    await close(src);
  });

  test("a snapshot with an inner node's key changed (keys are not hashed: the app hash still matches) is rejected", async () => {
    const { src } = await sourceWithSnapshot();
    const exp = src.cms.exportVersion(4);
    const items: SnapshotItem[] = [{ kind: "header", format: SNAPSHOT_FORMAT, height: 4, appMeta: bytes("t"), stores: STORES.length }];
    let changed = false;
    for (const name of exp.storeNames) {
      items.push({ kind: "store", name });
      for (const n of exp.nodesOf(name)) {
        const key: Uint8Array = !changed && n.height === 2 ? Uint8Array.of(...n.key, 0) : n.key;
        changed ||= key !== n.key;
        items.push({ kind: "node", ...n, key });
      }
    }
    exp.close();
    items.push({ kind: "end" });
    expect(changed).toBe(true);
    const chunk = deflateSync(Buffer.concat(items.map(encodeItem)));
    const metadata = createHash("sha256").update(chunk).digest();
    const snap = { height: 4n, format: SNAPSHOT_FORMAT, chunks: 1, metadata, hash: createHash("sha256").update(metadata).digest() };
    const dst = await node();
    expect(await restore(dst, snap, src.cms.lastHash, [chunk])).toEqual([Apply.REJECT_SNAPSHOT]);
    expect(dst.cms.lastVersion).toBe(0);
    await close(dst);
    await close(src);
  });

  test("a node stopped while writing a snapshot lists none", async () => {
    const src = await node({ interval: 1 });
    const writes: Write[] = [];
    for (let i = 0; i < 20_000; i++) writes.push({ store: i % 4, key: bytes(`key ${i}`), value: bytes(`value ${i}`) });
    await commitVersion(src, writes); // starts the snapshot; close() stops it at its next slice
    await close(src);
    const dir = new SnapshotDir(join(src.dir, "snapshots"));
    expect(dir.list()).toEqual([]);
    expect(readdirSync(dir.dir)).toEqual([]);
  });

  test("a node killed mid-restore starts again empty", async () => {
    // enough keys that the import writes batches before the end
    const src = await node({ interval: 1, chunkBytes: 64 * 1024 });
    const writes: Write[] = [];
    for (let i = 0; i < 30_000; i++) writes.push({ store: i % 4, key: bytes(`key ${i}`), value: bytes(`value ${i}`) });
    await commitVersion(src, writes);
    await src.sync.idle();
    const [snap] = src.sync.listSnapshots().snapshots;
    const chunks = await chunksOf(src, snap);
    const dst = await node();
    expect((await dst.sync.offerSnapshot({ snapshot: snap, appHash: src.cms.lastHash })).result).toBe(Offer.ACCEPT);
    for (let i = 0; i < chunks.length - 1; i++) expect((await dst.sync.applySnapshotChunk({ index: i, chunk: chunks[i], sender: "p" })).result).toBe(Apply.ACCEPT);
    // as after kill -9: the database is closed with the partial restore in it, no abort ran
    await (dst.cms as unknown as { db: { close(): Promise<void> } }).db.close();
    expect(await keysIn(join(dst.dir, "db"))).toBeGreaterThan(1);
    const again = await CommitMultiStore.open(join(dst.dir, "db"), STORES, { keepRecent: 0 });
    expect(again.lastVersion).toBe(0);
    await again.close();
    expect(await keysIn(join(dst.dir, "db"))).toBe(0);
    await close(src);
  });

  test("snapshots: the newest N are kept, a partial one is never listed, and pruning keeps a height until its snapshot is written", async () => {
    const src = await node({ interval: 2, keepRecent: 2, pruning: 1 });
    for (let v = 1; v <= 8; v++) {
      await commitVersion(src, [{ store: 0, key: bytes(`k${v}`), value: bytes(`v${v}`) }]);
      await src.sync.idle();
    }
    expect(src.sync.listSnapshots().snapshots.map((s) => Number(s.height))).toEqual([8, 6]);

    // held: version 8 stays readable while an export is open, though only 1 version is kept
    const exp = src.cms.exportVersion(8);
    await commitVersion(src, [{ store: 0, key: bytes("k9"), value: bytes("v9") }]);
    await commitVersion(src, [{ store: 0, key: bytes("k1") }]);
    expect(src.cms.earliestVersion).toBe(8);
    expect([...exp.nodesOf("acc")].filter((n) => n.height === 0).map((n) => Buffer.from(n.key).toString())).toEqual(["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"]);
    exp.close();
    await src.sync.idle(); // the snapshot of 10 holds 10 too
    await commitVersion(src, [{ store: 0, key: bytes("k11"), value: bytes("v11") }]);
    expect(src.cms.earliestVersion).toBe(11);
    await close(src);

    // a snapshot folder cut short by a crash: the .tmp folder is removed, a folder without a manifest never listed
    const dir = join(src.dir, "snapshots");
    mkdirSync(join(dir, ".tmp-12-1"));
    writeFileSync(join(dir, ".tmp-12-1", "0"), "partial");
    mkdirSync(join(dir, "14-1"));
    const reopened = new SnapshotDir(dir);
    expect(readdirSync(dir).sort()).toEqual(["10-1", "14-1", "8-1"]);
    expect(reopened.list().map((s) => s.height)).toEqual([10, 8]);
  });
});
