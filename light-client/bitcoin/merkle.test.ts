import fc from "fast-check";
import { parseBlock } from "./block";
import { bytesEqual, concatBytes } from "../../chain/store/bytes";
import { toDisplayHex } from "./bytes";
import { hashPair, sha256d } from "./hash";
import { blockHash } from "./header";
import { verifyTxInclusion } from "./inclusion";
import {
  buildPartialMerkleTree,
  computeMerkleRoot,
  decodeMerkleBlock,
  encodeMerkleBlock,
  extractMatches,
  MAX_BLOCK_TRANSACTIONS,
  merkleBranch,
  merkleRootFromBranch,
  treeHeight,
  verifyMerkleBlock,
  verifyMerkleBranch,
} from "./merkle";
import { describeVectors, readmeBlocks, readVector, reasonOf } from "../../test/support/bitcoin";
import { encodeTx } from "./tx";

const leaf = (i: number) => sha256d(Uint8Array.of(i & 255, i >> 8, 0x4c));
const leaves = (n: number) => Array.from({ length: n }, (_, i) => leaf(i));

describeVectors("Merkle roots of the real blocks", () => {
  test.each(readmeBlocks().map((r) => [r.file] as const))("%s: the root of the parsed txids is the header's merkleRoot", (file) => {
    const block = parseBlock(readVector(file));
    const { root, mutated } = computeMerkleRoot(block.transactions.map((t) => t.txid));
    expect(toDisplayHex(root)).toBe(toDisplayHex(block.header.merkleRoot));
    expect(mutated).toBe(false);
  });
});

