/**
 * Attacks on the peg, performed in-process exactly as an attacker would, each asserting the secure
 * outcome: the federation's own outputs can never be claimed as deposits, a reserve entry is never
 * counted twice, an attacker's flood of unpayable withdrawals never stops the others being paid, and
 * no release ever takes more from the reserve than the tokens it burned plus the surplus.
 */
import { changeVoutOf, reserveEntryJson } from "../../test/support/peg";
import { bitcoinTxProof } from "./bitcoin/peg-flow";
import { REGTEST_CHAIN } from "../../test/support/peg";
import { createHash } from "node:crypto";
import * as btc from "@scure/btc-signer";
import { ADDRESS_PREFIX, fromBech32, toBech32 } from "../../chain/crypto/address";
import { publicKeyFromPrivate } from "../../chain/crypto/secp256k1";
import { pegzone } from "../../proto";
import { REGTEST_NETWORK } from "../../test/support/btc-wallet";
import { bitcoinFlow } from "./bitcoin/kind";
import { signReleaseInput } from "./bitcoin/sign";
import { pegTypeUrls } from "./msgs";
import { builtFromRelease, MAX_LIVE_RELEASES } from "./releases";
import {
  account,
  CONFIRMATIONS,
  DENOM,
  MAINCHAIN,
  claim,
  closeHarnesses,
  depositScenario,
  depositScript,
  federation,
  memberKeys,
  newHarness,
  pegState,
  relay,
  type Harness,
  type TestAccount,
} from "../../test/support/peg-harness";
import { TestBitcoinChain, testTx } from "../../test/support/peg";

const v1 = pegzone.peg.v1;
const { ReleaseStatus, WithdrawalStatus } = v1;
afterAll(closeHarnesses);

const ZERO_RECIPIENT = toBech32(ADDRESS_PREFIX, new Uint8Array(20));
const DESTINATION = btc.p2wpkh(publicKeyFromPrivate(createHash("sha256").update("security test destination").digest()), REGTEST_NETWORK).address!;

const withdraw = (h: Harness, from: TestAccount, amount: string, destination = DESTINATION) =>
  h.tx(from, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: from.address, mainchain: MAINCHAIN, amount, destination });
const submit = (h: Harness, member: TestAccount, release: pegzone.peg.v1.Release) =>
  h.tx(member, pegTypeUrls.submitReleaseSignatures, v1.MsgSubmitReleaseSignatures, {
    signer: member.address,
    mainchain: MAINCHAIN,
    releaseId: release.id,
    signatures: bitcoinFlow.releaseDigests(builtFromRelease(release)).map((d) => signReleaseInput(member.privateKey, d)),
  });
const releases = async (h: Harness) =>
  (await h.query("Releases", v1.QueryReleasesRequest, { mainchain: MAINCHAIN, status: ReleaseStatus.RELEASE_STATUS_UNSPECIFIED }, v1.QueryReleasesResponse)).releases.map((r) => v1.Release.create(r));
const reserve = (h: Harness) => h.query("Reserve", v1.QueryReserveRequest, { mainchain: MAINCHAIN }, v1.QueryReserveResponse);

async function untilBatch(h: Harness): Promise<void> {
  do await h.block([]);
  while (h.height % 5 !== 0);
}

