/**
 * Federation rotation in-process: proposals and approvals by the current federation (2 of 3), the
 * grace window for deposits to the retired federation's addresses, the sweep that moves the reserve
 * to the new federation (signed by the old one), a withdrawal paid by the new federation afterwards,
 * and genesis export/import of retired federations and a pending proposal.
 */
import { bitcoinTxProof } from "./bitcoin/peg-flow";
import { changeVoutOf, outpointOf, witnessScriptOf } from "../../test/support/peg";
import { REGTEST_CHAIN } from "../../test/support/peg";
import { createHash } from "node:crypto";
import * as btc from "@scure/btc-signer";
import { sha256 } from "@noble/hashes/sha2.js";
import { ADDRESS_PREFIX, addressFromPubkey, fromBech32, toBech32 } from "../../chain/crypto/address";
import { publicKeyFromPrivate } from "../../chain/crypto/secp256k1";
import { pegzone } from "../../proto";
import { REGTEST_NETWORK } from "../../test/support/btc-wallet";
import { parseTx } from "../../light-client/bitcoin/tx";
import { toDisplayHex } from "../../light-client/bitcoin/bytes";
import { bitcoinFlow } from "./bitcoin/kind";
import { reserveWitnessScript } from "./bitcoin/script";
import { signReleaseInput } from "./bitcoin/sign";
import { pegTypeUrls } from "./msgs";
import { builtFromRelease } from "./releases";
import { FEDERATION_PROPOSAL_LIFETIME } from "./rotation";
import {
  CONFIRMATIONS,
  MAINCHAIN,
  claim,
  closeHarnesses,
  depositScript,
  federation as oldFederation,
  harnessFromAppState,
  memberKeys,
  newHarness,
  relay,
  type Harness,
  type TestAccount,
} from "../../test/support/peg-harness";
import { TestBitcoinChain, testTx } from "../../test/support/peg";

const v1 = pegzone.peg.v1;
afterAll(closeHarnesses);
const { ReleaseStatus } = v1;
const GRACE = 10;
const PEG_IN_FEE = 5000n;

/** The next federation: three other keys, weights 2, 1, 1, threshold 3. */
const newMemberKeys: TestAccount[] = [0, 1, 2].map((i) => {
  const privateKey = createHash("sha256").update(`next federation member ${i}`).digest();
  const pubkey = publicKeyFromPrivate(privateKey);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(20 + i), sequence: 0n };
});
const newMembers = newMemberKeys.map((m, i) => ({ pubkey: m.pubkey, weight: i === 0 ? 2 : 1, account: m.address }));
const NEW_THRESHOLD = 3;
const newFederation = { id: 2, members: newMembers, threshold: NEW_THRESHOLD };

const destinationKey = createHash("sha256").update("rotation withdrawal destination").digest();
const DESTINATION = btc.p2wpkh(publicKeyFromPrivate(destinationKey), REGTEST_NETWORK).address!;

const propose = (h: Harness, from: TestAccount, members: object[] = newMembers, threshold = NEW_THRESHOLD) =>
  h.tx(from, pegTypeUrls.proposeFederation, v1.MsgProposeFederation, { proposer: from.address, mainchain: MAINCHAIN, members, threshold });
const approve = (h: Harness, from: TestAccount, proposalId = 2, proposedAt = 0) =>
  h.tx(from, pegTypeUrls.approveFederation, v1.MsgApproveFederation, { approver: from.address, mainchain: MAINCHAIN, proposalId, proposedAt });
const submit = (h: Harness, member: TestAccount, releaseId: number, signatures: Uint8Array[]) =>
  h.tx(member, pegTypeUrls.submitReleaseSignatures, v1.MsgSubmitReleaseSignatures, { signer: member.address, mainchain: MAINCHAIN, releaseId, signatures });
const withdraw = (h: Harness, from: TestAccount, amount: string) =>
  h.tx(from, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: from.address, mainchain: MAINCHAIN, amount, destination: DESTINATION });

