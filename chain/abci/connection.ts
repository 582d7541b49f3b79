import type { Socket } from "node:net";
import type { Request, Response } from "cosmjs-types/tendermint/abci/types";
import type { Logger } from "../log";
import type { AbciApplication } from "./application";
import { callApplication } from "./dispatch";
import { Fifo } from "./fifo";
import { encodeResponse, FrameDecoder, type FrameError, messageOf, parseRequest, requestKind } from "./framing";
import type { SerialExecutor } from "./serial-executor";

/** How long a connection we ended may linger before we stop waiting for the peer to close it. */
const LINGER_MS = 5_000;

/**
 * Request bytes a connection may hold read but not yet answered; beyond them it stops reading
 * until the app catches up, so the peer waits instead of a flood of large txs (CometBFT pipelines
 * CheckTx) piling up in the app's memory. One frame beyond it is always accepted.
 */
export const DEFAULT_MAX_UNANSWERED_BYTES = 16 * 1024 * 1024;

export interface ConnectionContext {
  app: AbciApplication;
  executor: SerialExecutor;
  logger: Logger;
  maxFrameBytes?: number;
  /** Defaults to DEFAULT_MAX_UNANSWERED_BYTES. */
  maxUnansweredBytes?: number;
}

/** A response owed to the peer; frames are written strictly in slot order. */
interface Slot {
  frame?: Uint8Array;
  /** An exception ends the connection after it is written, as CometBFT's own socket server does. */
  isException?: boolean;
}

/**
 * open: reading requests. draining: input rejected, still answering the requests before the error.
 * ending: last response written, waiting for the peer to close. closed: socket gone.
 */
type State = "open" | "draining" | "ending" | "closed";

/** One of CometBFT's four ABCI connections; all are handled alike. */
export class AbciConnection {
  private readonly decoder: FrameDecoder<{ req: Request; bytes: number }>;
  private readonly slots = new Fifo<Slot>();
  private outbox: Uint8Array[] = [];
  private writeScheduled = false;
  private waitingForDrain = false;
  /** Bytes of the requests handed to the app and not answered yet. */
  private unanswered = 0;
  private reading = true;
  private state: State = "open";
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
    readonly label: string,
    onClosed: (conn: AbciConnection) => void,
  ) {
    this.decoder = new FrameDecoder((frame) => ({ req: parseRequest(frame), bytes: frame.length }), ctx.maxFrameBytes);
    this.log = ctx.logger.child({ conn: label });
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (this.state !== "closed") this.log.warn({ code: err.code, reason: err.message }, "ABCI connection error");
    });
    socket.on("close", () => {
      this.dropPending();
      this.log.info("ABCI connection closed");
      onClosed(this);
    });
    this.log.info("ABCI connection opened");
  }

  /** Closes at once, dropping unanswered requests; a running app call finishes but its answer is discarded. */
  destroy(): void {
    this.dropPending();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.state !== "open") return;
    const { messages, error } = this.decoder.push(chunk);
    for (const { req, bytes } of messages) this.accept(req, bytes);
    if (error) this.reject(error);
  }

  private accept(req: Request, bytes: number): void {
    if (req.echo) {
      this.answerNow({ echo: { message: req.echo.message } });
    } else if (req.flush) {
      // Slots keep order, so this goes out only after every earlier response on this connection.
      this.answerNow({ flush: {} });
    } else {
      const slot: Slot = {};
      this.slots.push(slot);
      this.unanswered += bytes;
      this.updateReading();
      this.ctx.executor.run(() => this.answerFromApp(slot, req, bytes));
    }
  }

  private answerNow(res: Response, isException = false): void {
    this.slots.push({ frame: encodeResponse(res), isException });
    this.writeReady();
  }

  private async answerFromApp(slot: Slot, req: Request, bytes: number): Promise<void> {
    // Requests queued behind a close or an earlier exception are never shown to the app.
    if (this.state !== "ending" && this.state !== "closed") {
      try {
        // Encoding sits inside the try: a malformed app response is as much an app failure as a throw.
        slot.frame = encodeResponse(await callApplication(this.ctx.app, req));
      } catch (err) {
        const kind = requestKind(req);
        this.log.error({ request: kind, err }, `ABCI ${kind} handler failed; answering with an exception`);
        slot.frame = encodeResponse({ exception: { error: messageOf(err) } });
        slot.isException = true;
      }
    }
    this.unanswered -= bytes;
    this.updateReading();
    this.writeReady();
  }

  private reject(error: FrameError): void {
    // The child logger's conn field names the peer (its address, or the socket path and a number).
    if (error.kind === "invalid-request") {
      // The stream is still in sync, so tell CometBFT why, as its own server answers unknown requests.
      this.log.warn({ reason: error.message }, `closing ABCI connection: ${error.message}`);
      this.state = "draining";
      this.answerNow({ exception: { error: error.message } }, true);
      return;
    }
    this.log.warn({ reason: error.message }, `closing ABCI connection after malformed input: ${error.message}`);
    this.destroy();
  }

  /** Moves finished responses from the head of the slot queue to the outbox, in order. */
  private writeReady(): void {
    if (this.state === "ending" || this.state === "closed") return;
    for (let head = this.slots.peek(); head?.frame !== undefined; head = this.slots.peek()) {
      this.slots.shift();
      this.outbox.push(head.frame);
      if (head.isException) {
        this.state = "ending";
        this.slots.clear();
        break;
      }
    }
    if (this.outbox.length > 0 && !this.writeScheduled) {
      // Deferred to the next tick so responses finished in the same turn share one writev.
      this.writeScheduled = true;
      process.nextTick(() => this.flushOutbox());
    }
  }

  private flushOutbox(): void {
    this.writeScheduled = false;
    const frames = this.outbox;
    this.outbox = [];
    if (this.state === "closed" || !this.socket.writable) return;
    let belowHighWater = true;
    this.socket.cork();
    for (const frame of frames) belowHighWater = this.socket.write(frame);
    this.socket.uncork();
    if (this.state === "ending") {
      this.endGracefully();
    } else if (!belowHighWater && !this.waitingForDrain) {
      // The peer is not reading its responses: stop reading its requests until it catches up.
      this.waitingForDrain = true;
      this.updateReading();
      this.socket.once("drain", () => {
        this.waitingForDrain = false;
        this.updateReading();
      });
    }
  }

  /** Reads while the peer reads its responses and the app keeps up with its requests. */
  private updateReading(): void {
    if (this.state === "ending" || this.state === "closed") return;
    const read = !this.waitingForDrain && this.unanswered <= (this.ctx.maxUnansweredBytes ?? DEFAULT_MAX_UNANSWERED_BYTES);
    if (read === this.reading) return;
    this.reading = read;
    if (read) this.socket.resume();
    else this.socket.pause();
  }

  /**
   * Half-closes after the last response and keeps reading (discarding) until the peer closes, because
   * closing with unread input makes the kernel send RST, which can discard the response in flight.
   */
  private endGracefully(): void {
    this.socket.end();
    this.socket.resume();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), LINGER_MS);
    this.lingerTimer.unref();
  }

  private dropPending(): void {
    this.state = "closed";
    this.slots.clear();
    this.outbox = [];
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
  }
}
