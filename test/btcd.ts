/**
 * A real Bitcoin main chain for tests: btcd (built by scripts/install-deps.sh into .bin/) in regtest,
 * RPC over plain HTTP on 127.0.0.1, no outbound peers, mining on demand with the `generate` RPC.
 *
 * btcd deletes its regtest block database every time it starts (btcd.go, removeRegressionDB: "the
 * regression test is special in that it needs a clean database for each run"); there is no flag
 * against it. So a btcd restarted in regtest is back at the genesis block. To give tests a chain that
 * survives a restart, `stop()` reads every block (raw) from the node before SIGTERM, and the next
 * `start()` submits them again in order with `submitblock`: the restarted btcd validates and connects
 * the same blocks (same hashes, tx index rebuilt), only its mempool is lost. A node killed without
 * `stop()` (crash) has no such copy and restarts empty, as btcd itself does.
 *
 * Ports: btcd tests use 28400-28499 (the CometBFT tests use 21656-27756).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blockHashHex } from "../light-client/bitcoin/header";
import { BitcoinRpcClient, BitcoinRpcConnectionError, type DisplayHash } from "../relayer/bitcoin-rpc";
import { TEST_ADDRESS } from "./btc-wallet";
import { Proc, ROOT, sleep } from "./harness";

export const BTCD = join(ROOT, ".bin", "btcd");
export const BTCD_RPC_USER = "pegzone";
export const BTCD_RPC_PASS = "pegzone-regtest";

export interface BtcdOptions {
  /** Holds data/, logs/ and btcd.log; a fresh temporary folder (removed by `remove()`) when omitted. */
  readonly dataDir?: string;
  readonly rpcPort: number;
  readonly p2pPort: number;
  /** Coinbases of `generate`d blocks pay this regtest address (P2WPKH bcrt1q... or P2PKH). Default: the test wallet's. */
  readonly miningAddress?: string;
  /** More btcd flags, e.g. ["--addrindex"]. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for the RPC server; default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface StopOptions {
  /** Read the chain before stopping so that the next start() restores it (btcd wipes regtest data on start). Default true. */
  readonly keepChain?: boolean;
  /** Default SIGTERM. */
  readonly signal?: NodeJS.Signals;
}

/** Every btcd started by this process, killed with SIGKILL if the process exits without stopping them. */
const live = new Set<Proc>();
let exitHookInstalled = false;
function track(p: Proc): void {
  live.add(p);
  void p.exited.then(() => live.delete(p));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const q of live) if (q.child.exitCode === null && q.child.signalCode === null) q.child.kill("SIGKILL");
    });
  }
}

export class BtcdNode {
  readonly rpc: BitcoinRpcClient;
  readonly dataDir: string;
  readonly args: readonly string[];
  private proc: Proc | undefined;
  /** Blocks 1..tip read by `stop()`, re-submitted by the next `start()` (see the file comment). */
  private savedChain: Uint8Array[] | undefined;

  private constructor(
    dataDir: string,
    args: string[],
    readonly rpcPort: number,
    readonly p2pPort: number,
    readonly miningAddress: string,
    private readonly ownsDir: boolean,
    private readonly readyTimeoutMs: number,
  ) {
    this.dataDir = dataDir;
    this.args = args;
    this.rpc = new BitcoinRpcClient({ url: `http://127.0.0.1:${rpcPort}`, user: BTCD_RPC_USER, password: BTCD_RPC_PASS, timeoutMs: 60_000 });
  }

  static create(o: BtcdOptions): BtcdNode {
    if (!existsSync(BTCD)) throw new Error(`${BTCD} is missing: run 'npm run deps' (npm test does it first) to build btcd`);
    const ownsDir = o.dataDir === undefined;
    const dir = o.dataDir ?? mkdtempSync(join(tmpdir(), "pegzone-btcd-"));
    mkdirSync(dir, { recursive: true });
    const miningAddress = o.miningAddress ?? TEST_ADDRESS;
    const args = [
      "--regtest",
      `--datadir=${join(dir, "data")}`,
      `--logdir=${join(dir, "logs")}`,
      // RPC: plain HTTP (allowed only on localhost), fixed credentials.
      "--notls",
      `--rpcuser=${BTCD_RPC_USER}`,
      `--rpcpass=${BTCD_RPC_PASS}`,
      `--rpclisten=127.0.0.1:${o.rpcPort}`,
      // P2P: listen on localhost only; never look for peers (regtest has no seeds; no DNS, no Tor).
      `--listen=127.0.0.1:${o.p2pPort}`,
      "--nodnsseed",
      "--noonion",
      "--nostalldetect",
      // getrawtransaction for confirmed transactions; coinbases of `generate` pay this address.
      "--txindex",
      `--miningaddr=${miningAddress}`,
      ...(o.extraArgs ?? []),
    ];
    return new BtcdNode(dir, args, o.rpcPort, o.p2pPort, miningAddress, ownsDir, o.readyTimeoutMs ?? 30_000);
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.child.exitCode === null && this.proc.child.signalCode === null;
  }

