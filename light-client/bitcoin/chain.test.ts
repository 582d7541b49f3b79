import { bytesEqual } from "../../chain/store/bytes";
import {
  genesisRecord,
  type HeaderLookup,
  type StoredHeader,
  trustedRecord,
  type VerifyContext,
  verifyHeaderChain,
  verifyHeaderExtends,
  verifyRawHeaderChain,
} from "./chain";
import { LightClientError } from "./errors";
import { sha256d } from "./hash";
import { type BlockHeader, blockHash, decodeHeader, encodeHeader } from "./header";
import { defineNetwork, type NetworkParams, REGTEST } from "./params";
import { checkProofOfWork, decodeCompact, encodeCompact } from "./pow";
import { minDifficultyWalkEnd } from "./retarget";
import { mineHeader, RecordsLookup, syntheticChain } from "../../test/support/bitcoin-synthetic";
import { reasonOf } from "../../test/support/bitcoin";

const GENESIS = genesisRecord(REGTEST);
const ctxFor = (params: NetworkParams, lookup: HeaderLookup, maxFutureTime = 0xffffffff): VerifyContext => ({ params, lookup, maxFutureTime });

/** A header that fails proof of work on regtest: the first nonce whose hash is above the target. */
function unmined(fields: BlockHeader): Uint8Array {
  for (let nonce = 0; ; nonce++) {
    const raw = encodeHeader({ ...fields, nonce });
    if (!checkProofOfWork(sha256d(raw), fields.bits, REGTEST.powLimit)) return raw;
  }
}

