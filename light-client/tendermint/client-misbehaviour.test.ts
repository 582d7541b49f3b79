/**
 * Misbehaviour: a conflicting header at a stored height and broken time monotonicity, found on the
 * update path (checkForMisbehaviour → freeze); submitted Misbehaviour messages, table-driven; and what
 * a frozen client refuses (updates, proofs, revival, a second freeze).
 */
import {
  headerBytes,
  headerProto,
  heightAt,
  initializedClient,
  lightBlock,
  misbehaviourBytes,
  reasonOf,
  SECOND,
  snapshot,
  testChain,
  trustedJson,
  validatorSetOf,
} from "../../test/support/tendermint";
import { toHexUpper as hex } from "../../test/support/tendermint-vectors";
import {
  checkForMisbehaviour,
  exportState,
  freeze,
  proveState,
  proveTransaction,
  revive,
  status,
  submitMisbehaviour,
  updateClient,
  updateState,
  verifyClientMessage,
} from "./client";
import { headerHash } from "./header-hash";

const chain = testChain();
const A = chain.valsAt(1n);
const C = validatorSetOf(chain.keys.slice(4, 8));
const H1 = heightAt(1n, 1n);
const after = (h: bigint) => chain.timeAt(h) + SECOND;

/** A client at heights 1, 3 and 10. */
const client = () => initializedClient(chain, [3n, 10n]);

describe("found on the update path", () => {
  test("a second block at a stored height: evidence, updateState refuses, updateClient freezes", async () => {
    const store = await client();
    const fork = lightBlock(chain, 3n, { fork: "x" });
    const v = await verifyClientMessage(store, headerBytes(fork, H1, A), after(10n));
    const evidence = await checkForMisbehaviour(store, v);
    expect(evidence).toBe(`conflicting headers at 1-3: stored block ${hex(headerHash(lightBlock(chain, 3n).signedHeader.header))}, new block ${hex(headerHash(fork.signedHeader.header))}`);
    const before = await snapshot(store);
    expect(await reasonOf(() => updateState(store, v, after(10n)))).toBe("misbehaviour");
    expect(await snapshot(store)).toEqual(before);
    expect(await updateClient(store, headerBytes(fork, H1, A), after(10n))).toEqual({ height: heightAt(1n, 3n), added: false, pruned: 0, misbehaviour: evidence });
    expect(await status(store, after(10n))).toBe("Frozen");
    expect((await exportState(store)).frozen).toEqual({ height: { revision_number: "1", revision_height: "3" }, evidence });
  });

  test.each([
    ["between 1 and 10, later than 10", 5n, chain.timeAt(10n) + SECOND, "not before"],
    ["between 1 and 10, at 10's time", 5n, chain.timeAt(10n), "not before"],
    ["above 10, at 10's time", 12n, chain.timeAt(10n), "not after"],
    ["above 10, earlier than 10", 12n, chain.timeAt(5n), "not after"],
    ["between 1 and 10, in time order", 5n, chain.timeAt(10n) - 1n, undefined],
    ["above 10, in time order", 12n, chain.timeAt(10n) + 1n, undefined],
  ])("time monotonicity: a header %s", async (_name, h, time, expected) => {
    const store = await client();
    const v = await verifyClientMessage(store, headerBytes(lightBlock(chain, h, { time }), H1, A), after(12n));
    const evidence = await checkForMisbehaviour(store, v);
    if (expected === undefined) expect(evidence).toBeUndefined();
    else expect(evidence).toMatch(new RegExp(`^non-monotonic time: block [0-9A-F]{64} at 1-${h} has time .*, ${expected} `));
  });
});

describe("a frozen client", () => {
  async function frozen() {
    const store = await client();
    await updateClient(store, headerBytes(lightBlock(chain, 3n, { fork: "x" }), H1, A), after(10n));
    return store;
  }

  test("refuses updates, proofs, revival (even once expired) and a second freeze; its evidence stays", async () => {
    const store = await frozen();
    const before = await snapshot(store);
    const now = after(11n);
    expect(await reasonOf(() => updateClient(store, headerBytes(lightBlock(chain, 11n), heightAt(1n, 10n), A), now))).toBe("frozen");
    expect(await reasonOf(() => proveTransaction(store, { height: 3n } as never, now))).toBe("frozen");
    expect(await reasonOf(() => proveState(store, { height: 3n } as never, now))).toBe("frozen");
    expect(await reasonOf(() => submitMisbehaviour(store, new Uint8Array(0), now))).toBe("frozen");
    expect(await reasonOf(() => freeze(store, "other evidence", heightAt(1n, 4n)))).toBe("frozen");
    const expired = chain.timeAt(10n) + 3600n * SECOND;
    expect(await status(store, expired)).toBe("Frozen");
    expect(await reasonOf(() => revive(store, trustedJson(lightBlock(chain, 800n)), expired))).toBe("frozen");
    expect(await snapshot(store)).toEqual(before);
  });

  test("freeze needs evidence and a height", async () => {
    const store = await client();
    expect(await reasonOf(() => freeze(store, "", heightAt(1n, 3n)))).toBe("no-misbehaviour");
    expect(await reasonOf(() => freeze(store, "x", heightAt(1n, 0n)))).toBe("bad-height");
    await freeze(store, "x", heightAt(1n, 3n));
    expect(await status(store, after(10n))).toBe("Frozen");
  });
});

