import { createHash } from "node:crypto";
import type { Event } from "cosmjs-types/tendermint/abci/types";
import { TxMsgData } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { verifySignature, type Secp256k1Verifier } from "../crypto/secp256k1";
import type { Logger } from "../log";
import { branch } from "../store";
import type { MultiStore } from "../store/types";
import { decodeTx, txHash, type DecodedTx } from "../tx/decode";
import { errPanic, SdkError, sdkErrors } from "../tx/errors";
import type { MsgRegistry } from "../tx/registry";
import { AcceptedTxs, type AcceptedTx, type AcceptedTxLimits } from "./accepted-txs";
import type { BlockHeader, Context, ExecMode } from "./context";
import { EventManager } from "./events";
import { BasicGasMeter, gasMetered, InfiniteGasMeter, OutOfGasError, type GasMeter } from "./gas";
import type { MsgRouter } from "./router";

/**
 * Signature, sequence and fee checks that run before a tx's messages (the auth module's ante chain).
 * `signers` are the required signers in order: each message's, then the fee payer's, without repeats.
 * `verify` checks one signature (it may answer from what CheckTx already verified for this tx).
 * Its verdict may depend only on the state of the tx's signers (their accounts and balances), and
 * its writes to other state (fees credited to a module account) must not change any verdict: so
 * the ante chains of txs with no signer in common give the same verdicts in either order.
 * PrepareProposal relies on this (TxRunner.inCheckStateOrder).
 */