describe("a synthetic regtest chain, mined here", () => {
  const N = 60;
  const store = new RecordsLookup([GENESIS]);
  const headers = syntheticChain(REGTEST, GENESIS, store, N);
  const lastTime = decodeHeader(headers[N - 1]).time;
  const ctx = ctxFor(REGTEST, store, lastTime + 7200);
  const records = verifyHeaderChain(GENESIS, headers, ctx);
  records.forEach((r) => store.push(r)); // what the caller's store does once verification succeeded

  test("verifies, with heights, hashes and cumulative work", () => {
    expect(records).toHaveLength(N);
    records.forEach((r, i) => {
      expect(r.height).toBe(i + 1);
      expect(r.hash).toEqual(blockHash(headers[i]));
      expect(r.chainWork).toBe(2n * BigInt(i + 2)); // every regtest block (genesis included) has work 2
      expect(r.header.prevBlock).toEqual(i === 0 ? GENESIS.hash : records[i - 1].hash);
    });
  });

  test("verifying in two batches, storing in between, gives the same records", () => {
    const s = new RecordsLookup([GENESIS]);
    const first = verifyHeaderChain(GENESIS, headers.slice(0, 25), ctxFor(REGTEST, s, ctx.maxFutureTime));
    first.forEach((r) => s.push(r));
    const second = verifyHeaderChain(first[24], headers.slice(25), ctxFor(REGTEST, s, ctx.maxFutureTime));
    expect([...first, ...second]).toEqual(records);
  });

  test("verifyRawHeaderChain returns the hashes in one buffer, and uses the caller's when given (no second hashing)", () => {
    const out = verifyRawHeaderChain(GENESIS, headers, ctx);
    expect(out).toHaveLength(32 * N);
    records.forEach((r, i) => expect(out.subarray(32 * i, 32 * i + 32)).toEqual(r.hash));
    const mine = out.slice();
    expect(verifyRawHeaderChain(GENESIS, headers, ctx, mine)).toBe(mine);
    // the given hashes are what proof of work is checked against
    const wrong = out.slice();
    wrong[32 * 7 + 31] = 0xff;
    expect(reasonOf(() => verifyRawHeaderChain(GENESIS, headers, ctx, wrong))).toBe("bad-pow");
  });

  test("decoded headers verify like raw ones; an empty batch returns nothing", () => {
    expect(verifyHeaderChain(GENESIS, headers.map(decodeHeader), ctx)).toEqual(records);
    expect(verifyHeaderChain(GENESIS, [], ctx)).toEqual([]);
  });

  // Malleate header K (its parent is records[K - 1]) and check the batch is refused with the reason.
  const K = 30;
  const parent = records[K - 1];
  const orig = decodeHeader(headers[K]);
  const mtp = [...records.slice(K - 11, K)].map((r) => r.header.time).sort((a, b) => a - b)[5];
  const cases: { name: string; malleate: () => Uint8Array; expErr?: string }[] = [
    { name: "unchanged", malleate: () => headers[K] },
    { name: "forged link (prevBlock of another header)", malleate: () => mineHeader({ ...orig, prevBlock: records[K - 3].hash }, REGTEST.powLimit), expErr: "unknown-parent" },
    { name: "forged link (random prevBlock)", malleate: () => encodeHeader({ ...orig, prevBlock: sha256d(Uint8Array.of(1)) }), expErr: "unknown-parent" },
    { name: "not mined", malleate: () => unmined(orig), expErr: "bad-pow" },
    { name: "forged bits easier than powLimit", malleate: () => encodeHeader({ ...orig, bits: 0x2100ffff }), expErr: "bad-pow" },
    { name: "forged bits: zero target", malleate: () => encodeHeader({ ...orig, bits: 0x20000000 }), expErr: "bad-pow" },
    { name: "forged bits: negative", malleate: () => encodeHeader({ ...orig, bits: 0x20ffffff }), expErr: "bad-pow" },
    { name: "forged bits harder than required, and mined", malleate: () => mineHeader({ ...orig, bits: 0x2000ffff }, REGTEST.powLimit), expErr: "bad-bits" },
    { name: "forged time equal to the median time past", malleate: () => mineHeader({ ...orig, time: mtp }, REGTEST.powLimit), expErr: "time-too-old" },
    { name: "forged time one second after the median time past", malleate: () => mineHeader({ ...orig, time: mtp + 1 }, REGTEST.powLimit) },
    { name: "forged time far in the past", malleate: () => mineHeader({ ...orig, time: 1 }, REGTEST.powLimit), expErr: "time-too-old" },
    { name: "forged time after maxFutureTime", malleate: () => mineHeader({ ...orig, time: ctx.maxFutureTime + 1 }, REGTEST.powLimit), expErr: "time-too-new" },
    { name: "time exactly maxFutureTime", malleate: () => mineHeader({ ...orig, time: ctx.maxFutureTime }, REGTEST.powLimit) },
    { name: "version 3 after BIP65", malleate: () => mineHeader({ ...orig, version: 3 }, REGTEST.powLimit), expErr: "bad-version" },
    { name: "negative version", malleate: () => mineHeader({ ...orig, version: -0x80000000 }, REGTEST.powLimit), expErr: "bad-version" },
    { name: "version 4", malleate: () => mineHeader({ ...orig, version: 4 }, REGTEST.powLimit) },
    { name: "79 bytes", malleate: () => headers[K].subarray(0, 79), expErr: "bad-length" },
  ];

  test.each(cases)("header $name: $expErr", ({ malleate, expErr }) => {
    const forged = malleate();
    expect(reasonOf(() => verifyHeaderExtends(parent, forged, ctx))).toBe(expErr);
    const batch = [...headers.slice(0, K), forged];
    if (expErr === undefined) expect(verifyHeaderChain(GENESIS, batch, ctx)).toHaveLength(K + 1);
    else {
      let err: unknown;
      try {
        verifyHeaderChain(GENESIS, batch, ctx);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LightClientError);
      expect((err as LightClientError).reason).toBe(expErr);
      expect((err as LightClientError).message).toContain(`header ${K} of ${K + 1}`);
    }
  });

  test("a batch whose first header does not link to the anchor is unknown-parent", () => {
    expect(reasonOf(() => verifyHeaderChain(GENESIS, headers.slice(1), ctx))).toBe("unknown-parent");
    expect(reasonOf(() => verifyHeaderChain(records[5], headers.slice(7), ctx))).toBe("unknown-parent");
  });

  test("swapping two headers breaks the links", () => {
    const swapped = [...headers];
    [swapped[10], swapped[11]] = [swapped[11], swapped[10]];
    expect(reasonOf(() => verifyHeaderChain(GENESIS, swapped, ctx))).toBe("unknown-parent");
  });

  test("an anchor whose hash is not its header's is refused", () => {
    const bad: StoredHeader = { ...records[3], hash: records[4].hash };
    expect(reasonOf(() => verifyHeaderChain(bad, headers.slice(5), ctx))).toBe("bad-anchor");
  });

  test("a trusted checkpoint works as an anchor when the store holds the ancestors the rules read", () => {
    const cp = trustedRecord(headers[39], 40, records[39].chainWork);
    expect(cp).toEqual(records[39]);
    // regtest allows min-difficulty blocks, so the walk back reaches the period's first block (genesis here)
    const full = new RecordsLookup([GENESIS, ...records.slice(0, 40)]);
    expect(verifyHeaderChain(cp, headers.slice(40), ctxFor(REGTEST, full, ctx.maxFutureTime))).toEqual(records.slice(40));
    // 10 ancestors are enough for the median time past but not for that walk
    const tenBack = new RecordsLookup(records.slice(29, 40));
    expect(reasonOf(() => verifyHeaderChain(cp, headers.slice(40), ctxFor(REGTEST, tenBack, ctx.maxFutureTime)))).toBe("missing-ancestor");
    // on a network without min-difficulty blocks (mainnet rules at regtest's powLimit), they are enough
    const plain = defineNetwork({ ...REGTEST, name: "regtest-plain", allowMinDifficultyBlocks: false });
    expect(verifyHeaderChain(cp, headers.slice(40), ctxFor(plain, tenBack, ctx.maxFutureTime))).toEqual(records.slice(40));
    expect(reasonOf(() => verifyHeaderChain(cp, headers.slice(40), ctxFor(plain, new RecordsLookup([]), ctx.maxFutureTime)))).toBe("missing-ancestor");
  });

  test("the last valid header of a batch is not returned when a later one is forged", () => {
    const forged = [...headers.slice(0, 50), encodeHeader({ ...decodeHeader(headers[50]), bits: 0x2100ffff })];
    expect(reasonOf(() => verifyHeaderChain(GENESIS, forged, ctx))).toBe("bad-pow");
  });
});

