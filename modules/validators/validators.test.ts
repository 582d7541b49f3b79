/**
 * The validators module in a real app (in process): genesis validators go to CometBFT through
 * InitChain; a change passes only with more than 2/3 of the active power and reaches CometBFT as a
 * validator update; unsafe or malformed changes are refused with their codes and change nothing;
 * downtime jails, an approved unjail brings back; double-signing evidence removes; proposals expire.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import { MisbehaviorType, type VoteInfo } from "cosmjs-types/tendermint/abci/types";
import { pegzone } from "../../proto";
import { account, closeHarnesses, harnessFromAppState, type Harness, type TestAccount } from "../../test/support/peg-harness";
import { cometAddress } from "../../chain/keys/key-files";

const v1 = pegzone.validators.v1;
const { ValidatorStatus } = v1;

afterAll(closeHarnesses);

/** A deterministic ed25519 consensus key. */
const consensusKey = (i: number) => ed25519.getPublicKey(new Uint8Array(32).fill(i + 1));
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

const ops = [0, 1, 2, 3, 4].map(account);

function genesisValidator(op: TestAccount, i: number, power = 10) {
  return { operator: op.address, consensus_pubkey: b64(consensusKey(i)), power: String(power), signer_pubkey: b64(op.pubkey), moniker: `node${i}` };
}

type Chain = Harness & { initUpdates?: Array<{ key: string; power: number }> };

async function chain(params: Record<string, string> = {}, validators = [0, 1, 2]): Promise<Chain> {
  for (const o of ops) o.sequence = 0n;
  const appState = {
    auth: { accounts: ops.map((a) => ({ "@type": "/cosmos.auth.v1beta1.BaseAccount", address: a.address, account_number: String(a.accountNumber), sequence: "0" })) },
    bank: { balances: ops.map((a) => ({ address: a.address, coins: [{ denom: "upeg", amount: "100000000" }] })) },
    validators: {
      params: { signed_blocks_window: "10", min_signed_per_mille: "500", min_validators: "1", proposal_lifetime: "20", ...params },
      validators: validators.map((i) => genesisValidator(ops[i], i)),
    },
  };
  const h: Chain = await harnessFromAppState(appState, ops);
  h.initUpdates = updates(h);
  // the genesis state is readable once the first block is committed
  await h.block([]);
  return h;
}

const propose = (h: Harness, from: TestAccount, action: object, override = false) => h.tx(from, "/pegzone.validators.v1.MsgPropose", v1.MsgPropose, { proposer: from.address, action, override });
const approve = (h: Harness, from: TestAccount, id: number) => h.tx(from, "/pegzone.validators.v1.MsgApprove", v1.MsgApprove, { approver: from.address, proposalId: id });

async function validators(h: Harness) {
  const res = await h.app.query({ path: "/pegzone.validators.v1.Query/Validators", data: new Uint8Array(), height: 0n, prove: false });
  return v1.QueryValidatorsResponse.decode(res.value).validators;
}

const updates = (h: Harness) => h.validatorUpdates.map((u) => ({ key: b64(u.pubKey.ed25519!), power: Number(u.power) }));
const addAction = (i: number, power = 10, key = consensusKey(i)) => ({ add: { validator: { operator: ops[i].address, consensusPubkey: key, power, signerPubkey: ops[i].pubkey, moniker: `node${i}` } } });

/** Every genesis validator signs (or, for those in `absent`, misses) the last block. */
const votes = (indexes: number[], absent: number[] = []): VoteInfo[] =>
  indexes.map((i) => ({ validator: { address: cometAddress(consensusKey(i)), power: 10n }, blockIdFlag: absent.includes(i) ? BlockIDFlag.BLOCK_ID_FLAG_ABSENT : BlockIDFlag.BLOCK_ID_FLAG_COMMIT }));

test("genesis validators are InitChain's answer to CometBFT", async () => {
  const h = await chain();
  expect(h.initUpdates).toEqual([0, 1, 2].map((i) => ({ key: b64(consensusKey(i)), power: 10 })).sort((a, b) => Buffer.compare(Buffer.from(a.key, "base64"), Buffer.from(b.key, "base64"))));
  expect((await validators(h)).map((v) => v.status)).toEqual([1, 1, 1]);
});

test("adding a validator: applied at the approval that passes 2/3 of the power, then sent to CometBFT once", async () => {
  const h = await chain();
  const [proposed] = await h.block([propose(h, ops[0], addAction(3))]);
  expect(proposed.code).toBe(0);
  expect(updates(h)).toEqual([]);
  // 20 of 30 is not more than 2/3
  await h.block([approve(h, ops[1], 1)]);
  expect((await validators(h)).length).toBe(3);
  const [passed] = await h.block([approve(h, ops[2], 1)]);
  expect(passed.events.find((e) => e.type === "validator_proposal_applied")).toBeDefined();
  expect(updates(h)).toEqual([{ key: b64(consensusKey(3)), power: 10 }]);
  expect((await validators(h)).find((v) => v.operator === ops[3].address)).toMatchObject({ status: ValidatorStatus.VALIDATOR_STATUS_ACTIVE, power: 10 });
  await h.block([]);
  expect(updates(h)).toEqual([]);
});

