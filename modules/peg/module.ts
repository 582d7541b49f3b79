/**
 * The peg module: main chains registered in genesis, their light clients, deposits and reserves.
 * Genesis (snake_case JSON, bytes base64 as in protobuf JSON):
 *
 *   { "authority": "peg1...",           the account that may lift a freeze (MsgUnfreeze)
 *     "mainchains": [{ "id": "btc-regtest", "client_type": "bitcoin", "min_deposit": "10000", "peg_in_fee": "1000", "reserve_cap": "...",
 *        "federation_grace": 0, ...,
 *        "params": { "@type": "/pegzone.peg.bitcoin.v1.Params", "network": "regtest", "confirmations": 6, "reorg_limit": 5, ... },
 *        "federation": { "id": "1", "members": [{ "pubkey": "<base64>", "weight": 1, "account": "peg1..." }], "threshold": 1 },
 *        "checkpoint": { ...the light client's trust anchor } }],
 *     "freezes": [...], "deposits": [...], "reserve": [...], "registered_addresses": [...],
 *     "withdrawals": [...], "releases": [...],
 *     "retired_federations": [{ "mainchain": "btc-regtest", "federation": {...}, "retired_at": "120" }],
 *     "federation_proposals": [{ "id": "2", "mainchain": "btc-regtest", "federation": {...}, "approvals": [...], ... }],
 *     "kind_state": [{ "mainchain": "cosmoshub", "key": "<base64>", "value": "<base64>" }] }
 *
 * All but the first two are empty in a new chain and filled by export.
 */
import type { Context } from "../../chain/app/context";
import { camelKeys, snakeKeys } from "../../chain/app/json-case";
import type { AppModule, ServiceRegistrar } from "../../chain/app/module";
import { google, pegzone } from "../../proto";
import { parseAddress } from "../../chain/crypto/address";
import { pegErrors } from "./errors";
import { PEG_STORE, PegKeeper, peggedDenom, type MainChain, type PegBankKeeper } from "./keeper";
import type { MainChainKind } from "./kinds";
import { registerPegMsgs } from "./msgs";
import { registerPegQueries } from "./queries";
import { buildPendingRelease, buildSweeps, replaceStaleReleases } from "./releases";
import { approvalWeight, checkMemberAccounts, validateProposedFederation } from "./rotation";

const v1 = pegzone.peg.v1;
const JSON_OPTIONS = { longs: String, bytes: String, enums: String, defaults: true } as const;

export interface MainChainGenesis extends Record<string, unknown> {
  id: string;
  checkpoint: unknown;
}

export interface PegGenesis {
  authority: string;
  mainchains: MainChainGenesis[];
  freezes: Array<Record<string, unknown>>;
  deposits: Array<Record<string, unknown>>;
  reserve: Array<Record<string, unknown>>;
  registered_addresses: Array<Record<string, unknown>>;
  withdrawals: Array<Record<string, unknown>>;
  releases: Array<Record<string, unknown>>;
  retired_federations: Array<Record<string, unknown>>;
  federation_proposals: Array<Record<string, unknown>>;
  /** Each main chain's kind store (tendermint: its federation accounts' number and sequence), as base64 keys and values. */
  kind_state: Array<{ mainchain: string; key: string; value: string }>;
}

const AMOUNT = /^(0|[1-9][0-9]{0,30})$/;

/** protobufjs names an Any's fields as in the .proto (`type_url`), not in camelCase: undo camelKeys for them. */
function anyFieldNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(anyFieldNames);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).map(([k, v]) => [k, anyFieldNames(v)] as const);
  const isAny = entries.some(([k]) => k === "typeUrl") && entries.every(([k]) => k === "typeUrl" || k === "value");
  return Object.fromEntries(isAny ? entries.map(([k, v]) => [k === "typeUrl" ? "type_url" : k, v]) : entries);
}

