import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { portsFrom, type Ports } from "../../app/node/home";
import { cometAddress } from "../../chain/keys/key-files";

/** End-to-end tests drive the built CLI (`npm test` builds first), real CometBFT and real sockets. */
export const ROOT = resolve(__dirname, "..", "..");
export const CLI = join(ROOT, "dist", "app", "cli", "main.js");
export const COMETBFT = join(ROOT, ".bin", "cometbft");

/**
 * Ports for end-to-end tests: none is fixed. A test takes a block of ports that are free right now, so
 * that two clones (or jest workers) can run `npm test` at once, also beside a devnet from `npm start`.
 *
 * Range: PEGZONE_TEST_PORTS=lo-hi, default 10000-25999, below Linux's ephemeral range (32768-60999,
 * the kernel's source ports for outgoing connections) and Kubernetes' NodePorts (30000-32767). A block
 * never touches 18300-18600 (btcd's and bitcoind's regtest/testnet defaults: 18332-18334, 18444,
 * 18555-18556) nor 26000-26700 (CometBFT's defaults 26656-26660), even in a range from the variable.
 *
 * A block starts at a random multiple of 10 in the range, and is ours when (1) this process created,
 * exclusively, a lock file for each of its ports in the temporary folder (pegzone-port-<port>.lock,
 * holding our pid), which keeps other test processes off the block until CometBFT or btcd listen on
 * it, and (2) each port can be bound on 127.0.0.1 right now (and is closed again). Otherwise another
 * random block is tried. The locks go after the test file (a root-level afterAll, below); a lock whose
 * process died (a killed jest worker) is removed by the next test process that meets it.
 */
const DEFAULT_TEST_PORTS = "10000-25999";
const AVOIDED_PORTS: ReadonlyArray<readonly [number, number]> = [[18300, 18600], [26000, 26700]];
/** The lock files this test file holds (each test file has its own instance of this module). */
const heldPortLocks = new Set<string>();

/** Returns B such that ports B..B+size-1 are free and locked for this test file (a testnet of V validators needs 10·V). */
export async function freePortBlock(size: number): Promise<number> {
  const text = process.env.PEGZONE_TEST_PORTS || DEFAULT_TEST_PORTS;
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const [lo, hi] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  // Blocks start at multiples of 10, so that the blocks of concurrent tests pack a range without gaps.
  const first = Math.ceil(lo / 10) * 10;
  const starts = Math.floor((hi - size + 1 - first) / 10) + 1;
  if (!(lo >= 1024 && hi <= 65535 && starts >= 1)) throw new Error(`PEGZONE_TEST_PORTS=${text}: want lo-hi (1024-65535) holding ${size} ports from a multiple of 10, e.g. ${DEFAULT_TEST_PORTS}`);
  for (let attempt = 0; attempt < 500; attempt++) {
    const base = first + 10 * Math.floor(Math.random() * starts);
    const last = base + size - 1;
    if (AVOIDED_PORTS.some(([a, b]) => base <= b && last >= a)) continue;
    const locked: string[] = [];
    let ok = true;
    for (let port = base; ok && port <= last; port++) {
      const lock = lockPort(port);
      if (lock === undefined) ok = false;
      else locked.push(lock);
    }
    for (let port = base; ok && port <= last; port++) ok = await canBind(port);
    if (ok) return base;
    for (const lock of locked) releaseLock(lock);
  }
  throw new Error(`found no ${size} free ports in a row in ${lo}-${hi} (PEGZONE_TEST_PORTS; other tests may hold some)`);
}

