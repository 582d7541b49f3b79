/**
 * Empty blocks per second through real CometBFT with timeout_commit 0: the fixed cost of one
 * block's ABCI round trips (PrepareProposal, ProcessProposal, FinalizeBlock, Commit) plus consensus.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { startNode } from "../app/node/start";
import { createTestnet } from "../app/node/testnet";
import { printResults, type BenchResult } from "./result";

async function height(rpc: string): Promise<number> {
  const res = (await (await fetch(`${rpc}/status`)).json()) as { result: { sync_info: { latest_block_height: string } } };
  return Number(res.result.sync_info.latest_block_height);
}

export async function benchAbci(durationMs = Number(process.env.BENCH_ABCI_MS ?? 20_000)): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "pegzone-bench-abci-"));
  try {
    const { nodes } = createTestnet({ validators: 1, outputDir: dir, chainId: "bench", basePort: 25656, timeoutCommit: "0s", genesisTime: new Date() });
    const cometLog: string[] = [];
    const node = await startNode(nodes[0].home, pino({ level: "warn" }), { onCometLine: (line) => cometLog.push(line) });
    try {
      const rpc = `http://127.0.0.1:${nodes[0].ports.rpc}`;
      const deadline = performance.now() + 60_000;
      while ((await height(rpc).catch(() => 0)) < 3) {
        if (performance.now() > deadline) throw new Error(`the bench node did not start:\n${cometLog.slice(-20).join("\n")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const h0 = await height(rpc);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, durationMs));
      const blocks = (await height(rpc)) - h0;
      const seconds = (performance.now() - t0) / 1000;
      return [{ name: "ABCI: empty blocks/s through CometBFT (timeout_commit 0)", value: Math.round((blocks / seconds) * 10) / 10, unit: "blocks/s", note: `${blocks} blocks in ${seconds.toFixed(1)} s` }];
    } finally {
      await node.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchAbci().then((r) => printResults("ABCI", r));
}
