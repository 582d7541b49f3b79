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

/** gRPC method path → handler, for ABCI queries. */
export class QueryRouter {
  private readonly routes = new Map<string, QueryHandler>();

  register(path: string, handler: QueryHandler): void {
    if (this.routes.has(path)) throw new Error(`query ${path} registered twice`);
    this.routes.set(path, handler);
  }

  get(path: string): QueryHandler | undefined {
    return this.routes.get(path);
  }
}

export function registrar(msgs: MsgRouter, queries: QueryRouter): ServiceRegistrar {
  return {
    msg: (typeUrl, codec, handler) => msgs.register(typeUrl, codec, handler),
    query: (path, handler) => queries.register(path, handler),
  };
}