/** The lock file of `port`, now ours; undefined when another process holds it. */
function lockPort(port: number): string | undefined {
  const file = join(tmpdir(), `pegzone-port-${port}.lock`);
  try {
    writeFileSync(file, String(process.pid), { flag: "wx" });
    heldPortLocks.add(file);
    return file;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  // Held. A holder that died leaves its lock behind: remove it for a later attempt (not this one, so
  // that two processes removing the same dead lock at once do not both take the port). An empty or
  // unreadable file is one being written, or another user's: leave it.
  try {
    const pid = Number(readFileSync(file, "utf8"));
    if (Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) rmSync(file);
  } catch {
    // gone meanwhile, or not ours to remove
  }
  return undefined;
}

function releaseLock(file: string): void {
  heldPortLocks.delete(file);
  rmSync(file, { force: true });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether nothing listens on 127.0.0.1:`port` (where CometBFT and btcd listen), by listening there for a moment. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// A root-level afterAll of the test file importing this module: it runs after the afterAll hooks of the
// file's describe blocks, which stop the nodes on the ports.
if (typeof afterAll === "function") afterAll(() => { for (const lock of [...heldPortLocks]) releaseLock(lock); });

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const res = runCliStatus(args, env);
  if (res.status !== 0) throw new Error(`pegzone ${args.join(" ")} failed (${res.status}): ${res.stderr}${res.stdout}`);
  return res.stdout;
}

/**
 * `runCli` without blocking the event loop. Tests that also hold HTTP connections (CosmJS) use it:
 * while spawnSync blocks, a keep-alive connection can sit idle past CometBFT's timeout, be closed by
 * the server unnoticed, and fail the next request with "other side closed".
 */
export function runCliAsync(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => (status === 0 ? resolvePromise(stdout) : reject(new Error(`pegzone ${args.join(" ")} failed (${status}): ${stderr}${stdout}`))));
  });
}

/** `runCliStatus` without blocking the event loop (see runCliAsync), for tests that hold HTTP connections. */
export function runCliStatusAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolvePromise({ status, stdout, stderr }));
  });
}

/** For commands expected to fail: the exit status and both outputs. */
export function runCliStatus(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
}

export interface NodeInfo {
  moniker: string;
  home: string;
  node_id: string;
  rpc: string;
  p2p: number;
  /** config.toml's proxy_app: unix:///.../data/abci.sock by default, tcp://127.0.0.1:<port> with --abci tcp. */
  abci: string;
  /** Every port of the node (REST API, CometBFT's Prometheus, ...), which `pegzone testnet` derives from its P2P port. */
  ports: Ports;
}

/** A running process whose output lines are kept in a log file and offered to watchers. */
export class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly watchers = new Set<(line: string) => void>();
  private readonly log: WriteStream;

  /** `detached` makes the process the leader of a new process group, which `killGroup` kills with all its children. */
  constructor(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = {}, opts: { detached?: boolean } = {}) {
    this.log = createWriteStream(logFile, { flags: "a" });
    this.child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env }, detached: opts.detached });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => {
        this.log.write(line + "\n");
        for (const w of this.watchers) w(line);
      });
    }
    // Output can still be in the pipes when the process exits: the log ends once they are closed.
    this.child.on("close", () => this.log.end());
    this.exited = new Promise((res) => this.child.on("exit", (code) => res(code)));
  }

  /** Resolves with the first line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((res, rej) => {
      const timer = setTimeout(() => { this.watchers.delete(watch); rej(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)); }, timeoutMs);
      const watch = (line: string) => {
        if (pattern.test(line)) { clearTimeout(timer); this.watchers.delete(watch); res(line); }
      };
      this.watchers.add(watch);
    });
  }

  onLine(fn: (line: string) => void): void {
    this.watchers.add(fn);
  }

  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /**
   * Signals the whole process group of a `detached` Proc (e.g. `pegzone start` and its CometBFT) at
   * once and waits until every member has died, so that the next start finds no database still locked.
   */
  async killGroup(signal: NodeJS.Signals = "SIGKILL", timeoutMs = 10_000): Promise<void> {
    const group = this.child.pid!;
    try {
      process.kill(-group, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err; // already gone
    }
    await this.exited;
    const deadline = Date.now() + timeoutMs;
    while (liveProcesses((p) => p.pgrp === group).length > 0) {
      if (Date.now() > deadline) throw new Error(`process group ${group} still alive ${timeoutMs} ms after ${signal}`);
      await sleep(20);
    }
  }
}

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
}

/** Linux: the processes matching `filter` that have not exited (zombies, which only wait to be reaped, do not count). */
export function liveProcesses(filter: (p: ProcStat) => boolean): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'
    const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const p = { pid: Number(entry), ppid: Number(ppid), pgrp: Number(pgrp) };
    if (state !== "Z" && state !== "X" && filter(p)) out.push(p);
  }
  return out;
}

/** A testnet made by `pegzone testnet` in a temporary folder. */
export class Testnet {
  readonly nodes: NodeInfo[];
  readonly procs: Array<Proc | undefined> = [];

  private constructor(readonly dir: string, nodes: NodeInfo[]) {
    this.nodes = nodes;
  }

