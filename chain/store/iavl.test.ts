/**
 * IAVL tree tests: hashes computed by hand from the IAVL formulas (independently of the
 * implementation's helpers), and AVL/IAVL invariants plus exact orphan tracking under random
 * sets and deletes.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateExistenceRoot, iavlSpec, ics23, verifyMembership } from "@confio/ics23";
import fc from "fast-check";
import { compareBytes } from "./bytes";
import { CommitMultiStore } from "./commit-multistore";
import { decodeNode, encodeDirty, hashOf, maxEncodedSize, Node } from "./node";
import { iavlCommitmentProof } from "./proofs";
import { NodeSource, treeGet, TreeWriter } from "./tree";

// ---- independent reference formulas ----
const sha = (...parts: (Uint8Array | number[])[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(Uint8Array.from(p));
  return new Uint8Array(h.digest());
};
const uv = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
};
const zz = (n: number) => uv(2 * n); // Go binary.PutVarint for n >= 0
const leafH = (key: string, value: string, version: number) =>
  sha(zz(0), zz(1), zz(version), uv(key.length), Buffer.from(key), uv(32), sha(Buffer.from(value)));
const innerH = (height: number, size: number, version: number, l: Uint8Array, r: Uint8Array) =>
  sha(zz(height), zz(size), zz(version), uv(32), l, uv(32), r);
const simpleLeaf = (name: string, root: Uint8Array) => sha([0], uv(name.length), Buffer.from(name), uv(32), sha(root));
const simpleInner = (l: Uint8Array, r: Uint8Array) => sha([1], l, r);
const b = (s: string) => Buffer.from(s);

describe("known answers (hashes computed from the IAVL formulas)", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "iavl-kat-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function storeRoot(ms: CommitMultiStore, key: string): Promise<Uint8Array> {
    const p = await ms.prove("s", b(key), ms.lastVersion);
    const proof = ics23.CommitmentProof.decode(p.proof[0].data);
    const exist = proof.exist ?? proof.nonexist!.left ?? proof.nonexist!.right!;
    return calculateExistenceRoot(exist);
  }

  test("one, two and three keys, updates, deletes, node versions", async () => {
    const ms = await CommitMultiStore.open(dir, ["s"], { keepRecent: 0 });
    const s = ms.working().store("s");
    const empty = sha();
    expect(ms.lastHash).toEqual(simpleLeaf("s", empty));

    s.set(b("a"), b("1"));
    let c = await ms.commit();
    let root = leafH("a", "1", 1);
    expect(c.hash).toEqual(simpleLeaf("s", root));
    expect(await storeRoot(ms, "a")).toEqual(root);

    s.set(b("b"), b("2"));
    s.set(b("c"), b("3"));
    c = await ms.commit();
    // v1 leaf a stays; b then c are inserted (in key order) at version 2:
    // set b: inner(b; a, b); set c: inner(b; a, inner(c; b, c)) — balance -1, no rotation
    root = innerH(2, 3, 2, leafH("a", "1", 1), innerH(1, 2, 2, leafH("b", "2", 2), leafH("c", "3", 2)));
    expect(c.hash).toEqual(simpleLeaf("s", root));

    s.set(b("b"), b("x"));
    c = await ms.commit();
    root = innerH(2, 3, 3, leafH("a", "1", 1), innerH(1, 2, 3, leafH("b", "x", 3), leafH("c", "3", 2)));
    expect(c.hash).toEqual(simpleLeaf("s", root));
    expect(await storeRoot(ms, "c")).toEqual(root);

    // deleting a: the root is replaced by its right subtree, which keeps its version (3)
    s.delete(b("a"));
    c = await ms.commit();
    root = innerH(1, 2, 3, leafH("b", "x", 3), leafH("c", "3", 2));
    expect(c.hash).toEqual(simpleLeaf("s", root));

    s.delete(b("c"));
    c = await ms.commit();
    expect(c.hash).toEqual(simpleLeaf("s", leafH("b", "x", 3)));

    s.delete(b("b"));
    c = await ms.commit();
    expect(c.hash).toEqual(simpleLeaf("s", empty));
    expect(c.version).toBe(6);
    await ms.close();
  });

  test("a leaf key longer than any seen before (the hashing scratch buffer grows mid-tree)", async () => {
    const ms = await CommitMultiStore.open(dir, ["s"], { keepRecent: 0, parallelHashThreshold: Infinity });
    const long = "b".repeat(300_000);
    ms.working().store("s").set(b(long), b("2"));
    ms.working().store("s").set(b("a"), b("1"));
    const root = innerH(1, 2, 1, leafH("a", "1", 1), leafH(long, "2", 1));
    expect(ms.workingHash()).toEqual(simpleLeaf("s", root));
    await ms.close();
  });

  test("left rotation on insert keeps untouched leaves at their versions", async () => {
    const ms = await CommitMultiStore.open(dir, ["s"], { keepRecent: 0 });
    const s = ms.working().store("s");
    for (const k of ["a", "b", "c", "d"]) {
      s.set(b(k), b(k.toUpperCase()));
      await ms.commit();
    }
    // v3: inner(b; a, inner(c; b, c)); v4 inserts d under c, the root's balance becomes -2 and
    // the root rotates left: inner(c; inner(b; a, b), inner(d; c, d)), rewritten nodes at v4
    const root = innerH(
      2,
      4,
      4,
      innerH(1, 2, 4, leafH("a", "A", 1), leafH("b", "B", 2)),
      innerH(1, 2, 4, leafH("c", "C", 3), leafH("d", "D", 4)),
    );
    expect(ms.lastHash).toEqual(simpleLeaf("s", root));
    expect(await storeRoot(ms, "b")).toEqual(root);
    await ms.close();
  });

  test("app hash is the simple Merkle root over stores sorted by name (split at the largest power of two < n)", async () => {
    const ms = await CommitMultiStore.open(dir, ["gov", "acc", "bank"], { keepRecent: 0 });
    ms.working().store("bank").set(b("k"), b("v"));
    ms.working().store("gov").set(b("p"), b("q"));
    const c = await ms.commit();
    const acc = simpleLeaf("acc", sha());
    const bank = simpleLeaf("bank", leafH("k", "v", 1));
    const gov = simpleLeaf("gov", leafH("p", "q", 1));
    expect(c.hash).toEqual(simpleInner(simpleInner(acc, bank), gov));
    await ms.close();
  });

  test("initial version is used for the first commit and node versions", async () => {
    const ms = await CommitMultiStore.open(dir, ["s"], { keepRecent: 0 });
    ms.setInitialVersion(100);
    ms.working().store("s").set(b("a"), b("1"));
    expect(ms.workingHash()).toEqual(simpleLeaf("s", leafH("a", "1", 100)));
    ms.setInitialVersion(7); // may change until the first commit; the working tree is rebuilt
    expect(ms.workingHash()).toEqual(simpleLeaf("s", leafH("a", "1", 7)));
    const c = await ms.commit();
    expect(c.version).toBe(7);
    expect(ms.earliestVersion).toBe(7);
    expect(() => ms.setInitialVersion(3)).toThrow(/before the first commit/);
    ms.working().store("s").set(b("b"), b("2"));
    expect((await ms.commit()).version).toBe(8);
    await ms.close();
  });
});

// ---- in-memory harness over the tree algorithms: commit = encode + decode every dirty node ----

class MemNodes implements NodeSource {
  readonly nodes = new Map<number, Node>();
  nextId = 1;
  get(id: number): Node {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`missing node ${id}`);
    return n;
  }
  commit(root: Node | undefined): Node | undefined {
    if (root === undefined || root.id !== 0) return root;
    const walk = (n: Node): void => {
      if (n.height > 0) {
        if (n.left!.id === 0) walk(n.left!);
        if (n.right!.id === 0) walk(n.right!);
      }
      hashOf(n);
      n.id = this.nextId++;
      const buf = new Uint8Array(maxEncodedSize(n));
      const end = encodeDirty(n, buf, 0);
      const d = decodeNode(n.id, buf.slice(0, end));
      d.hb = n.hb;
      d.ho = n.ho;
      d.owned = false; // kept in this map and handed out many times
      this.nodes.set(n.id, d);
    };
    walk(root);
    return this.nodes.get(root.id);
  }
  reachable(root: Node | undefined): Set<number> {
    const out = new Set<number>();
    const stack = root === undefined ? [] : [root.id];
    while (stack.length > 0) {
      const id = stack.pop()!;
      out.add(id);
      const n = this.get(id);
      if (n.height > 0) stack.push(n.left!.id, n.right!.id);
    }
    return out;
  }
}

interface Facts {
  height: number;
  size: number;
  min: Uint8Array;
  keys: Uint8Array[];
}

/** Checks AVL balance, heights, sizes, the IAVL key invariant and stored child metadata. */
function check(src: MemNodes, id: number, version: number): Facts {
  const n = src.get(id);
  expect(n.version).toBeLessThanOrEqual(version);
  if (n.height === 0) return { height: 0, size: 1, min: n.key!, keys: [n.key!] };
  const ls = n.left!;
  const rs = n.right!;
  const l = check(src, ls.id, version);
  const r = check(src, rs.id, version);
  expect(Math.abs(l.height - r.height)).toBeLessThanOrEqual(1);
  expect(n.height).toBe(Math.max(l.height, r.height) + 1);
  expect(n.size).toBe(l.size + r.size);
  // what the parent records about its children matches the children
  expect([ls.height, ls.size, rs.height, rs.size]).toEqual([l.height, l.size, r.height, r.size]);
  expect(hashOf(ls)).toEqual(hashOf(src.get(ls.id)));
  expect(hashOf(rs)).toEqual(hashOf(src.get(rs.id)));
  expect(compareBytes(n.key!, r.min)).toBe(0); // inner key = smallest key of the right subtree
  if (ls.height === 0) expect(ls.key).toEqual(src.get(ls.id).key);
  if (rs.height === 0) expect(rs.key).toEqual(src.get(rs.id).key);
  return { height: n.height, size: n.size, min: l.min, keys: [...l.keys, ...r.keys] };
}

