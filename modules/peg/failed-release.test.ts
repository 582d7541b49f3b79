/**
 * applyFailedRelease (releases.ts), in process, through a real MsgConfirmRelease: a release a
 * sequential kind proved will never pay. The kind is the fake kind (test/support/fake-kind) with its
 * release flow made sequential, whose proveRelease, given a JSON `decide` proof, returns the "failed"
 * outcomes the proof names (and otherwise proves a signed release's inclusion as the fake kind does).
 * Each release is built the normal way: a claimed deposit of 600,000 (peg-in fee 1,000: the surplus),
 * withdrawals requested, the batch height. Then the failure is applied and the table's expectations
 * checked: the reserve, supply, in flight, the withdrawals, the release, the event, and the invariant
 * supply + in flight ≤ reserve.
 */
import { createHash } from "node:crypto";
import { MAINCHAIN_KINDS, PEG_REDEMPTION } from "../../app/pegzone";
import { ADDRESS_PREFIX, toBech32 } from "../../chain/crypto/address";
import { pegzone } from "../../proto";
import { closeHarnesses, federation, federationJson, memberKeys, newHarness, type Harness, type TestAccount } from "../../test/support/peg-harness";
import { control, FAKE_PARAMS_TYPE, FakeChain, fakeAddress, fakeFlow, fakeKind, fakeSign, RELEASE_PROOF_TYPE } from "../../test/support/fake-kind";
import { moduleAddress } from "../auth/keeper";
import type { MainChainKind, ReleaseFlow, ReleaseOutcome } from "./kinds";
import { pegTypeUrls } from "./msgs";
import { builtFromRelease } from "./releases";

const v1 = pegzone.peg.v1;
const { ReleaseStatus, WithdrawalStatus } = v1;
type Release = pegzone.peg.v1.Release;
type TxResult = Awaited<ReturnType<Harness["block"]>>[number];
afterAll(closeHarnesses);

const FAKE = "fake-main";
const DENOM = `peg/${FAKE}`;
const CONFIRMATIONS = 3;
const SECOND = 1_000_000_000n;
const START = 1_296_688_602n + 600n * 5000n;
const DEPOSIT = 600_000n;
const PEG_IN_FEE = 1_000n;
/** The fake kind's release fee: rate 10 × 10 units, within max_fee 100. */
const FEE = 100n;
const REDEMPTION = toBech32(ADDRESS_PREFIX, moduleAddress(PEG_REDEMPTION));
const DESTINATION = `fake1${createHash("sha256").update("failed release destination").digest("hex")}`;
const RESERVE_TAG = Buffer.from("reserve");

// ---- a sequential fake kind

/** One failed outcome a `decide` proof asks for. */
interface Decision {
  readonly txid: string;
  readonly reason: string;
  readonly charged: bigint;
  readonly remainder?: { readonly id: string; readonly value: bigint };
}

/** The fake federation's own reserve data, as a remainder entry must carry it to be spent again. */
function remainderData(): Uint8Array {
  const c = control(federation);
  return Buffer.from(JSON.stringify({ address: fakeAddress(c, RESERVE_TAG), control: Buffer.from(c).toString("hex"), tag: RESERVE_TAG.toString("hex") }));
}

const sequentialFlow: ReleaseFlow = {
  ...fakeFlow,
  sequential: true,
  consolidates: false,
  async proveRelease(stores, chain, proof, now, live, federations): Promise<ReleaseOutcome[]> {
    let parsed: { decide?: Array<{ txid: string; reason: string; charged: string; remainder?: { id: string; value: string } }> } = {};
    try {
      parsed = JSON.parse(Buffer.from(proof).toString("utf8"));
    } catch {
      /* not a decision: a block proof */
    }
    if (parsed.decide === undefined) return fakeFlow.proveRelease(stores, chain, proof, now, live, federations);
    return parsed.decide.map((d) => ({
      txid: d.txid,
      outcome: "failed",
      reason: d.reason,
      charged: BigInt(d.charged),
      ...(d.remainder === undefined
        ? {}
        : { remainder: { id: Uint8Array.from(Buffer.from(d.remainder.id, "hex")), displayId: d.remainder.id, value: BigInt(d.remainder.value), data: remainderData() } }),
    }));
  },
};
const sequentialKind: MainChainKind = { ...fakeKind, releases: sequentialFlow };
const KINDS: Readonly<Record<string, MainChainKind>> = { ...MAINCHAIN_KINDS, fake: sequentialKind };

