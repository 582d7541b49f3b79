/**
 * btcd (github.com/btcsuite/btcd, built into .bin/ by `npm run deps`) as a child process in regtest:
 * plain-HTTP RPC on 127.0.0.1 with fixed credentials, P2P on loopback only, no peers looked for,
 * blocks mined on demand with the `generate` RPC. The devnet (`pegzone devnet`) and the tests use it.
 *
 * btcd deletes its regtest block database every time it starts (btcd.go, removeRegressionDB: "the
 * regression test is special in that it needs a clean database for each run"); there is no flag
 * against it. So a chain that must survive a restart has to be kept outside btcd and submitted again
 * (`submitblock`, in order) after it starts: `replayBlocks`. The restarted btcd validates and connects
 * the same blocks (same hashes, tx index rebuilt); only its mempool is lost. `BlockArchive` is such a
 * copy on disk, appended to as blocks appear, so that it survives even `kill -9`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { toDisplayHex } from "../../light-client/bitcoin/bytes";
import { blockHashHex, decodeHeader, HEADER_SIZE } from "../../light-client/bitcoin/header";
import { BitcoinRpcClient, BitcoinRpcConnectionError, type DisplayHash } from "../../relayer/bitcoin-rpc";
import { runBtcctl, writeBtcctlConfig } from "./btcctl";
import { repoRoot } from "./cometbft";
import { commandLine, isAlive, portIsFree, sleep } from "./processes";

/** btcd's own default regtest ports (params.go: RPC 18334; chaincfg: P2P 18444). `btcctl --regtest` finds the RPC there (but give it `--configfile`: `btcctlArgs`). */
export const BTCD_REGTEST_RPC_PORT = 18334;
export const BTCD_REGTEST_P2P_PORT = 18444;

/** The pinned btcd that `npm run deps` installs; BTCD_BIN overrides it. */
export function btcdBinary(): string {
  if (process.env.BTCD_BIN) return process.env.BTCD_BIN;
  const pinned = join(repoRoot(), ".bin", "btcd");
  if (!existsSync(pinned)) throw new Error(`btcd is not installed: run 'npm run deps' (expected ${pinned})`);
  return pinned;
}

export interface BtcdConfig {
  /** Holds data/, logs/, btcd.log (its stdout and stderr) and btcd.pid. */
  readonly dataDir: string;
  readonly rpcPort: number;
  readonly p2pPort: number;
  readonly rpcUser: string;
  readonly rpcPassword: string;
  /** Coinbases of `generate`d blocks pay this regtest address (P2WPKH bcrt1q... or P2PKH). */
  readonly miningAddress: string;
  /** More btcd flags, e.g. ["--addrindex"]. */
  readonly extraArgs?: readonly string[];
  /** How long `start()` waits for the RPC server; default 30 s. */
  readonly readyTimeoutMs?: number;
  /** Per RPC call; default 60 s. */
  readonly rpcTimeoutMs?: number;
  /** Default: `btcdBinary()`. */
  readonly binary?: string;
}

/** btcd's command line for a config: regtest, RPC and P2P on 127.0.0.1 only, no peer discovery, a tx index. */
export function btcdArgs(c: BtcdConfig): string[] {
  return [
    "--regtest",
    `--datadir=${join(c.dataDir, "data")}`,
    `--logdir=${join(c.dataDir, "logs")}`,
    // RPC: plain HTTP (btcd allows it only on localhost), fixed credentials.
    "--notls",
    `--rpcuser=${c.rpcUser}`,
    `--rpcpass=${c.rpcPassword}`,
    `--rpclisten=127.0.0.1:${c.rpcPort}`,
    // P2P: listen on loopback only; never look for peers (regtest has no seeds; no DNS, no Tor).
    `--listen=127.0.0.1:${c.p2pPort}`,
    "--nodnsseed",
    "--noonion",
    "--nostalldetect",
    // getrawtransaction for confirmed transactions (the relayer follows releases with it).
    "--txindex",
    `--miningaddr=${c.miningAddress}`,
    ...(c.extraArgs ?? []),
  ];
}

/** Every btcd this process started and has not seen exit: killed with SIGKILL if the process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });
}

/**
 * One btcd on one data folder; `start()` and `stop()` may be called again and again (the RPC client
 * stays the same). btcd runs in its own process group, so a Ctrl-C on the terminal reaches only the
 * parent, which stops it in order. Its pid is kept in <dataDir>/btcd.pid: a btcd left running by a
 * parent that was killed with SIGKILL is stopped by the next `start()` on the same folder.
 */
