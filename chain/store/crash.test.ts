/**
 * Crash safety: a child process commits a deterministic workload and is killed with SIGKILL at
 * random moments (often in the middle of a commit or of pruning). Reopening must give exactly the
 * last committed version — same app hash as a replay of the workload — with its data intact and
 * the database holding exactly the nodes reachable from the kept versions.
 */
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { byteString } from "./bytes";
import { CommitMultiStore } from "./commit-multistore";
import { inspectDatabase, prng, workloadBlock, WORKLOAD_STORES } from "../../test/support/store";

const WRITES = 3000;
const KEY_SPACE = 2500;
const KEEP = 3;

function runChild(dir: string): { child: ChildProcess; versions: number[]; started: Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, [join(__dirname, "..", "..", "test", "support", "store-crash-child.cjs"), dir, String(WRITES), String(KEY_SPACE), String(KEEP)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const versions: number[] = [];
  let stderr = "";
  let buf = "";
  let startedResolve: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (startedResolve = resolve));
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const l of lines) {
      if (l.startsWith("open")) startedResolve();
      else versions.push(Number(l));
    }
  });
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve, reject) =>
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`child exited with ${code}: ${stderr}`)))),
  );
  return { child, versions, started, exited };
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timeout waiting for the child");
    await new Promise((r) => setTimeout(r, 2));
  }
}

test("kill -9 at random moments: reopening gives exactly the last committed version", async () => {
  const dir = mkdtempSync(join(tmpdir(), "crash-"));
  const replayDir = mkdtempSync(join(tmpdir(), "crash-replay-"));
  const replay = await CommitMultiStore.open(replayDir, WORKLOAD_STORES, { keepRecent: KEEP });
  const rnd = prng(2024);
  try {
    let reached = 0;
    for (let round = 0; round < 8; round++) {
      const run = runChild(dir);
      await run.started;
      // let it commit a few blocks, then kill it somewhere inside the next ones
      await waitFor(() => run.versions.length >= 2 + (rnd() % 3), 30_000);
      await new Promise((r) => setTimeout(r, rnd() % 120));
      run.child.kill("SIGKILL");
      await run.exited;
      const reported = run.versions.length > 0 ? run.versions[run.versions.length - 1] : reached;

      const ms = await CommitMultiStore.open(dir, WORKLOAD_STORES, { keepRecent: KEEP });
      const last = ms.lastVersion;
      // the commit that was running may or may not have landed, nothing else
      expect(last === reported || last === reported + 1).toBe(true);
      expect(ms.earliestVersion).toBe(Math.max(1, last - KEEP + 1));
      while (replay.lastVersion < last) {
        workloadBlock(replay, replay.workingVersion, WRITES, KEY_SPACE);
        await replay.commit();
      }
      expect(Buffer.from(ms.lastHash).toString("hex")).toBe(Buffer.from(replay.lastHash).toString("hex"));
      for (const name of WORKLOAD_STORES) {
        const got = new Map<string, string>();
        for await (const [k, v] of (await ms.view()).store(name).iterate()) got.set(byteString(k), Buffer.from(v).toString("hex"));
        const want = new Map<string, string>();
        for await (const [k, v] of (await replay.view()).store(name).iterate()) want.set(byteString(k), Buffer.from(v).toString("hex"));
        expect(got).toEqual(want);
      }
      await ms.close();
      const facts = await inspectDatabase(dir);
      expect([...facts.nodeIds].sort()).toEqual([...facts.reachable].sort());
      expect(facts.commitVersions).toEqual(Array.from({ length: Math.min(KEEP, last) }, (_, i) => last - Math.min(KEEP, last) + 1 + i));
      reached = last;
    }
    expect(reached).toBeGreaterThanOrEqual(16);
  } finally {
    await replay.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(replayDir, { recursive: true, force: true });
  }
});
