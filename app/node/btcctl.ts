/**
 * btcctl, btcd's command-line client, always run with `--configfile` pointing at a file pegzone
 * wrote: otherwise it reads (and may create) the passwd home's ~/.btcctl/btcctl.conf, whatever $HOME
 * says, and a user's own settings would leak into every call.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./cometbft";

/** The pinned btcctl that `npm run deps` installs beside btcd; BTCCTL_BIN overrides it. */
export function btcctlBinary(): string {
  if (process.env.BTCCTL_BIN) return process.env.BTCCTL_BIN;
  const pinned = join(repoRoot(), ".bin", "btcctl");
  if (!existsSync(pinned)) throw new Error(`btcctl is not installed: run 'npm run deps' (expected ${pinned})`);
  return pinned;
}

/** Where btcctl sends its calls: a regtest btcd's plain-HTTP RPC. */
export interface BtcctlTarget {
  /** host:port, e.g. 127.0.0.1:18334. */
  readonly rpcServer: string;
  readonly rpcUser: string;
  readonly rpcPassword: string;
}

/**
 * A btcctl.conf (go-flags INI, as btcctl's own sample) for a regtest btcd's plain-HTTP RPC: with it
 * btcctl needs no other flag and reads nothing else (no rpc.cert either, since TLS is off).
 */
export function btcctlConfig(t: BtcctlTarget): string {
  for (const [name, value] of Object.entries(t)) {
    if (typeof value !== "string" || value === "") throw new Error(`btcctl needs ${name}: none given`);
    if (/[\r\n]/.test(value) || value !== value.trim()) throw new Error(`btcctl ${name} must be one line without surrounding spaces, got ${JSON.stringify(value)}`);
  }
  return ["[Application Options]", "regtest=1", "notls=1", `rpcserver=${t.rpcServer}`, `rpcuser=${t.rpcUser}`, `rpcpass=${t.rpcPassword}`, ""].join("\n");
}

/** Writes `btcctlConfig(t)` to `file`, readable by its owner only (it holds the RPC password). */
export function writeBtcctlConfig(file: string, t: BtcctlTarget): void {
  writeFileSync(file, btcctlConfig(t), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * btcctl's command line: always `--configfile` first. Without it btcctl reads ~/.btcctl/btcctl.conf
 * of the passwd home (btcutil.AppDataDir asks os/user before $HOME, so setting HOME does not help), and
 * when that file is missing writes one there from ~/.btcd/btcd.conf: a user's own btcctl or btcd
 * settings (another network, another server or password) would leak into every call. The file must
 * exist: btcctl would create a missing one the same way.
 */
export function btcctlArgs(configFile: string, args: readonly string[]): string[] {
  if (!existsSync(configFile)) throw new Error(`btcctl config file ${configFile} does not exist (btcctl would write one from ~/.btcd/btcd.conf)`);
  return [`--configfile=${configFile}`, ...args];
}

/** Runs btcctl with `configFile` (see `btcctlArgs`); stdout (trimmed) on success, an Error with its stderr otherwise. */
export function runBtcctl(configFile: string, args: readonly string[], o: { binary?: string; timeoutMs?: number } = {}): string {
  const binary = o.binary ?? btcctlBinary();
  const res = spawnSync(binary, btcctlArgs(configFile, args), { encoding: "utf8", timeout: o.timeoutMs ?? 60_000 });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`btcctl ${args.join(" ")} failed (${res.status ?? res.signal}): ${(res.stderr || res.stdout).trim()}`);
  return res.stdout.trim();
}

