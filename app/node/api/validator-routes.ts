/** REST routes of every pegzone.validators.v1.Query method, named as the peg's are. */
import { pegzone } from "../../../proto";
import { grpcRoute, type QueryContext } from "./grpc-route";
import { pbjsType } from "./proto-json";
import type { Route } from "./router";

const v1 = pegzone.validators.v1;

export function validatorRoutes(ctx: QueryContext): Route[] {
  const method = (m: string) => `/pegzone.validators.v1.Query/${m}`;
  return [
    grpcRoute(ctx, {
      path: "/pegzone/validators/v1/validators",
      grpc: method("Validators"),
      summary: "every validator: operator, keys, power, status and why",
      request: () => v1.QueryValidatorsRequest.encode({}).finish(),
      response: pbjsType(v1.QueryValidatorsResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/validators/v1/validator/{operator}",
      grpc: method("Validator"),
      summary: "one validator and the blocks of its window it missed",
      request: (r) => v1.QueryValidatorRequest.encode({ operator: r.params.operator }).finish(),
      response: pbjsType(v1.QueryValidatorResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/validators/v1/proposals",
      grpc: method("Proposals"),
      summary: "pending changes of the validator set and their approvals",
      request: () => v1.QueryProposalsRequest.encode({}).finish(),
      response: pbjsType(v1.QueryProposalsResponse),
    }),
    grpcRoute(ctx, {
      path: "/pegzone/validators/v1/params",
      grpc: method("Params"),
      summary: "downtime window, minimum signed share, minimum set size, proposal lifetime",
      request: () => v1.QueryParamsRequest.encode({}).finish(),
      response: pbjsType(v1.QueryParamsResponse),
    }),
  ];
}
