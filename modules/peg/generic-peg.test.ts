/**
 * The peg's generic rules, the same for every kind of main chain, run table-driven over kinds: the
 * real Bitcoin kind, and `fakeKind` (test/support/fake-kind), a small kind with a signed-header light
 * client that is wired in with one line (`kinds: { ...MAINCHAIN_KINDS, fake: fakeKind }`) and nothing
 * else. Each kind is driven through the same messages (relay, claim, withdraw, sign, confirm) by a
 * `Session`; then the fake kind's own light client and proofs are attacked.
 */
import { createHash } from "node:crypto";
import * as btc from "@scure/btc-signer";
import { QueryDenomMetadataRequest, QueryDenomMetadataResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { MAINCHAIN_KINDS } from "../../app/pegzone";
import { ADDRESS_PREFIX, addressFromPubkey, fromBech32, toBech32 } from "../../chain/crypto/address";
import { publicKeyFromPrivate } from "../../chain/crypto/secp256k1";
import { google, pegzone } from "../../proto";
import { REGTEST_NETWORK } from "../../test/support/btc-wallet";
import { REGTEST_CHAIN, TestBitcoinChain, testTx } from "../../test/support/peg";
import {
  closeHarnesses,
  federation,
  federationJson,
  harnessFromAppState,
  MAINCHAIN as BTC,
  memberKeys,
  newHarness,
  relay as relayBitcoin,
  type Harness,
  type TestAccount,
} from "../../test/support/peg-harness";
import { memoryStore } from "../../test/support/store";
import {
  blockProof,
  control,
  decodeHeaderMessage,
  fakeAddress,
  FAKE_PARAMS_TYPE,
  FakeChain,
  fakeFlow,
  fakeKind,
  fakeSign,
  fakeLightClient,
  fakeParamsAny,
  MAX_CLOCK_DRIFT,
  MAX_RELEASE_INPUTS,
  type FakeBlock,
} from "../../test/support/fake-kind";
import { bitcoinFlow } from "./bitcoin/kind";
import { bitcoinDepositProof, bitcoinTxProof } from "./bitcoin/peg-flow";
import { signReleaseInput } from "./bitcoin/sign";
import type { MainChainKind, PegFlow } from "./kinds";
import { pegTypeUrls } from "./msgs";
import { builtFromRelease } from "./releases";

const v1 = pegzone.peg.v1;
const { ReleaseStatus, WithdrawalStatus } = v1;
afterAll(closeHarnesses);

const CONFIRMATIONS = 3;
const PEG_IN_FEE = 1000n;
const SECOND = 1_000_000_000n;
/** pegzone's first block (unix seconds): the harness's default, after the regtest blocks the bitcoin tests mine. */
const START = 1_296_688_602n + 600n * 5000n;
const FAKE = "fake-main";
/** The one line of wiring that adds the kind. */
const KINDS: Readonly<Record<string, MainChainKind>> = { ...MAINCHAIN_KINDS, fake: fakeKind };
/** A fake main chain as the flow's address functions read it (only its params matter to them). */
const FAKE_CHAIN = { id: FAKE, clientType: "fake", params: fakeParamsAny({ confirmations: CONFIRMATIONS }) };

type Proof = google.protobuf.IAny;
type TxResult = Awaited<ReturnType<Harness["block"]>>[number];
type Payee = { recipient: string } | "reserve";

/** The fake main chain's genesis entry, with the same generic amounts as the harness's btc-regtest. */
function fakeEntry(chain: FakeChain, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: FAKE,
    client_type: "fake",
    min_deposit: "10000",
    peg_in_fee: PEG_IN_FEE.toString(),
    reserve_cap: "1000000",
    min_withdrawal: "100000",
    batch_interval: 5,
    max_fee: "50000",
    release_timeout: 20,
    federation_grace: 0,
    federation: federationJson,
    params: { "@type": FAKE_PARAMS_TYPE, confirmations: CONFIRMATIONS },
    checkpoint: chain.registration(),
    ...overrides,
  };
}

/** One app with one kind's main chain, and that main chain: what every generic rule is driven through. */
interface Session {
  readonly h: Harness;
  readonly mainchain: string;
  /** Mines a block paying `amount` to `payee`, and more until it has `confirmations`; relays them; the claim's proof. */
  deposit(payee: Payee, amount: bigint, confirmations?: number): Promise<Proof>;
  /** Mines and relays `n` blocks. */
  mine(n: number): Promise<void>;
  /** Mines a release's signed transaction, and more until it has `confirmations`; relays them; the confirmation's proof. */
  includeRelease(signedTx: Uint8Array, confirmations?: number): Promise<Proof>;
  /** Relays what the kind's light client takes for misbehaviour (bitcoin: a reorg deeper than reorg_limit). */
  misbehave(): Promise<TxResult[]>;
}

interface KindCase {
  readonly name: string;
  readonly flow: PegFlow;
  /** A valid withdrawal address on the session's main chain. */
  readonly destination: string;
  /** Withdrawal addresses the kind must refuse. */
  readonly badDestinations: readonly string[];
  /** The federation's reserve address, as text. */
  readonly reserveAddress: string;
  readonly freezeReason: RegExp;
  /** A member's signature of a release digest, as its signer software makes it. */
  sign(privateKey: Uint8Array, digest: Uint8Array): Uint8Array;
  start(opts?: StartOptions): Promise<Session>;
  /** The reserve address of another federation, as text. */
  reserveAddressOf(f: typeof federation): string;
}

interface StartOptions {
  /** Replace the main chain's generic genesis fields (e.g. peg_in_fee). */
  readonly overrides?: Record<string, unknown>;
  /** More accounts in auth, e.g. the members of a later federation. */
  readonly extraAccounts?: TestAccount[];
}

const depositAddress = (h: Harness, mainchain: string, recipient: string) =>
  h.query("DepositAddress", v1.QueryDepositAddressRequest, { mainchain, recipient }, v1.QueryDepositAddressResponse);

// ---- bitcoin

const btcDestination = btc.p2wpkh(publicKeyFromPrivate(createHash("sha256").update("generic withdrawal destination").digest()), REGTEST_NETWORK).address!;

async function startBitcoin(opts: StartOptions = {}): Promise<Session> {
  const h = await newHarness(opts.overrides, [], opts.extraAccounts);
  await h.block([]); // genesis state is committed with the first block
  let chain = new TestBitcoinChain();
  let relayed = 0;
  let n = 0;
  const relayNew = async () => {
    if (chain.tip.height === relayed) return;
    const [r] = await h.block([relayBitcoin(h, chain.headers(relayed + 1))]);
    expect(r).toMatchObject({ code: 0 });
    relayed = chain.tip.height;
  };
  return {
    h,
    mainchain: BTC,
    async deposit(payee, amount, confirmations = CONFIRMATIONS) {
      const script = payee === "reserve" ? bitcoinFlow.reserveAddress(REGTEST_CHAIN, federation).script : (await depositAddress(h, BTC, payee.recipient)).script;
      const tx = testTx(`generic deposit ${n++}`, [{ value: amount, scriptPubKey: script }]);
      const block = chain.mine([tx]);
      chain.mineEmpty(confirmations - 1);
      await relayNew();
      return bitcoinDepositProof({ tx, vout: 0, blockHash: block.hash, merkleProof: chain.proof(block, 1) });
    },
    async mine(k) {
      chain.mineEmpty(k);
      await relayNew();
    },
    async includeRelease(signedTx, confirmations = CONFIRMATIONS) {
      const block = chain.mine([signedTx]);
      chain.mineEmpty(confirmations - 1);
      await relayNew();
      return bitcoinTxProof({ tx: signedTx, blockHash: block.hash, merkleProof: chain.proof(block, 1) });
    },
    async misbehave() {
      if (chain.tip.height < CONFIRMATIONS) {
        chain.mineEmpty(CONFIRMATIONS);
        await relayNew();
      }
      const fork = chain.fork(chain.tip.height - CONFIRMATIONS);
      fork.mineEmpty(CONFIRMATIONS + 1, "deep");
      const res = await h.block([relayBitcoin(h, fork.headers(fork.tip.height - CONFIRMATIONS))]);
      chain = fork;
      relayed = fork.tip.height;
      return res;
    },
  };
}

