/**
 * Peg-out in-process: withdrawals, the release the chain builds, federation signatures (2 of 3),
 * confirmation through the light client, and every forged input each step must refuse.
 */
import { changeVoutOf } from "../../test/support/peg";
import { bitcoinTxProof } from "./bitcoin/peg-flow";
import { createHash } from "node:crypto";
import * as btc from "@scure/btc-signer";
import { publicKeyFromPrivate } from "../../chain/crypto/secp256k1";
import { pegzone } from "../../proto";
import { REGTEST_NETWORK } from "../../test/support/btc-wallet";
import { parseTx, txid as txidOf } from "../../light-client/bitcoin/tx";
import { toDisplayHex } from "../../light-client/bitcoin/bytes";
import { bitcoinFlow } from "./bitcoin/kind";
import { signReleaseInput } from "./bitcoin/sign";
import { pegTypeUrls } from "./msgs";
import { builtFromRelease } from "./releases";
import { CONFIRMATIONS, MAINCHAIN, claim, closeHarnesses, depositScenario, memberKeys, relay, type Harness, type TestAccount } from "../../test/support/peg-harness";

const v1 = pegzone.peg.v1;
afterAll(closeHarnesses);
const { ReleaseStatus, WithdrawalStatus } = v1;
const destinationKey = createHash("sha256").update("withdrawal destination").digest();
const DESTINATION = btc.p2wpkh(publicKeyFromPrivate(destinationKey), REGTEST_NETWORK).address!;

const withdraw = (h: Harness, from: TestAccount, amount: string, destination = DESTINATION) =>
  h.tx(from, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: from.address, mainchain: MAINCHAIN, amount, destination });

const submit = (h: Harness, member: TestAccount, releaseId: number, signatures: Uint8Array[]) =>
  h.tx(member, pegTypeUrls.submitReleaseSignatures, v1.MsgSubmitReleaseSignatures, { signer: member.address, mainchain: MAINCHAIN, releaseId, signatures });

async function releases(h: Harness, status = ReleaseStatus.RELEASE_STATUS_UNSPECIFIED) {
  return (await h.query("Releases", v1.QueryReleasesRequest, { mainchain: MAINCHAIN, status }, v1.QueryReleasesResponse)).releases.map((r) => v1.Release.create(r));
}

function signaturesOf(member: TestAccount, release: pegzone.peg.v1.Release): Uint8Array[] {
  return bitcoinFlow.releaseDigests(builtFromRelease(release)).map((d) => signReleaseInput(member.privateKey, d));
}

/** Blocks until the next batch height (a multiple of 5) has run. */
async function untilBatch(h: Harness): Promise<void> {
  do await h.block([]);
  while (h.height % 5 !== 0);
}

