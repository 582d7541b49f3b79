/**
 * Test support shared by the store's tests and its crash-test child process: proof verification
 * exactly as a light client does it (chained ICS23 ops), a deterministic workload, and an in-memory
 * KVStore for the tests and benchmarks of code that runs over one.
 */
import { calculateExistenceRoot, iavlSpec, ics23, tendermintSpec, verifyMembership, verifyNonMembership } from "@confio/ics23";
import { ClassicLevel } from "classic-level";
import { readU64, Reader } from "../../chain/store/bytes";
import { CacheKVStore } from "../../chain/store/cachekv";
import type { KVStore } from "../../chain/store/types";
import type { CommitMultiStore, ProofOp } from "../../chain/store/commit-multistore";
import { decodeNode } from "../../chain/store/node";

/**
 * Verifies a query proof: ops[0] (ics23:iavl) proves key -> value (or absence) under some store
 * root, ops[1] (ics23:simple) proves storeName -> that root under the app hash.
 */
export function verifyQueryProof(ops: ProofOp[], appHash: Uint8Array, storeName: string, key: Uint8Array, value: Uint8Array | undefined): boolean {
  try {
    if (ops.length !== 2 || ops[0].type !== "ics23:iavl" || ops[1].type !== "ics23:simple") return false;
    const storeProof = ics23.CommitmentProof.decode(ops[0].data);
    const multiProof = ics23.CommitmentProof.decode(ops[1].data);
    let sub: ics23.IExistenceProof | null | undefined;
    if (value !== undefined) sub = storeProof.exist;
    else sub = storeProof.nonexist?.left ?? storeProof.nonexist?.right;
    if (!sub) return false;
    const storeRoot = calculateExistenceRoot(sub);
    const ok =
      value !== undefined ? verifyMembership(storeProof, iavlSpec, storeRoot, key, value) : verifyNonMembership(storeProof, iavlSpec, storeRoot, key);
    return ok && verifyMembership(multiProof, tendermintSpec, appHash, Buffer.from(storeName, "utf8"), storeRoot);
  } catch {
    return false;
  }
}

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export const WORKLOAD_STORES = ["acc", "bank", "ibc"];

/**
 * The writes of one block of a deterministic workload: a function of the version only, so a
 * process that crashed can be checked against a replay. Keys come from a space of `keySpace` per
 * store, so updates and deletes hit existing keys.
 */
export function workloadBlock(ms: CommitMultiStore, version: number, writes: number, keySpace: number): void {
  const r = prng(version * 7919 + 17);
  const w = ms.working();
  for (let i = 0; i < writes; i++) {
    const store = WORKLOAD_STORES[r() % WORKLOAD_STORES.length];
    const k = r() % keySpace;
    const key = Buffer.from(`key/${k.toString(16).padStart(6, "0")}`);
    if (r() % 5 === 0) {
      w.store(store).delete(key);
    } else {
      const v = new Uint8Array(8 + (r() % 40));
      for (let j = 0; j < v.length; j++) v[j] = r();
      w.store(store).set(key, v);
    }
  }
}

export interface DbFacts {
  byPrefix: Map<string, number>;
  nodeIds: Set<number>;
  reachable: Set<number>;
  commitVersions: number[];
  orphanVersions: number[];
}

/** Reads the raw database: key counts per record type, stored node ids, and nodes reachable from every stored commit. */
export async function inspectDatabase(dir: string): Promise<DbFacts> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: "view", valueEncoding: "view" });
  await db.open();
  try {
    const byPrefix = new Map<string, number>();
    const nodes = new Map<number, Uint8Array>();
    const roots: number[] = [];
    const commitVersions: number[] = [];
    const orphanVersions: number[] = [];
    for await (const [k, v] of db.iterator()) {
      const p = String.fromCharCode(k[0]);
      byPrefix.set(p, (byPrefix.get(p) ?? 0) + 1);
      if (p === "n") nodes.set(readU64(k, 1), v);
      if (p === "o") orphanVersions.push(readU64(k, 1));
      if (p === "c") {
        commitVersions.push(readU64(k, 1));
        const r = new Reader(v, 32);
        const n = r.uvarint();
        for (let i = 0; i < n; i++) {
          r.bytes(r.uvarint());
          const id = r.uvarint();
          if (id !== 0) {
            roots.push(id);
            r.bytes(32);
            r.uvarint();
            r.uvarint();
          }
        }
      }
    }
    const reachable = new Set<number>();
    const stack = [...roots];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (reachable.has(id)) continue;
      reachable.add(id);
      const buf = nodes.get(id);
      if (buf === undefined) throw new Error(`node ${id} reachable from a kept version is missing`);
      const n = decodeNode(id, buf);
      if (n.height > 0) stack.push(n.left!.id, n.right!.id);
    }
    return { byPrefix, nodeIds: new Set(nodes.keys()), reachable, commitVersions, orphanVersions };
  } finally {
    await db.close();
  }
}

/** An empty read-only parent, so that `memoryStore()` is a KVStore held entirely in memory. */
const EMPTY_STORE: KVStore = {
  get: async () => undefined,
  has: async () => false,
  set: () => {
    throw new Error("read-only");
  },
  delete: () => {
    throw new Error("read-only");
  },
  iterate: async function* () {},
};

/** A KVStore in memory (a write buffer over an empty parent: sorted iteration, deletes hidden), for tests and benchmarks. */
export function memoryStore(): CacheKVStore {
  return new CacheKVStore(EMPTY_STORE);
}
