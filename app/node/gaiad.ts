/**
 * gaiad (the Cosmos Hub's node, v25.1.1, built by scripts/install-deps.sh into .bin/gaiad) as a
 * single-validator local Hub in a child process. The devnet (`pegzone devnet`, under <home>/gaiad)
 * and the tests (test/support/gaiad.ts, in temporary homes) use it.
 *
 * This file runs gaiad: its binary, one-shot commands, keys in a home's test keyring, and the `Gaiad`
 * process on a home. Making and configuring that home (`initGaiadHome`, `configureGaiad`) is in
 * gaiad-home.ts. Fees: the feemarket module asks 1 stake per gas (`--gas-prices 1stake`); the memo
 * flag is `--note`.
 *
 * gaiad runs as the leader of its own process group (a Ctrl-C on the terminal reaches only the
 * parent, which stops it in order); its pid is kept in <home>/gaiad.pid, so a gaiad left running by
 * a parent killed with SIGKILL is stopped by the next `start()` on the same home.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bech32 } from "@scure/base";
import { CometRpcClient } from "../../relayer/cometbft-rpc";
import { repoRoot } from "./cometbft";
import { commandLine, isAlive, portIsFree, sleep } from "./processes";

/** The local Hub's staking and fee token. */
export const HUB_DENOM = "stake";
/** What the local Hub's feemarket asks per gas, in HUB_DENOM (`--gas-prices 1stake`). */
export const HUB_GAS_PRICE = "1";

/** The gaiad that `npm run deps` installs (.bin/gaiad, a link into ~/.cache/pegzone); GAIAD_BIN overrides it. */
export function gaiadBinary(): string {
  return process.env.GAIAD_BIN || join(repoRoot(), ".bin", "gaiad");
}

export function gaiadInstalled(binary = gaiadBinary()): boolean {
  return existsSync(binary);
}

/** Why gaiad cannot be run, for a warning or a skipped test. */
export function gaiadMissing(binary = gaiadBinary()): string {
  return `${binary} is missing: run 'npm run deps' (scripts/install-deps.sh builds gaiad v25.1.1; the first build takes 10+ minutes)`;
}

/** Runs gaiad to completion; its stdout. `input` is written to its stdin (e.g. a mnemonic for `keys add --recover`). */
export function runGaiad(args: readonly string[], o: { binary?: string; timeoutMs?: number; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(o.binary ?? gaiadBinary(), [...args], { timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`gaiad ${args.join(" ")} failed: ${err.message}\n${stderr}${stdout}`.slice(0, 4000)));
      else resolve(stdout);
    });
    child.stdin?.end(o.input ?? "");
  });
}

/** A key in a Hub home's test keyring. */
export interface HubAccount {
  readonly name: string;
  /** bech32, cosmos1... */
  readonly address: string;
  /** The 20 address bytes. */
  readonly bytes: Uint8Array;
}

/** The data bytes of a bech32 address. */
export function bech32Data(address: string): Uint8Array {
  return bech32.fromWords(bech32.decode(address as `${string}1${string}`).words);
}

/** `--keyring-backend test --home HOME`: the flags of a command on a home's keyring. */
export function hubKeyringFlags(home: string): string[] {
  return ["--keyring-backend", "test", "--home", home];
}

/**
 * `gaiad keys add NAME` in the home's test keyring: a new random key, or with `recover` the key of a
 * mnemonic at m/44'/118'/0'/0/<index> (the Cosmos HD path every wallet uses).
 */
export async function addHubKey(home: string, name: string, o: { recover?: { mnemonic: string; index?: number }; binary?: string } = {}): Promise<HubAccount> {
  const recover = o.recover === undefined ? [] : ["--recover", "--index", String(o.recover.index ?? 0)];
  const out = await runGaiad(["keys", "add", name, ...recover, "--output", "json", ...hubKeyringFlags(home)], { binary: o.binary, input: o.recover && `${o.recover.mnemonic}\n` });
  const { address } = JSON.parse(out) as { address: string };
  return { name, address, bytes: bech32Data(address) };
}

/** The answer of `gaiad tx ... --output json` once the tx is in a block. */
export interface SentTx {
  readonly txhash: string;
  readonly height: bigint;
  readonly code: number;
}

/** Every gaiad this process started and has not seen exit: killed with SIGKILL if the process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) killGroup(c.pid, "SIGKILL");
  });
}

/** Signals the process group led by `pid` (gaiad is started detached, as a group leader). */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

const startArgs = (home: string) => ["start", "--home", home];

/**
 * A gaiad on `home` still running from a parent killed without stopping it (its pid in
 * <home>/gaiad.pid, its command line naming that home): SIGTERM to its group, SIGKILL after 15 s.
 */