function decideProof(decisions: readonly Decision[]): { type_url: string; value: Uint8Array } {
  const decide = decisions.map((d) => ({
    txid: d.txid,
    reason: d.reason,
    charged: d.charged.toString(),
    ...(d.remainder === undefined ? {} : { remainder: { id: d.remainder.id, value: d.remainder.value.toString() } }),
  }));
  return { type_url: RELEASE_PROOF_TYPE, value: Buffer.from(JSON.stringify({ decide })) };
}

/** The remainder a kind would report for `release` charged `charged`: a fresh entry worth its inputs − charged. */
function remainderOf(release: Release, charged: bigint, value = inputsOf(release) - charged): Decision["remainder"] {
  return { id: createHash("sha256").update(`remainder:${release.txid}`).digest("hex"), value };
}

const inputsOf = (release: Release) => release.inputs.reduce((sum, i) => sum + BigInt(i.value!), 0n);

// ---- the session

interface Session {
  readonly h: Harness;
  readonly chain: FakeChain;
  relayNew(): Promise<void>;
}

async function start(): Promise<Session> {
  const chain = new FakeChain({ seed: "failed release", genesisTime: (START - 100n) * SECOND });
  const entry = {
    id: FAKE,
    client_type: "fake",
    min_deposit: "10000",
    peg_in_fee: PEG_IN_FEE.toString(),
    reserve_cap: "1000000",
    // Small withdrawals, so that a charged fee's share can exceed one (the fake kind wants min_withdrawal > max_fee).
    min_withdrawal: "200",
    batch_interval: 5,
    max_fee: FEE.toString(),
    release_timeout: 20,
    federation_grace: 0,
    federation: federationJson,
    params: { "@type": FAKE_PARAMS_TYPE, confirmations: CONFIRMATIONS },
    checkpoint: chain.registration(),
  };
  const h = await newHarness({}, [], [], {}, { extraMainchains: [entry], kinds: KINDS, startTime: START });
  await h.block([]);
  let relayed = chain.tipHeight;
  const relayNew = async () => {
    const messages = chain.messages(relayed + 1);
    if (messages.length === 0) return;
    const results = await h.block(messages.map((m) => h.tx(h.accounts[2], pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: h.accounts[2].address, mainchain: FAKE, headers: [m] })));
    expect(results.map((r) => r.code)).toEqual(messages.map(() => 0));
    relayed = chain.tipHeight;
  };
  return { h, chain, relayNew };
}

const depositAddress = (h: Harness, recipient: string) => h.query("DepositAddress", v1.QueryDepositAddressRequest, { mainchain: FAKE, recipient }, v1.QueryDepositAddressResponse);
const withdraw = (h: Harness, from: TestAccount, amount: bigint) =>
  h.tx(from, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: from.address, mainchain: FAKE, amount: amount.toString(), destination: DESTINATION });
const confirm = (h: Harness, proof: { type_url: string; value: Uint8Array }) =>
  h.tx(h.accounts[2], pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, { relayer: h.accounts[2].address, mainchain: FAKE, proof });
const submit = (h: Harness, member: TestAccount, release: Release) =>
  h.tx(member, pegTypeUrls.submitReleaseSignatures, v1.MsgSubmitReleaseSignatures, {
    signer: member.address,
    mainchain: FAKE,
    releaseId: Number(release.id),
    signatures: fakeFlow.releaseDigests(builtFromRelease(release)).map((d) => fakeSign(member.privateKey, d)),
  });
