import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "../log";
import { formatBoundAddress, type ListenTarget, parseListenAddress, removeStaleUnixSocket } from "./address";
import type { AbciApplication } from "./application";
import { AbciConnection } from "./connection";
import { checkMaxFrameBytes } from "./framing";
import { SerialExecutor } from "./serial-executor";

export interface AbciServerOptions {
  logger: Logger;
  /** Largest request frame accepted; defaults to DEFAULT_MAX_FRAME_BYTES (128 MiB). */
  maxFrameBytes?: number;
  /** Unanswered request bytes per connection before it stops reading; defaults to DEFAULT_MAX_UNANSWERED_BYTES (16 MiB). */
  maxUnansweredBytes?: number;
}

/**
 * Serves an AbciApplication to CometBFT over its socket protocol. Each connection answers in request
 * order; application calls from all connections go through one FIFO, one at a time.
 */
export class AbciServer {
  private readonly executor: SerialExecutor;
  private readonly connections = new Set<AbciConnection>();
  private server: Server | undefined;
  private boundAddress: string | undefined;
  private nextConnectionId = 1;

  constructor(
    private readonly app: AbciApplication,
    private readonly opts: AbciServerOptions,
  ) {
    // Fail here rather than when the first connection builds its decoder.
    if (opts.maxFrameBytes !== undefined) checkMaxFrameBytes(opts.maxFrameBytes);
    this.executor = new SerialExecutor((err) => opts.logger.error({ err }, "ABCI request job failed"));
  }

  /** The address actually bound, e.g. tcp://127.0.0.1:41234 after listening on port 0. */
  get address(): string {
    if (this.boundAddress === undefined) throw new Error("AbciServer is not listening");
    return this.boundAddress;
  }

  async listen(address: string): Promise<void> {
    if (this.server) throw new Error("AbciServer is already listening");
    const target = parseListenAddress(address);
    const server = createServer((socket) => this.accept(socket, target));
    this.server = server;
    try {
      if (target.kind === "unix") await removeStaleUnixSocket(target.path);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        const options = target.kind === "tcp" ? { host: target.host, port: target.port } : { path: target.path };
        server.listen(options, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (err) {
      this.server = undefined;
      throw err;
    }
    // Once listening, errors are accept failures (e.g. EMFILE); the server itself keeps going.
    server.on("error", (err) => this.opts.logger.error({ err }, "ABCI server error"));
    this.boundAddress = formatBoundAddress(target, server.address());
    this.opts.logger.info({ address: this.boundAddress }, "ABCI server listening");
  }

  /**
   * Stops listening and destroys open connections, dropping requests not yet handed to the app. Resolves
   * after a handler already running has finished, so the caller can then safely close the app's storage.
   */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.boundAddress = undefined;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const conn of this.connections) conn.destroy();
    await stopped;
    await this.executor.whenIdle();
    this.opts.logger.info("ABCI server closed");
  }

  private accept(socket: Socket, target: ListenTarget): void {
    const id = this.nextConnectionId++;
    if (target.kind === "tcp") socket.setNoDelay(true); // small request/response frames: Nagle only adds latency
    const peer = target.kind === "tcp" ? `${socket.remoteAddress}:${socket.remotePort}` : target.path;
    const conn = new AbciConnection(
      socket,
      { app: this.app, executor: this.executor, logger: this.opts.logger, maxFrameBytes: this.opts.maxFrameBytes, maxUnansweredBytes: this.opts.maxUnansweredBytes },
      `#${id} ${peer}`,
      (closed) => this.connections.delete(closed),
    );
    this.connections.add(conn);
  }
}
