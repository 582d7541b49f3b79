/**
 * Sustained load through one real validator (`pegzone start`: the app plus CometBFT) on this
 * machine, with the CPU each process used over the window (/proc) and their memory at its end: pre-signed MsgSends from many accounts are broadcast as fast as the node accepts them,
 * then every block is read back to count the committed txs and each tx's time from broadcast to its
 * block (the wall-clock time its height was first seen, polled every 20 ms). Load generator,
 * CometBFT and the app share the machine's cores.
 *
 * The accounts are split into groups; each group sends JSON-RPC batches of broadcast_tx_sync (one tx
 * per account per batch, the next sequence only after the previous one was accepted), so a request
 * carries many txs: one HTTP round trip per batch instead of per tx on both sides.
 *
 *   BENCH_LOAD_SECONDS (default 60)  how long to keep sending
 *   BENCH_LOAD_ACCOUNTS (default 400)  sending accounts
 *   BENCH_LOAD_BATCH (default 10, CometBFT's max_request_batch_size)  accounts per group; 1 = a request per tx
 *   BENCH_LOAD_GAS (default 80000)    each tx's gas limit; a send uses about 40,000, and a block takes at most 100M in total
 *   BENCH_LOAD_NODE_ARGS              extra node flags for the app process, e.g. "--cpu-prof"
 *   BENCH_LOAD_COMET_PROFILE          a file: CometBFT's CPU profile (pprof) of the first 20 s of sending is written there
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { ecdsaSign } from "secp256k1";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { signDirect } from "../chain/tx/build";
import { addGenesisAccount } from "../app/cli/genesis";
import { repoRoot } from "../app/node/cometbft";
import { createTestnet } from "../app/node/testnet";
import { childNamed, cpuSeconds, rssMiB } from "./proc-cpu";
import { printResults, type BenchResult } from "./result";

interface Sender {
  privateKey: Uint8Array;
  pubkey: Uint8Array;
  address: string;
}

/** broadcast_tx_sync of each tx in one JSON-RPC batch; returns the CheckTx codes in order (-1: the call failed). */
async function broadcastBatch(url: string, txs: Uint8Array[]): Promise<number[]> {
  const body = JSON.stringify(txs.map((tx, id) => ({ jsonrpc: "2.0", id, method: "broadcast_tx_sync", params: { tx: Buffer.from(tx).toString("base64") } })));
  try {
    const res = (await (await fetch(url, { method: "POST", body })).json()) as Array<{ id: number; result?: { code: number } }>;
    if (!Array.isArray(res)) throw new Error(`not a batch response: ${JSON.stringify(res).slice(0, 300)}`);
    const codes = txs.map(() => -1);
    for (const r of res) codes[r.id] = r.result?.code ?? -1;
    if (process.env.BENCH_LOAD_DEBUG && codes.some((c) => c !== 0)) console.error(JSON.stringify(res).slice(0, 500));
    return codes;
  } catch (err) {
    if (process.env.BENCH_LOAD_DEBUG) console.error(err);
    return txs.map(() => -1);
  }
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
  const batchSize = Math.max(1, Number(process.env.BENCH_LOAD_BATCH ?? 10));
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
  const cometProfile = process.env.BENCH_LOAD_COMET_PROFILE;
  const pprofAddress = `127.0.0.1:${nodes[0].ports.rpc + 9}`;
  if (cometProfile) {
    const config = nodes[0].home.cometConfigFile;
    writeFileSync(config, readFileSync(config, "utf8").replace("[rpc]\n", `[rpc]\npprof_laddr = "${pprofAddress}"\n`));
  }
  const nodeArgs = (process.env.BENCH_LOAD_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const node = spawn(process.execPath, [...nodeArgs, join(repoRoot(), "dist", "app", "cli", "main.js"), "start", "--home", nodes[0].home.dir], { stdio: "ignore" });
  try {
    for (;;) {
      const h = await rpc<{ sync_info: { latest_block_height: string } }>(url, "status", {}).then((s) => Number(s.sync_info.latest_block_height)).catch(() => 0);
      if (h >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    // Pre-sign with libsecp256k1 so that signing does not compete with the node for CPU during the run.
    const t0sign = performance.now();
    const gasLimit = BigInt(process.env.BENCH_LOAD_GAS ?? 80_000);
    const fee = { amount: [{ denom: "upeg", amount: String((gasLimit * 25n + 9_999n) / 10_000n) }], gasLimit };
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
    // When each height was first seen committed (wall clock): a block header's time is its
    // proposal's BFT time, which can precede a tx sent just before the block was decided.
    const committedAt = new Map<number, number>();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const h = await rpc<{ sync_info: { latest_block_height: string } }>(url, "status", {}).then((st) => Number(st.sync_info.latest_block_height)).catch(() => 0);
        if (h > 0 && !committedAt.has(h)) committedAt.set(h, Date.now());
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    let rejected = 0;
    const comet = childNamed(node.pid!, "cometbft");
    if (comet === undefined) throw new Error("the node's CometBFT process was not found");
    const cpuAtStart = { app: cpuSeconds(node.pid!), comet: cpuSeconds(comet), generator: process.cpuUsage() };
    const profiled = cometProfile
      ? fetch(`http://${pprofAddress}/debug/pprof/profile?seconds=20`).then(async (r) => writeFileSync(cometProfile, Buffer.from(await r.arrayBuffer())))
      : Promise.resolve();
    const startHeight = Number((await rpc<{ sync_info: { latest_block_height: string } }>(url, "status", {})).sync_info.latest_block_height);
    const start = performance.now();
    const deadline = start + seconds * 1000;
    const groups: number[][] = [];
    for (let i = 0; i < queues.length; i += batchSize) groups.push(Array.from({ length: Math.min(batchSize, queues.length - i) }, (_, k) => i + k));
    await Promise.all(
      groups.map(async (group) => {
        let live = group;
        for (let seq = 0; live.length > 0 && seq < perAccount && performance.now() < deadline; seq++) {
          const txs = live.map((a) => queues[a][seq]);
          const hashes = txs.map((tx) => createHash("sha256").update(tx).digest("hex").toUpperCase());
          const now = Date.now();
          for (const h of hashes) sentAt.set(h, now);
          const codes = await broadcastBatch(url, txs);
          // an account whose tx was refused stops: its later sequences would fail too
          live = live.filter((_, k) => {
            if (codes[k] === 0) return true;
            rejected++;
            sentAt.delete(hashes[k]);
            return false;
          });
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
    const window = (performance.now() - start) / 1000;
    const generatorUsage = process.cpuUsage(cpuAtStart.generator);
    const cpu = {
      app: cpuSeconds(node.pid!) - cpuAtStart.app,
      comet: cpuSeconds(comet) - cpuAtStart.comet,
      generator: (generatorUsage.user + generatorUsage.system) / 1e6,
    };
    await profiled;
    const appRss = rssMiB(node.pid!);
    const cometRss = rssMiB(comet);
    polling = false;
    await poller;
    const latencies: number[] = [];
    let committed = 0;
    let failedInBlock = 0;
    let firstTime = Infinity;
    let lastTime = 0;
    let blocksWithLoad = 0;
    let largestBlock = 0;
    for (let h = startHeight + 1; h <= endHeight; h++) {
      const { block } = await rpc<{ block: { header: { time: string }; data: { txs: string[] | null } } }>(url, "block", { height: String(h) });
      const results = await rpc<{ txs_results: Array<{ code: number }> | null }>(url, "block_results", { height: String(h) });
      const blockTime = Date.parse(block.header.time);
      const ours = (block.data.txs ?? []).length;
      if (ours > 0) blocksWithLoad++;
      largestBlock = Math.max(largestBlock, ours);
      for (const [i, tx] of (block.data.txs ?? []).entries()) {
        const hash = createHash("sha256").update(Buffer.from(tx, "base64")).digest("hex").toUpperCase();
        const sent = sentAt.get(hash);
        if (sent === undefined) continue;
        if (results.txs_results?.[i]?.code !== 0) failedInBlock++;
        committed++;
        latencies.push((committedAt.get(h) ?? blockTime) - sent);
        firstTime = Math.min(firstTime, blockTime);
        lastTime = Math.max(lastTime, blockTime);
      }
    }
    latencies.sort((a, b) => a - b);
    const accepted = sentAt.size;
    const span = Math.max(1, (lastTime - firstTime) / 1000);
    return [
      { name: "load: txs committed per second (sustained)", value: Math.round(committed / span), unit: "tx/s", note: `${committed} txs over ${span.toFixed(1)} s of blocks` },
      { name: "load: txs per block, mean and largest", value: Math.round(committed / Math.max(1, blocksWithLoad)), unit: "txs", note: `largest ${largestBlock}; ${blocksWithLoad} blocks, one every ${((span * 1000) / Math.max(1, blocksWithLoad - 1)).toFixed(0)} ms` },
      { name: "load: txs accepted by CheckTx", value: accepted, unit: "txs", note: `${rejected} refused at broadcast; ${sendSeconds.toFixed(1)} s of sending` },
      { name: "load: accepted txs lost (accepted, never committed)", value: accepted - committed, unit: "txs" },
      { name: "load: committed txs that failed in the block", value: failedInBlock, unit: "txs" },
      { name: "load: time to commit, p50", value: percentile(latencies, 50), unit: "ms" },
      { name: "load: time to commit, p99", value: percentile(latencies, 99), unit: "ms" },
      { name: "load: cores used by the app", value: Number((cpu.app / window).toFixed(2)), unit: "cores", note: `${cpu.app.toFixed(1)} CPU-s over ${window.toFixed(1)} s of sending and draining` },
      { name: "load: cores used by CometBFT", value: Number((cpu.comet / window).toFixed(2)), unit: "cores", note: `${cpu.comet.toFixed(1)} CPU-s` },
      { name: "load: cores used by the load generator", value: Number((cpu.generator / window).toFixed(2)), unit: "cores", note: `${cpu.generator.toFixed(1)} CPU-s (sending, polling; this process)` },
      { name: "load: CPU-seconds per 1,000 committed txs (app + CometBFT)", value: Number((((cpu.app + cpu.comet) / Math.max(1, committed)) * 1000).toFixed(2)), unit: "CPU-s", note: `app ${((cpu.app / Math.max(1, committed)) * 1000).toFixed(2)}, CometBFT ${((cpu.comet / Math.max(1, committed)) * 1000).toFixed(2)}` },
      { name: "load: resident memory at the end, app / CometBFT", value: Math.round(appRss), unit: "MiB", note: `CometBFT ${Math.round(cometRss)} MiB` },
      { name: "load: pre-signing rate (libsecp256k1)", value: Math.round((accountCount * perAccount) / signSeconds), unit: "tx/s" },
    ];
  } finally {
    if (node.exitCode === null && node.signalCode === null) {
      node.kill("SIGTERM");
      await new Promise((r) => node.on("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchLoad().then((r) => printResults("Load through one validator", r));
}
