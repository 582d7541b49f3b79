/**
 * In-process pegzone against a REAL local Cosmos Hub (LocalHub, test/support/gaiad.ts), for the
 * tendermint kind's gaiad tests (modules/peg/tendermint/release-flow-gaiad.test.ts,
 * rotation-gaiad.test.ts):
 *
 *  - `Peg`: a peg harness app (no CometBFT) with the Hub registered from its live RPC (`hubEntry`),
 *    roles for the harness's users, the genesis federation's members and the members of a later
 *    federation (`next0`…), each with this app's own sequences; its blocks are logged so that
 *    another app can replay them; by default its clock follows the wall clock (its headers are the
 *    Hub's real ones); peg messages and queries.
 *  - `HubSide`: what the relayer and the signers do against the Hub, through the relayer's own code:
 *    relaying headers (TendermintFollower), Hub balances and account proofs (abci_query with ICS23
 *    proofs), tx proofs (hubDepositProof), members signing a release and its broadcast to gaiad.
 *  - small views of releases, contexts and withdrawals.
 * For jest tests: some helpers check their steps with `expect`.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { Any } from "cosmjs-types/google/protobuf/any";
import { ProofOps } from "cosmjs-types/tendermint/crypto/proof";
import type { RpcClient } from "../../chain/client/rpc";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../../chain/crypto/address";
import { publicKeyFromPrivate } from "../../chain/crypto/secp256k1";
import { SdkError } from "../../chain/tx/errors";
import { pegTypeUrls } from "../../modules/peg/msgs";
import { federationAccount, type FederationAccount } from "../../modules/peg/tendermint/multisig";
import { hubReleaseIdOfTx, signHubDigest } from "../../modules/peg/tendermint/multisig-tx";
import { tendermintParamsAny } from "../../modules/peg/tendermint/params";
import { decodeReleaseContext, RELEASE_PROOF_TYPE } from "../../modules/peg/tendermint/release-flow";
import { hubReleaseDigest } from "../../modules/peg/tendermint/sign-doc";
import { pegzone } from "../../proto";
import { hubDepositProof } from "../../relayer/hub-deposits";
import { fetchTendermintRegistration, type TendermintRegistrationJson } from "../../relayer/tendermint-registration";
import { TendermintFollower } from "../../relayer/tendermint-follower";
import { pegzoneTendermintClient } from "../../relayer/tendermint-pegzone-client";
import { bankBalanceKey, broadcastTxSync, type LocalHub, waitForTx } from "./gaiad";
import { federation, federationJson, memberKeys, newHarness, type Harness, type HarnessEvent, type TestAccount } from "./peg-harness";

const v1 = pegzone.peg.v1;
const tmV1 = pegzone.peg.tendermint.v1;
const { ReleaseStatus, WithdrawalStatus } = v1;

/** The Hub's main-chain id in pegzone, and its pegged denom. */
export const HUB = "hub-local";
export const PEGGED = `peg/${HUB}`;
/** The Hub's token the peg holds (LocalHub's staking denom). */
export const DENOM = "stake";
/** Millionths of a stake per gas: 1 stake per gas, the local Hub's minimum. */
export const GAS_PRICE = 1_000_000n;
/** The defaults of `hubEntry`. */
export const HUB_ENTRY_DEFAULTS = { pegInFee: 100n, batch: 2, timeoutBlocks: 20n } as const;
export const SECOND = 1_000_000_000n;

/** The main chain as federationAccount needs it (denom and bech32 prefix). */
export const hubChain: pegzone.peg.v1.IMainChain = { id: HUB, params: tendermintParamsAny({ denom: DENOM, bech32Prefix: "cosmos" }) };
/** The Hub account of the harness's genesis federation (federation 1, 2 of 3). */
export const genesisFederationAccount: FederationAccount = federationAccount(hubChain, federation);

/** A Hub address nobody holds a key of: sha256(seed)[:20] in bech32. */
export const freshHubAddress = (seed: string) => bech32.encode("cosmos", bech32.toWords(sha256(Buffer.from(seed)).subarray(0, 20)));
export const u64 = (v: unknown) => BigInt(String(v ?? 0));
export const wallSeconds = () => BigInt(Math.floor(Date.now() / 1000));

