/**
 * A daemon's Prometheus endpoint: `GET /metrics` (and HEAD) over node:http, answering a registry's
 * text; every other path is 404, every other method 405. The address is `host:port` (`[::1]:port`
 * for IPv6, an optional `tcp://` before it); a bare `port` or `:port` listens on 127.0.0.1 only.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CONTENT_TYPE, type MetricsRegistry } from "./prometheus";

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** The host and port of `host:port`, `[v6]:port`, `:port` or `port` (loopback when no host is given); throws for anything else. */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:tcp:\/\/)?(?:(\[[0-9a-fA-F:.]+\]|[^:[\]/\s]*):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`${JSON.stringify(text)} is not an address host:port (e.g. 127.0.0.1:26661)`);
  const host = (m[1] ?? "").replace(/^\[(.*)\]$/, "$1");
  return { host: host === "" ? "127.0.0.1" : host, port };
}

export interface MetricsServer {
  /** http://host:port/metrics, with the port bound. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `registry` at `/metrics` on `address`; resolves once listening. */
export async function serveMetrics(registry: MetricsRegistry, address: string | ListenAddress): Promise<MetricsServer> {
  const { host, port } = typeof address === "string" ? parseListenAddress(address) : address;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found: the metrics are at /metrics\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("method not allowed\n");
      return;
    }
    registry.render().then(
      (text) => {
        res.writeHead(200, { "content-type": CONTENT_TYPE, "content-length": Buffer.byteLength(text) });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`cannot render the metrics: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
