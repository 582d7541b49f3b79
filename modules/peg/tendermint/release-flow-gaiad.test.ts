/**
 * The tendermint kind's release flow (./release-flow.ts) end to end against a REAL Cosmos Hub
 * (gaiad v25.1.1, one validator, test/support/gaiad.ts): an in-process pegzone app (the peg
 * harness, no CometBFT) registers the local Hub from its own RPC (a real trusted header), and every
 * header it verifies, every tx and every account state it is shown, comes from that Hub through the
 * relayer's own code (TendermintFollower, hubDepositProof, abci_query with proofs). The harness's
 * 2-of-3 federation controls the Hub multisig account `federationAccount(chain, federation)`;
 * its members sign the releases pegzone builds with their keys, and the signed txs are broadcast
 * to gaiad, which runs the SDK's own checks (sign bytes, threshold, sequence, fee, timeout height).
 *
 *  1. Happy path: a real deposit claimed; a withdrawal waits (release_failed: the account number is
 *     not proven) until an account proof teaches it; the release then built has the Hub's account
 *     number and sequence 0; signed by 2 members, broadcast, included with code 0 and proven: the
 *     recipient gets amount − fee, the reserve equals the Hub account's balance; the next release
 *     is at sequence 1.
 *  2. Timeout: that release never broadcast; an account proof below its timeout height decides
 *     nothing, one at it fails it (charged 0, the withdrawal pending again, supply restored); the
 *     next release is at the same sequence with twice the gas price; confirmed, the one after is
 *     back at the params' price.
 *  3. Included with code 5 (a reserve imported in genesis that the Hub account does not hold): the
 *     tx proof records the failure, an account proof (sequence s+1) fails it with its fee charged
 *     (a remainder entry of inputs − fee); topped up, the next release at s+1 pays.
 *  4. Forged proofs (peg ErrInvalidProof, code 5) and signatures are refused with no state change.
 *  5. A second app replaying the first one's blocks has the same app hash, releases and peg state.
 * And a timeout's doubled gas price held to what max_fee allows (it once stopped peg-out for good).
 * The scenarios share one Hub (and its federation account, whose sequence runs on across them): they
 * run in order. Pegzone's block time follows the wall clock (its headers are the Hub's real ones).
 * The in-process pegzone (`Peg`) and the Hub side (relaying, proofs, signing, broadcasting: `HubSide`)
 * are test/support/hub-peg.ts's. Skipped, saying why, when .bin/gaiad has not been built.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { Any } from "cosmjs-types/google/protobuf/any";
import { pegzone } from "../../../proto";
import { GAIAD_MISSING, haveGaiad, hubAccountState, LocalHub } from "../../../test/support/gaiad";
import {
  baseAccountOf,
  contextOf,
  freshHubAddress,
  genesisFederationAccount,
  HUB,
  HUB_ENTRY_DEFAULTS,
  HubSide,
  GAS_PRICE,
  pendingWithdrawal,
  Peg,
  PEGGED,
  type PegGenesis,
  refusedAsInvalidProof,
  type Role,
  view,
} from "../../../test/support/hub-peg";
import { account, closeHarnesses, memberKeys } from "../../../test/support/peg-harness";
import { pegTypeUrls } from "../msgs";
import { tendermintDepositDisplayId } from "./deposit-proof";
import { hubReleaseGasLimit } from "./release";
import { REMAINDER_INDEX } from "./release-flow";
import { signHubDigest } from "./multisig-tx";
import { hubReleaseDigest } from "./sign-doc";

jest.setTimeout(180_000);

const v1 = pegzone.peg.v1;
const tmV1 = pegzone.peg.tendermint.v1;
const { ReleaseStatus, WithdrawalStatus } = v1;

const PEG_IN_FEE = HUB_ENTRY_DEFAULTS.pegInFee;
const TIMEOUT_BLOCKS = HUB_ENTRY_DEFAULTS.timeoutBlocks;
/** A 2-of-3 release with one output (the change stays in the account): its gas limit, and its fee at 1 stake per gas. */
const FEE = hubReleaseGasLimit(1, 2, 3);

