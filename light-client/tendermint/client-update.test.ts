/**
 * Updates through the stateful client: adjacent and non-adjacent headers, repeated and in-between
 * heights, then refusals table-driven (each leaving the store as it was), NOT_ENOUGH_TRUST told
 * apart from INVALID, and pruning (by time, never the latest, at most MAX_PRUNE per call).
 */
import { Header as HeaderProto } from "cosmjs-types/ibc/lightclients/tendermint/v1/tendermint";
import { memoryStore } from "../../test/support/store";
import {
  type ChainSpec,
  headerBytes,
  headerProto,
  heightAt,
  initializedClient,
  lightBlock,
  reasonOf,
  SECOND,
  snapshot,
  testChain,
  validatorSetOf,
  verdictOfReason,
} from "../../test/support/tendermint";
import { consensusState, latestHeight, updateClient, updateState, verifyClientMessage } from "./client";
import { consensusStates, loadClientState } from "./store";
import { MAX_PRUNE, pruneConsensusStates } from "./update";

// Validators A (keys 0-3) up to height 5, C (keys 4-7, none of A) from height 6 on.
const base = testChain();
const A = validatorSetOf(base.keys.slice(0, 4));
const C = validatorSetOf(base.keys.slice(4, 8));
const chain: ChainSpec = { ...base, valsAt: (h) => (h < 6n ? A : C) };
const H1 = heightAt(1n, 1n);
const after = (h: bigint) => chain.timeAt(h) + SECOND;
const verdict = verdictOfReason;

const fresh = () => initializedClient(chain);

describe("accepted updates", () => {
  test("adjacent (2 from 1), then non-adjacent (5 from 2); the latest height follows", async () => {
    const store = await fresh();
    expect(await updateClient(store, headerBytes(lightBlock(chain, 2n), H1, A), after(2n))).toEqual({ height: heightAt(1n, 2n), added: true, pruned: 0 });
    expect(await updateClient(store, headerBytes(lightBlock(chain, 5n), heightAt(1n, 2n), A), after(5n))).toEqual({ height: heightAt(1n, 5n), added: true, pruned: 0 });
    expect(await latestHeight(store)).toEqual(heightAt(1n, 5n));
    expect((await consensusState(store, 5n))!.nextValidatorsHash).toEqual(lightBlock(chain, 5n).signedHeader.header.nextValidatorsHash);
  });

  test("across a full validator-set change: 6 adjacent to 5 (whose next set is C), then 9 from 6", async () => {
    const store = await fresh();
    await updateClient(store, headerBytes(lightBlock(chain, 5n), H1, A), after(5n));
    await updateClient(store, headerBytes(lightBlock(chain, 6n), heightAt(1n, 5n), C), after(6n));
    expect((await updateClient(store, headerBytes(lightBlock(chain, 9n), heightAt(1n, 6n), C), after(9n))).added).toBe(true);
  });

  test("a repeated header is a no-op; a height below the latest fills in without moving it", async () => {
    const store = await fresh();
    const b4 = headerBytes(lightBlock(chain, 4n), H1, A);
    await updateClient(store, b4, after(4n));
    const before = await snapshot(store);
    expect(await updateClient(store, b4, after(4n))).toEqual({ height: heightAt(1n, 4n), added: false, pruned: 0 });
    expect(await snapshot(store)).toEqual(before);
    expect((await updateClient(store, headerBytes(lightBlock(chain, 3n), H1, A), after(4n))).added).toBe(true);
    expect(await latestHeight(store)).toEqual(heightAt(1n, 4n));
  });

  test("verifyClientMessage writes nothing", async () => {
    const store = await fresh();
    const before = await snapshot(store);
    const v = await verifyClientMessage(store, headerBytes(lightBlock(chain, 3n), H1, A), after(3n));
    expect(v.height).toEqual(heightAt(1n, 3n));
    expect(await snapshot(store)).toEqual(before);
    expect((await updateState(store, v, after(3n))).added).toBe(true);
  });
});