// ---- fake

const fakeDestination = `fake1${createHash("sha256").update("generic withdrawal destination").digest("hex")}`;
/** Somebody else's address: the other transaction in every deposit block. */
const ELSEWHERE = `fake1${"00".repeat(32)}`;
const relayFake = (h: Harness, headers: Uint8Array[], from = h.accounts[2]) =>
  h.tx(from, pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: from.address, mainchain: FAKE, headers });

interface FakeSession extends Session {
  readonly chain: FakeChain;
  /** Relays every mined header not relayed yet, one MsgRelayHeaders each, all in one block. */
  relayNew(): Promise<void>;
}

async function startFake(opts: StartOptions = {}): Promise<FakeSession> {
  const chain = new FakeChain({ genesisTime: (START - 100n) * SECOND });
  const h = await newHarness({}, [], opts.extraAccounts, {}, { extraMainchains: [fakeEntry(chain, opts.overrides)], kinds: KINDS, startTime: START });
  await h.block([]); // genesis state is committed with the first block
  let relayed = chain.tipHeight;
  let n = 0;
  const relayNew = async () => {
    const messages = chain.messages(relayed + 1);
    if (messages.length === 0) return;
    const results = await h.block(messages.map((m) => relayFake(h, [m])));
    expect(results.map((r) => [r.codespace, r.code, r.log])).toEqual(messages.map(() => ["", 0, ""]));
    relayed = chain.tipHeight;
  };
  const mineWith = async (txs: Uint8Array[], confirmations: number): Promise<FakeBlock> => {
    const block = chain.mine(txs);
    chain.mineEmpty(confirmations - 1);
    await relayNew();
    return block;
  };
  return {
    h,
    chain,
    mainchain: FAKE,
    relayNew,
    async deposit(payee, amount, confirmations = CONFIRMATIONS) {
      const to = payee === "reserve" ? fakeFlow.reserveAddress(FAKE_CHAIN, federation).address : (await depositAddress(h, FAKE, payee.recipient)).address;
      const i = n++;
      const block = await mineWith([chain.depositTx(ELSEWHERE, 5n, `noise ${i}`), chain.depositTx(to, amount, `deposit ${i}`)], confirmations);
      return chain.depositProof(block, 1);
    },
    async mine(k) {
      chain.mineEmpty(k);
      await relayNew();
    },
    async includeRelease(signedTx, confirmations = CONFIRMATIONS) {
      return chain.releaseProof(await mineWith([signedTx], confirmations), 0);
    },
    async misbehave() {
      if (relayed === chain.genesis.height) await mineWith([], 1);
      return h.block([relayFake(h, [chain.conflicting(relayed)])]);
    },
  };
}

const KIND_CASES: KindCase[] = [
  {
    name: "bitcoin",
    flow: bitcoinFlow,
    destination: btcDestination,
    badDestinations: [btc.p2wpkh(publicKeyFromPrivate(createHash("sha256").update("generic withdrawal destination").digest()), btc.NETWORK).address!, "bcrt1qnotanaddress", fakeDestination],
    reserveAddress: bitcoinFlow.reserveAddress(REGTEST_CHAIN, federation).address,
    freezeReason: /reorg disconnected 3 blocks/,
    sign: signReleaseInput,
    start: startBitcoin,
    reserveAddressOf: (f) => bitcoinFlow.reserveAddress(REGTEST_CHAIN, f).address,
  },
  {
    name: "fake",
    flow: fakeFlow,
    destination: fakeDestination,
    badDestinations: [btcDestination, "fake1xyz", fakeDestination.toUpperCase(), `${fakeDestination}00`],
    reserveAddress: fakeFlow.reserveAddress(FAKE_CHAIN, federation).address,
    freezeReason: /misbehaviour of fake-main: the chain key signed two headers at height/,
    sign: fakeSign,
    start: startFake,
    reserveAddressOf: (f) => fakeFlow.reserveAddress(FAKE_CHAIN, f).address,
  },
];

// ---- messages and state, the same for every kind

const claim = (s: Session, proof: Proof, recipient: string, from = s.h.accounts[2]) =>
  s.h.tx(from, pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: from.address, mainchain: s.mainchain, recipient, proof });
const withdraw = (s: Session, from: TestAccount, amount: string, destination: string) =>
  s.h.tx(from, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: from.address, mainchain: s.mainchain, amount, destination });
const submit = (s: Session, member: TestAccount, releaseId: number, signatures: Uint8Array[]) =>
  s.h.tx(member, pegTypeUrls.submitReleaseSignatures, v1.MsgSubmitReleaseSignatures, { signer: member.address, mainchain: s.mainchain, releaseId, signatures });
const confirm = (s: Session, proof: Proof, from = s.h.accounts[2]) =>
  s.h.tx(from, pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, { relayer: from.address, mainchain: s.mainchain, proof });
const unfreeze = (s: Session) => s.h.tx(s.h.accounts[3], pegTypeUrls.unfreeze, v1.MsgUnfreeze, { authority: s.h.accounts[3].address, mainchain: s.mainchain });