export async function stopLeftoverGaiad(home: string): Promise<void> {
  const pidFile = join(home, "gaiad.pid");
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
  } catch {
    return;
  }
  if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid) && commandLine(pid)?.includes(startArgs(home).join(" "))) {
    killGroup(pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (isAlive(pid)) {
      if (Date.now() > deadline) {
        killGroup(pid, "SIGKILL");
        break;
      }
      await sleep(100);
    }
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
  }
  rmSync(pidFile, { force: true });
}

export interface GaiadConfig {
  /** An initialized, configured home (initGaiadHome, configureGaiad); gaiad.log and gaiad.pid are kept in it too. */
  readonly home: string;
  readonly chainId: string;
  /** The ports configureGaiad wrote: RPC and P2P are checked free before starting. */
  readonly rpcPort: number;
  readonly p2pPort: number;
  /** Default: `gaiadBinary()`. */
  readonly binary?: string;
  /** Per RPC call; default 20 s. */
  readonly rpcTimeoutMs?: number;
}

/**
 * One gaiad on one home; `start()` and `stop()` may be called again and again (the RPC client stays
 * the same). Its chain lives in the home: a restart carries on from the last block.
 */
export class Gaiad {
  readonly rpc: CometRpcClient;
  private child: ChildProcess | undefined;
  private exitedPromise: Promise<number | null> | undefined;

  constructor(readonly config: GaiadConfig) {
    this.rpc = new CometRpcClient({ url: this.rpcUrl, timeoutMs: config.rpcTimeoutMs ?? 20_000 });
  }

  get home(): string {
    return this.config.home;
  }

  get chainId(): string {
    return this.config.chainId;
  }

  get binary(): string {
    return this.config.binary ?? gaiadBinary();
  }

  /** http://127.0.0.1:<rpc port>: CometBFT's RPC, what pegzone's relayer follows. */
  get rpcUrl(): string {
    return `http://127.0.0.1:${this.config.rpcPort}`;
  }

  /** tcp://127.0.0.1:<rpc port>: gaiad's own `--node` flag. */
  get node(): string {
    return `tcp://127.0.0.1:${this.config.rpcPort}`;
  }

  get logFile(): string {
    return join(this.home, "gaiad.log");
  }