describe("refused updates", () => {
  const b3 = lightBlock(chain, 3n);
  const withProto = (f: (p: HeaderProto) => HeaderProto) => HeaderProto.encode(f(headerProto(b3, H1, A))).finish();
  const secp = (p: HeaderProto): HeaderProto => ({
    ...p,
    validatorSet: { ...p.validatorSet!, validators: p.validatorSet!.validators.map((v, i) => (i === 0 ? { ...v, pubKey: { secp256k1: new Uint8Array(33) } } : v)) },
  });
  const cases: { name: string; malleate: () => Uint8Array; now?: bigint; expErr: string }[] = [
    { name: "genuine", malleate: () => headerBytes(b3, H1, A), expErr: "accepted" },
    { name: "non-adjacent across the whole set change (8 from 1)", malleate: () => headerBytes(lightBlock(chain, 8n), H1, A), now: after(8n), expErr: "not-enough-trust" },
    { name: "non-adjacent, only 1 of 4 trusted validators signs", malleate: () => headerBytes(lightBlock(chain, 4n, { signs: (k) => k === chain.keys[0] }), H1, A), expErr: "not-enough-trust" },
    { name: "a flipped signature", malleate: () => withProto((p) => ({ ...p, signedHeader: { ...p.signedHeader!, commit: { ...p.signedHeader!.commit!, signatures: p.signedHeader!.commit!.signatures.map((s, i) => (i === 1 ? { ...s, signature: s.signature.map((b, j) => (j === 0 ? b ^ 1 : b)) } : s)) } } })), expErr: "bad-signature" },
    { name: "2 of 4 sign (adjacent)", malleate: () => headerBytes(lightBlock(chain, 2n, { signs: (k) => k === chain.keys[0] || k === chain.keys[1] }), H1, A), expErr: "not-enough-power" },
    { name: "trusted validators not the trusted next set (non-adjacent)", malleate: () => headerBytes(b3, H1, C), expErr: "trusted-validators-mismatch" },
    { name: "trusted validators not the trusted next set (adjacent)", malleate: () => headerBytes(lightBlock(chain, 2n), H1, C), expErr: "trusted-validators-mismatch" },
    { name: "trusted height never stored", malleate: () => headerBytes(b3, heightAt(1n, 2n), A), expErr: "unknown-height" },
    { name: "trusted height of revision 0", malleate: () => headerBytes(b3, heightAt(0n, 1n), A), expErr: "bad-height" },
    { name: "a header of another chain", malleate: () => headerBytes(lightBlock(chain, 3n, { chainId: "localhub-2" }), H1, A), expErr: "wrong-chain" },
    { name: "a header at the trusted height", malleate: () => headerBytes(lightBlock(chain, 1n, { fork: "x" }), H1, A), expErr: "non-increasing-height" },
    { name: "time = now + max clock drift", malleate: () => headerBytes(b3, H1, A), now: chain.timeAt(3n) - 10n * SECOND, expErr: "future-header" },
    { name: "trusted state at its trusting period's end", malleate: () => headerBytes(b3, H1, A), now: chain.timeAt(1n) + 3600n * SECOND, expErr: "expired" },
    { name: "time not after the trusted one", malleate: () => headerBytes(lightBlock(chain, 3n, { time: chain.timeAt(1n) }), H1, A), expErr: "non-monotonic-time" },
    { name: "a secp256k1 validator", malleate: () => withProto(secp), expErr: "invalid-validator-set" },
    { name: "no trusted validators", malleate: () => withProto((p) => ({ ...p, trustedValidators: undefined })), expErr: "bad-encoding" },
    { name: "an unknown field appended", malleate: () => Uint8Array.from([...headerBytes(b3, H1, A), 0x28, 0x01]), expErr: "bad-encoding" },
    { name: "truncated", malleate: () => headerBytes(b3, H1, A).subarray(0, 100), expErr: "bad-encoding" },
    { name: "empty bytes", malleate: () => new Uint8Array(0), expErr: "bad-encoding" },
  ];
  test.each(cases)("$name → $expErr", async ({ malleate, now, expErr }) => {
    const store = await fresh();
    const before = await snapshot(store);
    const reason = await reasonOf(() => updateClient(store, malleate(), now ?? after(3n)));
    expect(reason).toBe(expErr);
    if (expErr !== "accepted") expect(await snapshot(store)).toEqual(before);
  });

  test("NOT_ENOUGH_TRUST is told apart from INVALID: a closer height then succeeds", async () => {
    const store = await fresh();
    const far = await reasonOf(() => updateClient(store, headerBytes(lightBlock(chain, 8n), H1, A), after(8n)));
    const forged = await reasonOf(() => updateClient(store, headerBytes(lightBlock(chain, 4n, { signChainId: "x" }), H1, A), after(4n)));
    expect([verdict(far), verdict(forged)]).toEqual(["NOT_ENOUGH_TRUST", "INVALID"]);
    await updateClient(store, headerBytes(lightBlock(chain, 5n), H1, A), after(5n));
    await updateClient(store, headerBytes(lightBlock(chain, 6n), heightAt(1n, 5n), C), after(6n));
    expect(verdict(await reasonOf(() => updateClient(store, headerBytes(lightBlock(chain, 8n), heightAt(1n, 6n), C), after(8n))))).toBe("SUCCESS");
  });

  test("not initialized; now as a number (seconds or milliseconds?)", async () => {
    expect(await reasonOf(() => verifyClientMessage(memoryStore(), headerBytes(b3, H1, A), after(3n)))).toBe("not-initialized");
    expect(await reasonOf(async () => verifyClientMessage(await fresh(), headerBytes(b3, H1, A), 1_704_067_215 as never))).toBe("bad-options");
  });
});

