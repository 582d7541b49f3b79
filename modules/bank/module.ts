import { Metadata, Params } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import type { Coin as ProtoCoin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import type { Context } from "../../chain/app/context";
import { camelKeys, snakeKeys } from "../../chain/app/json-case";
import type { AppModule, ServiceRegistrar } from "../../chain/app/module";
import { ADDRESS_PREFIX, toBech32 } from "../../chain/crypto/address";
import { sdkErrors } from "../../chain/tx/errors";
import { addCoins, fromProtoCoins, toProtoCoins, type Coin } from "../../chain/types/coins";
import type { AccountKeeper } from "./expected-keepers";
import { BANK_STORE, BankKeeper, type BlockedAddress } from "./keeper";
import { registerBankMsgs } from "./msgs";
import { parseAddress } from "../../chain/crypto/address";
import { registerBankQueries } from "./queries";

export interface BankGenesis {
  params: { default_send_enabled: boolean };
  balances: Array<{ address: string; coins: ProtoCoin[] }>;
  /** Must equal the sum of the balances when given; computed from them when empty. */
  supply: ProtoCoin[];
  denom_metadata: unknown[];
  send_enabled: Array<{ denom: string; enabled: boolean }>;
}

export class BankModule implements AppModule {
  readonly name = BANK_STORE;
  readonly keeper: BankKeeper;

  constructor(accounts: AccountKeeper, blocked: BlockedAddress) {
    this.keeper = new BankKeeper(accounts, blocked);
  }

  defaultGenesis(): BankGenesis {
    return { params: { default_send_enabled: true }, balances: [], supply: [], denom_metadata: [], send_enabled: [] };
  }

  async initGenesis(ctx: Context, raw: unknown): Promise<void> {
    const g = { ...this.defaultGenesis(), ...(raw as Partial<BankGenesis>) };
    this.keeper.setParams(ctx, Params.fromPartial({ defaultSendEnabled: g.params.default_send_enabled !== false }));
    let total: Coin[] = [];
    const seen = new Set<string>();
    for (const b of g.balances) {
      if (seen.has(b.address)) throw sdkErrors.ErrInvalidRequest.wrap(`genesis: duplicate balance for ${b.address}`);
      seen.add(b.address);
      const coins = fromProtoCoins(b.coins);
      await this.keeper.initBalance(ctx, parseAddress(b.address, "genesis"), coins);
      total = addCoins(total, coins);
    }
    if (g.supply.length > 0) {
      const declared = fromProtoCoins(g.supply);
      const same = declared.length === total.length && declared.every((c, i) => c.denom === total[i].denom && c.amount === total[i].amount);
      if (!same) throw sdkErrors.ErrInvalidCoins.wrap("genesis: supply does not equal the sum of balances");
    }
    for (const m of g.denom_metadata) this.keeper.setDenomMetadata(ctx, Metadata.fromJSON(camelKeys(m)));
    for (const e of g.send_enabled) this.keeper.setSendEnabled(ctx, e);
  }

  async exportGenesis(ctx: Context): Promise<BankGenesis> {
    const params = await this.keeper.getParams(ctx);
    return {
      params: { default_send_enabled: params.defaultSendEnabled },
      balances: (await this.keeper.allAccountBalances(ctx)).map((b) => ({
        address: toBech32(ADDRESS_PREFIX, b.address),
        coins: toProtoCoins(b.coins),
      })),
      supply: toProtoCoins(await this.keeper.totalSupply(ctx)),
      denom_metadata: (await this.keeper.allDenomMetadata(ctx)).map((m) => snakeKeys(Metadata.toJSON(m))),
      send_enabled: await this.keeper.allSendEnabled(ctx),
    };
  }

  registerServices(registrar: ServiceRegistrar): void {
    registerBankMsgs(registrar, this.keeper);
    registerBankQueries(registrar, this.keeper);
  }
}