describeVectors("the merkleblock of block 300025 (merkle300025.raw)", () => {
  const raw = readVector("merkle300025.raw");
  const block = parseBlock(readVector("block300025.raw"));
  const txids = block.transactions.map((t) => t.txid);
  const verified = verifyMerkleBlock(raw);

  test("yields the header, its hash, 461 transactions and matched txids that are the block's at those positions", () => {
    expect(verified.blockHash).toEqual(block.hash);
    expect(verified.header.merkleRoot).toEqual(block.header.merkleRoot);
    expect(verified.totalTransactions).toBe(461);
    expect(verified.matched.length).toBeGreaterThan(0);
    for (const m of verified.matched) expect(toDisplayHex(m.txid)).toBe(toDisplayHex(txids[m.index]));
    // positions strictly increase (depth-first, left to right)
    for (let i = 1; i < verified.matched.length; i++) expect(verified.matched[i].index).toBeGreaterThan(verified.matched[i - 1].index);
  });

  test("the builder (Core's CPartialMerkleTree constructor) re-creates the file byte for byte", () => {
    const matched = new Set(verified.matched.map((m) => m.index));
    const tree = buildPartialMerkleTree(txids, txids.map((_, i) => matched.has(i)));
    expect(encodeMerkleBlock({ header: block.header, tree })).toEqual(raw);
  });

  test("a matched transaction's raw bytes prove its inclusion; an unmatched one's do not", () => {
    const m = verified.matched[0];
    const inc = verifyTxInclusion(encodeTx(block.transactions[m.index]), raw);
    expect(inc.index).toBe(m.index);
    expect(inc.blockHash).toEqual(blockHash(raw.subarray(0, 80)));
    const unmatched = block.transactions.findIndex((_, i) => !verified.matched.some((x) => x.index === i));
    expect(reasonOf(() => verifyTxInclusion(encodeTx(block.transactions[unmatched]), raw))).toBe("tx-not-in-proof");
  });

  const mb = decodeMerkleBlock(raw);
  const hashesAt = 80 + 4 + 1;
  const flagsAt = hashesAt + 32 * mb.tree.hashes.length + 1;

  test("layout: header, total, hashes, flag bytes, nothing else", () => {
    expect(raw.length).toBe(flagsAt + mb.tree.flags.length);
    expect(mb.tree.hashes).toHaveLength(raw[84]);
  });

  test("flipping any bit of any hash is refused", () => {
    for (let i = hashesAt; i < flagsAt - 1; i++) {
      for (const bit of [0x01, 0x80]) {
        const t = raw.slice();
        t[i] ^= bit;
        expect([i, reasonOf(() => verifyMerkleBlock(t))]).toEqual([i, expect.stringMatching(/^(merkle-mismatch|bad-partial-tree)$/)]);
      }
    }
  });

  test("flipping any flag bit is refused, or only changes which real leaves are reported", () => {
    const matchedBefore = verified.matched.map((m) => m.index);
    let refused = 0;
    let reclassified = 0;
    for (let i = flagsAt; i < raw.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const t = raw.slice();
        t[i] ^= 1 << bit;
        const reason = reasonOf(() => verifyMerkleBlock(t));
        if (reason !== undefined) {
          expect(reason).toMatch(/^(merkle-mismatch|bad-partial-tree)$/);
          refused++;
          continue;
        }
        // Accepted: either a padding bit, or a leaf's "matched" bit (height 0 consumes one hash either way,
        // as in Core). Every reported match must still be the block's real txid at that position.
        const after = verifyMerkleBlock(t).matched;
        for (const m of after) expect(toDisplayHex(m.txid)).toBe(toDisplayHex(txids[m.index]));
        if (after.map((m) => m.index).join() !== matchedBefore.join()) reclassified++;
      }
    }
    expect(refused).toBeGreaterThan(0);
    expect(reclassified).toBeGreaterThan(0);
  });

  test.each([
    { name: "one extra byte appended", malleate: () => concatBytes(raw, Uint8Array.of(0)), expErr: "trailing-bytes" },
    { name: "last byte cut", malleate: () => raw.subarray(0, raw.length - 1), expErr: "truncated" },
    { name: "only the header", malleate: () => raw.subarray(0, 80), expErr: "truncated" },
    { name: "one more flag byte (count and byte)", malleate: () => concatBytes(raw.subarray(0, flagsAt - 1), Uint8Array.of(raw[flagsAt - 1] + 1), raw.subarray(flagsAt), Uint8Array.of(0)), expErr: "bad-partial-tree" },
    { name: "one hash fewer (count and hash)", malleate: () => concatBytes(raw.subarray(0, 84), Uint8Array.of(raw[84] - 1), raw.subarray(hashesAt + 32)), expErr: "bad-partial-tree" },
    // As in Core, the count is only authenticated through the tree's shape: 462 gives the same shape here.
    { name: "total transactions 462 (same shape)", malleate: () => withTotal(raw, 462), expErr: undefined },
    { name: "total transactions 1024 (one level deeper)", malleate: () => withTotal(raw, 1024), expErr: "bad-partial-tree" },
    { name: "total transactions 256 (one level shallower)", malleate: () => withTotal(raw, 256), expErr: "merkle-mismatch" },
    { name: "total transactions 0", malleate: () => withTotal(raw, 0), expErr: "bad-partial-tree" },
    { name: "total transactions above a block's maximum", malleate: () => withTotal(raw, MAX_BLOCK_TRANSACTIONS + 1), expErr: "bad-partial-tree" },
    { name: "header merkle root changed", malleate: () => { const t = raw.slice(); t[40] ^= 1; return t; }, expErr: "merkle-mismatch" },
  ])("$name: $expErr", ({ malleate, expErr }) => {
    expect(reasonOf(() => verifyMerkleBlock(malleate()))).toBe(expErr);
  });

  test("branches from the full tree verify with the block's count; tampered ones do not", () => {
    const root = block.header.merkleRoot;
    for (const i of [0, 1, 2, 229, 456, 459, 460]) {
      const branch = merkleBranch(txids, i);
      expect(branch).toHaveLength(treeHeight(461));
      verifyMerkleBranch(txids[i], branch, i, root, 461);
      expect(reasonOf(() => verifyMerkleBranch(txids[i], branch, i ^ 1, root, 461))).toMatch(/^(merkle-mismatch|bad-merkle-branch)$/);
      const bad = branch.map((h, level) => (level === 3 ? sha256d(h) : h));
      expect(reasonOf(() => verifyMerkleBranch(txids[i], bad, i, root, 461))).toMatch(/^(merkle-mismatch|bad-merkle-branch)$/);
      expect(reasonOf(() => verifyMerkleBranch(txids[i], bad, i, root))).toBe("merkle-mismatch");
    }
    // 461 is odd: the last txid is paired with itself
    expect(merkleBranch(txids, 460)[0]).toEqual(txids[460]);
  });
});