test("replacing a key: the old one leaves CometBFT's set and the new one joins it, in one block; the old one is never accepted again", async () => {
  const h = await chain();
  await h.block([propose(h, ops[0], { replaceKey: { operator: ops[1].address, consensusPubkey: consensusKey(9) } }), approve(h, ops[1], 1), approve(h, ops[2], 1)]);
  expect(updates(h)).toEqual(
    [{ key: b64(consensusKey(1)), power: 0 }, { key: b64(consensusKey(9)), power: 10 }].sort((a, b) => Buffer.compare(Buffer.from(a.key, "base64"), Buffer.from(b.key, "base64"))),
  );
  expect((await validators(h)).find((v) => v.operator === ops[1].address)).toMatchObject({ status: ValidatorStatus.VALIDATOR_STATUS_ACTIVE, consensusPubkey: Buffer.from(consensusKey(9)) });
  const [again] = await h.block([propose(h, ops[0], { replaceKey: { operator: ops[2].address, consensusPubkey: consensusKey(1) } })]);
  expect({ codespace: again.codespace, code: again.code }).toEqual({ codespace: "validators", code: 4 });
});

describe("refused with a clear error and no change", () => {
  const notOnCurve = (() => {
    // a y coordinate with no x: not an ed25519 point
    for (let b = 2; ; b++) {
      const key = new Uint8Array(32).fill(b);
      try {
        ed25519.Point.fromBytes(key);
      } catch {
        return key;
      }
    }
  })();
  test.each([
    ["a proposal by a non-validator", (h: Harness) => propose(h, ops[4], addAction(4)), "validators", 2],
    ["a duplicate consensus key", (h: Harness) => propose(h, ops[0], addAction(3, 10, consensusKey(1))), "validators", 4],
    ["a consensus key of 31 bytes", (h: Harness) => propose(h, ops[0], addAction(3, 10, consensusKey(3).slice(1))), "validators", 5],
    ["a consensus key off the curve", (h: Harness) => propose(h, ops[0], addAction(3, 10, notOnCurve)), "validators", 5],
    ["a signer key already a validator's", (h: Harness) => propose(h, ops[0], { add: { validator: { ...addAction(3).add.validator, signerPubkey: ops[1].pubkey } } }), "validators", 4],
    ["removing an unknown validator", (h: Harness) => propose(h, ops[0], { remove: { operator: ops[4].address } }), "validators", 3],
    ["a proposal with no action", (h: Harness) => propose(h, ops[0], {}), "validators", 9],
    ["a power of 0 (removal is its own action)", (h: Harness) => propose(h, ops[0], { setPower: { operator: ops[1].address, power: 0 } }), "validators", 9],
    ["an approval by a non-validator", (h: Harness) => approve(h, ops[4], 1), "validators", 2],
    ["approving a proposal that does not exist", (h: Harness) => approve(h, ops[1], 9), "validators", 7],
  ])("%s", async (_name, tx, codespace, code) => {
    const h = await chain();
    const before = await validators(h);
    const [res] = await h.block([tx(h)]);
    expect({ codespace: res.codespace, code: res.code }).toEqual({ codespace, code });
    expect(await validators(h)).toEqual(before);
    expect(updates(h)).toEqual([]);
  });

  test("taking more than 1/3 of the power away at once, unless the proposal says override", async () => {
    const h = await chain({}, [0, 1, 2]);
    // a heavy validator joins (its own 2/3 approval is the three others'), then its removal would take 30 of 60
    await h.block([propose(h, ops[0], addAction(3, 30)), approve(h, ops[1], 1), approve(h, ops[2], 1)]);
    expect((await validators(h)).filter((v) => v.status === ValidatorStatus.VALIDATOR_STATUS_ACTIVE)).toHaveLength(4);
    const [refused] = await h.block([propose(h, ops[0], { remove: { operator: ops[3].address } })]);
    expect({ codespace: refused.codespace, code: refused.code, log: refused.log }).toMatchObject({ codespace: "validators", code: 6, log: expect.stringMatching(/30 of the active power 60/) });
    await h.block([propose(h, ops[0], { remove: { operator: ops[3].address } }, true), approve(h, ops[1], 2), approve(h, ops[2], 2)]);
    expect(await validators(h)).toHaveLength(4);
    // 30 of 60 is not more than 2/3: the heavy validator's own approval is needed, and it passes
    await h.block([approve(h, ops[3], 2)]);
    expect((await validators(h)).find((v) => v.operator === ops[3].address)!.status).toBe(ValidatorStatus.VALIDATOR_STATUS_REMOVED);
    expect(updates(h)).toEqual([{ key: b64(consensusKey(3)), power: 0 }]);
  });

  test("leaving fewer active validators than min_validators, even with override", async () => {
    const h = await chain({ min_validators: "3" });
    const [res] = await h.block([propose(h, ops[0], { remove: { operator: ops[2].address } }, true)]);
    expect({ codespace: res.codespace, code: res.code, log: res.log }).toMatchObject({ codespace: "validators", code: 6, log: expect.stringMatching(/below the minimum 3/) });
  });
});