const keyArb = fc.oneof(
  fc.constantFrom(...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => Uint8Array.of(i * 17))),
  fc.uint8Array({ minLength: 1, maxLength: 3 }),
);
const opArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("set" as const), k: keyArb, v: fc.uint8Array({ minLength: 1, maxLength: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("del" as const), k: keyArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("commit" as const) }) },
);

test("random sets/deletes keep AVL+IAVL invariants, model contents and exact orphan lists", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 150 }), (ops) => {
      const src = new MemNodes();
      const model = new Map<string, Uint8Array>();
      let version = 1;
      let committed: Node | undefined;
      let w = new TreeWriter(src, version);
      let root: Node | undefined;
      const finish = () => {
        const before = src.reachable(committed);
        committed = src.commit(root);
        const after = src.reachable(committed);
        // orphans = nodes of the previous version that the new version no longer reaches
        const expected = [...before].filter((id) => !after.has(id)).sort((x, y) => x - y);
        expect([...w.orphans].sort((x, y) => x - y)).toEqual(expected);
        if (committed !== undefined) {
          const facts = check(src, committed.id, version);
          const sorted = [...model.entries()].sort((x, y) => compareBytes(Buffer.from(x[0], "latin1"), Buffer.from(y[0], "latin1")));
          expect(facts.keys.map((k) => Buffer.from(k).toString("latin1"))).toEqual(sorted.map((e) => e[0]));
          for (const [k, v] of sorted) {
            const key = Buffer.from(k, "latin1");
            expect(treeGet(src, committed, key)).toEqual(v);
            const { value, proof } = iavlCommitmentProof(src, committed, key);
            expect(value).toEqual(v);
            expect(verifyMembership(proof, iavlSpec, hashOf(committed), key, v)).toBe(true);
          }
        } else {
          expect(model.size).toBe(0);
        }
        version++;
        w = new TreeWriter(src, version);
        root = committed;
      };
      for (const op of ops) {
        const ks = Buffer.from(op.t === "commit" ? [] : op.k).toString("latin1");
        if (op.t === "set") {
          root = w.set(root, op.k, op.v);
          model.set(ks, op.v);
        } else if (op.t === "del") {
          root = w.remove(root, op.k);
          model.delete(ks);
        } else {
          finish();
        }
      }
      finish();
    }),
    { numRuns: 150 },
  );
});