/**
 * Members of a later federation: keys from sha256(`${seed} ${i}`), pegzone accounts numbered from
 * `firstAccountNumber` (give them to `newPeg({ extraAccounts })`; their roles are `next${i}`).
 */
export function nextMemberKeys(n: number, seed = "hub-peg next federation member", firstAccountNumber = 20): TestAccount[] {
  return Array.from({ length: n }, (_, i) => {
    const privateKey = sha256(Buffer.from(`${seed} ${i}`));
    const pubkey = publicKeyFromPrivate(privateKey);
    return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(firstAccountNumber + i), sequence: 0n };
  });
}

export type Codec = { encode(m: never): { finish(): Uint8Array }; create(o: object): unknown };
/** Who sends a tx: the harness's users, the genesis federation's members, a later federation's members. */
export type Role = "user0" | "user1" | "relayer" | "outsider" | "member0" | "member1" | "member2" | `next${number}`;
export interface Sent {
  readonly role: Role;
  readonly typeUrl: string;
  readonly type: Codec;
  readonly fields: object;
}
export interface LoggedBlock {
  readonly clockSkip: bigint;
  readonly txs: readonly Sent[];
}
export type TxResult = Awaited<ReturnType<Harness["block"]>>[number];

/** The genesis entry of the Hub, registered from the live node, with the release settings the tests use (`HUB_ENTRY_DEFAULTS`). */
export function hubEntry(registration: TendermintRegistrationJson): Record<string, unknown> {
  return {
    id: HUB,
    client_type: "tendermint",
    min_deposit: "1000",
    peg_in_fee: String(HUB_ENTRY_DEFAULTS.pegInFee),
    reserve_cap: "1000000000000",
    min_withdrawal: "1000",
    batch_interval: HUB_ENTRY_DEFAULTS.batch,
    max_fee: "2000000",
    release_timeout: 0,
    federation_grace: 0,
    federation: federationJson,
    params: {
      "@type": "/pegzone.peg.tendermint.v1.Params",
      denom: DENOM,
      display_denom: "",
      decimals: 0,
      bech32_prefix: "cosmos",
      gas_price_micro: String(GAS_PRICE),
      release_timeout_blocks: String(HUB_ENTRY_DEFAULTS.timeoutBlocks),
    },
    checkpoint: registration,
  };
}

export interface PegGenesis {
  readonly registration: TendermintRegistrationJson;
  readonly startTime: bigint;
  readonly extraBank: Array<{ address: string; coins: Array<{ denom: string; amount: string }> }>;
  readonly pegGenesis: Record<string, unknown>;
  /** Fields of the Hub's entry replaced. */
  readonly entry?: Record<string, unknown>;
  /** Accounts in auth (the members of a later federation: roles `next0`, `next1`, …). */
  readonly extraAccounts?: readonly TestAccount[];
}

/**
 * An in-process pegzone with the Hub registered. Every block is logged (its txs as messages, its
 * clock) so that another app can replay it; by default the clock follows the wall clock (pegzone's
 * time is after the Hub headers it is shown), a replay uses the logged clock.
 */
export class Peg {
  readonly log: LoggedBlock[] = [];
  /** Members' accounts with this app's own sequences (the harness module's are shared). */
  private readonly members: TestAccount[] = memberKeys.map((m) => ({ ...m, sequence: 0n }));
  private readonly next: TestAccount[];
  /** The Hub entry's batch interval. */
  readonly batch: number;

  private constructor(
    readonly h: Harness,
    readonly genesis: PegGenesis,
    private readonly followClock: boolean,
  ) {
    this.next = (genesis.extraAccounts ?? []).map((m) => ({ ...m, sequence: 0n }));
    this.batch = Number({ ...hubEntry(genesis.registration), ...genesis.entry }.batch_interval);
  }

  static async create(genesis: PegGenesis, followClock = true): Promise<Peg> {
    const h = await newHarness({}, genesis.extraBank, [...(genesis.extraAccounts ?? [])], genesis.pegGenesis, {
      extraMainchains: [{ ...hubEntry(genesis.registration), ...genesis.entry }],
      startTime: genesis.startTime,
    });
    return new Peg(h, genesis, followClock);
  }

