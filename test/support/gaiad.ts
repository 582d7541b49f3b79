/**
 * A local single-validator Cosmos Hub for tests: gaiad v25.1.1 (built by scripts/install-deps.sh into
 * .bin/gaiad) in a temporary home, set up as /work/shared/notes/cosmos-hub.md "A local Hub for tests"
 * describes: `init`, keys in the test keyring, genesis accounts, a gentx, `collect-gentxs`; blocks every
 * `timeout_commit` (1 s by default).
 *
 * Ports: a block of PORT_BLOCK from `freePortBlock` (test/support/harness.ts). Every listener of
 * config.toml (proxy_app, rpc.laddr, p2p.laddr, pprof_laddr, prometheus) and app.toml (api, grpc,
 * grpc-web) is put on 127.0.0.1 in the block or disabled; the files are read back to check it.
 *
 * gaiad runs as the leader of its own process group; `stop()` signals the whole group and waits until
 * every member has died, so nothing outlives the test.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bech32 } from "@scure/base";
import { parse as parseToml } from "smol-toml";
import { CometRpcClient } from "../../relayer/cometbft-rpc";
import { freePortBlock, Proc, ROOT, sleep } from "./harness";

export const GAIAD = join(ROOT, ".bin", "gaiad");
export const haveGaiad = (): boolean => existsSync(GAIAD);
/** Why a test needing gaiad is skipped. */
export const GAIAD_MISSING = `${GAIAD} is missing: run 'npm run deps' (scripts/install-deps.sh builds gaiad v25.1.1; the first build takes 10+ minutes)`;

export const DENOM = "stake";
const PORT_BLOCK = 10;

export interface HubOptions {
  readonly chainId?: string;
  /** config.toml consensus.timeout_commit; default "1s". */
  readonly timeoutCommit?: string;
}

export interface HubAccount {
  readonly name: string;
  /** bech32, cosmos1... */
  readonly address: string;
  /** The 20 address bytes. */
  readonly bytes: Uint8Array;
}

/** The answer of `gaiad tx ... --output json` once the tx is in a block. */
export interface SentTx {
  readonly txhash: string;
  readonly height: bigint;
  readonly code: number;
}

function gaiad(args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(GAIAD, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`gaiad ${args.join(" ")} failed: ${err.message}\n${stderr}${stdout}`.slice(0, 4000)));
      else resolve(stdout);
    });
  });
}

/** Sets `key = value` (value already in TOML syntax) in `[section]` ("" for the top level); the key must exist. */
function setToml(text: string, section: string, key: string, value: string): string {
  const lines = text.split("\n");
  let current = "";
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(lines[i]);
    if (header) current = header[1].trim();
    else if (current === section && new RegExp(`^\\s*${key.replace(/[-.]/g, "\\$&")}\\s*=`).test(lines[i])) {
      lines[i] = `${key} = ${value}`;
      return lines.join("\n");
    }
  }
  throw new Error(`no ${key} in [${section}]`);
}

function editToml(file: string, entries: Array<[section: string, key: string, value: string]>): Record<string, unknown> {
  let text = readFileSync(file, "utf8");
  for (const [section, key, value] of entries) text = setToml(text, section, key, value);
  writeFileSync(file, text);
  return parseToml(text) as Record<string, unknown>;
}

export class LocalHub {
  readonly rpc: CometRpcClient;
  private proc: Proc | undefined;

  private constructor(
    readonly home: string,
    readonly chainId: string,
    readonly basePort: number,
    /** The validator's operator account; it also pays fees. */
    readonly validator: HubAccount,
    /** A funded account for the tests' transfers. */
    readonly user: HubAccount,
  ) {
    this.rpc = new CometRpcClient({ url: this.rpcUrl, timeoutMs: 20_000 });
  }

  get rpcUrl(): string {
    return `http://127.0.0.1:${this.basePort + 1}`;
  }

  private get node(): string {
    return `tcp://127.0.0.1:${this.basePort + 1}`;
  }

