/** The daemons' loop (relayer and signer): a round every `pollMs` until aborted, a failed round logged and retried. */
import type { Logger } from "../chain/log";

export async function runRounds(round: () => Promise<void>, o: { pollMs: number; signal: AbortSignal; logger: Logger; name: string }): Promise<void> {
  while (!o.signal.aborted) {
    try {
      await round();
    } catch (err) {
      o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, `${o.name} round failed; retrying`);
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
