import { Metadata, Params, type SendEnabled } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import type { PageRequest, PageResponse } from "cosmjs-types/cosmos/base/query/v1beta1/pagination";
import type { Context } from "../../chain/app/context";
import { toBech32, ADDRESS_PREFIX } from "../../chain/crypto/address";
import { paginate } from "../../chain/store/paginate";
import { prefixEnd } from "../../chain/store/prefix";
import type { KVStore } from "../../chain/store/types";
import { sdkErrors } from "../../chain/tx/errors";
import { BURNER, MINTER } from "../auth/types";
import { formatCoins, type Coin } from "../../chain/types/coins";
import { bankErrors } from "./errors";
import type { AccountKeeper } from "./expected-keepers";

export const BANK_STORE = "bank";

/** Module accounts hold funds for the protocol and refuse ordinary transfers, as in the SDK. */
export type BlockedAddress = (address: Uint8Array) => boolean;

const SUPPLY = 0x00;
const METADATA = 0x01;
const BALANCES = 0x02;
const SEND_ENABLED = 0x04;
const PARAMS = Uint8Array.of(0x05);

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

function prefixed(prefix: number, ...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat([Uint8Array.of(prefix), ...parts]);
}

/** Key of one balance: 0x02 | len(addr) | addr | denom, so an account's balances are one range. */
function balanceKey(address: Uint8Array, denom: string): Uint8Array {
  return prefixed(BALANCES, Uint8Array.of(address.length), address, utf8.encode(denom));
}

function accountBalancesPrefix(address: Uint8Array): Uint8Array {
  return prefixed(BALANCES, Uint8Array.of(address.length), address);
}

function decodeAmount(bytes: Uint8Array): bigint {
  return BigInt(utf8d.decode(bytes));
}

function encodeAmount(amount: bigint): Uint8Array {
  return utf8.encode(amount.toString());
}

/**
 * Balances, supply, denom metadata and send-enabled flags: the only code that touches the bank
 * store. As x/bank's keeper: coins are created and destroyed only in module accounts whose
 * permissions allow it, and raw balance changes are private (`#`, unreachable even through a cast).
 */
export class BankKeeper {
  constructor(
    private readonly accounts: AccountKeeper,
    /** Addresses that may not receive coins from users or modules (the module accounts). */
    readonly blockedAddr: BlockedAddress,
  ) {}

  private store(ctx: Context): KVStore {
    return ctx.store.store(BANK_STORE);
  }

  async getBalance(ctx: Context, address: Uint8Array, denom: string): Promise<bigint> {
    const raw = await this.store(ctx).get(balanceKey(address, denom));
    return raw ? decodeAmount(raw) : 0n;
  }

  async getAllBalances(ctx: Context, address: Uint8Array): Promise<Coin[]> {
    const prefix = accountBalancesPrefix(address);
    const coins: Coin[] = [];
    for await (const [key, value] of this.store(ctx).iterate({ start: prefix, end: prefixEnd(prefix) })) {
      coins.push({ denom: utf8d.decode(key.subarray(prefix.length)), amount: decodeAmount(value) });
    }
    return coins;
  }

  /** One page of an account's balances; next_key is `len(addr) | addr | denom`, the SDK's (address, denom) collection key. */
  async balancesPage(ctx: Context, address: Uint8Array, page: PageRequest | undefined): Promise<{ coins: Coin[]; pagination: PageResponse }> {
    const within = Buffer.concat([Uint8Array.of(address.length), address]);
    const { entries, pagination } = await paginate(this.store(ctx), Uint8Array.of(BALANCES), within, page);
    return { coins: entries.map(([k, v]) => ({ denom: utf8d.decode(k), amount: decodeAmount(v) })), pagination };
  }

  /** Every (address, coins) pair with a balance, in key order; for genesis export. */
  async allAccountBalances(ctx: Context): Promise<Array<{ address: Uint8Array; coins: Coin[] }>> {
    const out: Array<{ address: Uint8Array; coins: Coin[] }> = [];
    const start = Uint8Array.of(BALANCES);
    for await (const [key, value] of this.store(ctx).iterate({ start, end: prefixEnd(start) })) {
      const len = key[1];
      const address = key.subarray(2, 2 + len);
      const coin = { denom: utf8d.decode(key.subarray(2 + len)), amount: decodeAmount(value) };
      const last = out[out.length - 1];
      if (last && Buffer.compare(last.address, address) === 0) last.coins.push(coin);
      else out.push({ address: Uint8Array.from(address), coins: [coin] });
    }
    return out;
  }