const reserve = (h: Harness) => h.query("Reserve", v1.QueryReserveRequest, { mainchain: FAKE }, v1.QueryReserveResponse);
const withdrawals = async (h: Harness) => (await h.query("Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: FAKE, owner: "" }, v1.QueryWithdrawalsResponse)).withdrawals;
const releases = async (h: Harness) =>
  (await h.query("Releases", v1.QueryReleasesRequest, { mainchain: FAKE, status: ReleaseStatus.RELEASE_STATUS_UNSPECIFIED }, v1.QueryReleasesResponse)).releases.map((r) => v1.Release.create(r));
const hex = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString("hex");
const codeOf = (r: TxResult) => [r.codespace, r.code];

async function untilBatch(h: Harness): Promise<void> {
  do await h.block([]);
  while (h.height % 5 !== 0);
}

/** Everything a refused confirmation must leave as it was. */
async function snapshot(s: Session): Promise<string> {
  const o = { longs: String, bytes: String };
  const balances = await Promise.all([...s.h.accounts.map((a) => a.address), REDEMPTION].map((a) => s.h.balance(a, DENOM)));
  return JSON.stringify({
    reserve: v1.QueryReserveResponse.toObject(await reserve(s.h), o),
    withdrawals: (await withdrawals(s.h)).map((w) => v1.Withdrawal.toObject(v1.Withdrawal.create(w), o)),
    releases: (await releases(s.h)).map((r) => v1.Release.toObject(r, o)),
    balances: balances.map(String),
  });
}

/** reserve − supply − in flight: never negative, and what the table says it is. */
async function surplusOf(h: Harness): Promise<bigint> {
  const r = await reserve(h);
  return BigInt(r.total) - BigInt(r.supply) - BigInt(r.pending);
}

/** A claimed deposit of 600,000 to account 0, its withdrawals of `amounts` (ids 1..n, in order), and the release built at the next batch height. */
async function releaseOf(amounts: readonly bigint[]): Promise<{ s: Session; release: Release; entryId: string }> {
  const s = await start();
  const { h, chain } = s;
  const owner = h.accounts[0];
  const to = (await depositAddress(h, owner.address)).address;
  const block = chain.mine([chain.depositTx(to, DEPOSIT, "the deposit")]);
  chain.mineEmpty(CONFIRMATIONS - 1);
  await s.relayNew();
  const [claimed] = await h.block([h.tx(h.accounts[2], pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: h.accounts[2].address, mainchain: FAKE, recipient: owner.address, proof: chain.depositProof(block, 0) })]);
  expect(claimed).toMatchObject({ code: 0 });
  const entryId = hex((await reserve(h)).entries[0].id);
  const requested = await h.block(amounts.map((a) => withdraw(h, owner, a)));
  expect(requested.map((r) => r.code)).toEqual(amounts.map(() => 0));
  await untilBatch(h);
  const [release] = await releases(h);
  expect(release).toMatchObject({ status: ReleaseStatus.RELEASE_STATUS_SIGNING, amount: amounts.reduce((a, b) => a + b, 0n).toString(), fee: FEE.toString() });
  expect(release.withdrawalIds.map(Number)).toEqual(amounts.map((_, i) => i + 1));
  expect(release.inputs.map((i) => hex(i.id))).toEqual([entryId]);
  // Before the failure: the surplus is the peg-in fee; the release costs nothing beyond what it burned.
  expect(await surplusOf(h)).toBe(PEG_IN_FEE);
  return { s, release, entryId };
}

/** Signs (2 of 3) and confirms `release` the normal way. */
async function signAndConfirm(s: Session, release: Release): Promise<void> {
  const signed = await s.h.block([submit(s.h, memberKeys[0], release), submit(s.h, memberKeys[1], release)]);
  expect(signed.map((r) => r.code)).toEqual([0, 0]);
  const done = (await releases(s.h)).find((r) => Number(r.id) === Number(release.id))!;
  expect(done.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
  const block = s.chain.mine([done.signedTx]);
  s.chain.mineEmpty(CONFIRMATIONS - 1);
  await s.relayNew();
  const [ok] = await s.h.block([confirm(s.h, s.chain.releaseProof(block, 0))]);
  expect(ok).toMatchObject({ code: 0 });
}

// ---- the table

interface WithdrawalExpect {
  readonly status: pegzone.peg.v1.WithdrawalStatus;
  readonly amount: bigint;
  readonly paid: string;
}

interface Applied {
  /** Reserve total, supply, in flight after the failure. */
  readonly total: bigint;
  readonly supply: bigint;
  readonly pending: bigint;
  /** reserve − supply − in flight after it (≥ 0: the invariant). */
  readonly surplus: bigint;
  /** The reserve's entries: the freed input ("input") or the remainder ("remainder"), with their values. */
  readonly entries: ReadonlyArray<{ readonly which: "input" | "remainder"; readonly value: bigint }>;
  readonly withdrawals: readonly WithdrawalExpect[];
  readonly chargedToWithdrawals: bigint;
}

interface Case {
  readonly name: string;
  readonly setup: {
    readonly withdrawals: readonly bigint[];
    /** Done to the release before the failure is proven (e.g. confirm it, or fail it once). */
    readonly before?: (s: Session, release: Release) => Promise<void>;
    /** The failures the proof decides. */
    readonly decide: (release: Release) => Decision[];
  };
  readonly expect: { readonly refused: { readonly code: [string, number]; readonly log: RegExp } } | { readonly applied: Applied };
}

const REASON = "not included by its timeout height";
const failed = (release: Release, charged: bigint, remainder: Decision["remainder"] | "none" = charged > 0n ? remainderOf(release, charged) : undefined): Decision => ({
  txid: release.txid,
  reason: REASON,
  charged,
  remainder: remainder === "none" ? undefined : remainder,
});
const pending = (amount: bigint): WithdrawalExpect => ({ status: WithdrawalStatus.WITHDRAWAL_STATUS_PENDING, amount, paid: "" });
const ONE = [300_000n];
const THREE = [100_000n, 50_000n, 20_000n];

const CASES: Case[] = [
  {
    name: "1. charged 0: the input is freed, the withdrawal pending with its amount, its tokens minted back, nothing in flight",
    setup: { withdrawals: ONE, decide: (r) => [failed(r, 0n)] },
    expect: {
      applied: {
        total: DEPOSIT,
        supply: DEPOSIT - PEG_IN_FEE,
        pending: 0n,
        surplus: PEG_IN_FEE,
        entries: [{ which: "input", value: DEPOSIT }],
        withdrawals: [pending(300_000n)],
        chargedToWithdrawals: 0n,
      },
    },
  },
  {
    name: "1b. charged 0 with a remainder reported anyway: the remainder is ignored",
    setup: { withdrawals: ONE, decide: (r) => [failed(r, 0n, remainderOf(r, 0n, 12_345n))] },
    expect: {
      applied: { total: DEPOSIT, supply: DEPOSIT - PEG_IN_FEE, pending: 0n, surplus: PEG_IN_FEE, entries: [{ which: "input", value: DEPOSIT }], withdrawals: [pending(300_000n)], chargedToWithdrawals: 0n },
    },
  },
  {
    name: "2. charged 400 ≤ the surplus 1,000: the input leaves, the remainder (inputs − charged) joins; the withdrawal keeps its amount; the reserve drops by 400",
    setup: { withdrawals: ONE, decide: (r) => [failed(r, 400n)] },
    expect: {
      applied: {
        total: DEPOSIT - 400n,
        supply: DEPOSIT - PEG_IN_FEE,
        pending: 0n,
        surplus: PEG_IN_FEE - 400n,
        entries: [{ which: "remainder", value: DEPOSIT - 400n }],
        withdrawals: [pending(300_000n)],
        chargedToWithdrawals: 0n,
      },
    },
  },
  {
    name: "2b. charged exactly the surplus: nothing is charged to the withdrawals, the surplus is 0",
    setup: { withdrawals: THREE, decide: (r) => [failed(r, PEG_IN_FEE)] },
    expect: {
      applied: {
        total: DEPOSIT - PEG_IN_FEE,
        supply: DEPOSIT - PEG_IN_FEE,
        pending: 0n,
        surplus: 0n,
        entries: [{ which: "remainder", value: DEPOSIT - PEG_IN_FEE }],
        withdrawals: THREE.map(pending),
        chargedToWithdrawals: 0n,
      },
    },
  },
  {
    name: "3. charged 1,007 > the surplus 1,000: the shortfall 7 is shared 3, 2, 2 in order; supply + in flight = reserve exactly",
    setup: { withdrawals: THREE, decide: (r) => [failed(r, PEG_IN_FEE + 7n)] },
    expect: {
      applied: {
        total: DEPOSIT - PEG_IN_FEE - 7n,
        supply: DEPOSIT - PEG_IN_FEE - 7n,
        pending: 0n,
        surplus: 0n,
        entries: [{ which: "remainder", value: DEPOSIT - PEG_IN_FEE - 7n }],
        withdrawals: [pending(100_000n - 3n), pending(50_000n - 2n), pending(20_000n - 2n)],
        chargedToWithdrawals: 7n,
      },
    },
  },
  {
    name: "3b. a shortfall smaller than the number of withdrawals: the first `shortfall` pay 1, the rest nothing",
    setup: { withdrawals: THREE, decide: (r) => [failed(r, PEG_IN_FEE + 2n)] },
    expect: {
      applied: {
        total: DEPOSIT - PEG_IN_FEE - 2n,
        supply: DEPOSIT - PEG_IN_FEE - 2n,
        pending: 0n,
        surplus: 0n,
        entries: [{ which: "remainder", value: DEPOSIT - PEG_IN_FEE - 2n }],
        withdrawals: [pending(100_000n - 1n), pending(50_000n - 1n), pending(20_000n)],
        chargedToWithdrawals: 2n,
      },
    },
  },
  {
    name: "3c. charged all the inputs (no remainder): the shortfall is the charge less the surplus",
    setup: { withdrawals: [300_000n, 299_000n], decide: (r) => [failed(r, DEPOSIT, "none")] },
    expect: {
      applied: {
        total: 0n,
        supply: 0n,
        pending: 0n,
        surplus: 0n,
        entries: [],
        // shortfall 599,000: 299,500 each; the second (299,000) bears only 299,000, the first the rest
        withdrawals: [
          { status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, amount: 0n, paid: "0" },
          { status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, amount: 0n, paid: "0" },
        ],
        chargedToWithdrawals: DEPOSIT - PEG_IN_FEE,
      },
    },
  },
  {
    name: "4. a withdrawal smaller than its share (250 < 500 of a shortfall of 1,000): COMPLETED with paid 0; the others bear the rest; the invariant holds",
    setup: { withdrawals: [250n, 100_000n], decide: (r) => [failed(r, 2n * PEG_IN_FEE)] },
    expect: {
      applied: {
        total: DEPOSIT - 2n * PEG_IN_FEE,
        supply: DEPOSIT - 2n * PEG_IN_FEE,
        pending: 0n,
        surplus: 0n,
        entries: [{ which: "remainder", value: DEPOSIT - 2n * PEG_IN_FEE }],
        withdrawals: [{ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, amount: 0n, paid: "0" }, pending(100_000n - 750n)],
        chargedToWithdrawals: PEG_IN_FEE,
      },
    },
  },
  {
    name: "4b. a withdrawal exactly its share: COMPLETED with paid 0",
    setup: { withdrawals: [500n, 100_000n], decide: (r) => [failed(r, 2n * PEG_IN_FEE)] },
    expect: {
      applied: {
        total: DEPOSIT - 2n * PEG_IN_FEE,
        supply: DEPOSIT - 2n * PEG_IN_FEE,
        pending: 0n,
        surplus: 0n,
        entries: [{ which: "remainder", value: DEPOSIT - 2n * PEG_IN_FEE }],
        withdrawals: [{ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, amount: 0n, paid: "0" }, pending(100_000n - 500n)],
        chargedToWithdrawals: PEG_IN_FEE,
      },
    },
  },
  {
    name: "5a. refused: a remainder that is not inputs − charged",
    setup: { withdrawals: ONE, decide: (r) => [failed(r, 400n, remainderOf(r, 400n, DEPOSIT - 401n))] },
    expect: { refused: { code: ["peg", 16], log: /its remainder must be its inputs' 600000 less the 400 charged/ } },
  },
  {
    name: "5b. refused: a charge with no remainder while the inputs exceed it",
    setup: { withdrawals: ONE, decide: (r) => [failed(r, 400n, "none")] },
    expect: { refused: { code: ["peg", 16], log: /its remainder must be/ } },
  },
  {
    name: "5c. refused: charged more than the inputs",
    setup: { withdrawals: ONE, decide: (r) => [failed(r, DEPOSIT + 1n, remainderOf(r, 0n, 0n))] },
    expect: { refused: { code: ["peg", 16], log: /a charged fee of 600001 is not between 0 and its inputs' 600000/ } },
  },
  {
    name: "5d. refused: a failed outcome for a release already CONFIRMED",
    setup: { withdrawals: ONE, before: signAndConfirm, decide: (r) => [failed(r, 0n)] },
    expect: { refused: { code: ["peg", 16], log: /release 1 is already confirmed/ } },
  },
  {
    name: "5e. refused: a failed outcome for a release no longer live (failed already)",
    setup: {
      withdrawals: ONE,
      before: async (s, r) => {
        const [first] = await s.h.block([confirm(s.h, decideProof([failed(r, 0n)]))]);
        expect(first).toMatchObject({ code: 0 });
      },
      decide: (r) => [failed(r, 0n)],
    },
    expect: { refused: { code: ["peg", 16], log: /release 1 is RELEASE_STATUS_FAILED, not live/ } },
  },
  {
    name: "5f. refused: a failed outcome for a transaction that is no release",
    setup: { withdrawals: ONE, decide: (r) => [{ ...failed(r, 0n), txid: "00".repeat(32) }] },
    expect: { refused: { code: ["peg", 15], log: /is not a release of fake-main/ } },
  },
];

describe("applyFailedRelease, through MsgConfirmRelease of a sequential kind", () => {
  it.each(CASES)("$name", async ({ setup, expect: want }) => {
    const { s, release, entryId } = await releaseOf(setup.withdrawals);
    const { h } = s;
    if (setup.before) await setup.before(s, release);
    const current = (await releases(h)).find((r) => Number(r.id) === Number(release.id))!;
    const before = await snapshot(s);
    const decisions = setup.decide(current);
    const [res] = await h.block([confirm(h, decideProof(decisions))]);

    if ("refused" in want) {
      expect({ code: codeOf(res), log: res.log }).toEqual({ code: want.refused.code, log: expect.stringMatching(want.refused.log) });
      expect(await snapshot(s)).toBe(before);
      expect(res.events.find((e) => e.type === "release_voided")).toBeUndefined();
      return;
    }
    const a = want.applied;
    expect(res).toMatchObject({ code: 0 });

    // the release: FAILED, with the reason and the charge
    const [after] = await releases(h);
    expect(after).toMatchObject({ id: release.id, status: ReleaseStatus.RELEASE_STATUS_FAILED, failure: REASON, charged: decisions[0].charged.toString() });
    expect(res.events.find((e) => e.type === "release_voided")?.attributes).toEqual({
      mainchain: FAKE,
      release_id: String(release.id),
      txid: release.txid,
      reason: REASON,
      charged: decisions[0].charged.toString(),
      charged_to_withdrawals: a.chargedToWithdrawals.toString(),
      withdrawals: release.withdrawalIds.map(String).join(","),
      msg_index: "0",
    });

    // the reserve: the freed input, or the remainder in its place; supply, in flight and the invariant
    const r = await reserve(h);
    expect({ total: BigInt(r.total), supply: BigInt(r.supply), pending: BigInt(r.pending) }).toEqual({ total: a.total, supply: a.supply, pending: a.pending });
    expect(await surplusOf(h)).toBe(a.surplus);
    expect(BigInt(r.supply) + BigInt(r.pending)).toBeLessThanOrEqual(BigInt(r.total));
    const remainderId = decisions[0].remainder?.id;
    expect(
      r.entries.map((e) => ({ which: hex(e.id) === entryId ? "input" : hex(e.id) === remainderId ? "remainder" : hex(e.id), value: BigInt(e.value ?? "0"), federationId: e.federationId, releaseId: Number(e.releaseId) })),
    ).toEqual(a.entries.map((e) => ({ ...e, federationId: 1, releaseId: 0 })));

    // the withdrawals: pending again (amounts less their shares) or completed with nothing paid; their tokens back in the redemption account
    const ws = await withdrawals(h);
    expect(ws.map((w) => ({ status: w.status, amount: BigInt(w.amount ?? "0"), paid: w.paid, releaseId: Number(w.releaseId) }))).toEqual(a.withdrawals.map((w) => ({ ...w, releaseId: 0 })));
    const requeued = a.withdrawals.filter((w) => w.status === WithdrawalStatus.WITHDRAWAL_STATUS_PENDING).reduce((sum, w) => sum + w.amount, 0n);
    expect(await h.balance(REDEMPTION, DENOM)).toBe(requeued);
    expect(await h.balance(h.accounts[0].address, DENOM)).toBe(DEPOSIT - PEG_IN_FEE - setup.withdrawals.reduce((x, y) => x + y, 0n));
  });
});

describe("after a failed release, the next batch", () => {
  it.each([
    { name: "charged 0 (case 1)", withdrawals: ONE, charged: 0n },
    { name: "a shortfall shared by three withdrawals (case 3)", withdrawals: THREE, charged: PEG_IN_FEE + 7n },
    { name: "a withdrawal reduced to 0 (case 4)", withdrawals: [250n, 100_000n], charged: 2n * PEG_IN_FEE },
  ])("6. builds a new release paying the re-queued withdrawals, each in exactly one live release, and it confirms: $name", async ({ withdrawals: amounts, charged }) => {
    const { s, release } = await releaseOf(amounts);
    const { h } = s;
    const decision = failed(release, charged);
    expect((await h.block([confirm(h, decideProof([decision]))]))[0]).toMatchObject({ code: 0 });
    const requeued = (await withdrawals(h)).filter((w) => w.status === WithdrawalStatus.WITHDRAWAL_STATUS_PENDING);
    const owed = requeued.reduce((sum, w) => sum + BigInt(w.amount ?? "0"), 0n);

    await untilBatch(h);
    const all = await releases(h);
    expect(all.map((r) => [Number(r.id), r.status])).toEqual([
      [1, ReleaseStatus.RELEASE_STATUS_FAILED],
      [2, ReleaseStatus.RELEASE_STATUS_SIGNING],
    ]);
    const next = all[1];
    expect(next.withdrawalIds.map(Number)).toEqual(requeued.map((w) => Number(w.id)));
    expect(next.amount).toBe(owed.toString());
    // it spends what the failure left: the freed input, or the remainder
    expect(next.inputs.map((i) => hex(i.id))).toEqual(charged === 0n ? release.inputs.map((i) => hex(i.id)) : [decision.remainder!.id]);
    // every withdrawal is in at most one live release: the re-queued ones in release 2, the completed ones in none
    const live = all.filter((r) => r.status === ReleaseStatus.RELEASE_STATUS_SIGNING || r.status === ReleaseStatus.RELEASE_STATUS_SIGNED);
    for (const w of await withdrawals(h)) {
      const holding = live.filter((r) => r.withdrawalIds.map(Number).includes(Number(w.id)));
      if (w.status === WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED) expect({ id: w.id, holding: holding.length, paid: w.paid }).toEqual({ id: w.id, holding: 0, paid: "0" });
      else expect({ id: w.id, status: w.status, holding: holding.map((r) => Number(r.id)), releaseId: Number(w.releaseId) }).toEqual({ id: w.id, status: WithdrawalStatus.WITHDRAWAL_STATUS_IN_RELEASE, holding: [2], releaseId: 2 });
    }
    expect(await h.balance(REDEMPTION, DENOM)).toBe(0n);
    expect(BigInt((await reserve(h)).pending)).toBe(owed);

    // the old release can no longer be decided (unless the fake kind, which has no release context,
    // rebuilt the very same transaction: then its txid names the new release); the new one confirms and pays each once
    if (next.txid !== release.txid) {
      const [again] = await h.block([confirm(h, decideProof([failed(release, 0n)]))]);
      expect(codeOf(again)).toEqual(["peg", 16]);
    }
    await signAndConfirm(s, next);
    const paid = await withdrawals(h);
    const shares = requeued.map((_, i) => FEE / BigInt(requeued.length) + (BigInt(i) < FEE % BigInt(requeued.length) ? 1n : 0n));
    expect(paid.filter((w) => Number(w.releaseId) === 2).map((w) => [Number(w.id), w.status, w.paid])).toEqual(
      requeued.map((w, i) => [Number(w.id), WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, (BigInt(w.amount ?? "0") - shares[i]).toString()]),
    );
    const r = await reserve(h);
    expect(BigInt(r.pending)).toBe(0n);
    expect(BigInt(r.supply) + BigInt(r.pending)).toBeLessThanOrEqual(BigInt(r.total));
    expect(await surplusOf(h)).toBe(charged === 0n ? PEG_IN_FEE : charged >= PEG_IN_FEE ? 0n : PEG_IN_FEE - charged);
  });
});
