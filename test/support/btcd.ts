/**
 * A real Bitcoin main chain for tests: btcd (built by scripts/install-deps.sh into .bin/) in regtest,
 * RPC over plain HTTP on 127.0.0.1, no outbound peers, mining on demand with the `generate` RPC.
 *
 * The process itself (arguments, start, stop, waiting for the RPC, replaying blocks) is the product's
 * app/node/btcd.ts, which `pegzone devnet` runs too.
 *
 * btcd deletes its regtest block database every time it starts (btcd.go, removeRegressionDB: "the
 * regression test is special in that it needs a clean database for each run"); there is no flag
 * against it. So a btcd restarted in regtest is back at the genesis block. To give tests a chain that
 * survives a restart, `stop()` reads every block (raw) from the node before SIGTERM, and the next
 * `start()` submits them again in order with `submitblock` (`replayBlocks`): the restarted btcd
 * validates and connects the same blocks (same hashes, tx index rebuilt), only its mempool is lost. A
 * node killed without `stop()` (crash) has no such copy and restarts empty, as btcd itself does. (The
 * devnet keeps its copy on disk instead: `BlockArchive`.)
 *
 * Ports: RPC and P2P are a free block from `freePortBlock` (test/support/harness.ts) unless given.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Btcd, readChain, replayBlocks } from "../../app/node/btcd";
import type { BitcoinRpcClient, DisplayHash } from "../../relayer/bitcoin-rpc";
import { TEST_ADDRESS } from "./btc-wallet";
import { freePortBlock, ROOT } from "./harness";

export const BTCD = join(ROOT, ".bin", "btcd");
export const BTCCTL = join(ROOT, ".bin", "btcctl");
export const BTCD_RPC_USER = "pegzone";
export const BTCD_RPC_PASS = "pegzone-regtest";

export interface BtcdOptions {
  /** Holds data/, logs/ and btcd.log; a fresh temporary folder (removed by `remove()`) when omitted. */
  readonly dataDir?: string;
  /** RPC and P2P on 127.0.0.1: by default two free ports in a row from `freePortBlock` (`BtcdNode` tells which). */
  readonly rpcPort?: number;
  readonly p2pPort?: number;
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

/** The product's `Btcd` (app/node/btcd.ts) plus a copy of the chain in memory across `stop()`/`start()`. */
export class BtcdNode {
  readonly rpc: BitcoinRpcClient;
  readonly dataDir: string;
  readonly args: readonly string[];
  private readonly btcd: Btcd;
  /** Blocks 1..tip read by `stop()`, re-submitted by the next `start()` (see the file comment). */
  private savedChain: Uint8Array[] | undefined;

  private constructor(
    btcd: Btcd,
    readonly rpcPort: number,
    readonly p2pPort: number,
    readonly miningAddress: string,
    private readonly ownsDir: boolean,
  ) {
    this.btcd = btcd;
    this.rpc = btcd.rpc;
    this.dataDir = btcd.dataDir;
    this.args = btcd.args;
  }

  static create(o: BtcdOptions & { readonly rpcPort: number; readonly p2pPort: number }): BtcdNode {
    if (!existsSync(BTCD)) throw new Error(`${BTCD} is missing: run 'npm run deps' (npm test does it first) to build btcd`);
    const ownsDir = o.dataDir === undefined;
    const dir = o.dataDir ?? mkdtempSync(join(tmpdir(), "pegzone-btcd-"));
    mkdirSync(dir, { recursive: true });
    const miningAddress = o.miningAddress ?? TEST_ADDRESS;
    const btcd = new Btcd({
      dataDir: dir,
      rpcPort: o.rpcPort,
      p2pPort: o.p2pPort,
      rpcUser: BTCD_RPC_USER,
      rpcPassword: BTCD_RPC_PASS,
      miningAddress,
      extraArgs: o.extraArgs,
      readyTimeoutMs: o.readyTimeoutMs,
      binary: BTCD,
    });
    return new BtcdNode(btcd, o.rpcPort, o.p2pPort, miningAddress, ownsDir);
  }

  get running(): boolean {
    return this.btcd.running;
  }

  /** Start btcd, wait until its RPC answers, and give it back the chain the last `stop()` read. */
  async start(): Promise<void> {
    await this.btcd.start();
    const saved = this.savedChain;
    this.savedChain = undefined;
    if (saved !== undefined) await replayBlocks(this.rpc, saved);
  }

  /** Blocks 1..tip, raw (wire order). */
  readChain(): Promise<Uint8Array[]> {
    return readChain(this.rpc);
  }

  /**
   * Stop btcd and wait for it to exit: SIGTERM (SIGKILL after 20 s), or `signal` (e.g. "SIGKILL" for a
   * crash). A no-op when it is not running. Unless `keepChain` is false, the chain is read first so
   * that the next `start()` brings it back.
   */
  async stop(o: StopOptions = {}): Promise<void> {
    let readError: unknown;
    this.savedChain = undefined;
    if (o.keepChain !== false && this.running) {
      try {
        this.savedChain = await this.readChain();
      } catch (e) {
        readError = e;
      }
    }
    await this.btcd.stop({ signal: o.signal ?? "SIGTERM" });
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
    return this.btcd.logTail(lines);
  }

  /** <dataDir>/btcctl.conf, written by `start()`: this node's RPC server and credentials for btcctl. */
  get btcctlConfigFile(): string {
    return this.btcd.btcctlConfigFile;
  }

  /** Runs .bin/btcctl against this node, always with `--configfile` (app/node/btcd.ts btcctlArgs): never the user's btcctl.conf. */
  btcctl(args: readonly string[]): string {
    return this.btcd.btcctl(args, { binary: BTCCTL });
  }

  /** Stop btcd and delete the data folder if this node made it. */
  async remove(): Promise<void> {
    await this.stop({ keepChain: false });
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Create and start a regtest btcd; the caller must `stop()` or `remove()` it (in afterAll). */
export async function startBtcd(o: BtcdOptions = {}): Promise<BtcdNode> {
  let { rpcPort, p2pPort } = o;
  if (rpcPort === undefined || p2pPort === undefined) {
    const base = await freePortBlock(2);
    rpcPort ??= base;
    p2pPort ??= base + 1;
  }
  const node = BtcdNode.create({ ...o, rpcPort, p2pPort });
  await node.start();
  return node;
}