  account(role: Role): TestAccount {
    switch (role) {
      case "user0":
        return this.h.accounts[0];
      case "user1":
        return this.h.accounts[1];
      case "relayer":
        return this.h.accounts[2];
      case "outsider":
        return this.h.accounts[3];
      default: {
        const i = Number(/\d+$/.exec(role)![0]);
        const account = role.startsWith("next") ? this.next[i] : this.members[i];
        if (account === undefined) throw new Error(`no account for role ${role}`);
        return account;
      }
    }
  }

  address(role: Role): string {
    return this.account(role).address;
  }

  /** The next block's time (unix seconds), moved to at least the wall clock + 2 s when following it. */
  nextTime(): bigint {
    const next = () => this.genesis.startTime + BigInt(this.h.height + 1) + this.h.clockSkip;
    if (this.followClock) {
      const want = wallSeconds() + 2n;
      if (next() < want) this.h.clockSkip += want - next();
    }
    return next();
  }

  async block(sent: readonly Sent[] = []): Promise<TxResult[]> {
    this.nextTime();
    this.log.push({ clockSkip: this.h.clockSkip, txs: sent });
    const results = await this.h.block(sent.map((s) => this.h.tx(this.account(s.role), s.typeUrl, s.type, s.fields)));
    this.endBlocks.set(this.h.height, { events: this.h.blockEvents, tip: await this.clientTip() });
    return results;
  }

  /** Per block: its EndBlock events and the light client's tip after it (what a release built there counts its timeout from). */
  readonly endBlocks = new Map<number, { events: HarnessEvent[]; tip: bigint }>();

  /** The EndBlock event `type` of block `height` whose attribute `key` is `value`. */
  endEvent(height: number, type: string, key: string, value: string): Record<string, string> | undefined {
    return this.endBlocks.get(height)?.events.find((e) => e.type === type && e.attributes[key] === value)?.attributes;
  }

  /** The EndBlock events `type` of the blocks from `from` on. */
  endEventsSince(from: number, type: string): Array<Record<string, string>> {
    return [...this.endBlocks].filter(([height]) => height >= from).flatMap(([, b]) => b.events.filter((e) => e.type === type).map((e) => e.attributes));
  }

  /** Empty blocks until release `id` exists (it is built at a batch height); the release. */
  async untilRelease(id: number): Promise<pegzone.peg.v1.Release> {
    for (let i = 0; i <= this.batch; i++) {
      const found = (await this.releases()).find((r) => Number(r.id) === id);
      if (found) return found;
      await this.block();
    }
    throw new Error(`no release ${id} after ${this.batch} blocks`);
  }

  async one(role: Role, typeUrl: string, type: Codec, fields: object): Promise<TxResult> {
    const [r] = await this.block([{ role, typeUrl, type, fields }]);
    return r;
  }

  /** Runs another app's logged blocks, with its clock. */
  async replay(log: readonly LoggedBlock[]): Promise<void> {
    for (const b of log) {
      this.h.clockSkip = b.clockSkip;
      await this.block(b.txs);
    }
  }

  /** An empty block if the next one is a batch height: the block after this one builds no release. */
  async offBatch(): Promise<void> {
    if ((this.h.height + 1) % this.batch === 0) await this.block();
  }

  /** Empty blocks up to and including the next batch height; that block's EndBlock events. */
  async untilBatch(): Promise<HarnessEvent[]> {
    do await this.block();
    while (this.h.height % this.batch !== 0);
    return this.h.blockEvents;
  }

  // ---- messages

