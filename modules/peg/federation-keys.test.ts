/**
 * Federation keys must be points on secp256k1: a 33-byte key with a valid prefix whose x has no
 * point on the curve (x = 5) can never sign, so a federation holding it could lock the reserve. It
 * is refused in genesis (peg/12) and in a proposal (peg/19), with nothing changed.
 */
import { SdkError } from "../../chain/tx/errors";
import { pegzone } from "../../proto";
import { pegTypeUrls } from "./msgs";
import { MAINCHAIN, closeHarnesses, federationJson, memberKeys, newHarness } from "../../test/support/peg-harness";

const v1 = pegzone.peg.v1;
afterAll(closeHarnesses);

/** 0x02 || x = 5: the right length and prefix, but x³ + 7 has no square root mod p. */
const OFF_CURVE = Uint8Array.from([0x02, ...new Uint8Array(31), 0x05]);

describe("federation keys off the curve", () => {
  it("a genesis federation with a key off the curve is an invalid peg genesis", async () => {
    const members = [{ ...federationJson.members[0], pubkey: Buffer.from(OFF_CURVE).toString("base64") }, ...federationJson.members.slice(1)];
    const err: unknown = await newHarness({ federation: { ...federationJson, members } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SdkError);
    expect([(err as SdkError).codespace, (err as SdkError).code]).toEqual(["peg", 12]);
    expect((err as SdkError).message).toMatch(/member 0: pubkey 02(00)+05 is not a point on secp256k1/);
  });

  it("a proposed federation with a key off the curve is refused and nothing is pending", async () => {
    const h = await newHarness();
    const proposer = memberKeys[0];
    const state = async () =>
      JSON.stringify([
        v1.QueryFederationsResponse.toObject(await h.query("Federations", v1.QueryFederationsRequest, { mainchain: MAINCHAIN }, v1.QueryFederationsResponse), { bytes: String }),
        await h.query("FederationProposal", v1.QueryFederationProposalRequest, { mainchain: MAINCHAIN }, v1.QueryFederationProposalResponse).then((r) => r.proposal ?? null, () => null),
      ]);
    await h.block([]);
    const before = await state();
    const members = [{ pubkey: OFF_CURVE, weight: 1, account: memberKeys[1].address }, { pubkey: memberKeys[2].pubkey, weight: 2, account: memberKeys[2].address }];
    const [res] = await h.block([h.tx(proposer, pegTypeUrls.proposeFederation, v1.MsgProposeFederation, { proposer: proposer.address, mainchain: MAINCHAIN, members, threshold: 2 })]);
    expect([res.codespace, res.code]).toEqual(["peg", 19]);
    expect(res.log).toMatch(/member 0: pubkey 02(00)+05 is not a point on secp256k1/);
    expect(await state()).toBe(before);
  });
});
