/**
 * The follower against a synthetic, freshly signed chain whose validator set rotates: 16 keys, epoch e
 * (4 heights) signed by keys e..e+3, so a jump of 3 epochs keeps 1/4 of the trusted power
 * (NOT_ENOUGH_TRUST at trust level 1/3) and a jump of 2 keeps 1/2. The fake client verifies every
 * message with the pure verifier, as the real one does, so any header sent without enough trust fails.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { Header as HeaderMessage } from "cosmjs-types/ibc/lightclients/tendermint/v1/tendermint";
import { sha256 } from "../chain/store/sha256";
import { validatorSetFromProto } from "../light-client/tendermint/decode";
import { headerHash } from "../light-client/tendermint/header-hash";
import { commitSignBytes } from "../light-client/tendermint/sign-bytes";
import { BLOCK_ID_FLAG_COMMIT, type Commit, type CommitSig, parseRfc3339, type SignedHeader, type TrustedState, type ValidatorSet } from "../light-client/tendermint/types";
import { makeValidatorSet, validatorAddress, validatorSetHash } from "../light-client/tendermint/validator-set";
import { trustedStateOf, verify } from "../light-client/tendermint/verify";
import type { NodeStatus } from "./cometbft-rpc";
import { type ClientParams, type FollowedClient, FollowerError, type HeaderUpdate, TendermintFollower } from "./tendermint-follower";

const CHAIN = "synthetic-7";
const SECOND = 1_000_000_000n;
const T0 = parseRfc3339("2025-01-01T00:00:00Z")!;
const TOP = 40n;
const h = (s: string) => sha256(Buffer.from(s));

const KEYS = Array.from({ length: 16 }, (_, i) => {
  const secret = h(`follower.test ${i}`);
  const pubKey = ed25519.getPublicKey(secret);
  return { secret, pubKey, address: validatorAddress(pubKey) };
});
const setOf = (height: bigint): ValidatorSet => {
  const e = Number((height - 1n) / 4n);
  return makeValidatorSet([0, 1, 2, 3].map((j) => KEYS[e + j]).map((k) => ({ address: k.address, pubKey: k.pubKey, votingPower: 10n, proposerPriority: 0n })));
};
const timeOf = (height: bigint) => T0 + height * SECOND;

function signedHeader(height: bigint): SignedHeader {
  const vals = setOf(height);
  const header = {
    version: { block: 11n, app: 0n },
    chainId: CHAIN,
    height,
    time: timeOf(height),
    lastBlockId: { hash: h(`block ${height - 1n}`), partSetHeader: { total: 1, hash: h(`parts ${height - 1n}`) } },
    lastCommitHash: h("last commit"),
    dataHash: sha256(new Uint8Array(0)),
    validatorsHash: validatorSetHash(vals),
    nextValidatorsHash: validatorSetHash(setOf(height + 1n)),
    consensusHash: h("consensus"),
    appHash: h(`app ${height}`),
    lastResultsHash: sha256(new Uint8Array(0)),
    evidenceHash: sha256(new Uint8Array(0)),
    proposerAddress: vals.validators[0].address,
  };
  const blockId = { hash: headerHash(header), partSetHeader: { total: 1, hash: h(`parts ${height}`) } };
  const unsigned: Commit = { height, round: 0, blockId, signatures: vals.validators.map((v): CommitSig => ({ blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: v.address, timestamp: timeOf(height) + 1n, signature: new Uint8Array(0) })) };
  const signatures = unsigned.signatures.map((s, i) => ({ ...s, signature: ed25519.sign(commitSignBytes(CHAIN, unsigned, i), KEYS.find((k) => Buffer.compare(k.address, s.validatorAddress) === 0)!.secret) }));
  return { header, commit: { ...unsigned, signatures } };
}
const CHAIN_BLOCKS = new Map(Array.from({ length: Number(TOP) }, (_, i) => [BigInt(i + 1), signedHeader(BigInt(i + 1))]));

const PARAMS: ClientParams = { chainId: CHAIN, trustLevel: { numerator: 1n, denominator: 3n }, trustingPeriod: 3600n * SECOND, maxClockDrift: 10n * SECOND };

/** A node serving the chain up to `tip`; `commit` may be replaced to serve a bad block. */
function fakeNode(tip = TOP, fetched: bigint[] = []) {
  return {
    status: async (): Promise<NodeStatus> => ({ chainId: CHAIN, latestHeight: tip, latestTime: timeOf(tip), latestAppHash: h("x"), earliestHeight: 1n, catchingUp: false }),
    commit: async (height?: bigint | number): Promise<SignedHeader> => {
      fetched.push(BigInt(height!));
      return CHAIN_BLOCKS.get(BigInt(height!))!;
    },
    validators: async (height: bigint | number) => setOf(BigInt(height)),
  };
}

