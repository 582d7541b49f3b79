import fc from "fast-check";
import { defineNetwork, MAINNET, REGTEST, TESTNET3, TESTNET4 } from "./params";
import { decodeCompact, encodeCompact } from "./pow";
import { type AncestorLookup, calculateNextWorkRequired, type HeaderRef, medianTimePast, medianTimePastOf, nextWorkRequired } from "./retarget";
import { describeVectors, readmeRetargets, reasonOf } from "../../test/support/bitcoin";

/** An AncestorLookup over explicitly listed headers (heights need not be consecutive). */
function lookupOf(refs: HeaderRef[]): AncestorLookup {
  const byHeight = new Map(refs.map((r) => [r.height, r]));
  return { ancestor: (h) => byHeight.get(h) };
}
const ref = (height: number, time: number, bits: number): HeaderRef => ({ height, header: { time, bits } });

describeVectors("Bitcoin Core's published mainnet retarget cases (shared/vectors/bitcoin/README.md)", () => {
  const rows = readmeRetargets();

  test("the README has the four cases", () => {
    expect(rows.map((r) => r.lastHeight)).toEqual([32255, 2015, 68543, 46367]);
  });

  test.each(rows.map((r) => [r.lastHeight, r] as const))("last height %i: CalculateNextWorkRequired", (_h, r) => {
    const next = calculateNextWorkRequired({ time: r.lastTime, bits: r.lastBits }, { time: r.firstTime, bits: r.lastBits }, MAINNET);
    expect(next).toBe(r.nextBits);
  });

  test.each(rows.map((r) => [r.lastHeight, r] as const))("last height %i: GetNextWorkRequired fetches the first block of the period", (_h, r) => {
    const last = ref(r.lastHeight, r.lastTime, r.lastBits);
    const first = ref(r.lastHeight - 2015, r.firstTime, r.lastBits);
    expect(nextWorkRequired(last, r.lastTime + 600, MAINNET, lookupOf([first, last]))).toBe(r.nextBits);
  });
});

describe("GetNextWorkRequired between retargets", () => {
  test("mainnet keeps the parent's bits, whatever the time", () => {
    const prev = ref(100, 1_300_000_000, 0x1c05a3f4);
    expect(nextWorkRequired(prev, prev.header.time + 100_000, MAINNET, lookupOf([]))).toBe(0x1c05a3f4);
  });

  test("a retarget needs the first block of the period: missing-ancestor without it", () => {
    const last = ref(4031, 1_300_000_000, 0x1c05a3f4);
    expect(reasonOf(() => nextWorkRequired(last, last.header.time + 600, MAINNET, lookupOf([last])))).toBe("missing-ancestor");
  });

  test("regtest never retargets (fPowNoRetargeting)", () => {
    const first = ref(0, 1_296_688_602, 0x207fffff);
    const last = ref(2015, 1_296_688_602 + 10, 0x207fffff);
    expect(nextWorkRequired(last, last.header.time + 1, REGTEST, lookupOf([first, last]))).toBe(0x207fffff);
    expect(calculateNextWorkRequired({ time: 2_000_000_000, bits: 0x1f00ffff }, { time: 0, bits: 0x207fffff }, REGTEST)).toBe(0x1f00ffff);
  });
});

describe("testnet 20-minute minimum-difficulty rule (fPowAllowMinDifficultyBlocks)", () => {
  const MIN = TESTNET3.powLimitBits; // 0x1d00ffff
  const REAL = 0x1c0ffff0;
  const P = 2016 * 500; // first block of a period
  const T = 1_500_000_000;
  // Period start at REAL difficulty, then: real, real, min, min, min.
  const chain = [ref(P, T, REAL), ref(P + 1, T + 600, REAL), ref(P + 2, T + 1200, REAL), ref(P + 3, T + 3000, MIN), ref(P + 4, T + 4300, MIN), ref(P + 5, T + 5600, MIN)];
  const lookup = lookupOf(chain);
  const tip = chain[chain.length - 1];

  test.each([
    { name: "more than 20 minutes after the parent: powLimit", prev: chain[2], next: T + 1200 + 1201, exp: MIN },
    { name: "exactly 20 minutes after the parent: not yet, the real bits", prev: chain[2], next: T + 1200 + 1200, exp: REAL },
    { name: "on time after min-difficulty blocks: walk back to the last real block's bits", prev: tip, next: tip.header.time + 600, exp: REAL },
    { name: "late after min-difficulty blocks: powLimit again", prev: tip, next: tip.header.time + 1201, exp: MIN },
    { name: "even 1 s before the parent (allowed by MTP): the walk applies", prev: tip, next: tip.header.time - 1, exp: REAL },
  ])("$name", ({ prev, next, exp }) => {
    expect(nextWorkRequired(prev, next, TESTNET3, lookup)).toBe(exp);
    expect(nextWorkRequired(prev, next, TESTNET4, lookup)).toBe(exp); // testnet4 keeps the rule (BIP94 changes only retargets)
  });

  test("the walk stops at the first block of the period, even if it has powLimit bits", () => {
    const c = [ref(P, T, MIN), ref(P + 1, T + 1300, MIN), ref(P + 2, T + 2600, MIN)];
    expect(nextWorkRequired(c[2], T + 3000, TESTNET3, lookupOf(c))).toBe(MIN);
    // and does not look below it
    const withOlder = lookupOf([ref(P - 1, T - 600, REAL), ...c]);
    expect(nextWorkRequired(c[2], T + 3000, TESTNET3, withOlder)).toBe(MIN);
  });

  test("the walk stops at genesis", () => {
    const c = [ref(0, T, MIN), ref(1, T + 1300, MIN)];
    expect(nextWorkRequired(c[1], T + 1400, TESTNET3, lookupOf(c))).toBe(MIN);
  });

  test("a gap in the store during the walk is missing-ancestor", () => {
    expect(reasonOf(() => nextWorkRequired(tip, tip.header.time + 600, TESTNET3, lookupOf([tip])))).toBe("missing-ancestor");
  });

  test("a store answering the wrong height is missing-ancestor", () => {
    const liar: AncestorLookup = { ancestor: () => chain[0] };
    expect(reasonOf(() => nextWorkRequired(tip, tip.header.time + 600, TESTNET3, liar))).toBe("missing-ancestor");
  });

  test("the rule does not apply to the first block of a period: a late block still needs the retarget bits", () => {
    const first = ref(P, T, REAL);
    const last = ref(P + 2015, T + 2016 * 600, REAL);
    const retarget = calculateNextWorkRequired(last.header, first.header, TESTNET3);
    expect(nextWorkRequired(last, last.header.time + 100_000, TESTNET3, lookupOf([first, last]))).toBe(retarget);
    expect(retarget).not.toBe(MIN);
  });
});