  relay(headers: Uint8Array[]): Promise<TxResult> {
    return this.one("relayer", pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: this.address("relayer"), mainchain: HUB, headers });
  }

  /** MsgClaimDeposit of a Hub deposit (its tx proof) for `recipient`. */
  claim(proof: pegzone.peg.tendermint.v1.IDepositProof, recipient: string, role: Role = "relayer"): Promise<TxResult> {
    return this.one(role, pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, {
      claimer: this.address(role),
      mainchain: HUB,
      recipient,
      proof: { type_url: "/pegzone.peg.tendermint.v1.DepositProof", value: tmV1.DepositProof.encode(proof).finish() },
    });
  }

  withdraw(role: Role, amount: bigint, destination: string): Promise<TxResult> {
    return this.one(role, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: this.address(role), mainchain: HUB, amount: String(amount), destination });
  }

  confirm(proof: pegzone.peg.tendermint.v1.IReleaseProof, role: Role = "relayer"): Promise<TxResult> {
    return this.one(role, pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, { relayer: this.address(role), mainchain: HUB, proof: { type_url: RELEASE_PROOF_TYPE, value: tmV1.ReleaseProof.encode(proof).finish() } });
  }

  sign(role: Role, releaseId: number, signature: Uint8Array): Promise<TxResult> {
    return this.one(role, pegTypeUrls.submitReleaseSignatures, v1.MsgSubmitReleaseSignatures, { signer: this.address(role), mainchain: HUB, releaseId, signatures: [signature] });
  }

  /** MsgProposeFederation of `members` (weight 1 each, their pegzone accounts) with `threshold`. */
  propose(role: Role, members: readonly TestAccount[], threshold: number): Promise<TxResult> {
    return this.one(role, pegTypeUrls.proposeFederation, v1.MsgProposeFederation, {
      proposer: this.address(role),
      mainchain: HUB,
      members: members.map((m) => ({ pubkey: m.pubkey, weight: 1, account: m.address })),
      threshold,
    });
  }

  approve(role: Role, proposalId: number, proposedAt = 0): Promise<TxResult> {
    return this.one(role, pegTypeUrls.approveFederation, v1.MsgApproveFederation, { approver: this.address(role), mainchain: HUB, proposalId, proposedAt });
  }

  // ---- queries

  async releases(): Promise<pegzone.peg.v1.Release[]> {
    return (await this.h.query("Releases", v1.QueryReleasesRequest, { mainchain: HUB }, v1.QueryReleasesResponse)).releases.map((r) => v1.Release.create(r));
  }

  async release(id: number): Promise<pegzone.peg.v1.Release> {
    return v1.Release.create((await this.h.query("Release", v1.QueryReleaseRequest, { mainchain: HUB, id }, v1.QueryReleaseResponse)).release!);
  }

  /** A withdrawal's state: status, amount, the release paying it, what it pays. */
  async withdrawal(id: number): Promise<{ status: number; amount: string; releaseId: number; paid: string }> {
    const w = (await this.h.query("Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: HUB, ids: [id] }, v1.QueryWithdrawalsResponse)).withdrawals[0];
    return { status: w.status ?? 0, amount: w.amount ?? "", releaseId: Number(w.releaseId), paid: w.paid ?? "" };
  }

  async reserve(): Promise<{ total: bigint; supply: bigint; inFlight: bigint; frozen: boolean; entries: Array<{ displayId: string; value: bigint; releaseId: number; account: string }> }> {
    const r = await this.h.query("Reserve", v1.QueryReserveRequest, { mainchain: HUB }, v1.QueryReserveResponse);
    return {
      total: BigInt(r.total),
      supply: BigInt(r.supply),
      inFlight: BigInt(r.pending),
      frozen: r.freeze?.frozen ?? false,
      entries: r.entries.map((e) => ({ displayId: e.displayId ?? "", value: BigInt(e.value ?? "0"), releaseId: Number(e.releaseId), account: tmV1.ReserveAccount.decode(e.data!.value!).address })),
    };
  }

  /** The federation id of each reserve entry, in the Reserve query's order. */
  async reserveFederations(): Promise<number[]> {
    return (await this.h.query("Reserve", v1.QueryReserveRequest, { mainchain: HUB }, v1.QueryReserveResponse)).entries.map((e) => Number(e.federationId));
  }

  async federations(): Promise<pegzone.peg.v1.QueryFederationsResponse> {
    return this.h.query("Federations", v1.QueryFederationsRequest, { mainchain: HUB }, v1.QueryFederationsResponse);
  }

  /** The ReleaseContext query for `federationId`: its next release's context, or what is missing (what the relayer asks before proving an account). */
  async releaseContext(federationId: number): Promise<{ context: Uint8Array; missing: string }> {
    const r = await this.h.query("ReleaseContext", v1.QueryReleaseContextRequest, { mainchain: HUB, federationId }, v1.QueryReleaseContextResponse);
    return { context: r.context ?? new Uint8Array(), missing: r.missing ?? "" };
  }

  async clientTip(): Promise<bigint> {
    return BigInt((await this.h.query("ClientState", v1.QueryClientStateRequest, { mainchain: HUB }, v1.QueryClientStateResponse)).tipHeight);
  }

  /** The peg's whole state as its genesis export (reserve, withdrawals, releases, the kind's state, the client). */
  async exported(): Promise<string> {
    return JSON.stringify((await this.h.app.exportGenesis()).peg);
  }

  async appHash(): Promise<string> {
    return Buffer.from((await this.h.app.info({} as never)).lastBlockAppHash).toString("hex");
  }
}

/** The app's queries as the relayer's RpcClient asks them (the follower reads pegzone's client through it). */
export function appRpc(h: Harness): RpcClient {
  return {
    url: "in-process",
    async query(path: string, data: Uint8Array) {
      const res = await h.app.query({ path, data, height: 0n, prove: false });
      if (res.code !== 0) throw new SdkError(res.codespace, res.code, res.log);
      return res.value;
    },
  } as unknown as RpcClient;
}

/** A release signed and broadcast: its Hub tx hash, block height, result code, gas and bytes. */
export type Included = { hash: string } & Awaited<ReturnType<typeof waitForTx>>;

/** The Hub side of an in-process peg test: relaying, proofs and balances from `hub`, signing and broadcasting releases. */
export class HubSide {
  constructor(readonly hub: LocalHub) {}

  async height(): Promise<bigint> {
    return (await this.hub.rpc.status()).latestHeight;
  }

  /** Gives `peg`'s light client a consensus state at Hub height `height`, with the relayer's follower. */
  async relayTo(peg: Peg, height: bigint) {
    await this.hub.waitForHeight(height);
    const follower = new TendermintFollower({
      rpc: this.hub.rpc,
      client: pegzoneTendermintClient(appRpc(peg.h), HUB),
      now: () => peg.nextTime() * SECOND,
      submit: async (update) => {
        const r = await peg.relay([update.bytes]);
        if (r.code !== 0) throw new Error(`relaying Hub header ${update.height} failed: ${r.codespace}/${r.code} ${r.log}`);
      },
    });
    return follower.sync(height);
  }

  async relayTip(peg: Peg) {
    return this.relayTo(peg, await this.height());
  }

  /** A balance on the Hub, from its bank store by abci_query at a height the app has surely committed, after `after` is. */
  async balance(address: string, after = 0n): Promise<bigint> {
    await this.hub.waitForHeight(after + 2n);
    const at = (await this.height()) - 1n;
    const q = await this.hub.rpc.abciQuery("/store/bank/key", bankBalanceKey(Buffer.from(bech32.fromWords(bech32.decode(address as `${string}1${string}`).words)), DENOM), at, false);
    return q.value === undefined ? 0n : BigInt(Buffer.from(q.value).toString("utf8"));
  }

  /** An account's auth record after Hub block `height` (by default the genesis federation's), with its ICS23 proof (against header height+1). */
  async accountProof(height: bigint, address = genesisFederationAccount.address, raw = genesisFederationAccount.rawAddress): Promise<pegzone.peg.tendermint.v1.IAccountProof> {
    await this.hub.waitForHeight(height + 1n);
    const q = await this.hub.rpc.abciQuery("/store/acc/key", Uint8Array.of(0x01, ...raw), height, true);
    if (q.value === undefined) throw new Error(`no account ${address} at ${height}`);
    return { height: Number(height), address, account: q.value, proofOps: ProofOps.encode({ ops: q.proofOps.map((o) => ({ type: o.type, key: o.key, data: o.data })) }).finish() };
  }

  /** The tx proof of Hub tx `hash` (DepositProof fields, msg_index 0), its headers H and H+1 relayed into `peg`. */
  async txProof(peg: Peg, hash: string): Promise<{ proof: pegzone.peg.tendermint.v1.IDepositProof; height: bigint }> {
    const tx = await this.hub.rpc.tx(hash, true);
    await this.relayTo(peg, tx.height);
    await this.relayTo(peg, tx.height + 1n);
    const any = await hubDepositProof(this.hub.rpc, tx, 0);
    return { proof: tmV1.DepositProof.decode(any.value!), height: tx.height };
  }

  /** A fresh pegzone registered at the Hub's latest header, its genesis committed by a first block. */
  async newPeg(extra: Partial<Pick<PegGenesis, "extraBank" | "pegGenesis" | "entry" | "extraAccounts">> = {}): Promise<Peg> {
    const { registration } = await fetchTendermintRegistration(this.hub.rpc, { trustLevel: { numerator: 1, denominator: 3 }, trustingPeriodSeconds: 86_400, maxClockDriftSeconds: 10 });
    const peg = await Peg.create({ registration, startTime: wallSeconds() + 2n, extraBank: extra.extraBank ?? [], pegGenesis: extra.pegGenesis ?? {}, entry: extra.entry, extraAccounts: extra.extraAccounts });
    await peg.block();
    return peg;
  }

  /** `signers` (by default members 0 and 2 of the genesis federation) sign release `id` over its digest; it is SIGNED with its signed tx. */
  async signRelease(peg: Peg, id: number, signers: readonly Role[] = ["member0", "member2"]): Promise<pegzone.peg.v1.Release> {
    const release = await peg.release(id);
    const digest = hubReleaseDigest(release.payload);
    for (const role of signers) expect(await peg.sign(role, id, signHubDigest(peg.account(role).privateKey, digest))).toMatchObject({ code: 0 });
    const signed = await peg.release(id);
    expect(signed.status).toBe(ReleaseStatus.RELEASE_STATUS_SIGNED);
    expect(signed.signedTx.length).toBeGreaterThan(0);
    return signed;
  }

  /**
   * Broadcasts a signed release to gaiad and waits for its block: CheckTx accepts it; its block
   * result's code. The included tx is the release: its sign doc, rebuilt from it with `accountNumber`
   * (by default the release context's), hashes to the release id.
   */
  async broadcast(release: pegzone.peg.v1.Release, accountNumber = u64(decodeReleaseContext(release.context).accountNumber)): Promise<Included> {
    const sent = await broadcastTxSync(this.hub, release.signedTx);
    expect({ code: sent.code, log: sent.log }).toEqual({ code: 0, log: "" });
    const included = await waitForTx(this.hub, sent.hash);
    expect(hubReleaseIdOfTx(included.tx, this.hub.chainId, accountNumber)).toBe(release.txid);
    return { hash: sent.hash, ...included };
  }
}

export const baseAccountOf = (p: pegzone.peg.tendermint.v1.IAccountProof) => BaseAccount.decode(Any.decode(p.account!).value);

/** A release's context as numbers. */
export const contextOf = (r: pegzone.peg.v1.Release) => {
  const c = decodeReleaseContext(r.context);
  return { chainId: c.chainId, accountNumber: u64(c.accountNumber), sequence: u64(c.sequence), timeoutHeight: u64(c.timeoutHeight), gasPriceMicro: u64(c.gasPriceMicro) };
};

/** What a release is, beside its bytes. */
export const view = (r: pegzone.peg.v1.Release) => ({
  id: Number(r.id),
  status: r.status,
  fee: r.fee,
  amount: r.amount,
  withdrawalIds: r.withdrawalIds.map(Number),
  replaces: Number(r.replaces),
  charged: r.charged,
  outputs: r.outputs.map((o) => [Number(o.withdrawalId), o.value]),
});

/** A withdrawal waiting for a release (again). */
export const pendingWithdrawal = (amount: bigint) => ({ status: WithdrawalStatus.WITHDRAWAL_STATUS_PENDING, amount: String(amount), releaseId: 0, paid: "" });

/** A tx refused with peg ErrInvalidProof (5). */
export const refusedAsInvalidProof = (r: TxResult) => expect({ code: r.code, codespace: r.codespace }).toEqual({ code: 5, codespace: "peg" });