/** A client that keeps the state of each verified header and verifies every message as the real one does. */
class FakeClient implements FollowedClient {
  readonly states = new Map<bigint, TrustedState>();
  readonly received: HeaderUpdate[] = [];
  constructor(trustedHeight: bigint, private readonly nowOf = (u: HeaderUpdate) => u.signedHeader.header.time + 5n * SECOND) {
    this.states.set(trustedHeight, trustedStateOf(CHAIN_BLOCKS.get(trustedHeight)!.header));
  }
  params = async () => PARAMS;
  latestHeight = async () => [...this.states.keys()].reduce((a, b) => (a > b ? a : b));
  trustedHeightAtOrBelow = async (height: bigint) => [...this.states.keys()].filter((x) => x <= height).reduce<bigint | undefined>((a, b) => (a === undefined || b > a ? b : a), undefined);
  trustedState = async (height: bigint) => this.states.get(height)!;
  submit = async (u: HeaderUpdate): Promise<void> => {
    this.received.push(u);
    const msg = HeaderMessage.decode(u.bytes);
    const trustedHeight = msg.trustedHeight.revisionHeight;
    const trusted = this.states.get(trustedHeight)!;
    const next = verify(trusted, validatorSetFromProto(msg.trustedValidators!), u.signedHeader, validatorSetFromProto(msg.validatorSet!), { ...PARAMS, now: this.nowOf(u) });
    this.states.set(next.height, next);
  };
}

const follower = (client: FakeClient, node = fakeNode(), progress: Array<[number, number]> = []) =>
  new TendermintFollower({ rpc: node, client, submit: client.submit, now: (hd) => hd.time + 5n * SECOND, onProgress: (d, t) => progress.push([d, t]) });

test("the synthetic chain: a 2-epoch jump is trusted, a 3-epoch jump is not", () => {
  const opts = { ...PARAMS, now: timeOf(TOP) + SECOND };
  const from = trustedStateOf(CHAIN_BLOCKS.get(1n)!.header);
  expect(() => verify(from, setOf(2n), CHAIN_BLOCKS.get(9n)!, setOf(9n), opts)).not.toThrow();
  expect(() => verify(from, setOf(2n), CHAIN_BLOCKS.get(13n)!, setOf(13n), opts)).toThrow(/not-enough-trust/);
});

