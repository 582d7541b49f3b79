/**
 * The peg module's state, in the store named "peg". Main-chain ids are length-prefixed in keys so
 * that no id's keys can fall under another's prefix.
 *
 *   0x01 | id                      → MainChain (registration and parameters)
 *   0x02 | id                      → FreezeState
 *   0x03 | id | ...                → that main chain's light-client store (layout owned by the client)
 *   0x04 | id | txid | vout(u32be) → Deposit (every claimed outpoint, kept forever)
 *   0x05 | id | txid | vout(u32be) → ReserveUtxo (outputs the federation holds)
 *   0x06 | id                      → reserve total, decimal string
 *   0x07 | id | recipient          → RegisteredAddress
 *   0x08                           → authority (bech32), the account that may unfreeze
 *
 * `id` = len(u8) | utf8; txid = its 32 bytes in display order.
 */
import type { Context } from "../../chain/app/context";
import { PrefixStore, prefixEnd } from "../../chain/store/prefix";
import type { KVStore } from "../../chain/store/types";
import type { Coin } from "../bank/coins";
import type { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import { pegzone } from "../../proto";
import type { LightClientConfig } from "../../light-client/types";
import type { MainChainKind } from "./kinds";
import { pegErrors } from "./errors";

export const PEG_STORE = "peg";
const v1 = pegzone.peg.v1;
export type MainChain = pegzone.peg.v1.MainChain;
export type Deposit = pegzone.peg.v1.Deposit;
export type ReserveUtxo = pegzone.peg.v1.ReserveUtxo;
export type FreezeState = pegzone.peg.v1.FreezeState;
export type RegisteredAddress = pegzone.peg.v1.RegisteredAddress;

const MAINCHAIN = 0x01;
const FREEZE = 0x02;
const CLIENT = 0x03;
const DEPOSIT = 0x04;
const RESERVE = 0x05;
const RESERVE_TOTAL = 0x06;
const REGISTERED = 0x07;
const AUTHORITY = Uint8Array.of(0x08);

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** What the peg needs from the bank: minting, supply, denom metadata. */
export interface PegBankKeeper {
  mint(ctx: Context, to: Uint8Array, coins: readonly Coin[]): Promise<void>;
  supplyOf(ctx: Context, denom: string): Promise<bigint>;
  setDenomMetadata(ctx: Context, metadata: Metadata): void;
}

export function peggedDenom(mainchainId: string): string {
  return `peg/${mainchainId}`;
}

function idKey(kind: number, id: string, ...rest: Uint8Array[]): Uint8Array {
  const name = utf8.encode(id);
  const parts = [Uint8Array.of(kind, name.length), name, ...rest];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function outpointKey(txid: string, vout: number): Uint8Array {
  const out = new Uint8Array(36);
  out.set(Buffer.from(txid, "hex"));
  new DataView(out.buffer).setUint32(32, vout);
  return out;
}

/** The light-client settings of a registered main chain. */
export function clientConfig(chain: MainChain): LightClientConfig {
  return { network: chain.network, reorgLimit: chain.reorgLimit, pruneWindow: chain.pruneWindow };
}

export class PegKeeper {
  constructor(
    readonly bank: PegBankKeeper,
    private readonly kinds: Readonly<Record<string, MainChainKind>>,
  ) {}

  private store(ctx: Context): KVStore {
    return ctx.store.store(PEG_STORE);
  }

  kind(chain: MainChain): MainChainKind {
    const kind = this.kinds[chain.clientType];
    if (kind === undefined) throw pegErrors.ErrInvalidGenesis.wrap(`main chain ${chain.id}: unknown client type ${JSON.stringify(chain.clientType)}`);
    return kind;
  }

  knownKinds(): string[] {
    return Object.keys(this.kinds).sort();
  }

  /** The light client's own store for a main chain. */
  clientStore(ctx: Context, id: string): KVStore {
    return new PrefixStore(this.store(ctx), idKey(CLIENT, id));
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

  async getDeposit(ctx: Context, id: string, txid: string, vout: number): Promise<Deposit | undefined> {
    const raw = await this.store(ctx).get(idKey(DEPOSIT, id, outpointKey(txid, vout)));
    return raw ? v1.Deposit.decode(raw) : undefined;
  }

  setDeposit(ctx: Context, deposit: Deposit): void {
    this.store(ctx).set(idKey(DEPOSIT, deposit.mainchain, outpointKey(deposit.txid, deposit.vout)), v1.Deposit.encode(deposit).finish());
  }

  async allDeposits(ctx: Context, id: string): Promise<Deposit[]> {
    return this.collect(ctx, idKey(DEPOSIT, id), (v) => v1.Deposit.decode(v));
  }

  async reserveTotal(ctx: Context, id: string): Promise<bigint> {
    const raw = await this.store(ctx).get(idKey(RESERVE_TOTAL, id));
    return raw ? BigInt(utf8d.decode(raw)) : 0n;
  }

  /** Adds an output to the reserve set and its value to the reserve total. */
  async addReserveUtxo(ctx: Context, mainchain: string, utxo: ReserveUtxo): Promise<void> {
    this.store(ctx).set(idKey(RESERVE, mainchain, outpointKey(utxo.txid, utxo.vout)), v1.ReserveUtxo.encode(utxo).finish());
    const total = (await this.reserveTotal(ctx, mainchain)) + BigInt(utxo.value);
    this.store(ctx).set(idKey(RESERVE_TOTAL, mainchain), utf8.encode(total.toString()));
  }

  async reserveUtxos(ctx: Context, id: string): Promise<ReserveUtxo[]> {
    return this.collect(ctx, idKey(RESERVE, id), (v) => v1.ReserveUtxo.decode(v));
  }

  setRegisteredAddress(ctx: Context, entry: RegisteredAddress, recipient: Uint8Array): void {
    this.store(ctx).set(idKey(REGISTERED, entry.mainchain, recipient), v1.RegisteredAddress.encode(entry).finish());
  }

  async registeredAddresses(ctx: Context, id: string): Promise<RegisteredAddress[]> {
    return this.collect(ctx, idKey(REGISTERED, id), (v) => v1.RegisteredAddress.decode(v));
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
}
