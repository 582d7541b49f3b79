import type { Event } from "cosmjs-types/tendermint/abci/types";
import { TxMsgData } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import type { Any } from "cosmjs-types/google/protobuf/any";
import type { Logger } from "../log";
import { branch } from "../store";
import type { MultiStore } from "../store/types";
import { decodeTx, txHash, type DecodedTx } from "../tx/decode";
import { errPanic, SdkError, sdkErrors } from "../tx/errors";
import type { BlockHeader, Context, ExecMode } from "./context";
import { EventManager } from "./events";
import { BasicGasMeter, gasMetered, InfiniteGasMeter, OutOfGasError, type GasMeter } from "./gas";
import type { MsgRouter } from "./router";

/**
 * Signature, sequence and fee checks that run before a tx's messages (the auth module's ante chain).
 * `signers` are the required signers in order: each message's, then the fee payer's, without repeats.
 */
export type AnteHandler = (ctx: Context, tx: DecodedTx, signers: readonly string[]) => Promise<void>;

export interface TxResult {
  code: number;
  codespace: string;
  log: string;
  data: Uint8Array;
  gasWanted: bigint;
  gasUsed: bigint;
  events: Event[];
}

/**
 * Runs one tx the way the SDK's BaseApp.runTx does: decode, stateless checks, the ante chain on its
 * own branch (kept even when a message fails, so fees and sequences are charged), then, in blocks
 * and simulations, the messages on a second branch that is written only if all of them succeed.
 */
export class TxRunner {
  /**
   * Txs decoded lately, by hash: a tx is met in CheckTx, every recheck, PrepareProposal,
   * ProcessProposal and FinalizeBlock, and decoding it is the same pure function each time.
   * Decoded txs are never modified; only successful decodes are kept; the oldest go first.
   */
  private readonly decoded = new Map<string, DecodedTx>();

  constructor(
    private readonly router: MsgRouter,
    private readonly ante: AnteHandler,
    private readonly logger: Logger,
    private readonly decodeCacheSize = 20_000,
  ) {}

  /**
   * decodeTx, remembered by tx hash. Throws ErrTxDecode like decodeTx. Every decoded tx is frozen,
   * remembered or not, so that code changing one fails alike on a node that met the tx in its
   * mempool and on one that decodes it first in FinalizeBlock.
   */
  decode(txBytes: Uint8Array): DecodedTx {
    const hash = txHash(txBytes);
    const known = this.decoded.get(hash);
    if (known !== undefined) return known;
    const tx = deepFreeze(decodeTx(txBytes, this.router.registry));
    this.decoded.set(hash, tx);
    if (this.decoded.size > this.decodeCacheSize) this.decoded.delete(this.decoded.keys().next().value!);
    return tx;
  }

  async run(mode: ExecMode, header: BlockHeader, state: MultiStore, txBytes: Uint8Array): Promise<TxResult> {
    let gasWanted = 0n;
    let meter: GasMeter = new InfiniteGasMeter();
    const anteEvents = new EventManager();
    try {
      const tx = this.decode(txBytes);
      gasWanted = tx.fee.gasLimit;
      if (tx.messages.length === 0) throw sdkErrors.ErrInvalidRequest.wrap("must contain at least one message");
      const msgs = tx.messages.map((m) => ({ typeUrl: m.typeUrl, msg: m.msg, handler: this.router.handler(m.typeUrl) }));
      for (const m of msgs) m.handler.validate(m.msg);

      // The SDK meters simulations without a limit so that CosmJS can estimate gas from gas_used.
      meter = mode === "simulate" ? new InfiniteGasMeter() : new BasicGasMeter(gasWanted);
      const anteBranch = branch(state);
      const signers = [...new Set([...msgs.flatMap((m) => m.handler.signers(m.msg)), ...(tx.fee.payer ? [tx.fee.payer] : [])])];
      await this.ante(this.context(mode, header, anteBranch, meter, anteEvents), tx, signers);
      anteBranch.write();
      // As in the SDK, the mempool and proposal checks stop after the ante chain; messages run in blocks and simulations.
      if (mode !== "finalize" && mode !== "simulate") {
        return { code: 0, codespace: "", log: "", data: new Uint8Array(), gasWanted, gasUsed: meter.consumed, events: anteEvents.events };
      }

      const msgEvents = new EventManager();
      const msgBranch = branch(state);
      const ctx = this.context(mode, header, msgBranch, meter, msgEvents);
      const responses: Any[] = [];
      for (const [index, m] of msgs.entries()) {
        const before = msgEvents.events.length;
        msgEvents.emit("message", [["action", m.typeUrl], ["sender", m.handler.signers(m.msg)[0] ?? ""], ["module", moduleOf(m.typeUrl)]]);
        responses.push(await m.handler.handle(ctx, m.msg));
        // As the SDK does, tag every event a message caused with its position in the tx.
        for (const e of msgEvents.events.slice(before)) e.attributes.push({ key: "msg_index", value: String(index), index: true });
      }
      msgBranch.write();
      return {
        code: 0,
        codespace: "",
        log: "",
        data: TxMsgData.encode({ data: [], msgResponses: responses }).finish(),
        gasWanted,
        gasUsed: meter.consumed,
        events: [...anteEvents.events, ...msgEvents.events],
      };
    } catch (err) {
      const e = toSdkError(err, this.logger);
      const gasUsed = meter.limit !== undefined && meter.consumed > meter.limit ? meter.limit : meter.consumed;
      return { code: e.code, codespace: e.codespace, log: e.message, data: new Uint8Array(), gasWanted, gasUsed, events: anteEvents.events };
    }
  }

  private context(mode: ExecMode, header: BlockHeader, state: MultiStore, gasMeter: GasMeter, events: EventManager): Context {
    return { mode, header, store: gasMetered(state, gasMeter), gasMeter, events, logger: this.logger };
  }
}

/** Freezes an object graph (typed arrays cannot be frozen and are left as they are). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
  return value;
}

/** "/cosmos.bank.v1beta1.MsgSend" → "bank": the package segment before the version. */
function moduleOf(typeUrl: string): string {
  const parts = typeUrl.replace(/^\//, "").split(".");
  const version = parts.findIndex((p) => /^v\d/.test(p));
  return version > 0 ? parts[version - 1] : parts[0];
}

/** Any failure becomes an SDK error; an unexpected one is logged and reported as an internal error. */
export function toSdkError(err: unknown, logger: Logger): SdkError {
  if (err instanceof SdkError) return err;
  if (err instanceof OutOfGasError) return sdkErrors.ErrOutOfGas.wrap(err.message);
  logger.error({ err }, "unexpected error in the state machine");
  return errPanic.wrap(err instanceof Error ? err.message : String(err));
}