describe("BIP94 timewarp rule on a regtest chain crossing a period boundary (height 2016)", () => {
  const BIP94 = defineNetwork({ ...REGTEST, name: "regtest-bip94", enforceBIP94: true });
  const store = new RecordsLookup([GENESIS]);
  const headers = syntheticChain(REGTEST, GENESIS, store, 2015);
  const records = verifyHeaderChain(GENESIS, headers, ctxFor(REGTEST, store));
  records.forEach((r) => store.push(r));
  const prev = records[2014]; // height 2015, the last block of the first period
  const at = (height: number, time: number, p: StoredHeader = prev) =>
    mineHeader({ version: 0x20000000, prevBlock: p.hash, merkleRoot: sha256d(Uint8Array.of(height & 255, height >> 8)), time, bits: 0x207fffff }, REGTEST.powLimit);

  test.each([
    { name: "601 s before its parent", dt: -601, bip94: "time-timewarp-attack", plain: undefined },
    { name: "exactly 600 s before its parent", dt: -600, bip94: undefined, plain: undefined },
    { name: "after its parent", dt: 600, bip94: undefined, plain: undefined },
  ])("first block of the period $name", ({ dt, bip94, plain }) => {
    const raw = at(2016, prev.header.time + dt);
    expect(reasonOf(() => verifyHeaderExtends(prev, raw, ctxFor(BIP94, store)))).toBe(bip94);
    expect(reasonOf(() => verifyHeaderExtends(prev, raw, ctxFor(REGTEST, store)))).toBe(plain);
  });

  test("inside a period the rule does not apply (only the median time past does)", () => {
    const first = verifyHeaderExtends(prev, at(2016, prev.header.time + 600), ctxFor(BIP94, store));
    store.push(first);
    expect(reasonOf(() => verifyHeaderExtends(first, at(2017, first.header.time - 601, first), ctxFor(BIP94, store)))).toBeUndefined();
  });
});

