/**
 * Pruning: old versions become unreadable, kept versions stay exact, and LevelDB holds exactly the
 * tree nodes reachable from the kept versions — no leak under a rewrite-heavy workload, no node
 * deleted too early — including when pruning resumes at open.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { byteString } from "./bytes";
import { CommitMultiStore } from "./commit-multistore";
import { inspectDatabase as inspect, verifyQueryProof, workloadBlock, WORKLOAD_STORES } from "../../test/support/store";

describe("pruning", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "prune-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("keepRecent=3: older versions are refused, kept versions intact, storage stays bounded", async () => {
    let ms = await CommitMultiStore.open(dir, WORKLOAD_STORES, { keepRecent: 3 });
    const snapshots = new Map<number, { hash: Uint8Array; values: Map<string, Uint8Array> }>();
    const counts: number[] = [];
    for (let v = 1; v <= 60; v++) {
      workloadBlock(ms, v, 300, 150); // 3 stores x ~150 keys rewritten over and over
      const c = await ms.commit();
      const values = new Map<string, Uint8Array>();
      const view = await ms.view();
      for await (const [k, val] of view.store("bank").iterate()) values.set(byteString(k), Uint8Array.from(val));
      snapshots.set(v, { hash: c.hash, values });
      expect(ms.earliestVersion).toBe(Math.max(1, v - 2));
      if (v > 3) {
        await expect(ms.view(v - 3)).rejects.toThrow(new RegExp(`version ${v - 3} is not available \\(pruned\\); readable versions are ${v - 2}\\.\\.${v}`));
        await expect(ms.prove("bank", Buffer.from("key/000001"), v - 3)).rejects.toThrow(/pruned/);
      }
      for (let kept = Math.max(1, v - 2); kept <= v; kept++) {
        const snap = snapshots.get(kept)!;
        const got = new Map<string, Uint8Array>();
        for await (const [k, val] of (await ms.view(kept)).store("bank").iterate()) got.set(byteString(k), Uint8Array.from(val));
        expect(got).toEqual(snap.values);
        const [someKey, someValue] = snap.values.entries().next().value!;
        const { proof } = await ms.prove("bank", Buffer.from(someKey, "latin1"), kept);
        expect(verifyQueryProof(proof, snap.hash, "bank", Buffer.from(someKey, "latin1"), someValue)).toBe(true);
      }
      if (v % 20 === 0) {
        await ms.close();
        const facts = await inspect(dir);
        // exactly the nodes reachable from the kept versions remain
        expect([...facts.nodeIds].sort()).toEqual([...facts.reachable].sort());
        expect(facts.commitVersions).toEqual([v - 2, v - 1, v]);
        expect(facts.orphanVersions.every((o) => o > v - 2)).toBe(true);
        counts.push([...facts.byPrefix.values()].reduce((a, b) => a + b, 0));
        ms = await CommitMultiStore.open(dir, WORKLOAD_STORES, { keepRecent: 3 });
        expect(ms.lastVersion).toBe(v);
        expect(ms.earliestVersion).toBe(v - 2);
      }
    }
    await ms.close();
    // a rewrite-heavy workload does not grow the database: keys at v=60 ~ keys at v=20
    expect(counts[2]).toBeLessThan(counts[0] * 1.25);
    expect(counts[2]).toBeLessThan(3000);
  });

  test("pruning resumes at open (e.g. after keepRecent changed or a crash before the prune batch)", async () => {
    let ms = await CommitMultiStore.open(dir, WORKLOAD_STORES, { keepRecent: 0 });
    for (let v = 1; v <= 25; v++) {
      workloadBlock(ms, v, 200, 100);
      await ms.commit();
    }
    const before = await ms.prove("acc", Buffer.from("key/000003"), 20);
    await ms.close();
    let facts = await inspect(dir);
    expect(facts.commitVersions.length).toBe(25);
    expect([...facts.nodeIds].sort()).toEqual([...facts.reachable].sort()); // everything kept
    const allNodes = facts.nodeIds.size;
    ms = await CommitMultiStore.open(dir, WORKLOAD_STORES, { keepRecent: 6 });
    expect(ms.earliestVersion).toBe(20);
    const again = await ms.prove("acc", Buffer.from("key/000003"), 20);
    expect(again).toEqual(before);
    await expect(ms.view(19)).rejects.toThrow(/pruned/);
    await ms.close();
    facts = await inspect(dir);
    expect(facts.commitVersions).toEqual([20, 21, 22, 23, 24, 25]);
    expect([...facts.nodeIds].sort()).toEqual([...facts.reachable].sort());
    expect(facts.nodeIds.size).toBeLessThan(allNodes / 2);
  });
});
