/**
 * The node's own CometBFT RPC, as the REST server's tendermint and broadcast routes call it:
 * JSON-RPC over a fresh connection per call (no pooled keep-alive socket that CometBFT may have
 * closed while it sat idle). An unreachable node is Unavailable (503); a JSON-RPC error is kept
 * for the route to judge.
 */
import { request } from "node:http";
import { ApiError, Grpc } from "./errors";

export class CometRpcError extends Error {
  constructor(
    readonly method: string,
    /** CometBFT's explanation (the JSON-RPC error's data, else its message). */
    readonly detail: string,
  ) {
    super(`${method}: ${detail}`);
    this.name = "CometRpcError";
  }
}

export type CometCall = <T>(method: string, params?: Record<string, unknown>) => Promise<T>;

const TIMEOUT_MS = 30_000;

export function cometRpc(url: string): CometCall {
  const target = new URL(url.replace(/^tcp:/, "http:"));
  return <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
      const req = request(
        { host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent: false, timeout: TIMEOUT_MS, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (err) => reject(unavailable(err)));
          res.on("end", () => {
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { result?: T; error?: { message: string; data?: string } };
              if (answer.error) reject(new CometRpcError(method, answer.error.data || answer.error.message));
              else resolve(answer.result as T);
            } catch {
              reject(new ApiError(Grpc.Unavailable, `CometBFT RPC ${method}: answered HTTP ${res.statusCode} without JSON`));
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
      req.on("error", (err) => reject(unavailable(err)));
      req.end(body);
    });
}

function unavailable(err: Error): ApiError {
  return new ApiError(Grpc.Unavailable, `cannot reach CometBFT's RPC: ${err.message}`);
}
