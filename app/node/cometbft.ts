import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";

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

/** Where CometBFT's output goes: appended to a file by CometBFT itself, or handed line by line to an embedder. */
export type CometOutput = { file: string } | { onLine: (line: string) => void };

/** Runs `cometbft start` for a home as a child process; `exited` settles when it stops. */
export class CometProcess {
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  /** `pidFile` records the child's pid, so that the next start can stop a CometBFT this app's death left behind. */
  constructor(home: string, output: CometOutput, pidFile?: string) {
    if ("file" in output) {
      // The child writes through its own descriptor: its last lines reach the file even if the app dies first.
      const fd = openSync(output.file, "a", 0o600);
      try {
        this.child = spawn(cometbftBinary(), ["start", "--home", resolve(home)], { stdio: ["ignore", fd, fd] });
      } finally {
        closeSync(fd);
      }
    } else {
      this.child = spawn(cometbftBinary(), ["start", "--home", resolve(home)], { stdio: ["ignore", "pipe", "pipe"] });
      for (const stream of [this.child.stdout!, this.child.stderr!]) createInterface({ input: stream }).on("line", output.onLine);
    }
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    if (pidFile && this.child.pid !== undefined) {
      writeFileSync(pidFile, `${this.child.pid}\n`, { mode: 0o600 });
      void this.exited.then(() => rmSync(pidFile, { force: true }));
    }
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

/**
 * Linux: CometBFT stops itself when its app dies (it sends itself SIGTERM), but its shutdown can
 * hang, and a CometBFT left running holds the node's ports and databases. Before starting, stops
 * the one the pid file names if it is still running `cometbft start` for this home (SIGTERM, then
 * SIGKILL after `graceMs`). Returns its pid, or undefined when there was none.
 */
export async function stopStaleComet(home: string, pidFile: string, graceMs = 5_000): Promise<number | undefined> {
  const pid = Number(existsSync(pidFile) ? readFileSync(pidFile, "utf8").trim() : NaN);
  rmSync(pidFile, { force: true });
  if (!Number.isSafeInteger(pid) || pid <= 0 || !runsCometFor(pid, home)) return undefined;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // exited meanwhile
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (runsCometFor(pid, home)) {
    if (Date.now() > deadline) signal("SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return pid;
}

/** Whether `pid` is a live (not zombie) process running `cometbft start --home <home>`. */
function runsCometFor(pid: number, home: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return args.includes("start") && args[args.indexOf("--home") + 1] === resolve(home);
  } catch {
    return false; // no such process (or no /proc)
  }
}

export type ReindexResult =
  | { ok: true; from: number; to: number; output: string }
  | { ok: false; output: string };

/**
 * `cometbft reindex-event` from `fromHeight` to the top of the block store, with CometBFT stopped:
 * rebuilds the tx and block event index from the stored blocks and their FinalizeBlock results.
 * The command reports most failures on stdout with exit code 0, so its output decides.
 */
export function reindexEvents(home: string, fromHeight: number): ReindexResult {
  const run = (args: string[]) => {
    const res = spawnSync(cometbftBinary(), ["reindex-event", "--home", home, ...args], { encoding: "utf8", timeout: 600_000 });
    return `${res.stdout ?? ""}${res.stderr ?? ""}${res.error ? `\n${res.error.message}` : ""}`;
  };
  let output = run(["--start-height", String(fromHeight)]);
  // Below the block store's base (pruned, or a later initial height): start at the base instead.
  if (/height is not available \(requested start height: \d+, base height: \d+\)/.test(output)) output = run([]);
  const from = Number(/set the start block height to the base height of the blockstore (\d+)/.exec(output)?.[1] ?? fromHeight);
  const top = Number(/set the end block height to the latest height of the blockstore (\d+)/.exec(output)?.[1] ?? NaN);
  if (/event re-index finished/.test(output)) return { ok: true, from, to: top, output };
  // The top block was stored but CometBFT died before saving its results: the handshake re-executes
  // it through ApplyBlock, which publishes its events to the indexer; every height below was indexed.
  const missing = Number(/not able to load ABCI Response at height (\d+)/.exec(output)?.[1] ?? NaN);
  if (missing === top) return { ok: true, from, to: top - 1, output };
  return { ok: false, output };
}
