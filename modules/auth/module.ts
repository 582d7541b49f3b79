import { BaseAccount, ModuleAccount, Params } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import type { Context } from "../../chain/app/context";
import { camelKeys, snakeKeys } from "../../chain/app/json-case";
import type { AppModule, ServiceRegistrar } from "../../chain/app/module";
import { sdkErrors } from "../../chain/tx/errors";
import { ADDRESS_PREFIX, toBech32 } from "../../chain/crypto/address";
import { parseAddress } from "../../chain/crypto/address";
import { AUTH_STORE, AccountKeeper, defaultAuthParams, type ModuleAccountSpec } from "./keeper";
import type { Account } from "./types";
import { registerAuthQueries } from "./queries";

export interface AuthGenesis {
  params: unknown;
  /** Protobuf-JSON Anys: `{"@type": "/cosmos.auth.v1beta1.BaseAccount", "address": ..., ...}`. */
  accounts: Array<Record<string, unknown>>;
}

export class AuthModule implements AppModule {
  readonly name = AUTH_STORE;
  readonly keeper: AccountKeeper;

  /** `moduleAccounts`: the module accounts every chain of this app has, with their permissions. */
  constructor(private readonly moduleAccounts: readonly ModuleAccountSpec[]) {
    this.keeper = new AccountKeeper(moduleAccounts);
  }

  defaultGenesis(): AuthGenesis {
    return { params: snakeKeys(Params.toJSON(defaultAuthParams)), accounts: [] };
  }

  async initGenesis(ctx: Context, raw: unknown): Promise<void> {
    const g = { ...this.defaultGenesis(), ...(raw as Partial<AuthGenesis>) };
    this.keeper.setParams(ctx, Params.fromJSON(camelKeys(g.params)));
    // Accounts that name their number keep it (an exported chain re-imports unchanged); the rest are numbered after them.
    const accounts = g.accounts.map((entry) => ({ account: accountFromGenesis(entry), numbered: "account_number" in entry }));
    let next = 0n;
    for (const { account, numbered } of accounts) if (numbered && account.accountNumber >= next) next = account.accountNumber + 1n;
    for (const { account, numbered } of accounts) {
      if (!numbered) account.accountNumber = next++;
      if (await this.keeper.hasAccount(ctx, account.address)) {
        throw sdkErrors.ErrInvalidRequest.wrap(`genesis: duplicate account ${parseAddressText(account)}`);
      }
      this.keeper.setAccount(ctx, account);
    }
    this.keeper.setNextAccountNumber(ctx, next);
    for (const m of this.moduleAccounts) await this.keeper.getModuleAccount(ctx, m.name);
  }

  async exportGenesis(ctx: Context): Promise<AuthGenesis> {
    const accounts: Array<Record<string, unknown>> = [];
    for await (const any of this.keeper.allAccounts(ctx)) {
      const json =
        any.typeUrl === "/cosmos.auth.v1beta1.ModuleAccount"
          ? ModuleAccount.toJSON(ModuleAccount.decode(any.value))
          : BaseAccount.toJSON(BaseAccount.decode(any.value));
      accounts.push({ "@type": any.typeUrl, ...(snakeKeys(json) as Record<string, unknown>) });
    }
    return { params: snakeKeys(Params.toJSON(await this.keeper.getParams(ctx))), accounts };
  }

  registerServices(registrar: ServiceRegistrar): void {
    registerAuthQueries(registrar, this.keeper);
  }
}

function accountFromGenesis(entry: Record<string, unknown>): Account {
  const type = entry["@type"] ?? "/cosmos.auth.v1beta1.BaseAccount";
  if (type === "/cosmos.auth.v1beta1.ModuleAccount") {
    const m = ModuleAccount.fromJSON(camelKeys(entry));
    const base = m.baseAccount!;
    return { address: parseAddress(base.address, "genesis"), accountNumber: base.accountNumber, sequence: base.sequence, module: { name: m.name, permissions: m.permissions } };
  }
  if (type !== "/cosmos.auth.v1beta1.BaseAccount") throw sdkErrors.ErrInvalidType.wrap(`genesis: unsupported account type ${String(type)}`);
  const b = BaseAccount.fromJSON(camelKeys(entry));
  if (b.pubKey) throw sdkErrors.ErrInvalidPubKey.wrap("genesis: accounts with a public key are not supported");
  return { address: parseAddress(b.address, "genesis"), accountNumber: b.accountNumber, sequence: b.sequence };
}

function parseAddressText(account: Account): string {
  return toBech32(ADDRESS_PREFIX, account.address);
}
