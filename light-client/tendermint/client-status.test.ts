/**
 * Status (Active / Expired at the exact boundary / Frozen) and revival of an Expired client,
 * table-driven: only when Expired, never Frozen (see client-misbehaviour.test.ts), only forward in
 * height and time, not from the future, self-consistent, and of the same chain or a higher revision.
 */
import { memoryStore } from "../../test/support/store";
import {
  type ChainSpec,
  headerBytes,
  heightAt,
  initializedClient,
  lightBlock,
  reasonOf,
  registrationJson,
  SECOND,
  snapshot,
  testChain,
  trustedJson,
  validatorSetJson,
  validatorSetOf,
} from "../../test/support/tendermint";
import { consensusState, latestHeight, proveTransaction, revive, status, updateClient } from "./client";
import { headerHash } from "./header-hash";
import { consensusStates } from "./store";

const chain = testChain();
const A = chain.valsAt(1n);
const TP = 3600n * SECOND;
const DRIFT = 10n * SECOND;
/** The moment a client whose latest height is 1 expires. */
const EXPIRY = chain.timeAt(1n) + TP;

const client = () => initializedClient(chain);

describe("status", () => {
  test("Active until the latest time + trusting period, Expired from that very nanosecond", async () => {
    const store = await client();
    expect(await status(store, EXPIRY - 1n)).toBe("Active");
    expect(await status(store, EXPIRY)).toBe("Expired");
  });

  test("an update moves the expiry with the latest height", async () => {
    const store = await client();
    await updateClient(store, headerBytes(lightBlock(chain, 2n), heightAt(1n, 1n), A), EXPIRY - 1n);
    expect(await status(store, EXPIRY)).toBe("Active");
    expect(await status(store, chain.timeAt(2n) + TP)).toBe("Expired");
  });

  test("an Expired client refuses updates (its trusted states are expired) and proofs", async () => {
    const store = await client();
    expect(await reasonOf(() => updateClient(store, headerBytes(lightBlock(chain, 2n), heightAt(1n, 1n), A), EXPIRY))).toBe("expired");
    expect(await reasonOf(() => proveTransaction(store, { height: 1n } as never, EXPIRY))).toBe("client-expired");
    expect(await reasonOf(() => status(memoryStore(), EXPIRY))).toBe("not-initialized");
  });
});

describe("revive", () => {
  const H = 700n; // time T0 + 3500 s: after the latest (T0 + 5 s), before EXPIRY
  const C = validatorSetOf(chain.keys.slice(4, 8));
  const rotated: ChainSpec = { ...chain, valsAt: (h) => (h < 650n ? A : C) }; // a new set took over while the client slept

  test("an Expired client takes a newer self-consistent header and is Active again", async () => {
    const store = await client();
    const b = lightBlock(rotated, H);
    expect(await revive(store, trustedJson(b), EXPIRY)).toEqual({ height: heightAt(1n, H), pruned: 0 });
    expect(await latestHeight(store)).toEqual(heightAt(1n, H));
    expect((await consensusState(store, H))!.headerHash).toEqual(headerHash(b.signedHeader.header));
    expect(await status(store, EXPIRY)).toBe("Active");
    // updates go on from the revived height, with the new set
    expect((await updateClient(store, headerBytes(lightBlock(rotated, H + 1n), heightAt(1n, H), C), EXPIRY)).added).toBe(true);
  });

  test("the old states are pruned once past the window", async () => {
    const store = await client();
    expect((await revive(store, trustedJson(lightBlock(chain, H)), EXPIRY + 1n)).pruned).toBe(1);
    expect((await consensusStates(store)).map((c) => c.height)).toEqual([heightAt(1n, H)]);
  });

  test("a main chain upgraded to a higher revision: heights start again, but compare higher", async () => {
    const store = await client();
    const upgraded: ChainSpec = { ...chain, chainId: "localhub-2" };
    await revive(store, trustedJson(lightBlock(upgraded, 2n, { time: chain.timeAt(H) })), EXPIRY);
    expect(await latestHeight(store)).toEqual(heightAt(2n, 2n));
    expect((await updateClient(store, headerBytes(lightBlock(upgraded, 3n, { time: chain.timeAt(H + 1n) }), heightAt(2n, 2n), A), EXPIRY)).added).toBe(true);
  });

  type Json = Record<string, unknown>;
  const other = validatorSetOf(chain.keys.slice(4, 8));
  const t = (h: bigint, o: Parameters<typeof lightBlock>[2] = {}, spec: ChainSpec = chain) => trustedJson(lightBlock(spec, h, o)) as Json;
  const cases: { name: string; json: () => unknown; now?: bigint; expErr: string }[] = [
    { name: "genuine", json: () => t(H), expErr: "accepted" },
    { name: "while Active", json: () => t(H), now: EXPIRY - 1n, expErr: "not-expired" },
    { name: "at the latest height", json: () => t(1n, { fork: "x", time: chain.timeAt(H) }), expErr: "non-increasing-height" },
    { name: "at the latest time", json: () => t(H, { time: chain.timeAt(1n) }), expErr: "non-monotonic-time" },
    { name: "at now + max clock drift", json: () => t(H, { time: EXPIRY + DRIFT }), expErr: "accepted" },
    { name: "after now + max clock drift", json: () => t(H, { time: EXPIRY + DRIFT + 1n }), expErr: "future-header" },
    { name: "itself past the trusting period", json: () => t(H, { time: chain.timeAt(1n) + 1n }), now: EXPIRY + 1n, expErr: "expired" },
    { name: "2 of 4 signatures", json: () => t(H, { signs: (k) => k === chain.keys[0] || k === chain.keys[1] }), expErr: "not-enough-power" },
    { name: "a validator set not the header's", json: () => ({ ...t(H), validator_set: validatorSetJson(other) }), expErr: "validators-mismatch" },
    { name: "a next validator set not the header's", json: () => ({ ...t(H), next_validator_set: validatorSetJson(other) }), expErr: "next-validators-mismatch" },
    { name: "another chain of the same revision", json: () => t(H, {}, { ...chain, chainId: "otherhub-1" }), expErr: "wrong-chain" },
    { name: "a lower revision", json: () => t(H, {}, { ...chain, chainId: "localhub" }), expErr: "wrong-chain" },
    { name: "a whole registration instead of TRUSTED", json: () => registrationJson(chain.chainId, lightBlock(chain, H)), expErr: "bad-encoding" },
    { name: "not an object", json: () => [], expErr: "bad-encoding" },
  ];
  test.each(cases)("$name → $expErr", async ({ json, now, expErr }) => {
    const store = await client();
    const before = await snapshot(store);
    expect(await reasonOf(() => revive(store, json(), now ?? EXPIRY))).toBe(expErr);
    if (expErr !== "accepted") expect(await snapshot(store)).toEqual(before);
  });
});
