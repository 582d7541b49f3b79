/**
 * Joining a running network: editing a node's CometBFT config.toml in place — its peers, and the
 * [statesync] section a new node needs to restore a snapshot instead of replaying every block —
 * keeping every other line (and the operator's comments) as it was.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Home } from "./home";

type TomlValue = string | number | boolean;

/**
 * Sets `values` in `[section]` of a TOML text (replacing a key's line if the section has it,
 * adding it at the section's end otherwise; adding the section if missing). Flat sections only,
 * which is all config.toml has.
 */
export function setTomlValues(text: string, section: string, values: Record<string, TomlValue>): string {
  const lines = text.split("\n");
  let start = lines.findIndex((l) => l.trim() === `[${section}]`);
  if (start < 0) {
    while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
    lines.push("", `[${section}]`, "");
    start = lines.length - 2;
  }
  let end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
  if (end < 0) end = lines.length;
  for (const [key, value] of Object.entries(values)) {
    const line = `${key} = ${typeof value === "string" ? JSON.stringify(value) : String(value)}`;
    const at = lines.findIndex((l, i) => i > start && i < end && new RegExp(`^\\s*${key}\\s*=`).test(l));
    if (at >= 0) {
      lines[at] = line;
      continue;
    }
    let last = end;
    while (last - 1 > start && lines[last - 1].trim() === "") last--;
    lines.splice(last, 0, line);
    end++;
  }
  return lines.join("\n");
}

export interface StateSyncSettings {
  /** CometBFT RPC servers the light client asks for headers (CometBFT wants at least 2; the same one twice will do). */
  rpcServers: string[];
  trustHeight: number;
  /** Hash of the block at trustHeight (hex). */
  trustHash: string;
  /** How long the trusted header stays trusted, a Go duration ("168h0m0s"); below the unbonding period on a PoS chain. */
  trustPeriod: string;
  /** How long to gather snapshots before choosing one (CometBFT's default "15s", at least "5s"). */
  discoveryTime?: string;
}

export function writeStateSyncConfig(home: Home, s: StateSyncSettings): void {
  if (s.rpcServers.length === 0) throw new Error("state sync needs at least one RPC server");
  const servers = s.rpcServers.length === 1 ? [s.rpcServers[0], s.rpcServers[0]] : s.rpcServers;
  for (const url of servers) if (!/^https?:\/\/[^,\s]+$/.test(url)) throw new Error(`RPC server ${JSON.stringify(url)} is not an http(s) URL`);
  if (!Number.isSafeInteger(s.trustHeight) || s.trustHeight < 1) throw new Error(`trust height must be a positive integer, got ${s.trustHeight}`);
  if (!/^[0-9A-Fa-f]{64}$/.test(s.trustHash)) throw new Error(`trust hash must be 64 hex digits, got ${JSON.stringify(s.trustHash)}`);
  if (!isGoDuration(s.trustPeriod)) throw new Error(`trust period must be a duration such as 168h0m0s, got ${JSON.stringify(s.trustPeriod)}`);
  if (s.discoveryTime !== undefined && !isGoDuration(s.discoveryTime)) throw new Error(`discovery time must be a duration such as 15s, got ${JSON.stringify(s.discoveryTime)}`);
  const values: Record<string, TomlValue> = {
    enable: true,
    rpc_servers: servers.join(","),
    trust_height: s.trustHeight,
    trust_hash: s.trustHash.toUpperCase(),
    trust_period: s.trustPeriod,
  };
  if (s.discoveryTime !== undefined) values.discovery_time = s.discoveryTime;
  editCometConfig(home, "statesync", values);
}

/** config.toml's [p2p] persistent_peers (id@host:port, comma-separated). */
export function writePersistentPeers(home: Home, peers: string): void {
  for (const p of peers.split(",").filter((p) => p !== "")) {
    if (!/^[0-9a-f]{40}@[^@\s:]+:\d+$/.test(p)) throw new Error(`peer ${JSON.stringify(p)} is not <node id (40 hex digits)>@<host>:<port>`);
  }
  editCometConfig(home, "p2p", { persistent_peers: peers });
}

function editCometConfig(home: Home, section: string, values: Record<string, TomlValue>): void {
  let text: string;
  try {
    text = readFileSync(home.cometConfigFile, "utf8");
  } catch {
    throw new Error(`${home.cometConfigFile} does not exist: run 'pegzone init' first`);
  }
  writeFileSync(home.cometConfigFile, setTomlValues(text, section, values));
}

function isGoDuration(s: string): boolean {
  return /^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/.test(s);
}
