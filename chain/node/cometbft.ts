import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { Logger } from "../log";

/** The repository root: the nearest folder above this file holding pegzone's package.json. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "scripts", "install-deps.sh"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the pegzone repository root");
    dir = up;
  }
  return dir;
}

/** The pinned CometBFT that `npm run deps` installs; COMETBFT_BIN overrides it. */
export function cometbftBinary(): string {
  if (process.env.COMETBFT_BIN) return process.env.COMETBFT_BIN;
  const pinned = join(repoRoot(), ".bin", "cometbft");
  if (existsSync(pinned)) return pinned;
  throw new Error(`CometBFT is not installed: run 'npm run deps' (expected ${pinned})`);
}

/**
 * Runs `cometbft start` for a home as a child process. Its log lines go to `onLine` (or to the
 * given logger at debug level); `exited` settles when it stops.
 */
export class CometProcess {
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(home: string, logger: Logger, onLine?: (line: string) => void) {
    this.child = spawn(cometbftBinary(), ["start", "--home", home], { stdio: ["ignore", "pipe", "pipe"] });
    const forward = onLine ?? ((line: string) => logger.debug({ module: "cometbft" }, line));
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on("line", forward);
    }
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM, then SIGKILL if CometBFT has not stopped within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
