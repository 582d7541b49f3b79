import fc from "fast-check";
import { compareBytes, putUvarint, putZigzag, Reader, uvarintSize } from "./bytes";
import { IdTable } from "./nodedb";
import { EMPTY_HASH, sha256 } from "./sha256";

describe("sha256", () => {
  test("known vectors, also at an offset inside a larger buffer", () => {
    expect(Buffer.from(EMPTY_HASH).toString("hex")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(Buffer.from(sha256(Buffer.from("abc"))).toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(Buffer.from(sha256(Buffer.from("xxabcyy"), 2, 3)).toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("varints", () => {
  test("unsigned and zigzag encodings as Go's encoding/binary", () => {
    const enc = (f: (b: Uint8Array, o: number, n: number) => number, n: number) => {
      const b = new Uint8Array(12);
      return Array.from(b.subarray(0, f(b, 0, n)));
    };
    expect(enc(putUvarint, 0)).toEqual([0]);
    expect(enc(putUvarint, 127)).toEqual([127]);
    expect(enc(putUvarint, 128)).toEqual([0x80, 0x01]);
    expect(enc(putUvarint, 300)).toEqual([0xac, 0x02]);
    expect(enc(putUvarint, 2 ** 35 + 5)).toEqual([0x85, 0x80, 0x80, 0x80, 0x80, 0x01]);
    // binary.PutVarint(x) == PutUvarint(uint64(x)<<1) for x >= 0
    expect(enc(putZigzag, 0)).toEqual([0]);
    expect(enc(putZigzag, 1)).toEqual([2]);
    expect(enc(putZigzag, 63)).toEqual([126]);
    expect(enc(putZigzag, 64)).toEqual([0x80, 0x01]);
  });

  test("round-trips up to 2^53", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const b = new Uint8Array(10);
        const end = putUvarint(b, 0, n);
        expect(end).toBe(uvarintSize(n));
        const r = new Reader(b, 0, end);
        expect(r.uvarint()).toBe(n);
        expect(r.pos).toBe(end);
      }),
    );
  });

  test("compareBytes is unsigned lexicographic order", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }), (a, b) => {
        expect(Math.sign(compareBytes(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });
});

describe("IdTable (node cache index)", () => {
  test("behaves like a Map under random sets, overwrites and deletes, across growth", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 2 ** 32 - 5, max: 2 ** 32 + 300 }), fc.constant(2 ** 53 - 1)), fc.nat(1000)), {
          maxLength: 3000,
        }),
        (ops) => {
          const t = new IdTable(2);
          const m = new Map<number, number>();
          for (const [del, id, v] of ops) {
            if (del) {
              t.delete(id);
              m.delete(id);
            } else {
              t.set(id, v);
              m.set(id, v);
            }
            expect(t.size).toBe(m.size);
          }
          for (const [, id] of ops) expect(t.get(id)).toBe(m.get(id) ?? -1);
          for (const [id, v] of m) expect(t.get(id)).toBe(v);
        },
      ),
      { numRuns: 100 },
    );
  });
});
