/**
 * Federation rotation on a Tendermint main chain, end to end against a REAL Cosmos Hub (gaiad
 * v25.1.1, test/support/gaiad.ts) with an in-process pegzone (test/support/hub-peg.ts): "rotation
 * moves the reserve to the new federation's multisig address (a release with no withdrawals),
 * exactly as the Bitcoin kind sweeps" (docs/peg.md "Federation rotation"; rotation.ts, releases.ts
 * buildSweeps, release-flow.ts, release.ts).
 *
 *  1. Federation 1 (the harness's 2 of 3) holds the reserve in its Hub multisig account: a deposit
 *     claimed, the account's number proven, a withdrawal paid from it (sequence 0).
 *  2. Its members rotate to federation 2 (four new keys, 3 of 4): member 0 proposes, member 1's
 *     approval reaches the threshold. A deposit sent to federation 1's account before is claimed in
 *     the grace window: minted, a federation 1 entry.
 *  3. The next batch sweeps federation 1's entries: a release with no withdrawals, built with
 *     federation 1's account number and next sequence, paying all they hold less the fee to
 *     federation 2's account (one MsgSend); a new member cannot sign it, two old ones do; gaiad
 *     includes it with code 0 and its tx proof confirms it: the reserve is one federation 2 entry
 *     worth the old balance − fee, equal to federation 2's Hub balance, and federation 1's Hub
 *     account holds 0. The sweep's tx is no deposit (peg 24). A withdrawal requested meanwhile waits:
 *     federation 2's account is not proven.
 *  4. After the grace window a deposit to federation 1's account is not minted (peg 7): it stays on
 *     the Hub in federation 1's account, in no reserve entry.
 *  5. Federation 2's account proven (as the relayer does when the ReleaseContext query says it is
 *     missing), the waiting withdrawal is paid from it: an old member cannot sign, 2 of the new ones
 *     are not enough, 3 are; gaiad includes it and its proof confirms it. No further sweep is built.
 * The steps share one Hub and one pegzone: they run in order. Skipped, saying why, without .bin/gaiad.
 */
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { AuthInfo, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { pegzone } from "../../../proto";
import { GAIAD_MISSING, haveGaiad, hubAccountState, LocalHub } from "../../../test/support/gaiad";
import {
  baseAccountOf,
  contextOf,
  DENOM,
  freshHubAddress,
  GAS_PRICE,
  genesisFederationAccount,
  HUB,
  HUB_ENTRY_DEFAULTS,
  hubChain,
  HubSide,
  nextMemberKeys,
  type Included,
  Peg,
  PEGGED,
  pendingWithdrawal,
  type Role,
  view,
} from "../../../test/support/hub-peg";
import { closeHarnesses } from "../../../test/support/peg-harness";
import { tendermintDepositDisplayId } from "./deposit-proof";
import { federationAccount } from "./multisig";
import { signHubDigest } from "./multisig-tx";
import { CHANGE_INDEX, hubReleaseGasLimit } from "./release";
import { decodeReleaseContext } from "./release-flow";
import { hubReleaseDigest } from "./sign-doc";

jest.setTimeout(180_000);

const v1 = pegzone.peg.v1;
const { ReleaseStatus, WithdrawalStatus } = v1;

const TIMEOUT_BLOCKS = HUB_ENTRY_DEFAULTS.timeoutBlocks;
/** Peg-in fee of each deposit: two of them are the surplus that pays the sweep's fee. */
const PEG_IN_FEE = 100_000n;
/** pegzone blocks after the rotation in which deposits to federation 1's account are still claimed. */
const GRACE = 6;

/** Federation 2: four new keys, 3 of 4 (roles next0…next3). */
const NEXT = nextMemberKeys(4, "rotation-gaiad federation 2 member");
const NEXT_THRESHOLD = 3;
const federation2 = { id: 2, members: NEXT.map((m) => ({ pubkey: m.pubkey, weight: 1, account: m.address })), threshold: NEXT_THRESHOLD };
const FED1 = genesisFederationAccount;
const FED2 = federationAccount(hubChain, federation2);

/** A 2-of-3 release of federation 1 with one Hub output (a payment, or the sweep's MsgSend), and a 3-of-4 one of federation 2. */
const FEE1 = hubReleaseGasLimit(1, 2, 3);
const FEE2 = hubReleaseGasLimit(1, NEXT_THRESHOLD, NEXT.length);

const D1 = 10_000_000n; // user0's deposit, before the rotation
const D2 = 3_000_000n; // user1's, sent before the rotation, claimed in the grace window
const D3 = 2_000_000n; // user1's, sent and claimed after the grace window
const W0 = 1_000_000n; // paid by federation 1 before the rotation
const W = 4_000_000n; // paid by federation 2 after the sweep

const fresh = (tag: string) => freshHubAddress(`rotation-gaiad ${tag}`);
const changeId = (txid: string) => `${txid}:${CHANGE_INDEX}`;

if (!haveGaiad()) {
  console.warn(`modules/peg/tendermint/rotation-gaiad.test.ts skipped: ${GAIAD_MISSING}`);
  test.skip(`federation rotation on a local Cosmos Hub: skipped, ${GAIAD_MISSING}`, () => undefined);
}

(haveGaiad() ? describe : describe.skip)("federation rotation on a local Cosmos Hub (gaiad v25.1.1): the sweep to the new federation's account", () => {
  let hub: LocalHub;
  let side: HubSide;
  let peg: Peg;
  const started = Date.now();
  const timing: Record<string, number> = {};
  const lap = (name: string) => (timing[name] = (Date.now() - started) / 1000);

  beforeAll(async () => {
    hub = await LocalHub.create({ timeoutCommit: "300ms" });
    await hub.start(2);
    side = new HubSide(hub);
    lap("hub up");
  });

  afterAll(async () => {
    await closeHarnesses();
    await hub?.remove();
    console.log(`rotation-gaiad timings (s since start): ${JSON.stringify(timing)}`);
  });

  /** Signs release `id` over its digest from `role`'s key; the tx result. */
  const signAs = async (role: Role, id: number) => peg.sign(role, id, signHubDigest(peg.account(role).privateKey, hubReleaseDigest((await peg.release(id)).payload)));
  /** Confirms a release included on the Hub with its tx proof. */
  const confirmIncluded = async (included: Included) => peg.confirm({ tx: (await side.txProof(peg, included.hash)).proof });

  let accountNumber1: bigint;
  let release1: pegzone.peg.v1.Release;
  let deposit2: Awaited<ReturnType<LocalHub["sendWithMemo"]>>;
  let retiredAt: number;
  let sweep: pegzone.peg.v1.Release;
  let swept: Included;

  test("1. federation 1's Hub account holds the reserve: a deposit claimed, its number proven, a withdrawal paid from it at sequence 0", async () => {
    peg = await side.newPeg({ entry: { peg_in_fee: String(PEG_IN_FEE), min_deposit: "1000000", federation_grace: GRACE }, extraAccounts: NEXT });
    const sent1 = await hub.sendWithMemo({ to: FED1.address, amount: D1, memo: peg.address("user0") });
    expect(sent1.code).toBe(0);
    expect(await peg.claim((await side.txProof(peg, sent1.txhash)).proof, peg.address("user0"))).toMatchObject({ code: 0 });
    // user1's deposit to federation 1 is made now and claimed after the rotation, in the grace window.
    deposit2 = await hub.sendWithMemo({ to: FED1.address, amount: D2, memo: peg.address("user1") });
    expect(deposit2.code).toBe(0);

    await side.relayTip(peg);
    const proof = await side.accountProof(sent1.height);
    accountNumber1 = baseAccountOf(proof).accountNumber;
    expect(await peg.confirm({ account: proof })).toMatchObject({ code: 0 });
    expect(await peg.withdraw("user0", W0, fresh("recipient 0"))).toMatchObject({ code: 0 });
    release1 = await peg.untilRelease(1);
    expect(contextOf(release1)).toMatchObject({ accountNumber: accountNumber1, sequence: 0n, gasPriceMicro: GAS_PRICE });
    expect(view(release1).outputs).toEqual([
      [1, String(W0 - FEE1)],
      [0, String(D1 - W0)],
    ]);
    const included = await side.broadcast(await side.signRelease(peg, 1, ["member0", "member1"]));
    expect(included.code).toBe(0);
    expect(await confirmIncluded(included)).toMatchObject({ code: 0 });
    expect(await peg.withdrawal(1)).toMatchObject({ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, paid: String(W0 - FEE1) });
    expect(await peg.reserve()).toEqual({
      total: D1 - W0,
      supply: D1 - PEG_IN_FEE - W0,
      inFlight: 0n,
      frozen: false,
      entries: [{ displayId: changeId(release1.txid), value: D1 - W0, releaseId: 0, account: FED1.address }],
    });
    // The Hub account holds the reserve and user1's unclaimed deposit.
    expect(await side.balance(FED1.address, included.height)).toBe(D1 - W0 + D2);
    lap("1 federation 1 pays");
  });

  test("2. federation 1's members rotate to federation 2 (proposal + approval); a deposit to federation 1's account is claimed in the grace window", async () => {
    // The deposit's proof first: relaying its headers takes pegzone blocks, and no batch may pass between the rotation and the claim.
    const proof2 = (await side.txProof(peg, deposit2.txhash)).proof;
    await side.relayTip(peg); // the sweep's timeout height counts from the client's tip when it is built
    const proposed = await peg.propose("member0", NEXT, NEXT_THRESHOLD);
    expect(proposed).toMatchObject({ code: 0 });
    expect(proposed.events.find((e) => e.type === "federation_rotated")).toBeUndefined();
    expect(Number((await peg.federations()).current!.id)).toBe(1);
    await peg.offBatch(); // the approval's block builds no sweep: the next one, with the claim below, may
    const approved = await peg.approve("member1", 2);
    expect(approved).toMatchObject({ code: 0 });
    retiredAt = peg.h.height;
    expect(approved.events.find((e) => e.type === "federation_rotated")?.attributes).toMatchObject({
      mainchain: HUB,
      old_federation_id: "1",
      new_federation_id: "2",
      retired_at: String(retiredAt),
      deposits_accepted_until: String(retiredAt + GRACE),
    });
    const federations = await peg.federations();
    expect(Number(federations.current!.id)).toBe(2);
    expect(federations.current!.threshold).toBe(NEXT_THRESHOLD);
    expect(federations.current!.members!.map((m) => m.account)).toEqual(NEXT.map((m) => m.address));
    expect(federations.retired.map((r) => [Number(r.federation!.id), Number(r.retiredAt)])).toEqual([[1, retiredAt]]);
    // New deposits go to federation 2's account.
    const address = await peg.h.query("DepositAddress", v1.QueryDepositAddressRequest, { mainchain: HUB, recipient: peg.address("user0") }, v1.QueryDepositAddressResponse);
    expect({ address: address.address, federationId: Number(address.federationId) }).toEqual({ address: FED2.address, federationId: 2 });

    // The block after the rotation is in the grace window: the deposit to federation 1 is minted, as federation 1's entry.
    const claim = await peg.claim(proof2, peg.address("user1"));
    expect(claim).toMatchObject({ code: 0 });
    expect(peg.h.height).toBeLessThanOrEqual(retiredAt + GRACE);
    expect(claim.events.find((e) => e.type === "claim_deposit")?.attributes).toMatchObject({ federation_id: "1", amount: String(D2) });
    expect(await peg.h.balance(peg.address("user1"), PEGGED)).toBe(D2 - PEG_IN_FEE);
    const reserve = await peg.reserve();
    expect(reserve).toMatchObject({ total: D1 - W0 + D2, supply: D1 + D2 - 2n * PEG_IN_FEE - W0, inFlight: 0n, frozen: false });
    expect(reserve.entries.map((e) => [e.displayId, e.account])).toEqual(
      expect.arrayContaining([
        [changeId(release1.txid), FED1.address],
        [tendermintDepositDisplayId(deposit2.txhash, 0), FED1.address],
      ]),
    );
    expect(await peg.reserveFederations()).toEqual([1, 1]);
    lap("2 rotated");
  });

  test("3. the next batch sweeps federation 1's whole balance to federation 2's account (no withdrawals, federation 1's account context), signed by federation 1; the reserve is then federation 2's Hub balance", async () => {
    sweep = await peg.untilRelease(2);
    const builtAt = Number(sweep.builtAt);
    expect(peg.endEvent(builtAt, "release_built", "release_id", "2")).toMatchObject({ txid: sweep.txid, withdrawals: "", fee: String(FEE1), sweep: "true", federation_id: "1", change_federation_id: "2" });
    expect({ federationId: Number(sweep.federationId), changeFederationId: Number(sweep.changeFederationId) }).toEqual({ federationId: 1, changeFederationId: 2 });
    // Federation 1's account number and its next sequence (1, after release 1); the fee is federation 1's 2-of-3 MsgSend's.
    expect(contextOf(sweep)).toEqual({ chainId: hub.chainId, accountNumber: accountNumber1, sequence: 1n, timeoutHeight: peg.endBlocks.get(builtAt)!.tip + TIMEOUT_BLOCKS, gasPriceMicro: GAS_PRICE });
    const sweptValue = D1 - W0 + D2 - FEE1;
    expect(view(sweep)).toEqual({ id: 2, status: ReleaseStatus.RELEASE_STATUS_SIGNING, fee: String(FEE1), amount: "0", withdrawalIds: [], replaces: 0, charged: "", outputs: [[0, String(sweptValue)]] });
    expect(sweep.inputs.map((i) => [i.displayId, i.value])).toEqual([
      [changeId(release1.txid), String(D1 - W0)],
      [tendermintDepositDisplayId(deposit2.txhash, 0), String(D2)],
    ]);
    expect(sweep.change).toMatchObject({ displayId: changeId(sweep.txid), value: String(sweptValue) });
    expect(pegzone.peg.tendermint.v1.ReserveAccount.decode(sweep.change!.data!.value!).address).toBe(FED2.address);
    expect(Buffer.from(sweep.outputs[0].script!).equals(Buffer.from(FED2.rawAddress))).toBe(true);
    // A sweep burns nothing: nothing in flight; its fee is paid from the surplus (the two peg-in fees).
    expect(await peg.reserve()).toMatchObject({ total: D1 - W0 + D2, supply: D1 + D2 - 2n * PEG_IN_FEE - W0, inFlight: 0n, frozen: false });

    // A withdrawal requested now waits: federation 2's account number is not proven (nor can it be: the account does not exist yet).
    const from = peg.h.height + 1;
    expect(await peg.withdraw("user0", W, fresh("recipient 2"))).toMatchObject({ code: 0 });
    await peg.untilBatch();
    const failures = peg.endEventsSince(from, "release_failed");
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f.reason).toMatch(new RegExp(`account ${FED2.address} on ${HUB} is not proven yet`));
    expect(await peg.withdrawal(2)).toEqual(pendingWithdrawal(W));
    expect((await peg.releaseContext(2)).missing).toMatch(/federation 2's account .* is not proven yet/);

    // Signed by the retired federation: a new member's signature does not count, 2 of the 3 old members' do.
    const before = await peg.exported();
    const byNew = await signAs("next0", 2);
    expect({ code: byNew.code, codespace: byNew.codespace }).toEqual({ code: 4, codespace: "sdk" });
    expect(byNew.log).toMatch(/not a member of federation 1/);
    expect(await peg.exported()).toBe(before);
    const signed = await side.signRelease(peg, 2, ["member0", "member2"]);
    swept = await side.broadcast(signed);
    expect(swept.code).toBe(0);
    expect(swept.gasUsed).toBeLessThanOrEqual(FEE1);
    expect((await hubAccountState(hub, FED1.address)).sequence).toBe(2n);
    // On the Hub it is one MsgSend of all federation 1's entries less the fee, from its account to federation 2's.
    const tx = TxRaw.decode(swept.tx);
    const body = TxBody.decode(tx.bodyBytes);
    expect(body.messages.map((m) => m.typeUrl)).toEqual(["/cosmos.bank.v1beta1.MsgSend"]);
    expect(MsgSend.decode(body.messages[0].value)).toEqual(MsgSend.fromPartial({ fromAddress: FED1.address, toAddress: FED2.address, amount: [{ denom: DENOM, amount: String(sweptValue) }] }));
    expect(AuthInfo.decode(tx.authInfoBytes).fee!.amount).toEqual([{ denom: DENOM, amount: String(FEE1) }]);

    const confirmed = await confirmIncluded(swept);
    expect(confirmed).toMatchObject({ code: 0 });
    expect(confirmed.events.find((e) => e.type === "release_confirmed")?.attributes).toMatchObject({ release_id: "2", txid: sweep.txid, amount: "0", fee: String(FEE1), sweep: "true" });
    expect((await peg.release(2)).status).toBe(ReleaseStatus.RELEASE_STATUS_CONFIRMED);
    const reserve = await peg.reserve();
    expect(reserve).toEqual({
      total: sweptValue,
      supply: D1 + D2 - 2n * PEG_IN_FEE - W0, // the waiting withdrawal's tokens are in the redemption account, not burned yet
      inFlight: 0n,
      frozen: false,
      entries: [{ displayId: changeId(sweep.txid), value: sweptValue, releaseId: 0, account: FED2.address }],
    });
    expect(await peg.reserveFederations()).toEqual([2]);
    expect(reserve.total).toBe(await side.balance(FED2.address, swept.height));
    expect(await side.balance(FED1.address, swept.height)).toBe(0n);

    // The sweep's tx pays federation 2's account, but from federation 1's: the federation's own move, never a deposit.
    const exported = await peg.exported();
    const asDeposit = await peg.claim((await side.txProof(peg, swept.hash)).proof, peg.address("user0"));
    expect({ code: asDeposit.code, codespace: asDeposit.codespace }).toEqual({ code: 24, codespace: "peg" });
    expect(asDeposit.log).toMatch(/pays the reserve address of federation 1/);
    expect(await peg.exported()).toBe(exported);
    lap("3 swept");
  });

  test("4. after the grace window a deposit to federation 1's account is not minted (peg 7): it stays in that account, in no reserve entry", async () => {
    while (peg.h.height <= retiredAt + GRACE) await peg.block();
    const sent = await hub.sendWithMemo({ to: FED1.address, amount: D3, memo: peg.address("user1") });
    expect(sent.code).toBe(0);
    const { proof } = await side.txProof(peg, sent.txhash);
    const before = await peg.exported();
    const late = await peg.claim(proof, peg.address("user1"));
    expect({ code: late.code, codespace: late.codespace }).toEqual({ code: 7, codespace: "peg" });
    expect(late.log).toMatch(new RegExp(`grace window of ${GRACE} blocks ended at height ${retiredAt + GRACE}`));
    expect(await peg.exported()).toBe(before);
    expect(await peg.h.balance(peg.address("user1"), PEGGED)).toBe(D2 - PEG_IN_FEE);
    expect(await side.balance(FED1.address, sent.height)).toBe(D3);
    expect((await peg.reserve()).total).toBe(D1 - W0 + D2 - FEE1);
    // Neither federation's account, retired or current, is a withdrawal destination (peg 13).
    for (const [address, id] of [[FED1.address, 1], [FED2.address, 2]] as const) {
      const r = await peg.withdraw("user1", 1_000_000n, address);
      expect({ code: r.code, codespace: r.codespace }).toEqual({ code: 13, codespace: "peg" });
      expect(r.log).toMatch(new RegExp(`${address} is the reserve address of federation ${id}`));
    }
    expect(await peg.h.balance(peg.address("user1"), PEGGED)).toBe(D2 - PEG_IN_FEE);
    lap("4 grace over");
  });

  test("5. federation 2's account proven, the waiting withdrawal is paid from it, signed by 3 of its 4 members; no further sweep", async () => {
    expect((await peg.releaseContext(2)).missing).not.toBe("");
    await side.relayTip(peg); // the release's timeout height counts from the client's tip
    // The relayer proves the account the ReleaseContext query says is missing: its state after the sweep's block.
    const proof = await side.accountProof(swept.height, FED2.address, FED2.rawAddress);
    const account2 = baseAccountOf(proof);
    expect(account2.sequence).toBe(0n);
    expect(account2.accountNumber).toBe((await hubAccountState(hub, FED2.address)).accountNumber);
    expect(account2.accountNumber).not.toBe(accountNumber1);
    const r = await peg.confirm({ account: proof });
    expect(r).toMatchObject({ code: 0 });
    expect(r.events.find((e) => e.type === "release_confirmed" || e.type === "release_voided")).toBeUndefined();
    const context = await peg.releaseContext(2);
    expect(context.missing).toBe("");
    expect(decodeReleaseContext(context.context)).toMatchObject({ chainId: hub.chainId });
    expect(BigInt(String(decodeReleaseContext(context.context).accountNumber))).toBe(account2.accountNumber);

    const release3 = await peg.untilRelease(3);
    const builtAt = Number(release3.builtAt);
    expect({ federationId: Number(release3.federationId), changeFederationId: Number(release3.changeFederationId) }).toEqual({ federationId: 2, changeFederationId: 2 });
    expect(contextOf(release3)).toEqual({ chainId: hub.chainId, accountNumber: account2.accountNumber, sequence: 0n, timeoutHeight: peg.endBlocks.get(builtAt)!.tip + TIMEOUT_BLOCKS, gasPriceMicro: GAS_PRICE });
    const left = D1 - W0 + D2 - FEE1 - W;
    expect(view(release3)).toEqual({
      id: 3,
      status: ReleaseStatus.RELEASE_STATUS_SIGNING,
      fee: String(FEE2),
      amount: String(W),
      withdrawalIds: [2],
      replaces: 0,
      charged: "",
      outputs: [
        [2, String(W - FEE2)],
        [0, String(left)],
      ],
    });
    expect(release3.inputs.map((i) => i.displayId)).toEqual([changeId(sweep.txid)]);

    // An old member's signature does not count; 2 new members' are below the threshold 3; a third completes it.
    const before = await peg.exported();
    const byOld = await signAs("member0", 3);
    expect({ code: byOld.code, codespace: byOld.codespace }).toEqual({ code: 4, codespace: "sdk" });
    expect(byOld.log).toMatch(/not a member of federation 2/);
    expect(await peg.exported()).toBe(before);
    for (const role of ["next0", "next1"] as const) expect(await signAs(role, 3)).toMatchObject({ code: 0 });
    expect((await peg.release(3)).status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNING);
    const signed = await side.signRelease(peg, 3, ["next3"]);
    expect(signed.signatures).toHaveLength(3);
    const included = await side.broadcast(signed);
    expect(included.code).toBe(0);
    expect(included.gasUsed).toBeLessThanOrEqual(FEE2);
    expect((await hubAccountState(hub, FED2.address)).sequence).toBe(1n);

    expect(await confirmIncluded(included)).toMatchObject({ code: 0 });
    expect(await peg.withdrawal(2)).toEqual({ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, amount: String(W), releaseId: 3, paid: String(W - FEE2) });
    expect(await side.balance(fresh("recipient 2"), included.height)).toBe(W - FEE2);
    const reserve = await peg.reserve();
    expect(reserve).toEqual({
      total: left,
      supply: D1 + D2 - 2n * PEG_IN_FEE - W0 - W,
      inFlight: 0n,
      frozen: false,
      entries: [{ displayId: changeId(release3.txid), value: left, releaseId: 0, account: FED2.address }],
    });
    expect(await peg.reserveFederations()).toEqual([2]);
    expect(reserve.total).toBe(await side.balance(FED2.address, included.height));
    // Federation 1's account holds only the late deposit, which was never in the reserve; nothing is left to sweep.
    expect(await side.balance(FED1.address, included.height)).toBe(D3);
    await peg.untilBatch();
    await peg.untilBatch();
    expect(await peg.releases()).toHaveLength(3);
    expect(peg.endEventsSince(builtAt + 1, "release_failed")).toEqual([]);
    lap("5 federation 2 pays");
  });
});
