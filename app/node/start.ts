import { chmodSync } from "node:fs";
import { AbciServer } from "../../chain/abci/server";
import { parseListenAddress } from "../../chain/abci/address";
import type { BlockPhase, BaseApp } from "../../chain/app/baseapp";
import { openPegzoneApp } from "../pegzone";
import type { Logger } from "../../chain/log";
import { CometProcess, reindexEvents, stopStaleComet } from "./cometbft";
import { getTxHandler, getTxsEventHandler } from "./tx-service";
import { AppGate, gated } from "./api/gate";
import { NodeMetrics } from "./api/node-metrics";
import { registerPegMetrics } from "./api/peg-metrics";
import { appQuery } from "./api/app-query";
import { apiRoutes } from "./api/routes";
import { ApiServer } from "./api/server";
import { nodeServices, type Services } from "./api/services";
import { repoRoot } from "./cometbft";
import { fileDescriptors } from "./grpc/descriptors";
import { protoSources } from "./grpc/protos";
import { GrpcServer } from "./grpc/server";
import { versionInfo } from "./version";
import { checkUnixSocketPath, readAppConfig, readCometAddresses, readGenesis, readTxIndexConfig, type Home } from "./home";

export interface RunningNode {
  app: BaseApp;
  rpc: string;
  /** The REST API's address (http://host:port), when app.toml enables it. */
  api?: string;
  /** The gRPC server's address (host:port), when app.toml enables it. */
  grpc?: string;
  /** Settles when CometBFT exits by itself (undefined with --abci-only). */
  cometExited?: Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Serve ABCI only; the operator runs CometBFT. */
  abciOnly?: boolean;
  /** CometBFT's output line by line, for embedders; by default CometBFT appends it to <home>/cometbft.log itself. */
  onCometLine?: (line: string) => void;
  /** Debugging crash recovery only (`--unsafe-crash-at`): see `crashInjection`. */
  crashAt?: string;
}

/**
 * Heights whose tx index is rebuilt at every start. CometBFT indexes a block after committing it,
 * asynchronously, but through an unbuffered event bus (its default event_bus_buffer_capacity 0), so
 * the indexer trails consensus by at most two blocks when the node dies; a SIGTERM stops the event
 * bus before consensus, which can then commit a block unindexed. Ten covers both with room.
 */
const TX_INDEX_REPAIR_WINDOW = 10;

/** Opens the app state, serves ABCI where config.toml's proxy_app points, then starts CometBFT. */
export async function startNode(home: Home, logger: Logger, opts: StartOptions = {}): Promise<RunningNode> {
  if (!home.isInitialized()) throw new Error(`${home.dir} has no genesis: run 'pegzone init' first`);
  const genesis = readGenesis(home);
  const appConfig = readAppConfig(home);
  const { proxyApp, rpc } = readCometAddresses(home);
  const target = parseListenAddress(proxyApp);
  if (target.kind === "unix") checkUnixSocketPath(target.path);
  else logger.warn({ proxyApp }, "ABCI over TCP: any local process that can connect can send consensus requests and halt this node; prefer a unix socket (--abci unix, the default)");
  const app = await openPegzoneApp({
    dbDir: home.appDbDir,
    chainId: genesis.chain_id,
    minimumGasPrices: appConfig.minimumGasPrices,
    pruningKeepRecent: appConfig.pruningKeepRecent,
    minRetainBlocks: appConfig.minRetainBlocks,
    snapshots: { dir: home.snapshotsDir, interval: appConfig.stateSync.snapshotInterval, keepRecent: appConfig.stateSync.snapshotKeepRecent },
    logger,
    onPhase: crashInjection(opts.crashAt, logger),
  });
  const rpcUrl = rpc.replace(/^tcp:/, "http:");
  app.queries.register("/cosmos.tx.v1beta1.Service/GetTx", getTxHandler(rpcUrl));
  app.queries.register("/cosmos.tx.v1beta1.Service/GetTxsEvent", getTxsEventHandler(rpcUrl));
  logger.info({ height: app.lastHeight, appHash: Buffer.from(app.lastAppHash).toString("hex").toUpperCase() }, "application state opened");
  if (opts.abciOnly) adviseTxIndexRepair(home, app.lastHeight, logger);
  else {
    const stale = await stopStaleComet(home.dir, home.cometPidFile);
    if (stale !== undefined) logger.warn({ pid: stale }, "stopped the CometBFT a previous run of this node left behind");
    repairTxIndex(home, app.lastHeight, logger);
  }
  // ABCI requests and REST queries take turns at the app; the app's metrics time the ABCI calls.
  const gate = new AppGate();
  const metrics = new NodeMetrics(app.lastHeight, home.appDbDir);
  const server = new AbciServer(gated(metrics.instrument(app), gate), { logger });
  await server.listen(proxyApp);
  // Owner only: connecting to a unix socket needs write permission on it.
  if (target.kind === "unix") chmodSync(target.path, 0o600);

  let api: ApiServer | undefined;
  let grpc: GrpcServer | undefined;
  const services = nodeServices({ app, gate, rpcUrl, settings: appConfig, version: versionInfo() });
  try {
    if (appConfig.api.enable) {
      registerPegMetrics(metrics.registry, appQuery(app, gate));
      api = await listening("REST API", "[api]", appConfig.api.address, () => ApiServer.listen({ address: appConfig.api.address, routes: apiRoutes({ services, metrics: metrics.registry }), logger }));
    }
    if (appConfig.grpc.enable) grpc = await listening("gRPC", "[grpc]", appConfig.grpc.address, () => startGrpc(appConfig.grpc.address, services, logger));
  } catch (err) {
    // as the SDK's node, which stops when its API or gRPC server cannot start
    await api?.close();
    await server.close();
    await app.close();
    throw err;
  }

  let comet: CometProcess | undefined;
  if (!opts.abciOnly) {
    comet = new CometProcess(home.dir, opts.onCometLine ? { onLine: opts.onCometLine } : { file: home.cometLogFile }, home.cometPidFile);
    if (!opts.onCometLine) logger.info({ log: home.cometLogFile }, "CometBFT started");
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await api?.close();
      await grpc?.close();
      await comet?.stop();
      await server.close();
      await gate.idle();
      await app.close();
    })());
  return { app, rpc: rpcUrl, api: api?.address, grpc: grpc?.address, cometExited: comet?.exited, stop };
}

