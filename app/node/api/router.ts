/**
 * The REST route table: a route is a method, a path template in grpc-gateway's notation
 * (`/cosmos/bank/v1beta1/balances/{address}`, `{denom=**}` for the rest of the path), what its
 * query parameters and body mean (for the OpenAPI description) and its handler. Matching prefers
 * literal segments (`blocks/latest` over `blocks/{height}`); a path served only for another method
 * is "Method Not Allowed", anything else "Not Implemented", both 501 (code 12) as grpc-gateway v1 answers.
 */
import type { IncomingHttpHeaders } from "node:http";
import { ApiError, Grpc, invalidArgument } from "./errors";

export interface ApiRequest {
  params: Readonly<Record<string, string>>;
  query: QueryParams;
  headers: IncomingHttpHeaders;
  /** The JSON body of a POST (an object; refused before the handler runs otherwise). */
  body: Record<string, unknown>;
}

export interface ApiAnswer {
  body: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: "GET" | "POST";
  path: string;
  summary: string;
  /** The gRPC method it answers, when it has one. */
  grpc?: string;
  /** Query parameters, or JSON body fields for a POST: name → meaning. */
  params?: Readonly<Record<string, string>>;
  /** What the answer is when it is not JSON (its body is then a string). */
  contentType?: string;
  handle(req: ApiRequest): Promise<ApiAnswer>;
}

export type Match = { route: Route; params: Record<string, string> } | { error: ApiError };

/** Finds the route for a method and a path (already without its query string). */
export function matchRoute(routes: readonly Route[], method: string, path: string): Match {
  const segments = path.split("/").slice(1);
  let best: { route: Route; params: Record<string, string>; literals: number } | undefined;
  let otherMethod = false;
  for (const route of routes) {
    const m = matchPath(route.path, segments);
    if (m === undefined) continue;
    if (route.method !== method && !(method === "HEAD" && route.method === "GET")) {
      otherMethod = true;
      continue;
    }
    if (best === undefined || m.literals > best.literals) best = { route, ...m };
  }
  if (best) return { route: best.route, params: best.params };
  return { error: new ApiError(Grpc.Unimplemented, otherMethod ? "Method Not Allowed" : "Not Implemented") };
}

function matchPath(template: string, segments: string[]): { params: Record<string, string>; literals: number } | undefined {
  const parts = template.split("/").slice(1);
  const params: Record<string, string> = {};
  let literals = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const variable = /^\{(\w+)(=\*\*)?\}$/.exec(part);
    if (variable?.[2]) {
      // the rest of the path, slashes included (denoms such as peg/btc-regtest)
      const rest = segments.slice(i);
      if (rest.length === 0 || rest.some((s) => s === "")) return undefined;
      params[variable[1]] = decode(rest.join("/"));
      return { params, literals };
    }
    const segment = segments[i];
    // an empty segment matches only the root template "/" (the dashboard's page)
    if (segment === undefined || (segment === "" && part !== "")) return undefined;
    if (variable) params[variable[1]] = decode(segment);
    else if (segment === part) literals++;
    else return undefined;
  }
  return segments.length === parts.length ? { params, literals } : undefined;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidArgument(`malformed percent-encoding in path segment ${JSON.stringify(segment)}`);
  }
}

/**
 * Query parameters as grpc-gateway reads them into a request message: by field name, nested fields
 * dotted (`pagination.limit`), a repeated field by repeating the parameter; a value that does not
 * parse as its field's type is InvalidArgument (400). Unknown parameters are ignored, as there.
 */
export class QueryParams {
  constructor(private readonly search: URLSearchParams) {}

  has(name: string): boolean {
    return this.search.has(name);
  }

  string(name: string): string {
    return this.search.get(name) ?? "";
  }

  strings(name: string): string[] {
    return this.search.getAll(name);
  }

  uint64(name: string): bigint {
    return uintBig(name, this.search.get(name) ?? "", 0xffffffffffffffffn);
  }

  /** A uint32 field, or a uint64 one pegzone's generated code holds as a number (heights, ids). */
  uint(name: string, max = 0xffffffff): number {
    return uintText(name, this.search.get(name) ?? "", max);
  }

  /** A repeated field of `uint`s. */
  uints(name: string, max = 0xffffffff): number[] {
    return this.search.getAll(name).map((v) => uintText(name, v, max));
  }

  bool(name: string): boolean {
    const v = this.search.get(name);
    if (v === null || v === "") return false;
    // Go's strconv.ParseBool
    if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
    if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
    throw invalidArgument(`${name}: ${JSON.stringify(v)} is not a boolean`);
  }

  bytes(name: string): Uint8Array {
    return base64Field(name, this.search.get(name) ?? "");
  }

  /** An enum field, by name or number. */
  enumValue(name: string, values: Readonly<Record<string, number | string>>): number {
    const v = this.search.get(name);
    if (v === null || v === "") return 0;
    const known = Object.entries(values).filter(([, n]) => typeof n === "number") as Array<[string, number]>;
    const found = known.find(([k, n]) => k === v || String(n) === v);
    if (found === undefined) throw invalidArgument(`${name}: ${JSON.stringify(v)} is not one of ${known.map(([k]) => k).join(", ")}`);
    return found[1];
  }
}

/** An unsigned integer parameter ("" is 0, as an absent field); InvalidArgument when it is not one or exceeds `max`. */
export function uintBig(name: string, text: string, max: bigint): bigint {
  if (text === "") return 0n;
  if (!/^\d{1,20}$/.test(text)) throw invalidArgument(`${name}: ${JSON.stringify(text)} is not an unsigned integer`);
  if (BigInt(text) > max) throw invalidArgument(`${name}: ${text} is out of range (at most ${max})`);
  return BigInt(text);
}

export function uintText(name: string, text: string, max: number): number {
  return Number(uintBig(name, text, BigInt(max)));
}

/** Bytes in JSON or a query string: standard or URL-safe base64, padded or not, as jsonpb and grpc-gateway accept. */
export function base64Field(name: string, text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) throw invalidArgument(`${name}: illegal base64 data`);
  return new Uint8Array(Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}