export class Btcd {
  readonly rpc: BitcoinRpcClient;
  readonly args: readonly string[];
  private child: ChildProcess | undefined;
  private exitedPromise: Promise<number | null> | undefined;

  constructor(readonly config: BtcdConfig) {
    this.args = btcdArgs(config);
    this.rpc = new BitcoinRpcClient({ url: this.rpcUrl, user: config.rpcUser, password: config.rpcPassword, timeoutMs: config.rpcTimeoutMs ?? 60_000 });
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  /** http://127.0.0.1:<port>, without credentials. */
  get rpcUrl(): string {
    return `http://127.0.0.1:${this.config.rpcPort}`;
  }

  get logFile(): string {
    return join(this.dataDir, "btcd.log");
  }

  get pidFile(): string {
    return join(this.dataDir, "btcd.pid");
  }

  /** <dataDir>/btcctl.conf, written by `start()`: `btcctl --configfile=<it> getblockcount` reaches this btcd and reads no other config. */
  get btcctlConfigFile(): string {
    return join(this.dataDir, "btcctl.conf");
  }

  /** Runs btcctl against this btcd with `btcctlConfigFile` (written by `start()`); its stdout, trimmed. */
  btcctl(args: readonly string[], o: { binary?: string } = {}): string {
    return runBtcctl(this.btcctlConfigFile, args, o);
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Settles with the exit code when the running btcd exits (undefined when none was started). */
  get exited(): Promise<number | null> | undefined {
    return this.exitedPromise;
  }

  /** Start btcd and wait until its RPC answers; throws (with the end of its log) if it exits or stays silent. */
  async start(): Promise<void> {
    if (this.running) throw new Error("btcd is already running");
    mkdirSync(this.dataDir, { recursive: true });
    await stopLeftoverBtcd(this.dataDir);
    // Another node on the RPC port would answer in btcd's place (with the same credentials, another devnet's btcd would).
    for (const [port, what] of [[this.config.rpcPort, "RPC"], [this.config.p2pPort, "P2P"]] as const)
      if (!(await portIsFree(port))) throw new Error(`127.0.0.1:${port}, btcd's ${what} port, is already in use by another process`);
    writeBtcctlConfig(this.btcctlConfigFile, { rpcServer: `127.0.0.1:${this.config.rpcPort}`, rpcUser: this.config.rpcUser, rpcPassword: this.config.rpcPassword });
    const log = openSync(this.logFile, "a");
    let child: ChildProcess;
    try {
      // HOME points into the data folder: btcd creates ~/.btcd (and writes a sample btcd.conf there) otherwise.
      child = spawn(this.config.binary ?? btcdBinary(), [...this.args], { stdio: ["ignore", log, log], env: { ...process.env, HOME: this.dataDir }, detached: true });
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
    try {
      await waitForRpc(this.rpc, { timeoutMs: this.config.readyTimeoutMs ?? 30_000, exited: this.exitedPromise });
      if (!this.running) throw new Error("btcd exited just after its RPC answered");
    } catch (e) {
      await this.stop();
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${this.logTail()}`);
    }
  }

  /** Stop btcd and wait for it to exit: `signal` (default SIGTERM), then SIGKILL after `graceMs`. A no-op when it is not running. */
  async stop(o: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<void> {
    const child = this.child;
    const exited = this.exitedPromise;
    if (child === undefined || exited === undefined) return;
    this.child = undefined;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill(o.signal ?? "SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), o.graceMs ?? 20_000);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    rmSync(this.pidFile, { force: true });
  }

  /** The last lines of btcd's output (stdout and stderr). */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

/**
 * A btcd on `dataDir` still running from a parent killed without stopping it (its pid in
 * <dataDir>/btcd.pid, its command line naming that data folder): SIGTERM it, SIGKILL after 10 s.
 */
export async function stopLeftoverBtcd(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, "btcd.pid");
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
  } catch {
    return;
  }
  const datadirArg = `--datadir=${join(dataDir, "data")}`;
  if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid) && commandLine(pid)?.includes(datadirArg)) {
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while (isAlive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid, "SIGKILL");
        break;
      }
      await sleep(100);
    }
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
  }
  rmSync(pidFile, { force: true });
}

/** Polls `getblockcount` until the node answers; gives up after `timeoutMs`, or as soon as `exited` settles. */
export async function waitForRpc(rpc: BitcoinRpcClient, o: { timeoutMs: number; exited?: Promise<number | null> }): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let exitCode: number | null | undefined;
  let hasExited = false;
  void o.exited?.then((code) => {
    hasExited = true;
    exitCode = code;
  });
  for (;;) {
    try {
      await rpc.getBlockCount();
      return;
    } catch (e) {
      if (!(e instanceof BitcoinRpcConnectionError && e.retryable)) throw e;
    }
    if (hasExited) throw new Error(`btcd exited (${exitCode}) before its RPC at ${rpc.url} answered`);
    if (Date.now() > deadline) throw new Error(`btcd RPC at ${rpc.url} did not answer within ${o.timeoutMs} ms`);
    await sleep(100);
  }
}

/** Blocks `from`..tip of the node's best chain, raw (wire order). */
export async function readChain(rpc: BitcoinRpcClient, from = 1): Promise<Uint8Array[]> {
  const tip = await rpc.getBlockCount();
  const blocks: Uint8Array[] = [];
  for (let h = from; h <= tip; h++) blocks.push(await rpc.getBlockRaw(await rpc.getBlockHash(h)));
  return blocks;
}

/** `submitblock` refused a saved block: `height` is its height; the ones below it were accepted. */
export class ReplayError extends Error {
  override readonly name = "ReplayError";
  constructor(
    readonly height: number,
    readonly reason: string,
  ) {
    super(`btcd refused saved block ${height}: ${reason}`);
  }
}

/**
 * Gives a node that restarted at genesis its chain back: submits `blocks` (heights 1..n, any iterable)
 * in order, then checks it ends at the same tip. A node that still has blocks (should btcd ever stop
 * wiping regtest) is only checked. Throws ReplayError when a block is refused.
 */
export async function replayBlocks(
  rpc: BitcoinRpcClient,
  blocks: Iterable<Uint8Array>,
  onProgress?: (done: number) => void,
): Promise<{ submitted: number; tip: DisplayHash | undefined }> {
  const startHeight = await rpc.getBlockCount();
  let height = 0;
  let last: Uint8Array | undefined;
  for (const raw of blocks) {
    height++;
    last = raw;
    if (startHeight !== 0) continue;
    const reason = await rpc.submitBlock(raw);
    if (reason !== null) throw new ReplayError(height, reason);
    if (height % 1000 === 0) onProgress?.(height);
  }
  if (last === undefined) return { submitted: 0, tip: undefined };
  const wantTip = blockHashHex(last.subarray(0, HEADER_SIZE));
  const tip = await rpc.getBestBlockHash();
  const tipHeight = await rpc.getBlockCount();
  if (tip !== wantTip || tipHeight !== height) throw new Error(`btcd is at ${tip}, height ${tipHeight}; expected ${wantTip}, height ${height}`);
  return { submitted: startHeight === 0 ? height : 0, tip };
}

/** Largest record the archive accepts (a block is at most 4 MB of weight, so at most 4 MB of bytes). */
const MAX_RECORD = 4_000_000;

/**
 * A Bitcoin chain kept on disk, blocks 1..n in order: an append-only file of records, each a 4-byte
 * little-endian length and the raw block (wire order). Each append is fsynced before `append`
 * returns, so whatever the archive reports as its height survives a kill -9 or a power cut. On open,
 * a torn last record (a write cut short) or any record that does not link to the one before it is
 * cut off with everything after it (`dropped` says how many bytes).
 */
export class BlockArchive {
  /** Display hashes; hashes[i] is block i + 1. */
  private readonly hashes: string[] = [];
  /** offsets[i] is where block i + 1's record starts; offsets[n] is the end of the file. */
  private readonly offsets: number[] = [0];
  private fd: number;
  private syncing: Promise<unknown> = Promise.resolve();
  /** Bytes cut off when the file was opened (torn or inconsistent tail). */
  readonly dropped: number;

  private constructor(readonly file: string) {
    this.fd = openSync(file, existsSync(file) ? "r+" : "w+");
    const size = fstatSync(this.fd).size;
    const lenBuf = Buffer.alloc(4);
    let pos = 0;
    for (;;) {
      if (pos + 4 > size || readSync(this.fd, lenBuf, 0, 4, pos) !== 4) break;
      const len = lenBuf.readUInt32LE(0);
      if (len < HEADER_SIZE || len > MAX_RECORD || pos + 4 + len > size) break;
      const header = Buffer.alloc(HEADER_SIZE);
      readSync(this.fd, header, 0, HEADER_SIZE, pos + 4);
      const prev = toDisplayHex(decodeHeader(header).prevBlock);
      if (this.hashes.length > 0 && prev !== this.hashes[this.hashes.length - 1]) break;
      this.hashes.push(blockHashHex(header));
      pos += 4 + len;
      this.offsets.push(pos);
    }
    this.dropped = size - pos;
    if (this.dropped > 0) {
      ftruncateSync(this.fd, pos);
      fsyncSync(this.fd);
    }
  }

  /** Opens (or creates) the archive file. */
  static open(file: string): BlockArchive {
    return new BlockArchive(file);
  }

  /** Height of the last block kept; 0 when empty. */
  get height(): number {
    return this.hashes.length;
  }

  /** Display hash of block `height` (1-based), or undefined beyond the archive. */
  hashAt(height: number): DisplayHash | undefined {
    return this.hashes[height - 1];
  }

  /** Block `height` (1..height), raw. */
  read(height: number): Uint8Array {
    if (!Number.isInteger(height) || height < 1 || height > this.height) throw new RangeError(`the archive holds blocks 1..${this.height}, not ${height}`);
    const start = this.offsets[height - 1] + 4;
    const out = Buffer.alloc(this.offsets[height] - start);
    readSync(this.fd, out, 0, out.length, start);
    return out;
  }

  /** Blocks 1..height, raw, read one at a time. */
  *blocks(): IterableIterator<Uint8Array> {
    for (let h = 1; h <= this.height; h++) yield this.read(h);
  }

  /** Adds block height + 1; it must link to the last one. Durable when this returns. */
  append(raw: Uint8Array): void {
    if (raw.length < HEADER_SIZE || raw.length > MAX_RECORD) throw new RangeError(`a block of ${raw.length} bytes`);
    const prev = toDisplayHex(decodeHeader(raw.subarray(0, HEADER_SIZE)).prevBlock);
    if (this.height > 0 && prev !== this.hashes[this.height - 1]) throw new Error(`block ${blockHashHex(raw.subarray(0, HEADER_SIZE))} does not follow the archive's tip ${this.hashes[this.height - 1]}`);
    const record = Buffer.alloc(4 + raw.length);
    record.writeUInt32LE(raw.length, 0);
    record.set(raw, 4);
    const end = this.offsets[this.height];
    let written = 0;
    while (written < record.length) written += writeSync(this.fd, record, written, record.length - written, end + written);
    fsyncSync(this.fd);
    this.hashes.push(blockHashHex(raw.subarray(0, HEADER_SIZE)));
    this.offsets.push(end + record.length);
  }

  /** Keeps blocks 1..height only. */
  truncate(height: number): void {
    if (height >= this.height) return;
    const keep = Math.max(0, height);
    ftruncateSync(this.fd, this.offsets[keep]);
    fsyncSync(this.fd);
    this.hashes.length = keep;
    this.offsets.length = keep + 1;
  }

  /**
   * Brings the archive level with the node's best chain: blocks the node no longer has on it (a reorg)
   * are dropped, then the node's blocks above the common part are appended. Returns how many were
   * appended. Calls are serialized.
   */
  sync(rpc: BitcoinRpcClient): Promise<number> {
    const run = this.syncing.then(() => this.syncNow(rpc));
    this.syncing = run.catch(() => undefined);
    return run;
  }

  private async syncNow(rpc: BitcoinRpcClient): Promise<number> {
    const tip = await rpc.getBlockCount();
    let common = Math.min(this.height, tip);
    while (common > 0 && (await rpc.getBlockHash(common)) !== this.hashes[common - 1]) common--;
    this.truncate(common);
    let appended = 0;
    for (let h = common + 1; h <= tip; h++) {
      const hash = await rpc.getBlockHash(h);
      const raw = await rpc.getBlockRaw(hash);
      if (blockHashHex(raw.subarray(0, HEADER_SIZE)) !== hash) throw new Error(`the node served block ${hash} with another header`);
      // The node's chain may move while we read it; whatever does not link is read again next time.
      if (h > 1 && toDisplayHex(decodeHeader(raw.subarray(0, HEADER_SIZE)).prevBlock) !== this.hashes[h - 2]) break;
      this.append(raw);
      appended++;
    }
    return appended;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}
