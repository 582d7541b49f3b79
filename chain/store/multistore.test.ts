/**
 * CommitMultiStore property tests against a plain in-memory model: two independent databases fed
 * the same operations agree on every app hash; every committed version reads back exactly; every
 * existence and non-existence proof verifies with @confio/ics23 (iavlSpec chained into
 * tendermintSpec), and tampered proofs or values do not; all of it again after reopening.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ics23 } from "@confio/ics23";
import fc from "fast-check";
import { byteString, compareBytes } from "./bytes";
import { CommitMultiStore, ProofOp } from "./commit-multistore";
import { verifyQueryProof } from "../../test/support/store";
import { KVStore, MultiStore } from "./types";

const STORES = ["bank", "acc", "zeta"];
// small key space with byte-order edge cases: prefixes, 0x00 / 0xff bytes, different lengths
const KEYS = [[0x00], [0x00, 0x00], [0x01], [0x01, 0x00], [0x01, 0xff], [0x10], [0x7f], [0x80], [0xfe, 0x01], [0xff], [0xff, 0xff], [0x61, 0x62, 0x63]].map((k) =>
  Uint8Array.from(k),
);

type Op =
  | { t: "set"; s: number; k: number; v: Uint8Array }
  | { t: "del"; s: number; k: number }
  | { t: "commit" }
  | { t: "hash" }
  | { t: "reset" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant("set" as const), s: fc.nat(2), k: fc.nat(KEYS.length - 1), v: fc.uint8Array({ minLength: 1, maxLength: 6 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("del" as const), s: fc.nat(2), k: fc.nat(KEYS.length - 1) }) },
  { weight: 3, arbitrary: fc.constant({ t: "commit" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "hash" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "reset" as const }) },
);

type Model = Map<string, Map<string, Uint8Array>>; // store -> byteString(key) -> value

function emptyModel(): Model {
  return new Map(STORES.map((s) => [s, new Map()]));
}

function cloneModel(m: Model): Model {
  return new Map([...m].map(([s, kv]) => [s, new Map(kv)]));
}

function sortedEntries(kv: Map<string, Uint8Array>): [Uint8Array, Uint8Array][] {
  return [...kv.entries()].map(([k, v]) => [Buffer.from(k, "latin1"), v] as [Uint8Array, Uint8Array]).sort((a, b) => compareBytes(a[0], b[0]));
}

async function collect(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<[Uint8Array, Uint8Array][]> {
  const out: [Uint8Array, Uint8Array][] = [];
  for await (const [k, v] of it) out.push([Uint8Array.from(k), Uint8Array.from(v)]);
  return out;
}

function tamper(op: ProofOp, where: "leaf" | "path"): ProofOp {
  const p = ics23.CommitmentProof.decode(op.data);
  const exist = p.exist ?? p.nonexist!.left ?? p.nonexist!.right!;
  if (where === "leaf" || !exist.path || exist.path.length === 0) {
    const prefix = Uint8Array.from(exist.leaf!.prefix!);
    prefix[prefix.length - 1] ^= 1;
    exist.leaf!.prefix = prefix;
  } else {
    const step = exist.path[exist.path.length - 1];
    if (step.suffix && step.suffix.length > 0) {
      const suffix = Uint8Array.from(step.suffix);
      suffix[suffix.length - 1] ^= 0x40;
      step.suffix = suffix;
    } else {
      const prefix = Uint8Array.from(step.prefix!);
      prefix[prefix.length - 1] ^= 0x40;
      step.prefix = prefix;
    }
  }
  return { ...op, data: ics23.CommitmentProof.encode(p).finish() };
}

/** Everything observable about one committed version must match the model. */
async function checkVersion(ms: CommitMultiStore, version: number, appHash: Uint8Array, model: Model, deep: boolean): Promise<void> {
  const view: MultiStore = await ms.view(version);
  for (const name of STORES) {
    const s: KVStore = view.store(name);
    const kv = model.get(name)!;
    const entries = sortedEntries(kv);
    expect(await collect(s.iterate())).toEqual(entries);
    if (deep) {
      expect(await collect(s.iterate({ reverse: true }))).toEqual([...entries].reverse());
      expect(await collect(s.iterate({ start: KEYS[3], end: KEYS[9], limit: 3 }))).toEqual(
        entries.filter(([k]) => compareBytes(k, KEYS[3]) >= 0 && compareBytes(k, KEYS[9]) < 0).slice(0, 3),
      );
    }
    for (const key of KEYS) {
      const want = kv.get(byteString(key));
      expect(await s.get(key)).toEqual(want);
      if (kv.size === 0) {
        await expect(ms.prove(name, key, version)).rejects.toThrow(/empty tree/);
        continue;
      }
      const { value, proof } = await ms.prove(name, key, version);
      expect(value).toEqual(want);
      expect(verifyQueryProof(proof, appHash, name, key, want)).toBe(true);
      if (!deep) continue;
      // a proof of the other kind, a wrong value, a tampered leaf or path, or the wrong store fail
      expect(verifyQueryProof(proof, appHash, name, key, want === undefined ? Uint8Array.of(1) : undefined)).toBe(false);
      if (want !== undefined) expect(verifyQueryProof(proof, appHash, name, key, Uint8Array.from([...want, 0]))).toBe(false);
      expect(verifyQueryProof([tamper(proof[0], "leaf"), proof[1]], appHash, name, key, want)).toBe(false);
      expect(verifyQueryProof([tamper(proof[0], "path"), proof[1]], appHash, name, key, want)).toBe(false);
      expect(verifyQueryProof([proof[0], tamper(proof[1], "path")], appHash, name, key, want)).toBe(false);
      const other = STORES.find((o) => o !== name)!;
      expect(verifyQueryProof(proof, appHash, other, key, want)).toBe(false);
    }
  }
}

