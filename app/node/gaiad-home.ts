/**
 * A gaiad home made and configured for a single-validator local Hub: what gaiad.ts's `Gaiad` runs
 * on (an initialized, configured home). Kept apart from gaiad.ts, which runs the process, because
 * making a home is a one-time step of its own (the devnet does it once, the tests once per home).
 *
 * A home is made as /work/shared/notes/cosmos-hub.md "A local Hub for tests" describes: `gaiad init`,
 * keys in the test keyring (new ones, or recovered from a mnemonic), genesis accounts, a gentx,
 * `collect-gentxs`. `configureGaiad` then puts every listener of config.toml and app.toml on
 * 127.0.0.1 or turns it off (the files are read back to check it took): no default port (26656,
 * 26657, 9090, 1317, 6060, ...) stays named. gaiad runs its app in process, so proxy_app is never
 * listened on.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { addHubKey, HUB_DENOM, hubKeyringFlags, runGaiad, type HubAccount } from "./gaiad";

export interface GaiadInitOptions {
  readonly home: string;
  readonly chainId: string;
  readonly moniker: string;
  /** Keys made in the test keyring and funded in genesis (`coins`, e.g. "1000000000000stake"), in this order. */
  readonly accounts: ReadonlyArray<{ readonly name: string; readonly coins: string; readonly recover?: { mnemonic: string; index?: number } }>;
  /** The validator: one of `accounts`, and what it bonds in its gentx, e.g. "100000000stake". */
  readonly validator: { readonly name: string; readonly selfDelegation: string };
  /** The staking unbonding period; default gaiad's (21 days). A light client must stop trusting a header before it. */
  readonly unbondingTimeSeconds?: number;
  readonly binary?: string;
}

/** A new home: `init`, the keys, genesis accounts, the gentx and `collect-gentxs`. Returns the keys by name. Ports: `configureGaiad`. */
export async function initGaiadHome(o: GaiadInitOptions): Promise<Record<string, HubAccount>> {
  const h = ["--home", o.home];
  const kr = hubKeyringFlags(o.home);
  const bin = { binary: o.binary };
  await runGaiad(["init", o.moniker, "--chain-id", o.chainId, ...h], bin);
  const keys: Record<string, HubAccount> = {};
  for (const a of o.accounts) keys[a.name] = await addHubKey(o.home, a.name, { recover: a.recover, binary: o.binary });
  for (const a of o.accounts) await runGaiad(["genesis", "add-genesis-account", a.name, a.coins, ...kr], bin);
  if (o.unbondingTimeSeconds !== undefined) {
    const file = join(o.home, "config", "genesis.json");
    const text = readFileSync(file, "utf8");
    const edited = text.replace(/("unbonding_time":\s*)"[0-9]+s"/, `$1"${o.unbondingTimeSeconds}s"`);
    if (edited === text) throw new Error(`no staking unbonding_time in ${file}`);
    writeFileSync(file, edited);
  }
  await runGaiad(["genesis", "gentx", o.validator.name, o.validator.selfDelegation, "--chain-id", o.chainId, ...kr], bin);
  await runGaiad(["genesis", "collect-gentxs", ...h], bin);
  return keys;
}

/** Every listener of a home, on 127.0.0.1. */
export interface GaiadPorts {
  readonly rpc: number;
  readonly p2p: number;
  /** config.toml proxy_app. gaiad runs its app in process and never listens there: "" when omitted. */
  readonly proxyApp?: number;
  /** gRPC (app.toml); turned off when omitted (CometBFT's RPC serves the CLI, the relayer and pegzone). */
  readonly grpc?: number;
  /** The REST API (always off) and Prometheus (always off): their addresses, when given, so that no default is named. */
  readonly api?: number;
  readonly prometheus?: number;
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

function editToml(file: string, entries: ReadonlyArray<readonly [section: string, key: string, value: string]>): Record<string, unknown> {
  let text = readFileSync(file, "utf8");
  for (const [section, key, value] of entries) text = setToml(text, section, key, value);
  writeFileSync(file, text);
  return parseToml(text) as Record<string, unknown>;
}

/**
 * Writes the ports (`GaiadPorts`), `timeout_commit`, no peer exchange, pprof and gRPC-web off,
 * `minimum-gas-prices` 0 (gaiad refuses to start without one; the feemarket sets the real price), and
 * client.toml's chain id, test keyring and node, then reads the files back to check it took.
 */
export function configureGaiad(home: string, o: { ports: GaiadPorts; chainId: string; timeoutCommit: string }): void {
  const at = (port: number, scheme = "tcp://") => `"${scheme}127.0.0.1:${port}"`;
  const { ports } = o;
  const comet = editToml(join(home, "config", "config.toml"), [
    ["", "proxy_app", ports.proxyApp === undefined ? `""` : at(ports.proxyApp)],
    ["rpc", "laddr", at(ports.rpc)],
    ["rpc", "grpc_laddr", `""`],
    ["rpc", "pprof_laddr", `""`],
    ["p2p", "laddr", at(ports.p2p)],
    ["p2p", "pex", "false"],
    ["consensus", "timeout_commit", `"${o.timeoutCommit}"`],
    ["instrumentation", "prometheus", "false"],
    ...(ports.prometheus === undefined ? [] : [["instrumentation", "prometheus_listen_addr", at(ports.prometheus, "")] as const]),
  ]) as { rpc: { laddr: string; pprof_laddr: string }; p2p: { laddr: string }; consensus: { timeout_commit: string } };
  const app = editToml(join(home, "config", "app.toml"), [
    ["", "minimum-gas-prices", `"0${HUB_DENOM}"`],
    ["api", "enable", "false"],
    ...(ports.api === undefined ? [] : [["api", "address", at(ports.api)] as const]),
    ["grpc", "enable", ports.grpc === undefined ? "false" : "true"],
    ...(ports.grpc === undefined ? [] : [["grpc", "address", at(ports.grpc, "")] as const]),
    ["grpc-web", "enable", "false"],
  ]) as { api: { enable: boolean }; grpc: { enable: boolean; address: string } };
  editToml(join(home, "config", "client.toml"), [
    ["", "chain-id", `"${o.chainId}"`],
    ["", "keyring-backend", `"test"`],
    ["", "node", at(ports.rpc)],
  ]);
  // Read back: a default left in place would listen on a fixed (and shared) port.
  const want = [
    comet.rpc.laddr === `tcp://127.0.0.1:${ports.rpc}`,
    comet.p2p.laddr === `tcp://127.0.0.1:${ports.p2p}`,
    comet.rpc.pprof_laddr === "",
    comet.consensus.timeout_commit === o.timeoutCommit,
    app.api.enable === false,
    ports.grpc === undefined ? app.grpc.enable === false : app.grpc.address === `127.0.0.1:${ports.grpc}`,
  ];
  if (want.includes(false)) throw new Error(`gaiad configuration in ${home} did not take: ${JSON.stringify({ comet, app })}`);
}

/** Whether `home` holds an initialized gaiad home (its genesis collected). */
export function gaiadHomeInitialized(home: string): boolean {
  return existsSync(join(home, "config", "genesis.json")) && existsSync(join(home, "config", "priv_validator_key.json"));
}
