/**
 * Store benchmark: builds an IAVL multistore of BENCH_STORE_KEYS keys (default 1,000,000; 20–40-byte
 * keys, 8–100-byte values, from a deterministic PRNG) in blocks of 10,000 writes, then times 12 more
 * blocks of 10,000 writes (half updates, half inserts), ICS23 proof generation, latest-version
 * reads, and the LevelDB footprint per key after compaction.
 *
 *   npx tsc -p tsconfig.bench.json && node .bench-build/bench/store.js
 *   BENCH_STORE_KEYS=100000    a quick run
 *   BENCH_STORE_CACHE=n        node cache size in nodes (default: the store's, 1,000,000)
 *   BENCH_TRACE=1              per-commit figures
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { ClassicLevel } from "classic-level";
import { CommitMultiStore } from "../chain/store";
import { prng } from "../test/support/store";
import { BenchResult, printResults } from "./result";

const BLOCK = 10_000;
const TIMED_BLOCKS = 12;
const STORE = "bank";

/** The i-th key: 20–40 random-looking bytes, derived from i alone (no key list kept in memory). */
function keyOf(i: number): Uint8Array {
  const r = prng(i * 2654435761 + 12345);
  const len = 20 + (r() % 21);
  const k = new Uint8Array(len);
  for (let j = 0; j < len; j += 4) {
    const x = r();
    k[j] = x;
    if (j + 1 < len) k[j + 1] = x >>> 8;
    if (j + 2 < len) k[j + 2] = x >>> 16;
    if (j + 3 < len) k[j + 3] = x >>> 24;
  }
  return k;
}

function valueOf(r: () => number): Uint8Array {
  const v = new Uint8Array(8 + (r() % 93));
  for (let j = 0; j < v.length; j++) v[j] = r();
  return v;
}

function memory(): string {
  const m = process.memoryUsage();
  const mib = (n: number) => Math.round(n / 2 ** 20);
  return `RSS ${mib(m.rss)} MiB: JS heap ${mib(m.heapUsed)}, array buffers ${mib(m.arrayBuffers)}`;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir)) total += statSync(join(dir, f)).size;
  return total;
}

export async function benchStore(): Promise<BenchResult[]> {
  const keys = Number(process.env.BENCH_STORE_KEYS ?? 1_000_000);
  if (!Number.isSafeInteger(keys) || keys < BLOCK) throw new Error(`BENCH_STORE_KEYS must be an integer >= ${BLOCK}`);
  const keepRecent = 10;
  // the store's default node cache (1,000,000) unless BENCH_STORE_CACHE says otherwise
  const cacheSize = process.env.BENCH_STORE_CACHE === undefined ? undefined : Number(process.env.BENCH_STORE_CACHE);
  const dir = mkdtempSync(join(tmpdir(), "pegzone-bench-store-"));
  const results: BenchResult[] = [];
  const r = prng(42);
  try {
    const ms = await CommitMultiStore.open(dir, [STORE, "acc", "staking"], { keepRecent, cacheSize });
    const s = ms.working().store(STORE);
    let n = 0;
    let t0 = performance.now();
    while (n < keys) {
      const end = Math.min(keys, n + BLOCK);
      for (; n < end; n++) s.set(keyOf(n), valueOf(r));
      await ms.commit();
      if (process.env.BENCH_TRACE) console.log(n, JSON.stringify(ms.lastCommitStats), ms.cacheInfo());
    }
    const buildMs = performance.now() - t0;
    results.push({ name: `store: build ${keys.toLocaleString("en-US")} keys (inserts, blocks of 10k)`, value: Math.round((keys / buildMs) * 1000), unit: "leaves/s" });

    // timed blocks: half updates of existing keys, half inserts of new keys
    let gcMs = 0;
    const gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMs += e.duration;
    });
    gcObserver.observe({ entryTypes: ["gc"] });
    t0 = performance.now();
    let writes = 0;
    const phase = { prefetch: 0, apply: 0, hash: 0, encode: 0, write: 0, nodes: 0 };
    for (let b = 0; b < TIMED_BLOCKS; b++) {
      for (let i = 0; i < BLOCK / 2; i++) s.set(keyOf(r() % n), valueOf(r));
      for (let i = 0; i < BLOCK / 2; i++) s.set(keyOf(n++), valueOf(r));
      writes += BLOCK;
      await ms.commit();
      const st = ms.lastCommitStats!;
      phase.prefetch += st.prefetchMs;
      phase.apply += st.applyMs;
      phase.hash += st.hashMs;
      phase.encode += st.encodeMs;
      phase.write += st.writeMs;
      phase.nodes += st.nodesWritten;
      if (process.env.BENCH_TRACE) console.log(JSON.stringify(st), JSON.stringify(ms.cacheInfo()));
    }
    const blockMs = performance.now() - t0;
    gcObserver.disconnect();
    const per = (x: number) => (x / TIMED_BLOCKS).toFixed(0);
    results.push({
      name: "store: per block: prefetch/apply/hash/encode/write",
      value: Math.round(blockMs / TIMED_BLOCKS),
      unit: "ms",
      note: `${per(phase.prefetch)}/${per(phase.apply)}/${per(phase.hash)}/${per(phase.encode)}/${per(phase.write)} ms, GC ${per(gcMs)} ms, ${per(phase.nodes)} nodes written`,
    });
    results.push({
      name: `store: commit blocks of 10k writes (50% upd / 50% ins)`,
      value: Math.round((writes / blockMs) * 1000),
      unit: "leaves/s",
      note: `${TIMED_BLOCKS} blocks, ${(blockMs / TIMED_BLOCKS).toFixed(0)} ms/block, cache ${ms.cacheInfo().capacity.toLocaleString("en-US")} nodes, keepRecent ${keepRecent}, ${memory()}`,
    });

    // proofs at the latest version: 90% existing keys, 10% absent ones
    const proofs = 5_000;
    t0 = performance.now();
    for (let i = 0; i < proofs; i++) {
      const key = i % 10 === 9 ? keyOf(n + 1 + i) : keyOf(r() % n);
      await ms.prove(STORE, key, ms.lastVersion);
    }
    const proofMs = performance.now() - t0;
    results.push({ name: "store: ICS23 proofs (iavl + simple ops, encoded)", value: Math.round((proofs / proofMs) * 1000), unit: "proofs/s" });

    // reads of the latest version through the flat index
    const v = await ms.view();
    const reads = 50_000;
    t0 = performance.now();
    for (let i = 0; i < reads; i++) await v.store(STORE).get(keyOf(r() % n));
    results.push({ name: "store: latest-version point reads (flat index)", value: Math.round((reads / (performance.now() - t0)) * 1000), unit: "reads/s" });

    await ms.close();
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
    await db.open();
    await db.compactRange(Uint8Array.of(0), Uint8Array.of(0xff));
    await db.close();
    results.push({ name: "store: LevelDB size per key after compaction", value: Math.round(dirSize(dir) / n), unit: "bytes/key", note: `${n.toLocaleString("en-US")} keys, ${keepRecent} versions kept` });
    const last = ms.lastVersion;
    const reopened = await CommitMultiStore.open(dir, [STORE, "acc", "staking"], { keepRecent, cacheSize });
    const ok = reopened.lastVersion === last;
    await reopened.close();
    if (!ok) throw new Error("the compacted database did not reopen at its last version");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (require.main === module) {
  benchStore().then(
    (results) => printResults("store", results),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
