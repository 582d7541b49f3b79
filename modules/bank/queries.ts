import * as q from "cosmjs-types/cosmos/bank/v1beta1/query";
import type { QueryHandler, ServiceRegistrar } from "../../chain/app/module";
import { sdkErrors } from "../../chain/tx/errors";
import { toProtoCoins, validateDenom } from "../../chain/types/coins";
import { bankErrors } from "./errors";
import type { BankKeeper } from "./keeper";
import { parseAddress } from "../../chain/crypto/address";

const path = (method: string) => `/cosmos.bank.v1beta1.Query/${method}`;

/** Results are returned whole; `pagination.total` is always set. */
export function registerBankQueries(registrar: ServiceRegistrar, keeper: BankKeeper): void {
  registrar.query(path("Balance"), async (ctx, bytes) => {
    const req = q.QueryBalanceRequest.decode(bytes);
    const address = parseAddress(req.address, "query");
    validateDenom(req.denom);
    const amount = await keeper.getBalance(ctx, address, req.denom);
    return q.QueryBalanceResponse.encode({ balance: { denom: req.denom, amount: amount.toString() } }).finish();
  });

  // Nothing is locked or vesting on pegzone, so every balance is spendable.
  const balancesOf = async (ctx: Parameters<QueryHandler>[0], address: string) => {
    const balances = await keeper.getAllBalances(ctx, parseAddress(address, "query"));
    return { balances: toProtoCoins(balances), pagination: { nextKey: new Uint8Array(), total: BigInt(balances.length) } };
  };
  registrar.query(path("AllBalances"), async (ctx, bytes) =>
    q.QueryAllBalancesResponse.encode(await balancesOf(ctx, q.QueryAllBalancesRequest.decode(bytes).address)).finish(),
  );
  registrar.query(path("SpendableBalances"), async (ctx, bytes) =>
    q.QuerySpendableBalancesResponse.encode(await balancesOf(ctx, q.QuerySpendableBalancesRequest.decode(bytes).address)).finish(),
  );

  registrar.query(path("TotalSupply"), async (ctx) => {
    const supply = await keeper.totalSupply(ctx);
    return q.QueryTotalSupplyResponse.encode({
      supply: toProtoCoins(supply),
      pagination: { nextKey: new Uint8Array(), total: BigInt(supply.length) },
    }).finish();
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

  registrar.query(path("DenomsMetadata"), async (ctx) => {
    const metadatas = await keeper.allDenomMetadata(ctx);
    return q.QueryDenomsMetadataResponse.encode({
      metadatas,
      pagination: { nextKey: new Uint8Array(), total: BigInt(metadatas.length) },
    }).finish();
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