const federations = (h: Harness) => h.query("Federations", v1.QueryFederationsRequest, { mainchain: MAINCHAIN }, v1.QueryFederationsResponse);
const proposal = (h: Harness) => h.query("FederationProposal", v1.QueryFederationProposalRequest, { mainchain: MAINCHAIN }, v1.QueryFederationProposalResponse);
const reserve = (h: Harness) => h.query("Reserve", v1.QueryReserveRequest, { mainchain: MAINCHAIN }, v1.QueryReserveResponse);
const releases = async (h: Harness) =>
  (await h.query("Releases", v1.QueryReleasesRequest, { mainchain: MAINCHAIN, status: ReleaseStatus.RELEASE_STATUS_UNSPECIFIED }, v1.QueryReleasesResponse)).releases.map((r) => v1.Release.create(r));

function signaturesOf(member: TestAccount, release: pegzone.peg.v1.Release): Uint8Array[] {
  return bitcoinFlow.releaseDigests(builtFromRelease(release)).map((d) => signReleaseInput(member.privateKey, d));
}

/** The deposit script of `recipient` under `federation`. */
function depositScriptUnder(federation: typeof newFederation | typeof oldFederation, recipient: string): Uint8Array {
  return bitcoinFlow.depositAddress(REGTEST_CHAIN, federation, fromBech32(recipient, ADDRESS_PREFIX)).script;
}

const p2wsh = (witnessScript: Uint8Array) => Uint8Array.from([0x00, 0x20, ...sha256(witnessScript)]);

/** Everything rotation may change, to compare before and after a refused message. */
async function rotationState(h: Harness) {
  const o = { longs: String, bytes: String };
  return JSON.stringify({
    federations: v1.QueryFederationsResponse.toObject(await federations(h), o),
    proposal: v1.QueryFederationProposalResponse.toObject(await proposal(h), o),
    reserve: v1.QueryReserveResponse.toObject(await reserve(h), o),
    releases: (await releases(h)).map((r) => v1.Release.toObject(r, o)),
  });
}

/** Blocks until the next batch height (a multiple of 5) has run. */
async function untilBatch(h: Harness): Promise<void> {
  do await h.block([]);
  while (h.height % 5 !== 0);
}

/** Mines `tx` on `chain`, relays the headers with the confirmations and proves it to pegzone as a release. */
async function confirmOnMainChain(h: Harness, chain: TestBitcoinChain, tx: Uint8Array) {
  const block = chain.mine([tx]);
  chain.mineEmpty(CONFIRMATIONS - 1);
  expect((await h.block([relay(h, chain.headers(block.height))]))[0]).toMatchObject({ code: 0 });
  const confirm = h.tx(h.accounts[2], pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, { relayer: h.accounts[2].address, mainchain: MAINCHAIN, proof: bitcoinTxProof({ tx, blockHash: block.hash, merkleProof: chain.proof(block, 1) }) });
  return (await h.block([confirm]))[0];
}

/**
 * A chain whose block 1 pays, in one transaction, 600,000 sat to account 0's and 200,000 and
 * 100,000 sat to account 1's deposit addresses of the first federation; the first is claimed.
 */
async function scenario(overrides: Record<string, unknown> = {}) {
  const h = await newHarness({ federation_grace: GRACE, peg_in_fee: PEG_IN_FEE.toString(), ...overrides }, [], newMemberKeys);
  const chain = new TestBitcoinChain();
  const [a, b] = h.accounts;
  const depositTx = testTx("deposits to the first federation", [
    { value: 600_000n, scriptPubKey: depositScript(a.address) },
    { value: 200_000n, scriptPubKey: depositScript(b.address) },
    { value: 100_000n, scriptPubKey: depositScript(b.address) },
  ]);
  const block = chain.mine([depositTx]);
  chain.mineEmpty(CONFIRMATIONS - 1);
  expect((await h.block([relay(h, chain.headers(1))]))[0]).toMatchObject({ code: 0 });
  const claimOf = (vout: number, recipient: string) => claim(h, { tx: depositTx, vout, blockHash: block.hash, merkleProof: chain.proof(block, 1), recipient });
  expect((await h.block([claimOf(0, a.address)]))[0]).toMatchObject({ code: 0 });
  return { h, chain, claimOf };
}