export type AnteHandler = (ctx: Context, tx: DecodedTx, signers: readonly string[], verify: Secp256k1Verifier) => Promise<void>;

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
 * Enough for a full mempool (pegzone's config.toml holds 10,000 txs) and the blocks in flight; the
 * bytes cap the decoded objects of large txs.
 */
const ACCEPTED_TX_LIMITS: AcceptedTxLimits = { maxEntries: 20_000, maxBytes: 64 * 1024 * 1024 };

/** The map slot, hash key, entry object and signature set of an accepted tx (estimated). */
const ENTRY_BYTES = 512;
/** One remembered signature key: a 44-character string in a Set. */
const KEY_BYTES = 160;

/**
 * Runs one tx the way the SDK's BaseApp.runTx does: decode, stateless checks, the ante chain on its
 * own branch (kept even when a message fails, so fees and sequences are charged), then, in blocks
 * and simulations, the messages on a second branch that is written only if all of them succeed.
 */
export class TxRunner {
  private readonly accepted = new AcceptedTxs(ACCEPTED_TX_LIMITS);
  /** The check state in use (one per Commit) and how many txs CheckTx and RECHECK applied to it. */
  private checkState = { generation: 0, applied: 0 };

  constructor(
    private readonly router: MsgRouter,
    private readonly ante: AnteHandler,
    private readonly logger: Logger,
  ) {}

  /** Txs CheckTx accepted that no block has executed yet (their count and estimated bytes). */
  get acceptedTxs(): { size: number; bytes: number } {
    return { size: this.accepted.size, bytes: this.accepted.bytes };
  }

  /** CheckTx and RECHECK now run on a fresh check state (after a Commit, InitChain or a restore). */
  newCheckState(): void {
    this.checkState = { generation: this.checkState.generation + 1, applied: 0 };
  }

  /**
   * `txs` decoded, if they are exactly the first txs the current check state applied, in the order it
   * applied them except that txs with no signer in common may trade places. The ante chain then
   * gives each of them, run in this order over the last committed state, the verdict it already
   * gave: the check state is that state with these txs applied in its order (a recheck after each
   * Commit rebuilds it from the mempool, in order), and the ante chains of txs that share no signer
   * commute (AnteHandler). The same holds for any prefix of `txs`. CometBFT's mempool mostly keeps
   * the check state's order, but two CheckTx answers that arrive together can land swapped.
   * Undefined otherwise.
   */
  inCheckStateOrder(txs: readonly Uint8Array[]): DecodedTx[] | undefined {
    const decoded: DecodedTx[] = [];
    const seen = new Uint8Array(txs.length);
    const lastPositionOf = new Map<string, number>();
    for (const tx of txs) {
      const entry = this.accepted.get(txHash(tx));
      const checked = entry?.checked;
      if (entry === undefined || checked === undefined || checked.generation !== this.checkState.generation) return undefined;
      const position = checked.position;
      if (position >= txs.length || seen[position] === 1) return undefined;
      seen[position] = 1;
      for (const signer of this.signersOf(entry.tx)) {
        if ((lastPositionOf.get(signer) ?? -1) > position) return undefined;
        lastPositionOf.set(signer, position);
      }
      decoded.push(entry.tx);
    }
    return decoded;
  }

  /**
   * decodeTx, or the tx as CheckTx accepted it. Throws ErrTxDecode like decodeTx. Every decoded tx
   * is frozen, remembered or not, so that code changing one fails alike on a node that met the tx
   * in its mempool and on one that decodes it first in FinalizeBlock.
   */
  decode(txBytes: Uint8Array): DecodedTx {
    return this.accepted.get(txHash(txBytes))?.tx ?? decodeMeasured(txBytes, this.router.registry).tx;
  }

  async run(mode: ExecMode, header: BlockHeader, state: MultiStore, txBytes: Uint8Array): Promise<TxResult> {
    const hash = txHash(txBytes);
    const known = this.accepted.get(hash);
    let decoded: { tx: DecodedTx; bytes: number };
    try {
      decoded = known ?? decodeMeasured(txBytes, this.router.registry);
    } catch (err) {
      return this.failure(err, 0n, new InfiniteGasMeter(), []);
    }
    // CheckTx records the signatures it verifies, kept with the tx if it is accepted.
    const recorded = mode === "check" && known === undefined ? new Set<string>() : undefined;
    const result = await this.execute(mode, header, state, decoded.tx, this.verifier(known?.verified ?? recorded, recorded));
    const checkedNow = (mode === "check" || mode === "recheck") && result.code === 0 ? this.appliedToCheckState() : undefined;
    if (recorded !== undefined && checkedNow !== undefined) {
      this.accepted.add(hash, { tx: decoded.tx, verified: recorded, bytes: decoded.bytes + ENTRY_BYTES + recorded.size * KEY_BYTES, checked: checkedNow });
    } else if (known !== undefined && checkedNow !== undefined) {
      known.checked = checkedNow;
    } else if (mode === "finalize" || (result.code !== 0 && (mode === "check" || mode === "recheck"))) {
      // Executed in a block, or refused (CometBFT then drops it from its mempool): not met again.
      this.accepted.delete(hash);
    }
    return result;
  }

  /** The required signers in order: each message's, then the fee payer's, without repeats. */
  private signersOf(tx: DecodedTx): string[] {
    const msgs = tx.messages.map((m) => ({ msg: m.msg, handler: this.router.handler(m.typeUrl) }));
    return [...new Set([...msgs.flatMap((m) => m.handler.signers(m.msg)), ...(tx.fee.payer ? [tx.fee.payer] : [])])];
  }

  private appliedToCheckState(): AcceptedTx["checked"] {
    return { generation: this.checkState.generation, position: this.checkState.applied++ };
  }

  private async execute(mode: ExecMode, header: BlockHeader, state: MultiStore, tx: DecodedTx, verify: Secp256k1Verifier): Promise<TxResult> {
    const gasWanted = tx.fee.gasLimit;
    let meter: GasMeter = new InfiniteGasMeter();
    const anteEvents = new EventManager();
    try {
      if (tx.messages.length === 0) throw sdkErrors.ErrInvalidRequest.wrap("must contain at least one message");
      const msgs = tx.messages.map((m) => ({ typeUrl: m.typeUrl, msg: m.msg, handler: this.router.handler(m.typeUrl) }));
      for (const m of msgs) m.handler.validate(m.msg);

      // The SDK meters simulations without a limit so that CosmJS can estimate gas from gas_used.
      meter = mode === "simulate" ? new InfiniteGasMeter() : new BasicGasMeter(gasWanted);
      const anteBranch = branch(state);
      await this.ante(this.context(mode, header, anteBranch, meter, anteEvents), tx, this.signersOf(tx), verify);
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
      return this.failure(err, gasWanted, meter, anteEvents.events);
    }
  }

  private failure(err: unknown, gasWanted: bigint, meter: GasMeter, events: Event[]): TxResult {
    const e = toSdkError(err, this.logger);
    const gasUsed = meter.limit !== undefined && meter.consumed > meter.limit ? meter.limit : meter.consumed;
    return { code: e.code, codespace: e.codespace, log: e.message, data: new Uint8Array(), gasWanted, gasUsed, events };
  }

  /**
   * The ante chain's signature check: answers from `known` (what CheckTx verified for this tx), and
   * adds to `record` what verifies. A memo of a pure function, keyed by exactly what is verified
   * (sha256 of the message, key and signature), so results are the same with or without it.
   */
  private verifier(known: ReadonlySet<string> | undefined, record: Set<string> | undefined): Secp256k1Verifier {
    if (known === undefined) return verifySignature;
    return (pubkey33, signature64, message) => {
      const key = createHash("sha256").update(message).update(pubkey33).update(signature64).digest("base64");
      if (known.has(key)) return true;
      const ok = verifySignature(pubkey33, signature64, message);
      if (ok) record?.add(key);
      return ok;
    };
  }

  private context(mode: ExecMode, header: BlockHeader, state: MultiStore, gasMeter: GasMeter, events: EventManager): Context {
    return { mode, header, store: gasMetered(state, gasMeter), gasMeter, events, logger: this.logger };
  }
}

/** decodeTx, frozen, with an estimate of the memory the decoded tx holds. */
function decodeMeasured(txBytes: Uint8Array, registry: MsgRegistry): { tx: DecodedTx; bytes: number } {
  const tx = decodeTx(txBytes, registry);
  return { tx, bytes: freezeAndMeasure(tx, new Set()) };
}

/**
 * Freezes an object graph (typed arrays cannot be frozen and are left as they are) and estimates
 * its memory: V8's object, string and bigint sizes rounded up, and each buffer a typed array keeps
 * alive, counted once.
 */
function freezeAndMeasure(value: unknown, buffers: Set<ArrayBufferLike>): number {
  if (typeof value === "string") return 24 + 2 * value.length;
  if (typeof value === "bigint") return 32;
  if (typeof value !== "object" || value === null) return 0;
  if (ArrayBuffer.isView(value)) {
    if (buffers.has(value.buffer)) return 160;
    buffers.add(value.buffer);
    return 160 + 64 + value.buffer.byteLength;
  }
  if (Object.isFrozen(value)) return 0;
  Object.freeze(value);
  let bytes = 48;
  for (const child of Object.values(value)) bytes += 24 + freezeAndMeasure(child, buffers);
  return bytes;
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
