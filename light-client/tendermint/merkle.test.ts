/**
 * The simple Merkle tree against CometBFT v0.38.26's RFC 6962 test values (derived vector file),
 * the split rule on small trees written out by hand, the proof-shape refusals, and a property:
 * every proof the builder makes verifies against merkleRoot, and no single flipped bit does.
 */
import fc from "fast-check";
import { sha256 } from "../../chain/store/sha256";
import { reasonOfSync } from "../../test/support/tendermint";
import { DERIVED_FILE, describeWithVectors, readVectorJson, toHex } from "../../test/support/tendermint-vectors";
import { buildMerkleProof, expectedAunts, innerHash, leafHash, MAX_AUNTS, type MerkleProof, merkleRoot, splitPoint, verifyMerkleProof } from "./merkle";

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "ascii"));

const reasonOf = (f: () => unknown) => reasonOfSync(f, "accepted");

describeWithVectors("CometBFT rfc6962_test.go values", () => {
  const v = readVectorJson(DERIVED_FILE)["rfc6962 (crypto/merkle/rfc6962_test.go)"];

  test("empty tree, empty leaf, a leaf and an inner node", () => {
    expect(toHex(merkleRoot([]))).toBe(v.empty_tree);
    expect(toHex(leafHash(new Uint8Array(0)))).toBe(v.empty_leaf);
    expect(toHex(leafHash(ascii("L123456")))).toBe(v.leaf_L123456);
    expect(toHex(innerHash(ascii("N123"), ascii("N456")))).toBe(v["inner_N123_N456 (sha256(0x01||'N123'||'N456'))"]);
  });
}, DERIVED_FILE);

describe("tree shape", () => {
  const items = [1, 2, 3, 4, 5].map((i) => Uint8Array.of(i));
  const L = items.map(leafHash);

  test("split point is the largest power of two below n", () => {
    expect([2, 3, 4, 5, 8, 9, 100].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 8, 64]);
  });

  test("small trees as CometBFT builds them (no padding, no duplicated leaf)", () => {
    expect(merkleRoot(items.slice(0, 1))).toEqual(L[0]);
    expect(merkleRoot(items.slice(0, 3))).toEqual(innerHash(innerHash(L[0]!, L[1]!), L[2]!));
    expect(merkleRoot(items)).toEqual(innerHash(innerHash(innerHash(L[0]!, L[1]!), innerHash(L[2]!, L[3]!)), L[4]!));
    expect(merkleRoot([])).toEqual(sha256(new Uint8Array(0)));
  });

  test("aunt counts are leaf depths", () => {
    expect([0, 1, 2, 3, 4].map((i) => expectedAunts(i, 5))).toEqual([3, 3, 3, 3, 1]);
    expect(expectedAunts(0, 1)).toBe(0);
    expect(buildMerkleProof(items, 4).aunts).toEqual([merkleRoot(items.slice(0, 4))]);
  });
});

describe("proof refusals", () => {
  const items = [1, 2, 3, 4, 5].map((i) => Uint8Array.of(i));
  const root = merkleRoot(items);
  const good = buildMerkleProof(items, 2);
  const cases: { name: string; malleate: (p: MerkleProof) => MerkleProof; expErr: string }[] = [
    { name: "valid", malleate: (p) => p, expErr: "accepted" },
    { name: "index = total", malleate: (p) => ({ ...p, index: 5 }), expErr: "bad-merkle-proof" },
    { name: "negative index", malleate: (p) => ({ ...p, index: -1 }), expErr: "bad-merkle-proof" },
    { name: "total 0", malleate: (p) => ({ ...p, total: 0, index: 0 }), expErr: "bad-merkle-proof" },
    { name: "negative total", malleate: (p) => ({ ...p, total: -5 }), expErr: "bad-merkle-proof" },
    { name: "aunts truncated", malleate: (p) => ({ ...p, aunts: p.aunts.slice(1) }), expErr: "bad-merkle-proof" },
    { name: "extra aunt", malleate: (p) => ({ ...p, aunts: [...p.aunts, root] }), expErr: "bad-merkle-proof" },
    { name: "more than 100 aunts", malleate: (p) => ({ ...p, total: 2 ** 52, aunts: Array(MAX_AUNTS + 1).fill(root) }), expErr: "bad-merkle-proof" },
    { name: "short aunt", malleate: (p) => ({ ...p, aunts: [p.aunts[0]!.slice(1), ...p.aunts.slice(1)] }), expErr: "bad-merkle-proof" },
    { name: "short leaf hash", malleate: (p) => ({ ...p, leafHash: p.leafHash.slice(1) }), expErr: "bad-merkle-proof" },
    { name: "other index, same depth", malleate: (p) => ({ ...p, index: 3 }), expErr: "merkle-mismatch" },
    // CometBFT's proofs authenticate the path, not the claimed total: leaf 2 has the same path in 5..8 leaves.
    { name: "other total, same path (accepted, as by CometBFT)", malleate: (p) => ({ ...p, total: 8 }), expErr: "accepted" },
    { name: "other total, other path", malleate: (p) => ({ ...p, total: 4 }), expErr: "bad-merkle-proof" },
    { name: "another leaf", malleate: (p) => ({ ...p, leafHash: leafHash(Uint8Array.of(9)) }), expErr: "merkle-mismatch" },
    { name: "aunts swapped", malleate: (p) => ({ ...p, aunts: [...p.aunts].reverse() }), expErr: "merkle-mismatch" },
  ];
  test.each(cases)("$name → $expErr", ({ malleate, expErr }) => {
    expect(reasonOf(() => verifyMerkleProof(malleate(good), root))).toBe(expErr);
  });

  test("a claimed (index, total) is only as good as its path: leaf 4 of 5 also verifies as leaf 1 of 2", () => {
    const p = buildMerkleProof(items, 4);
    verifyMerkleProof({ ...p, index: 1, total: 2 }, root);
  });

  test("the builder refuses an index outside the list", () => {
    expect(reasonOf(() => buildMerkleProof(items, 5))).toBe("bad-merkle-proof");
    expect(reasonOf(() => buildMerkleProof([], 0))).toBe("bad-merkle-proof");
  });
});

describe("property: builder and verifier agree with merkleRoot", () => {
  const leaves = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 70 });

  test("every index verifies", () => {
    fc.assert(
      fc.property(leaves, (items) => {
        const root = merkleRoot(items);
        items.forEach((_, i) => {
          const p = buildMerkleProof(items, i);
          expect(p.aunts.length).toBe(expectedAunts(i, items.length));
          verifyMerkleProof(p, root);
        });
      }),
    );
  });

  test("one flipped bit (leaf, an aunt, or the root) fails", () => {
    const input = leaves.chain((items) =>
      fc.record({ items: fc.constant(items), index: fc.nat(items.length - 1), target: fc.nat(), bit: fc.nat(255) }),
    );
    fc.assert(
      fc.property(input, ({ items, index, target, bit }) => {
        const p = buildMerkleProof(items, index);
        const parts = [p.leafHash, ...p.aunts, merkleRoot(items)].map((b) => Uint8Array.from(b));
        const t = target % parts.length;
        parts[t]![bit >> 3]! ^= 1 << (bit & 7);
        const forged = { ...p, leafHash: parts[0]!, aunts: parts.slice(1, -1) };
        expect(reasonOf(() => verifyMerkleProof(forged, parts[parts.length - 1]!))).toBe("merkle-mismatch");
      }),
    );
  });
});
