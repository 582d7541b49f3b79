/**
 * One queue for everything that touches the application: the ABCI server's requests and the REST
 * server's queries. The ABCI server already runs its requests one at a time, so that the app never
 * sees two interleave; REST queries go through the app's own ABCI Query handler (the very code
 * `abci_query` runs) and must wait their turn in the same queue rather than run beside a Commit.
 */
import type { AbciApplication } from "../../../chain/abci/application";

export class AppGate {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `job` after every job given before it has settled. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job, job);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Settles once every job given so far has settled. */
  async idle(): Promise<void> {
    let tail: Promise<unknown>;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }
}

/** Every AbciApplication method. */
export const ABCI_METHODS = [
  "info", "initChain", "query", "checkTx", "prepareProposal", "processProposal", "finalizeBlock", "commit",
  "extendVote", "verifyVoteExtension", "listSnapshots", "offerSnapshot", "loadSnapshotChunk", "applySnapshotChunk",
] as const satisfies ReadonlyArray<keyof AbciApplication>;

/** `app` with each ABCI call taken through `gate`. */
export function gated(app: AbciApplication, gate: AppGate): AbciApplication {
  const out: Partial<Record<keyof AbciApplication, (req: never) => Promise<unknown>>> = {};
  for (const name of ABCI_METHODS) {
    const method = app[name].bind(app) as (req: never) => Promise<unknown>;
    out[name] = (req) => gate.run(() => method(req));
  }
  return out as unknown as AbciApplication;
}

/** Fails to compile when AbciApplication gains a method the list above does not gate. */
type Ungated = Exclude<keyof AbciApplication, (typeof ABCI_METHODS)[number]>;
export const EVERY_ABCI_METHOD_GATED: [Ungated] extends [never] ? true : never = true;