describe("BIP94 retargets (testnet4): the old target is the first block's bits", () => {
  const P = 2016 * 30;
  const T = 1_720_000_000;
  const REAL = 0x1c00ffff;
  // The period's last block used the 20-minute exception: on testnet3 that resets the difficulty.
  const first = ref(P, T, REAL);
  const last = ref(P + 2015, T + 2016 * 600, TESTNET3.powLimitBits);
  const lookup = lookupOf([first, last]);

  test("testnet3 retargets from the last block's min-difficulty bits (the 'block storm' bug)", () => {
    expect(nextWorkRequired(last, last.header.time + 600, TESTNET3, lookup)).toBe(TESTNET3.powLimitBits);
  });

  test("testnet4 retargets from the first block's bits: an exact two weeks keeps the real difficulty", () => {
    expect(nextWorkRequired(last, last.header.time + 600, TESTNET4, lookup)).toBe(REAL);
  });

  test("testnet4 still clamps and scales: half the timespan halves the target", () => {
    const fast = ref(P + 2015, T + 1008 * 600, TESTNET3.powLimitBits);
    const next = nextWorkRequired(fast, fast.header.time + 600, TESTNET4, lookupOf([first, fast]));
    expect(decodeCompact(next).target).toBe(decodeCompact(encodeCompact(decodeCompact(REAL).target / 2n)).target);
  });

  test("a BIP94 variant of regtest is only a flag away (Core's -test=bip94)", () => {
    const bip94 = defineNetwork({ ...REGTEST, enforceBIP94: true });
    expect(bip94.enforceBIP94).toBe(true);
    expect(bip94.retargetInterval).toBe(2016);
    expect(Object.isFrozen(bip94)).toBe(true);
  });
});

describe("CalculateNextWorkRequired arithmetic", () => {
  test("the product wraps at 2^256 like arith_uint256 (why Core never retargets regtest's powLimit)", () => {
    const net = defineNetwork({ ...REGTEST, name: "regtest-retargeting", targetTimespan: 4800, noRetargeting: false });
    const wrapped = (((0x7fffffn << 232n) * 1200n) % (1n << 256n)) / 4800n;
    expect(calculateNextWorkRequired({ time: 1050, bits: 0x207fffff }, { time: 0, bits: 0x207fffff }, net)).toBe(encodeCompact(wrapped));
    expect(encodeCompact(wrapped)).toBe(0x1f0da700);
  });

  test("the new target stays within [old/4, old*4] and under powLimit; an exact timespan changes nothing", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n << 180n, max: MAINNET.powLimit }),
        fc.integer({ min: -10_000_000, max: 10_000_000 }),
        (old, span) => {
          const bits = encodeCompact(old);
          const oldT = decodeCompact(bits).target;
          const first = { time: 1_600_000_000, bits };
          const next = decodeCompact(calculateNextWorkRequired({ time: first.time + span, bits }, first, MAINNET)).target;
          expect(next <= MAINNET.powLimit).toBe(true);
          expect(next <= oldT * 4n).toBe(true);
          // compact encoding keeps a mantissa of at least 2^15, so it truncates by less than 1/2^15
          expect(next * 32768n >= (oldT / 4n) * 32767n).toBe(true);
          if (span === 1_209_600) expect(next).toBe(oldT);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("median time past", () => {
  test.each([
    { name: "eleven times, unsorted", times: [11, 3, 9, 1, 7, 5, 2, 10, 4, 8, 6], exp: 6 },
    { name: "one time", times: [42], exp: 42 },
    { name: "two times: the upper one, as Core's pbegin[(pend - pbegin) / 2]", times: [5, 1], exp: 5 },
    { name: "equal times", times: [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7], exp: 7 },
  ])("$name", ({ times, exp }) => {
    expect(medianTimePast(times)).toBe(exp);
  });

  test("refuses 0 or 12 times", () => {
    expect(() => medianTimePast([])).toThrow(RangeError);
    expect(() => medianTimePast(new Array(12).fill(1))).toThrow(RangeError);
  });

  test("of a stored header: itself and its 10 predecessors, fewer near genesis", () => {
    const refs = Array.from({ length: 20 }, (_, h) => ref(h, 1000 + ((h * 7919) % 23) * 100, 0x207fffff));
    const lookup = lookupOf(refs);
    for (const tip of refs) {
      const window = refs.slice(Math.max(0, tip.height - 10), tip.height + 1).map((r) => r.header.time);
      expect(medianTimePastOf(tip, lookup)).toBe(medianTimePast(window));
    }
    expect(reasonOf(() => medianTimePastOf(refs[15], lookupOf([refs[15]])))).toBe("missing-ancestor");
  });
});
