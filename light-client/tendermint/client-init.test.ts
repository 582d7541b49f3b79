/**
 * The stateful client's setup: chain-id revisions, the store layout's key order, initialize from a
 * registration (good and refused, table-driven; on synthetic blocks and on the real kvstore node's
 * commit at height 10), and export → initialize round trips.
 */
import { memoryStore } from "../../test/support/store";
import {
  heightAt,
  initializedClient,
  lightBlock,
  type LightBlock,
  reasonOf,
  registrationJson,
  SECOND,
  snapshot,
  T0,
  testChain,
  validatorSetJson,
  validatorSetOf,
} from "../../test/support/tendermint";
import { rpcResult as load, testWithVectors } from "../../test/support/tendermint-vectors";
import { consensusState, exportState, freeze, initialize, latestHeight, status } from "./client";
import { compareHeights, revisionOf } from "./client-state";
import { consensusKey, consensusStates, decodeClientState, encodeClientState, setConsensusState } from "./store";
import { headerHash } from "./header-hash";

const chain = testChain();
const B1 = lightBlock(chain, 1n);

describe("chain ids and heights", () => {
  test.each([
    ["localhub-1", 1n],
    ["cosmoshub-4", 4n],
    ["evmos_9001-2", 2n],
    ["dockerchain", 0n],
    ["test-chain", 0n],
    ["chain--1", 0n],
    ["chain-01", 0n],
    ["-1", 0n],
    ["a-1", 1n],
    ["x-18446744073709551615", 18446744073709551615n],
    ["x-18446744073709551616", 0n],
  ])("ParseChainID(%s) = %s", (id, rev) => expect(revisionOf(id)).toBe(rev));

  test("consensus keys iterate in (revision, height) order", async () => {
    const store = memoryStore();
    const heights = [heightAt(2n, 1n), heightAt(1n, 256n), heightAt(1n, 2n), heightAt(0n, 2n ** 40n), heightAt(1n, 1n)];
    const cs = { time: T0, root: new Uint8Array(32), nextValidatorsHash: new Uint8Array(32), headerHash: new Uint8Array(32), dataHash: new Uint8Array(0), lastResultsHash: new Uint8Array(0) };
    heights.forEach((h, i) => setConsensusState(store, h, { ...cs, time: T0 + BigInt(i) }));
    const got = (await consensusStates(store)).map((c) => c.height);
    expect(got).toEqual([...heights].sort(compareHeights));
    expect(consensusKey(heightAt(1n, 2n))).toHaveLength(17);
  });

  test("the client state encoding round-trips, frozen or not", () => {
    const s = { chainId: "é-1", trustLevel: { numerator: 2n, denominator: 3n }, trustingPeriod: 7n, maxClockDrift: 0n, pruningWindow: 9n, latestHeight: heightAt(1n, 5n) };
    for (const frozenHeight of [undefined, heightAt(1n, 4n)]) expect(decodeClientState(encodeClientState({ ...s, frozenHeight }))).toEqual({ ...s, frozenHeight });
  });
});