  static create(o: { validators: number; basePort: number; timeoutCommit?: string; accounts?: string[]; chainId?: string; extraArgs?: string[] }): Testnet {
    const dir = mkdtempSync(join(tmpdir(), "pegzone-e2e-"));
    const args = ["testnet", "--validators", String(o.validators), "--output", dir, "--base-port", String(o.basePort),
      "--timeout-commit", o.timeoutCommit ?? "300ms", "--chain-id", o.chainId ?? "pegzone-test"];
    for (const a of o.accounts ?? []) args.push("--account", a);
    args.push(...(o.extraArgs ?? []));
    const nodes = (JSON.parse(runCli(args)) as Array<Omit<NodeInfo, "ports">>).map((n) => ({ ...n, ports: portsFrom(n.p2p) }));
    return new Testnet(dir, nodes);
  }

  start(i: number, env: NodeJS.ProcessEnv = {}): Proc {
    const proc = new Proc(process.execPath, [CLI, "start", "--home", this.nodes[i].home], join(this.dir, `node${i}.log`), env);
    this.procs[i] = proc;
    return proc;
  }

  /** `pegzone start` in its own process group, so that `killGroup` kills app and CometBFT together as an unclean stop would. */
  startGroup(i: number, env: NodeJS.ProcessEnv = {}): Proc {
    const proc = new Proc(process.execPath, [CLI, "start", "--home", this.nodes[i].home], join(this.dir, `node${i}.log`), env, { detached: true });
    this.procs[i] = proc;
    return proc;
  }

  /** The app alone (`start --abci-only`); pair it with `startComet`. */
  startApp(i: number, extraArgs: string[] = []): Proc {
    return new Proc(process.execPath, [CLI, "start", "--abci-only", "--home", this.nodes[i].home, ...extraArgs], join(this.dir, `app${i}.log`));
  }

  startComet(i: number): Proc {
    return new Proc(COMETBFT, ["start", "--home", this.nodes[i].home], join(this.dir, `comet${i}.log`));
  }

  logFile(name: string): string {
    return readFileSync(join(this.dir, name), "utf8");
  }

  async stop(i: number, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.procs[i]?.kill(signal);
    this.procs[i] = undefined;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((_, i) => this.stop(i)));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  log(i: number): string {
    return this.logFile(`node${i}.log`);
  }
}

export async function rpc<T>(url: string, method: string, params: Record<string, string> = {}): Promise<T> {
  const qs = new URLSearchParams(params).toString();
  const res = await fetch(`${url}/${method}${qs ? `?${qs}` : ""}`);
  const body = (await res.json()) as { result?: T; error?: unknown };
  if (body.error !== undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result as T;
}

/** The addresses (hex, as CometBFT lists them) of the validators whose COMMIT signatures are in block `height`'s commit. */
export async function commitSigners(url: string, height: number): Promise<string[]> {
  const commit = await rpc<{ signed_header: { commit: { signatures: Array<{ validator_address: string; block_id_flag: number }> } } }>(url, "commit", { height: String(height) });
  return commit.signed_header.commit.signatures.filter((s) => s.block_id_flag === 2).map((s) => s.validator_address);
}

/** CometBFT's address (hex, upper case) of a validator's ed25519 key, given as base64 (as genesis and queries show it) or bytes. */
export function validatorAddress(key: string | Uint8Array): string {
  return Buffer.from(cometAddress(typeof key === "string" ? Buffer.from(key, "base64") : key)).toString("hex").toUpperCase();
}

export async function latestHeight(url: string): Promise<number> {
  const status = await rpc<{ sync_info: { latest_block_height: string } }>(url, "status");
  return Number(status.sync_info.latest_block_height);
}

/** Polls until the node at `url` reports at least `height`. */
export async function waitForHeight(url: string, height: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    try {
      last = await latestHeight(url);
      if (last >= height) return last;
    } catch {
      // Not up yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} stayed at height ${last}, wanted ${height}`);
    await sleep(200);
  }
}

/** Polls `fn` until it returns something other than undefined (errors count as not yet); throws after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface BlockHeader {
  height: string;
  app_hash: string;
  chain_id: string;
}

export async function header(url: string, height: number): Promise<BlockHeader> {
  const res = await rpc<{ block: { header: BlockHeader } }>(url, "block", { height: String(height) });
  return res.block.header;
}
