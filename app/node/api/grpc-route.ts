/**
 * A route that answers a gRPC method as grpc-gateway does: the request message built from the path,
 * query parameters or body, the method called (services.ts: the app's query router or the node's
 * own), the response rendered as the SDK's JSON. `x-cosmos-block-height` picks the height to read at, as on the SDK's API server,
 * and the answer says which height it read.
 */
import type { PageRequest } from "cosmjs-types/cosmos/base/query/v1beta1/pagination";
import type { AppQuery } from "./app-query";
import { invalidArgument } from "./errors";
import { protoJson, type JsonType, type TypeResolver } from "./proto-json";
import type { ApiRequest, QueryParams, Route } from "./router";

export const HEIGHT_HEADER = "x-cosmos-block-height";

export interface QueryContext {
  query: AppQuery;
  types: TypeResolver;
}

export interface GrpcRouteSpec {
  method?: "GET" | "POST";
  path: string;
  grpc: string;
  summary: string;
  params?: Record<string, string>;
  /** The protobuf request. */
  request(req: ApiRequest): Uint8Array;
  response: JsonType;
}

export function grpcRoute(ctx: QueryContext, spec: GrpcRouteSpec): Route {
  return {
    method: spec.method ?? "GET",
    path: spec.path,
    grpc: spec.grpc,
    summary: spec.summary,
    params: spec.params,
    async handle(req) {
      const data = spec.request(req);
      const res = await ctx.query(spec.grpc, data, heightOf(req));
      // the node's own methods (blocks aside) describe no height
      return { body: protoJson(spec.response, res.value, ctx.types), headers: res.height > 0n ? { [HEIGHT_HEADER]: String(res.height) } : undefined };
    },
  };
}

function heightOf(req: ApiRequest): bigint {
  const header = req.headers[HEIGHT_HEADER];
  if (header === undefined) return 0n;
  const text = Array.isArray(header) ? header[0] : header;
  if (!/^\d{1,19}$/.test(text)) throw invalidArgument(`${HEIGHT_HEADER}: ${JSON.stringify(text)} is not a height`);
  return BigInt(text);
}

/** The SDK's `pagination.*` query parameters. */
export const PAGINATION_PARAMS = {
  "pagination.key": "base64 key of the page to read (a previous answer's next_key)",
  "pagination.offset": "entries to skip (with no key)",
  "pagination.limit": "entries per page",
  "pagination.count_total": "fill pagination.total",
  "pagination.reverse": "descending order",
};

export function pageRequest(q: QueryParams): PageRequest {
  return {
    key: q.bytes("pagination.key"),
    offset: q.uint64("pagination.offset"),
    limit: q.uint64("pagination.limit"),
    countTotal: q.bool("pagination.count_total"),
    reverse: q.bool("pagination.reverse"),
  };
}