describe("initialize from a registration", () => {
  test("stores the trusted header's consensus state at (revision 1, height 1); Active", async () => {
    const store = memoryStore();
    const state = await initialize(store, registrationJson("localhub-1", B1));
    expect(state).toEqual({
      chainId: "localhub-1",
      trustLevel: { numerator: 1n, denominator: 3n },
      trustingPeriod: 3600n * SECOND,
      maxClockDrift: 10n * SECOND,
      pruningWindow: 3600n * SECOND,
      latestHeight: heightAt(1n, 1n),
      frozenHeight: undefined,
    });
    const h = B1.signedHeader.header;
    expect(await consensusState(store, 1n)).toEqual({
      time: h.time,
      root: h.appHash,
      nextValidatorsHash: h.nextValidatorsHash,
      headerHash: headerHash(h),
      dataHash: h.dataHash,
      lastResultsHash: h.lastResultsHash,
    });
    expect(await latestHeight(store)).toEqual(heightAt(1n, 1n));
    expect(await status(store, h.time)).toBe("Active");
    expect(await reasonOf(() => initialize(store, registrationJson("localhub-1", B1)))).toBe("already-initialized");
  });

  type Json = Record<string, unknown>;
  const other = validatorSetOf(chain.keys.slice(4, 8));
  const trusted = (b: LightBlock) => registrationJson("localhub-1", b).trusted as Json;
  const cases: { name: string; malleate: (j: Json) => unknown; expErr: string }[] = [
    { name: "genuine", malleate: (j) => j, expErr: "accepted" },
    { name: "trust level 2/3 as strings, pruning window longer", malleate: (j) => ({ ...j, trust_level: { numerator: "2", denominator: "3" }, pruning_window_seconds: "7200" }), expErr: "accepted" },
    { name: "trust level 1/1", malleate: (j) => ({ ...j, trust_level: { numerator: 1, denominator: 1 } }), expErr: "accepted" },
    { name: "trust level 1/4", malleate: (j) => ({ ...j, trust_level: { numerator: 1, denominator: 4 } }), expErr: "bad-options" },
    { name: "trust level 4/3", malleate: (j) => ({ ...j, trust_level: { numerator: 4, denominator: 3 } }), expErr: "bad-options" },
    { name: "trust level 1/0", malleate: (j) => ({ ...j, trust_level: { numerator: 1, denominator: 0 } }), expErr: "bad-options" },
    { name: "trust level 0.5/1", malleate: (j) => ({ ...j, trust_level: { numerator: 0.5, denominator: 1 } }), expErr: "bad-encoding" },
    { name: "trusting period 0", malleate: (j) => ({ ...j, trusting_period_seconds: 0 }), expErr: "bad-options" },
    { name: "trusting period -1", malleate: (j) => ({ ...j, trusting_period_seconds: -1 }), expErr: "bad-encoding" },
    { name: "trusting period 1.5 s", malleate: (j) => ({ ...j, trusting_period_seconds: 1.5 }), expErr: "bad-encoding" },
    { name: "trusting period beyond int64 ns", malleate: (j) => ({ ...j, trusting_period_seconds: "9223372037" }), expErr: "bad-options" },
    { name: "pruning window below the trusting period", malleate: (j) => ({ ...j, pruning_window_seconds: 3599 }), expErr: "bad-options" },
    { name: "max clock drift 0", malleate: (j) => ({ ...j, max_clock_drift_seconds: 0 }), expErr: "accepted" },
    { name: "a misspelt key", malleate: (j) => ({ ...j, pruning_window: 7200 }), expErr: "bad-encoding" },
    { name: "no chain id", malleate: ({ chain_id: _, ...j }) => j, expErr: "bad-encoding" },
    { name: "chain id other than the header's", malleate: (j) => ({ ...j, chain_id: "localhub-2" }), expErr: "wrong-chain" },
    { name: "validator set not the header's", malleate: (j) => ({ ...j, trusted: { ...trusted(B1), validator_set: validatorSetJson(other) } }), expErr: "validators-mismatch" },
    { name: "next validator set not the header's", malleate: (j) => ({ ...j, trusted: { ...trusted(B1), next_validator_set: validatorSetJson(other) } }), expErr: "next-validators-mismatch" },
    { name: "a commit with 2 of 4 signatures", malleate: (j) => ({ ...j, trusted: trusted(lightBlock(chain, 1n, { signs: (k) => k !== chain.keys[0] && k !== chain.keys[1] })) }), expErr: "not-enough-power" },
    { name: "a commit with 3 of 4 signatures", malleate: (j) => ({ ...j, trusted: trusted(lightBlock(chain, 1n, { signs: (k) => k !== chain.keys[0] })) }), expErr: "accepted" },
    { name: "signatures for another chain id", malleate: (j) => ({ ...j, trusted: trusted(lightBlock(chain, 1n, { signChainId: "localhub-2" })) }), expErr: "bad-signature" },
    { name: "an empty validator set", malleate: (j) => ({ ...j, trusted: { ...trusted(B1), validator_set: { validators: [] } } }), expErr: "invalid-validator-set" },
    { name: "a trusted object with an extra key", malleate: (j) => ({ ...j, trusted: { ...trusted(B1), provider: "x" } }), expErr: "bad-encoding" },
    { name: "not an object", malleate: () => "localhub-1", expErr: "bad-encoding" },
    { name: "null", malleate: () => null, expErr: "bad-encoding" },
  ];
  test.each(cases)("$name → $expErr", async ({ malleate, expErr }) => {
    const store = memoryStore();
    const got = await reasonOf(() => initialize(store, malleate(registrationJson("localhub-1", B1))));
    expect(got).toBe(expErr);
    if (expErr !== "accepted") expect(await snapshot(store)).toEqual([]);
  });
});