  /** Start btcd and wait until its RPC answers. */
  async start(): Promise<void> {
    if (this.running) throw new Error("btcd is already running");
    // HOME points into the data folder: btcd creates ~/.btcd (and would write a sample btcd.conf there) otherwise.
    const proc = new Proc(BTCD, [...this.args], join(this.dataDir, "btcd.log"), { HOME: this.dataDir });
    this.proc = proc;
    track(proc);
    const deadline = Date.now() + this.readyTimeoutMs;
    let exited = false;
    void proc.exited.then(() => (exited = true));
    for (;;) {
      try {
        await this.rpc.getBlockCount();
        break;
      } catch (e) {
        if (!(e instanceof BitcoinRpcConnectionError && e.retryable)) {
          await this.stop({ keepChain: false });
          throw e;
        }
      }
      if (exited) throw new Error(`btcd exited with ${proc.child.exitCode ?? proc.child.signalCode} before its RPC answered:\n${this.logTail()}`);
      if (Date.now() > deadline) {
        await this.stop({ keepChain: false });
        throw new Error(`btcd RPC on port ${this.rpcPort} did not answer within ${this.readyTimeoutMs} ms:\n${this.logTail()}`);
      }
      await sleep(100);
    }
    const saved = this.savedChain;
    this.savedChain = undefined;
    if (saved !== undefined) await this.replay(saved);
  }

  /** Submit `blocks` (heights 1..n) to a node that restarted at genesis; checks it ends at the same tip. */
  private async replay(blocks: readonly Uint8Array[]): Promise<void> {
    if (blocks.length === 0) return;
    const wantTip = blockHashHex(blocks[blocks.length - 1].subarray(0, 80));
    const height = await this.rpc.getBlockCount();
    if (height === 0) {
      for (const [i, raw] of blocks.entries()) {
        const reason = await this.rpc.submitBlock(raw);
        if (reason !== null) throw new Error(`btcd refused saved block ${i + 1} on restart: ${reason}`);
      }
    }
    // Either replayed, or a btcd that kept its data (should it ever stop wiping regtest): same tip both ways.
    const tip = await this.rpc.getBestBlockHash();
    if (tip !== wantTip || (await this.rpc.getBlockCount()) !== blocks.length)
      throw new Error(`btcd restarted at ${tip}, height ${await this.rpc.getBlockCount()}; expected ${wantTip}, height ${blocks.length}`);
  }

  /** Blocks 1..tip, raw (wire order). */
  async readChain(): Promise<Uint8Array[]> {
    const tip = await this.rpc.getBlockCount();
    const blocks: Uint8Array[] = [];
    for (let h = 1; h <= tip; h++) blocks.push(await this.rpc.getBlockRaw(await this.rpc.getBlockHash(h)));
    return blocks;
  }

  /**
   * Stop btcd and wait for it to exit: SIGTERM (SIGKILL after 20 s), or `signal` (e.g. "SIGKILL" for a
   * crash). A no-op when it is not running. Unless `keepChain` is false, the chain is read first so
   * that the next `start()` brings it back.
   */
  async stop(o: StopOptions = {}): Promise<void> {
    const proc = this.proc;
    if (proc === undefined) return;
    let readError: unknown;
    this.savedChain = undefined;
    if (o.keepChain !== false && this.running) {
      try {
        this.savedChain = await this.readChain();
      } catch (e) {
        readError = e;
      }
    }
    this.proc = undefined;
    const timer = setTimeout(() => proc.child.kill("SIGKILL"), 20_000);
    try {
      await proc.kill(o.signal ?? "SIGTERM");
    } finally {
      clearTimeout(timer);
    }
    if (readError !== undefined) throw readError;
  }

  /** Stop and start again on the same data folder, with the same chain unless `keepChain` is false (see the file comment). */
  async restart(o: StopOptions = {}): Promise<void> {
    await this.stop(o);
    await this.start();
  }

  /** Mine `n` blocks to the mining address now; returns their hashes (display hex), oldest first. */
  mine(n: number): Promise<DisplayHash[]> {
    return this.rpc.generate(n, this.miningAddress);
  }

  /** The last lines of btcd's output (stdout and stderr). */
  logTail(lines = 30): string {
    try {
      return readFileSync(join(this.dataDir, "btcd.log"), "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** Stop btcd and delete the data folder if this node made it. */
  async remove(): Promise<void> {
    await this.stop({ keepChain: false });
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Create and start a regtest btcd; the caller must `stop()` or `remove()` it (in afterAll). */
export async function startBtcd(o: BtcdOptions): Promise<BtcdNode> {
  const node = BtcdNode.create(o);
  await node.start();
  return node;
}