/** Reserve, releases, withdrawals and the zero address's balance: what a claim of a federation output would change. */
async function fullState(h: Harness) {
  const o = { longs: String, bytes: String };
  const w = await h.query("Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: MAINCHAIN, owner: "" }, v1.QueryWithdrawalsResponse);
  return JSON.stringify({
    peg: await pegState(h),
    zero: String(await h.balance(ZERO_RECIPIENT)),
    withdrawals: v1.QueryWithdrawalsResponse.toObject(w, o),
    releases: (await releases(h)).map((r) => v1.Release.toObject(r, o)),
  });
}

describe("the federation's own outputs", () => {
  it("refuses to claim a release's change as a deposit of the zero recipient, before and after the release confirms", async () => {
    const s = await depositScenario(600_000n);
    const { h, btc: chain } = s;
    expect((await h.block([claim(h, s.valid)]))[0]).toMatchObject({ code: 0 });
    expect((await h.block([withdraw(h, h.accounts[0], "300000")]))[0]).toMatchObject({ code: 0 });
    await untilBatch(h);
    const [release] = await releases(h);
    await h.block([submit(h, memberKeys[0], release)]);
    await h.block([submit(h, memberKeys[1], release)]);
    const signed = (await releases(h))[0];
    expect(signed.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    expect(changeVoutOf(signed)).toBeGreaterThanOrEqual(0);

    const block = chain.mine([signed.signedTx]);
    chain.mineEmpty(CONFIRMATIONS - 1);
    expect((await h.block([relay(h, chain.headers(block.height))]))[0]).toMatchObject({ code: 0 });
    const claimChange = () => claim(h, { tx: signed.signedTx, vout: changeVoutOf(signed), blockHash: block.hash, merkleProof: chain.proof(block, 1), recipient: ZERO_RECIPIENT });

    // While the release is in flight its change is not in the reserve yet: still not a deposit.
    const inFlight = await fullState(h);
    const [early] = await h.block([claimChange()]);
    expect([early.codespace, early.code]).toEqual(["peg", 24]);
    expect(early.log).toMatch(/change of release 1/);
    expect(await fullState(h)).toBe(inFlight);

    const confirm = h.tx(h.accounts[2], pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, { relayer: h.accounts[2].address, mainchain: MAINCHAIN, proof: bitcoinTxProof({ tx: signed.signedTx, blockHash: block.hash, merkleProof: chain.proof(block, 1) }) });
    expect((await h.block([confirm]))[0]).toMatchObject({ code: 0 });
    const settled = await fullState(h);
    const [late] = await h.block([claimChange()]);
    expect([late.codespace, late.code]).toEqual(["peg", 24]);
    expect(await fullState(h)).toBe(settled);
    const r = await reserve(h);
    expect(r).toMatchObject({ total: "300000", supply: "299000" });
    expect(await h.balance(ZERO_RECIPIENT)).toBe(0n);
  });

  it("gives the reserve an address no recipient's deposit address can equal, and refuses it as a withdrawal destination", async () => {
    const reserveAddress = bitcoinFlow.reserveAddress(REGTEST_CHAIN, federation);
    const zeroDeposit = bitcoinFlow.depositAddress(REGTEST_CHAIN, federation, new Uint8Array(20));
    expect(reserveAddress.address).not.toBe(zeroDeposit.address);
    // A deposit script starts with a 20-byte push (the recipient), a reserve script with a 33-byte key.
    expect(zeroDeposit.witnessScript[0]).toBe(20);
    expect(reserveAddress.witnessScript[0]).toBe(33);

    const s = await depositScenario(600_000n);
    const { h } = s;
    expect((await h.block([claim(h, s.valid)]))[0]).toMatchObject({ code: 0 });
    const before = await fullState(h);
    const [res] = await h.block([withdraw(h, h.accounts[0], "300000", reserveAddress.address)]);
    expect([res.codespace, res.code]).toEqual(["peg", 13]);
    expect(await fullState(h)).toBe(before);
  });

  it("refuses an output paying the reserve address, whoever claims it for whom", async () => {
    const h = await newHarness();
    const chain = new TestBitcoinChain();
    const tx = testTx("pays the reserve address", [{ value: 50_000n, scriptPubKey: bitcoinFlow.reserveAddress(REGTEST_CHAIN, federation).script }]);
    const block = chain.mine([tx]);
    chain.mineEmpty(CONFIRMATIONS - 1);
    await h.block([relay(h, chain.headers(1))]);
    const before = await fullState(h);
    const [res] = await h.block([claim(h, { tx, vout: 0, blockHash: block.hash, merkleProof: chain.proof(block, 1), recipient: ZERO_RECIPIENT })]);
    expect([res.codespace, res.code]).toEqual(["peg", 24]);
    expect(await fullState(h)).toBe(before);
  });

  it("refuses a genesis that lists a reserve entry twice", async () => {
    const entry = reserveEntryJson({
      mainchain: MAINCHAIN,
      txid: "ab".repeat(32),
      vout: 0,
      value: "50000",
      script: depositScript(toBech32(ADDRESS_PREFIX, new Uint8Array(20).fill(1))),
      witnessScript: new Uint8Array(),
      federationId: 1,
    });
    await expect(newHarness({}, [], [], { reserve: [entry, { ...entry, value: "70000" }] })).rejects.toThrow(/peg.*25|already in the reserve/s);
  });
});

describe("malformed recipients", () => {
  const longRecipient = toBech32(ADDRESS_PREFIX, new Uint8Array(32).fill(7));

  it("refuses a 32-byte recipient in a claim, a registration and a deposit-address query with sdk code 7", async () => {
    const s = await depositScenario(50_000n);
    const { h } = s;
    const before = await pegState(h);
    const [claimed] = await h.block([claim(h, { ...s.valid, recipient: longRecipient })]);
    expect([claimed.codespace, claimed.code]).toEqual(["sdk", 7]);
    const from = h.accounts[1];
    const register = h.tx(from, pegTypeUrls.registerDepositAddress, v1.MsgRegisterDepositAddress, { sender: from.address, mainchain: MAINCHAIN, recipient: longRecipient });
    const [registered] = await h.block([register]);
    expect([registered.codespace, registered.code]).toEqual(["sdk", 7]);
    expect(await pegState(h)).toBe(before);
    await expect(h.query("DepositAddress", v1.QueryDepositAddressRequest, { mainchain: MAINCHAIN, recipient: longRecipient }, v1.QueryDepositAddressResponse)).rejects.toThrow(/sdk\/7 .*32-byte/);
  });
});

describe("peg-out progress", () => {
  /**
   * The attacker deposits 1,200 outputs of 10,000 sat and queues 100 withdrawals of 100,000 sat, each
   * needing ten of them: together far more than one standard transaction can spend. An honest holder's
   * withdrawal of 200,000 sat waits behind them.
   */
  it("pays a payable withdrawal queued behind a hundred that cannot be paid in one transaction, within a bounded number of batches", async () => {
    const h = await newHarness({ reserve_cap: "100000000" });
    const [honest, attacker] = h.accounts;
    const chain = new TestBitcoinChain();
    const honestDeposit = testTx("honest deposit", [{ value: 500_000n, scriptPubKey: depositScript(honest.address) }]);
    const attackTxs = Array.from({ length: 4 }, (_, t) => testTx(`attacker deposits ${t}`, Array.from({ length: 300 }, () => ({ value: 10_000n, scriptPubKey: depositScript(attacker.address) }))));
    const block = chain.mine([honestDeposit, ...attackTxs]);
    chain.mineEmpty(CONFIRMATIONS - 1);
    expect((await h.block([relay(h, chain.headers(1))]))[0]).toMatchObject({ code: 0 });
    const claimOf = (index: number, tx: Uint8Array, vout: number, recipient: string) => claim(h, { tx, vout, blockHash: block.hash, merkleProof: chain.proof(block, index), recipient });
    expect((await h.block([claimOf(1, honestDeposit, 0, honest.address)]))[0]).toMatchObject({ code: 0 });
    for (const [t, tx] of attackTxs.entries()) {
      const results = await h.block(Array.from({ length: 300 }, (_, vout) => claimOf(2 + t, tx, vout, attacker.address)));
      expect(results.every((r) => r.code === 0)).toBe(true);
    }
    expect(await h.balance(attacker.address)).toBe(1200n * 9_000n);

    const flood = await h.block(Array.from({ length: 100 }, () => withdraw(h, attacker, "100000")));
    expect(flood.every((r) => r.code === 0)).toBe(true);
    const [mine] = await h.block([withdraw(h, honest, "200000")]);
    expect(mine).toMatchObject({ code: 0 });
    const honestId = 101;

    const statusOf = async (id: number) =>
      (await h.query("Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: MAINCHAIN, ids: [id] }, v1.QueryWithdrawalsResponse)).withdrawals[0].status;
    let batches = 0;
    let paidBefore = 0;
    while ((await statusOf(honestId)) === WithdrawalStatus.WITHDRAWAL_STATUS_PENDING) {
      await untilBatch(h);
      batches++;
      const paid = (await releases(h)).reduce((n, r) => n + r.withdrawalIds.length, 0);
      expect(paid).toBeGreaterThan(paidBefore); // every batch pays someone
      paidBefore = paid;
      expect(batches).toBeLessThanOrEqual(8);
    }
    console.log(`honest withdrawal in a release after ${batches} batches; releases: ${(await releases(h)).map((r) => `${r.id}:${r.withdrawalIds.length}w/${r.inputs.length}in`).join(" ")}`);
    const live = (await releases(h)).filter((r) => r.status === ReleaseStatus.RELEASE_STATUS_SIGNING);
    expect(live.length).toBeLessThanOrEqual(MAX_LIVE_RELEASES);
    const honestRelease = live.find((r) => r.withdrawalIds.map(Number).includes(honestId))!;
    expect(honestRelease.inputs.length).toBeLessThanOrEqual(bitcoinFlow.maxReleaseInputs);
    // Many small outputs are merged by a consolidation (current federation to itself), paid from the surplus.
    const consolidation = live.find((r) => r.withdrawalIds.length === 0);
    expect(consolidation).toMatchObject({ federationId: 1, changeFederationId: 1, amount: "0" });
    const r = await reserve(h);
    expect(r.freeze?.frozen ?? false).toBe(false);
    expect(BigInt(r.supply) + BigInt(r.pending)).toBeLessThanOrEqual(BigInt(r.total));
  });
});

describe("the surplus rule", () => {
  it("refuses a genesis whose peg-in fee is below the dust limit", async () => {
    await expect(newHarness({ peg_in_fee: "500" })).rejects.toThrow(/peg_in_fee must be at least the dust limit 546/);
  });

  it("builds no release that would give change below dust to the miner out of the backing when the surplus cannot cover it", async () => {
    // Genesis: one reserve output of 600,000 sat backing exactly 600,000 tokens (no surplus at all).
    const owner = [0, 1, 2, 3].map((i) => account(i))[0];
    const deposit = bitcoinFlow.depositAddress(REGTEST_CHAIN, federation, fromBech32(owner.address, ADDRESS_PREFIX));
    const entry = reserveEntryJson({ mainchain: MAINCHAIN, txid: "cd".repeat(32), vout: 0, value: "600000", script: deposit.script, witnessScript: deposit.witnessScript, federationId: 1 });
    const h = await newHarness({}, [{ address: owner.address, coins: [{ denom: DENOM, amount: "600000" }] }], [], { reserve: [entry] });
    await h.block([]);
    expect((await reserve(h)).freeze?.frozen ?? false).toBe(false);
    expect((await h.block([withdraw(h, h.accounts[0], "599700")]))[0]).toMatchObject({ code: 0 });
    await untilBatch(h);
    expect(await releases(h)).toHaveLength(0);
    const failed = h.blockEvents.find((e) => e.type === "release_failed");
    expect(failed?.attributes.reason).toMatch(/take 300 from the reserve beyond the 599700 it burns .* more than the surplus 0/);
    const r = await reserve(h);
    expect(r).toMatchObject({ total: "600000", supply: "600000", pending: "0" });
    expect(r.freeze?.frozen ?? false).toBe(false);
  });
});