/** Everything peg-out may change, to compare before and after a refused message. */
async function pegOutState(h: Harness) {
  const reserve = await h.query("Reserve", v1.QueryReserveRequest, { mainchain: MAINCHAIN }, v1.QueryReserveResponse);
  const w = await h.query("Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: MAINCHAIN, owner: "" }, v1.QueryWithdrawalsResponse);
  const rs = await releases(h);
  const balances = await Promise.all(h.accounts.map((a) => h.balance(a.address)));
  const o = { longs: String, bytes: String };
  return JSON.stringify({
    reserve: v1.QueryReserveResponse.toObject(reserve, o),
    withdrawals: v1.QueryWithdrawalsResponse.toObject(w, o),
    releases: rs.map((r) => v1.Release.toObject(r, o)),
    balances: balances.map(String),
  });
}

/** A claimed deposit of 600,000 sat to account 0 (599,000 minted), then a withdrawal of 300,000 built into a release. */
async function releaseScenario() {
  const s = await depositScenario(600_000n);
  const { h } = s;
  expect((await h.block([claim(h, s.valid)]))[0]).toMatchObject({ code: 0 });
  const [w] = await h.block([withdraw(h, h.accounts[0], "300000")]);
  expect(w).toMatchObject({ code: 0 });
  await untilBatch(h);
  const [release] = await releases(h, ReleaseStatus.RELEASE_STATUS_SIGNING);
  expect(release).toBeDefined();
  return { ...s, release };
}

describe("peg-out", () => {
  it("builds a release, takes 2 of 3 signatures, and a proven confirmation settles the reserve and the supply", async () => {
    const { h, btc: chain, release } = await releaseScenario();
    expect(release.withdrawalIds.map(Number)).toEqual([1]);
    const reserve0 = await h.query("Reserve", v1.QueryReserveRequest, { mainchain: MAINCHAIN }, v1.QueryReserveResponse);
    expect(reserve0).toMatchObject({ total: "600000", supply: "299000", pending: "300000" });

    expect((await h.block([submit(h, memberKeys[0], Number(release.id), signaturesOf(memberKeys[0], release))]))[0]).toMatchObject({ code: 0 });
    expect((await releases(h, ReleaseStatus.RELEASE_STATUS_SIGNING))[0].signatures).toHaveLength(1);
    expect((await h.block([submit(h, memberKeys[2], Number(release.id), signaturesOf(memberKeys[2], release))]))[0]).toMatchObject({ code: 0 });
    const [signed] = await releases(h, ReleaseStatus.RELEASE_STATUS_SIGNED);
    const tx = parseTx(signed.signedTx);
    expect(toDisplayHex(tx.txid)).toBe(release.txid);
    expect(tx.inputs[0].witness).toHaveLength(3 + 1); // two signatures, one empty item, the script
    const paid = tx.outputs.find((o) => Buffer.from(o.scriptPubKey).equals(Buffer.from(btc.OutScript.encode(btc.Address(REGTEST_NETWORK).decode(DESTINATION)))));
    expect(paid!.value).toBe(300_000n - BigInt(signed.fee));

    const block = chain.mine([signed.signedTx]);
    chain.mineEmpty(CONFIRMATIONS - 1);
    await h.block([relay(h, chain.headers(block.height))]);
    const confirm = h.tx(h.accounts[2], pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, { relayer: h.accounts[2].address, mainchain: MAINCHAIN, proof: bitcoinTxProof({ tx: signed.signedTx, blockHash: block.hash, merkleProof: chain.proof(block, 1) }) });
    expect((await h.block([confirm]))[0]).toMatchObject({ code: 0 });

    const reserve = await h.query("Reserve", v1.QueryReserveRequest, { mainchain: MAINCHAIN }, v1.QueryReserveResponse);
    expect(reserve).toMatchObject({ total: "300000", supply: "299000", pending: "0" });
    expect(reserve.entries).toHaveLength(1);
    expect(reserve.entries[0]).toMatchObject({ displayId: `${release.txid}:${changeVoutOf(signed)}`, value: "300000" });
    const [w] = (await h.query("Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: MAINCHAIN, owner: h.accounts[0].address }, v1.QueryWithdrawalsResponse)).withdrawals;
    expect(w).toMatchObject({ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, paid: (300_000n - BigInt(signed.fee)).toString() });
    const byId = await h.query("Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: MAINCHAIN, ids: [1] }, v1.QueryWithdrawalsResponse);
    expect(byId.withdrawals.map((x) => Number(x.id))).toEqual([1]);
    await expect(h.query("Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: MAINCHAIN, ids: [7] }, v1.QueryWithdrawalsResponse)).rejects.toThrow(/no withdrawal 7/);
    expect((await releases(h))[0].status).toBe(ReleaseStatus.RELEASE_STATUS_CONFIRMED);
    expect(txidOf(signed.signedTx)).toEqual(tx.txid);
  });

  it("refuses a signature by a non-member, over another digest, or twice from one member, with no state change", async () => {
    const { h, release } = await releaseScenario();
    await h.block([submit(h, memberKeys[1], Number(release.id), signaturesOf(memberKeys[1], release))]);
    const before = await pegOutState(h);
    const outsider = h.accounts[1];
    const forgedDigest = createHash("sha256").update("another transaction").digest();
    const cases: Array<[string, Uint8Array, [string, number]]> = [
      ["a non-member", submit(h, outsider, Number(release.id), signaturesOf(outsider, release)), ["sdk", 4]],
      ["a signature over another digest", submit(h, memberKeys[0], Number(release.id), [signReleaseInput(memberKeys[0].privateKey, forgedDigest)]), ["peg", 18]],
      ["a member's key signing for another member", submit(h, memberKeys[2], Number(release.id), signaturesOf(memberKeys[0], release)), ["peg", 18]],
      ["a second signature from the same member", submit(h, memberKeys[1], Number(release.id), signaturesOf(memberKeys[1], release)), ["peg", 17]],
      ["an unknown release", submit(h, memberKeys[0], 99, signaturesOf(memberKeys[0], release)), ["peg", 15]],
    ];
    for (const [name, tx, expErr] of cases) {
      const [res] = await h.block([tx]);
      expect({ name, got: [res.codespace, res.code] }).toEqual({ name, got: expErr });
      expect(await pegOutState(h)).toBe(before);
    }
  });

  it("refuses withdrawals to another network's address, over the balance or under the minimum, with no state change", async () => {
    const { h } = await depositScenario(600_000n).then(async (s) => {
      await s.h.block([claim(s.h, s.valid)]);
      return s;
    });
    const before = await pegOutState(h);
    const mainnet = btc.p2wpkh(publicKeyFromPrivate(destinationKey), btc.NETWORK).address!;
    const cases: Array<[string, Uint8Array, [string, number]]> = [
      ["a mainnet address on regtest", withdraw(h, h.accounts[0], "200000", mainnet), ["peg", 13]],
      ["a malformed address", withdraw(h, h.accounts[0], "200000", "bcrt1qnotanaddress"), ["peg", 13]],
      ["more than the balance", withdraw(h, h.accounts[0], "599001"), ["sdk", 5]],
      ["someone with no pegged tokens", withdraw(h, h.accounts[1], "200000"), ["sdk", 5]],
      ["under the minimum", withdraw(h, h.accounts[0], "99999"), ["peg", 8]],
    ];
    for (const [name, tx, expErr] of cases) {
      const [res] = await h.block([tx]);
      expect({ name, got: [res.codespace, res.code] }).toEqual({ name, got: expErr });
      expect(await pegOutState(h)).toBe(before);
    }
  });

  it("refuses a confirmation proof for a transaction that is not the release", async () => {
    const { h, btc: chain, depositTx, release } = await releaseScenario();
    const block = chain.mine([]);
    chain.mineEmpty(CONFIRMATIONS);
    await h.block([relay(h, chain.headers(block.height))]);
    const before = await pegOutState(h);
    const first = chain.blocks[1];
    const [res] = await h.block([
      h.tx(h.accounts[2], pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, { relayer: h.accounts[2].address, mainchain: MAINCHAIN, proof: bitcoinTxProof({ tx: depositTx, blockHash: first.hash, merkleProof: chain.proof(first, 1) }) }),
    ]);
    expect([res.codespace, res.code]).toEqual(["peg", 15]);
    expect(await pegOutState(h)).toBe(before);
    expect((await releases(h))[0].id).toBe(release.id);
  });

  it("returns a withdrawal's tokens on cancel while pending, and refuses to cancel once in a release", async () => {
    const s = await depositScenario(600_000n);
    const { h } = s;
    await h.block([claim(h, s.valid)]);
    await h.block([withdraw(h, h.accounts[0], "200000")]);
    expect(await h.balance(h.accounts[0].address)).toBe(399_000n);
    const cancel = (id: number) => h.tx(h.accounts[0], pegTypeUrls.cancelWithdrawal, v1.MsgCancelWithdrawal, { owner: h.accounts[0].address, mainchain: MAINCHAIN, id });
    expect((await h.block([cancel(1)]))[0]).toMatchObject({ code: 0 });
    expect(await h.balance(h.accounts[0].address)).toBe(599_000n);
    await h.block([withdraw(h, h.accounts[0], "200000")]);
    await untilBatch(h);
    const [res] = await h.block([cancel(2)]);
    expect([res.codespace, res.code]).toEqual(["peg", 14]);
    expect(await h.balance(h.accounts[0].address)).toBe(399_000n);
  });

  it("rebuilds an unconfirmed release with twice the fee rate after the timeout, paying each withdrawal once", async () => {
    const { h, release } = await releaseScenario();
    for (let i = 0; i < 20; i++) await h.block([]);
    const all = await releases(h);
    expect(all.map((r) => r.status)).toEqual([ReleaseStatus.RELEASE_STATUS_REPLACED, ReleaseStatus.RELEASE_STATUS_SIGNING]);
    const bumped = all[1];
    expect(Number(bumped.replaces)).toBe(Number(release.id));
    expect(BigInt(bumped.fee)).toBeGreaterThan(BigInt(release.fee));
    expect(bumped.inputs).toEqual(release.inputs);
    const reserve = await h.query("Reserve", v1.QueryReserveRequest, { mainchain: MAINCHAIN }, v1.QueryReserveResponse);
    expect(reserve).toMatchObject({ pending: "300000", supply: "299000" });
  });

  it("two apps fed the same blocks build byte-identical releases", async () => {
    const a = await releaseScenario();
    const b = await releaseScenario();
    expect(Buffer.from(b.release.payload).equals(Buffer.from(a.release.payload))).toBe(true);
    expect(b.release.txid).toBe(a.release.txid);
    const [infoA, infoB] = await Promise.all([a.h.app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" }), b.h.app.info({ version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" })]);
    expect(Buffer.from(infoB.lastBlockAppHash).equals(Buffer.from(infoA.lastBlockAppHash))).toBe(true);
  });
});