  /** A fresh home with genesis, keys and port configuration; not started. */
  static async create(o: HubOptions = {}): Promise<LocalHub> {
    if (!haveGaiad()) throw new Error(GAIAD_MISSING);
    const chainId = o.chainId ?? "localhub-1";
    const home = mkdtempSync(join(tmpdir(), "pegzone-gaiad-"));
    try {
      const h = ["--home", home];
      const kr = [...h, "--keyring-backend", "test"];
      await gaiad(["init", "localhub", "--chain-id", chainId, ...h]);
      const validator = await LocalHub.addKey("validator", kr);
      const user = await LocalHub.addKey("user", kr);
      await gaiad(["genesis", "add-genesis-account", validator.name, `1000000000000${DENOM}`, ...kr]);
      await gaiad(["genesis", "add-genesis-account", user.name, `1000000000000${DENOM}`, ...kr]);
      await gaiad(["genesis", "gentx", validator.name, `100000000${DENOM}`, "--chain-id", chainId, ...kr]);
      await gaiad(["genesis", "collect-gentxs", ...h]);
      const base = await freePortBlock(PORT_BLOCK);
      LocalHub.configure(home, base, chainId, o.timeoutCommit ?? "1s");
      return new LocalHub(home, chainId, base, validator, user);
    } catch (e) {
      rmSync(home, { recursive: true, force: true });
      throw e;
    }
  }

  private static async addKey(name: string, keyringArgs: string[]): Promise<HubAccount> {
    const out = JSON.parse(await gaiad(["keys", "add", name, "--output", "json", ...keyringArgs])) as { address: string };
    return { name, address: out.address, bytes: bech32Data(out.address) };
  }

  /** Ports B+0 proxy_app, B+1 RPC, B+2 P2P, B+3 API (off), B+4 gRPC, B+5 Prometheus (off); pprof and gRPC-web off. */
  private static configure(home: string, b: number, chainId: string, timeoutCommit: string): void {
    const at = (i: number, scheme = "tcp://") => `"${scheme}127.0.0.1:${b + i}"`;
    const comet = editToml(join(home, "config", "config.toml"), [
      ["", "proxy_app", at(0)],
      ["rpc", "laddr", at(1)],
      ["rpc", "grpc_laddr", `""`],
      ["rpc", "pprof_laddr", `""`],
      ["p2p", "laddr", at(2)],
      ["p2p", "pex", "false"],
      ["consensus", "timeout_commit", `"${timeoutCommit}"`],
      ["instrumentation", "prometheus", "false"],
      ["instrumentation", "prometheus_listen_addr", at(5, "")],
    ]) as { rpc: { laddr: string; pprof_laddr: string }; p2p: { laddr: string }; consensus: { timeout_commit: string } };
    const app = editToml(join(home, "config", "app.toml"), [
      ["", "minimum-gas-prices", `"0${DENOM}"`],
      ["api", "enable", "false"],
      ["api", "address", at(3)],
      ["grpc", "address", at(4, "")],
      ["grpc-web", "enable", "false"],
    ]) as { api: { address: string }; grpc: { address: string } };
    editToml(join(home, "config", "client.toml"), [
      ["", "chain-id", `"${chainId}"`],
      ["", "keyring-backend", `"test"`],
      ["", "node", at(1)],
    ]);
    // Read back: a default left in place would listen on a fixed (and shared) port.
    const want = [comet.rpc.laddr === `tcp://127.0.0.1:${b + 1}`, comet.p2p.laddr === `tcp://127.0.0.1:${b + 2}`, comet.rpc.pprof_laddr === "",
      app.grpc.address === `127.0.0.1:${b + 4}`, comet.consensus.timeout_commit === timeoutCommit];
    if (want.includes(false)) throw new Error(`gaiad configuration in ${home} did not take: ${JSON.stringify({ comet, app })}`);
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.child.exitCode === null && this.proc.child.signalCode === null;
  }

