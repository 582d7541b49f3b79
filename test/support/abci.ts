import { AbciServer } from "../../chain/abci/server";
import { capturingLogger, type LogLine, RecordingApp } from "./abci-app";
import { AbciTestClient } from "./abci-client";

/** A server on a real socket with a RecordingApp, and the clients opened against it, torn down together. */
export class ServerFixture {
  readonly app = new RecordingApp();
  readonly lines: LogLine[];
  readonly server: AbciServer;
  private readonly clients: AbciTestClient[] = [];

  constructor(opts: { maxFrameBytes?: number; maxUnansweredBytes?: number } = {}) {
    const { logger, lines } = capturingLogger();
    this.lines = lines;
    this.server = new AbciServer(this.app, { logger, maxFrameBytes: opts.maxFrameBytes, maxUnansweredBytes: opts.maxUnansweredBytes });
  }

  static async start(opts: { maxFrameBytes?: number; maxUnansweredBytes?: number; address?: string } = {}): Promise<ServerFixture> {
    const fixture = new ServerFixture(opts);
    await fixture.server.listen(opts.address ?? "tcp://127.0.0.1:0");
    return fixture;
  }

  async connect(): Promise<AbciTestClient> {
    const client = await AbciTestClient.connect(this.server.address);
    this.clients.push(client);
    return client;
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.destroy();
    await this.server.close();
  }
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects if the promise has not settled in time, so a missing response fails fast with a reason. */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
