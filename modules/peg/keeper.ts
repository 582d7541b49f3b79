/**
 * The peg module's state, in the store named "peg". Main-chain ids are length-prefixed in keys so
 * that no id's keys can fall under another's prefix.
 *
 *   0x01 | id                      → MainChain (registration and parameters)
 *   0x02 | id                      → FreezeState
 *   0x03 | id | ...                → that main chain's light-client store (layout owned by the client)
 *   0x04 | id | deposit id         → Deposit (every claimed deposit, kept forever)
 *   0x05 | id | entry id           → ReserveEntry (what the federations hold)
 *   0x06 | id                      → reserve total, decimal string
 *   0x07 | id | recipient          → RegisteredAddress
 *   0x08                           → authority (bech32), the account that may unfreeze
 *   0x09 | id                      → last withdrawal id (u64be)
 *   0x0a | id | wid(u64be)         → Withdrawal
 *   0x0b | id | owner | wid        → 0x01 (withdrawals by owner)
 *   0x0c | id                      → last release id (u64be)
 *   0x0d | id | rid(u64be)         → Release
 *   0x0e | id | utf8(txid)         → rid (releases by main-chain txid, for confirmations)
 *   0x0f | id                      → in flight: amount burned for releases not yet confirmed, decimal
 *   0x10 | id | fid(u64be)         → RetiredFederation (federations a rotation replaced, by id)
 *   0x11 | id                      → FederationProposal (the pending one, at most one per main chain)
 *   0x12 | id | wid(u64be)         → 0x01 (pending withdrawals: what the next release pays)
 *   0x13 | id | rid(u64be)         → 0x01 (live releases: signing or signed, not yet confirmed or replaced)
 *   0x14 | id | fid(u64be) | ~value(u128be) | entry id → 0x01 (free reserve entries of a
 *                                    federation, largest first: what a release may spend)
 *   0x15 | id | entry id           → rid (the release whose change becomes this entry once it confirms)
 *   0x16 | id | ...                → that main chain's kind store (layout owned by the kind: tendermint
 *                                    keeps its federation accounts' number and sequence there)
 *
 * The indexes keep each block's peg-out work proportional to what is outstanding and bounded, not
 * to history or to the size of the reserve.
 * `id` = len(u8) | utf8. Deposit and entry ids are the kind's opaque bytes (bitcoin: the outpoint,
 * txid in display order ‖ vout u32be), always the last part of their keys.
 */
import type { Context } from "../../chain/app/context";
import { concatBytes, readU64 } from "../../chain/store/bytes";
import { PrefixStore, prefixEnd } from "../../chain/store/prefix";
import type { KVStore } from "../../chain/store/types";
import { pegzone } from "../../proto";
import type { DepositFlow, Federation, KindStores, MainChainKind, ReleaseFlow } from "./kinds";
import { pegErrors } from "./errors";
import type { PegBankKeeper } from "./expected-keepers";
import type { Page, Paged } from "./paging";

export type { PegBankKeeper } from "./expected-keepers";

export const PEG_STORE = "peg";
const v1 = pegzone.peg.v1;
export type MainChain = pegzone.peg.v1.MainChain;
export type Deposit = pegzone.peg.v1.Deposit;
export type ReserveEntry = pegzone.peg.v1.ReserveEntry;
export type FreezeState = pegzone.peg.v1.FreezeState;
export type RegisteredAddress = pegzone.peg.v1.RegisteredAddress;
export type Withdrawal = pegzone.peg.v1.Withdrawal;
export type Release = pegzone.peg.v1.Release;
export type RetiredFederation = pegzone.peg.v1.RetiredFederation;
export type FederationProposal = pegzone.peg.v1.FederationProposal;

