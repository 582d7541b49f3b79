/**
 * Branch semantics (CacheKVStore / CacheMultiStoreImpl / branch): nested branches over the
 * working state of a real store, checked against an overlay model for reads, ordered merged
 * iteration (deletes, ranges, reverse, limit) and write() propagation and order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { byteString, compareBytes } from "./bytes";
import { branch, CacheKVStore } from "./cachekv";
import { CommitMultiStore } from "./commit-multistore";
import { CacheMultiStore, KeyRange, KVStore, MultiStore } from "./types";

const KEYS = [[1], [1, 0], [2], [2, 0xff], [3], [0x7f], [0x80], [0xff], [0xff, 0]].map((k) => Uint8Array.from(k));

async function collect(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [k, v] of it) out.push([Buffer.from(k).toString("hex"), Buffer.from(v).toString("hex")]);
  return out;
}

type Overlay = Map<string, Uint8Array | undefined>;

function visible(base: Map<string, Uint8Array>, overlays: Overlay[], level: number): Map<string, Uint8Array> {
  const m = new Map(base);
  for (let i = 1; i <= level; i++) {
    for (const [k, v] of overlays[i]) {
      if (v === undefined) m.delete(k);
      else m.set(k, v);
    }
  }
  return m;
}

function expectedIteration(m: Map<string, Uint8Array>, range: KeyRange): [string, string][] {
  let entries = [...m.entries()]
    .map(([k, v]) => [Buffer.from(k, "latin1"), v] as const)
    .filter(([k]) => (range.start === undefined || compareBytes(k, range.start) >= 0) && (range.end === undefined || compareBytes(k, range.end) < 0))
    .sort((a, b) => compareBytes(a[0], b[0]));
  if (range.reverse) entries = entries.reverse();
  if (range.limit !== undefined) entries = entries.slice(0, range.limit);
  return entries.map(([k, v]) => [Buffer.from(k).toString("hex"), Buffer.from(v).toString("hex")]);
}

type Op =
  | { t: "set"; level: number; k: number; v: number }
  | { t: "del"; level: number; k: number }
  | { t: "write"; level: number }
  | { t: "iter"; level: number; start?: number; end?: number; reverse: boolean; limit?: number }
  | { t: "get"; level: number; k: number };

const level = fc.integer({ min: 0, max: 3 });
const key = fc.nat(KEYS.length - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant("set" as const), level, k: key, v: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ t: fc.constant("del" as const), level, k: key }),
  fc.record({ t: fc.constant("write" as const), level: fc.integer({ min: 1, max: 3 }) }),
  fc.record(
    { t: fc.constant("iter" as const), level, start: key, end: key, reverse: fc.boolean(), limit: fc.nat(5) },
    { requiredKeys: ["t", "level", "reverse"] },
  ),
  fc.record({ t: fc.constant("get" as const), level, k: key }),
);

test("nested branches match an overlay model (reads, merged iteration, write propagation)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cachekv-"));
  try {
    const ms = await CommitMultiStore.open(dir, ["s"], { keepRecent: 0 });
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        // committed base: a few keys in LevelDB, so merges involve the flat-index iterator too
        const base = new Map<string, Uint8Array>();
        const w = ms.working().store("s");
        for (const [k] of await collectRaw(w)) w.delete(k);
        for (const i of [0, 2, 4, 7]) {
          w.set(KEYS[i], Uint8Array.of(100 + i));
          base.set(byteString(KEYS[i]), Uint8Array.of(100 + i));
        }
        await ms.commit();
        const levels: MultiStore[] = [ms.working()];
        for (let i = 1; i <= 3; i++) levels.push(branch(levels[i - 1]));
        const overlays: Overlay[] = [new Map(), new Map(), new Map(), new Map()];
        for (const op of ops) {
          const store = levels[op.level].store("s");
          if (op.t === "set") {
            store.set(KEYS[op.k], Uint8Array.of(op.v));
            if (op.level === 0) base.set(byteString(KEYS[op.k]), Uint8Array.of(op.v));
            else overlays[op.level].set(byteString(KEYS[op.k]), Uint8Array.of(op.v));
          } else if (op.t === "del") {
            store.delete(KEYS[op.k]);
            if (op.level === 0) base.delete(byteString(KEYS[op.k]));
            else overlays[op.level].set(byteString(KEYS[op.k]), undefined);
          } else if (op.t === "write") {
            (levels[op.level] as CacheMultiStore).write();
            for (const [k, v] of overlays[op.level]) {
              if (op.level === 1) {
                if (v === undefined) base.delete(k);
                else base.set(k, v);
              } else {
                overlays[op.level - 1].set(k, v);
              }
            }
            overlays[op.level].clear();
          } else if (op.t === "get") {
            const want = visible(base, overlays, op.level).get(byteString(KEYS[op.k]));
            expect(await store.get(KEYS[op.k])).toEqual(want);
            expect(await store.has(KEYS[op.k])).toBe(want !== undefined);
          } else {
            const range: KeyRange = {
              start: op.start === undefined ? undefined : KEYS[op.start],
              end: op.end === undefined ? undefined : KEYS[op.end],
              reverse: op.reverse,
              limit: op.limit,
            };
            expect(await collect(store.iterate(range))).toEqual(expectedIteration(visible(base, overlays, op.level), range));
          }
        }
        for (let l = 0; l <= 3; l++) {
          expect(await collect(levels[l].store("s").iterate())).toEqual(expectedIteration(visible(base, overlays, l), {}));
        }
      }),
      { numRuns: 150 },
    );
    await ms.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function collectRaw(s: KVStore): Promise<[Uint8Array, Uint8Array][]> {
  const out: [Uint8Array, Uint8Array][] = [];
  for await (const kv of s.iterate()) out.push(kv);
  return out;
}

/** A real KVStore (a CacheKVStore) that also records the writes it receives, in order. */
class RecordingStore extends CacheKVStore {
  constructor(
    private readonly label: string,
    private readonly log: string[],
    parent: KVStore,
  ) {
    super(parent);
  }
  override set(key: Uint8Array, value: Uint8Array): void {
    this.log.push(`${this.label} set ${Buffer.from(key).toString("hex")}`);
    super.set(key, value);
  }
  override delete(key: Uint8Array): void {
    this.log.push(`${this.label} del ${Buffer.from(key).toString("hex")}`);
    super.delete(key);
  }
}