const denom = (s: Session) => `peg/${s.mainchain}`;
const reserve = (s: Session) => s.h.query("Reserve", v1.QueryReserveRequest, { mainchain: s.mainchain }, v1.QueryReserveResponse);
const clientState = (s: Session) => s.h.query("ClientState", v1.QueryClientStateRequest, { mainchain: s.mainchain }, v1.QueryClientStateResponse);
const withdrawals = async (s: Session) => (await s.h.query("Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: s.mainchain, owner: "" }, v1.QueryWithdrawalsResponse)).withdrawals;
const releases = async (s: Session) =>
  (await s.h.query("Releases", v1.QueryReleasesRequest, { mainchain: s.mainchain, status: ReleaseStatus.RELEASE_STATUS_UNSPECIFIED }, v1.QueryReleasesResponse)).releases.map((r) =>
    v1.Release.create(r),
  );
const hex = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString("hex");
const codeOf = (r: TxResult) => [r.codespace, r.code];

/** Everything a refused message must leave as it was: the reserve, withdrawals, releases, every balance and the client. */
async function snapshot(s: Session, withClient = true): Promise<string> {
  const o = { longs: String, bytes: String };
  const balances = await Promise.all([...s.h.accounts, ...memberKeys].map((a) => s.h.balance(a.address, denom(s))));
  return JSON.stringify({
    reserve: v1.QueryReserveResponse.toObject(await reserve(s), o),
    withdrawals: (await withdrawals(s)).map((w) => v1.Withdrawal.toObject(v1.Withdrawal.create(w), o)),
    releases: (await releases(s)).map((r) => v1.Release.toObject(r, o)),
    balances: balances.map(String),
    client: withClient ? v1.QueryClientStateResponse.toObject(await clientState(s), o) : "not compared",
  });
}

/** The reserve invariant: what the federation holds is what pegzone owes (supply + in flight) plus the surplus. */
async function expectReserveInvariant(s: Session, surplus: bigint): Promise<void> {
  const r = await reserve(s);
  expect({ reserve: BigInt(r.total), owedPlusSurplus: BigInt(r.supply) + BigInt(r.pending) + surplus }).toEqual({ reserve: BigInt(r.total), owedPlusSurplus: BigInt(r.total) });
}

async function claimed(s: Session, amount: bigint, owner: TestAccount = s.h.accounts[0]): Promise<void> {
  const proof = await s.deposit({ recipient: owner.address }, amount);
  expect((await s.h.block([claim(s, proof, owner.address)]))[0]).toMatchObject({ code: 0 });
}

/** A claimed deposit of 600,000 to account 0 and its withdrawal of 300,000, built into a release at the next batch height. */
async function releaseScenario(kc: KindCase) {
  const s = await kc.start();
  const { h } = s;
  await claimed(s, 600_000n);
  const [entry] = (await reserve(s)).entries;
  expect((await h.block([withdraw(s, h.accounts[0], "300000", kc.destination)]))[0]).toMatchObject({ code: 0 });
  // Nothing is built before the batch height (batch_interval 5); at it, the release.
  while (h.height % 5 !== 0) {
    expect(await releases(s)).toEqual([]);
    await h.block([]);
  }
  const [release] = await releases(s);
  expect(release).toBeDefined();
  return { s, h, entry, release };
}

const signaturesOf = (kc: KindCase, member: TestAccount, release: pegzone.peg.v1.Release) =>
  kc.flow.releaseDigests(builtFromRelease(release)).map((d) => kc.sign(member.privateKey, d));

/** The next federation: three other keys, weights 2, 1, 1, threshold 3. */
const newMemberKeys: TestAccount[] = [0, 1, 2].map((i) => {
  const privateKey = createHash("sha256").update(`generic next federation member ${i}`).digest();
  const pubkey = publicKeyFromPrivate(privateKey);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(20 + i), sequence: 0n };
});
const newMembers = newMemberKeys.map((m, i) => ({ pubkey: m.pubkey, weight: i === 0 ? 2 : 1, account: m.address }));
const newFederation = { id: 2, members: newMembers, threshold: 3 };
const propose = (s: Session, from: TestAccount) =>
  s.h.tx(from, pegTypeUrls.proposeFederation, v1.MsgProposeFederation, { proposer: from.address, mainchain: s.mainchain, members: newMembers, threshold: newFederation.threshold });
const approve = (s: Session, from: TestAccount) =>
  s.h.tx(from, pegTypeUrls.approveFederation, v1.MsgApproveFederation, { approver: from.address, mainchain: s.mainchain, proposalId: 2, proposedAt: 0 });

async function untilBatch(h: Harness): Promise<void> {
  do await h.block([]);
  while (h.height % 5 !== 0);
}

describe.each(KIND_CASES)("the generic peg rules on a $name main chain", (kc) => {
  it("a claim mints amount − peg_in_fee to the recipient and adds the deposit to the reserve", async () => {
    const s = await kc.start();
    const recipient = s.h.accounts[0].address;
    const proof = await s.deposit({ recipient }, 50_000n);
    const [res] = await s.h.block([claim(s, proof, recipient)]);
    expect(res).toMatchObject({ code: 0 });
    const event = res.events.find((e) => e.type === "claim_deposit")!.attributes;
    expect(event).toMatchObject({ mainchain: s.mainchain, recipient, amount: "50000", minted: `49000${denom(s)}`, federation_id: "1" });
    expect(await s.h.balance(recipient, denom(s))).toBe(49_000n);

    const r = await reserve(s);
    expect(r).toMatchObject({ total: "50000", supply: "49000", pending: "0" });
    expect(r.entries).toHaveLength(1);
    expect(r.entries[0]).toMatchObject({ displayId: event.deposit_id, value: "50000", federationId: 1 });
    expect(Number(r.entries[0].releaseId)).toBe(0); // free: no release spends it yet
    expect(hex(r.entries[0].id)).toBe(hex(kc.flow.parseDepositId(event.deposit_id)));
    expect(r.entries[0].data!.type_url).toBe(kc.flow.reserveDataType);
    const status = await s.h.query("Deposit", v1.QueryDepositRequest, { mainchain: s.mainchain, displayId: event.deposit_id }, v1.QueryDepositResponse);
    expect(status.claimed).toBe(true);
    expect(status.deposit).toMatchObject({ amount: "50000", minted: "49000", recipient, federationId: 1 });
    await expectReserveInvariant(s, PEG_IN_FEE);
  });

  it("refuses the same deposit claimed twice, in one block and in a later one (peg 10)", async () => {
    const s = await kc.start();
    const recipient = s.h.accounts[0].address;
    const proof = await s.deposit({ recipient }, 50_000n);
    const results = await s.h.block([claim(s, proof, recipient), claim(s, proof, recipient, s.h.accounts[1])]);
    expect(results.map(codeOf)).toEqual([["", 0], ["peg", 10]]);
    const after = await snapshot(s);
    const [again] = await s.h.block([claim(s, proof, recipient)]);
    expect(codeOf(again)).toEqual(["peg", 10]);
    expect(await snapshot(s)).toBe(after);
    expect(await s.h.balance(recipient, denom(s))).toBe(49_000n);
  });

  it("refuses a payment to the federation's own reserve address as a deposit (peg 24)", async () => {
    const s = await kc.start();
    const proof = await s.deposit("reserve", 50_000n);
    const before = await snapshot(s);
    const [res] = await s.h.block([claim(s, proof, s.h.accounts[0].address)]);
    expect(codeOf(res)).toEqual(["peg", 24]);
    expect(res.log).toMatch(/reserve address of federation 1/);
    expect(await snapshot(s)).toBe(before);
  });

  it("refuses a deposit with too few confirmations (peg 6), then accepts it once confirmed", async () => {
    const s = await kc.start();
    const recipient = s.h.accounts[0].address;
    const proof = await s.deposit({ recipient }, 50_000n, CONFIRMATIONS - 1);
    const before = await snapshot(s);
    const [early] = await s.h.block([claim(s, proof, recipient)]);
    expect(codeOf(early)).toEqual(["peg", 6]);
    expect(early.log).toMatch(/has 2 of the 3 confirmations/);
    expect(await snapshot(s)).toBe(before);
    await s.mine(1);
    expect((await s.h.block([claim(s, proof, recipient)]))[0]).toMatchObject({ code: 0 });
    expect(await s.h.balance(recipient, denom(s))).toBe(49_000n);
  });

  it("refuses a deposit claimed for a recipient whose deposit address it does not pay (peg 7)", async () => {
    const s = await kc.start();
    const [payee, other] = s.h.accounts;
    const proof = await s.deposit({ recipient: payee.address }, 50_000n);
    const before = await snapshot(s);
    const [res] = await s.h.block([claim(s, proof, other.address)]);
    expect(codeOf(res)).toEqual(["peg", 7]);
    expect(res.log).toContain((await depositAddress(s.h, s.mainchain, other.address)).address);
    expect(await snapshot(s)).toBe(before);
    expect((await s.h.block([claim(s, proof, payee.address)]))[0]).toMatchObject({ code: 0 });
    expect(await s.h.balance(other.address, denom(s))).toBe(0n);
  });

  it("refuses an amount below min_deposit (peg 8) and one that would take the reserve over reserve_cap (peg 9)", async () => {
    const s = await kc.start();
    const recipient = s.h.accounts[0].address;
    const small = await s.deposit({ recipient }, 9_999n);
    const big = await s.deposit({ recipient }, 1_000_001n);
    const before = await snapshot(s);
    const results = await s.h.block([claim(s, small, recipient), claim(s, big, recipient)]);
    expect(results.map(codeOf)).toEqual([["peg", 8], ["peg", 9]]);
    expect(await snapshot(s)).toBe(before);
    // the cap counts what the reserve holds already: 600,000 + 400,001 is over, 600,000 + 400,000 is not
    await claimed(s, 600_000n);
    const over = await s.deposit({ recipient }, 400_001n);
    const exact = await s.deposit({ recipient }, 400_000n);
    const [overRes, exactRes] = await s.h.block([claim(s, over, recipient), claim(s, exact, recipient)]);
    expect([codeOf(overRes), codeOf(exactRes)]).toEqual([["peg", 9], ["", 0]]);
    expect(await reserve(s)).toMatchObject({ total: "1000000", supply: "998000" });
    await expectReserveInvariant(s, 2n * PEG_IN_FEE);
  });

  it("refuses withdrawals to addresses the kind does not take, to the reserve address (peg 13), and under min_withdrawal (peg 8)", async () => {
    const s = await kc.start();
    await claimed(s, 600_000n);
    const before = await snapshot(s);
    const owner = s.h.accounts[0];
    const txs = [...kc.badDestinations, kc.reserveAddress].map((d) => withdraw(s, owner, "200000", d));
    const results = await s.h.block([...txs, withdraw(s, owner, "99999", kc.destination)]);
    expect(results.map(codeOf)).toEqual([...txs.map(() => ["peg", 13]), ["peg", 8]]);
    expect(results[kc.badDestinations.length].log).toMatch(/reserve address/);
    expect(await snapshot(s)).toBe(before);
  });

  it("pays a withdrawal: a release built at the batch height, signed by 2 of 3 members, confirmed by proof; the change replaces the spent entry", async () => {
    const { s, h, entry, release } = await releaseScenario(kc);
    const fee = BigInt(release.fee);
    expect(release).toMatchObject({ status: ReleaseStatus.RELEASE_STATUS_SIGNING, builtAt: h.height, federationId: 1, changeFederationId: 1, amount: "300000" });
    expect(Number(release.replaces)).toBe(0);
    expect(h.height % 5).toBe(0);
    expect(release.withdrawalIds.map(Number)).toEqual([1]);
    expect(release.inputs.map((i) => hex(i.id))).toEqual([hex(entry.id)]);
    expect(fee).toBeGreaterThan(0n);
    expect(release.outputs.find((o) => Number(o.withdrawalId) === 1)!.value).toBe((300_000n - fee).toString());
    expect(release.change).toMatchObject({ value: "300000", federationId: 1 });
    expect((await withdrawals(s))[0]).toMatchObject({ status: WithdrawalStatus.WITHDRAWAL_STATUS_IN_RELEASE, releaseId: release.id });
    expect(await reserve(s)).toMatchObject({ total: "600000", supply: "299000", pending: "300000" });
    await expectReserveInvariant(s, PEG_IN_FEE);

    // member 0 signs; its second try, an outsider, and a member submitting another's signature are refused
    const id = Number(release.id);
    expect((await h.block([submit(s, memberKeys[0], id, signaturesOf(kc, memberKeys[0], release))]))[0]).toMatchObject({ code: 0 });
    const signing = await s.h.query("Release", v1.QueryReleaseRequest, { mainchain: s.mainchain, id }, v1.QueryReleaseResponse);
    expect(signing).toMatchObject({ signedWeight: 1, threshold: 2 });
    expect(signing.release!.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNING);
    const before = await snapshot(s);
    const refused = await h.block([
      submit(s, memberKeys[0], id, signaturesOf(kc, memberKeys[0], release)),
      submit(s, h.accounts[1], id, signaturesOf(kc, h.accounts[1], release)),
      submit(s, memberKeys[2], id, signaturesOf(kc, memberKeys[0], release)),
      submit(s, memberKeys[2], id, signaturesOf(kc, memberKeys[2], release).map(() => kc.sign(memberKeys[2].privateKey, createHash("sha256").update("another release").digest()))),
    ]);
    expect(refused.map(codeOf)).toEqual([["peg", 17], ["sdk", 4], ["peg", 18], ["peg", 18]]);
    expect(await snapshot(s)).toBe(before);
    const [done] = await h.block([submit(s, memberKeys[2], id, signaturesOf(kc, memberKeys[2], release))]);
    expect(done).toMatchObject({ code: 0 });
    expect(done.events.find((e) => e.type === "release_signed")?.attributes).toMatchObject({ release_id: String(id), txid: release.txid });
    const [signed] = await releases(s);
    expect(signed.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    expect(signed.signedTx.length).toBeGreaterThan(0);

    // confirmed by proof: refused with too few confirmations, accepted with enough
    const proof = await s.includeRelease(signed.signedTx, CONFIRMATIONS - 1);
    const unconfirmed = await snapshot(s);
    const [early] = await h.block([confirm(s, proof)]);
    expect(codeOf(early)).toEqual(["peg", 6]);
    expect(await snapshot(s)).toBe(unconfirmed);
    await s.mine(1);
    const [ok] = await h.block([confirm(s, proof)]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.events.find((e) => e.type === "release_confirmed")?.attributes).toMatchObject({ release_id: String(id), txid: release.txid, amount: "300000" });

    const r = await reserve(s);
    expect(r).toMatchObject({ total: "300000", supply: "299000", pending: "0" });
    expect(r.entries).toHaveLength(1);
    expect(r.entries[0]).toMatchObject({ displayId: release.change!.displayId, value: "300000", federationId: 1 });
    expect(Number(r.entries[0].releaseId)).toBe(0);
    expect(hex(r.entries[0].id)).toBe(hex(release.change!.id));
    expect(hex(r.entries[0].id)).not.toBe(hex(entry.id));
    await expectReserveInvariant(s, PEG_IN_FEE);
    expect((await withdrawals(s))[0]).toMatchObject({ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, releaseId: release.id, paid: (300_000n - fee).toString() });
    expect((await releases(s))[0]).toMatchObject({ status: ReleaseStatus.RELEASE_STATUS_CONFIRMED, confirmedAt: h.height });

    // once confirmed, the same proof again is refused, and the change can never be claimed as a deposit
    const settled = await snapshot(s);
    const [again] = await h.block([confirm(s, proof)]);
    expect(codeOf(again)).toEqual(["peg", 16]);
    expect(await snapshot(s)).toBe(settled);
  });

  it("rebuilds a release unconfirmed after release_timeout at a higher fee, from the same inputs for the same withdrawal", async () => {
    const { s, h, release } = await releaseScenario(kc);
    for (let i = 0; i < 20; i++) await h.block([]);
    const all = await releases(s);
    expect(all.map((r) => r.status)).toEqual([ReleaseStatus.RELEASE_STATUS_REPLACED, ReleaseStatus.RELEASE_STATUS_SIGNING]);
    const bumped = all[1];
    expect(Number(bumped.replaces)).toBe(Number(release.id));
    expect(BigInt(bumped.fee)).toBeGreaterThan(BigInt(release.fee));
    expect(BigInt(bumped.feeRate)).toBe(2n * BigInt(release.feeRate));
    expect(bumped.inputs.map((i) => hex(i.id))).toEqual(release.inputs.map((i) => hex(i.id)));
    expect(bumped.withdrawalIds.map(Number)).toEqual([1]);
    expect((await withdrawals(s))[0]).toMatchObject({ status: WithdrawalStatus.WITHDRAWAL_STATUS_IN_RELEASE, releaseId: bumped.id });
    expect(await reserve(s)).toMatchObject({ total: "600000", supply: "299000", pending: "300000" });
    // the replaced version takes no more signatures
    const [res] = await h.block([submit(s, memberKeys[0], Number(release.id), signaturesOf(kc, memberKeys[0], release))]);
    expect(codeOf(res)).toEqual(["peg", 16]);
  });

  it("rotates the federation: the old members sign the sweep of its reserve to the new federation, the new members sign the next withdrawal", async () => {
    // a peg-in fee that pays for the sweep's fee out of the surplus, whatever the kind's fee
    const s = await kc.start({ overrides: { peg_in_fee: "5000" }, extraAccounts: newMemberKeys });
    const { h } = s;
    await claimed(s, 600_000n);
    const [deposited] = (await reserve(s)).entries;
    const [proposed, approved] = await h.block([propose(s, memberKeys[0]), approve(s, memberKeys[1])]);
    expect([proposed.code, approved.code]).toEqual([0, 0]);
    expect(approved.events.find((e) => e.type === "federation_rotated")?.attributes).toMatchObject({ old_federation_id: "1", new_federation_id: "2" });
    const fs = await h.query("Federations", v1.QueryFederationsRequest, { mainchain: s.mainchain }, v1.QueryFederationsResponse);
    expect(Number(fs.current!.id)).toBe(2);
    expect(fs.retired.map((r) => Number(r.federation!.id))).toEqual([1]);

    // the sweep: no withdrawals, the old federation's entry into one entry of the new federation
    await untilBatch(h);
    const [sweep] = await releases(s);
    expect(sweep).toMatchObject({ status: ReleaseStatus.RELEASE_STATUS_SIGNING, federationId: 1, changeFederationId: 2, withdrawalIds: [] });
    expect(BigInt(sweep.amount)).toBe(0n);
    expect(sweep.inputs.map((i) => hex(i.id))).toEqual([hex(deposited.id)]);
    const fee = BigInt(sweep.fee);
    expect(sweep.change).toMatchObject({ value: (600_000n - fee).toString(), federationId: 2 });
    const id = Number(sweep.id);
    const [outsider] = await h.block([submit(s, newMemberKeys[0], id, signaturesOf(kc, newMemberKeys[0], sweep))]);
    expect(codeOf(outsider)).toEqual(["sdk", 4]);
    await h.block([submit(s, memberKeys[1], id, signaturesOf(kc, memberKeys[1], sweep)), submit(s, memberKeys[2], id, signaturesOf(kc, memberKeys[2], sweep))]);
    const [signedSweep] = await releases(s);
    expect(signedSweep.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    expect((await h.block([confirm(s, await s.includeRelease(signedSweep.signedTx))]))[0]).toMatchObject({ code: 0 });
    const swept = await reserve(s);
    expect(swept).toMatchObject({ total: (600_000n - fee).toString(), supply: "595000", pending: "0" });
    expect(swept.entries.map((e) => [hex(e.id), Number(e.federationId)])).toEqual([[hex(sweep.change!.id), 2]]);
    await expectReserveInvariant(s, 5000n - fee);

    // a withdrawal paid from the new federation's entry, signed by its members (2 + 1 of weight 3)
    expect((await h.block([withdraw(s, h.accounts[0], "300000", kc.destination)]))[0]).toMatchObject({ code: 0 });
    await untilBatch(h);
    const release = (await releases(s)).find((r) => r.withdrawalIds.length === 1)!;
    expect(release).toMatchObject({ federationId: 2, changeFederationId: 2 });
    const rid = Number(release.id);
    const [oldMember] = await h.block([submit(s, memberKeys[0], rid, signaturesOf(kc, memberKeys[0], release))]);
    expect(codeOf(oldMember)).toEqual(["sdk", 4]);
    await h.block([submit(s, newMemberKeys[0], rid, signaturesOf(kc, newMemberKeys[0], release)), submit(s, newMemberKeys[2], rid, signaturesOf(kc, newMemberKeys[2], release))]);
    const signed = (await releases(s)).find((r) => Number(r.id) === rid)!;
    expect(signed.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    expect((await h.block([confirm(s, await s.includeRelease(signed.signedTx))]))[0]).toMatchObject({ code: 0 });
    expect((await withdrawals(s))[0]).toMatchObject({ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, releaseId: release.id });
    const after = await reserve(s);
    expect(after).toMatchObject({ total: (300_000n - fee).toString(), supply: "295000", pending: "0" });
    expect(after.entries.map((e) => [hex(e.id), Number(e.federationId)])).toEqual([[hex(release.change!.id), 2]]);
    await expectReserveInvariant(s, 5000n - fee);
  });

  it("applies whichever version of a replaced release confirms: the old one's payment completes the withdrawal, and the new one can no longer confirm", async () => {
    const { s, h, release } = await releaseScenario(kc);
    const id = Number(release.id);
    await h.block([submit(s, memberKeys[0], id, signaturesOf(kc, memberKeys[0], release)), submit(s, memberKeys[1], id, signaturesOf(kc, memberKeys[1], release))]);
    const [old] = await releases(s);
    expect(old.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    for (let i = 0; i < 20; i++) await h.block([]);
    const [, bumped] = await releases(s);
    expect((await releases(s)).map((r) => r.status)).toEqual([ReleaseStatus.RELEASE_STATUS_REPLACED, ReleaseStatus.RELEASE_STATUS_SIGNING]);
    const bid = Number(bumped.id);
    await h.block([submit(s, memberKeys[0], bid, signaturesOf(kc, memberKeys[0], bumped)), submit(s, memberKeys[2], bid, signaturesOf(kc, memberKeys[2], bumped))]);
    const signedBumped = (await releases(s))[1];
    expect(signedBumped.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);

    // the main chain took the old version
    expect((await h.block([confirm(s, await s.includeRelease(old.signedTx))]))[0]).toMatchObject({ code: 0 });
    expect((await releases(s)).map((r) => r.status)).toEqual([ReleaseStatus.RELEASE_STATUS_CONFIRMED, ReleaseStatus.RELEASE_STATUS_REPLACED]);
    const paid = old.outputs.find((o) => Number(o.withdrawalId) === 1)!.value;
    expect((await withdrawals(s))[0]).toMatchObject({ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, releaseId: old.id, paid });
    const r = await reserve(s);
    expect(r).toMatchObject({ total: "300000", supply: "299000", pending: "0" });
    expect(r.entries.map((e) => hex(e.id))).toEqual([hex(old.change!.id)]);
    await expectReserveInvariant(s, PEG_IN_FEE);

    const lateProof = await s.includeRelease(signedBumped.signedTx);
    const settled = await snapshot(s);
    const [late] = await h.block([confirm(s, lateProof)]);
    expect(codeOf(late)).toEqual(["peg", 16]);
    expect(late.log).toMatch(/no longer in the reserve/);
    expect(await snapshot(s)).toBe(settled);
  });

  // A payment to any federation's reserve address, current or retired, could never be claimed (peg 24)
  // nor would it be in the reserve: the coins would stay locked and count nowhere. (Found by this test:
  // only the current federation's address used to be refused.)
  it("refuses a withdrawal to a retired federation's reserve address (peg 13)", async () => {
    const s = await kc.start({ extraAccounts: newMemberKeys });
    await claimed(s, 600_000n);
    expect((await s.h.block([propose(s, memberKeys[0]), approve(s, memberKeys[1])])).map((r) => r.code)).toEqual([0, 0]);
    const owed = (state: string) => {
      const { withdrawals, balances } = JSON.parse(state) as { withdrawals: unknown; balances: unknown };
      return { withdrawals, balances };
    };
    const before = owed(await snapshot(s));
    const results = await s.h.block([withdraw(s, s.h.accounts[0], "200000", kc.reserveAddressOf(newFederation)), withdraw(s, s.h.accounts[0], "200000", kc.reserveAddressOf(federation))]);
    expect(results.map(codeOf)).toEqual([["peg", 13], ["peg", 13]]);
    expect(results[1].log).toMatch(/reserve address of federation 1/);
    expect(owed(await snapshot(s))).toEqual(before);
  });

  it("freezes the peg when the light client sees misbehaviour: claims and withdrawals are refused (peg 3)", async () => {
    const s = await kc.start();
    const recipient = s.h.accounts[0].address;
    await claimed(s, 200_000n);
    const proof = await s.deposit({ recipient }, 50_000n);
    const relayed = await s.misbehave();
    expect(relayed.map(codeOf)).toEqual([["", 0]]);
    expect(relayed[0].events.some((e) => e.type === "peg_frozen")).toBe(true);
    const state = await clientState(s);
    expect(state.freeze).toMatchObject({ frozen: true, height: s.h.height });
    expect(state.freeze!.reason).toMatch(kc.freezeReason);
    const before = await snapshot(s);
    const results = await s.h.block([claim(s, proof, recipient), withdraw(s, s.h.accounts[0], "100000", kc.destination)]);
    expect(results.map(codeOf)).toEqual([["peg", 3], ["peg", 3]]);
    expect(await snapshot(s)).toBe(before);
  });
});

// ---- the fake kind's own light client and proofs

/** The next header on the fake chain's tip, with `changes`, signed by the chain key. */
function nextHeader(chain: FakeChain, changes: Partial<{ height: number; parent: string; time: bigint; txRoot: string }> = {}): Uint8Array {
  const tip = chain.blocks.length === 0 ? { height: chain.genesis.height, hash: chain.genesis.hash, header: { time: chain.genesis.time } } : chain.block(chain.tipHeight);
  return chain.sign({ height: tip.height + 1, parent: tip.hash, time: tip.header.time + SECOND, txRoot: "00".repeat(32), ...changes });
}

describe("the fake kind, wired in with one line", () => {
  it("is unknown without its line of wiring, and registers with it", async () => {
    const chain = new FakeChain({ genesisTime: (START - 100n) * SECOND });
    await expect(newHarness({}, [], [], {}, { extraMainchains: [fakeEntry(chain)], startTime: START })).rejects.toThrow(/unknown client type "fake"/);
    const s = await startFake();
    await s.h.block([]);
    expect(await clientState(s)).toMatchObject({ clientType: "fake", tipHeight: 100, tipHash: chain.genesis.hash, status: "Active" });
    const res = await s.h.app.query({ path: "/cosmos.bank.v1beta1.Query/DenomMetadata", data: QueryDenomMetadataRequest.encode({ denom: `peg/${FAKE}` }).finish(), height: 0n, prove: false });
    expect(res.code).toBe(0);
    expect(QueryDenomMetadataResponse.decode(res.value).metadata).toMatchObject({ base: `peg/${FAKE}`, display: `peg/${FAKE}/fake`, symbol: "pFAKE" });
  });

  const chain = new FakeChain({ genesisTime: (START - 100n) * SECOND });
  const registration = chain.registration();
  it.each([
    { name: "params of another kind's type", overrides: { params: { "@type": "/pegzone.peg.bitcoin.v1.Params", confirmations: 3 } }, expErr: /"@type" is "\/pegzone.peg.bitcoin.v1.Params", a fake main chain takes "\/pegzone.test.fake.Params"/ },
    { name: "zero confirmations", overrides: { params: { "@type": FAKE_PARAMS_TYPE, confirmations: 0 } }, expErr: /confirmations must be an integer from 1 to 1000/ },
    { name: "an unknown setting", overrides: { params: { "@type": FAKE_PARAMS_TYPE, confirmations: 3, finality: 1 } }, expErr: /unknown \/pegzone.test.fake.Params settings: finality/ },
    { name: "min_withdrawal not above max_fee", overrides: { min_withdrawal: "50000" }, expErr: /min_withdrawal must exceed max_fee/ },
    { name: "a threshold of half the weight", overrides: { federation: { ...federationJson, threshold: 1 } }, expErr: /more than half/ },
    { name: "a chain key that is not 32 bytes", overrides: { checkpoint: { ...registration, chain_key: "00" } }, expErr: /checkpoint: bad-registration: chain_key is not 32 bytes/ },
    { name: "a checkpoint with an unknown key", overrides: { checkpoint: { ...registration, trusted: true } }, expErr: /checkpoint: bad-registration: registration has unknown keys trusted/ },
  ])("refuses a genesis with $name", async ({ overrides, expErr }) => {
    await expect(newHarness({}, [], [], {}, { extraMainchains: [fakeEntry(chain, overrides)], kinds: KINDS, startTime: START })).rejects.toThrow(expErr);
  });
});

describe("the fake kind's addresses and small input cap", () => {
  it("answers deposit-address queries and registrations with the kind's addresses", async () => {
    const s = await startFake();
    const recipient = s.h.accounts[1].address;
    const expected = fakeAddress(control(federation), fromBech32(recipient, ADDRESS_PREFIX));
    expect(await depositAddress(s.h, FAKE, recipient)).toMatchObject({ address: expected, federationId: 1 });
    const register = s.h.tx(s.h.accounts[1], pegTypeUrls.registerDepositAddress, v1.MsgRegisterDepositAddress, { sender: recipient, mainchain: FAKE, recipient: "" });
    expect((await s.h.block([register]))[0]).toMatchObject({ code: 0 });
    const listed = await s.h.query("RegisteredAddresses", v1.QueryRegisteredAddressesRequest, { mainchain: FAKE }, v1.QueryRegisteredAddressesResponse);
    expect(listed.addresses.map((a) => [a.recipient, a.address, Buffer.from(a.script ?? []).toString()])).toEqual([[recipient, expected, expected]]);
    expect(fakeFlow.reserveAddress(FAKE_CHAIN, federation).address).not.toBe(expected);
  });

  it("consolidates more than half its input cap of small entries into one, paying the fee from the surplus; a withdrawal waits for the locked entries", async () => {
    const s = await startFake();
    const { h } = s;
    const owner = h.accounts[0];
    const proofs: Proof[] = [];
    for (let i = 0; i < MAX_RELEASE_INPUTS / 2 + 1; i++) proofs.push(await s.deposit({ recipient: owner.address }, 30_000n));
    expect((await h.block(proofs.map((p) => claim(s, p, owner.address)))).map((r) => r.code)).toEqual(proofs.map(() => 0));
    const entries = (await reserve(s)).entries;
    expect(entries).toHaveLength(5);
    if (h.height % 5 !== 0) await untilBatch(h);
    const [sweep] = await releases(s);
    expect(sweep).toMatchObject({ federationId: 1, changeFederationId: 1, withdrawalIds: [], fee: "100" });
    expect(sweep.inputs.map((i) => hex(i.id)).sort()).toEqual(entries.map((e) => hex(e.id)).sort());
    expect(sweep.change).toMatchObject({ value: "149900" });
    // every entry is locked in the consolidation: the withdrawal finds nothing to spend and waits
    expect((await h.block([withdraw(s, owner, "100000", fakeDestination)]))[0]).toMatchObject({ code: 0 });
    await untilBatch(h);
    expect(h.blockEvents.find((e) => e.type === "release_failed")?.attributes.reason).toMatch(/none of the 1 withdrawals fits/);
    expect((await withdrawals(s))[0].status).toBe(WithdrawalStatus.WITHDRAWAL_STATUS_PENDING);
    const id = Number(sweep.id);
    await h.block([submit(s, memberKeys[0], id, signaturesOf(KIND_CASES[1], memberKeys[0], sweep)), submit(s, memberKeys[1], id, signaturesOf(KIND_CASES[1], memberKeys[1], sweep))]);
    expect((await h.block([confirm(s, await s.includeRelease((await releases(s))[0].signedTx))]))[0]).toMatchObject({ code: 0 });
    const r = await reserve(s);
    // the withdrawal's tokens wait in the peg's account (not burned until a release pays them)
    expect(r).toMatchObject({ total: "149900", supply: "145000", pending: "0" });
    expect(r.entries.map((e) => hex(e.id))).toEqual([hex(sweep.change!.id)]);
    await expectReserveInvariant(s, 5n * PEG_IN_FEE - 100n);
    // the next batch pays the withdrawal from the consolidated entry
    await untilBatch(h);
    const release = (await releases(s)).find((x) => x.withdrawalIds.length === 1)!;
    expect(release.inputs.map((i) => hex(i.id))).toEqual([hex(sweep.change!.id)]);
    expect(release.change).toMatchObject({ value: "49900" });
    expect(await reserve(s)).toMatchObject({ total: "149900", supply: "45000", pending: "100000" });
    await expectReserveInvariant(s, 5n * PEG_IN_FEE - 100n);
  });
});

describe("the fake light client through MsgRelayHeaders", () => {
  const forged: Array<{ name: string; headers: (chain: FakeChain, now: bigint) => Uint8Array[]; reason: RegExp }> = [
    { name: "a header signed by another key", headers: (chain) => [chain.forgedNext()], reason: /bad-signature/ },
    { name: "a signature of another header", headers: (chain) => [Buffer.from(Buffer.from(nextHeader(chain)).toString().replace(/"time":"(\d+)"/, (_, t) => `"time":"${BigInt(t) + 1n}"`))], reason: /bad-signature/ },
    { name: "a header skipping a height", headers: (chain) => [nextHeader(chain, { height: chain.tipHeight + 2 })], reason: /not-next/ },
    { name: "a header on another parent", headers: (chain) => [nextHeader(chain, { parent: "ab".repeat(32) })], reason: /unknown-parent/ },
    { name: "a header no later than its parent", headers: (chain) => [nextHeader(chain, { time: chain.block(chain.tipHeight).header.time })], reason: /non-monotonic-time/ },
    { name: "a header from beyond the clock drift", headers: (chain, now) => [nextHeader(chain, { time: now + MAX_CLOCK_DRIFT + SECOND })], reason: /future-header/ },
    { name: "a header below the client's genesis", headers: (chain) => [nextHeader(chain, { height: chain.genesis.height - 1 })], reason: /too-old/ },
    { name: "two headers in one message", headers: (chain) => [nextHeader(chain), nextHeader(chain)], reason: /one header, got 2/ },
    { name: "bytes that are not a header message", headers: () => [Buffer.from("not json")], reason: /bad-encoding/ },
    { name: "a header with an unknown field", headers: (chain) => [Buffer.from(Buffer.from(nextHeader(chain)).toString().replace('"txRoot"', '"extra":1,"txRoot"'))], reason: /unknown keys extra/ },
  ];
  it.each(forged)("refuses $name with peg 4 and stores nothing", async ({ headers, reason }) => {
    const s = await startFake();
    await s.mine(2);
    const before = await snapshot(s);
    const now = (START + BigInt(s.h.height) + 1n) * SECOND;
    const [res] = await s.h.block([relayFake(s.h, headers(s.chain, now))]);
    expect(codeOf(res)).toEqual(["peg", 4]);
    expect(res.log).toMatch(reason);
    expect(await snapshot(s)).toBe(before);
  });

  it("follows relayed headers; a header relayed again is harmless", async () => {
    const s = await startFake();
    await s.mine(3);
    const state = await clientState(s);
    expect(state).toMatchObject({ tipHeight: 103, tipHash: s.chain.block(103).hash, status: "Active" });
    expect(state.details).toMatchObject({ chain_key: hex(s.chain.chainKey), genesis_height: "100", latest_time: String(s.chain.block(103).header.time) });
    const [again] = await s.h.block([relayFake(s.h, [s.chain.block(102).message])]);
    expect(again).toMatchObject({ code: 0 });
    expect(again.events.find((e) => e.type === "relay_headers")?.attributes).toMatchObject({ added: "0", tip_height: "103" });
    expect((await clientState(s)).tipHeight).toBe(103);
  });

  it("freezes on a second validly signed header at a stored height: the client takes no more headers, and proves nothing even after the peg is unfrozen", async () => {
    const s = await startFake();
    const recipient = s.h.accounts[0].address;
    const proof = await s.deposit({ recipient }, 50_000n);
    const [res] = await s.h.block([relayFake(s.h, [s.chain.conflicting(101)])]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.events.find((e) => e.type === "relay_headers")?.attributes).toMatchObject({ added: "0", frozen_height: "101" });
    const state = await clientState(s);
    expect(state).toMatchObject({ status: "Frozen", tipHeight: 103 });
    expect(state.details.evidence).toMatch(/signed two headers at height 101/);
    expect(state.freeze).toMatchObject({ frozen: true });

    s.chain.mine();
    const [next] = await s.h.block([relayFake(s.h, s.chain.messages(104))]);
    expect(codeOf(next)).toEqual(["peg", 4]);
    expect(next.log).toMatch(/frozen/);
    const [frozenClaim] = await s.h.block([claim(s, proof, recipient)]);
    expect(codeOf(frozenClaim)).toEqual(["peg", 3]);

    // The authority lifts the peg's freeze; the client stays Frozen and backs no proof (peg 27, client not active).
    expect((await s.h.block([unfreeze(s)]))[0]).toMatchObject({ code: 0 });
    const before = await snapshot(s);
    const [afterUnfreeze] = await s.h.block([claim(s, proof, recipient)]);
    expect(codeOf(afterUnfreeze)).toEqual(["peg", 27]);
    expect(afterUnfreeze.log).toMatch(/is Frozen/);
    expect(await snapshot(s)).toBe(before);
  });
});

describe("the fake kind's proofs", () => {
  it("refuses deposit proofs its light client cannot back (peg 5), with no state change", async () => {
    const s = await startFake();
    const recipient = s.h.accounts[0].address;
    const proof = await s.deposit({ recipient }, 50_000n);
    const block = s.chain.block(101);
    const to = (await depositAddress(s.h, FAKE, recipient)).address;
    const notDeposit = Buffer.from(JSON.stringify({ to, amount: "50000" }));
    const withOther = await (async () => {
      const b = s.chain.mine([notDeposit]);
      s.chain.mineEmpty(CONFIRMATIONS - 1);
      await s.relayNew();
      return b;
    })();
    const unrelayed = s.chain.mine([s.chain.depositTx(to, 50_000n, "unrelayed")]);
    const tampered = [block.txs[0], s.chain.depositTx(to, 60_000n, "deposit 0")];
    const cases: Array<[string, Proof, RegExp]> = [
      ["transactions that are not the block's", { ...proof, value: blockProof(101, tampered, 1) }, /root-mismatch/],
      ["the block's transactions without the others", { ...proof, value: blockProof(101, [block.txs[1]], 0) }, /root-mismatch/],
      ["an index past the block's transactions", { ...proof, value: blockProof(101, block.txs, 2) }, /index 2 is past/],
      ["a block the client has not stored", s.chain.depositProof(unrelayed, 0), /unknown-block/],
      ["the client's genesis block", { ...proof, value: blockProof(100, [], 0) }, /unknown-block/],
      ["a transaction that is not a deposit", s.chain.depositProof(withOther, 0), /not-a-deposit/],
      ["a proof of another kind's type", { type_url: bitcoinFlow.depositProofType, value: proof.value }, /takes a proof of type \/pegzone.test.fake.DepositProof/],
      ["a proof that is not JSON", { ...proof, value: Buffer.from("{") }, /bad-encoding/],
    ];
    const before = await snapshot(s);
    const results = await s.h.block(cases.map(([, p]) => claim(s, p, recipient)));
    for (const [i, [name, , reason]] of cases.entries()) {
      expect({ name, got: codeOf(results[i]) }).toEqual({ name, got: ["peg", 5] });
      expect({ name, log: results[i].log }).toEqual({ name, log: expect.stringMatching(reason) });
    }
    expect(await snapshot(s)).toBe(before);
  });

  it("confirms a release only when its signed transaction is proven: not its payload, nor signatures under the threshold or of another federation (peg 5)", async () => {
    const kc = KIND_CASES.find((k) => k.name === "fake")!;
    const { s, h, release } = await releaseScenario(kc);
    const fs = s as FakeSession;
    const id = Number(release.id);
    await h.block([submit(s, memberKeys[0], id, signaturesOf(kc, memberKeys[0], release)), submit(s, memberKeys[1], id, signaturesOf(kc, memberKeys[1], release))]);
    const [signed] = await releases(s);
    expect(signed.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    const tx = JSON.parse(Buffer.from(signed.signedTx).toString()) as { payload: string; federation: { members: Array<{ pubkey: string; weight: number }>; threshold: number }; signatures: Array<{ member: number; signature: string }> };
    expect(tx.payload).toBe(hex(release.payload));
    expect(tx.signatures.map((x) => x.member)).toEqual([0, 1]);

    // an attacker's own 1-of-1 "federation" signing the payload
    const attacker = createHash("sha256").update("attacker").digest();
    const ownFederation = { ...tx, federation: { members: [{ pubkey: hex(publicKeyFromPrivate(attacker)), weight: 1 }], threshold: 1 }, signatures: [{ member: 0, signature: hex(fakeSign(attacker, kc.flow.releaseDigests(builtFromRelease(release))[0])) }] };
    const forgeries: Array<[string, Uint8Array, RegExp]> = [
      ["the unsigned payload", signed.payload, /not-a-release/],
      ["one signature of two", Buffer.from(JSON.stringify({ ...tx, signatures: tx.signatures.slice(0, 1) })), /unsigned-release: signatures of weight 1, below the threshold 2/],
      ["a signature counted twice", Buffer.from(JSON.stringify({ ...tx, signatures: [tx.signatures[0], tx.signatures[0]] })), /unsigned-release/],
      ["another federation's signatures", Buffer.from(JSON.stringify(ownFederation)), /unsigned-release: the transaction's federation is not the one its payload names/],
    ];
    const proofs: Proof[] = [];
    for (const [, forged] of forgeries) proofs.push(await fs.includeRelease(forged));
    const before = await snapshot(s);
    const results = await h.block(proofs.map((p) => confirm(s, p)));
    for (const [i, [name, , reason]] of forgeries.entries()) expect({ name, got: codeOf(results[i]), log: results[i].log }).toEqual({ name, got: ["peg", 5], log: expect.stringMatching(reason) });
    expect(await snapshot(s)).toBe(before);
    expect((await h.block([confirm(s, await fs.includeRelease(signed.signedTx))]))[0]).toMatchObject({ code: 0 });
    expect((await releases(s))[0].status).toBe(ReleaseStatus.RELEASE_STATUS_CONFIRMED);
  });
});

describe("the fake kind's genesis export", () => {
  it("re-imports the client, deposits and reserve; the imported chain follows the next header and refuses a re-claim", async () => {
    const s = await startFake();
    const recipient = s.h.accounts[0].address;
    const proof = await s.deposit({ recipient }, 50_000n);
    expect((await s.h.block([claim(s, proof, recipient)]))[0]).toMatchObject({ code: 0 });
    const exported = await s.h.app.exportGenesis();
    const peg = exported.peg as { mainchains: Array<{ id: string; params: unknown; checkpoint: { headers: unknown[] } }> };
    const entry = peg.mainchains.find((m) => m.id === FAKE)!;
    expect(entry.params).toEqual({ "@type": FAKE_PARAMS_TYPE, confirmations: CONFIRMATIONS });
    expect(entry.checkpoint.headers).toHaveLength(CONFIRMATIONS);
    const state = JSON.parse(JSON.stringify(exported)) as { auth: { accounts: Array<Record<string, unknown>> } };
    for (const a of state.auth.accounts) delete a.pub_key;

    const h2 = await harnessFromAppState(state, s.h.accounts, { kinds: KINDS, startTime: START + 100n });
    await h2.block([]);
    const s2: Session = { ...s, h: h2 };
    expect((await h2.app.exportGenesis()).peg).toEqual(exported.peg);
    const o = { longs: String, bytes: String };
    expect(v1.QueryClientStateResponse.toObject(await clientState(s2), o)).toEqual(v1.QueryClientStateResponse.toObject(await clientState(s), o));
    expect(v1.QueryReserveResponse.toObject(await reserve(s2), o)).toEqual(v1.QueryReserveResponse.toObject(await reserve(s), o));
    const [again] = await h2.block([claim(s2, proof, recipient)]);
    expect(codeOf(again)).toEqual(["peg", 10]);
    const next = s.chain.mine();
    expect((await h2.block([relayFake(h2, [next.message])]))[0]).toMatchObject({ code: 0 });
    expect(await clientState(s2)).toMatchObject({ tipHeight: next.height, tipHash: next.hash });
  });

  it("re-imports a signed release in flight; the imported chain confirms it", async () => {
    const kc = KIND_CASES.find((k) => k.name === "fake")!;
    const { s, h, release } = await releaseScenario(kc);
    const id = Number(release.id);
    await h.block([submit(s, memberKeys[0], id, signaturesOf(kc, memberKeys[0], release)), submit(s, memberKeys[1], id, signaturesOf(kc, memberKeys[1], release))]);
    const state = JSON.parse(JSON.stringify(await h.app.exportGenesis())) as { auth: { accounts: Array<Record<string, unknown>> } };
    for (const a of state.auth.accounts) delete a.pub_key;
    const h2 = await harnessFromAppState(state, h.accounts, { kinds: KINDS, startTime: START + 100n });
    await h2.block([]);
    const s2: FakeSession = { ...(s as FakeSession), h: h2 };
    expect(await reserve(s2)).toMatchObject({ total: "600000", supply: "299000", pending: "300000" });
    const [signed] = await releases(s2);
    expect(signed.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    const block = s2.chain.mine([signed.signedTx]);
    s2.chain.mineEmpty(CONFIRMATIONS - 1);
    expect((await h2.block(s2.chain.messages(block.height).map((m) => relayFake(h2, [m])))).map((r) => r.code)).toEqual([0, 0, 0]);
    expect((await h2.block([confirm(s2, s2.chain.releaseProof(block, 0))]))[0]).toMatchObject({ code: 0 });
    expect(await reserve(s2)).toMatchObject({ total: "300000", supply: "299000", pending: "0" });
    expect((await withdrawals(s2))[0].status).toBe(WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED);
  });

  it("exportState and initialize round-trip, a frozen client included; a tampered export is refused before any write", async () => {
    const chain = new FakeChain({ genesisTime: 1_000n * SECOND, seed: "round trip" });
    const store = memoryStore();
    await fakeLightClient.initialize(store, undefined, chain.registration());
    await expect(fakeLightClient.initialize(store, undefined, chain.registration())).rejects.toMatchObject({ reason: "already-initialized" });
    for (let i = 0; i < 3; i++) {
      const v = await fakeLightClient.verifyClientMessage(store, undefined, [chain.mine().message], 2_000n * SECOND);
      expect(await fakeLightClient.checkForMisbehaviour(store, undefined, v)).toBeUndefined();
      await fakeLightClient.updateState(store, undefined, v, 2_000n * SECOND);
    }
    const exported = (await fakeLightClient.exportState(store)) as { headers: Array<{ header: unknown; signature: string }> };
    expect(exported.headers).toHaveLength(3);
    expect(exported.headers[0]).toEqual({ header: JSON.parse(JSON.stringify(decodeHeaderMessage(chain.block(101).message).header, (_, x) => (typeof x === "bigint" ? String(x) : x))), signature: exported.headers[0].signature });
    const copy = memoryStore();
    await fakeLightClient.initialize(copy, undefined, exported);
    expect(await fakeLightClient.exportState(copy)).toEqual(exported);
    expect(await fakeLightClient.summary(copy, undefined, 0n)).toEqual(await fakeLightClient.summary(store, undefined, 0n));

    const v = await fakeLightClient.verifyClientMessage(store, undefined, [chain.conflicting(102)], 2_000n * SECOND);
    const evidence = await fakeLightClient.checkForMisbehaviour(store, undefined, v);
    expect(evidence).toMatch(/signed two headers at height 102/);
    await fakeLightClient.updateStateOnMisbehaviour(store, undefined, v, evidence!, 2_000n * SECOND);
    const frozen = await fakeLightClient.exportState(store);
    const frozenCopy = memoryStore();
    await fakeLightClient.initialize(frozenCopy, undefined, frozen);
    expect(await fakeLightClient.status(frozenCopy, undefined, 0n)).toBe("Frozen");
    expect(await fakeLightClient.exportState(frozenCopy)).toEqual(frozen);

    const tampered = { ...exported, headers: exported.headers.map((x, i) => (i === 1 ? { ...x, signature: exported.headers[0].signature } : x)) };
    const refused = memoryStore();
    await expect(fakeLightClient.initialize(refused, undefined, tampered)).rejects.toMatchObject({ reason: "bad-signature" });
    await expect(fakeLightClient.exportState(refused)).rejects.toMatchObject({ reason: "not-initialized" });
  });
});
