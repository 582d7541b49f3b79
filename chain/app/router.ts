import { sdkErrors } from "../tx/errors";
import { MsgRegistry, type MsgCodec } from "../tx/registry";
import type { MsgHandler, QueryHandler, ServiceRegistrar } from "./module";

/**
 * Message type URL → codec (in the tx decoder's registry, which also builds amino sign bytes) and
 * handler. Unknown types fail decoding with code 2, as in the SDK.
 */
export class MsgRouter {
  readonly registry = new MsgRegistry();
  private readonly handlers = new Map<string, MsgHandler<unknown>>();

  register<T>(typeUrl: string, codec: MsgCodec<T>, handler: MsgHandler<T>): void {
    this.registry.register(typeUrl, codec);
    this.handlers.set(typeUrl, handler as MsgHandler<unknown>);
  }

  handler(typeUrl: string): MsgHandler<unknown> {
    const h = this.handlers.get(typeUrl);
    if (!h) throw new Error(`no handler for ${typeUrl}`);
    return h;
  }
}

/** A query method's request message: a generated protobuf type. */
export interface RequestType {
  decode(bytes: Uint8Array): unknown;
}

/**
 * Finds the request type of a gRPC method among generated protobuf packages (package name → the
 * module exporting its messages), by the names Cosmos services use: `/<package>.Query/<Method>`
 * takes `Query<Method>Request`, another service's `/<package>.<Service>/<Method>` takes `<Method>Request`.
 */
export function requestTypesIn(packages: Readonly<Record<string, object>>): (path: string) => RequestType | undefined {
  return (path) => {
    const m = /^\/(.+)\.(\w+)\/(\w+)$/.exec(path);
    if (!m) return undefined;
    const [, pkg, service, method] = m;
    if (!Object.hasOwn(packages, pkg)) return undefined;
    const messages = packages[pkg] as Record<string, Partial<RequestType> | undefined>;
    const type = messages[service === "Query" ? `Query${method}Request` : `${method}Request`];
    return typeof type?.decode === "function" ? (type as RequestType) : undefined;
  };
}

/**
 * gRPC method path → handler, for ABCI queries. As the SDK's gRPC router does, the router decodes
 * the request first: data that is not the method's request message is the client's error
 * (ErrInvalidRequest, sdk 18) and never reaches the handler, whose own decoding then cannot fail.
 */
export class QueryRouter {
  private readonly routes = new Map<string, QueryHandler>();

  constructor(private readonly requestType: (path: string) => RequestType | undefined) {}

  register(path: string, handler: QueryHandler): void {
    if (this.routes.has(path)) throw new Error(`query ${path} registered twice`);
    const request = this.requestType(path);
    if (request === undefined) throw new Error(`query ${path}: no request type is known for it`);
    this.routes.set(path, async (ctx, data) => {
      try {
        request.decode(data);
      } catch (err) {
        throw sdkErrors.ErrInvalidRequest.wrap(`${path}: undecodable request (${err instanceof Error ? err.message : String(err)})`);
      }
      return handler(ctx, data);
    });
  }

  get(path: string): QueryHandler | undefined {
    return this.routes.get(path);
  }

  /** Every registered method path, sorted. */
  paths(): string[] {
    return [...this.routes.keys()].sort();
  }
}

export function registrar(msgs: MsgRouter, queries: QueryRouter): ServiceRegistrar {
  return {
    msg: (typeUrl, codec, handler) => msgs.register(typeUrl, codec, handler),
    query: (path, handler) => queries.register(path, handler),
  };
}
