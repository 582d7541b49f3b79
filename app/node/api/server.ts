/**
 * The REST API server (the SDK's [api] server): Node's http, a route table, JSON in and out. Like
 * the SDK's it listens on loopback unless app.toml says otherwise, takes request bodies up to
 * 1,000,000 bytes (rpc-max-body-bytes), and answers every failure as `{code, message, details}`;
 * a handler's bug is a 500, never a crash. Closing waits for the requests being answered, so the
 * app's storage can be closed after it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../../chain/log";
import { ApiError, Grpc, invalidArgument } from "./errors";
import { matchRoute, QueryParams, type Route } from "./router";

/** The SDK's default rpc-max-body-bytes. */
export const MAX_BODY_BYTES = 1_000_000;
/** Past this many bytes of an oversized body, the connection is dropped rather than drained. */
const MAX_DRAIN_BYTES = 64 * MAX_BODY_BYTES;
const JSON_TYPE = "application/json";

export interface ApiServerOptions {
  /** tcp://host:port (port 0: any free one). */
  address: string;
  routes: Route[];
  logger: Logger;
  maxBodyBytes?: number;
}

export class ApiServer {
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    private readonly server: Server,
    private readonly opts: ApiServerOptions,
  ) {}

  static async listen(opts: ApiServerOptions): Promise<ApiServer> {
    const { host, port } = parseApiAddress(opts.address);
    const server = createServer();
    const api = new ApiServer(server, opts);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => api.track(api.answer(req, res)));
    // the SDK's [api] defaults: 1,000 connections, 10 s to read a request
    server.maxConnections = 1000;
    server.requestTimeout = 10_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => opts.logger.error({ err }, "REST API server error"));
    if (!isLoopback(host)) opts.logger.warn({ address: api.address }, "the REST API listens beyond loopback: anyone who can reach it can query and broadcast");
    opts.logger.info({ address: api.address }, "REST API listening");
    return api;
  }

  /** The address bound, e.g. http://127.0.0.1:1317. */
  get address(): string {
    const a = this.server.address() as AddressInfo;
    return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    await Promise.all([...this.inFlight]);
  }

  private track(answering: Promise<void>): void {
    this.inFlight.add(answering);
    void answering.finally(() => this.inFlight.delete(answering));
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://api");
      const match = matchRoute(this.opts.routes, req.method ?? "GET", url.pathname.replace(/(.)\/+$/, "$1"));
      if ("error" in match) throw match.error;
      const body = req.method === "POST" ? await readJsonBody(req, this.opts.maxBodyBytes ?? MAX_BODY_BYTES) : {};
      const answer = await match.route.handle({ params: match.params, query: new QueryParams(url.searchParams), headers: req.headers, body });
      const type = match.route.contentType ?? JSON_TYPE;
      send(res, 200, type, type === JSON_TYPE ? JSON.stringify(answer.body) : String(answer.body), answer.headers);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(Grpc.Internal, err instanceof Error ? err.message : String(err));
      if (!(err instanceof ApiError)) this.opts.logger.error({ err, url: req.url }, "REST API handler failed");
      send(res, e.httpStatus, JSON_TYPE, JSON.stringify(e.body));
    }
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * A JSON object body. An empty body is an empty request, as grpc-gateway reads it; one over the
 * limit is refused as the SDK's server refuses it (400, "http: request body too large"), after it
 * has been read and dropped, so that the client, still sending, gets the answer.
 */
function readJsonBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) req.destroy();
    });
    req.on("error", reject);
    req.on("close", () => reject(new ApiError(Grpc.Canceled, "request aborted")));
    req.on("end", () => {
      if (size > limit) return reject(invalidArgument("http: request body too large"));
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() === "") return resolve({});
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        return reject(invalidArgument(err instanceof Error ? err.message : "invalid JSON"));
      }
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return reject(invalidArgument("the request body must be a JSON object"));
      resolve(parsed as Record<string, unknown>);
    });
  });
}

function parseApiAddress(address: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535) throw new Error(`app.toml [api] address must be tcp://host:port, got ${JSON.stringify(address)}`);
  const host = m[1].replace(/^\[(.*)\]$/, "$1");
  return { host: host === "" ? "0.0.0.0" : host, port: Number(m[2]) };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
