/**
 * The SDK services pegzone's query router answers, at the SDK's REST paths (the `google.api.http`
 * options of cosmos/auth, cosmos/bank and cosmos/tx's query.proto / service.proto): auth, bank,
 * tx simulation and a committed tx by hash.
 */
import * as authQ from "cosmjs-types/cosmos/auth/v1beta1/query";
import * as bankQ from "cosmjs-types/cosmos/bank/v1beta1/query";
import * as txService from "cosmjs-types/cosmos/tx/v1beta1/service";
import { ApiError, Grpc, invalidArgument } from "./errors";
import { grpcRoute, pageRequest, PAGINATION_PARAMS, type QueryContext } from "./grpc-route";
import { cosmjsType } from "./proto-json";
import { base64Field, type ApiRequest, type Route } from "./router";

export function authRoutes(ctx: QueryContext): Route[] {
  const auth = (m: string) => `/cosmos.auth.v1beta1.Query/${m}`;
  return [
    grpcRoute(ctx, {
      path: "/cosmos/auth/v1beta1/accounts",
      grpc: auth("Accounts"),
      summary: "every account",
      params: PAGINATION_PARAMS,
      request: (r) => authQ.QueryAccountsRequest.encode({ pagination: pageRequest(r.query) }).finish(),
      response: cosmjsType(authQ.QueryAccountsResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/auth/v1beta1/accounts/{address}",
      grpc: auth("Account"),
      summary: "an account (NotFound if it has never received anything)",
      request: (r) => authQ.QueryAccountRequest.encode({ address: r.params.address }).finish(),
      response: cosmjsType(authQ.QueryAccountResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/auth/v1beta1/params",
      grpc: auth("Params"),
      summary: "the auth module's parameters",
      request: () => authQ.QueryParamsRequest.encode({}).finish(),
      response: cosmjsType(authQ.QueryParamsResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/auth/v1beta1/module_accounts/{name}",
      grpc: auth("ModuleAccountByName"),
      summary: "a module account by its module's name",
      request: (r) => authQ.QueryModuleAccountByNameRequest.encode({ name: r.params.name }).finish(),
      response: cosmjsType(authQ.QueryModuleAccountByNameResponse),
    }),
  ];
}

export function bankRoutes(ctx: QueryContext): Route[] {
  const bank = (m: string) => `/cosmos.bank.v1beta1.Query/${m}`;
  return [
    grpcRoute(ctx, {
      path: "/cosmos/bank/v1beta1/balances/{address}",
      grpc: bank("AllBalances"),
      summary: "every balance of an account",
      params: { ...PAGINATION_PARAMS, resolve_denom: "answer with display denoms" },
      request: (r) => bankQ.QueryAllBalancesRequest.encode({ address: r.params.address, pagination: pageRequest(r.query), resolveDenom: r.query.bool("resolve_denom") }).finish(),
      response: cosmjsType(bankQ.QueryAllBalancesResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/bank/v1beta1/balances/{address}/by_denom",
      grpc: bank("Balance"),
      summary: "an account's balance of one denom",
      params: { denom: "the denom, e.g. upeg or peg/btc-regtest" },
      request: (r) => bankQ.QueryBalanceRequest.encode({ address: r.params.address, denom: r.query.string("denom") }).finish(),
      response: cosmjsType(bankQ.QueryBalanceResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/bank/v1beta1/spendable_balances/{address}",
      grpc: bank("SpendableBalances"),
      summary: "an account's spendable balances (all of them: nothing vests or is locked on pegzone)",
      params: PAGINATION_PARAMS,
      request: (r) => bankQ.QuerySpendableBalancesRequest.encode({ address: r.params.address, pagination: pageRequest(r.query) }).finish(),
      response: cosmjsType(bankQ.QuerySpendableBalancesResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/bank/v1beta1/supply",
      grpc: bank("TotalSupply"),
      summary: "the supply of every denom",
      params: PAGINATION_PARAMS,
      request: (r) => bankQ.QueryTotalSupplyRequest.encode({ pagination: pageRequest(r.query) }).finish(),
      response: cosmjsType(bankQ.QueryTotalSupplyResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/bank/v1beta1/supply/by_denom",
      grpc: bank("SupplyOf"),
      summary: "the supply of one denom",
      params: { denom: "the denom" },
      request: (r) => bankQ.QuerySupplyOfRequest.encode({ denom: r.query.string("denom") }).finish(),
      response: cosmjsType(bankQ.QuerySupplyOfResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/bank/v1beta1/params",
      grpc: bank("Params"),
      summary: "the bank module's parameters",
      request: () => bankQ.QueryParamsRequest.encode({}).finish(),
      response: cosmjsType(bankQ.QueryParamsResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/bank/v1beta1/denoms_metadata",
      grpc: bank("DenomsMetadata"),
      summary: "the metadata of every denom that has some",
      params: PAGINATION_PARAMS,
      request: (r) => bankQ.QueryDenomsMetadataRequest.encode({ pagination: pageRequest(r.query) }).finish(),
      response: cosmjsType(bankQ.QueryDenomsMetadataResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/bank/v1beta1/denoms_metadata/{denom=**}",
      grpc: bank("DenomMetadata"),
      summary: "one denom's metadata (the rest of the path, slashes included: .../denoms_metadata/peg/btc-regtest)",
      request: (r) => bankQ.QueryDenomMetadataRequest.encode({ denom: r.params.denom }).finish(),
      response: cosmjsType(bankQ.QueryDenomMetadataResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/bank/v1beta1/send_enabled",
      grpc: bank("SendEnabled"),
      summary: "which denoms may be sent (repeat `denoms` for several; none: all entries)",
      params: { denoms: "a denom (repeatable)", ...PAGINATION_PARAMS },
      request: (r) => bankQ.QuerySendEnabledRequest.encode({ denoms: r.query.strings("denoms"), pagination: pageRequest(r.query) }).finish(),
      response: cosmjsType(bankQ.QuerySendEnabledResponse),
    }),
  ];
}

/** Simulate, GetTx and GetTxsEvent (the SDK's cosmos.tx.v1beta1.Service); broadcasting is in broadcast.ts. */
export function txQueryRoutes(ctx: QueryContext): Route[] {
  const simulate = grpcRoute(ctx, {
    method: "POST",
    path: "/cosmos/tx/v1beta1/simulate",
    grpc: "/cosmos.tx.v1beta1.Service/Simulate",
    summary: "run a tx without committing it: gas used and the result",
    params: { tx_bytes: "the signed tx (TxRaw), base64" },
    request: (r) => txService.SimulateRequest.encode({ txBytes: txBytesOf(r) }).finish(),
    response: cosmjsType(txService.SimulateResponse),
  });
  return [
    {
      ...simulate,
      // As the SDK's Simulate: a request without a tx is InvalidArgument, a tx that fails is Unknown (500) whatever the reason.
      handle: async (r) => {
        txBytesOf(r);
        return simulate.handle(r).catch((e: unknown) => {
          throw e instanceof ApiError ? new ApiError(Grpc.Unknown, e.message) : e;
        });
      },
    },
    grpcRoute(ctx, {
      path: "/cosmos/tx/v1beta1/txs/{hash}",
      grpc: "/cosmos.tx.v1beta1.Service/GetTx",
      summary: "a committed tx by its hash (hex), from CometBFT's tx index",
      request: (r) => txService.GetTxRequest.encode({ hash: r.params.hash }).finish(),
      response: cosmjsType(txService.GetTxResponse),
    }),
    grpcRoute(ctx, {
      path: "/cosmos/tx/v1beta1/txs",
      grpc: "/cosmos.tx.v1beta1.Service/GetTxsEvent",
      summary: "committed txs matching a CometBFT event query, from CometBFT's tx index",
      params: {
        query: "event query, e.g. message.sender='peg1...' (CometBFT's tx_search syntax)",
        events: "older form: one condition per parameter, joined with AND",
        page: "page number, from 1",
        limit: "txs per page (at most 100; 100 when absent)",
        order_by: "ORDER_BY_ASC (default) or ORDER_BY_DESC, by height",
      },
      request: (r) =>
        txService.GetTxsEventRequest.encode({
          query: r.query.string("query"),
          events: r.query.strings("events"),
          page: r.query.uint64("page"),
          limit: r.query.uint64("limit"),
          orderBy: r.query.enumValue("order_by", txService.OrderBy),
        }).finish(),
      response: cosmjsType(txService.GetTxsEventResponse),
    }),
  ];
}

/** A POST body's tx bytes (`tx_bytes`, or `txBytes` as jsonpb also reads), required. */
export function txBytesOf(req: ApiRequest, whenEmpty = "empty txBytes is not allowed"): Uint8Array {
  const text = req.body.tx_bytes ?? req.body.txBytes;
  if (text !== undefined && text !== null && typeof text !== "string") throw invalidArgument("tx_bytes: a base64 string expected");
  const bytes = base64Field("tx_bytes", text ?? "");
  if (bytes.length === 0) throw invalidArgument(whenEmpty);
  return bytes;
}