async function listening<T>(what: string, section: string, address: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    throw new Error(`cannot serve the ${what} at ${address} (app.toml ${section}): ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The gRPC server with reflection over pegzone's .proto files and, once deps are installed, the SDK's. */
async function startGrpc(address: string, services: Services, logger: Logger): Promise<GrpcServer> {
  const sources = protoSources(repoRoot());
  if (!sources.cosmos) logger.warn("gRPC reflection describes pegzone's services only: .bin/proto is missing (run npm run deps)");
  return GrpcServer.listen({ address, services, descriptors: fileDescriptors(sources), logger });
}

/** The first height whose index a start rebuilds. */
function repairFrom(lastHeight: number): number {
  return Math.max(1, lastHeight - TX_INDEX_REPAIR_WINDOW + 1);
}

/**
 * Before CometBFT starts: re-indexes the last blocks, so that a tx committed just before the node
 * died (or stopped) is never missing from /tx. Failing to repair does not stop the validator.
 */
function repairTxIndex(home: Home, lastHeight: number, logger: Logger): void {
  const index = readTxIndexConfig(home);
  if (lastHeight === 0 || index.indexer === "null") return;
  if (index.discardAbciResponses) {
    logger.warn("config.toml's [storage] discard_abci_responses is true: the tx index of blocks committed just before a crash cannot be rebuilt");
    return;
  }
  const res = reindexEvents(home.dir, repairFrom(lastHeight));
  if (res.ok) logger.info({ from: res.from, to: res.to }, "tx index of the last blocks rebuilt");
  else logger.error({ output: res.output.trim().split("\n").slice(-5).join("\n") }, `could not rebuild the tx index of the last blocks; with the node stopped, run: ${reindexCommand(home, lastHeight)}`);
}

/** With --abci-only CometBFT is the operator's: it may be running, so only say what to run before starting it. */
function adviseTxIndexRepair(home: Home, lastHeight: number, logger: Logger): void {
  if (lastHeight === 0 || readTxIndexConfig(home).indexer === "null") return;
  logger.info(`txs committed just before CometBFT last stopped may be missing from its index; before 'cometbft start', run: ${reindexCommand(home, lastHeight)}`);
}

function reindexCommand(home: Home, lastHeight: number): string {
  return `cometbft reindex-event --home ${home.dir} --start-height ${repairFrom(lastHeight)}`;
}

/**
 * `--unsafe-crash-at <phase>:<n>` (a hidden flag, never read from the environment) kills this
 * process with SIGKILL the n-th time a block reaches <phase> (finalize, commit or committed), exactly
 * as `kill -9` would: the crash-recovery tests use it to die at each step of a block.
 */
function crashInjection(spec: string | undefined, logger: Logger): ((phase: BlockPhase) => void) | undefined {
  if (!spec) return undefined;
  const match = /^(finalize|commit|committed):([1-9]\d*)$/.exec(spec);
  if (!match) throw new Error(`--unsafe-crash-at takes <finalize|commit|committed>:<n>, got '${spec}'`);
  const target = match[1] as BlockPhase;
  let remaining = Number(match[2]);
  logger.warn({ crashAt: spec }, "--unsafe-crash-at: this node will kill itself");
  return (phase) => {
    if (phase === target && --remaining <= 0) process.kill(process.pid, "SIGKILL");
  };
}
