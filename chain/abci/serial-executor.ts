import { Fifo } from "./fifo";

export type Job = () => Promise<void>;

/**
 * Runs jobs one at a time in arrival order. All connections share one executor so application
 * handlers, which do async storage I/O, never interleave.
 */
export class SerialExecutor {
  private readonly jobs = new Fifo<Job>();
  private draining: Promise<void> | undefined;

  /** onJobError receives what a job throws; jobs are expected to handle their own errors. */
  constructor(private readonly onJobError: (err: unknown) => void) {}

  run(job: Job): void {
    this.jobs.push(job);
    // drain() awaits its first job before it can finish, so this assignment always precedes its reset.
    this.draining ??= this.drain();
  }

  /** Resolves once the queue is empty and no job is running. */
  whenIdle(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    try {
      for (let job = this.jobs.shift(); job !== undefined; job = this.jobs.shift()) {
        try {
          await job();
        } catch (err) {
          this.onJobError(err);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }
}