test("two databases fed the same operations agree; every version reads back and proves", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 80 }), async (ops) => {
      const dirA = mkdtempSync(join(tmpdir(), "ms-a-"));
      const dirB = mkdtempSync(join(tmpdir(), "ms-b-"));
      try {
        // A: default cache, hashing always on the worker thread; B: no node cache (every node read
        // from LevelDB), hashing on the main thread
        let a = await CommitMultiStore.open(dirA, STORES, { keepRecent: 0, parallelHashThreshold: 0 });
        const b = await CommitMultiStore.open(dirB, [...STORES].reverse(), { keepRecent: 0, cacheSize: 0, parallelHashThreshold: Infinity });
        let model = emptyModel();
        let pending = emptyModel();
        const history: { version: number; hash: Uint8Array; model: Model }[] = [];
        for (const op of ops) {
          if (op.t === "set" || op.t === "del") {
            const name = STORES[op.s];
            const key = KEYS[op.k];
            for (const ms of [a, b]) {
              if (op.t === "set") ms.working().store(name).set(key, op.v);
              else ms.working().store(name).delete(key);
            }
            if (op.t === "set") pending.get(name)!.set(byteString(key), op.v);
            else pending.get(name)!.delete(byteString(key));
            // the working state reads its own writes over the committed state
            expect(await a.working().store(name).get(key)).toEqual(pending.get(name)!.get(byteString(key)));
          } else if (op.t === "hash") {
            a.workingHash(); // must not influence the committed hash
          } else if (op.t === "reset") {
            a.resetWorking();
            b.resetWorking();
            pending = cloneModel(model);
          } else {
            const ca = await a.commit();
            const cb = await b.commit();
            expect(ca.version).toBe(cb.version);
            expect(Buffer.from(ca.hash).toString("hex")).toBe(Buffer.from(cb.hash).toString("hex"));
            model = cloneModel(pending);
            history.push({ version: ca.version, hash: ca.hash, model });
            expect(a.lastHash).toEqual(ca.hash);
          }
        }
        const working = await collect(a.working().store("bank").iterate());
        expect(working).toEqual(sortedEntries(pending.get("bank")!));
        for (let i = 0; i < history.length; i++) {
          const h = history[i];
          await checkVersion(a, h.version, h.hash, h.model, i === history.length - 1 || i === 0);
        }
        await b.close();
        await a.close();
        a = await CommitMultiStore.open(dirA, STORES, { keepRecent: 0, parallelHashThreshold: 0 });
        expect(a.lastVersion).toBe(history.length === 0 ? 0 : history[history.length - 1].version);
        if (history.length > 0) {
          expect(a.lastHash).toEqual(history[history.length - 1].hash);
          expect(a.earliestVersion).toBe(1);
          const h = history[Math.floor(history.length / 2)];
          await checkVersion(a, h.version, h.hash, h.model, true);
          const last = history[history.length - 1];
          await checkVersion(a, last.version, last.hash, last.model, false);
        } else {
          expect(a.lastHash).toEqual(b.lastHash);
        }
        await a.close();
      } finally {
        rmSync(dirA, { recursive: true, force: true });
        rmSync(dirB, { recursive: true, force: true });
      }
    }),
    { numRuns: 40 },
  );
});

