import { BaseAccount, ModuleAccount, Params } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { Any } from "cosmjs-types/google/protobuf/any";
import { createHash } from "node:crypto";
import type { Context } from "../../chain/app/context";
import { ADDRESS_PREFIX, fromBech32, toBech32 } from "../../chain/crypto/address";
import type { KVStore } from "../../chain/store/types";
import type { PageRequest, PageResponse } from "cosmjs-types/cosmos/base/query/v1beta1/pagination";
import { paginate } from "../../chain/store/paginate";
import { prefixEnd } from "../../chain/store/prefix";
import { sdkErrors } from "../../chain/tx/errors";
import { SECP256K1_PUBKEY_TYPE_URL } from "../../chain/tx/wire";
import type { Account } from "./types";

export const AUTH_STORE = "auth";
const BASE_ACCOUNT_TYPE = "/cosmos.auth.v1beta1.BaseAccount";
const MODULE_ACCOUNT_TYPE = "/cosmos.auth.v1beta1.ModuleAccount";

const PARAMS = Uint8Array.of(0x00);
const ACCOUNTS = 0x01;
const NEXT_ACCOUNT_NUMBER = Uint8Array.of(0x02);

/** The SDK's defaults, so CosmJS fee and gas estimates behave as on any SDK chain. */
export const defaultAuthParams: Params = {
  maxMemoCharacters: 256n,
  txSigLimit: 7n,
  txSizeCostPerByte: 10n,
  sigVerifyCostEd25519: 590n,
  sigVerifyCostSecp256k1: 1000n,
};

/** A module account the app configures, with its permissions (the SDK's maccPerms entry). */
export interface ModuleAccountSpec {
  name: string;
  permissions: string[];
}

/** A module account's address: the first 20 bytes of sha256(name), as the SDK derives it. */
export function moduleAddress(name: string): Uint8Array {
  return createHash("sha256").update(name).digest().subarray(0, 20);
}

function accountKey(address: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(ACCOUNTS), address]);
}

export function accountToAny(a: Account): Any {
  const base: BaseAccount = {
    address: toBech32(ADDRESS_PREFIX, a.address),
    pubKey: a.pubkey ? { typeUrl: SECP256K1_PUBKEY_TYPE_URL, value: PubKey.encode({ key: a.pubkey }).finish() } : undefined,
    accountNumber: a.accountNumber,
    sequence: a.sequence,
  };
  if (a.module) {
    return {
      typeUrl: MODULE_ACCOUNT_TYPE,
      value: ModuleAccount.encode({ baseAccount: base, name: a.module.name, permissions: a.module.permissions }).finish(),
    };
  }
  return { typeUrl: BASE_ACCOUNT_TYPE, value: BaseAccount.encode(base).finish() };
}

function accountFromAny(any: Any): Account {
  const fromBase = (b: BaseAccount): Account => ({
    address: fromBech32(b.address, ADDRESS_PREFIX),
    pubkey: b.pubKey ? PubKey.decode(b.pubKey.value).key : undefined,
    accountNumber: b.accountNumber,
    sequence: b.sequence,
  });
  if (any.typeUrl === MODULE_ACCOUNT_TYPE) {
    const m = ModuleAccount.decode(any.value);
    return { ...fromBase(m.baseAccount!), module: { name: m.name, permissions: m.permissions } };
  }
  if (any.typeUrl === BASE_ACCOUNT_TYPE) return fromBase(BaseAccount.decode(any.value));
  throw new Error(`unknown account type ${any.typeUrl}`);
}

/** Accounts (stored as protobuf Any, as in the SDK), sequences, public keys and auth params: the only code that touches the auth store. */
export class AccountKeeper {
  private readonly permissions: ReadonlyMap<string, readonly string[]>;

  constructor(moduleAccounts: readonly ModuleAccountSpec[]) {
    this.permissions = new Map(moduleAccounts.map((m) => [m.name, m.permissions]));
  }

  private store(ctx: Context): KVStore {
    return ctx.store.store(AUTH_STORE);
  }

  async getAccount(ctx: Context, address: Uint8Array): Promise<Account | undefined> {
    const raw = await this.store(ctx).get(accountKey(address));
    if (!raw) return undefined;
    return accountFromAny(Any.decode(raw));
  }

  async getAccountAny(ctx: Context, address: Uint8Array): Promise<Any | undefined> {
    const raw = await this.store(ctx).get(accountKey(address));
    return raw ? Any.decode(raw) : undefined;
  }

  hasAccount(ctx: Context, address: Uint8Array): Promise<boolean> {
    return this.store(ctx).has(accountKey(address));
  }

  setAccount(ctx: Context, account: Account): void {
    this.store(ctx).set(accountKey(account.address), Any.encode(accountToAny(account)).finish());
  }

  async createAccount(ctx: Context, address: Uint8Array): Promise<void> {
    this.setAccount(ctx, { address, accountNumber: await this.nextAccountNumber(ctx), sequence: 0n });
  }

  /**
   * The module account of `name`, created on first use with its configured permissions, as the
   * SDK's GetModuleAccount; ErrUnknownAddress for a name the app configures no module account for.
   */
  async getModuleAccount(ctx: Context, name: string): Promise<Account> {
    const permissions = this.permissions.get(name);
    if (permissions === undefined) throw sdkErrors.ErrUnknownAddress.wrap(`module account ${name} does not exist`);
    const address = moduleAddress(name);
    const existing = await this.getAccount(ctx, address);
    if (existing) {
      if (existing.module?.name !== name) throw sdkErrors.ErrInvalidType.wrap(`account ${toBech32(ADDRESS_PREFIX, address)} is not the module account ${name}`);
      return existing;
    }
    const account: Account = { address, accountNumber: await this.nextAccountNumber(ctx), sequence: 0n, module: { name, permissions: [...permissions] } };
    this.setAccount(ctx, account);
    return account;
  }

  async *allAccounts(ctx: Context): AsyncIterable<Any> {
    const start = Uint8Array.of(ACCOUNTS);
    for await (const [, value] of this.store(ctx).iterate({ start, end: prefixEnd(start) })) yield Any.decode(value);
  }

  /** One page of the accounts in address order; next_key is the address, the SDK's account collection key. */
  async accountsPage(ctx: Context, page: PageRequest | undefined): Promise<{ accounts: Any[]; pagination: PageResponse }> {
    const { entries, pagination } = await paginate(this.store(ctx), Uint8Array.of(ACCOUNTS), new Uint8Array(), page);
    return { accounts: entries.map(([, v]) => Any.decode(v)), pagination };
  }

  private async nextAccountNumber(ctx: Context): Promise<bigint> {
    const raw = await this.store(ctx).get(NEXT_ACCOUNT_NUMBER);
    const n = raw ? Buffer.from(raw).readBigUInt64BE() : 0n;
    this.setNextAccountNumber(ctx, n + 1n);
    return n;
  }

  /** Genesis import: account numbers continue after the highest imported one. */
  setNextAccountNumber(ctx: Context, n: bigint): void {
    const next = Buffer.alloc(8);
    next.writeBigUInt64BE(n);
    this.store(ctx).set(NEXT_ACCOUNT_NUMBER, next);
  }

  async getParams(ctx: Context): Promise<Params> {
    const raw = await this.store(ctx).get(PARAMS);
    return raw ? Params.decode(raw) : defaultAuthParams;
  }

  setParams(ctx: Context, params: Params): void {
    this.store(ctx).set(PARAMS, Params.encode(params).finish());
  }
}
