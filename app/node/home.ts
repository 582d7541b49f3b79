import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import { generateEd25519, generateSignerKey, nodeId, nodeKeyJson, parseSignerKeyFile, privValidatorKeyJson, signerKeyJson, type SignerKey } from "../../chain/keys/key-files";
import { DEFAULT_GAS_PRICES } from "../pegzone";

/** A node's home folder, laid out as simd/gaiad do so CometBFT reads it directly. */
export class Home {
  constructor(readonly dir: string) {}

  static resolve(dir: string | undefined): Home {
    return new Home(dir ?? process.env.PEGZONE_HOME ?? join(homedir(), ".pegzone"));
  }

  get configDir(): string { return join(this.dir, "config"); }
  get dataDir(): string { return join(this.dir, "data"); }
  get cometConfigFile(): string { return join(this.configDir, "config.toml"); }
  get appConfigFile(): string { return join(this.configDir, "app.toml"); }
  get genesisFile(): string { return join(this.configDir, "genesis.json"); }
  get nodeKeyFile(): string { return join(this.configDir, "node_key.json"); }
  get validatorKeyFile(): string { return join(this.configDir, "priv_validator_key.json"); }
  /** The federation member's main-chain signing key (`pegzone signer` uses it). */
  get signerKeyFile(): string { return join(this.configDir, "signer_key.json"); }
  get validatorStateFile(): string { return join(this.dataDir, "priv_validator_state.json"); }
  get appDbDir(): string { return join(this.dataDir, "application.db"); }
  /** State sync snapshots this node takes and serves (as the SDK's data/snapshots). */
  get snapshotsDir(): string { return join(this.dataDir, "snapshots"); }
  /** CometBFT's stdout and stderr, appended by the CometBFT process itself so they outlive the app. */
  get cometLogFile(): string { return join(this.dir, "cometbft.log"); }
  /** The pid of the CometBFT `pegzone start` last ran for this home. */
  get cometPidFile(): string { return join(this.dataDir, "cometbft.pid"); }
  /** Where app and CometBFT talk ABCI by default: absolute, as both processes read it from config.toml. */
  get abciSocket(): string { return join(resolve(this.dataDir), "abci.sock"); }

  isInitialized(): boolean {
    return existsSync(this.genesisFile);
  }
}

export interface Ports {
  p2p: number;
  rpc: number;
  /** Used only when ABCI runs over TCP. */
  abci: number;
  /** The app's REST API (the SDK's [api], 1317 by default), with its metrics at /metrics. */
  api: number;
  /** CometBFT's Prometheus metrics ([instrumentation], 26660 by default). */
  prometheus: number;
  /** The app's gRPC server (the SDK's [grpc], 9090 by default). */
  grpc: number;
}

/** CometBFT's and the SDK's default ports. */
export const defaultPorts: Ports = { p2p: 26656, rpc: 26657, abci: 26658, api: 1317, prometheus: 26660, grpc: 9090 };

/** A node's ports from a base port (testnets, devnets on other ports): P2P, RPC, ABCI, API, Prometheus, gRPC in a row. */
export function portsFrom(base: number): Ports {
  return base === defaultPorts.p2p ? defaultPorts : { p2p: base, rpc: base + 1, abci: base + 2, api: base + 3, prometheus: base + 4, grpc: base + 5 };
}

/**
 * How the app and CometBFT talk ABCI. A unix socket only its owner can open is the default: anyone
 * who can connect to the ABCI port can send consensus requests (a stray Commit halts the node), and
 * every local process can reach a TCP port. TCP is for a CometBFT that cannot share the filesystem.
 */
export type AbciTransport = "unix" | "tcp";

export function parseAbciTransport(value: string): AbciTransport {
  if (value !== "unix" && value !== "tcp") throw new Error(`--abci must be 'unix' or 'tcp', got ${JSON.stringify(value)}`);
  return value;
}

/** Linux keeps a unix socket's path in 108 bytes with its terminating NUL (macOS: 104). */
const UNIX_SOCKET_PATH_MAX = 107;