  #setBalance(ctx: Context, address: Uint8Array, denom: string, amount: bigint): void {
    if (amount === 0n) this.store(ctx).delete(balanceKey(address, denom));
    else this.store(ctx).set(balanceKey(address, denom), encodeAmount(amount));
  }

  async supplyOf(ctx: Context, denom: string): Promise<bigint> {
    const raw = await this.store(ctx).get(prefixed(SUPPLY, utf8.encode(denom)));
    return raw ? decodeAmount(raw) : 0n;
  }

  async totalSupply(ctx: Context): Promise<Coin[]> {
    const start = Uint8Array.of(SUPPLY);
    const coins: Coin[] = [];
    for await (const [key, value] of this.store(ctx).iterate({ start, end: prefixEnd(start) })) {
      coins.push({ denom: utf8d.decode(key.subarray(1)), amount: decodeAmount(value) });
    }
    return coins;
  }

  /** One page of the total supply; next_key is the denom. */
  async supplyPage(ctx: Context, page: PageRequest | undefined): Promise<{ coins: Coin[]; pagination: PageResponse }> {
    const { entries, pagination } = await paginate(this.store(ctx), Uint8Array.of(SUPPLY), new Uint8Array(), page);
    return { coins: entries.map(([k, v]) => ({ denom: utf8d.decode(k), amount: decodeAmount(v) })), pagination };
  }

  #setSupply(ctx: Context, denom: string, amount: bigint): void {
    const key = prefixed(SUPPLY, utf8.encode(denom));
    if (amount === 0n) this.store(ctx).delete(key);
    else this.store(ctx).set(key, encodeAmount(amount));
  }

  async #subtractCoins(ctx: Context, address: Uint8Array, coins: readonly Coin[]): Promise<void> {
    for (const c of coins) {
      const balance = await this.getBalance(ctx, address, c.denom);
      if (balance < c.amount) {
        throw sdkErrors.ErrInsufficientFunds.wrap(`spendable balance ${balance}${c.denom} is smaller than ${c.amount}${c.denom}`);
      }
      this.#setBalance(ctx, address, c.denom, balance - c.amount);
    }
    ctx.events.emit("coin_spent", [["spender", bech32(address)], ["amount", formatCoins(coins)]]);
  }

  /** Credits coins, creating the recipient's account on first receipt, as the SDK's SendCoins does. */
  async #addCoins(ctx: Context, address: Uint8Array, coins: readonly Coin[]): Promise<void> {
    if (!(await this.accounts.hasAccount(ctx, address))) await this.accounts.createAccount(ctx, address);
    for (const c of coins) {
      this.#setBalance(ctx, address, c.denom, (await this.getBalance(ctx, address, c.denom)) + c.amount);
    }
    ctx.events.emit("coin_received", [["receiver", bech32(address)], ["amount", formatCoins(coins)]]);
  }

  async isSendEnabled(ctx: Context, denom: string): Promise<boolean> {
    const raw = await this.store(ctx).get(prefixed(SEND_ENABLED, utf8.encode(denom)));
    if (raw) return raw[0] === 1;
    return (await this.getParams(ctx)).defaultSendEnabled;
  }

  async checkSendEnabled(ctx: Context, coins: readonly Coin[]): Promise<void> {
    for (const c of coins) {
      if (!(await this.isSendEnabled(ctx, c.denom))) throw bankErrors.ErrSendDisabled.wrap(`${c.denom} transfers are currently disabled`);
    }
  }

  setSendEnabled(ctx: Context, entry: SendEnabled): void {
    this.store(ctx).set(prefixed(SEND_ENABLED, utf8.encode(entry.denom)), Uint8Array.of(entry.enabled ? 1 : 0));
  }

  async allSendEnabled(ctx: Context): Promise<SendEnabled[]> {
    const start = Uint8Array.of(SEND_ENABLED);
    const out: SendEnabled[] = [];
    for await (const [key, value] of this.store(ctx).iterate({ start, end: prefixEnd(start) })) {
      out.push({ denom: utf8d.decode(key.subarray(1)), enabled: value[0] === 1 });
    }
    return out;
  }

  /** Moves coins between two accounts (the SDK's SendCoins); the caller checks send-enabled and blocked recipients. */
  async sendCoins(ctx: Context, from: Uint8Array, to: Uint8Array, coins: readonly Coin[]): Promise<void> {
    await this.#subtractCoins(ctx, from, coins);
    await this.#addCoins(ctx, to, coins);
    ctx.events.emit("transfer", [["recipient", bech32(to)], ["sender", bech32(from)], ["amount", formatCoins(coins)]]);
    ctx.events.emit("message", [["sender", bech32(from)]]);
  }

  /** One input paying several outputs (MsgMultiSend; the SDK's InputOutputCoins), checked by the caller to balance. */
  async inputOutputCoins(ctx: Context, input: { address: Uint8Array; coins: readonly Coin[] }, outputs: ReadonlyArray<{ address: Uint8Array; coins: readonly Coin[] }>): Promise<void> {
    await this.#subtractCoins(ctx, input.address, input.coins);
    ctx.events.emit("message", [["sender", bech32(input.address)]]);
    for (const o of outputs) {
      await this.#addCoins(ctx, o.address, o.coins);
      ctx.events.emit("transfer", [["recipient", bech32(o.address)], ["amount", formatCoins(o.coins)]]);
    }
  }

  /** Pays coins out of a module account to a user account; a blocked (module) recipient gets ErrUnauthorized. */
  async sendCoinsFromModuleToAccount(ctx: Context, senderModule: string, to: Uint8Array, coins: readonly Coin[]): Promise<void> {
    const sender = await this.accounts.getModuleAccount(ctx, senderModule);
    if (this.blockedAddr(to)) throw sdkErrors.ErrUnauthorized.wrap(`${bech32(to)} is not allowed to receive funds`);
    await this.sendCoins(ctx, sender.address, to, coins);
  }

  /** Moves coins from an account into a module account. */
  async sendCoinsFromAccountToModule(ctx: Context, from: Uint8Array, recipientModule: string, coins: readonly Coin[]): Promise<void> {
    const recipient = await this.accounts.getModuleAccount(ctx, recipientModule);
    await this.sendCoins(ctx, from, recipient.address, coins);
  }

  /** Creates coins in the module account of `moduleName`, which needs the minter permission, and raises their supply. */
  async mintCoins(ctx: Context, moduleName: string, coins: readonly Coin[]): Promise<void> {
    const account = await this.permittedModuleAccount(ctx, moduleName, MINTER, "mint");
    await this.#addCoins(ctx, account.address, coins);
    for (const c of coins) this.#setSupply(ctx, c.denom, (await this.supplyOf(ctx, c.denom)) + c.amount);
    ctx.events.emit("coinbase", [["minter", bech32(account.address)], ["amount", formatCoins(coins)]]);
  }

  /** Destroys coins held by the module account of `moduleName`, which needs the burner permission, and lowers their supply. */
  async burnCoins(ctx: Context, moduleName: string, coins: readonly Coin[]): Promise<void> {
    const account = await this.permittedModuleAccount(ctx, moduleName, BURNER, "burn");
    await this.#subtractCoins(ctx, account.address, coins);
    for (const c of coins) this.#setSupply(ctx, c.denom, (await this.supplyOf(ctx, c.denom)) - c.amount);
    ctx.events.emit("burn", [["burner", bech32(account.address)], ["amount", formatCoins(coins)]]);
  }

  private async permittedModuleAccount(ctx: Context, moduleName: string, permission: string, action: string) {
    const account = await this.accounts.getModuleAccount(ctx, moduleName);
    if (!account.module?.permissions.includes(permission)) {
      throw sdkErrors.ErrUnauthorized.wrap(`module account ${moduleName} does not have permissions to ${action} tokens`);
    }
    return account;
  }

  /** Genesis only: writes a balance and its supply without events or account creation. */
  async initBalance(ctx: Context, address: Uint8Array, coins: readonly Coin[]): Promise<void> {
    // Anywhere else it would mint to any address.
    if (ctx.mode !== "genesis") throw new Error(`initBalance outside genesis (${ctx.mode})`);
    for (const c of coins) {
      this.#setBalance(ctx, address, c.denom, (await this.getBalance(ctx, address, c.denom)) + c.amount);
      this.#setSupply(ctx, c.denom, (await this.supplyOf(ctx, c.denom)) + c.amount);
    }
  }

  async getParams(ctx: Context): Promise<Params> {
    const raw = await this.store(ctx).get(PARAMS);
    return raw ? Params.decode(raw) : Params.fromPartial({ defaultSendEnabled: true });
  }

  setParams(ctx: Context, params: Params): void {
    this.store(ctx).set(PARAMS, Params.encode(params).finish());
  }

  async getDenomMetadata(ctx: Context, denom: string): Promise<Metadata | undefined> {
    const raw = await this.store(ctx).get(prefixed(METADATA, utf8.encode(denom)));
    return raw ? Metadata.decode(raw) : undefined;
  }

  setDenomMetadata(ctx: Context, metadata: Metadata): void {
    this.store(ctx).set(prefixed(METADATA, utf8.encode(metadata.base)), Metadata.encode(metadata).finish());
  }

  /** One page of the denom metadata; next_key is the base denom. */
  async denomMetadataPage(ctx: Context, page: PageRequest | undefined): Promise<{ metadatas: Metadata[]; pagination: PageResponse }> {
    const { entries, pagination } = await paginate(this.store(ctx), Uint8Array.of(METADATA), new Uint8Array(), page);
    return { metadatas: entries.map(([, v]) => Metadata.decode(v)), pagination };
  }

  async allDenomMetadata(ctx: Context): Promise<Metadata[]> {
    const start = Uint8Array.of(METADATA);
    const out: Metadata[] = [];
    for await (const [, value] of this.store(ctx).iterate({ start, end: prefixEnd(start) })) out.push(Metadata.decode(value));
    return out;
  }
}

function bech32(address: Uint8Array): string {
  return toBech32(ADDRESS_PREFIX, address);
}
