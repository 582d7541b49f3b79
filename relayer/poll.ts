/** The daemons' loop (relayer and signer): a round every `pollMs` until aborted, a failed round logged and retried. */
import type { Logger } from "../chain/log";

export interface RoundsOptions {
  pollMs: number;
  signal: AbortSignal;
  logger: Logger;
  name: string;
  /** After each round, with whether it ended without error (e.g. metrics); its own failure is logged and ignored. */
  onRoundEnd?: (result: "ok" | "error") => Promise<void> | void;
}

export async function runRounds(round: () => Promise<void>, o: RoundsOptions): Promise<void> {
  while (!o.signal.aborted) {
    let result: "ok" | "error" = "ok";
    try {
      await round();
    } catch (err) {
      result = "error";
      o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, `${o.name} round failed; retrying`);
    }
    try {
      await o.onRoundEnd?.(result);
    } catch (err) {
      o.logger.debug({ err: err instanceof Error ? err.message : String(err) }, `${o.name} round: cannot update the metrics`);
    }
    await sleep(o.pollMs, o.signal);
  }
}

/** Waits `ms`, or less if `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