/** Refuses a socket path the kernel would cut short, saying what to do instead. */
export function checkUnixSocketPath(path: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > UNIX_SOCKET_PATH_MAX)
    throw new Error(
      `the ABCI socket path ${path} is ${bytes} bytes, over the ${UNIX_SOCKET_PATH_MAX}-byte limit of unix socket paths: ` +
        "use a shorter home folder, set a shorter unix:// path as proxy_app in config/config.toml, or run ABCI over TCP (--abci tcp)",
    );
}

/** The proxy_app address a node is configured with. */
function abciAddress(home: Home, transport: AbciTransport, ports: Ports): string {
  if (transport === "tcp") return `tcp://127.0.0.1:${ports.abci}`;
  checkUnixSocketPath(home.abciSocket);
  return `unix://${home.abciSocket}`;
}

export interface NodeSettings {
  moniker: string;
  ports: Ports;
  /** Default "unix": a socket in the data folder. */
  abci?: AbciTransport;
  persistentPeers?: string;
  /** CometBFT's timeout_commit; shorter in tests and devnets. */
  timeoutCommit?: string;
}

export interface AppConfig {
  minimumGasPrices: string;
  pruningKeepRecent: number;
  minRetainBlocks: number;
  /** The REST API server (app.toml [api], as the SDK's): loopback by default. */
  api: { enable: boolean; address: string };
  /** The gRPC server (app.toml [grpc], as the SDK's): loopback by default. */
  grpc: { enable: boolean; address: string };
  /** State sync snapshots (app.toml [state-sync], the SDK's names): every `snapshotInterval` heights (0 = none), the newest `snapshotKeepRecent` kept. */
  stateSync: { snapshotInterval: number; snapshotKeepRecent: number };
}

export const defaultAppConfig: AppConfig = {
  minimumGasPrices: DEFAULT_GAS_PRICES,
  pruningKeepRecent: 100,
  minRetainBlocks: 0,
  api: { enable: true, address: `tcp://127.0.0.1:${defaultPorts.api}` },
  grpc: { enable: true, address: `127.0.0.1:${defaultPorts.grpc}` },
  stateSync: { snapshotInterval: 0, snapshotKeepRecent: 2 },
};

export interface GenesisValidator {
  address: string;
  pub_key: { type: string; value: string };
  power: string;
  name: string;
}

export interface GenesisDoc {
  genesis_time: string;
  chain_id: string;
  initial_height: string;
  consensus_params: unknown;
  validators: GenesisValidator[];
  app_hash: string;
  app_state: Record<string, unknown>;
}

/** Creates keys and config files; never overwrites an existing home. Returns the node's validator entry and its proxy_app. */
export function initHome(home: Home, settings: NodeSettings, appConfig: AppConfig = defaultAppConfig): { validator: GenesisValidator; nodeId: string; signerPubkey: Uint8Array; abci: string } {
  if (existsSync(home.cometConfigFile)) throw new Error(`${home.dir} is already initialized (found ${home.cometConfigFile})`);
  // Before anything is written: a home whose socket path is too long must not be half created.
  const proxyApp = abciAddress(home, settings.abci ?? "unix", settings.ports);
  mkdirSync(home.configDir, { recursive: true });
  // Owner only, as CometBFT makes it: it holds the validator's signing state and the ABCI socket.
  mkdirSync(home.dataDir, { recursive: true, mode: 0o700 });
  const nodeKey = generateEd25519();
  const validatorKey = generateEd25519();
  writeJson(home.nodeKeyFile, nodeKeyJson(nodeKey), 0o600);
  writeJson(home.validatorKeyFile, privValidatorKeyJson(validatorKey), 0o600);
  writeJson(home.validatorStateFile, { height: "0", round: 0, step: 0 }, 0o600);
  const signerKey = generateSignerKey();
  writeJson(home.signerKeyFile, signerKeyJson(signerKey), 0o600);
  writeCometConfig(home, settings, proxyApp);
  writeAppConfig(home, {
    ...appConfig,
    api: { ...appConfig.api, address: `tcp://127.0.0.1:${settings.ports.api}` },
    grpc: { ...appConfig.grpc, address: `127.0.0.1:${settings.ports.grpc}` },
  });
  const pv = privValidatorKeyJson(validatorKey) as { address: string; pub_key: GenesisValidator["pub_key"] };
  return { validator: { address: pv.address, pub_key: pv.pub_key, power: "10", name: settings.moniker }, nodeId: nodeId(nodeKey), signerPubkey: signerKey.publicKey, abci: proxyApp };
}