/**
 * Proposed by member 0, approved by member 2: the rotation happens in the approval's block, where
 * `alsoInBlock` (e.g. claims) runs after it. Returns that height.
 */
async function rotate(h: Harness, alsoInBlock: Uint8Array[] = []): Promise<number> {
  expect((await h.block([propose(h, memberKeys[0])]))[0]).toMatchObject({ code: 0 });
  const [res, ...rest] = await h.block([approve(h, memberKeys[2]), ...alsoInBlock]);
  expect(res).toMatchObject({ code: 0 });
  for (const r of rest) expect(r).toMatchObject({ code: 0 });
  expect(res.events.find((e) => e.type === "federation_rotated")?.attributes).toMatchObject({ old_federation_id: "1", new_federation_id: "2", retired_at: String(h.height) });
  return h.height;
}

describe("federation rotation", () => {
  it("takes effect only with approvals worth the current threshold, from current members only", async () => {
    const { h } = await scenario();
    const before = await rotationState(h);
    // [name, tx, expected error, refused before the ante handler (the sequence does not move)]
    const cases: Array<[string, () => Uint8Array, [string, number], boolean?]> = [
      ["a proposal by a non-member", () => propose(h, h.accounts[1]), ["peg", 20]],
      ["a proposal by a member of the proposed federation", () => propose(h, newMemberKeys[0]), ["peg", 20]],
      ["a proposal whose threshold is half the weight", () => propose(h, memberKeys[0], newMembers, 2), ["peg", 19]],
      ["a proposal of the current federation again", () => propose(h, memberKeys[0], oldFederation.members, 2), ["peg", 19]],
      ["a proposal naming an account twice", () => propose(h, memberKeys[0], [newMembers[0], { ...newMembers[1], account: newMembers[0].account }, newMembers[2]]), ["peg", 19], true],
      ["a proposal with a malformed member account", () => propose(h, memberKeys[0], [newMembers[0], newMembers[1], { ...newMembers[2], account: "peg1nope" }]), ["peg", 19], true],
      ["an approval with nothing pending", () => approve(h, memberKeys[1]), ["peg", 22]],
    ];
    for (const [name, tx, expErr, stateless] of cases) {
      const [res] = await h.block([tx()]);
      if (stateless) memberKeys[0].sequence--;
      expect({ name, got: [res.codespace, res.code] }).toEqual({ name, got: expErr });
      expect(await rotationState(h)).toBe(before);
    }

    // member 0 proposes: its own approval (weight 1 of the 2 needed) does nothing yet
    expect((await h.block([propose(h, memberKeys[0])]))[0]).toMatchObject({ code: 0 });
    const proposedAt = h.height;
    const pending = await proposal(h);
    expect(pending).toMatchObject({ approvedWeight: 1, threshold: 2 });
    expect(pending.proposal).toMatchObject({ id: 2, mainchain: MAINCHAIN, proposer: memberKeys[0].address, approvals: [memberKeys[0].address], proposedAt });
    expect(pending.proposal!.federation!.members!.map((m) => m.account)).toEqual(newMembers.map((m) => m.account));
    expect((await federations(h)).current!.id).toBe(1);
    expect((await federations(h)).retired).toHaveLength(0);

    const pendingState = await rotationState(h);
    const refused: Array<[string, Uint8Array, [string, number]]> = [
      ["an approval by a non-member", approve(h, h.accounts[1]), ["peg", 20]],
      ["an approval by a proposed member", approve(h, newMemberKeys[1]), ["peg", 20]],
      ["a second approval by the proposer", approve(h, memberKeys[0]), ["peg", 23]],
      ["an approval of another proposal id", approve(h, memberKeys[1], 3), ["peg", 22]],
      ["an approval pinned to another proposal height", approve(h, memberKeys[1], 2, proposedAt - 1), ["peg", 22]],
      ["another member's proposal while one is pending", propose(h, memberKeys[1], newMembers.slice(0, 2), 3), ["peg", 21]],
    ];
    for (const [name, tx, expErr] of refused) {
      const [res] = await h.block([tx]);
      expect({ name, got: [res.codespace, res.code] }).toEqual({ name, got: expErr });
      expect(await rotationState(h)).toBe(pendingState);
    }

    // the second member's approval reaches 2 of 2: the federation rotates in that message
    const [approved] = await h.block([approve(h, memberKeys[1], 2, proposedAt)]);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.events.find((e) => e.type === "federation_rotated")?.attributes).toMatchObject({ old_federation_id: "1", new_federation_id: "2" });
    const rotatedAt = h.height;
    const after = await federations(h);
    expect(after.current).toMatchObject({ id: 2, threshold: NEW_THRESHOLD });
    expect(after.current!.members!.map((m) => [Buffer.from(m.pubkey!).toString("hex"), m.weight, m.account])).toEqual(
      newMembers.map((m) => [Buffer.from(m.pubkey).toString("hex"), m.weight, m.account]),
    );
    expect(after.retired).toHaveLength(1);
    expect(after.retired[0]).toMatchObject({ retiredAt: rotatedAt, federation: { id: 1, threshold: 2 } });
    expect(after.grace).toBe(GRACE);
    expect((await proposal(h)).proposal ?? undefined).toBeUndefined();
    const mainchains = await h.query("MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse);
    expect(mainchains.mainchains[0].federation!.id).toBe(2);
    // new deposit addresses are the new federation's
    const address = await h.query("DepositAddress", v1.QueryDepositAddressRequest, { mainchain: MAINCHAIN, recipient: h.accounts[0].address }, v1.QueryDepositAddressResponse);
    expect(address.federationId).toBe(2);
    expect(Buffer.from(address.script).equals(Buffer.from(depositScriptUnder(newFederation, h.accounts[0].address)))).toBe(true);
    // only the new federation's members may propose now
    const [old] = await h.block([propose(h, memberKeys[0], oldFederation.members, 2)]);
    expect([old.codespace, old.code]).toEqual(["peg", 20]);
  });

  it("lets a proposer replace its own proposal (approvals start over), and any member replace a stale one", async () => {
    // start from the weighted federation (2, 1, 1 / 3), where one small member cannot rotate alone
    const { h } = await scenario();
    await rotate(h);
    const other = newMembers.map((m) => ({ ...m, weight: 1 }));
    expect((await h.block([propose(h, newMemberKeys[1], other, 2)]))[0]).toMatchObject({ code: 0 });
    const first = (await proposal(h)).proposal!;
    expect(first).toMatchObject({ id: 3, approvals: [newMemberKeys[1].address] });
    // its proposer replaces it: a new height, approvals start over
    expect((await h.block([propose(h, newMemberKeys[1], [...other.slice(0, 2), { ...other[2], weight: 2 }], 3)]))[0]).toMatchObject({ code: 0 });
    const second = (await proposal(h)).proposal!;
    expect(Number(second.proposedAt)).toBeGreaterThan(Number(first.proposedAt));
    expect(second.federation!.threshold).toBe(3);
    // an approval pinned to the first one does not count for the second
    const [stale] = await h.block([approve(h, newMemberKeys[2], 3, Number(first.proposedAt))]);
    expect([stale.codespace, stale.code]).toEqual(["peg", 22]);
    // another member may not replace it before it is FEDERATION_PROPOSAL_LIFETIME blocks old, and may after
    const [early] = await h.block([propose(h, newMemberKeys[2], other, 2)]);
    expect([early.codespace, early.code]).toEqual(["peg", 21]);
    while (h.height < Number(second.proposedAt) + FEDERATION_PROPOSAL_LIFETIME - 1) await h.block([]);
    const [late] = await h.block([propose(h, newMemberKeys[2], other, 2)]);
    expect(late).toMatchObject({ code: 0 });
    expect((await proposal(h)).proposal).toMatchObject({ id: 3, proposer: newMemberKeys[2].address, approvals: [newMemberKeys[2].address] });
    // the heavy member's approval (2 + 1 ≥ 3) rotates to federation 3
    expect((await h.block([approve(h, newMemberKeys[0], 3)]))[0]).toMatchObject({ code: 0 });
    const fs = await federations(h);
    expect(fs.current!.id).toBe(3);
    expect(fs.retired.map((r) => Number(r.federation!.id))).toEqual([1, 2]);
  }, 60_000);

  it("honours deposits to the retired federation inside the grace window, sweeps the reserve to the new one, which then pays withdrawals", async () => {
    const { h, chain, claimOf } = await scenario();
    const [a, b] = h.accounts;
    // the claim of account 1's 200,000 sat deposit runs right after the rotation, in its block
    const rotatedAt = await rotate(h, [claimOf(1, b.address)]);
    expect(await h.balance(b.address)).toBe(200_000n - PEG_IN_FEE);
    let r = await reserve(h);
    expect(r).toMatchObject({ total: "800000", supply: (800_000n - 2n * PEG_IN_FEE).toString(), pending: "0" });
    expect(r.entries.map((u) => Number(u.federationId))).toEqual([1, 1]);
    const oldUtxo = r.entries.find((u) => u.value === "200000")!;
    expect(Buffer.from(witnessScriptOf(oldUtxo)).equals(Buffer.from(bitcoinFlow.depositAddress(REGTEST_CHAIN, oldFederation, fromBech32(b.address, ADDRESS_PREFIX)).witnessScript))).toBe(true);

    // the next batch builds a sweep: both old outputs to the new federation's reserve script
    await untilBatch(h);
    expect(h.blockEvents.find((e) => e.type === "release_built")?.attributes).toMatchObject({ sweep: "true", federation_id: "1", change_federation_id: "2" });
    const [sweep] = await releases(h);
    expect(sweep).toMatchObject({ id: 1, federationId: 1, changeFederationId: 2, withdrawalIds: [], amount: "0", status: ReleaseStatus.RELEASE_STATUS_SIGNING });
    expect(changeVoutOf(sweep)).toBe(0);
    expect(sweep.inputs.map((i) => i.value)).toEqual(["600000", "200000"]);
    const fee = BigInt(sweep.fee);
    expect(fee).toBeGreaterThan(0n);
    expect(fee).toBeLessThanOrEqual(2n * PEG_IN_FEE);
    expect(sweep.outputs).toHaveLength(1);
    const newReserveScript = reserveWitnessScript(newFederation);
    expect(Buffer.from(sweep.outputs[0].script!).equals(Buffer.from(p2wsh(newReserveScript)))).toBe(true);
    expect(BigInt(sweep.outputs[0].value!)).toBe(800_000n - fee);
    expect(Buffer.from(witnessScriptOf(sweep.change!)).equals(Buffer.from(newReserveScript))).toBe(true);
    // withdrawals wait for the sweep: the new federation holds nothing yet
    expect((await h.block([withdraw(h, a, "300000")]))[0]).toMatchObject({ code: 0 });

    // signed by the old federation: a new member's signatures are refused, 2 of 3 old members complete it
    const before = await rotationState(h);
    const [byNew] = await h.block([submit(h, newMemberKeys[0], 1, signaturesOf(newMemberKeys[0], sweep))]);
    expect([byNew.codespace, byNew.code]).toEqual(["sdk", 4]);
    expect(await rotationState(h)).toBe(before);
    expect((await h.block([submit(h, memberKeys[0], 1, signaturesOf(memberKeys[0], sweep))]))[0]).toMatchObject({ code: 0 });
    expect((await h.block([submit(h, memberKeys[2], 1, signaturesOf(memberKeys[2], sweep))]))[0]).toMatchObject({ code: 0 });
    const signed = await h.query("Release", v1.QueryReleaseRequest, { mainchain: MAINCHAIN, id: 1 }, v1.QueryReleaseResponse);
    expect(signed).toMatchObject({ signedWeight: 2, threshold: 2 });
    expect(signed.release!.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    const sweepTx = parseTx(signed.release!.signedTx!);
    expect(toDisplayHex(sweepTx.txid)).toBe(sweep.txid);
    for (const input of sweepTx.inputs) expect(input.witness).toHaveLength(3 + 1);

    // outside the grace window the old address is refused, with no state change
    while (h.height <= rotatedAt + GRACE) await h.block([]);
    const outside = await rotationState(h);
    const [late] = await h.block([claimOf(2, b.address)]);
    expect([late.codespace, late.code]).toEqual(["peg", 7]);
    expect(late.log).toMatch(/grace window of 10 blocks ended/);
    expect(await rotationState(h)).toBe(outside);
    expect(await h.balance(b.address)).toBe(200_000n - PEG_IN_FEE);

    // the sweep confirms: the reserve is one output of the new federation, less the fee
    expect(await confirmOnMainChain(h, chain, signed.release!.signedTx!)).toMatchObject({ code: 0 });
    r = await reserve(h);
    expect(r.total).toBe((800_000n - fee).toString());
    expect(r.supply).toBe((800_000n - 2n * PEG_IN_FEE).toString());
    expect(r.freeze?.frozen ?? false).toBe(false);
    expect(r.entries).toHaveLength(1);
    const [u] = r.entries;
    expect([outpointOf(u).txid, outpointOf(u).vout, u.value, Number(u.federationId), Number(u.releaseId)]).toEqual([sweep.txid, 0, (800_000n - fee).toString(), 2, 0]);
    expect(Buffer.from(witnessScriptOf(r.entries[0])).equals(Buffer.from(newReserveScript))).toBe(true);
    expect(BigInt(r.supply) + BigInt(r.pending)).toBeLessThanOrEqual(BigInt(r.total));
    expect((await releases(h))[0].status).toBe(ReleaseStatus.RELEASE_STATUS_CONFIRMED);

    // the waiting withdrawal is paid from the new federation's output, signed by its members
    await untilBatch(h);
    const payout = (await releases(h)).find((x) => x.withdrawalIds.length > 0)!;
    expect(payout).toMatchObject({ federationId: 2, changeFederationId: 2, amount: "300000", status: ReleaseStatus.RELEASE_STATUS_SIGNING });
    expect(payout.inputs.map((i) => [outpointOf(i).txid, outpointOf(i).vout])).toEqual([[sweep.txid, 0]]);
    expect(Buffer.from(witnessScriptOf(payout.change!)).equals(Buffer.from(newReserveScript))).toBe(true);
    const id = Number(payout.id);
    const [byOld] = await h.block([submit(h, memberKeys[1], id, signaturesOf(memberKeys[1], payout))]);
    expect([byOld.codespace, byOld.code]).toEqual(["sdk", 4]);
    // weights 1 + 1 are below the threshold 3; the weight-2 member completes it
    expect((await h.block([submit(h, newMemberKeys[1], id, signaturesOf(newMemberKeys[1], payout))]))[0]).toMatchObject({ code: 0 });
    expect((await h.block([submit(h, newMemberKeys[2], id, signaturesOf(newMemberKeys[2], payout))]))[0]).toMatchObject({ code: 0 });
    expect((await h.query("Release", v1.QueryReleaseRequest, { mainchain: MAINCHAIN, id }, v1.QueryReleaseResponse))).toMatchObject({ signedWeight: 2, threshold: 3 });
    expect((await h.block([submit(h, newMemberKeys[0], id, signaturesOf(newMemberKeys[0], payout))]))[0]).toMatchObject({ code: 0 });
    const paid = (await h.query("Release", v1.QueryReleaseRequest, { mainchain: MAINCHAIN, id }, v1.QueryReleaseResponse)).release!;
    expect(paid.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    expect(await confirmOnMainChain(h, chain, paid.signedTx!)).toMatchObject({ code: 0 });
    r = await reserve(h);
    expect(r.total).toBe((800_000n - fee - 300_000n).toString());
    expect(r.entries.map((u) => [outpointOf(u).txid, Number(u.federationId)])).toEqual([[paid.txid, 2]]);
    expect(BigInt(r.supply) + BigInt(r.pending)).toBeLessThanOrEqual(BigInt(r.total));
  });

  it("refuses to claim the sweep's output as a deposit of the zero recipient, before and after the sweep confirms", async () => {
    const { h, chain } = await scenario({ reserve_cap: "100000000" }); // no cap to stop the claim by accident
    await rotate(h);
    await untilBatch(h);
    const [sweep] = await releases(h);
    expect(sweep).toMatchObject({ federationId: 1, changeFederationId: 2 });
    expect(changeVoutOf(sweep)).toBe(0);
    for (const m of [memberKeys[0], memberKeys[2]]) expect((await h.block([submit(h, m, 1, signaturesOf(m, sweep))]))[0]).toMatchObject({ code: 0 });
    const signed = (await releases(h))[0];
    const block = chain.mine([signed.signedTx]);
    chain.mineEmpty(CONFIRMATIONS - 1);
    expect((await h.block([relay(h, chain.headers(block.height))]))[0]).toMatchObject({ code: 0 });
    const zero = toBech32(ADDRESS_PREFIX, new Uint8Array(20));
    const claimSweep = () => claim(h, { tx: signed.signedTx, vout: 0, blockHash: block.hash, merkleProof: chain.proof(block, 1), recipient: zero });
    const inFlight = await rotationState(h);
    const [early] = await h.block([claimSweep()]);
    expect([early.codespace, early.code]).toEqual(["peg", 24]);
    expect(await rotationState(h)).toBe(inFlight);
    const confirm = h.tx(h.accounts[2], pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, { relayer: h.accounts[2].address, mainchain: MAINCHAIN, proof: bitcoinTxProof({ tx: signed.signedTx, blockHash: block.hash, merkleProof: chain.proof(block, 1) }) });
    expect((await h.block([confirm]))[0]).toMatchObject({ code: 0 });
    const settled = await rotationState(h);
    const [late] = await h.block([claimSweep()]);
    expect([late.codespace, late.code]).toEqual(["peg", 24]);
    expect(await rotationState(h)).toBe(settled);
    expect(await h.balance(zero)).toBe(0n);
  });

  it("lists a registered address under the new federation and, during the grace window, the old one", async () => {
    const { h } = await scenario();
    const b = h.accounts[1];
    const register = h.tx(b, pegTypeUrls.registerDepositAddress, v1.MsgRegisterDepositAddress, { sender: b.address, mainchain: MAINCHAIN, recipient: "" });
    expect((await h.block([register]))[0]).toMatchObject({ code: 0 });
    const rotatedAt = await rotate(h);
    const watched = async () =>
      (await h.query("RegisteredAddresses", v1.QueryRegisteredAddressesRequest, { mainchain: MAINCHAIN }, v1.QueryRegisteredAddressesResponse)).addresses.map((a) => [
        Number(a.federationId),
        Buffer.from(a.script!).toString("hex"),
      ]);
    const hex = (s: Uint8Array) => Buffer.from(s).toString("hex");
    expect(await watched()).toEqual([
      [2, hex(depositScriptUnder(newFederation, b.address))],
      [1, hex(depositScript(b.address))],
    ]);
    // the list is judged at the height a claim sent now would land at: the next block's
    while (h.height < rotatedAt + GRACE - 1) await h.block([]);
    expect(await watched()).toHaveLength(2);
    await h.block([]);
    expect(await watched()).toEqual([[2, hex(depositScriptUnder(newFederation, b.address))]]);
  });

  it("builds no sweep whose fee the peg-in surplus cannot pay, and rebuilds a stale sweep at twice the fee rate while it can", async () => {
    // peg-in fee 1,000 a deposit: 2,000 of surplus does not pay for sweeping two inputs at 10 sat/vB
    const poor = await scenario({ peg_in_fee: "1000" });
    await rotate(poor.h, [poor.claimOf(1, poor.h.accounts[1].address)]);
    await untilBatch(poor.h);
    const failed = poor.h.blockEvents.find((e) => e.type === "release_failed");
    expect(failed?.attributes.reason).toMatch(/sweep of retired federation 1: its fee \d+ is more than the reserve's surplus 2000/);
    expect(await releases(poor.h)).toHaveLength(0);
    // withdrawals need not wait for it: the retired federation's outputs pay them (the withdrawals
    // paying the fee), the change going to the current federation's reserve script
    expect((await poor.h.block([withdraw(poor.h, poor.h.accounts[0], "300000")]))[0]).toMatchObject({ code: 0 });
    await untilBatch(poor.h);
    const [paid] = await releases(poor.h);
    expect(paid).toMatchObject({ federationId: 1, changeFederationId: 2, withdrawalIds: [1] });
    expect(Buffer.from(witnessScriptOf(paid.change!)).equals(Buffer.from(reserveWitnessScript(newFederation)))).toBe(true);

    // 10,000 of surplus: the sweep is built, rebuilt once at twice the rate, and then keeps its fee
    const { h, claimOf } = await scenario();
    await rotate(h, [claimOf(1, h.accounts[1].address)]);
    await untilBatch(h);
    const [first] = await releases(h);
    const built = Number(first.builtAt);
    while (h.height < built + 20) await h.block([]);
    const [replaced, bumped] = await releases(h);
    expect(replaced.status).toBe(ReleaseStatus.RELEASE_STATUS_REPLACED);
    expect(bumped).toMatchObject({ replaces: first.id, federationId: 1, changeFederationId: 2, withdrawalIds: [], feeRate: "20" });
    expect(BigInt(bumped.fee)).toBe(2n * BigInt(first.fee));
    expect(bumped.inputs).toEqual(first.inputs);
    while (h.height < Number(bumped.builtAt) + 20) await h.block([]);
    expect(h.blockEvents.find((e) => e.type === "release_failed")?.attributes.reason).toMatch(/replacing sweep 2: the higher fee \d+ is more than the reserve's surplus 10000/);
    expect((await releases(h)).map((x) => x.status)).toEqual([ReleaseStatus.RELEASE_STATUS_REPLACED, ReleaseStatus.RELEASE_STATUS_SIGNING]);
  });

  it("keeps retired federations and a pending proposal through genesis export and import", async () => {
    const { h, claimOf } = await scenario();
    await rotate(h, [claimOf(1, h.accounts[1].address)]);
    await untilBatch(h);
    const [sweep] = await releases(h);
    expect(sweep.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNING);
    const next = newMembers.map((m) => ({ ...m, weight: 1 }));
    expect((await h.block([propose(h, newMemberKeys[0], next, 2)]))[0]).toMatchObject({ code: 0 });

    const exported = await h.app.exportGenesis();
    const peg = exported.peg as { retired_federations: unknown[]; federation_proposals: unknown[] };
    expect(peg.retired_federations).toHaveLength(1);
    expect(peg.federation_proposals).toHaveLength(1);
    const state = JSON.parse(JSON.stringify(exported)) as { auth: { accounts: Array<Record<string, unknown>> } };
    for (const a of state.auth.accounts) delete a.pub_key; // auth's genesis import takes no public keys; the next tx sets them again
    const h2 = await harnessFromAppState(state, h.accounts);
    await h2.block([]);
    const o = { longs: String, bytes: String };
    expect(v1.QueryFederationsResponse.toObject(await federations(h2), o)).toEqual(v1.QueryFederationsResponse.toObject(await federations(h), o));
    expect(v1.QueryFederationProposalResponse.toObject(await proposal(h2), o)).toEqual(v1.QueryFederationProposalResponse.toObject(await proposal(h), o));
    expect((await releases(h2)).map((x) => v1.Release.toObject(x, o))).toEqual((await releases(h)).map((x) => v1.Release.toObject(x, o)));
    expect((await h2.app.exportGenesis()).peg).toEqual(exported.peg);

    // on the imported chain the old members still sign the sweep, and the proposal still rotates
    expect((await h2.block([submit(h2, memberKeys[1], 1, signaturesOf(memberKeys[1], sweep))]))[0]).toMatchObject({ code: 0 });
    expect((await h2.block([approve(h2, newMemberKeys[1], 3)]))[0]).toMatchObject({ code: 0 });
    const fs = await federations(h2);
    expect(fs.current!.id).toBe(3);
    expect(fs.retired.map((r) => Number(r.federation!.id))).toEqual([1, 2]);
  });
});
