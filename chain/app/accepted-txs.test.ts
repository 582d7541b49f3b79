import type { DecodedTx } from "../tx/decode";
import { AcceptedTxs, type AcceptedTx } from "./accepted-txs";

const entry = (bytes: number): AcceptedTx => ({ tx: {} as DecodedTx, verified: new Set(), bytes, checked: { generation: 0, position: 0 } });

describe("AcceptedTxs", () => {
  it("keeps at most maxEntries, dropping the oldest", () => {
    const cache = new AcceptedTxs({ maxEntries: 3, maxBytes: 1_000 });
    for (const h of ["a", "b", "c", "d"]) cache.add(h, entry(10));
    expect([cache.get("a"), cache.size, cache.bytes]).toEqual([undefined, 3, 30]);
    expect(cache.get("d")?.bytes).toBe(10);
  });

  it("keeps at most maxBytes, dropping the oldest, and never stores an entry larger than the limit", () => {
    const cache = new AcceptedTxs({ maxEntries: 100, maxBytes: 100 });
    cache.add("a", entry(40));
    cache.add("b", entry(40));
    cache.add("c", entry(40));
    expect([cache.get("a"), cache.size, cache.bytes]).toEqual([undefined, 2, 80]);
    cache.add("huge", entry(101));
    expect([cache.get("huge"), cache.size, cache.bytes]).toEqual([undefined, 2, 80]);
  });

  it("counts a replaced or deleted entry's bytes out", () => {
    const cache = new AcceptedTxs({ maxEntries: 10, maxBytes: 100 });
    cache.add("a", entry(30));
    cache.add("a", entry(50));
    expect([cache.size, cache.bytes]).toEqual([1, 50]);
    cache.delete("a");
    cache.delete("never added");
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
  });

  it("refuses limits that are not non-negative integers", () => {
    expect(() => new AcceptedTxs({ maxEntries: -1, maxBytes: 1 })).toThrow(RangeError);
    expect(() => new AcceptedTxs({ maxEntries: 1, maxBytes: 0.5 })).toThrow(RangeError);
  });
});