/**
 * The most gas a block's txs may ask for in total (their gas limits summed), so that no block can
 * take unbounded work on every validator. A relay of 2,000 headers uses about 10.5M gas, so even
 * with a gas adjustment of 1.5 several fit in a block next to ordinary txs.
 */
export const BLOCK_MAX_GAS = 100_000_000;

export function newGenesis(chainId: string, validators: GenesisValidator[], appState: Record<string, unknown>, genesisTime: Date): GenesisDoc {
  return {
    genesis_time: genesisTime.toISOString(),
    chain_id: chainId,
    initial_height: "1",
    consensus_params: {
      block: { max_bytes: "22020096", max_gas: String(BLOCK_MAX_GAS) },
      evidence: { max_age_num_blocks: "100000", max_age_duration: "172800000000000", max_bytes: "1048576" },
      validator: { pub_key_types: ["ed25519"] },
      version: { app: "0" },
      abci: { vote_extensions_enable_height: "0" },
    },
    validators,
    app_hash: "",
    app_state: appState,
  };
}

export function writeCometConfig(home: Home, s: NodeSettings, proxyApp: string): void {
  // CometBFT fills every key not written here with its defaults.
  const toml = `# CometBFT configuration written by 'pegzone'. Keys not listed take CometBFT's defaults.
# Where the app serves ABCI: 'pegzone start' listens there and CometBFT connects to it.
proxy_app = ${JSON.stringify(proxyApp)}
moniker = ${JSON.stringify(s.moniker)}
db_backend = "goleveldb"
log_level = "info"
log_format = "plain"

[rpc]
laddr = "tcp://127.0.0.1:${s.ports.rpc}"
cors_allowed_origins = ["*"]
timeout_broadcast_tx_commit = "30s"

[p2p]
laddr = "tcp://127.0.0.1:${s.ports.p2p}"
persistent_peers = ${JSON.stringify(s.persistentPeers ?? "")}
# Validators of a local testnet share 127.0.0.1.
addr_book_strict = false
allow_duplicate_ip = true

[mempool]
size = 10000
max_txs_bytes = 268435456

[consensus]
timeout_commit = ${JSON.stringify(s.timeoutCommit ?? "1s")}

[tx_index]
indexer = "kv"

[storage]
# Kept: 'pegzone start' rebuilds the tx index of the last blocks from them after a crash (cometbft reindex-event).
discard_abci_responses = false

[instrumentation]
prometheus = true
prometheus_listen_addr = "127.0.0.1:${s.ports.prometheus}"
`;
  writeFileSync(home.cometConfigFile, toml);
}

export function writeAppConfig(home: Home, c: AppConfig): void {
  const toml = `# pegzone application configuration.

# The smallest fee per unit of gas this node accepts into its mempool (CheckTx), e.g. "0.0025upeg".
minimum-gas-prices = ${JSON.stringify(c.minimumGasPrices)}

# Committed state versions kept for queries at past heights; 0 keeps all.
pruning-keep-recent = ${c.pruningKeepRecent}

# Blocks CometBFT must keep (sent as Commit's retain_height); 0 keeps all.
min-retain-blocks = ${c.minRetainBlocks}

[api]
# The REST API (the SDK's routes and the peg's, the app's Prometheus metrics at /metrics).
enable = ${c.api.enable}
address = ${JSON.stringify(c.api.address)}

[grpc]
# The gRPC server: the same services as the REST API, with server reflection (grpcurl).
enable = ${c.grpc.enable}
address = ${JSON.stringify(c.grpc.address)}

[state-sync]
# Take a state sync snapshot (in data/snapshots) after every snapshot-interval-th block, for new
# nodes to join by state sync; 0 takes none. Written in the background, each from its height's
# committed state, which pruning keeps until the snapshot is done. See docs/state-sync.md.
snapshot-interval = ${c.stateSync.snapshotInterval}
# Snapshots kept, the newest; 0 keeps all.
snapshot-keep-recent = ${c.stateSync.snapshotKeepRecent}
`;
  writeFileSync(home.appConfigFile, toml);
}