describe("pruning", () => {
  const TP = 3600n * SECOND;

  test("by time, oldest first; a pruned trusted height is then unknown", async () => {
    const store = await fresh();
    for (const h of [2n, 3n]) await updateClient(store, headerBytes(lightBlock(chain, h), H1, A), after(h));
    // now − time(1) and now − time(2) exceed the window; time(3) + TP is still ahead, so 3 can verify 5.
    const now = chain.timeAt(2n) + TP + 1n;
    expect(await updateClient(store, headerBytes(lightBlock(chain, 5n), heightAt(1n, 3n), A), now)).toEqual({ height: heightAt(1n, 5n), added: true, pruned: 2 });
    expect((await consensusStates(store)).map((c) => c.height.revisionHeight)).toEqual([3n, 5n]);
    expect(await reasonOf(() => updateClient(store, headerBytes(lightBlock(chain, 4n), H1, A), now))).toBe("unknown-height");
  });

  test("a state exactly at the window's edge is kept (now − time > window prunes)", async () => {
    const store = await fresh();
    await updateClient(store, headerBytes(lightBlock(chain, 2n), H1, A), after(2n));
    const now = chain.timeAt(1n) + TP;
    expect((await updateClient(store, headerBytes(lightBlock(chain, 3n), heightAt(1n, 2n), A), now)).pruned).toBe(0);
    expect((await updateClient(store, headerBytes(lightBlock(chain, 4n), heightAt(1n, 2n), A), now + 1n)).pruned).toBe(1);
  });

  test("never the latest, and at most MAX_PRUNE per call", async () => {
    const store = await fresh(); // validators A throughout (`base`)
    const n = BigInt(MAX_PRUNE) + 10n;
    for (let h = 2n; h <= n; h++) await updateClient(store, headerBytes(lightBlock(base, h, { time: chain.timeAt(1n) + h * SECOND }), H1, A), after(1n) + h * SECOND);
    const state = await loadClientState(store);
    const far = chain.timeAt(n) + 100n * TP;
    expect(await pruneConsensusStates(store, state, far)).toBe(MAX_PRUNE);
    expect(await pruneConsensusStates(store, state, far)).toBe(Number(n) - 1 - MAX_PRUNE);
    expect(await pruneConsensusStates(store, state, far)).toBe(0);
    expect((await consensusStates(store)).map((c) => c.height)).toEqual([heightAt(1n, n)]);
  });
});
