import * as q from "cosmjs-types/cosmos/auth/v1beta1/query";
import type { ServiceRegistrar } from "../../chain/app/module";
import { sdkErrors } from "../../chain/tx/errors";
import { parseAddress } from "../../chain/crypto/address";
import { moduleAddress, type AccountKeeper } from "./keeper";

const path = (method: string) => `/cosmos.auth.v1beta1.Query/${method}`;

export function registerAuthQueries(registrar: ServiceRegistrar, keeper: AccountKeeper): void {
  registrar.query(path("Account"), async (ctx, bytes) => {
    const req = q.QueryAccountRequest.decode(bytes);
    const account = await keeper.getAccountAny(ctx, parseAddress(req.address, "query"));
    // CosmJS recognises an unknown account by this gRPC-style text and returns null.
    if (!account) throw sdkErrors.ErrKeyNotFound.wrap(`rpc error: code = NotFound desc = account ${req.address} not found`);
    return q.QueryAccountResponse.encode({ account }).finish();
  });

  registrar.query(path("Accounts"), async (ctx, bytes) =>
    q.QueryAccountsResponse.encode(await keeper.accountsPage(ctx, q.QueryAccountsRequest.decode(bytes).pagination)).finish(),
  );

  registrar.query(path("Params"), async (ctx) => q.QueryParamsResponse.encode({ params: await keeper.getParams(ctx) }).finish());

  registrar.query(path("ModuleAccountByName"), async (ctx, bytes) => {
    const req = q.QueryModuleAccountByNameRequest.decode(bytes);
    const account = await keeper.getAccountAny(ctx, moduleAddress(req.name));
    if (!account) throw sdkErrors.ErrKeyNotFound.wrap(`rpc error: code = NotFound desc = module account ${req.name} not found`);
    return q.QueryModuleAccountByNameResponse.encode({ account }).finish();
  });
}