export function readAppConfig(home: Home): AppConfig {
  const t = parseToml(readFileSync(home.appConfigFile, "utf8")) as Record<string, unknown>;
  const api = t.api as { enable?: boolean; address?: string } | undefined;
  const grpc = t.grpc as { enable?: boolean; address?: string } | undefined;
  const stateSync = t["state-sync"] as { "snapshot-interval"?: unknown; "snapshot-keep-recent"?: unknown } | undefined;
  return {
    minimumGasPrices: String(t["minimum-gas-prices"] ?? defaultAppConfig.minimumGasPrices),
    pruningKeepRecent: Number(t["pruning-keep-recent"] ?? defaultAppConfig.pruningKeepRecent),
    minRetainBlocks: Number(t["min-retain-blocks"] ?? defaultAppConfig.minRetainBlocks),
    // Homes made before the API existed have no [api]: they run without it.
    api: { enable: Boolean(api?.enable ?? false), address: String(api?.address ?? defaultAppConfig.api.address) },
    grpc: { enable: Boolean(grpc?.enable ?? false), address: String(grpc?.address ?? defaultAppConfig.grpc.address) },
    stateSync: {
      snapshotInterval: nonNegativeInteger(stateSync?.["snapshot-interval"] ?? defaultAppConfig.stateSync.snapshotInterval, "[state-sync] snapshot-interval"),
      snapshotKeepRecent: nonNegativeInteger(stateSync?.["snapshot-keep-recent"] ?? defaultAppConfig.stateSync.snapshotKeepRecent, "[state-sync] snapshot-keep-recent"),
    },
  };
}

/** The addresses CometBFT is configured with: where the app must listen and where RPC answers. */
export function readCometAddresses(home: Home): { proxyApp: string; rpc: string } {
  const t = parseToml(readFileSync(home.cometConfigFile, "utf8")) as { proxy_app?: string; rpc?: { laddr?: string } };
  return { proxyApp: t.proxy_app ?? "tcp://127.0.0.1:26658", rpc: t.rpc?.laddr ?? "tcp://127.0.0.1:26657" };
}

/** What the tx index repair needs to know: whether there is an index, and whether the block results it is rebuilt from are kept. */
export function readTxIndexConfig(home: Home): { indexer: string; discardAbciResponses: boolean } {
  const t = parseToml(readFileSync(home.cometConfigFile, "utf8")) as { tx_index?: { indexer?: string }; storage?: { discard_abci_responses?: boolean } };
  return { indexer: t.tx_index?.indexer ?? "kv", discardAbciResponses: t.storage?.discard_abci_responses ?? false };
}

export function readGenesis(home: Home): GenesisDoc {
  return JSON.parse(readFileSync(home.genesisFile, "utf8")) as GenesisDoc;
}

export function writeGenesis(home: Home, genesis: GenesisDoc): void {
  writeJson(home.genesisFile, genesis);
}

export function readSignerKey(home: Home): SignerKey {
  return parseSignerKeyFile(JSON.parse(readFileSync(home.signerKeyFile, "utf8")));
}

function nonNegativeInteger(v: unknown, name: string): number {
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw new Error(`app.toml ${name} must be a non-negative integer, got ${JSON.stringify(String(v))}`);
  return n;
}

function writeJson(file: string, value: unknown, mode = 0o644): void {
  writeFileSync(file, JSON.stringify(value, null, 2) + "\n", { mode });
}
