import { AbciServer } from "../abci/server";
import type { BlockPhase, PegzoneApp } from "../app/app";
import { openPegzoneApp } from "../app/pegzone";
import type { Logger } from "../log";
import { CometProcess } from "./cometbft";
import { getTxHandler } from "./tx-service";
import { readAppConfig, readCometAddresses, readGenesis, type Home } from "./home";

export interface RunningNode {
  app: PegzoneApp;
  rpc: string;
  /** Settles when CometBFT exits by itself (undefined with --abci-only). */
  cometExited?: Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Serve ABCI only; the operator runs CometBFT. */
  abciOnly?: boolean;
  /** Where CometBFT's log lines go; by default to the logger at debug level. */
  onCometLine?: (line: string) => void;
}

/** Opens the app state, serves ABCI where config.toml's proxy_app points, then starts CometBFT. */
export async function startNode(home: Home, logger: Logger, opts: StartOptions = {}): Promise<RunningNode> {
  if (!home.isInitialized()) throw new Error(`${home.dir} has no genesis: run 'pegzone init' first`);
  const genesis = readGenesis(home);
  const appConfig = readAppConfig(home);
  const { proxyApp, rpc } = readCometAddresses(home);
  const app = await openPegzoneApp({
    dbDir: home.appDbDir,
    chainId: genesis.chain_id,
    minimumGasPrices: appConfig.minimumGasPrices,
    pruningKeepRecent: appConfig.pruningKeepRecent,
    minRetainBlocks: appConfig.minRetainBlocks,
    logger,
    onPhase: crashInjection(process.env.PEGZONE_CRASH_AT),
  });
  const rpcUrl = rpc.replace(/^tcp:/, "http:");
  app.queries.register("/cosmos.tx.v1beta1.Service/GetTx", getTxHandler(rpcUrl));
  logger.info({ height: app.lastHeight, appHash: Buffer.from(app.lastAppHash).toString("hex").toUpperCase() }, "application state opened");
  const server = new AbciServer(app, { logger });
  await server.listen(proxyApp);

  const comet = opts.abciOnly ? undefined : new CometProcess(home.dir, logger, opts.onCometLine);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await comet?.stop();
      await server.close();
      await app.close();
    })());
  return { app, rpc: rpcUrl, cometExited: comet?.exited, stop };
}

/**
 * For crash tests only: PEGZONE_CRASH_AT=<phase>:<n> kills this process with SIGKILL the n-th time
 * a block reaches <phase> (finalize, commit or committed), exactly as `kill -9` would.
 */
function crashInjection(spec: string | undefined): ((phase: BlockPhase) => void) | undefined {
  if (!spec) return undefined;
  const [target, countText] = spec.split(":");
  let remaining = Number(countText ?? "1");
  return (phase) => {
    if (phase === target && --remaining <= 0) process.kill(process.pid, "SIGKILL");
  };
}