  get pidFile(): string {
    return join(this.home, "gaiad.pid");
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The pid of the gaiad started last (the leader of its process group), while `stop()` has not been called. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Settles with the exit code when the running gaiad exits (undefined when none was started). */
  get exited(): Promise<number | null> | undefined {
    return this.exitedPromise;
  }

  /** Runs gaiad (this binary) to completion; its stdout. */
  run(args: readonly string[], o: { timeoutMs?: number; input?: string } = {}): Promise<string> {
    return runGaiad(args, { ...o, binary: this.binary });
  }

  /**
   * Starts gaiad in its own process group and waits until it has made block `minHeight` (default 1);
   * throws, with the end of its log, if it exits first or makes no such block within `timeoutMs`.
   */
  async start(minHeight = 1, timeoutMs = 60_000): Promise<void> {
    if (this.running) return;
    mkdirSync(this.home, { recursive: true });
    await stopLeftoverGaiad(this.home);
    for (const [port, what] of [[this.config.rpcPort, "RPC"], [this.config.p2pPort, "P2P"]] as const)
      if (!(await portIsFree(port))) throw new Error(`127.0.0.1:${port}, gaiad's ${what} port, is already in use by another process`);
    const log = openSync(this.logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn(this.binary, startArgs(this.home), { stdio: ["ignore", log, log], detached: true });
    } finally {
      closeSync(log);
    }
    this.child = child;
    this.exitedPromise = new Promise((resolve) => {
      child.once("exit", (code) => resolve(code));
      // A spawn failure (e.g. ENOENT) need not be followed by "exit".
      child.once("error", () => resolve(null));
    });
    track(child);
    if (child.pid !== undefined) writeFileSync(this.pidFile, `${child.pid}\n`);
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        if (!this.running) throw new Error(`gaiad exited (${child.exitCode ?? child.signalCode}) before making block ${minHeight}`);
        const height = await this.rpc.status().then((s) => s.latestHeight, () => -1n);
        if (height >= BigInt(minHeight)) return;
        if (Date.now() > deadline) throw new Error(`gaiad made no block ${minHeight} within ${timeoutMs} ms (at ${height})`);
        await sleep(200);
      }
    } catch (e) {
      await this.stop();
      throw new Error(`${e instanceof Error ? e.message : String(e)}:\n${this.logTail()}`);
    }
  }

  /** SIGTERM to gaiad's process group (SIGKILL after `graceMs`, default 15 s); waits for gaiad to exit. A no-op when it is not running. */
  async stop(o: { graceMs?: number } = {}): Promise<void> {
    const child = this.child;
    const exited = this.exitedPromise;
    if (child === undefined || exited === undefined) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), o.graceMs ?? 15_000);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    rmSync(this.pidFile, { force: true });
  }

  /** The last lines of gaiad's output (stdout and stderr). */
  logTail(lines = 30): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(no log)";
  }

  /** Polls until the node has made block `height`; returns the node's height then. */
  async waitForHeight(height: bigint, timeoutMs = 60_000): Promise<bigint> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const h = (await this.rpc.status()).latestHeight;
      if (h >= height) return h;
      if (Date.now() > deadline) throw new Error(`the Hub stayed at height ${h}, wanted ${height}`);
      await sleep(200);
    }
  }

  /** A new key in the home's keyring (not funded). */
  addKey(name: string): Promise<HubAccount> {
    return addHubKey(this.home, name, { binary: this.binary });
  }

  /**
   * A public key alone in the keyring, as a multisig member: `gaiad keys add NAME --pubkey
   * '{"@type":"/cosmos.crypto.secp256k1.PubKey","key":"<base64>"}'`; returns its address.
   */
  async importPubkey(name: string, compressed: Uint8Array): Promise<string> {
    const pubkey = JSON.stringify({ "@type": "/cosmos.crypto.secp256k1.PubKey", key: Buffer.from(compressed).toString("base64") });
    return (JSON.parse(await this.run(["keys", "add", name, "--pubkey", pubkey, "--output", "json", ...hubKeyringFlags(this.home)])) as { address: string }).address;
  }

  /** `gaiad keys add NAME --multisig m1,m2,... --multisig-threshold T` (members sorted by address, gaiad's default); returns its address. */
  async addMultisig(name: string, members: readonly string[], threshold: number): Promise<string> {
    const out = await this.run(["keys", "add", name, "--multisig", members.join(","), "--multisig-threshold", String(threshold), "--output", "json", ...hubKeyringFlags(this.home)]);
    return (JSON.parse(out) as { address: string }).address;
  }

  /** `gaiad query bank balances ADDRESS`: the amount of `denom` (0 for an account the chain does not know). */
  async balance(address: string, denom = HUB_DENOM): Promise<bigint> {
    const out = JSON.parse(await this.run(["query", "bank", "balances", address, "--output", "json", "--node", this.node, "--home", this.home])) as { balances?: Array<{ denom: string; amount: string }> };
    return BigInt(out.balances?.find((c) => c.denom === denom)?.amount ?? "0");
  }

  /**
   * The arguments of `gaiad tx bank send FROM TO AMOUNT --note MEMO` against this node, paying the
   * feemarket's 1 stake per gas: what the devnet's banner prints and `bankSend` runs.
   */
  bankSendArgs(o: { from: string; to: string; amount: bigint | string; memo: string }): string[] {
    return ["tx", "bank", "send", o.from, o.to, `${o.amount}${HUB_DENOM}`, "--note", o.memo, "--home", this.home, "--node", this.node, "--chain-id", this.chainId,
      "--keyring-backend", "test", "--gas-prices", `${HUB_GAS_PRICE}${HUB_DENOM}`, "--yes"];
  }

  /**
   * `gaiad tx bank send FROM TO AMOUNT --note MEMO --gas-prices 1stake --yes --output json`, then
   * waits until it is in a block. A refusal at CheckTx (non-zero code) throws; a failure in the block is
   * returned with its code.
   */
  async bankSend(o: { from: string; to: string; amount: bigint; memo: string; timeoutMs?: number }): Promise<SentTx> {
    return this.broadcastCli(this.bankSendArgs(o), o.timeoutMs);
  }

  /** Runs a `gaiad tx ...` command line (with `--output json` added) and waits until its tx is in a block; see `bankSend`. */
  async broadcastCli(args: readonly string[], timeoutMs = 30_000): Promise<SentTx> {
    const res = JSON.parse(await this.run([...args, "--output", "json"])) as { txhash: string; code: number; raw_log: string };
    if (res.code !== 0) throw new Error(`gaiad ${args.slice(0, 3).join(" ")} refused at CheckTx: code ${res.code}: ${res.raw_log}`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await this.rpc.tx(res.txhash, false).catch(() => undefined);
      if (found !== undefined) return { txhash: found.hash, height: found.height, code: found.result.code };
      if (Date.now() > deadline) throw new Error(`tx ${res.txhash} not in a block after ${timeoutMs} ms`);
      await sleep(250);
    }
  }
}