test("downtime: a validator missing more than half its window is jailed (power 0); an approved unjail brings it back", async () => {
  const h = await chain();
  for (let i = 0; i < 9; i++) await h.block([], { votes: votes([0, 1, 2], [2]) });
  expect((await validators(h)).find((v) => v.operator === ops[2].address)!.status).toBe(ValidatorStatus.VALIDATOR_STATUS_ACTIVE);
  await h.block([], { votes: votes([0, 1, 2], [2]) });
  const jailed = (await validators(h)).find((v) => v.operator === ops[2].address)!;
  expect(jailed).toMatchObject({ status: ValidatorStatus.VALIDATOR_STATUS_JAILED, power: 10, reason: "missed 10 of the last 10 blocks" });
  expect(updates(h)).toEqual([{ key: b64(consensusKey(2)), power: 0 }]);
  expect(h.blockEvents.find((e) => e.type === "validator_jailed")).toBeDefined();

  // the two others hold all the active power now
  await h.block([propose(h, ops[0], { unjail: { operator: ops[2].address } }), approve(h, ops[1], 1)]);
  expect((await validators(h)).find((v) => v.operator === ops[2].address)!.status).toBe(ValidatorStatus.VALIDATOR_STATUS_ACTIVE);
  expect(updates(h)).toEqual([{ key: b64(consensusKey(2)), power: 10 }]);
});

test("downtime is judged when the window first fills, even on a block the validator signed", async () => {
  const h = await chain();
  for (let i = 0; i < 9; i++) await h.block([], { votes: votes([0, 1, 2], [2]) });
  await h.block([], { votes: votes([0, 1, 2]) });
  expect((await validators(h)).find((v) => v.operator === ops[2].address)).toMatchObject({ status: ValidatorStatus.VALIDATOR_STATUS_JAILED, reason: "missed 9 of the last 10 blocks" });
});

test("downtime never jails below min_validators: recorded in an event instead", async () => {
  const h = await chain({ min_validators: "3" });
  for (let i = 0; i < 10; i++) await h.block([], { votes: votes([0, 1, 2], [1]) });
  expect(h.blockEvents.find((e) => e.type === "validator_jailed_skipped")).toBeDefined();
  expect((await validators(h)).every((v) => v.status === ValidatorStatus.VALIDATOR_STATUS_ACTIVE)).toBe(true);
  expect(updates(h)).toEqual([]);
});

test("double-signing evidence removes the validator for good, with the reason", async () => {
  const h = await chain();
  await h.block([], {
    misbehavior: [{ type: MisbehaviorType.DUPLICATE_VOTE, validator: { address: cometAddress(consensusKey(1)), power: 10n }, height: 3n, time: { seconds: 0n, nanos: 0 }, totalVotingPower: 30n }],
  });
  expect((await validators(h)).find((v) => v.operator === ops[1].address)).toMatchObject({ status: ValidatorStatus.VALIDATOR_STATUS_REMOVED, reason: "double-signed at height 3" });
  expect(updates(h)).toEqual([{ key: b64(consensusKey(1)), power: 0 }]);
  // its key is never accepted again
  const [res] = await h.block([propose(h, ops[0], { add: { validator: { ...addAction(4).add.validator, consensusPubkey: consensusKey(1) } } })]);
  expect({ codespace: res.codespace, code: res.code }).toEqual({ codespace: "validators", code: 4 });
});

test("a proposal nobody completes expires after proposal_lifetime blocks", async () => {
  const h = await chain({ proposal_lifetime: "3" });
  await h.block([propose(h, ops[0], addAction(3))]);
  await h.block([]);
  await h.block([]);
  expect(h.blockEvents.find((e) => e.type === "validator_proposal_expired")).toBeUndefined();
  await h.block([]);
  expect(h.blockEvents.find((e) => e.type === "validator_proposal_expired")).toBeDefined();
  const [late] = await h.block([approve(h, ops[1], 1)]);
  expect({ codespace: late.codespace, code: late.code }).toEqual({ codespace: "validators", code: 7 });
});

test("genesis export and import keep the set, the proposals and the next id", async () => {
  const h = await chain();
  await h.block([propose(h, ops[0], addAction(3))]);
  const exported = (await h.app.exportGenesis()) as Record<string, unknown>;
  const again = await harnessFromAppState({ validators: exported.validators }, ops);
  await again.block([]);
  expect(await validators(again)).toEqual(await validators(h));
  expect((exported.validators as { next_proposal_id: string }).next_proposal_id).toBe("2");
  expect((await again.app.query({ path: "/pegzone.validators.v1.Query/Proposals", data: new Uint8Array(), height: 0n, prove: false })).value.length).toBeGreaterThan(0);
});