describe("API contract", () => {
  let dir: string;
  let ms: CommitMultiStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "ms-api-"));
    ms = await CommitMultiStore.open(dir, STORES, { keepRecent: 0 });
  });
  afterEach(async () => {
    await ms.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("keys must be non-empty bytes; values non-empty bytes (empty values cannot be proven)", async () => {
    const s = ms.working().store("bank");
    expect(() => s.set(new Uint8Array(0), Uint8Array.of(1))).toThrow(/key must not be empty/);
    expect(() => s.set("k" as unknown as Uint8Array, Uint8Array.of(1))).toThrow(/key must be a Uint8Array/);
    expect(() => s.set(Uint8Array.of(1), new Uint8Array(0))).toThrow(/value must not be empty/);
    expect(() => s.set(Uint8Array.of(1), undefined as unknown as Uint8Array)).toThrow(/value must be a Uint8Array/);
    expect(() => s.set(Uint8Array.of(1), null as unknown as Uint8Array)).toThrow(/value must be a Uint8Array, got null/);
    expect(() => s.delete(new Uint8Array(0))).toThrow(/key must not be empty/);
    await expect(s.get(new Uint8Array(0))).rejects.toThrow(/key must not be empty/);
    expect(() => s.iterate({ limit: -1 })).toThrow(/limit/);
    expect(() => ms.working().store("nope")).toThrow(/unknown store "nope"; stores are: acc, bank, zeta/);
  });

  test("set copies its arguments", async () => {
    const key = Uint8Array.of(1, 2);
    const value = Uint8Array.of(3);
    ms.working().store("bank").set(key, value);
    key[0] = 9;
    value[0] = 9;
    await ms.commit();
    expect(await (await ms.view()).store("bank").get(Uint8Array.of(1, 2))).toEqual(Uint8Array.of(3));
  });

  test("views are read-only; pruned and future versions are refused with the available range", async () => {
    expect(ms.lastVersion).toBe(0);
    expect(ms.earliestVersion).toBe(0);
    const empty = await ms.view();
    expect(await empty.store("bank").get(Uint8Array.of(1))).toBeUndefined();
    await expect(ms.view(1)).rejects.toThrow(/version 1 is not available: nothing has been committed yet/);
    ms.working().store("bank").set(Uint8Array.of(1), Uint8Array.of(1));
    await ms.commit();
    const v = await ms.view(1);
    expect(() => v.store("bank").set(Uint8Array.of(1), Uint8Array.of(2))).toThrow(/read-only/);
    expect(() => v.store("bank").delete(Uint8Array.of(1))).toThrow(/read-only/);
    await expect(ms.view(2)).rejects.toThrow(/version 2 is not available \(not committed yet\); readable versions are 1\.\.1/);
    await expect(ms.view(0)).rejects.toThrow(/readable versions are 1\.\.1/);
    await expect(ms.view(1.5)).rejects.toThrow(/integer/);
    await expect(ms.prove("bank", Uint8Array.of(1), 3)).rejects.toThrow(/readable versions are 1\.\.1/);
    expect(() => (ms.working().store("bank") as unknown as { write(): void }).write()).toThrow(/commit\(\)/);
  });

  test("a view of the latest version stays on its version after later commits", async () => {
    const s = ms.working().store("acc");
    s.set(Uint8Array.of(1), Uint8Array.of(1));
    await ms.commit();
    const v1 = await ms.view();
    const earlyIteration = v1.store("acc").iterate(); // obtained now, consumed after the next commit
    s.set(Uint8Array.of(1), Uint8Array.of(2));
    s.set(Uint8Array.of(2), Uint8Array.of(2));
    const committing = ms.commit();
    // during the commit: writes are refused, reads stay consistent
    expect(() => s.set(Uint8Array.of(3), Uint8Array.of(3))).toThrow(/commit is in progress/);
    expect(await v1.store("acc").get(Uint8Array.of(1))).toEqual(Uint8Array.of(1));
    await committing;
    expect(await v1.store("acc").get(Uint8Array.of(1))).toEqual(Uint8Array.of(1));
    expect(await collect(v1.store("acc").iterate())).toEqual([[Uint8Array.of(1), Uint8Array.of(1)]]);
    expect(await collect(earlyIteration)).toEqual([[Uint8Array.of(1), Uint8Array.of(1)]]);
    expect(await (await ms.view()).store("acc").get(Uint8Array.of(1))).toEqual(Uint8Array.of(2));
  });

  test("workingHash is stable, reflects writes, and resetWorking discards them", async () => {
    const h0 = ms.workingHash();
    expect(h0).toEqual(ms.lastHash);
    ms.working().store("bank").set(Uint8Array.of(5), Uint8Array.of(5));
    const h1 = ms.workingHash();
    expect(h1).not.toEqual(h0);
    expect(ms.workingHash()).toEqual(h1);
    expect(await ms.workingHashAsync()).toEqual(h1);
    ms.resetWorking();
    expect(ms.workingHash()).toEqual(h0);
    expect(await ms.working().store("bank").get(Uint8Array.of(5))).toBeUndefined();
    const c = await ms.commit(); // an empty block still makes a version
    expect(c).toEqual({ version: 1, hash: h0 });
  });

  test("large keys and values hash the same on the worker and the main thread, and prove", async () => {
    const dirB = mkdtempSync(join(tmpdir(), "ms-big-"));
    try {
      await ms.close();
      ms = await CommitMultiStore.open(dir, STORES, { keepRecent: 0, parallelHashThreshold: 0 });
      const b = await CommitMultiStore.open(dirB, STORES, { keepRecent: 0, parallelHashThreshold: Infinity, cacheSize: 0 });
      const fill = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
      const items: [Uint8Array, Uint8Array][] = [
        [fill(70_000, 1), fill(10, 2)], // key beyond the cache's record limit
        [fill(3, 3), fill(300, 4)], // value hashed by node:crypto (>= 256 bytes)
        [fill(255, 5), fill(100_000, 6)],
        [fill(1, 7), fill(1, 8)],
      ];
      for (const store of [ms, b]) for (const [k, v] of items) store.working().store("bank").set(k, v);
      const [ca, cb] = [await ms.commit(), await b.commit()];
      expect(ca.hash).toEqual(cb.hash);
      for (const [k, v] of items) {
        const { value, proof } = await ms.prove("bank", k, 1);
        expect(value).toEqual(v);
        expect(verifyQueryProof(proof, ca.hash, "bank", k, v)).toBe(true);
      }
      await b.close();
    } finally {
      rmSync(dirB, { recursive: true, force: true });
    }
  });

  test("if the hashing worker dies, hashing continues on the main thread with the same result", async () => {
    const dirB = mkdtempSync(join(tmpdir(), "ms-worker-"));
    try {
      await ms.close();
      ms = await CommitMultiStore.open(dir, STORES, { keepRecent: 0, parallelHashThreshold: 0 });
      const b = await CommitMultiStore.open(dirB, STORES, { keepRecent: 0, parallelHashThreshold: Infinity });
      const block = (v: number) => {
        for (const store of [ms, b]) for (let i = 0; i < 300; i++) store.working().store("acc").set(Buffer.from(`k${(i * v) % 97}`), Buffer.from(`v${v}.${i}`));
      };
      block(1);
      expect((await ms.commit()).hash).toEqual((await b.commit()).hash); // worker started and used
      const internals = ms as unknown as { pipeline: { hasher: { worker: { terminate(): Promise<number> } } } };
      await internals.pipeline.hasher.worker.terminate();
      block(2);
      expect((await ms.commit()).hash).toEqual((await b.commit()).hash);
      block(3);
      expect((await ms.commit()).hash).toEqual((await b.commit()).hash);
      await b.close();
    } finally {
      rmSync(dirB, { recursive: true, force: true });
    }
  });

  test("store names: a committed store missing from open() is an error, a new one starts empty", async () => {
    ms.working().store("zeta").set(Uint8Array.of(1), Uint8Array.of(1));
    await ms.commit();
    await ms.close();
    await expect(CommitMultiStore.open(dir, ["bank", "acc"], { keepRecent: 0 })).rejects.toThrow(/store "zeta" that is not in the store names/);
    ms = await CommitMultiStore.open(dir, [...STORES, "new"], { keepRecent: 0 });
    expect(await ms.working().store("new").get(Uint8Array.of(1))).toBeUndefined();
    await expect(ms.prove("new", Uint8Array.of(1), 1)).rejects.toThrow(/did not exist at version 1/);
    ms.working().store("new").set(Uint8Array.of(1), Uint8Array.of(1));
    const c = await ms.commit();
    const { proof } = await ms.prove("new", Uint8Array.of(1), c.version);
    expect(verifyQueryProof(proof, c.hash, "new", Uint8Array.of(1), Uint8Array.of(1))).toBe(true);
    await expect(CommitMultiStore.open(join(dir, "x"), ["a", "a"], { keepRecent: 0 })).rejects.toThrow(/duplicate store name/);
    await expect(CommitMultiStore.open(join(dir, "y"), [], { keepRecent: 0 })).rejects.toThrow(/at least one store/);
    await expect(CommitMultiStore.open(join(dir, "z"), ["a"], { keepRecent: -1 })).rejects.toThrow(/keepRecent/);
  });
});
