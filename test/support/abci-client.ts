import { connect, type Socket } from "node:net";
import type { Request, Response } from "cosmjs-types/tendermint/abci/types";
import { parseListenAddress } from "../../chain/abci/address";
import { createResponseDecoder, encodeRequest, type FrameDecoder } from "../../chain/abci/framing";

/**
 * A bare pipelining ABCI client over a real socket, for tests and manual checks: it writes request
 * frames as told and hands back responses in arrival order, without CometBFT's request bookkeeping.
 */
export class AbciTestClient {
  private readonly decoder: FrameDecoder<Response> = createResponseDecoder();
  private readonly received: Response[] = [];
  private readonly waiters: { resolve: (res: Response) => void; reject: (err: Error) => void }[] = [];
  private failure: Error | undefined;
  /** Resolves when the server (or this client) has closed the connection. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      const { messages, error } = this.decoder.push(chunk);
      for (const res of messages) this.deliver(res);
      if (error) this.fail(error);
    });
    socket.on("error", (err) => this.fail(err));
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.fail(new Error("connection closed"));
        resolve();
      }),
    );
  }

  static connect(address: string): Promise<AbciTestClient> {
    const target = parseListenAddress(address);
    const options = target.kind === "tcp" ? { host: target.host ?? "127.0.0.1", port: target.port } : { path: target.path };
    return new Promise((resolve, reject) => {
      const socket = connect(options, () => {
        socket.off("error", reject);
        resolve(new AbciTestClient(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Writes all requests in one write. */
  send(...requests: Request[]): void {
    this.socket.write(Buffer.concat(requests.map(encodeRequest)));
  }

  writeRaw(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  next(): Promise<Response> {
    const res = this.received.shift();
    if (res) return Promise.resolve(res);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async nextN(count: number): Promise<Response[]> {
    const out: Response[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next());
    return out;
  }

  async request(req: Request): Promise<Response> {
    this.send(req);
    return this.next();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private deliver(res: Response): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(res);
    else this.received.push(res);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure);
  }
}