test("bisects to the tip, sending only headers the verifier accepts, each with the trusted height's next set", async () => {
  const client = new FakeClient(1n);
  const fetched: bigint[] = [];
  const progress: Array<[number, number]> = [];
  const result = await follower(client, fakeNode(TOP, fetched), progress).sync();
  expect(result).toMatchObject({ from: 1n, to: TOP });
  expect(await client.latestHeight()).toBe(TOP);
  const heights = client.received.map((u) => u.height);
  expect(heights).toEqual([...heights].sort((a, b) => Number(a - b)));
  // Never adjacent-by-default: far fewer headers than heights, and bisection was needed.
  expect(result.sent).toBe(client.received.length);
  expect(result.sent).toBeLessThan(10);
  expect(result.bisections).toBeGreaterThan(0);
  for (const u of client.received) {
    const msg = HeaderMessage.decode(u.bytes);
    expect(msg.trustedHeight).toEqual({ revisionNumber: 7n, revisionHeight: u.trustedHeight });
    expect(validatorSetHash(validatorSetFromProto(msg.trustedValidators!))).toEqual(validatorSetHash(setOf(u.trustedHeight + 1n)));
    expect(msg.signedHeader?.header?.height).toBe(u.height);
  }
  // Each height fetched at most once in a sync (the block cache), and progress ends complete.
  expect(new Set(fetched).size).toBe(fetched.length);
  expect(progress.at(-1)).toEqual([39, 39]);
  expect(progress.map(([d]) => d)).toEqual(heights.map((x) => Number(x - 1n)));
});

test("restart-safe: a new follower continues from the client's state alone", async () => {
  const client = new FakeClient(1n);
  const first = follower(client);
  const u = await first.nextUpdate(TOP);
  await client.submit(u!);
  const mid = await client.latestHeight();
  expect(mid).toBeGreaterThan(1n);
  const again = await follower(client).sync(30n);
  expect(again.from).toBe(mid);
  expect(await client.latestHeight()).toBe(30n);
  expect((await follower(client).sync(30n)).sent).toBe(0); // nothing to do
  expect(await follower(client).nextUpdate(30n)).toBeUndefined();
  await follower(client).sync();
  expect(await client.latestHeight()).toBe(TOP);
});

test("adjacent steps need no trust level", async () => {
  const client = new FakeClient(12n);
  await follower(client, fakeNode(13n)).sync();
  expect(client.received.map((u) => [u.trustedHeight, u.height])).toEqual([[12n, 13n]]);
});

test("an invalid header is never sent: the follower stops with the verifier's reason", async () => {
  const client = new FakeClient(1n);
  const node = fakeNode();
  const real = node.commit;
  node.commit = async (height) => {
    const sh = await real(height);
    return BigInt(height!) === 3n ? { ...sh, header: { ...sh.header, appHash: h("forged") } } : sh;
  };
  await expect(follower(client, node).sync(3n)).rejects.toThrow(/the header at 3 does not verify from the trusted height 1: block-id-mismatch/);
  expect(client.received).toHaveLength(0);
});

test("an expired trusted state, a wrong chain, a client that does not move", async () => {
  const client = new FakeClient(1n);
  const late = new TendermintFollower({ rpc: fakeNode(), client, submit: client.submit, now: () => timeOf(1n) + PARAMS.trustingPeriod });
  await expect(late.sync()).rejects.toThrow(/expired/);
  const other = { ...fakeNode(), status: async () => ({ ...(await fakeNode().status()), chainId: "other-1" }) };
  await expect(follower(client, other).sync()).rejects.toThrow(/the node serves chain "other-1", the client follows "synthetic-7"/);
  const stuck = new TendermintFollower({ rpc: fakeNode(), client, submit: async () => undefined, now: (hd) => hd.time });
  await expect(stuck.sync()).rejects.toThrow(FollowerError);
  expect(client.received).toHaveLength(0);
});

test("an older height a proof needs is filled in from the highest stored height below it", async () => {
  const client = new FakeClient(1n);
  await follower(client).sync();
  expect([...client.states.keys()]).toEqual([1n, 10n, 20n, 30n, 40n]);
  const r = await follower(client).sync(26n);
  expect(r).toMatchObject({ from: 20n, to: 26n, sent: 1 });
  await follower(client).sync(27n);
  expect(client.received.slice(-2).map((u) => [u.trustedHeight, u.height])).toEqual([[20n, 26n], [26n, 27n]]);
  expect(await client.latestHeight()).toBe(TOP);
  expect((await follower(client).sync(26n)).sent).toBe(0);
  await expect(follower(client).sync(TOP + 1n)).rejects.toThrow(/target 41 is above the node's latest height 40/);
});
