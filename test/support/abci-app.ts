import * as abci from "cosmjs-types/tendermint/abci/types";
import pino from "pino";
import type { Logger } from "../../chain/log";
import type { AbciApplication } from "../../chain/abci/application";

/**
 * A small real application for server tests: it records when each call starts and ends, can be told
 * to take a while per transaction, and fails on transactions starting with "fail".
 * CheckTx answers with log = the tx text, so responses can be matched to requests.
 */
export class RecordingApp implements AbciApplication {
  readonly events: string[] = [];
  /** Milliseconds CheckTx takes for a given tx text. */
  delayFor: (tx: string) => number = () => 0;
  private inFlight = 0;
  maxInFlight = 0;

  private async record<T>(label: string, delayMs: number, produce: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.events.push(`start ${label}`);
    try {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      else await Promise.resolve();
      return produce();
    } finally {
      this.events.push(`end ${label}`);
      this.inFlight--;
    }
  }

  checkTx(req: abci.RequestCheckTx): Promise<abci.ResponseCheckTx> {
    const tx = Buffer.from(req.tx).toString();
    return this.record(`checkTx ${tx}`, this.delayFor(tx), () => {
      if (tx.startsWith("fail")) throw new Error(`app refused ${tx}`);
      return abci.ResponseCheckTx.fromPartial({ code: 0, log: tx });
    });
  }

  info(req: abci.RequestInfo): Promise<abci.ResponseInfo> {
    return this.record("info", 0, () => abci.ResponseInfo.fromPartial({ data: `info for ${req.version}` }));
  }

  query(req: abci.RequestQuery): Promise<abci.ResponseQuery> {
    return this.record("query", 0, () => abci.ResponseQuery.fromPartial({ value: req.data }));
  }

  initChain(): Promise<abci.ResponseInitChain> {
    return this.record("initChain", 0, () => abci.ResponseInitChain.fromPartial({}));
  }
  prepareProposal(req: abci.RequestPrepareProposal): Promise<abci.ResponsePrepareProposal> {
    return this.record("prepareProposal", 0, () => abci.ResponsePrepareProposal.fromPartial({ txs: req.txs }));
  }
  processProposal(): Promise<abci.ResponseProcessProposal> {
    return this.record("processProposal", 0, () =>
      abci.ResponseProcessProposal.fromPartial({ status: abci.ResponseProcessProposal_ProposalStatus.ACCEPT }),
    );
  }
  finalizeBlock(req: abci.RequestFinalizeBlock): Promise<abci.ResponseFinalizeBlock> {
    return this.record("finalizeBlock", 0, () =>
      abci.ResponseFinalizeBlock.fromPartial({ txResults: req.txs.map(() => ({ code: 0 })), appHash: new Uint8Array(32) }),
    );
  }
  commit(): Promise<abci.ResponseCommit> {
    return this.record("commit", 0, () => abci.ResponseCommit.fromPartial({}));
  }
  extendVote(): Promise<abci.ResponseExtendVote> {
    return this.record("extendVote", 0, () => abci.ResponseExtendVote.fromPartial({}));
  }
  verifyVoteExtension(): Promise<abci.ResponseVerifyVoteExtension> {
    return this.record("verifyVoteExtension", 0, () =>
      abci.ResponseVerifyVoteExtension.fromPartial({ status: abci.ResponseVerifyVoteExtension_VerifyStatus.ACCEPT }),
    );
  }
  listSnapshots(): Promise<abci.ResponseListSnapshots> {
    return this.record("listSnapshots", 0, () => abci.ResponseListSnapshots.fromPartial({}));
  }
  offerSnapshot(): Promise<abci.ResponseOfferSnapshot> {
    return this.record("offerSnapshot", 0, () => abci.ResponseOfferSnapshot.fromPartial({}));
  }
  loadSnapshotChunk(): Promise<abci.ResponseLoadSnapshotChunk> {
    return this.record("loadSnapshotChunk", 0, () => abci.ResponseLoadSnapshotChunk.fromPartial({}));
  }
  applySnapshotChunk(): Promise<abci.ResponseApplySnapshotChunk> {
    return this.record("applySnapshotChunk", 0, () => abci.ResponseApplySnapshotChunk.fromPartial({}));
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A real pino logger whose JSON lines are kept in memory so tests can check what was reported. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

export const checkTx = (tx: string): abci.Request => ({ checkTx: abci.RequestCheckTx.fromPartial({ tx: Buffer.from(tx) }) });
export const echo = (message: string): abci.Request => ({ echo: { message } });
export const flush = (): abci.Request => ({ flush: {} });

/** The log text CheckTx answered with, or a description of whatever other response arrived. */
export function summarize(res: abci.Response): string {
  if (res.checkTx) return `checkTx ${res.checkTx.log}`;
  if (res.echo) return `echo ${res.echo.message}`;
  if (res.flush) return "flush";
  if (res.exception) return `exception ${res.exception.error}`;
  return `other ${Object.keys(res).join(",")}`;
}