describe("retargets and the 20-minute rule, end to end, on a fast test network", () => {
  // testnet4's rules (min-difficulty blocks, BIP94) with 20 s blocks, an 8-block period and a powLimit
  // easy enough to mine here yet small enough that target * 4 * timespan stays below 2^256.
  const FAST = defineNetwork({
    ...REGTEST,
    name: "fastnet",
    powLimit: (1n << 246n) - 1n,
    targetSpacing: 20,
    targetTimespan: 8 * 20,
    noRetargeting: false,
    enforceBIP94: true,
  });
  const LIMIT = FAST.powLimitBits;
  const target = (bits: number) => decodeCompact(bits).target;
  const genesis: StoredHeader = (() => {
    const raw = mineHeader({ ...REGTEST.genesis, bits: LIMIT }, FAST.powLimit);
    return { hash: blockHash(raw), height: 0, chainWork: 0n, header: decodeHeader(raw) };
  })();
  const store = new RecordsLookup([genesis]);
  // Blocks come every 5 s (4x too fast), except blocks 10 and 23 which come 60 s after their parent.
  const headers = syntheticChain(FAST, genesis, store, 25, { spacing: (h) => (h === 10 || h === 23 ? 60 : 5) });
  const ctx = ctxFor(FAST, store);
  const records = verifyHeaderChain(genesis, headers, ctx);
  records.forEach((r) => store.push(r));
  const bitsAt = (h: number) => records[h - 1].header.bits;
  const timeAt = (h: number) => (h === 0 ? genesis.header.time : records[h - 1].header.time);

  test("the chain verifies; a 4x too fast period divides the target by 4 (the clamp), a slower one less", () => {
    expect(FAST.retargetInterval).toBe(8);
    expect(LIMIT).toBe(0x1f3fffff);
    expect(bitsAt(7)).toBe(LIMIT);
    expect(timeAt(7) - timeAt(0)).toBe(35); // below timespan / 4 = 40
    expect(bitsAt(8)).toBe(encodeCompact(target(LIMIT) / 4n));
    expect(timeAt(15) - timeAt(8)).toBe(90); // block 10 was late
    expect(bitsAt(16)).toBe(encodeCompact((target(bitsAt(8)) * 90n) / 160n));
  });

  test("late blocks used the minimum difficulty, and the next on-time block went back to the period's bits", () => {
    expect([bitsAt(9), bitsAt(10), bitsAt(11)]).toEqual([bitsAt(8), LIMIT, bitsAt(8)]);
    expect([bitsAt(22), bitsAt(23)]).toEqual([bitsAt(16), LIMIT]);
  });

  test("the retarget at 24 started from block 16's bits, not from the min-difficulty block 23 (BIP94)", () => {
    const span = BigInt(timeAt(23) - timeAt(16));
    expect(span).toBe(6n * 5n + 60n); // inside [timespan/4, timespan*4]: not clamped
    expect(bitsAt(24)).toBe(encodeCompact((target(bitsAt(16)) * span) / 160n));
    // Under testnet3's rules the same chain is refused at 24: they start from block 23's powLimit bits.
    const testnet3Like = defineNetwork({ ...FAST, name: "fastnet3", enforceBIP94: false });
    let err: unknown;
    try {
      verifyHeaderChain(genesis, headers, ctxFor(testnet3Like, new RecordsLookup([genesis])));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LightClientError);
    expect((err as LightClientError).reason).toBe("bad-bits");
    expect((err as LightClientError).message).toContain("header 23 of 25");
    expect((err as LightClientError).message).toContain(`require 0x${encodeCompact((target(LIMIT) * span) / 160n).toString(16)}`);
  });

  test("batches from every anchor, header-by-header verification and a store with walk ends all agree", () => {
    const all = [genesis, ...records];
    for (let k = 0; k < headers.length; k++) {
      expect(verifyHeaderChain(all[k], headers.slice(k), ctx)).toEqual(records.slice(k));
      expect(verifyHeaderExtends(all[k], headers[k], ctx)).toEqual(records[k]);
    }
    const withWalkEnds: HeaderLookup = {
      ancestor: (h) => store.ancestor(h),
      walkEnd: (h) => minDifficultyWalkEnd(all[h], FAST, store),
    };
    for (let k = 0; k < headers.length; k += 5) expect(verifyHeaderChain(all[k], headers.slice(k), ctxFor(FAST, withWalkEnds))).toEqual(records.slice(k));
  });

  test.each([
    { name: "block 8 keeping the old difficulty", h: 8, fields: () => ({ bits: LIMIT }), expErr: "bad-bits" },
    { name: "block 8 late at minimum difficulty (no exception at a retarget)", h: 8, fields: (t: number) => ({ bits: LIMIT, time: t + 600 }), expErr: "bad-bits" },
    { name: "block 11 on time at minimum difficulty", h: 11, fields: () => ({ bits: LIMIT }), expErr: "bad-bits" },
    { name: "block 11 late at minimum difficulty", h: 11, fields: (t: number) => ({ bits: LIMIT, time: t + 41 }), expErr: undefined },
    { name: "block 11 exactly 2 x spacing late at minimum difficulty", h: 11, fields: (t: number) => ({ bits: LIMIT, time: t + 40 }), expErr: "bad-bits" },
    { name: "block 10 late but claiming the period's bits", h: 10, fields: () => ({ bits: bitsAt(8) }), expErr: "bad-bits" },
  ])("$name: $expErr", ({ h, fields, expErr }) => {
    const parent = records[h - 2];
    const raw = mineHeader({ ...decodeHeader(headers[h - 1]), ...fields(parent.header.time) }, FAST.powLimit);
    expect(reasonOf(() => verifyHeaderExtends(parent, raw, ctx))).toBe(expErr);
  });
});

describe("genesis records", () => {
  test("regtest genesis: height 0, work 2, hash as published", () => {
    expect(GENESIS.height).toBe(0);
    expect(GENESIS.chainWork).toBe(2n);
    expect(bytesEqual(GENESIS.hash, blockHash(REGTEST.genesis))).toBe(true);
  });
});