testWithVectors(
  "the real kvstore chain (dockerchain, revision 0) registers from its commit at height 10",
  async () => {
    const genesisVals = load("genesis.json").genesis.validators as { address: string; pub_key: unknown; power: string }[];
    const set = { validators: genesisVals.map((v) => ({ address: v.address, pub_key: v.pub_key, voting_power: v.power, proposer_priority: "0" })) };
    const json = {
      chain_id: "dockerchain",
      trust_level: { numerator: 1, denominator: 3 },
      trusting_period_seconds: 14 * 86400,
      max_clock_drift_seconds: 10,
      trusted: { signed_header: load("commit_at_height_10.json").signed_header, validator_set: set, next_validator_set: set },
    };
    const store = memoryStore();
    const state = await initialize(store, json);
    expect(state.latestHeight).toEqual(heightAt(0n, 10n));
    const cs = (await consensusState(store, 10n))!;
    expect(Buffer.from(cs.headerHash).toString("hex").toUpperCase()).toBe(load("commit_at_height_10.json").signed_header.commit.block_id.hash);
    expect(cs.root).toEqual(new Uint8Array(8));
  },
  "rpc_v0_38_kvstore/commit_at_height_10.json",
);

describe("export → initialize", () => {
  const grown = () => initializedClient(chain, [2n, 3n, 7n], { pruningWindowSeconds: 7200 });

  test("round trip: the same store, the same export (through JSON text)", async () => {
    const store = await grown();
    const exported = await exportState(store);
    expect(exported.consensus_states.map((c) => c.height.revision_height)).toEqual(["1", "2", "3", "7"]);
    expect(exported.pruning_window_ns).toBe(String(7200n * SECOND));
    const copy = memoryStore();
    await initialize(copy, JSON.parse(JSON.stringify(exported)));
    expect(await snapshot(copy)).toEqual(await snapshot(store));
    expect(await exportState(copy)).toEqual(exported);
  });

  test("round trip of a frozen client keeps its evidence", async () => {
    const store = await grown();
    await freeze(store, "conflicting headers at 1-3", heightAt(1n, 3n));
    const exported = await exportState(store);
    expect(exported.frozen).toEqual({ height: { revision_number: "1", revision_height: "3" }, evidence: "conflicting headers at 1-3" });
    const copy = memoryStore();
    await initialize(copy, JSON.parse(JSON.stringify(exported)));
    expect(await snapshot(copy)).toEqual(await snapshot(store));
    expect(await status(copy, T0)).toBe("Frozen");
  });

  test.each<{ name: string; malleate: (e: Record<string, any>) => unknown; expErr: string }>([
    { name: "genuine", malleate: (e) => e, expErr: "accepted" },
    { name: "latest height not the last state's", malleate: (e) => ({ ...e, latest_height: e.consensus_states[2].height }), expErr: "bad-height" },
    { name: "latest height of another revision", malleate: (e) => ({ ...e, chain_id: "localhub-2" }), expErr: "bad-height" },
    { name: "states out of order", malleate: (e) => ({ ...e, consensus_states: [e.consensus_states[1], e.consensus_states[0], ...e.consensus_states.slice(2)] }), expErr: "bad-encoding" },
    { name: "times not increasing", malleate: (e) => ({ ...e, consensus_states: e.consensus_states.map((c: any, i: number) => (i === 1 ? { ...c, time: e.consensus_states[0].time } : c)) }), expErr: "bad-encoding" },
    { name: "no states", malleate: (e) => ({ ...e, consensus_states: [] }), expErr: "bad-encoding" },
    { name: "a header hash of 31 bytes", malleate: (e) => ({ ...e, consensus_states: e.consensus_states.map((c: any) => ({ ...c, header_hash: c.header_hash.slice(2) })) }), expErr: "bad-encoding" },
    { name: "frozen without evidence", malleate: (e) => ({ ...e, frozen: { height: e.latest_height, evidence: "" } }), expErr: "bad-encoding" },
    { name: "height 0", malleate: (e) => ({ ...e, latest_height: { revision_number: "1", revision_height: "0" } }), expErr: "bad-height" },
    { name: "a pruning window below the trusting period", malleate: (e) => ({ ...e, pruning_window_ns: "1" }), expErr: "bad-options" },
  ])("import: $name → $expErr", async ({ malleate, expErr }) => {
    const exported = JSON.parse(JSON.stringify(await exportState(await grown())));
    const copy = memoryStore();
    expect(await reasonOf(() => initialize(copy, malleate(exported)))).toBe(expErr);
    if (expErr !== "accepted") expect(await snapshot(copy)).toEqual([]);
  });
});