test("write() pushes each store's writes in ascending key order, stores in name order, and empties the branch", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cachekv-order-"));
  const ms = await CommitMultiStore.open(dir, ["b", "a"], { keepRecent: 0 });
  try {
    const log: string[] = [];
    const recorders = new Map<string, RecordingStore>();
    const parent: MultiStore = {
      store(name: string): KVStore {
        let r = recorders.get(name);
        if (r === undefined) {
          r = new RecordingStore(name, log, ms.working().store(name));
          recorders.set(name, r);
        }
        return r;
      },
    };
    const br = branch(parent);
    br.store("b").set(Uint8Array.of(0xff), Uint8Array.of(1));
    br.store("b").delete(Uint8Array.of(0x05));
    br.store("a").set(Uint8Array.of(0x10, 0x01), Uint8Array.of(1));
    br.store("b").set(Uint8Array.of(0x00), Uint8Array.of(1));
    br.store("a").set(Uint8Array.of(0x10), Uint8Array.of(1));
    br.store("a").set(Uint8Array.of(0x02), Uint8Array.of(1));
    br.store("a").set(Uint8Array.of(0x10), Uint8Array.of(2)); // overwrite: written once
    expect(log).toEqual([]); // nothing reaches the parent before write()
    br.write();
    expect(log).toEqual(["a set 02", "a set 10", "a set 1001", "b set 00", "b del 05", "b set ff"]);
    expect(await parent.store("a").get(Uint8Array.of(0x10))).toEqual(Uint8Array.of(2));
    br.write(); // the branch is empty after a write
    expect(log.length).toBe(6);
    expect(await collect(br.store("a").iterate())).toEqual([
      ["02", "01"],
      ["10", "02"],
      ["1001", "01"],
    ]);
  } finally {
    await ms.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a branch over a read-only view reads the version and refuses to write back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cachekv-view-"));
  const ms = await CommitMultiStore.open(dir, ["s"], { keepRecent: 0 });
  try {
    ms.working().store("s").set(Uint8Array.of(1), Uint8Array.of(1));
    await ms.commit();
    const br = branch(await ms.view(1));
    br.store("s").set(Uint8Array.of(2), Uint8Array.of(2));
    br.store("s").delete(Uint8Array.of(1));
    expect(await collect(br.store("s").iterate())).toEqual([["02", "02"]]);
    expect(() => br.write()).toThrow(/read-only/);
  } finally {
    await ms.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