  /** Starts gaiad in its own process group and waits until it has made block `minHeight` (default 1). */
  async start(minHeight = 1, timeoutMs = 60_000): Promise<void> {
    if (this.running) return;
    this.proc = new Proc(GAIAD, ["start", "--home", this.home], join(this.home, "gaiad.log"), {}, { detached: true });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`gaiad exited (${this.proc.child.exitCode}) before making block ${minHeight}:\n${this.logTail()}`);
      const height = await this.rpc.status().then((s) => s.latestHeight, () => -1n);
      if (height >= BigInt(minHeight)) return;
      if (Date.now() > deadline) throw new Error(`gaiad made no block ${minHeight} within ${timeoutMs} ms (at ${height}):\n${this.logTail()}`);
      await sleep(200);
    }
  }

  /** SIGTERM to the whole process group (SIGKILL after 15 s); waits until every member has died. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc === undefined) return;
    try {
      await proc.killGroup("SIGTERM", 15_000);
    } catch {
      await proc.killGroup("SIGKILL", 10_000);
    }
  }

  /** Stops gaiad and deletes the home. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.home, { recursive: true, force: true });
  }

  logTail(lines = 30): string {
    const file = join(this.home, "gaiad.log");
    return existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(no log)";
  }

  /** Polls until the node has made block `height`; returns the node's height then. */
  async waitForHeight(height: bigint, timeoutMs = 60_000): Promise<bigint> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const h = (await this.rpc.status()).latestHeight;
      if (h >= height) return h;
      if (Date.now() > deadline) throw new Error(`the Hub stayed at height ${h}, wanted ${height}`);
      await sleep(200);
    }
  }

  /** The Hub's keyring flags for a gaiad command. */
  private get clientFlags(): string[] {
    return ["--keyring-backend", "test", "--home", this.home];
  }

  /** A new key in the Hub's keyring (not funded). */
  async addKey(name: string): Promise<HubAccount> {
    return LocalHub.addKey(name, this.clientFlags);
  }

  /**
   * A public key alone in the keyring, as a multisig member: `gaiad keys add NAME --pubkey
   * '{"@type":"/cosmos.crypto.secp256k1.PubKey","key":"<base64>"}'`; returns its address.
   */
  async importPubkey(name: string, compressed: Uint8Array): Promise<string> {
    const pubkey = JSON.stringify({ "@type": "/cosmos.crypto.secp256k1.PubKey", key: Buffer.from(compressed).toString("base64") });
    return (JSON.parse(await gaiad(["keys", "add", name, "--pubkey", pubkey, "--output", "json", ...this.clientFlags])) as { address: string }).address;
  }

  /** `gaiad keys add NAME --multisig m1,m2,... --multisig-threshold T` (members sorted by address, gaiad's default); returns its address. */
  async addMultisig(name: string, members: readonly string[], threshold: number): Promise<string> {
    const out = await gaiad(["keys", "add", name, "--multisig", members.join(","), "--multisig-threshold", String(threshold), "--output", "json", ...this.clientFlags]);
    return (JSON.parse(out) as { address: string }).address;
  }

  /** `gaiad query bank balances ADDRESS`: the amount of `denom` (0 for an account the chain does not know). */
  async balance(address: string, denom = DENOM): Promise<bigint> {
    const out = JSON.parse(await gaiad(["query", "bank", "balances", address, "--output", "json", "--node", this.node, "--home", this.home])) as { balances?: Array<{ denom: string; amount: string }> };
    return BigInt(out.balances?.find((c) => c.denom === denom)?.amount ?? "0");
  }

  /**
   * `gaiad tx bank send FROM TO AMOUNT --note MEMO --gas-prices 1stake --yes --output json`, then
   * waits until it is in a block. A refusal at CheckTx (non-zero code) throws; a failure in the block is
   * returned with its code.
   */
  async sendWithMemo(o: { from?: HubAccount; to: string; amount: bigint; memo: string; timeoutMs?: number }): Promise<SentTx> {
    const from = o.from ?? this.user;
    const out = await gaiad(["tx", "bank", "send", from.name, o.to, `${o.amount}${DENOM}`, "--note", o.memo, "--gas-prices", `1${DENOM}`,
      "--yes", "--output", "json", "--chain-id", this.chainId, "--node", this.node, "--keyring-backend", "test", "--home", this.home]);
    const res = JSON.parse(out) as { txhash: string; code: number; raw_log: string };
    if (res.code !== 0) throw new Error(`bank send refused at CheckTx: code ${res.code}: ${res.raw_log}`);
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    for (;;) {
      const found = await this.rpc.tx(res.txhash, false).catch(() => undefined);
      if (found !== undefined) return { txhash: found.hash, height: found.height, code: found.result.code };
      if (Date.now() > deadline) throw new Error(`tx ${res.txhash} not in a block after ${o.timeoutMs ?? 30_000} ms`);
      await sleep(250);
    }
  }
}