function fromJson<T>(type: { fromObject(o: Record<string, unknown>): T }, json: unknown, what: string): T {
  try {
    return type.fromObject(anyFieldNames(camelKeys(json)) as Record<string, unknown>);
  } catch (e) {
    throw pegErrors.ErrInvalidGenesis.wrap(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function toJson(type: { toObject(m: never, o: typeof JSON_OPTIONS): Record<string, unknown> }, message: unknown): Record<string, unknown> {
  return snakeKeys(type.toObject(message as never, JSON_OPTIONS)) as Record<string, unknown>;
}

/**
 * A main chain's genesis JSON as a MainChain: its kind's settings come as `"params": {"@type":
 * "/pegzone.peg.<kind>.v1.Params", ...}` (the SDK's JSON form of an Any) and are checked by the kind.
 */
export function mainChainFromJson(fields: Record<string, unknown>, kindOf: (clientType: string) => MainChainKind): MainChain {
  const { params, ...generic } = fields;
  const chain = fromJson(v1.MainChain, generic, "main chain");
  const kind = kindOf(chain.clientType);
  const bad = (why: string): never => {
    throw pegErrors.ErrInvalidGenesis.wrap(`main chain ${JSON.stringify(chain.id)}: params: ${why}`);
  };
  if (typeof params !== "object" || params === null || Array.isArray(params)) return bad(`an object with "@type": "${kind.params.typeUrl}" and the ${kind.type} settings`);
  const { "@type": typeUrl, ...settings } = params as Record<string, unknown>;
  if (typeUrl !== kind.params.typeUrl) bad(`"@type" is ${JSON.stringify(typeUrl)}, a ${kind.type} main chain takes "${kind.params.typeUrl}"`);
  try {
    chain.params = google.protobuf.Any.create({ type_url: kind.params.typeUrl, value: kind.params.fromJson(settings) });
  } catch (e) {
    bad(e instanceof Error ? e.message : String(e));
  }
  return chain;
}

/** A MainChain as genesis JSON (mainChainFromJson's form). */
export function mainChainToJson(chain: MainChain, kind: MainChainKind): Record<string, unknown> {
  const { params: _params, ...generic } = toJson(v1.MainChain, chain);
  return { ...generic, params: { "@type": kind.params.typeUrl, ...kind.params.toJson(chain.params?.value ?? new Uint8Array()) } };
}

/** The stateless rules a registered main chain must follow; throws ErrInvalidGenesis. */
export function validateMainChain(chain: MainChain, kind: MainChainKind): void {
  const bad = (why: string): never => {
    throw pegErrors.ErrInvalidGenesis.wrap(`main chain ${JSON.stringify(chain.id)}: ${why}`);
  };
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(chain.id)) bad("id must be lowercase letters, digits and dashes (at most 64)");
  for (const [name, value] of [["min_deposit", chain.minDeposit], ["peg_in_fee", chain.pegInFee], ["reserve_cap", chain.reserveCap]] as const)
    if (!AMOUNT.test(value)) bad(`${name} ${JSON.stringify(value)} is not a non-negative integer`);
  if (BigInt(chain.minDeposit) <= BigInt(chain.pegInFee)) bad("min_deposit must be greater than peg_in_fee");
  if (BigInt(chain.reserveCap) <= 0n) bad("reserve_cap must be positive");
  for (const [name, value] of [["min_withdrawal", chain.minWithdrawal], ["max_fee", chain.maxFee]] as const)
    if (!AMOUNT.test(value)) bad(`${name} ${JSON.stringify(value)} is not a non-negative integer`);
  if (!Number.isInteger(chain.batchInterval) || chain.batchInterval < 1) bad("batch_interval must be at least 1");
  if (!chain.federation) bad("no federation");
  const accounts = checkMemberAccounts(chain.federation!);
  if (accounts !== undefined) bad(`federation ${accounts}`);
  if (chain.clientType !== kind.type) bad(`client_type ${JSON.stringify(chain.clientType)} is not the kind's ${JSON.stringify(kind.type)}`);
  try {
    kind.validate(chain);
  } catch (e) {
    bad(e instanceof Error ? e.message : String(e));
  }
  try {
    kind.validateFederation(chain, chain.federation!);
  } catch (e) {
    bad(`federation: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export class PegModule implements AppModule {
  readonly name = PEG_STORE;
  readonly keeper: PegKeeper;

  constructor(bank: PegBankKeeper, kinds: Readonly<Record<string, MainChainKind>>, redemptionAccount: Uint8Array) {
    this.keeper = new PegKeeper(bank, kinds, redemptionAccount);
  }

  defaultGenesis(): PegGenesis {
    return {
      authority: "",
      mainchains: [],
      freezes: [],
      deposits: [],
      reserve: [],
      registered_addresses: [],
      withdrawals: [],
      releases: [],
      retired_federations: [],
      federation_proposals: [],
      kind_state: [],
    };
  }

  async initGenesis(ctx: Context, raw: unknown): Promise<void> {
    const g = { ...this.defaultGenesis(), ...(raw as Partial<PegGenesis>) };
    if (g.authority !== "") parseAddress(g.authority, "authority");
    this.keeper.setAuthority(ctx, g.authority);
    const ids = new Set<string>();
    for (const entry of g.mainchains) {
      const { checkpoint, ...fields } = entry;
      const chain = mainChainFromJson(fields, (type) => this.keeper.kindOf(type));
      if (ids.has(chain.id)) throw pegErrors.ErrInvalidGenesis.wrap(`main chain ${chain.id} is listed twice`);
      ids.add(chain.id);
      const kind = this.keeper.kind(chain);
      validateMainChain(chain, kind);
      this.keeper.setMainChain(ctx, chain);
      try {
        await kind.lightClient.initialize(this.keeper.clientStore(ctx, chain.id), kind.clientConfig(chain), checkpoint);
      } catch (e) {
        throw pegErrors.ErrInvalidGenesis.wrap(`main chain ${chain.id}: checkpoint: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.keeper.bank.setDenomMetadata(ctx, kind.denomMetadata(chain));
    }
    const known = (id: string, what: string) => {
      if (!ids.has(id)) throw pegErrors.ErrInvalidGenesis.wrap(`${what} for unknown main chain ${JSON.stringify(id)}`);
    };
    for (const f of g.freezes) {
      const { mainchain, ...state } = f as { mainchain: string };
      known(mainchain, "freeze");
      const freeze = fromJson(v1.FreezeState, state, "freeze");
      if (freeze.frozen) this.keeper.setFreeze(ctx, mainchain, freeze);
    }
    for (const d of g.deposits) {
      const deposit = fromJson(v1.Deposit, d, "deposit");
      known(deposit.mainchain, "deposit");
      this.keeper.setDeposit(ctx, deposit);
    }
    for (const r of g.reserve) {
      const { mainchain, ...fields } = r as { mainchain: string };
      known(mainchain, "reserve entry");
      const entry = fromJson(v1.ReserveEntry, fields, "reserve entry");
      const flow = this.keeper.kind((await this.keeper.getMainChain(ctx, mainchain))!).deposits;
      const bad = (why: string) => pegErrors.ErrInvalidGenesis.wrap(`reserve entry ${JSON.stringify(entry.displayId)} of ${mainchain}: ${why}`);
      if (flow === undefined) throw bad("this kind of main chain holds no reserve yet");
      if (entry.id.length === 0) throw bad("no id");
      if (!AMOUNT.test(entry.value)) throw bad(`value ${JSON.stringify(entry.value)} is not a non-negative integer`);
      if (entry.data?.type_url !== flow.reserveDataType) throw bad(`data must be a ${flow.reserveDataType}`);
      await this.keeper.addReserveEntry(ctx, mainchain, entry);
    }
    for (const a of g.registered_addresses) {
      const entry = fromJson(v1.RegisteredAddress, a, "registered address");
      known(entry.mainchain, "registered address");
      this.keeper.setRegisteredAddress(ctx, entry, parseAddress(entry.recipient, "registered recipient"));
    }
    for (const { mainchain, key, value } of g.kind_state) {
      known(mainchain, "kind state");
      this.keeper.kindStore(ctx, mainchain).set(Buffer.from(key, "base64"), Buffer.from(value, "base64"));
    }
    await this.importPegOut(ctx, g, known);
    await this.importRotation(ctx, g, known);
  }

  /** Retired federations (ids below the current one) and pending proposals (id = current + 1, approved by current members). */
  private async importRotation(ctx: Context, g: PegGenesis, known: (id: string, what: string) => void): Promise<void> {
    for (const raw of g.retired_federations) {
      const { mainchain, ...fields } = raw as { mainchain: string };
      known(mainchain, "retired federation");
      const retired = fromJson(v1.RetiredFederation, fields, "retired federation");
      const chain = (await this.keeper.getMainChain(ctx, mainchain))!;
      const id = Number(retired.federation?.id ?? 0);
      if (!retired.federation || id < 1 || id >= Number(chain.federation!.id))
        throw pegErrors.ErrInvalidGenesis.wrap(`retired federation ${id} of ${mainchain}: its id must be below the current federation's ${chain.federation!.id}`);
      if (await this.keeper.getRetiredFederation(ctx, mainchain, id)) throw pegErrors.ErrInvalidGenesis.wrap(`retired federation ${id} of ${mainchain} is listed twice`);
      this.keeper.setRetiredFederation(ctx, mainchain, retired);
    }
    for (const raw of g.federation_proposals) {
      const proposal = fromJson(v1.FederationProposal, raw, "federation proposal");
      known(proposal.mainchain, "federation proposal");
      const chain = (await this.keeper.getMainChain(ctx, proposal.mainchain))!;
      const bad = (why: string): never => {
        throw pegErrors.ErrInvalidGenesis.wrap(`federation proposal ${proposal.id} of ${proposal.mainchain}: ${why}`);
      };
      if (await this.keeper.getFederationProposal(ctx, chain.id)) bad("a main chain has at most one pending proposal");
      if (Number(proposal.id) !== Number(chain.federation!.id) + 1 || Number(proposal.federation?.id) !== Number(proposal.id))
        bad(`its id and its federation's must be the current federation's + 1 (${Number(chain.federation!.id) + 1})`);
      try {
        validateProposedFederation(this.keeper.kind(chain), chain, proposal.federation!);
      } catch (e) {
        bad(e instanceof Error ? e.message : String(e));
      }
      const members = new Set((chain.federation!.members ?? []).map((m) => m.account));
      if (!members.has(proposal.proposer) || proposal.approvals.some((a) => !members.has(a)) || new Set(proposal.approvals).size !== proposal.approvals.length)
        bad("its proposer and approvals must be distinct members of the current federation");
      if (approvalWeight(chain.federation!, proposal.approvals) >= chain.federation!.threshold!) bad("its approvals already reach the threshold");
      this.keeper.setFederationProposal(ctx, proposal);
    }
  }

  /** Withdrawals and releases from an exported genesis; counters continue after the highest ids. */
  private async importPegOut(ctx: Context, g: PegGenesis, known: (id: string, what: string) => void): Promise<void> {
    for (const raw of g.withdrawals) {
      const w = fromJson(v1.Withdrawal, raw, "withdrawal");
      known(w.mainchain, "withdrawal");
      this.keeper.setWithdrawal(ctx, w, parseAddress(w.owner, "withdrawal owner"));
      await this.keeper.raiseLastId(ctx, "withdrawal", w.mainchain, Number(w.id));
    }
    for (const raw of g.releases) {
      const r = fromJson(v1.Release, raw, "release");
      known(r.mainchain, "release");
      this.keeper.setRelease(ctx, r);
      await this.keeper.raiseLastId(ctx, "release", r.mainchain, Number(r.id));
      if (r.status === v1.ReleaseStatus.RELEASE_STATUS_SIGNING || r.status === v1.ReleaseStatus.RELEASE_STATUS_SIGNED)
        this.keeper.setInFlight(ctx, r.mainchain, (await this.keeper.inFlight(ctx, r.mainchain)) + BigInt(r.amount));
    }
  }

  async exportGenesis(ctx: Context): Promise<PegGenesis> {
    const out = this.defaultGenesis();
    out.authority = await this.keeper.getAuthority(ctx);
    for (const chain of await this.keeper.allMainChains(ctx)) {
      const kind = this.keeper.kind(chain);
      out.mainchains.push({ ...mainChainToJson(chain, kind), id: chain.id, checkpoint: await kind.lightClient.exportState(this.keeper.clientStore(ctx, chain.id)) });
      const freeze = await this.keeper.getFreeze(ctx, chain.id);
      if (freeze.frozen) out.freezes.push({ mainchain: chain.id, ...toJson(v1.FreezeState, freeze) });
      for (const d of await this.keeper.allDeposits(ctx, chain.id)) out.deposits.push(toJson(v1.Deposit, d));
      for (const e of await this.keeper.reserveEntries(ctx, chain.id)) out.reserve.push({ mainchain: chain.id, ...toJson(v1.ReserveEntry, e) });
      for (const a of await this.keeper.registeredAddresses(ctx, chain.id)) out.registered_addresses.push(toJson(v1.RegisteredAddress, a));
      for (const w of await this.keeper.allWithdrawals(ctx, chain.id)) out.withdrawals.push(toJson(v1.Withdrawal, w));
      for (const r of await this.keeper.allReleases(ctx, chain.id)) out.releases.push(toJson(v1.Release, r));
      for (const r of await this.keeper.retiredFederations(ctx, chain.id)) out.retired_federations.push({ mainchain: chain.id, ...toJson(v1.RetiredFederation, r) });
      const proposal = await this.keeper.getFederationProposal(ctx, chain.id);
      if (proposal) out.federation_proposals.push(toJson(v1.FederationProposal, proposal));
      for await (const [key, value] of this.keeper.kindStore(ctx, chain.id).iterate())
        out.kind_state.push({ mainchain: chain.id, key: Buffer.from(key).toString("base64"), value: Buffer.from(value).toString("base64") });
    }
    return out;
  }

  registerServices(registrar: ServiceRegistrar): void {
    registerPegMsgs(registrar, this.keeper);
    registerPegQueries(registrar, this.keeper);
  }

  /**
   * Peg-out work of the block (replacing stale releases, sweeping retired federations' outputs to
   * the current one, building the batch), then the reserve invariant: what pegzone owes on a main
   * chain (the pegged supply, plus what releases still have to pay) never exceeds what its
   * federations hold; if it would, that peg freezes. (A sweep's fee leaves the reserve when it
   * confirms; it is only built when the surplus over that debt covers it.)
   */
  async endBlock(ctx: Context): Promise<void> {
    for (const chain of await this.keeper.allMainChains(ctx)) {
      // Kinds without releases yet have no peg-out work.
      if (this.keeper.kind(chain).releases !== undefined && !(await this.keeper.getFreeze(ctx, chain.id)).frozen) {
        await replaceStaleReleases(ctx, this.keeper, chain);
        await buildSweeps(ctx, this.keeper, chain);
        await buildPendingRelease(ctx, this.keeper, chain);
      }
      const supply = await this.keeper.bank.supplyOf(ctx, peggedDenom(chain.id));
      const inFlight = await this.keeper.inFlight(ctx, chain.id);
      const reserve = await this.keeper.reserveTotal(ctx, chain.id);
      if (supply + inFlight > reserve)
        await this.keeper.freeze(ctx, chain.id, `reserve invariant broken: supply ${supply} of ${peggedDenom(chain.id)} + ${inFlight} in releases > reserve ${reserve}`);
    }
  }
}
