/**
 * The app's own metrics (CometBFT serves its own on its Prometheus port): how long FinalizeBlock
 * and Commit take, txs per block and their results, CheckTx results, the committed height, the
 * state's size on disk and the process's memory. Block timings come from wrapping the ABCI calls
 * the server makes, so the state machine is unchanged and the time covers each call whole.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type * as abci from "cosmjs-types/tendermint/abci/types";
import { CheckTxType } from "cosmjs-types/tendermint/abci/types";
import type { AbciApplication } from "../../../chain/abci/application";
import { ABCI_METHODS } from "./gate";
import { MetricsRegistry } from "../../../chain/metrics/prometheus";

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const TX_COUNTS = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

export class NodeMetrics {
  readonly registry = new MetricsRegistry();
  private readonly finalizeSeconds = this.registry.histogram("pegzone_finalize_block_seconds", "Time FinalizeBlock takes: begin block, every tx, end block, the new app hash.", SECONDS);
  private readonly commitSeconds = this.registry.histogram("pegzone_commit_seconds", "Time Commit takes: the block's state written to LevelDB in one batch.", SECONDS);
  private readonly blockTxs = this.registry.histogram("pegzone_block_txs", "Txs per finalized block.", TX_COUNTS);
  private readonly txs = this.registry.counter("pegzone_txs_total", "Txs executed in finalized blocks, by result (codespace and code; 0 is success).");
  private readonly checkTxs = this.registry.counter("pegzone_check_tx_total", "CheckTx answers (type new or recheck), by result (codespace and code).");
  private readonly height = this.registry.gauge("pegzone_block_height", "The last committed height.");
  private readonly storeBytes = this.registry.gauge("pegzone_store_disk_bytes", "Size of the application state's LevelDB files.");
  private readonly memory = this.registry.gauge("process_resident_memory_bytes", "Resident memory of the app's process.");
  private readonly heap = this.registry.gauge("nodejs_heap_used_bytes", "V8 heap in use.");
  private pendingHeight: bigint | undefined;

  constructor(lastHeight: number, dbDir?: string) {
    this.height.set(lastHeight);
    this.registry.onScrape(async () => {
      const mem = process.memoryUsage();
      this.memory.set(mem.rss);
      this.heap.set(mem.heapUsed);
      if (dbDir !== undefined) this.storeBytes.set(await folderBytes(dbDir));
    });
  }

  /** `app` with its FinalizeBlock, Commit and CheckTx measured; every other call passes through. */
  instrument(app: AbciApplication): AbciApplication {
    const out = Object.fromEntries(ABCI_METHODS.map((name) => [name, app[name].bind(app)])) as unknown as AbciApplication;
    out.finalizeBlock = async (req: abci.RequestFinalizeBlock) => {
      const start = process.hrtime.bigint();
      const res = await app.finalizeBlock(req);
      this.finalizeSeconds.observe(secondsSince(start));
      this.blockTxs.observe(res.txResults.length);
      for (const r of res.txResults) this.txs.inc({ codespace: r.codespace, code: String(r.code) });
      this.pendingHeight = req.height;
      return res;
    };
    out.commit = async (req: abci.RequestCommit) => {
      const start = process.hrtime.bigint();
      const res = await app.commit(req);
      this.commitSeconds.observe(secondsSince(start));
      if (this.pendingHeight !== undefined) this.height.set(Number(this.pendingHeight));
      return res;
    };
    out.checkTx = async (req: abci.RequestCheckTx) => {
      const res = await app.checkTx(req);
      this.checkTxs.inc({ type: req.type === CheckTxType.RECHECK ? "recheck" : "new", codespace: res.codespace, code: String(res.code) });
      return res;
    };
    return out;
  }
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The files of a LevelDB folder (it has no subfolders); files vanishing meanwhile (compactions) count 0. */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) total += (await stat(join(dir, name)).catch(() => undefined))?.size ?? 0;
  return total;
}