const MAINCHAIN = 0x01;
const FREEZE = 0x02;
const CLIENT = 0x03;
const DEPOSIT = 0x04;
const RESERVE = 0x05;
const RESERVE_TOTAL = 0x06;
const REGISTERED = 0x07;
const AUTHORITY = Uint8Array.of(0x08);
const LAST_WITHDRAWAL = 0x09;
const WITHDRAWAL = 0x0a;
const WITHDRAWAL_BY_OWNER = 0x0b;
const LAST_RELEASE = 0x0c;
const RELEASE = 0x0d;
const RELEASE_BY_TXID = 0x0e;
const IN_FLIGHT = 0x0f;
const RETIRED_FEDERATION = 0x10;
const FEDERATION_PROPOSAL = 0x11;
const PENDING_WITHDRAWAL = 0x12;
const LIVE_RELEASE = 0x13;
const FREE_RESERVE = 0x14;
const RELEASE_BY_CHANGE = 0x15;
const KIND = 0x16;
const PRESENT = Uint8Array.of(1);

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

export function peggedDenom(mainchainId: string): string {
  return `peg/${mainchainId}`;
}

function idKey(kind: number, id: string, ...rest: Uint8Array[]): Uint8Array {
  const name = utf8.encode(id);
  return concatBytes(Uint8Array.of(kind, name.length), name, ...rest);
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** 2^128 − 1 − value, big-endian: ascending keys list the largest values first. */
function invertedU128(value: bigint): Uint8Array {
  if (value < 0n || value >= 1n << 128n) throw new Error(`internal: reserve value ${value} out of range`);
  let v = (1n << 128n) - 1n - value;
  const out = new Uint8Array(16);
  for (let i = 15; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export class PegKeeper {
  constructor(
    readonly bank: PegBankKeeper,
    private readonly kinds: Readonly<Record<string, MainChainKind>>,
    /** The peg's module account: holds withdrawals' tokens until a release burns them. */
    readonly redemptionAccount: Uint8Array,
  ) {}

  private store(ctx: Context): KVStore {
    return ctx.store.store(PEG_STORE);
  }

  kind(chain: MainChain): MainChainKind {
    return this.kindOf(chain.clientType, chain.id);
  }

  kindOf(clientType: string, mainchain = ""): MainChainKind {
    const kind = Object.hasOwn(this.kinds, clientType) ? this.kinds[clientType] : undefined;
    if (kind === undefined) throw pegErrors.ErrInvalidGenesis.wrap(`main chain ${mainchain}: unknown client type ${JSON.stringify(clientType)} (known: ${this.knownKinds().join(", ")})`);
    return kind;
  }

  /** The kind's deposits, or ErrUnsupported for a kind that has none yet. */
  deposits(chain: MainChain): DepositFlow {
    const flow = this.kind(chain).deposits;
    if (flow === undefined) throw pegErrors.ErrUnsupported.wrap(`${chain.id} (${chain.clientType}): deposits of this kind are not built yet; its light client follows the chain`);
    return flow;
  }

  /** The kind's releases (withdrawals), or ErrUnsupported for a kind that has none yet. */
  releases(chain: MainChain): ReleaseFlow {
    const kind = this.kind(chain);
    if (kind.releases === undefined || kind.deposits === undefined)
      throw pegErrors.ErrUnsupported.wrap(`${chain.id} (${chain.clientType}): withdrawals of this kind are not built yet`);
    return kind.releases;
  }

  knownKinds(): string[] {
    return Object.keys(this.kinds).sort();
  }

  /** The light client's own store for a main chain. */
  clientStore(ctx: Context, id: string): KVStore {
    return new PrefixStore(this.store(ctx), idKey(CLIENT, id));
  }

  /** The kind's own store for a main chain (kinds.ts KindStores.state). */
  kindStore(ctx: Context, id: string): KVStore {
    return new PrefixStore(this.store(ctx), idKey(KIND, id));
  }

  /** What a kind's flows read and write: its light client's store and its own. */
  kindStores(ctx: Context, id: string): KindStores {
    return { client: this.clientStore(ctx, id), state: this.kindStore(ctx, id) };
  }

  async getMainChain(ctx: Context, id: string): Promise<MainChain | undefined> {
    const raw = await this.store(ctx).get(idKey(MAINCHAIN, id));
    return raw ? v1.MainChain.decode(raw) : undefined;
  }

  /** The main chain, or ErrUnknownMainChain. */
  async mustGetMainChain(ctx: Context, id: string): Promise<MainChain> {
    const chain = await this.getMainChain(ctx, id);
    if (chain === undefined) throw pegErrors.ErrUnknownMainChain.wrap(JSON.stringify(id));
    return chain;
  }

  setMainChain(ctx: Context, chain: MainChain): void {
    this.store(ctx).set(idKey(MAINCHAIN, chain.id), v1.MainChain.encode(chain).finish());
  }

  async allMainChains(ctx: Context): Promise<MainChain[]> {
    const start = Uint8Array.of(MAINCHAIN);
    const out: MainChain[] = [];
    for await (const [, value] of this.store(ctx).iterate({ start, end: prefixEnd(start) })) out.push(v1.MainChain.decode(value));
    return out;
  }

  async getFreeze(ctx: Context, id: string): Promise<FreezeState> {
    const raw = await this.store(ctx).get(idKey(FREEZE, id));
    return raw ? v1.FreezeState.decode(raw) : v1.FreezeState.create({ frozen: false, reason: "", height: 0 });
  }

  setFreeze(ctx: Context, id: string, state: FreezeState): void {
    this.store(ctx).set(idKey(FREEZE, id), v1.FreezeState.encode(state).finish());
  }

  /** Lifts a freeze: an unfrozen peg has no freeze entry. */
  unfreeze(ctx: Context, id: string): void {
    this.store(ctx).delete(idKey(FREEZE, id));
  }

  /** Freezes a peg (no claims, no mints) and says why in an event. A frozen peg stays frozen with its first reason. */
  async freeze(ctx: Context, id: string, reason: string): Promise<void> {
    if ((await this.getFreeze(ctx, id)).frozen) return;
    this.setFreeze(ctx, id, v1.FreezeState.create({ frozen: true, reason, height: Number(ctx.header.height) }));
    ctx.events.emit("peg_frozen", [["mainchain", id], ["reason", reason]]);
    ctx.logger.warn({ mainchain: id, reason }, "peg frozen");
  }

  async getDeposit(ctx: Context, mainchain: string, depositId: Uint8Array): Promise<Deposit | undefined> {
    const raw = await this.store(ctx).get(idKey(DEPOSIT, mainchain, depositId));
    return raw ? v1.Deposit.decode(raw) : undefined;
  }

  setDeposit(ctx: Context, deposit: Deposit): void {
    this.store(ctx).set(idKey(DEPOSIT, deposit.mainchain, deposit.id), v1.Deposit.encode(deposit).finish());
  }

  async allDeposits(ctx: Context, id: string): Promise<Deposit[]> {
    return this.collect(ctx, idKey(DEPOSIT, id), (v) => v1.Deposit.decode(v));
  }

  async reserveTotal(ctx: Context, id: string): Promise<bigint> {
    const raw = await this.store(ctx).get(idKey(RESERVE_TOTAL, id));
    return raw ? BigInt(utf8d.decode(raw)) : 0n;
  }

  /** Adds an entry to the reserve and its value to the reserve total; an entry already there is refused, never counted twice. */
  async addReserveEntry(ctx: Context, mainchain: string, entry: ReserveEntry): Promise<void> {
    if (await this.getReserveEntry(ctx, mainchain, entry.id)) throw pegErrors.ErrReserveConflict.wrap(`${entry.displayId} is already in the reserve of ${mainchain}`);
    this.writeReserveEntry(ctx, mainchain, entry);
    const total = (await this.reserveTotal(ctx, mainchain)) + BigInt(entry.value);
    this.store(ctx).set(idKey(RESERVE_TOTAL, mainchain), utf8.encode(total.toString()));
  }

  /** Rewrites an entry already in the reserve (e.g. to lock it for a release); the total is unchanged. */
  async updateReserveEntry(ctx: Context, mainchain: string, entry: ReserveEntry): Promise<void> {
    const old = await this.getReserveEntry(ctx, mainchain, entry.id);
    if (old === undefined || old.value !== entry.value) throw new Error(`internal: reserve entry ${entry.displayId} is not in the reserve as updated`);
    this.store(ctx).delete(this.freeKey(mainchain, old));
    this.writeReserveEntry(ctx, mainchain, entry);
  }

  /** Removes a spent entry from the reserve and its value from the total. */
  async removeReserveEntry(ctx: Context, mainchain: string, entry: ReserveEntry): Promise<void> {
    this.store(ctx).delete(idKey(RESERVE, mainchain, entry.id));
    this.store(ctx).delete(this.freeKey(mainchain, entry));
    const total = (await this.reserveTotal(ctx, mainchain)) - BigInt(entry.value);
    this.store(ctx).set(idKey(RESERVE_TOTAL, mainchain), utf8.encode(total.toString()));
  }

  private writeReserveEntry(ctx: Context, mainchain: string, entry: ReserveEntry): void {
    if (entry.id.length === 0) throw new Error(`internal: a reserve entry of ${mainchain} without an id`);
    this.store(ctx).set(idKey(RESERVE, mainchain, entry.id), v1.ReserveEntry.encode(entry).finish());
    if (Number(entry.releaseId) === 0) this.store(ctx).set(this.freeKey(mainchain, entry), PRESENT);
  }

  private freePrefix(mainchain: string, federationId: number): Uint8Array {
    return idKey(FREE_RESERVE, mainchain, u64(federationId));
  }

  private freeKey(mainchain: string, entry: ReserveEntry): Uint8Array {
    return concatBytes(this.freePrefix(mainchain, Number(entry.federationId)), invertedU128(BigInt(entry.value)), entry.id);
  }

  /** Up to `limit` free (unlocked) reserve entries of a federation: the largest first, or with `smallest` the smallest first. */
  async freeReserveEntries(ctx: Context, mainchain: string, federationId: number, limit: number, smallest = false): Promise<ReserveEntry[]> {
    const prefix = this.freePrefix(mainchain, federationId);
    const out: ReserveEntry[] = [];
    for await (const [key] of this.store(ctx).iterate({ start: prefix, end: prefixEnd(prefix), limit, reverse: smallest }))
      out.push((await this.getReserveEntry(ctx, mainchain, key.subarray(prefix.length + 16)))!);
    return out;
  }

  async getReserveEntry(ctx: Context, mainchain: string, entryId: Uint8Array): Promise<ReserveEntry | undefined> {
    const raw = await this.store(ctx).get(idKey(RESERVE, mainchain, entryId));
    return raw ? v1.ReserveEntry.decode(raw) : undefined;
  }

  async reserveEntries(ctx: Context, id: string): Promise<ReserveEntry[]> {
    return this.collect(ctx, idKey(RESERVE, id), (v) => v1.ReserveEntry.decode(v));
  }

  setRegisteredAddress(ctx: Context, entry: RegisteredAddress, recipient: Uint8Array): void {
    this.store(ctx).set(idKey(REGISTERED, entry.mainchain, recipient), v1.RegisteredAddress.encode(entry).finish());
  }

  async registeredAddressesPage(ctx: Context, id: string, page: Page): Promise<Paged<RegisteredAddress>> {
    const { entries, nextKey } = await this.pageOf(ctx, idKey(REGISTERED, id), page);
    return { items: entries.map(([, v]) => v1.RegisteredAddress.decode(v)), nextKey };
  }

  async registeredAddresses(ctx: Context, id: string): Promise<RegisteredAddress[]> {
    return this.collect(ctx, idKey(REGISTERED, id), (v) => v1.RegisteredAddress.decode(v));
  }

  private async nextId(ctx: Context, key: Uint8Array): Promise<number> {
    const raw = await this.store(ctx).get(key);
    const next = (raw ? readU64(raw, 0) : 0) + 1;
    this.store(ctx).set(key, u64(next));
    return next;
  }

  /** Genesis import: ids continue after `id`. */
  async raiseLastId(ctx: Context, kind: "withdrawal" | "release", mainchain: string, id: number): Promise<void> {
    const key = idKey(kind === "withdrawal" ? LAST_WITHDRAWAL : LAST_RELEASE, mainchain);
    const raw = await this.store(ctx).get(key);
    const last = raw ? readU64(raw, 0) : 0;
    if (id > last) this.store(ctx).set(key, u64(id));
  }

  nextWithdrawalId(ctx: Context, mainchain: string): Promise<number> {
    return this.nextId(ctx, idKey(LAST_WITHDRAWAL, mainchain));
  }

  async getWithdrawal(ctx: Context, mainchain: string, id: number): Promise<Withdrawal | undefined> {
    const raw = await this.store(ctx).get(idKey(WITHDRAWAL, mainchain, u64(id)));
    return raw ? v1.Withdrawal.decode(raw) : undefined;
  }

  setWithdrawal(ctx: Context, w: Withdrawal, owner: Uint8Array): void {
    this.store(ctx).set(idKey(WITHDRAWAL, w.mainchain, u64(w.id)), v1.Withdrawal.encode(w).finish());
    this.store(ctx).set(idKey(WITHDRAWAL_BY_OWNER, w.mainchain, owner, u64(w.id)), PRESENT);
    const pending = idKey(PENDING_WITHDRAWAL, w.mainchain, u64(w.id));
    if (w.status === v1.WithdrawalStatus.WITHDRAWAL_STATUS_PENDING) this.store(ctx).set(pending, PRESENT);
    else this.store(ctx).delete(pending);
  }

  deleteWithdrawal(ctx: Context, w: Withdrawal, owner: Uint8Array): void {
    this.store(ctx).delete(idKey(WITHDRAWAL, w.mainchain, u64(w.id)));
    this.store(ctx).delete(idKey(WITHDRAWAL_BY_OWNER, w.mainchain, owner, u64(w.id)));
    this.store(ctx).delete(idKey(PENDING_WITHDRAWAL, w.mainchain, u64(w.id)));
  }

  /** The oldest pending withdrawals, by id, at most `limit`. */
  async pendingWithdrawals(ctx: Context, mainchain: string, limit: number): Promise<Withdrawal[]> {
    const out: Withdrawal[] = [];
    for (const id of await this.indexedIds(ctx, idKey(PENDING_WITHDRAWAL, mainchain), limit)) out.push((await this.getWithdrawal(ctx, mainchain, id))!);
    return out;
  }

  /** All withdrawals of a main chain, by id (genesis export). */
  allWithdrawals(ctx: Context, mainchain: string): Promise<Withdrawal[]> {
    return this.collect(ctx, idKey(WITHDRAWAL, mainchain), (v) => v1.Withdrawal.decode(v));
  }

  async withdrawalsPage(ctx: Context, mainchain: string, page: Page): Promise<Paged<Withdrawal>> {
    const { entries, nextKey } = await this.pageOf(ctx, idKey(WITHDRAWAL, mainchain), page);
    return { items: entries.map(([, v]) => v1.Withdrawal.decode(v)), nextKey };
  }

  /** An owner's withdrawals, by id, a page at a time. */
  async withdrawalsOf(ctx: Context, mainchain: string, owner: Uint8Array, page: Page): Promise<Paged<Withdrawal>> {
    const { entries, nextKey } = await this.pageOf(ctx, idKey(WITHDRAWAL_BY_OWNER, mainchain, owner), page);
    const items: Withdrawal[] = [];
    for (const [key] of entries) {
      const id = readU64(key, key.length - 8);
      items.push((await this.getWithdrawal(ctx, mainchain, id))!);
    }
    return { items, nextKey };
  }

  nextReleaseId(ctx: Context, mainchain: string): Promise<number> {
    return this.nextId(ctx, idKey(LAST_RELEASE, mainchain));
  }

  async getRelease(ctx: Context, mainchain: string, id: number): Promise<Release | undefined> {
    const raw = await this.store(ctx).get(idKey(RELEASE, mainchain, u64(id)));
    return raw ? v1.Release.decode(raw) : undefined;
  }

  setRelease(ctx: Context, release: Release): void {
    this.store(ctx).set(idKey(RELEASE, release.mainchain, u64(release.id)), v1.Release.encode(release).finish());
    this.store(ctx).set(idKey(RELEASE_BY_TXID, release.mainchain, utf8.encode(release.txid)), u64(release.id));
    if (release.change?.id) this.store(ctx).set(idKey(RELEASE_BY_CHANGE, release.mainchain, release.change.id), u64(release.id));
    const live = idKey(LIVE_RELEASE, release.mainchain, u64(release.id));
    const { RELEASE_STATUS_SIGNING, RELEASE_STATUS_SIGNED } = v1.ReleaseStatus;
    if (release.status === RELEASE_STATUS_SIGNING || release.status === RELEASE_STATUS_SIGNED) this.store(ctx).set(live, PRESENT);
    else this.store(ctx).delete(live);
  }

  /** Releases still signing or signed (not confirmed, not replaced), by id. */
  async liveReleases(ctx: Context, mainchain: string): Promise<Release[]> {
    const out: Release[] = [];
    for (const id of await this.indexedIds(ctx, idKey(LIVE_RELEASE, mainchain))) out.push((await this.getRelease(ctx, mainchain, id))!);
    return out;
  }

  /** The u64 ids ending the keys under an index prefix, in key order. */
  private async indexedIds(ctx: Context, prefix: Uint8Array, limit?: number): Promise<number[]> {
    const ids: number[] = [];
    for await (const [key] of this.store(ctx).iterate({ start: prefix, end: prefixEnd(prefix), limit }))
      ids.push(readU64(key, key.length - 8));
    return ids;
  }

  async releaseByTxid(ctx: Context, mainchain: string, txid: string): Promise<Release | undefined> {
    const raw = await this.store(ctx).get(idKey(RELEASE_BY_TXID, mainchain, utf8.encode(txid)));
    return raw ? this.getRelease(ctx, mainchain, readU64(raw, 0)) : undefined;
  }

  /** The release whose change (once confirmed) is this entry id, if any: such an entry is the federation's, never a deposit. */
  async releaseByChange(ctx: Context, mainchain: string, entryId: Uint8Array): Promise<Release | undefined> {
    const raw = await this.store(ctx).get(idKey(RELEASE_BY_CHANGE, mainchain, entryId));
    return raw ? this.getRelease(ctx, mainchain, readU64(raw, 0)) : undefined;
  }

  /** All releases of a main chain, by id (genesis export). */
  allReleases(ctx: Context, mainchain: string): Promise<Release[]> {
    return this.collect(ctx, idKey(RELEASE, mainchain), (v) => v1.Release.decode(v));
  }

  async releasesPage(ctx: Context, mainchain: string, page: Page): Promise<Paged<Release>> {
    const { entries, nextKey } = await this.pageOf(ctx, idKey(RELEASE, mainchain), page);
    return { items: entries.map(([, v]) => v1.Release.decode(v)), nextKey };
  }

  /** Tokens burned for releases that are not confirmed yet: still owed, still in the reserve. */
  async inFlight(ctx: Context, mainchain: string): Promise<bigint> {
    const raw = await this.store(ctx).get(idKey(IN_FLIGHT, mainchain));
    return raw ? BigInt(utf8d.decode(raw)) : 0n;
  }

  setInFlight(ctx: Context, mainchain: string, amount: bigint): void {
    if (amount === 0n) this.store(ctx).delete(idKey(IN_FLIGHT, mainchain));
    else this.store(ctx).set(idKey(IN_FLIGHT, mainchain), utf8.encode(amount.toString()));
  }

  setRetiredFederation(ctx: Context, mainchain: string, retired: RetiredFederation): void {
    this.store(ctx).set(idKey(RETIRED_FEDERATION, mainchain, u64(Number(retired.federation!.id))), v1.RetiredFederation.encode(retired).finish());
  }

  async getRetiredFederation(ctx: Context, mainchain: string, federationId: number): Promise<RetiredFederation | undefined> {
    const raw = await this.store(ctx).get(idKey(RETIRED_FEDERATION, mainchain, u64(federationId)));
    return raw ? v1.RetiredFederation.decode(raw) : undefined;
  }

  /** Every retired federation of a main chain, oldest (lowest id) first. */
  retiredFederations(ctx: Context, mainchain: string): Promise<RetiredFederation[]> {
    return this.collect(ctx, idKey(RETIRED_FEDERATION, mainchain), (v) => v1.RetiredFederation.decode(v));
  }

  /** The federation with this id: the current one or a retired one; undefined if neither. */
  async federationById(ctx: Context, chain: MainChain, federationId: number): Promise<Federation | undefined> {
    if (Number(chain.federation!.id) === federationId) return chain.federation!;
    return (await this.getRetiredFederation(ctx, chain.id, federationId))?.federation ?? undefined;
  }

  async getFederationProposal(ctx: Context, mainchain: string): Promise<FederationProposal | undefined> {
    const raw = await this.store(ctx).get(idKey(FEDERATION_PROPOSAL, mainchain));
    return raw ? v1.FederationProposal.decode(raw) : undefined;
  }

  setFederationProposal(ctx: Context, proposal: FederationProposal): void {
    this.store(ctx).set(idKey(FEDERATION_PROPOSAL, proposal.mainchain), v1.FederationProposal.encode(proposal).finish());
  }

  deleteFederationProposal(ctx: Context, mainchain: string): void {
    this.store(ctx).delete(idKey(FEDERATION_PROPOSAL, mainchain));
  }

  async getAuthority(ctx: Context): Promise<string> {
    const raw = await this.store(ctx).get(AUTHORITY);
    return raw ? utf8d.decode(raw) : "";
  }

  /** "" means nobody may unfreeze (a frozen peg then needs a chain upgrade). */
  setAuthority(ctx: Context, authority: string): void {
    if (authority === "") this.store(ctx).delete(AUTHORITY);
    else this.store(ctx).set(AUTHORITY, utf8.encode(authority));
  }

  private async collect<T>(ctx: Context, prefix: Uint8Array, decode: (v: Uint8Array) => T): Promise<T[]> {
    const out: T[] = [];
    for await (const [, value] of this.store(ctx).iterate({ start: prefix, end: prefixEnd(prefix) })) out.push(decode(value));
    return out;
  }

  /** One page of the entries under `prefix`, in key order; `nextKey` is relative to the prefix. */
  private async pageOf(ctx: Context, prefix: Uint8Array, page: Page): Promise<{ entries: Array<[Uint8Array, Uint8Array]>; nextKey: Uint8Array }> {
    const start = concatBytes(prefix, page.key);
    const entries: Array<[Uint8Array, Uint8Array]> = [];
    for await (const entry of this.store(ctx).iterate({ start, end: prefixEnd(prefix), limit: page.limit + 1 })) entries.push(entry);
    const nextKey = entries.length > page.limit ? entries.pop()![0].subarray(prefix.length) : new Uint8Array();
    return { entries, nextKey };
  }
}
