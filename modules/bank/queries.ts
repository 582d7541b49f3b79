import * as q from "cosmjs-types/cosmos/bank/v1beta1/query";
import type { PageRequest } from "cosmjs-types/cosmos/base/query/v1beta1/pagination";
import type { QueryHandler, ServiceRegistrar } from "../../chain/app/module";
import { sdkErrors } from "../../chain/tx/errors";
import { toProtoCoins, validateDenom } from "../../chain/types/coins";
import { bankErrors } from "./errors";
import type { BankKeeper } from "./keeper";
import { parseAddress } from "../../chain/crypto/address";

const path = (method: string) => `/cosmos.bank.v1beta1.Query/${method}`;

/** List queries are paged with the SDK's PageRequest semantics (chain/store/paginate.ts); SendEnabled is returned whole. */
export function registerBankQueries(registrar: ServiceRegistrar, keeper: BankKeeper): void {
  registrar.query(path("Balance"), async (ctx, bytes) => {
    const req = q.QueryBalanceRequest.decode(bytes);
    const address = parseAddress(req.address, "query");
    validateDenom(req.denom);
    const amount = await keeper.getBalance(ctx, address, req.denom);
    return q.QueryBalanceResponse.encode({ balance: { denom: req.denom, amount: amount.toString() } }).finish();
  });

  // Nothing is locked or vesting on pegzone, so every balance is spendable.
  const balancesOf = async (ctx: Parameters<QueryHandler>[0], address: string, page: PageRequest | undefined) => {
    const { coins, pagination } = await keeper.balancesPage(ctx, parseAddress(address, "query"), page);
    return { balances: toProtoCoins(coins), pagination };
  };
  registrar.query(path("AllBalances"), async (ctx, bytes) => {
    const req = q.QueryAllBalancesRequest.decode(bytes);
    return q.QueryAllBalancesResponse.encode(await balancesOf(ctx, req.address, req.pagination)).finish();
  });
  registrar.query(path("SpendableBalances"), async (ctx, bytes) => {
    const req = q.QuerySpendableBalancesRequest.decode(bytes);
    return q.QuerySpendableBalancesResponse.encode(await balancesOf(ctx, req.address, req.pagination)).finish();
  });

  registrar.query(path("TotalSupply"), async (ctx, bytes) => {
    const { coins, pagination } = await keeper.supplyPage(ctx, q.QueryTotalSupplyRequest.decode(bytes).pagination);
    return q.QueryTotalSupplyResponse.encode({ supply: toProtoCoins(coins), pagination }).finish();
  });

  registrar.query(path("SupplyOf"), async (ctx, bytes) => {
    const req = q.QuerySupplyOfRequest.decode(bytes);
    validateDenom(req.denom);
    const amount = await keeper.supplyOf(ctx, req.denom);
    return q.QuerySupplyOfResponse.encode({ amount: { denom: req.denom, amount: amount.toString() } }).finish();
  });

  registrar.query(path("Params"), async (ctx) => {
    return q.QueryParamsResponse.encode({ params: await keeper.getParams(ctx) }).finish();
  });

  registrar.query(path("DenomMetadata"), async (ctx, bytes) => {
    const req = q.QueryDenomMetadataRequest.decode(bytes);
    if (req.denom === "") throw sdkErrors.ErrInvalidRequest.wrap("empty denom");
    const metadata = await keeper.getDenomMetadata(ctx, req.denom);
    if (!metadata) throw bankErrors.ErrDenomMetadataNotFound.wrap(`rpc error: code = NotFound desc = client metadata for denom ${req.denom}`);
    return q.QueryDenomMetadataResponse.encode({ metadata }).finish();
  });

  registrar.query(path("DenomsMetadata"), async (ctx, bytes) => {
    const page = await keeper.denomMetadataPage(ctx, q.QueryDenomsMetadataRequest.decode(bytes).pagination);
    return q.QueryDenomsMetadataResponse.encode(page).finish();
  });

  registrar.query(path("SendEnabled"), async (ctx, bytes) => {
    const req = q.QuerySendEnabledRequest.decode(bytes);
    const all = await keeper.allSendEnabled(ctx);
    const sendEnabled = req.denoms.length === 0 ? all : all.filter((e) => req.denoms.includes(e.denom));
    return q.QuerySendEnabledResponse.encode({
      sendEnabled,
      pagination: { nextKey: new Uint8Array(), total: BigInt(sendEnabled.length) },
    }).finish();
  });
}