const DEPOSIT = 10_000_000n;
const W1 = 2_000_000n;
const W2 = 1_000_000n;
const W3 = 700_000n;
/** Scenario 3: the reserve pegzone imports, and the pegged supply it backs (the Hub account holds far less). */
const IMPORTED = 600_000_000n;
const IMPORTED_SUPPLY = 500_000_000n;

const FED = genesisFederationAccount.address;
const fresh = (tag: string) => freshHubAddress(`release-flow-gaiad ${tag}`);

if (!haveGaiad()) {
  console.warn(`modules/peg/tendermint/release-flow-gaiad.test.ts skipped: ${GAIAD_MISSING}`);
  test.skip(`the tendermint release flow against a local Cosmos Hub: skipped, ${GAIAD_MISSING}`, () => undefined);
}

(haveGaiad() ? describe : describe.skip)("the tendermint release flow against a local Cosmos Hub (gaiad v25.1.1)", () => {
  let hub: LocalHub;
  let peg1: Peg;
  let accountNumber: bigint;
  const started = Date.now();
  const timing: Record<string, number> = {};
  const lap = (name: string) => (timing[name] = (Date.now() - started) / 1000);

  // The Hub side's helpers (test/support/hub-peg.ts), bound to this file's Hub once it is up.
  let side: HubSide;
  const relayTo = (peg: Peg, height: bigint) => side.relayTo(peg, height);
  const relayTip = (peg: Peg) => side.relayTip(peg);
  const hubBalance = (address: string, after = 0n) => side.balance(address, after);
  const accountProof = (height: bigint, address?: string, raw?: Uint8Array) => side.accountProof(height, address, raw);
  const txProof = (peg: Peg, hash: string) => side.txProof(peg, hash);
  const newPeg = (extra: Partial<Pick<PegGenesis, "extraBank" | "pegGenesis" | "entry">> = {}) => side.newPeg(extra);
  /** Members 0 and 2 sign release `id` over its digest; it is SIGNED with its signed tx. */
  const signRelease = (peg: Peg, id: number) => side.signRelease(peg, id);
  /** Broadcasts a signed release to gaiad and waits for its block; the included tx's sign doc with the proven account number hashes to the release id. */
  const broadcast = (release: pegzone.peg.v1.Release) => side.broadcast(release, accountNumber);

  beforeAll(async () => {
    hub = await LocalHub.create({ timeoutCommit: "300ms" });
    await hub.start(2);
    side = new HubSide(hub);
    lap("hub up");
  });

  afterAll(async () => {
    await closeHarnesses();
    await hub?.remove();
    console.log(`release-flow-gaiad timings (s since start): ${JSON.stringify(timing)}`);
  });

  // ---- 1. the happy path (and, on its live release, the forgeries of 4)

  let deposit: { txhash: string; height: bigint };
  let release1: pegzone.peg.v1.Release;
  let included1: Awaited<ReturnType<typeof broadcast>>;

  test("1a. a real deposit to the federation's account is claimed; a withdrawal waits (release_failed) until the account's number is proven", async () => {
    peg1 = await newPeg();
    const recipient = peg1.address("user0");
    const sent = await hub.sendWithMemo({ to: FED, amount: DEPOSIT, memo: recipient });
    expect(sent.code).toBe(0);
    deposit = sent;
    const { proof } = await txProof(peg1, sent.txhash);
    const claim = await peg1.one("relayer", pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, {
      claimer: peg1.address("relayer"),
      mainchain: HUB,
      recipient,
      proof: { type_url: "/pegzone.peg.tendermint.v1.DepositProof", value: tmV1.DepositProof.encode(proof).finish() },
    });
    expect(claim).toMatchObject({ code: 0 });
    expect(await peg1.h.balance(recipient, PEGGED)).toBe(DEPOSIT - PEG_IN_FEE);
    expect(await peg1.reserve()).toEqual({
      total: DEPOSIT,
      supply: DEPOSIT - PEG_IN_FEE,
      inFlight: 0n,
      frozen: false,
      entries: [{ displayId: tendermintDepositDisplayId(sent.txhash, 0), value: DEPOSIT, releaseId: 0, account: FED }],
    });
    expect(await hubBalance(FED, sent.height)).toBe(DEPOSIT);

    expect(await peg1.withdraw("user0", W1, fresh("recipient 1"))).toMatchObject({ code: 0 });
    const from = peg1.h.height;
    await peg1.untilBatch();
    const failures = [...peg1.endBlocks].filter(([height]) => height >= from).flatMap(([, b]) => b.events.filter((e) => e.type === "release_failed"));
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect(f.attributes.reason).toMatch(new RegExp(`account ${FED} on ${HUB} is not proven yet`));
    expect(await peg1.releases()).toEqual([]);
    expect(await peg1.withdrawal(1)).toEqual(pendingWithdrawal(W1));
    lap("1a deposit claimed, release waits");
  });

  test("1b. an account proof teaches the account number; the next batch builds the release at sequence 0 with the Hub's real number", async () => {
    await relayTip(peg1); // first: the timeout height counts from the client's tip when the release is built
    // The state after the deposit's block H, proven against header H+1 (relayed for the claim).
    const proof = await accountProof(deposit.height);
    accountNumber = baseAccountOf(proof).accountNumber;
    expect(accountNumber).toBe((await hubAccountState(hub, FED)).accountNumber);
    expect(baseAccountOf(proof).sequence).toBe(0n);
    const r = await peg1.confirm({ account: proof });
    expect(r).toMatchObject({ code: 0 });
    expect(r.events.find((e) => e.type === "release_confirmed" || e.type === "release_voided")).toBeUndefined();

    release1 = await peg1.untilRelease(1);
    const builtAt = Number(release1.builtAt);
    expect(peg1.endEvent(builtAt, "release_built", "release_id", "1")).toMatchObject({ txid: release1.txid, withdrawals: "1", fee: String(FEE), sweep: "false" });
    expect(contextOf(release1)).toEqual({ chainId: hub.chainId, accountNumber, sequence: 0n, timeoutHeight: peg1.endBlocks.get(builtAt)!.tip + TIMEOUT_BLOCKS, gasPriceMicro: GAS_PRICE });
    expect(view(release1)).toEqual({
      id: 1,
      status: ReleaseStatus.RELEASE_STATUS_SIGNING,
      fee: String(FEE),
      amount: String(W1),
      withdrawalIds: [1],
      replaces: 0,
      charged: "",
      outputs: [
        [1, String(W1 - FEE)],
        [0, String(DEPOSIT - W1)],
      ],
    });
    expect(await peg1.withdrawal(1)).toEqual({ status: WithdrawalStatus.WITHDRAWAL_STATUS_IN_RELEASE, amount: String(W1), releaseId: 1, paid: String(W1 - FEE) });
    const reserve = await peg1.reserve();
    expect(reserve).toMatchObject({ total: DEPOSIT, supply: DEPOSIT - PEG_IN_FEE - W1, inFlight: W1, frozen: false });
    expect(reserve.entries.map((e) => e.releaseId)).toEqual([1]);
    lap("1b release built");
  });

  // 4. Signatures that do not count: each refused, the release as it was.
  const badSignatures: Array<{ name: string; role: Role; signature: () => Uint8Array; code: number; codespace: string; log: RegExp }> = [
    {
      name: "from an account that is no member's",
      role: "outsider",
      signature: () => signHubDigest(memberKeys[0].privateKey, hubReleaseDigest(release1.payload)),
      code: 4,
      codespace: "sdk",
      log: /not a member of federation 1/,
    },
    {
      name: "by a key that is no member's, from a member's account",
      role: "member1",
      signature: () => signHubDigest(sha256(Buffer.from("not a member")), hubReleaseDigest(release1.payload)),
      code: 18,
      codespace: "peg",
      log: /not member 1's signature/,
    },
    {
      name: "by a member over another digest",
      role: "member1",
      signature: () => signHubDigest(memberKeys[1].privateKey, sha256(Buffer.from("another release"))),
      code: 18,
      codespace: "peg",
      log: /not member 1's signature/,
    },
  ];
  test.each(badSignatures)("4. a release signature $name is refused", async ({ role, signature, code, codespace, log }) => {
    const before = await peg1.exported();
    const r = await peg1.sign(role, 1, signature());
    expect({ code: r.code, codespace: r.codespace }).toEqual({ code, codespace });
    expect(r.log).toMatch(log);
    expect(await peg1.exported()).toBe(before);
  });

  test("1c. signed by 2 of 3 members it is SIGNED; gaiad includes its signed tx with code 0", async () => {
    const signed = await signRelease(peg1, 1);
    expect(signed.signatures).toHaveLength(2);
    included1 = await broadcast(signed);
    expect(included1.code).toBe(0);
    expect(included1.gasUsed).toBeLessThanOrEqual(FEE);
    expect((await hubAccountState(hub, FED)).sequence).toBe(1n);
    lap("1c release included");
  });

  // 4. Forged proofs, on the live release of 1c before its genuine proof: each ErrInvalidProof, the peg as it was.
  /** A genuine account proof after the release's block, its header relayed: what the forgeries start from. */
  const genuineAccountProof = async () => {
    await relayTo(peg1, included1.height + 1n);
    return accountProof(included1.height);
  };
  const forgedProofs: Array<{ name: string; proof: () => Promise<pegzone.peg.tendermint.v1.IReleaseProof>; log: RegExp }> = [
    {
      name: "an account proof with one byte of its proof_ops flipped",
      proof: async () => {
        const p = await genuineAccountProof();
        const ops = Uint8Array.from(p.proofOps!);
        ops[ops.length - 1] ^= 0x01;
        return { account: { ...p, proofOps: ops } };
      },
      log: /root-mismatch: the proof leads to another app hash/,
    },
    {
      name: "an account proof whose account value says another sequence",
      proof: async () => {
        const p = await genuineAccountProof();
        const account = baseAccountOf(p);
        expect(account.sequence).toBe(1n);
        const forged = Any.encode({ typeUrl: "/cosmos.auth.v1beta1.BaseAccount", value: BaseAccount.encode({ ...account, sequence: 7n }).finish() }).finish();
        return { account: { ...p, account: forged } };
      },
      log: /value-mismatch: the store proof is for another value/,
    },
    {
      name: "an account proof at a height whose next header was not relayed",
      proof: async () => {
        const tip = await peg1.clientTip();
        return { account: await accountProof(tip + 2n) }; // header tip+3 is not in the client
      },
      log: /unknown-height: no consensus state at 1-\d+ \(the header whose app_hash commits to the state after the query height\)/,
    },
    {
      name: "a valid account proof of an account that is no federation's",
      proof: async () => {
        await genuineAccountProof();
        return { account: await accountProof(included1.height, hub.user.address, hub.user.bytes) };
      },
      log: /not-a-federation-account/,
    },
    {
      name: "a tx proof of a Hub tx that is no live release (the deposit)",
      proof: async () => ({ tx: (await txProof(peg1, deposit.txhash)).proof }),
      log: /not-a-release/,
    },
    {
      name: "the release's tx proof against the wrong header (the next block's)",
      proof: async () => {
        const { proof, height } = await txProof(peg1, included1.hash);
        await relayTo(peg1, height + 2n);
        return { tx: { ...proof, height: Number(height + 1n) } };
      },
      log: /root-mismatch: the tx proof is for another data_hash/,
    },
  ];
  test.each(forgedProofs)("4. $name is refused (peg 5) and changes nothing", async ({ proof, log }) => {
    const forged = await proof(); // relays what it needs first
    const before = await peg1.exported();
    const r = await peg1.confirm(forged);
    refusedAsInvalidProof(r);
    expect(r.log).toMatch(log);
    expect(await peg1.exported()).toBe(before);
    expect((await peg1.release(1)).status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
  });

  test("1d. the release's tx proof confirms it: the recipient holds amount − fee, the reserve is the Hub account's balance; the next release is at sequence 1", async () => {
    const { proof } = await txProof(peg1, included1.hash);
    const r = await peg1.confirm({ tx: proof });
    expect(r).toMatchObject({ code: 0 });
    expect(r.events.find((e) => e.type === "release_confirmed")?.attributes).toMatchObject({ release_id: "1", txid: release1.txid, fee: String(FEE) });
    expect((await peg1.release(1)).status).toBe(ReleaseStatus.RELEASE_STATUS_CONFIRMED);
    expect(await peg1.withdrawal(1)).toEqual({ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, amount: String(W1), releaseId: 1, paid: String(W1 - FEE) });
    expect(await hubBalance(fresh("recipient 1"), included1.height)).toBe(W1 - FEE);
    const reserve = await peg1.reserve();
    expect(reserve).toEqual({
      total: DEPOSIT - W1,
      supply: DEPOSIT - PEG_IN_FEE - W1,
      inFlight: 0n,
      frozen: false,
      entries: [{ displayId: `${release1.txid}:4294967295`, value: DEPOSIT - W1, releaseId: 0, account: FED }],
    });
    expect(reserve.total).toBe(await hubBalance(FED, included1.height));
    // A second proof of the same tx: the release is no longer live.
    const again = await peg1.confirm({ tx: proof });
    refusedAsInvalidProof(again);
    expect(again.log).toMatch(/not-a-release/);

    await relayTip(peg1);
    expect(await peg1.withdraw("user0", W2, fresh("recipient 2"))).toMatchObject({ code: 0 });
    const release2 = await peg1.untilRelease(2);
    expect(contextOf(release2)).toEqual({ chainId: hub.chainId, accountNumber, sequence: 1n, timeoutHeight: peg1.endBlocks.get(Number(release2.builtAt))!.tip + TIMEOUT_BLOCKS, gasPriceMicro: GAS_PRICE });
    expect(view(release2)).toMatchObject({ status: ReleaseStatus.RELEASE_STATUS_SIGNING, fee: String(FEE), withdrawalIds: [2] });
    lap("1d confirmed");
  });

  // ---- 2. a release never broadcast times out

  test("2. a release not included by its timeout height fails (charged 0) on an account proof at it; the next one, at the same sequence, offers twice the gas price", async () => {
    const release2 = await peg1.release(2);
    const { timeoutHeight } = contextOf(release2);
    const supplyBefore = (await peg1.reserve()).supply;
    await signRelease(peg1, 2); // signed, never broadcast

    // Below the timeout height the release may still be included: nothing is decided.
    await relayTo(peg1, timeoutHeight);
    const early = await accountProof(timeoutHeight - 1n);
    expect(baseAccountOf(early).sequence).toBe(1n);
    expect(await peg1.confirm({ account: early })).toMatchObject({ code: 0 });
    expect((await peg1.release(2)).status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);

    // At it (the state after block timeout_height): never included, and never can be.
    await relayTo(peg1, timeoutHeight + 1n);
    await relayTip(peg1); // the next release's timeout counts from here
    const atTimeout = await accountProof(timeoutHeight);
    await peg1.offBatch();
    const r = await peg1.confirm({ account: atTimeout });
    expect(r).toMatchObject({ code: 0 });
    expect(r.events.find((e) => e.type === "release_voided")?.attributes).toMatchObject({ release_id: "2", charged: "0", withdrawals: "2" });
    const failed = await peg1.release(2);
    expect(view(failed)).toMatchObject({ status: ReleaseStatus.RELEASE_STATUS_FAILED, charged: "0" });
    expect(failed.failure).toMatch(new RegExp(`not included by its timeout height ${timeoutHeight}`));
    expect(await peg1.releases()).toHaveLength(2);
    expect(await peg1.withdrawal(2)).toEqual(pendingWithdrawal(W2));
    expect(await peg1.reserve()).toEqual({
      total: DEPOSIT - W1,
      supply: supplyBefore + W2, // the withdrawal's tokens minted back into the redemption account
      inFlight: 0n,
      frozen: false,
      entries: [{ displayId: `${release1.txid}:4294967295`, value: DEPOSIT - W1, releaseId: 0, account: FED }],
    });
    expect(supplyBefore + W2).toBe(DEPOSIT - PEG_IN_FEE - W1);

    const release3 = await peg1.untilRelease(3);
    expect(contextOf(release3)).toEqual({ chainId: hub.chainId, accountNumber, sequence: 1n, timeoutHeight: peg1.endBlocks.get(Number(release3.builtAt))!.tip + TIMEOUT_BLOCKS, gasPriceMicro: 2n * GAS_PRICE });
    expect(view(release3)).toEqual({
      id: 3,
      status: ReleaseStatus.RELEASE_STATUS_SIGNING,
      fee: String(2n * FEE),
      amount: String(W2),
      withdrawalIds: [2],
      replaces: 0,
      charged: "",
      outputs: [
        [2, String(W2 - 2n * FEE)],
        [0, String(DEPOSIT - W1 - W2)],
      ],
    });

    // Broadcast and confirmed it pays; the Hub charged the doubled fee; the next release is back at the params' price.
    const included = await broadcast(await signRelease(peg1, 3));
    expect(included.code).toBe(0);
    expect(await peg1.confirm({ tx: (await txProof(peg1, included.hash)).proof })).toMatchObject({ code: 0 });
    expect(await peg1.withdrawal(2)).toEqual({ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, amount: String(W2), releaseId: 3, paid: String(W2 - 2n * FEE) });
    expect(await hubBalance(fresh("recipient 2"), included.height)).toBe(W2 - 2n * FEE);
    expect((await peg1.reserve()).total).toBe(await hubBalance(FED, included.height));
    expect((await peg1.reserve()).total).toBe(DEPOSIT - W1 - W2);
    await relayTip(peg1);
    expect(await peg1.withdraw("user0", W3, fresh("recipient 3"))).toMatchObject({ code: 0 });
    const release4 = await peg1.untilRelease(4);
    expect(contextOf(release4)).toMatchObject({ sequence: 2n, gasPriceMicro: GAS_PRICE });
    expect(release4.fee).toBe(String(FEE));
    lap("2 timeout");
  });

  // ---- 3. included with code 5: the sequence and the fee consumed

  test("3. a release included with code 5 is recorded by its tx proof and failed by an account proof with its fee charged; topped up, the next one pays", async () => {
    const withdrawer = account(1).address; // the harness's user1
    const hubHeld = await hubBalance(FED);
    expect(hubHeld).toBe(DEPOSIT - W1 - W2);
    expect(hubHeld).toBeLessThan(IMPORTED_SUPPLY);
    // pegzone believes the account holds IMPORTED, backing IMPORTED_SUPPLY pegged tokens held by user1.
    const entryId = sha256(Buffer.from("imported reserve entry"));
    const importedEntry = {
      mainchain: HUB,
      id: Buffer.concat([entryId, Buffer.alloc(4)]).toString("base64"),
      display_id: `${Buffer.from(entryId).toString("hex").toUpperCase()}:0`,
      value: String(IMPORTED),
      federation_id: "1",
      release_id: "0",
      data: { type_url: "/pegzone.peg.tendermint.v1.ReserveAccount", value: Buffer.from(tmV1.ReserveAccount.encode({ address: FED }).finish()).toString("base64") },
    };
    const peg3 = await newPeg({ extraBank: [{ address: withdrawer, coins: [{ denom: PEGGED, amount: String(IMPORTED_SUPPLY) }] }], pegGenesis: { reserve: [importedEntry] } });
    expect(await peg3.reserve()).toMatchObject({ total: IMPORTED, supply: IMPORTED_SUPPLY, inFlight: 0n, frozen: false });

    const s = (await hubAccountState(hub, FED)).sequence;
    expect(s).toBe(2n);
    await relayTip(peg3);
    const proven = await accountProof((await peg3.clientTip()) - 1n);
    expect(baseAccountOf(proven).sequence).toBe(s);
    expect(await peg3.confirm({ account: proven })).toMatchObject({ code: 0 });
    expect(await peg3.withdraw("user1", IMPORTED_SUPPLY, fresh("recipient 4"))).toMatchObject({ code: 0 });
    const bad = await peg3.untilRelease(1);
    expect(contextOf(bad)).toMatchObject({ accountNumber, sequence: s, gasPriceMicro: GAS_PRICE });
    expect(view(bad).outputs).toEqual([
      [1, String(IMPORTED_SUPPLY - FEE)],
      [0, String(IMPORTED - IMPORTED_SUPPLY)],
    ]);

    // CheckTx runs no messages: gaiad takes it, and its block executes it with code 5 after taking the fee.
    const included = await broadcast(await signRelease(peg3, 1));
    expect(included.code).toBe(5);
    expect(await hubBalance(FED, included.height)).toBe(hubHeld - FEE);
    expect((await hubAccountState(hub, FED)).sequence).toBe(s + 1n);

    // The tx proof decides nothing: the failure is recorded for an account proof.
    const before = await peg3.reserve();
    const { proof, height } = await txProof(peg3, included.hash);
    // (Its result claimed as a success instead: refused, nothing recorded.)
    const exportedBefore = await peg3.exported();
    const forged = await peg3.confirm({ tx: { ...proof, result: { ...proof.result, code: 0 } } });
    refusedAsInvalidProof(forged);
    expect(forged.log).toMatch(/merkle-mismatch: the proof does not lead to the expected root/);
    expect(await peg3.exported()).toBe(exportedBefore);
    const recorded = await peg3.confirm({ tx: proof });
    expect(recorded).toMatchObject({ code: 0 });
    expect(recorded.events.find((e) => e.type === "release_voided" || e.type === "release_confirmed")).toBeUndefined();
    expect((await peg3.release(1)).status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    expect(await peg3.reserve()).toEqual(before);
    const kindState = (JSON.parse(await peg3.exported()) as { kind_state: Array<{ mainchain: string; key: string; value: string }> }).kind_state;
    const failedKey = Buffer.concat([Buffer.of(0x02), Buffer.from(bad.txid)]).toString("base64");
    const failedEntry = kindState.find((k) => k.mainchain === HUB && k.key === failedKey);
    expect(failedEntry).toBeDefined();
    expect(tmV1.FailedInclusion.toObject(tmV1.FailedInclusion.decode(Buffer.from(failedEntry!.value, "base64")), { longs: String })).toEqual({ txid: bad.txid, height: String(height), code: 5 });

    // An account proof from before its block (sequence s) decides nothing; one after it (s + 1) fails it, charging the fee.
    const older = await accountProof(height - 1n); // header `height` is relayed
    expect(baseAccountOf(older).sequence).toBe(s);
    expect(await peg3.confirm({ account: older })).toMatchObject({ code: 0 });
    expect((await peg3.release(1)).status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    const after = await accountProof(height); // header height+1 is relayed
    expect(baseAccountOf(after).sequence).toBe(s + 1n);
    await peg3.offBatch();
    const r = await peg3.confirm({ account: after });
    expect(r).toMatchObject({ code: 0 });
    expect(r.events.find((e) => e.type === "release_voided")?.attributes).toMatchObject({ release_id: "1", charged: String(FEE), charged_to_withdrawals: "0" });
    const failed = await peg3.release(1);
    expect(view(failed)).toMatchObject({ status: ReleaseStatus.RELEASE_STATUS_FAILED, charged: String(FEE) });
    expect(failed.failure).toMatch(new RegExp(`included at ${height} with code 5; it consumed sequence ${s} and its fee`));
    expect((JSON.parse(await peg3.exported()) as { kind_state: Array<{ key: string }> }).kind_state.find((k) => k.key === failedKey)).toBeUndefined();
    expect(await peg3.releases()).toHaveLength(1);
    expect(await peg3.withdrawal(1)).toEqual(pendingWithdrawal(IMPORTED_SUPPLY));
    expect(await peg3.reserve()).toEqual({
      total: IMPORTED - FEE,
      supply: IMPORTED_SUPPLY,
      inFlight: 0n,
      frozen: false,
      entries: [{ displayId: `${bad.txid}:${REMAINDER_INDEX}`, value: IMPORTED - FEE, releaseId: 0, account: FED }],
    });

    // The account topped up with a plain send (no memo: no deposit); the next release is at s + 1 and pays.
    const topUp = await hub.sendWithMemo({ to: FED, amount: IMPORTED_SUPPLY, memo: "" });
    expect(topUp.code).toBe(0);
    await relayTip(peg3);
    const good = await peg3.untilRelease(2);
    expect(contextOf(good)).toMatchObject({ accountNumber, sequence: s + 1n, gasPriceMicro: GAS_PRICE });
    expect(good.inputs.map((i) => [i.displayId, i.value])).toEqual([[`${bad.txid}:${REMAINDER_INDEX}`, String(IMPORTED - FEE)]]);
    expect(view(good)).toMatchObject({ fee: String(FEE), amount: String(IMPORTED_SUPPLY), withdrawalIds: [1] });
    const paid = await broadcast(await signRelease(peg3, 2));
    expect(paid.code).toBe(0);
    expect(await peg3.confirm({ tx: (await txProof(peg3, paid.hash)).proof })).toMatchObject({ code: 0 });
    expect(await peg3.withdrawal(1)).toEqual({ status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, amount: String(IMPORTED_SUPPLY), releaseId: 2, paid: String(IMPORTED_SUPPLY - FEE) });
    expect(await hubBalance(fresh("recipient 4"), paid.height)).toBe(IMPORTED_SUPPLY - FEE);
    expect(await hubBalance(FED, paid.height)).toBe(hubHeld - FEE); // the code-5 fee; the top-up paid the rest
    expect(await peg3.reserve()).toMatchObject({ total: IMPORTED - FEE - IMPORTED_SUPPLY, supply: 0n, inFlight: 0n, frozen: false });
    lap("3 code 5");
  });

  // ---- 5. determinism

  test("5. a second app replaying the first one's blocks builds byte-identical releases and reaches the same app hash", async () => {
    const twin = await Peg.create(peg1.genesis, false);
    await twin.replay(peg1.log);
    expect(twin.h.height).toBe(peg1.h.height);
    const [a, b] = [await peg1.releases(), await twin.releases()];
    expect(a.length).toBe(4);
    const bytes = (r: pegzone.peg.v1.Release) => [r.txid, Buffer.from(r.payload).toString("hex"), Buffer.from(r.context).toString("hex"), Buffer.from(r.signedTx).toString("hex"), r.status];
    expect(b.map(bytes)).toEqual(a.map(bytes));
    expect(await twin.exported()).toBe(await peg1.exported());
    expect(await twin.appHash()).toBe(await peg1.appHash());
    lap("5 replay");
  });

  // A timeout doubles the gas price; held to what max_fee allows, it can never stop peg-out (found as a
  // bug: the doubled price put every later release over the cap, and none could confirm to reset it).
  test("after a timeout doubles the gas price past max_fee, the next release offers what the cap allows", async () => {
    const entryId = sha256(Buffer.from("stall entry"));
    const importedEntry = {
      mainchain: HUB,
      id: Buffer.concat([entryId, Buffer.alloc(4)]).toString("base64"),
      display_id: `${Buffer.from(entryId).toString("hex").toUpperCase()}:0`,
      value: "10000000",
      federation_id: "1",
      release_id: "0",
      data: { type_url: "/pegzone.peg.tendermint.v1.ReserveAccount", value: Buffer.from(tmV1.ReserveAccount.encode({ address: FED }).finish()).toString("base64") },
    };
    const peg = await newPeg({ extraBank: [{ address: account(1).address, coins: [{ denom: PEGGED, amount: "5000000" }] }], pegGenesis: { reserve: [importedEntry] }, entry: { max_fee: "300000" } });
    await relayTip(peg);
    expect(await peg.confirm({ account: await accountProof((await peg.clientTip()) - 1n) })).toMatchObject({ code: 0 });
    expect(await peg.withdraw("user1", 1_000_000n, fresh("stall"))).toMatchObject({ code: 0 });
    const { timeoutHeight } = contextOf(await peg.untilRelease(1)); // fee 170,000 at the params' price: under the cap
    await relayTo(peg, timeoutHeight + 1n);
    expect(await peg.confirm({ account: await accountProof(timeoutHeight) })).toMatchObject({ code: 0 });
    expect((await peg.release(1)).status).toBe(ReleaseStatus.RELEASE_STATUS_FAILED);
    await peg.untilBatch();
    await peg.untilBatch();
    expect((await peg.releases()).length).toBe(2);
    const second = await peg.release(2);
    expect(contextOf(second).gasPriceMicro).toBe(2_000_000n); // offered: doubled
    expect(second.fee).toBe("300000"); // paid: what the cap allows (170,000 gas at 1,764,705 millionths, rounded up)
  });
});
