/**
 * Federations follow the validator set (follow.ts), in a real app in process: the btc-regtest
 * federation is the three validators' signer keys (2 of 3). A fourth validator's approval makes the
 * peg propose the four keys (3 of 4), proposed by the validators module's account; the current
 * federation's approvals rotate it. Jailing one proposes the three left (3 of 3). A set the kind
 * cannot take (a weight over bitcoin's 1,000) is not followed, and says why.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import { ADDRESS_PREFIX, toBech32 } from "../../chain/crypto/address";
import { pegzone } from "../../proto";
import { moduleAddress } from "../auth/keeper";
import { account, closeHarnesses, memberKeys, newHarness, type Harness, type TestAccount } from "../../test/support/peg-harness";
import { cometAddress } from "../../chain/keys/key-files";
import { federationOfValidators } from "./follow";
import { pegTypeUrls } from "./msgs";

const v1 = pegzone.peg.v1;
const vv1 = pegzone.validators.v1;
const VALIDATORS_ACCOUNT = toBech32(ADDRESS_PREFIX, moduleAddress("validators"));
const consensusKey = (i: number) => ed25519.getPublicKey(new Uint8Array(32).fill(i + 1));
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

afterAll(closeHarnesses);

/** The federation members are the validators' operators (and signer keys). */
async function chain(powers = [10, 10, 10]): Promise<Harness> {
  const validators = {
    params: { signed_blocks_window: "10", min_signed_per_mille: "500", min_validators: "1", proposal_lifetime: "100" },
    validators: memberKeys.map((m, i) => ({ operator: m.address, consensus_pubkey: b64(consensusKey(i)), power: String(powers[i]), signer_pubkey: b64(m.pubkey), moniker: `node${i}` })),
  };
  const h = await newHarness({}, [], [newcomer], {}, { extraAppState: { validators } });
  await h.block([]);
  return h;
}

const newcomer: TestAccount = account(7);
const propose = (h: Harness, from: TestAccount, action: object) => h.tx(from, "/pegzone.validators.v1.MsgPropose", vv1.MsgPropose, { proposer: from.address, action, override: false });
const approve = (h: Harness, from: TestAccount, id: number) => h.tx(from, "/pegzone.validators.v1.MsgApprove", vv1.MsgApprove, { approver: from.address, proposalId: id });
const addNewcomer = (power = 10) => ({ add: { validator: { operator: newcomer.address, consensusPubkey: consensusKey(3), power, signerPubkey: newcomer.pubkey, moniker: "node3" } } });
const pending = (h: Harness) => h.query("FederationProposal", v1.QueryFederationProposalRequest, { mainchain: "btc-regtest" }, v1.QueryFederationProposalResponse);
const current = async (h: Harness) => (await h.query("Federations", v1.QueryFederationsRequest, { mainchain: "btc-regtest" }, v1.QueryFederationsResponse)).current!;
const keysOf = (f: { members?: Array<{ pubkey?: Uint8Array | null }> | null }) => (f.members ?? []).map((m) => Buffer.from(m.pubkey!).toString("hex")).sort();

test("a validator joins: the four signer keys are proposed (3 of 4) by the validators' account, and the federation's approvals rotate it", async () => {
  const h = await chain();
  await h.block([propose(h, memberKeys[0], addNewcomer()), approve(h, memberKeys[1], 1), approve(h, memberKeys[2], 1)]);
  const { proposal } = await pending(h);
  expect(proposal).toMatchObject({ id: 2, proposer: VALIDATORS_ACCOUNT, approvals: [] });
  expect(keysOf(proposal!.federation!)).toEqual(keysOf({ members: [...memberKeys, newcomer].map((m) => ({ pubkey: m.pubkey })) }));
  expect(proposal!.federation!.threshold).toBe(3);
  expect(proposal!.federation!.members!.every((m) => m.weight === 1)).toBe(true);
  expect(h.blockEvents.find((e) => e.type === "federation_proposed")).toBeDefined();

  const approveFederation = (m: TestAccount) => h.tx(m, pegTypeUrls.approveFederation, v1.MsgApproveFederation, { approver: m.address, mainchain: "btc-regtest", proposalId: 2, proposedAt: Number(proposal!.proposedAt) });
  const [first, second] = await h.block([approveFederation(memberKeys[0]), approveFederation(memberKeys[1])]);
  expect([first.code, second.code]).toEqual([0, 0]);
  const rotated = await current(h);
  expect(Number(rotated.id)).toBe(2);
  expect(rotated.members).toHaveLength(4);
  expect((await pending(h)).proposal ?? undefined).toBeUndefined();
});

test("a jailed validator leaves the federation the peg proposes", async () => {
  const h = await chain();
  const votes = (absent: number) => [0, 1, 2].map((i) => ({ validator: { address: cometAddress(consensusKey(i)), power: 10n }, blockIdFlag: i === absent ? BlockIDFlag.BLOCK_ID_FLAG_ABSENT : BlockIDFlag.BLOCK_ID_FLAG_COMMIT }));
  for (let i = 0; i < 10; i++) await h.block([], { votes: votes(2) });
  const { proposal } = await pending(h);
  expect(keysOf(proposal!.federation!)).toEqual(keysOf({ members: memberKeys.slice(0, 2).map((m) => ({ pubkey: m.pubkey })) }));
  expect(proposal!.federation!.threshold).toBe(2);
});

test("powers set the weights, divided by their greatest common divisor; more than 2/3 of the weight is the threshold", () => {
  const f = federationOfValidators(5, [
    { operator: "peg1b", signerPubkey: memberKeys[1].pubkey, power: 20 },
    { operator: "peg1a", signerPubkey: memberKeys[0].pubkey, power: 40 },
    { operator: "peg1c", signerPubkey: memberKeys[2].pubkey, power: 60 },
  ]);
  expect(f.members!.map((m) => [m.account, m.weight])).toEqual([["peg1a", 2], ["peg1b", 1], ["peg1c", 3]]);
  expect(f.threshold).toBe(5);
  expect(f.id).toBe(5);
});

test("a set the kind cannot take is not followed: the federation stays, an event says why", async () => {
  const h = await chain([1, 1, 1]);
  await h.block([propose(h, memberKeys[0], addNewcomer(1)), approve(h, memberKeys[1], 1), approve(h, memberKeys[2], 1)]);
  expect((await pending(h)).proposal).toBeDefined();
  // a validator of power 2,000 beside powers of 1: a weight over bitcoin's 1,000
  const powerUp = { setPower: { operator: newcomer.address, power: 2000 } };
  const [res] = await h.block([propose(h, memberKeys[0], powerUp)]);
  expect(res.code).toBe(0);
  await h.block([approve(h, memberKeys[1], 2), approve(h, memberKeys[2], 2), approve(h, newcomer, 2)]);
  const event = h.blockEvents.find((e) => e.type === "federation_not_followed");
  expect(event?.attributes.reason).toMatch(/weight must be an integer from 1 to 1000/);
  expect(Number((await current(h)).id)).toBe(1);
  // the proposal made for the earlier set is gone with it
  expect((await pending(h)).proposal ?? undefined).toBeUndefined();
});