describe("the 64-byte transaction attack on merkleblocks", () => {
  // A 64-byte transaction T: its txid is sha256d(T), exactly the inner node over the "leaves" T[0:32], T[32:64].
  const T = encodeTx({
    version: 2,
    inputs: [{ prevTxid: sha256d(Uint8Array.of(7)), prevIndex: 1, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [] }],
    outputs: [{ value: 123_456n, scriptPubKey: Uint8Array.of(0x51, 0x51, 0x51, 0x51) }],
    locktime: 0,
  });
  const [l, r, x, y] = [T.subarray(0, 32), T.subarray(32, 64), leaf(1), leaf(2)];
  const block4 = [l, r, x, y];
  const root = computeMerkleRoot(block4).root;
  const header = { version: 4, prevBlock: new Uint8Array(32), merkleRoot: root, time: 0, bits: 0x207fffff, nonce: 0 };

  test("a proof claiming 2 transactions, whose first 'txid' is the inner node over T's halves, has the real root", () => {
    const forged = buildPartialMerkleTree([sha256d(T), hashPair(x, y)], [true, false]);
    expect(T.length).toBe(64);
    expect(hashPair(l, r)).toEqual(sha256d(T));
    const v = verifyMerkleBlock({ header, tree: forged });
    expect(v.matched.map((m) => toDisplayHex(m.txid))).toEqual([toDisplayHex(sha256d(T))]);
    // ... so the inclusion check must (and does) refuse the 64-byte transaction itself
    expect(reasonOf(() => verifyTxInclusion(T, { header, tree: forged }))).toBe("tx-64-bytes");
  });
});

function withTotal(raw: Uint8Array, total: number): Uint8Array {
  const t = raw.slice();
  new DataView(t.buffer).setUint32(80, total, true);
  return t;
}

describe("computeMerkleRoot", () => {
  test("one leaf is its own root; two are hashed together; three duplicate the last", () => {
    const [a, b, c] = leaves(3);
    expect(computeMerkleRoot([a]).root).toEqual(a);
    expect(computeMerkleRoot([a, b]).root).toEqual(hashPair(a, b));
    expect(computeMerkleRoot([a, b, c]).root).toEqual(hashPair(hashPair(a, b), hashPair(c, c)));
    expect(reasonOf(() => computeMerkleRoot([]))).toBe("bad-count");
    expect(reasonOf(() => computeMerkleRoot([new Uint8Array(31)]))).toBe("bad-length");
  });

  test("CVE-2012-2459: [a, b, c] and [a, b, c, c] share a root; the second is flagged as mutated", () => {
    const [a, b, c] = leaves(3);
    const honest = computeMerkleRoot([a, b, c]);
    const mutated = computeMerkleRoot([a, b, c, c]);
    expect(mutated.root).toEqual(honest.root);
    expect([honest.mutated, mutated.mutated]).toEqual([false, true]);
  });
});

describe("partial Merkle trees (Core's CPartialMerkleTree rules)", () => {
  test("build then extract gives back the matches and the root, for random trees", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.boolean(), { minLength: n, maxLength: n }))), ([n, match]) => {
        const ids = leaves(n);
        const tree = buildPartialMerkleTree(ids, match);
        const { root, matches } = extractMatches(tree);
        expect(root).toEqual(computeMerkleRoot(ids).root);
        expect(matches.map((m) => m.index)).toEqual(match.flatMap((m, i) => (m ? [i] : [])));
        for (const m of matches) expect(m.txid).toEqual(ids[m.index]);
      }),
      { numRuns: 150 },
    );
  });

  test("the duplicated-subtree mutation (CVE-2012-2459) is refused: identical left and right", () => {
    const [a, b, c] = leaves(3);
    const tree = buildPartialMerkleTree([a, b, c, c], [false, false, false, true]);
    expect(reasonOf(() => extractMatches(tree))).toBe("bad-partial-tree");
    // same with a larger duplicated subtree: [0..5] vs [0..5, 4, 5]
    const six = leaves(6);
    const t2 = buildPartialMerkleTree([...six, six[4], six[5]], [false, false, false, false, false, false, true, false]);
    expect(reasonOf(() => extractMatches(t2))).toBe("bad-partial-tree");
    // while the honest trees are fine
    expect(extractMatches(buildPartialMerkleTree([a, b, c], [false, false, true])).matches.map((m) => m.index)).toEqual([2]);
  });

  const base = buildPartialMerkleTree(leaves(10), [false, false, true, false, false, false, false, true, false, false]);
  test.each([
    { name: "unchanged", tree: base, expErr: undefined },
    { name: "no transactions", tree: { ...base, totalTransactions: 0 }, expErr: "bad-partial-tree" },
    { name: "more transactions than a block holds", tree: { ...base, totalTransactions: MAX_BLOCK_TRANSACTIONS + 1 }, expErr: "bad-partial-tree" },
    { name: "more hashes than transactions", tree: { ...base, totalTransactions: 2, hashes: leaves(3), flags: Uint8Array.of(0xff) }, expErr: "bad-partial-tree" },
    { name: "fewer flag bits than hashes", tree: { totalTransactions: 16, hashes: leaves(9), flags: Uint8Array.of(0xff) }, expErr: "bad-partial-tree" },
    { name: "an unused hash", tree: { ...base, hashes: [...base.hashes, leaf(99)] }, expErr: "bad-partial-tree" },
    { name: "a missing hash", tree: { ...base, hashes: base.hashes.slice(0, -1) }, expErr: "bad-partial-tree" },
    { name: "an unused flag byte", tree: { ...base, flags: concatBytes(base.flags, Uint8Array.of(0)) }, expErr: "bad-partial-tree" },
    { name: "no flag bytes", tree: { ...base, flags: new Uint8Array(0) }, expErr: "bad-partial-tree" },
    { name: "a 31-byte hash", tree: { ...base, hashes: [base.hashes[0].subarray(1), ...base.hashes.slice(1)] }, expErr: "bad-length" },
  ])("$name: $expErr", ({ tree, expErr }) => {
    expect(reasonOf(() => extractMatches(tree))).toBe(expErr);
  });
});

