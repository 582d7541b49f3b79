/**
 * Sustained load through one real validator (`pegzone start`: the app plus CometBFT) on this
 * machine: pre-signed MsgSends from many accounts are broadcast as fast as the node accepts them
 * (broadcast_tx_sync, one in flight per account), then every block is read back to count the
 * committed txs and each tx's time from broadcast to its block. Load generator, CometBFT and the
 * app share the machine's cores.
 *
 *   BENCH_LOAD_SECONDS (default 60)  how long to keep sending
 *   BENCH_LOAD_ACCOUNTS (default 400)  sending accounts (also the number of requests in flight)
 *   BENCH_LOAD_NODE_ARGS              extra node flags for the app process, e.g. "--cpu-prof"
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { ecdsaSign } from "secp256k1";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { signDirect } from "../chain/tx/build";
import { addGenesisAccount } from "../chain/cli/genesis";
import { createTestnet } from "../chain/node/testnet";
import { printResults, type BenchResult } from "./result";

interface Sender {
  privateKey: Uint8Array;
  pubkey: Uint8Array;
  address: string;
}

async function rpc<T>(url: string, method: string, params: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string; data?: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message} ${body.error.data ?? ""}`);
  return body.result as T;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function benchLoad(): Promise<BenchResult[]> {
  const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
  const accountCount = Number(process.env.BENCH_LOAD_ACCOUNTS ?? 400);
  const perAccount = Math.ceil((seconds * 2500) / accountCount); // more than the node can take in `seconds`
  const senders: Sender[] = Array.from({ length: accountCount }, (_, i) => {
    const privateKey = createHash("sha256").update(`pegzone load account ${i}`).digest();
    const pubkey = publicKeyFromPrivate(privateKey);
    return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)) };
  });

  const dir = mkdtempSync(join(tmpdir(), "pegzone-bench-load-"));
  const { nodes } = createTestnet({
    validators: 1, outputDir: dir, chainId: "bench-load", basePort: 25756, timeoutCommit: "500ms", genesisTime: new Date(),
    appState: () => {
      const doc = { app_state: {} } as Parameters<typeof addGenesisAccount>[0];
      for (const s of senders) addGenesisAccount(doc, s.address, "1000000000000upeg");
      return doc.app_state;
    },
  });
  const url = `http://127.0.0.1:${nodes[0].ports.rpc}`;
  const nodeArgs = (process.env.BENCH_LOAD_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const node = spawn(process.execPath, [...nodeArgs, join(__dirname, "..", "chain", "cli", "main.js"), "start", "--home", nodes[0].home.dir], { stdio: "ignore" });
  try {
    for (;;) {
      const h = await rpc<{ sync_info: { latest_block_height: string } }>(url, "status", {}).then((s) => Number(s.sync_info.latest_block_height)).catch(() => 0);
      if (h >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    // Pre-sign with libsecp256k1 so that signing does not compete with the node for CPU during the run.
    const t0sign = performance.now();
    const fee = { amount: [{ denom: "upeg", amount: "250" }], gasLimit: 100_000n };
    const queues = senders.map((s, i) => {
      const to = senders[(i + 1) % senders.length].address;
      const sign = (bytes: Uint8Array) => ecdsaSign(createHash("sha256").update(bytes).digest(), s.privateKey).signature;
      return Array.from({ length: perAccount }, (_, seq) => {
        const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: s.address, toAddress: to, amount: [{ denom: "upeg", amount: "1" }] }).finish() };
        return signDirect({ messages: [msg], fee, sequence: BigInt(seq) }, { pubkey: s.pubkey, sign }, "bench-load", BigInt(i));
      });
    });
    const signSeconds = (performance.now() - t0sign) / 1000;

    const sentAt = new Map<string, number>();
    let rejected = 0;
    const startHeight = Number((await rpc<{ sync_info: { latest_block_height: string } }>(url, "status", {})).sync_info.latest_block_height);
    const start = performance.now();
    const deadline = start + seconds * 1000;
    await Promise.all(
      queues.map(async (txs) => {
        for (const tx of txs) {
          if (performance.now() > deadline) return;
          const hash = createHash("sha256").update(tx).digest("hex").toUpperCase();
          sentAt.set(hash, Date.now());
          const res = await rpc<{ code: number }>(url, "broadcast_tx_sync", { tx: Buffer.from(tx).toString("base64") }).catch(() => ({ code: -1 }));
          if (res.code !== 0) {
            rejected++;
            sentAt.delete(hash);
            return; // this account's later sequences would fail too
          }
        }
      }),
    );
    const sendSeconds = (performance.now() - start) / 1000;

    // Let the mempool drain, then read every block since the start.
    let endHeight = startHeight;
    for (let idle = 0; idle < 6; ) {
      await new Promise((r) => setTimeout(r, 500));
      const unconfirmed = await rpc<{ n_txs: string }>(url, "num_unconfirmed_txs", {});
      endHeight = Number((await rpc<{ sync_info: { latest_block_height: string } }>(url, "status", {})).sync_info.latest_block_height);
      idle = unconfirmed.n_txs === "0" ? idle + 1 : 0;
    }
    const latencies: number[] = [];
    let committed = 0;
    let failedInBlock = 0;
    let firstTime = Infinity;
    let lastTime = 0;
    for (let h = startHeight + 1; h <= endHeight; h++) {
      const { block } = await rpc<{ block: { header: { time: string }; data: { txs: string[] | null } } }>(url, "block", { height: String(h) });
      const results = await rpc<{ txs_results: Array<{ code: number }> | null }>(url, "block_results", { height: String(h) });
      const blockTime = Date.parse(block.header.time);
      for (const [i, tx] of (block.data.txs ?? []).entries()) {
        const hash = createHash("sha256").update(Buffer.from(tx, "base64")).digest("hex").toUpperCase();
        const sent = sentAt.get(hash);
        if (sent === undefined) continue;
        if (results.txs_results?.[i]?.code !== 0) failedInBlock++;
        committed++;
        latencies.push(blockTime - sent);
        firstTime = Math.min(firstTime, blockTime);
        lastTime = Math.max(lastTime, blockTime);
      }
    }
    latencies.sort((a, b) => a - b);
    const accepted = sentAt.size;
    const span = Math.max(1, (lastTime - firstTime) / 1000);
    return [
      { name: "load: txs committed per second (sustained)", value: Math.round(committed / span), unit: "tx/s", note: `${committed} txs over ${span.toFixed(1)} s of blocks` },
      { name: "load: txs accepted by CheckTx", value: accepted, unit: "txs", note: `${rejected} refused at broadcast; ${sendSeconds.toFixed(1)} s of sending` },
      { name: "load: accepted txs lost (accepted, never committed)", value: accepted - committed, unit: "txs" },
      { name: "load: committed txs that failed in the block", value: failedInBlock, unit: "txs" },
      { name: "load: time to commit, p50", value: percentile(latencies, 50), unit: "ms" },
      { name: "load: time to commit, p99", value: percentile(latencies, 99), unit: "ms" },
      { name: "load: pre-signing rate (libsecp256k1)", value: Math.round((accountCount * perAccount) / signSeconds), unit: "tx/s" },
    ];
  } finally {
    node.kill("SIGTERM");
    await new Promise((r) => node.on("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchLoad().then((r) => printResults("Load through one validator", r));
}