/** The data bytes of a bech32 address. */
export function bech32Data(address: string): Uint8Array {
  return bech32.fromWords(bech32.decode(address as `${string}1${string}`).words);
}

/** The bank balance key of the notes: 0x02 ‖ len(addr) ‖ addr ‖ denom. */
export function bankBalanceKey(address: Uint8Array, denom = DENOM): Uint8Array {
  return Uint8Array.from([0x02, address.length, ...address, ...Buffer.from(denom, "utf8")]);
}

// ---- multisigned releases (modules/peg/tendermint/release-gaiad.test.ts)

/** An account as `gaiad query auth account` shows it. */
export interface HubAccountState {
  readonly accountNumber: bigint;
  readonly sequence: bigint;
}

/** The first value of `key` anywhere in a JSON tree (the CLI nests accounts by type). */
function findJsonField(v: unknown, key: string): unknown {
  if (typeof v !== "object" || v === null) return undefined;
  if (key in v) return (v as Record<string, unknown>)[key];
  for (const child of Object.values(v)) {
    const found = findJsonField(child, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** `gaiad query auth account ADDRESS --output json`: its account number and sequence (an absent sequence is 0). */
export async function hubAccountState(hub: LocalHub, address: string): Promise<HubAccountState> {
  const out = JSON.parse(await gaiad(["query", "auth", "account", address, "--output", "json", "--node", `tcp://127.0.0.1:${hub.basePort + 1}`, "--home", hub.home])) as unknown;
  const number = findJsonField(out, "account_number");
  const sequence = findJsonField(out, "sequence");
  return { accountNumber: BigInt(String(number ?? "0")), sequence: BigInt(String(sequence ?? "0")) };
}

/** The answer of CometBFT's `broadcast_tx_sync` (CheckTx's result). */
export interface BroadcastAnswer {
  readonly code: number;
  readonly log: string;
  readonly codespace: string;
  /** sha256(tx), uppercase hex. */
  readonly hash: string;
}

/** `broadcast_tx_sync` of raw tx bytes over the Hub's CometBFT RPC. */
export async function broadcastTxSync(hub: LocalHub, tx: Uint8Array): Promise<BroadcastAnswer> {
  const r = (await hub.rpc.call("broadcast_tx_sync", { tx: `0x${Buffer.from(tx).toString("hex")}` })) as { code?: number; log?: string; codespace?: string; hash?: string };
  return { code: Number(r.code ?? 0), log: String(r.log ?? ""), codespace: String(r.codespace ?? ""), hash: String(r.hash ?? "").toUpperCase() };
}

/** Polls `/tx` until the tx hashing to `hash` is in a block; its height and deterministic result. */
export async function waitForTx(hub: LocalHub, hash: string, timeoutMs = 30_000): Promise<{ height: bigint; code: number; gasWanted: bigint; gasUsed: bigint; tx: Uint8Array }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await hub.rpc.tx(hash, false).catch(() => undefined);
    if (found !== undefined) return { height: found.height, code: found.result.code, gasWanted: found.result.gasWanted, gasUsed: found.result.gasUsed, tx: found.tx };
    if (Date.now() > deadline) throw new Error(`tx ${hash} not in a block after ${timeoutMs} ms`);
    await sleep(200);
  }
}