describe("Merkle branches", () => {
  test("every leaf of random trees verifies, with and without the transaction count", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1))), ([n, i]) => {
        const ids = leaves(n);
        const root = computeMerkleRoot(ids).root;
        const branch = merkleBranch(ids, i);
        expect(merkleRootFromBranch(ids[i], branch, i)).toEqual(root);
        verifyMerkleBranch(ids[i], branch, i, root);
        verifyMerkleBranch(ids[i], branch, i, root, n);
        expect(reasonOf(() => verifyMerkleBranch(leaf(1000), branch, i, root, n))).toMatch(/^(merkle-mismatch|bad-merkle-branch)$/);
      }),
      { numRuns: 200 },
    );
  });

  const ids = leaves(7);
  const root = computeMerkleRoot(ids).root;
  test.each([
    { name: "index beyond the branch", run: () => verifyMerkleBranch(ids[0], merkleBranch(ids, 0), 8, root), expErr: "bad-merkle-branch" },
    { name: "negative index", run: () => verifyMerkleBranch(ids[0], merkleBranch(ids, 0), -1, root), expErr: "bad-merkle-branch" },
    { name: "index beyond the count", run: () => verifyMerkleBranch(ids[6], merkleBranch(ids, 6), 7, root, 7), expErr: "bad-merkle-branch" },
    { name: "branch shorter than the tree", run: () => verifyMerkleBranch(ids[0], merkleBranch(ids, 0).slice(0, 2), 0, root, 7), expErr: "bad-merkle-branch" },
    { name: "count of a deeper tree", run: () => verifyMerkleBranch(ids[0], merkleBranch(ids, 0), 0, root, 9), expErr: "bad-merkle-branch" },
    { name: "a 33-level branch", run: () => merkleRootFromBranch(ids[0], new Array(33).fill(ids[1]), 0), expErr: "bad-merkle-branch" },
    { name: "wrong root", run: () => verifyMerkleBranch(ids[0], merkleBranch(ids, 0), 0, ids[0], 7), expErr: "merkle-mismatch" },
  ])("$name: $expErr", ({ run, expErr }) => {
    expect(reasonOf(run)).toBe(expErr);
  });

  test("the odd-level rule: the last leaf of 7 is paired with itself, and only it may be", () => {
    const branch = merkleBranch(ids, 6);
    expect(branch[0]).toEqual(ids[6]);
    verifyMerkleBranch(ids[6], branch, 6, root, 7);
    // [0..5, 6, 6] has the same root (CVE-2012-2459); claiming the duplicate at index 7 is refused with the count
    expect(reasonOf(() => verifyMerkleBranch(ids[6], branch, 7, root, 8))).toBe("bad-merkle-branch");
  });

  test("an inner node passes for a leaf only if the depth is not pinned down: why the count and the 64-byte rule matter", () => {
    const inner = hashPair(ids[0], ids[1]); // sha256d of 64 bytes, like the txid of a 64-byte transaction
    const shortBranch = merkleBranch(ids, 0).slice(1);
    verifyMerkleBranch(inner, shortBranch, 0, root); // accepted: a forged "transaction" at depth 2
    expect(reasonOf(() => verifyMerkleBranch(inner, shortBranch, 0, root, 7))).toBe("bad-merkle-branch");
    expect(bytesEqual(inner, sha256d(concatBytes(ids[0], ids[1])))).toBe(true);
  });
});