describe("submitMisbehaviour", () => {
  const p = (h: bigint, o: Parameters<typeof lightBlock>[2] = {}, trusted = H1, vals = A) => headerProto(lightBlock(chain, h, o), trusted, vals);
  const b5 = p(5n);
  const b5x = p(5n, { fork: "x" });
  const cases: { name: string; bytes: () => Uint8Array; now?: bigint; expErr: string }[] = [
    { name: "two blocks at 5", bytes: () => misbehaviourBytes(b5, b5x), expErr: "accepted" },
    { name: "two blocks at 5, the other order", bytes: () => misbehaviourBytes(b5x, b5), expErr: "accepted" },
    { name: "two blocks at 5 from different trusted heights", bytes: () => misbehaviourBytes(b5, p(5n, { fork: "x" }, heightAt(1n, 3n))), expErr: "accepted" },
    { name: "a stored block and a fork of it", bytes: () => misbehaviourBytes(p(3n), p(3n, { fork: "y" })), expErr: "accepted" },
    { name: "6 not later than 5", bytes: () => misbehaviourBytes(p(6n, { time: chain.timeAt(5n) }), b5), expErr: "accepted" },
    { name: "the same block twice", bytes: () => misbehaviourBytes(b5, p(5n, {}, heightAt(1n, 3n))), expErr: "no-misbehaviour" },
    { name: "6 and 5 in time order", bytes: () => misbehaviourBytes(p(6n), b5), expErr: "no-misbehaviour" },
    { name: "one badly signed", bytes: () => misbehaviourBytes(b5, p(5n, { fork: "x", signChainId: "other-1" })), expErr: "bad-signature" },
    { name: "one of another chain", bytes: () => misbehaviourBytes(b5, p(5n, { chainId: "other-1" })), expErr: "wrong-chain" },
    { name: "one signed by 2 of 4", bytes: () => misbehaviourBytes(b5, p(5n, { fork: "x", signs: (k) => k === chain.keys[0] || k === chain.keys[1] })), expErr: "not-enough-power" },
    { name: "one from an unknown trusted height", bytes: () => misbehaviourBytes(b5, p(5n, { fork: "x" }, heightAt(1n, 2n))), expErr: "unknown-height" },
    { name: "one with the wrong trusted validators", bytes: () => misbehaviourBytes(b5, p(5n, { fork: "x" }, H1, C)), expErr: "trusted-validators-mismatch" },
    { name: "one at its trusted height", bytes: () => misbehaviourBytes(p(3n, { fork: "x" }, heightAt(1n, 3n)), p(3n)), expErr: "non-increasing-height" },
    { name: "trusted state expired", bytes: () => misbehaviourBytes(b5, b5x), now: chain.timeAt(1n) + 3600n * SECOND, expErr: "expired" },
    { name: "one header only", bytes: () => misbehaviourBytes(b5, undefined as never), expErr: "bad-encoding" },
    { name: "garbage", bytes: () => Uint8Array.of(0x0a, 0x05, 0x01), expErr: "bad-encoding" },
  ];
  test.each(cases)("$name → $expErr", async ({ bytes, now, expErr }) => {
    const store = await client();
    const before = await snapshot(store);
    expect(await reasonOf(() => submitMisbehaviour(store, bytes(), now ?? after(10n)))).toBe(expErr);
    if (expErr === "accepted") expect(await status(store, after(10n))).toBe("Frozen");
    else expect(await snapshot(store)).toEqual(before);
  });

  test("the result names the height and the blocks; a refusal names the header", async () => {
    const store = await client();
    const found = await submitMisbehaviour(store, misbehaviourBytes(b5x, b5), after(10n));
    expect(found.height).toEqual(heightAt(1n, 5n));
    expect(found.evidence).toMatch(/^conflicting headers at 1-5: blocks [0-9A-F]{64} and [0-9A-F]{64}$/);
    const other = await client();
    await expect(submitMisbehaviour(other, misbehaviourBytes(b5, p(5n, { fork: "x", signChainId: "z" })), after(10n))).rejects.toThrow(/^bad-signature: header[12]: /);
  });
});
