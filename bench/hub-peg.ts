/**
 * Cosmos Hub peg-in latency and peg-out time (issue 12), end to end through the real components, as
 * test/swap.test.ts and test/hub-peg-in.test.ts run them:
 *
 *  - a local Hub (LocalHub: gaiad v25.1.1, one validator) with `timeout_commit` as the row says;
 *  - one pegzone validator from `pegzone testnet --validators 1 --hub-rpc <hub> --batch-interval B`
 *    (the Hub pegged with a 1-of-1 federation of the validator's signer key), `timeout_commit` as the
 *    row says;
 *  - `pegzone relayer --mainchain hub-local --cometbft-rpc <hub>` and `pegzone signer --home <node0>`
 *    as child processes, both with the row's `--poll-interval`.
 *
 * Peg-in: N deposits one after another, each a `gaiad tx bank send <federation account> --note
 * <alice's peg1 address>` (LocalHub.sendWithMemo). Per deposit: the Hub height H of its tx, when H was
 * first seen committed (the Hub's /status polled every 50 ms; H's header time is shown too), when H+1
 * was, and when alice's peg/hub-local balance first showed the deposit (polled every 100 ms).
 *
 * Peg-out: N withdrawals one after another, each a MsgRequestWithdrawal signed and sent in process
 * (chain/client/tx, as the CLI does). Per withdrawal: the request sent; its pegzone block seen; the
 * release paying it built (its `built_at` block seen); the release SIGNED (first seen, 100 ms polls);
 * the relayer's "broadcast release" log line; the Hub tx committed (the release's `signed_tx` sha256
 * found with /tx, its height's first sighting on the Hub's /status); the withdrawal COMPLETED on
 * pegzone (first seen, 100 ms polls).
 *
 * Each request waits a random pause first (deposits: uniform in [0, poll interval); withdrawals:
 * uniform in [0, batch interval × pegzone timeout_commit)): a request sent the moment the previous
 * one finished would fall in step with the relayer's rounds and the batch, and every withdrawal would
 * wait the same. Each row's figures: median, p90 (nearest rank) and max.
 *
 * Rows (BENCH_HUB_PEG_ROWS, comma-separated `hub_timeout_commit/pegzone_timeout_commit/poll_ms`):
 * default `1s/1s/2000` (a real-ish chain with the daemons' default poll interval) and `200ms/200ms/300`
 * (the end-to-end tests' settings). BENCH_HUB_PEG_N (default 10) deposits and withdrawals per row,
 * BENCH_HUB_PEG_BATCH (default 5) the batch interval in pegzone blocks; BENCH_HUB_PEG_RAW=1 prints
 * every sample as JSON, BENCH_HUB_PEG_KEEP=1 keeps the pegzone home and the daemons' logs. Skipped,
 * saying why, when .bin/gaiad is missing. Needs dist/ (`npm run build`; `npm run prebench` builds both).
 *
 *   npm run prebench && node .bench-build/bench/hub-peg.js
 *   npm run bench -- hub-peg
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { repoRoot } from "../app/node/cometbft";
import { DEFAULT_GAS_PRICES } from "../app/pegzone";
import { anyMsg } from "../chain/client/query";
import { RpcClient } from "../chain/client/rpc";
import { signAndBroadcast } from "../chain/client/tx";
import { toBech32 } from "../chain/crypto/address";
import { deriveKeyFromMnemonic, rawKeySigner } from "../chain/keys/keyring";
import { sha256 } from "../chain/store/sha256";
import { toHexUpper } from "../light-client/tendermint/proof-json";
import { pegQuery } from "../modules/peg/client";
import { pegTypeUrls } from "../modules/peg/msgs";
import { pegzone } from "../proto";
import { GAIAD_MISSING, haveGaiad, LocalHub } from "../test/support/gaiad";
import { freePortBlock, latestHeight, Proc, rpc, sleep, waitForHeight } from "../test/support/harness";
import { type BenchResult, printResults } from "./result";

const v1 = pegzone.peg.v1;
const HUB = "hub-local";
const PEGGED = `peg/${HUB}`;
const PEG_IN_FEE = 100n; // TENDERMINT_MAINCHAIN_DEFAULTS.peg_in_fee, what `pegzone testnet` registers
const DEPOSIT = 5_000_000n; // stake
const WITHDRAWAL = 1_000_000n; // peg/hub-local
const RELAYER_MNEMONIC = "test test test test test test test test test test test junk";
const ALICE_MNEMONIC = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
const TX = { gas: "auto" as const, gasAdjustment: "1.4", gasPrices: DEFAULT_GAS_PRICES };
/**
 * The built CLI. test/support/harness.ts's CLI (and its Testnet, runCli) resolve dist/ from their own
 * folder, which is .bench-build/ once compiled for the benches: the repository's dist/ is used here.
 */
const CLI = join(repoRoot(), "dist", "app", "cli", "main.js");

function pegzoneCli(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`pegzone ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

interface Row {
  hubCommit: string;
  pegCommit: string;
  pollMs: number;
}

function parseRows(text: string): Row[] {
  return text.split(",").map((part) => {
    const [hubCommit, pegCommit, poll] = part.trim().split("/");
    if (!hubCommit || !pegCommit || !/^\d+$/.test(poll ?? "")) throw new Error(`BENCH_HUB_PEG_ROWS: want hub_commit/pegzone_commit/poll_ms[,...], e.g. 1s/1s/2000, got ${JSON.stringify(part)}`);
    durationMs(hubCommit);
    durationMs(pegCommit);
    return { hubCommit, pegCommit, pollMs: Number(poll) };
  });
}

/** Wall-clock milliseconds (all processes share this machine's clock). */
const now = () => Date.now();
const secs = (ms: number) => Math.round(ms / 100) / 10;

/** A CometBFT duration as config.toml writes it ("1s", "200ms", "1.5s"), in ms. */
function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (!m) throw new Error(`bench hub-peg: a timeout_commit like 1s or 200ms, got ${JSON.stringify(text)}`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

/** Uniform in [0, maxMs). */
const pause = (maxMs: number) => sleep(Math.floor(Math.random() * maxMs));

/** Median, p90 (nearest rank) and max of `xs`. */
function stats(xs: number[]): { median: number; p90: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, p90: s[Math.max(0, Math.ceil(0.9 * n) - 1)], max: s[n - 1], n };
}

/**
 * When each height of a chain was first seen committed: /status polled every `everyMs`. A height the
 * polls jumped over gets the time of the sighting that passed it (an upper bound, at most one poll late).
 */
class HeightWatcher {
  private readonly seen = new Map<number, number>();
  private last = 0;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly url: string, everyMs: number) {
    this.loop = (async () => {
      while (this.running) {
        const h = await latestHeight(this.url).catch(() => 0);
        const t = now();
        for (let k = this.last + 1; k <= h; k++) this.seen.set(k, t);
        if (h > this.last) this.last = h;
        await sleep(everyMs);
      }
    })();
  }

  get latest(): number {
    return this.last;
  }

  /** When `height` was first seen committed; waits for it. */
  async at(height: number, timeoutMs = 120_000): Promise<number> {
    const deadline = now() + timeoutMs;
    for (;;) {
      const t = this.seen.get(height);
      if (t !== undefined) return t;
      if (now() > deadline) throw new Error(`bench hub-peg: ${this.url} never reached height ${height}`);
      await sleep(20);
    }
  }

  /** Heights first seen in (from, to]. */
  countBetween(from: number, to: number): number {
    let n = 0;
    for (const t of this.seen.values()) if (t > from && t <= to) n++;
    return n;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** JSON log lines of a daemon (pino), kept with their wall time. */
interface LogLine {
  time: number;
  msg: string;
  [k: string]: unknown;
}

function collectLog(p: Proc, into: LogLine[]): void {
  p.onLine((line) => {
    try {
      const j = JSON.parse(line) as LogLine;
      if (typeof j.time === "number" && typeof j.msg === "string") into.push(j);
    } catch {
      // not a log line
    }
  });
}

/** A failure `until` does not retry. */
class Fatal extends Error {}

/** Polls `fn` every `everyMs` until it returns a value; errors count as not yet, except a Fatal. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, everyMs: number, timeoutMs: number): Promise<T> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const v = await fn().catch((err: unknown) => {
      if (err instanceof Fatal) throw err;
      return undefined;
    });
    if (v !== undefined) return v;
    if (now() > deadline) throw new Error(`bench hub-peg: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** The header time of a Hub block, ms since the epoch. */
async function headerTime(url: string, height: number): Promise<number> {
  const r = await rpc<{ block: { header: { time: string } } }>(url, "block", { height: String(height) });
  return Date.parse(r.block.header.time);
}

/** Port lock files test/support/harness.ts's freePortBlock made for this process (its afterAll removes them under jest). */
function releasePortLocks(base: number, size: number): void {
  for (let port = base; port < base + size; port++) {
    const file = join(tmpdir(), `pegzone-port-${port}.lock`);
    try {
      if (readFileSync(file, "utf8").trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // not ours, or gone
    }
  }
}

interface DepositTiming {
  height: number;
  /** H first seen committed → balance. */
  latency: number;
  /** H's header time → balance. */
  fromHeader: number;
  /** H first seen → H+1 first seen. */
  nextBlock: number;
  /** H+1 first seen → balance. */
  afterNext: number;
  /** pegzone blocks committed between H+1 first seen and the balance. */
  pegBlocks: number;
}

interface WithdrawalTiming {
  id: number;
  /** Request sent → its pegzone block seen. */
  requestCommitted: number;
  /** Request sent → the release's built_at block seen (the batch). */
  built: number;
  /** Request sent → the release first seen SIGNED. */
  signed: number;
  /** Request sent → the relayer's "broadcast release" log line (NaN when it was not logged). */
  broadcast: number;
  /** Request sent → the Hub block holding the release tx seen. */
  hubCommitted: number;
  /** Request sent → COMPLETED first seen on pegzone. */
  completed: number;
  /** pegzone blocks committed between the Hub block seen and COMPLETED. */
  pegBlocksToComplete: number;
  /** Hub height of the release tx. */
  hubHeight: number;
}

interface RowResult {
  row: Row;
  batch: number;
  deposits: DepositTiming[];
  withdrawals: WithdrawalTiming[];
  /** Account proofs the relayer sent during the withdrawals. */
  accountProofs: number;
  seconds: number;
  /** 1-minute load average at the start and at the end. */
  load: [number, number];
}

async function runRow(row: Row, n: number, batch: number): Promise<RowResult> {
  const started = now();
  const loadBefore = loadavg()[0];
  const relayerKey = rawKeySigner("relayer", deriveKeyFromMnemonic(RELAYER_MNEMONIC).privateKey);
  const alice = rawKeySigner("alice", deriveKeyFromMnemonic(ALICE_MNEMONIC).privateKey);
  const destination = toBech32("cosmos", createHash("sha256").update("bench hub-peg: alice on the Hub").digest().subarray(0, 20));

  const hub = await LocalHub.create({ timeoutCommit: row.hubCommit });
  let dir: string | undefined;
  let netBase: number | undefined;
  const procs: Proc[] = [];
  const watchers: HeightWatcher[] = [];
  let balancePoller: Promise<void> | undefined;
  let polling = true;
  try {
    await hub.start(3);
    netBase = await freePortBlock(10);
    dir = mkdtempSync(join(tmpdir(), "pegzone-bench-hub-peg-"));
    const [node0] = JSON.parse(
      pegzoneCli([
        "testnet", "--validators", "1", "--output", dir, "--base-port", String(netBase), "--timeout-commit", row.pegCommit, "--chain-id", "bench-hub-peg",
        "--account", `${alice.address}=1000000000upeg`, "--account", `${relayerKey.address}=1000000000upeg`,
        "--batch-interval", String(batch), "--hub-rpc", hub.rpcUrl, "--hub-id", HUB,
      ]),
    ) as Array<{ home: string; rpc: string }>;
    procs.push(new Proc(process.execPath, [CLI, "start", "--home", node0.home], join(dir, "node0.log")));
    const url = node0.rpc;
    await waitForHeight(url, 2, 90_000);
    const pegRpc = new RpcClient(url);

    pegzoneCli(["keys", "add", "relayer", "--recover", "--keyring-backend", "test", "--home", dir], { PEGZONE_MNEMONIC: RELAYER_MNEMONIC });
    const relayerLog: LogLine[] = [];
    const signerLog: LogLine[] = [];
    const poll = ["--poll-interval", String(row.pollMs)];
    const relayer = new Proc(process.execPath, [CLI, "relayer", "--mainchain", HUB, "--cometbft-rpc", hub.rpcUrl, "--from", "relayer", "--keyring-backend", "test", "--home", dir, "--node", url, ...poll], join(dir, "relayer.log"), { PEGZONE_LOG_FORMAT: "json" });
    procs.push(relayer);
    collectLog(relayer, relayerLog);
    const signer = new Proc(process.execPath, [CLI, "signer", "--home", node0.home, "--node", url, ...poll], join(dir, "signer.log"), { PEGZONE_LOG_FORMAT: "json" });
    procs.push(signer);
    collectLog(signer, signerLog);

    const hubSeen = new HeightWatcher(hub.rpcUrl, 50);
    const pegSeen = new HeightWatcher(url, 50);
    watchers.push(hubSeen, pegSeen);

    // Alice's pegged balance, every 100 ms: each change with the time it was first seen.
    const balanceSeen: Array<{ t: number; amount: bigint }> = [];
    const balance = async () =>
      BigInt(QueryBalanceResponse.decode(await pegRpc.query("/cosmos.bank.v1beta1.Query/Balance", QueryBalanceRequest.encode({ address: alice.address, denom: PEGGED }).finish())).balance?.amount ?? "0");
    balancePoller = (async () => {
      let last = -1n;
      while (polling) {
        const amount = await balance().catch(() => undefined);
        if (amount !== undefined && amount !== last) {
          balanceSeen.push({ t: now(), amount });
          last = amount;
        }
        await sleep(100);
      }
    })();

    const { address: fed, memo } = await pegQuery(pegRpc, "DepositAddress", v1.QueryDepositAddressRequest, { mainchain: HUB, recipient: alice.address }, v1.QueryDepositAddressResponse);
    if (memo !== alice.address) throw new Error(`bench hub-peg: the deposit memo is ${memo}, not alice's address`);
    console.error(`[hub-peg ${row.hubCommit}/${row.pegCommit}/${row.pollMs}] up after ${secs(now() - started)} s; ${n} deposits`);

    // ---- peg-in
    const deposits: DepositTiming[] = [];
    let expected = 0n;
    for (let i = 0; i < n; i++) {
      await pause(row.pollMs);
      const sent = await hub.sendWithMemo({ to: fed, amount: DEPOSIT, memo: alice.address });
      if (sent.code !== 0) throw new Error(`bench hub-peg: deposit ${i} failed on the Hub with code ${sent.code}`);
      expected += DEPOSIT - PEG_IN_FEE;
      const h = Number(sent.height);
      const minted = await until(`deposit ${i} (Hub height ${h}) minted`, async () => balanceSeen.find((b) => b.amount >= expected)?.t, 50, 120_000);
      const [seenH, seenNext, header] = [await hubSeen.at(h), await hubSeen.at(h + 1), await headerTime(hub.rpcUrl, h)];
      deposits.push({ height: h, latency: minted - seenH, fromHeader: minted - header, nextBlock: seenNext - seenH, afterNext: minted - seenNext, pegBlocks: pegSeen.countBetween(seenNext, minted) });
    }
    const minted = await balance();
    if (minted !== expected) throw new Error(`bench hub-peg: alice holds ${minted} ${PEGGED}, expected ${expected}`);
    console.error(`[hub-peg] deposits done after ${secs(now() - started)} s; withdrawals`);

    // ---- peg-out
    const withdraw = async (): Promise<WithdrawalTiming> => {
      const before = new Set((await pegQuery(pegRpc, "Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: HUB, owner: alice.address }, v1.QueryWithdrawalsResponse)).withdrawals.map((w) => Number(w.id)));
      const t0 = now();
      const res = await signAndBroadcast(pegRpc, alice, [anyMsg(pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: alice.address, mainchain: HUB, amount: WITHDRAWAL.toString(), destination })], TX);
      if (res.code !== 0) throw new Error(`bench hub-peg: withdrawal refused: ${res.codespace} ${res.code}: ${res.raw_log}`);
      const requestCommitted = (await pegSeen.at(Number(res.height))) - t0;
      const mine = (await pegQuery(pegRpc, "Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: HUB, owner: alice.address }, v1.QueryWithdrawalsResponse)).withdrawals.find((w) => !before.has(Number(w.id)));
      if (mine === undefined) throw new Error("bench hub-peg: the new withdrawal is not listed");
      const id = Number(mine.id);
      const withdrawal = async () => (await pegQuery(pegRpc, "Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: HUB, ids: [id] }, v1.QueryWithdrawalsResponse)).withdrawals[0];
      const releaseId = await until(`withdrawal ${id} in a release`, async () => {
        const w = await withdrawal();
        return Number(w.releaseId) !== 0 ? Number(w.releaseId) : undefined;
      }, 100, 180_000);
      const release = async () => (await pegQuery(pegRpc, "Release", v1.QueryReleaseRequest, { mainchain: HUB, id: releaseId }, v1.QueryReleaseResponse)).release!;
      const builtAt = Number((await release()).builtAt);
      const built = (await pegSeen.at(builtAt)) - t0;
      const signedTx = await until(`release ${releaseId} signed`, async () => {
        const r = await release();
        if (r.status === v1.ReleaseStatus.RELEASE_STATUS_FAILED) throw new Fatal(`bench hub-peg: release ${releaseId} failed`);
        return r.signedTx && r.signedTx.length > 0 ? r.signedTx : undefined;
      }, 100, 180_000);
      const signedSeen = now() - t0;
      const txhash = toHexUpper(sha256(signedTx));
      const onHub = await until(`release ${releaseId}'s tx ${txhash} on the Hub`, async () => hub.rpc.findTx(txhash, false), 100, 180_000);
      if (onHub.result.code !== 0) throw new Error(`bench hub-peg: release ${releaseId} failed on the Hub with code ${onHub.result.code}`);
      const hubHeight = Number(onHub.height);
      const hubCommittedAt = await hubSeen.at(hubHeight);
      const completedAt = await until(`withdrawal ${id} completed`, async () => ((await withdrawal()).status === v1.WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED ? now() : undefined), 100, 180_000);
      const broadcastLine = relayerLog.find((l) => l.msg === "broadcast release" && l.release === releaseId);
      return {
        id,
        requestCommitted,
        built,
        signed: signedSeen,
        broadcast: broadcastLine ? broadcastLine.time - t0 : NaN,
        hubCommitted: hubCommittedAt - t0,
        completed: completedAt - t0,
        pegBlocksToComplete: pegSeen.countBetween(hubCommittedAt, completedAt),
        hubHeight,
      };
    };
    const proofsBefore = relayerLog.filter((l) => l.msg === "proved the federation account").length;
    const withdrawals: WithdrawalTiming[] = [];
    for (let i = 0; i < n; i++) {
      await pause(batch * durationMs(row.pegCommit));
      withdrawals.push(await withdraw());
    }
    const accountProofs = relayerLog.filter((l) => l.msg === "proved the federation account").length - proofsBefore;
    const left = await balance();
    if (left !== expected - BigInt(n) * WITHDRAWAL) throw new Error(`bench hub-peg: alice holds ${left} ${PEGGED} after the withdrawals`);
    return { row, batch, deposits, withdrawals, accountProofs, seconds: (now() - started) / 1000, load: [loadBefore, loadavg()[0]] };
  } finally {
    polling = false;
    await balancePoller;
    for (const w of watchers) await w.stop();
    // The daemons first, then the node.
    for (const p of [...procs].reverse()) await p.kill("SIGTERM");
    if (dir && !process.env.BENCH_HUB_PEG_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.error(`[hub-peg] kept ${dir}`);
    await hub.remove();
    if (netBase !== undefined) releasePortLocks(netBase, 10);
    releasePortLocks(hub.basePort, 10);
  }
}

const fmtS = (ms: number) => (Number.isNaN(ms) ? "–" : (ms / 1000).toFixed(1));
const triple = (xs: number[]) => {
  const s = stats(xs);
  return `${fmtS(s.median)} / ${fmtS(s.p90)} / ${fmtS(s.max)}`;
};

/** The row's figures as a markdown table (median / p90 / max, seconds). */
function markdown(r: RowResult): string {
  const d = r.deposits;
  const w = r.withdrawals;
  const rel = (f: (x: WithdrawalTiming) => number) => w.map(f);
  const lines = [
    `Hub timeout_commit ${r.row.hubCommit}, pegzone timeout_commit ${r.row.pegCommit}, relayer and signer --poll-interval ${r.row.pollMs} ms, batch interval ${r.batch} blocks; ${d.length} deposits, ${w.length} withdrawals; ${Math.round(r.seconds)} s, load average ${r.load.map((l) => l.toFixed(1)).join(" → ")}`,
    "",
    "| phase | median / p90 / max (s) |",
    "|---|---|",
    `| **peg-in**: Hub block H committed → minted balance on pegzone | **${triple(d.map((x) => x.latency))}** |`,
    `| &nbsp;&nbsp;from H's header time | ${triple(d.map((x) => x.fromHeader))} |`,
    `| &nbsp;&nbsp;H → H+1 committed (the claim needs H+1's last_results_hash) | ${triple(d.map((x) => x.nextBlock))} |`,
    `| &nbsp;&nbsp;H+1 → minted (${stats(d.map((x) => x.pegBlocks)).median} pegzone blocks, median) | ${triple(d.map((x) => x.afterNext))} |`,
    `| withdrawal request sent → committed on pegzone | ${triple(rel((x) => x.requestCommitted))} |`,
    `| request → release built (batch) | ${triple(rel((x) => x.built))} |`,
    `| request → release SIGNED | ${triple(rel((x) => x.signed))} |`,
    `| request → relayer broadcast the release | ${triple(rel((x) => x.broadcast).filter((x) => !Number.isNaN(x)))} |`,
    `| **peg-out**: request → Hub tx committed | **${triple(rel((x) => x.hubCommitted))}** |`,
    `| **peg-out**: request → COMPLETED on pegzone | **${triple(rel((x) => x.completed))}** |`,
    `| &nbsp;&nbsp;Hub tx committed → COMPLETED (${stats(rel((x) => x.pegBlocksToComplete)).median} pegzone blocks, median) | ${triple(rel((x) => x.completed - x.hubCommitted))} |`,
    "",
    `Federation account proofs the relayer sent during the withdrawals: ${r.accountProofs}.`,
  ];
  return lines.join("\n");
}

export async function benchHubPeg(): Promise<BenchResult[]> {
  if (!haveGaiad()) {
    console.warn(`bench hub-peg skipped: ${GAIAD_MISSING}`);
    return [];
  }
  const rows = parseRows(process.env.BENCH_HUB_PEG_ROWS ?? "1s/1s/2000,200ms/200ms/300");
  const n = Number(process.env.BENCH_HUB_PEG_N ?? 10);
  const batch = Number(process.env.BENCH_HUB_PEG_BATCH ?? 5);
  if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(batch) && batch >= 1)) throw new Error("BENCH_HUB_PEG_N and BENCH_HUB_PEG_BATCH must be positive integers");
  const results: BenchResult[] = [];
  for (const row of rows) {
    const r = await runRow(row, n, batch);
    console.log(`\n${markdown(r)}\n`);
    if (process.env.BENCH_HUB_PEG_RAW) console.log(JSON.stringify(r));
    const tag = `Hub ${row.hubCommit} / pegzone ${row.pegCommit} / poll ${row.pollMs} ms`;
    const note = (xs: number[]) => {
      const s = stats(xs);
      return `p90 ${fmtS(s.p90)} s, max ${fmtS(s.max)} s, n ${s.n}, batch interval ${batch}`;
    };
    const add = (name: string, xs: number[]) => results.push({ name: `${name} (${tag})`, value: Math.round(stats(xs).median / 100) / 10, unit: "s median", note: note(xs) });
    add("peg-in: Hub block → minted", r.deposits.map((x) => x.latency));
    add("peg-out: request → Hub tx committed", r.withdrawals.map((x) => x.hubCommitted));
    add("peg-out: request → COMPLETED on pegzone", r.withdrawals.map((x) => x.completed));
  }
  return results;
}

if (require.main === module) {
  benchHubPeg()
    .then((r) => printResults("Cosmos Hub peg-in latency and peg-out time", r))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
