/**
 * Runs a node until SIGINT or SIGTERM (`pegzone start`), or a devnet's node with the Hub and the
 * side processes beside it (`pegzone devnet`), stopping everything in order. Apart from main.ts
 * because both the start command (main.ts) and the devnet command (devnet-command.ts) run it.
 */
import { createLogger, type Logger } from "../../chain/log";
import type { Home } from "../node/home";
import { startNode, type RunningNode, type StartOptions } from "../node/start";
import type { DevnetHub } from "./devnet-hub";
import type { DevnetSide } from "./devnet-side";

/** What `pegzone devnet` runs beside the node: the Hub, already started, and what starts once the node is up. */
export interface DevnetRun {
  logger: Logger;
  hub?: DevnetHub;
  withNode?: (node: RunningNode, logger: Logger) => Promise<DevnetSide>;
}

export async function runUntilSignal(home: Home, opts: StartOptions, devnet?: DevnetRun): Promise<void> {
  const logger = devnet?.logger ?? createLogger("pegzone");
  let node: RunningNode;
  try {
    node = await startNode(home, logger, opts);
  } catch (err) {
    await devnet?.hub?.stop();
    throw err;
  }
  let side: DevnetSide | undefined;
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, "shutting down");
    await side?.stop();
    await devnet?.hub?.stop().catch((err: unknown) => logger.error({ err: String(err) }, "stopping gaiad failed"));
    await node.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown("SIGINT", 0));
  process.on("SIGTERM", () => void shutdown("SIGTERM", 0));
  node.cometExited?.then((code) => {
    if (!stopping) {
      logger.error({ code, log: home.cometLogFile }, "CometBFT exited unexpectedly");
      void shutdown("cometbft exited", 1);
    }
  });
  void devnet?.hub?.unexpectedExit.then((code) => {
    if (stopping) return;
    logger.error({ code, log: devnet.hub?.gaiad.logFile }, "gaiad exited unexpectedly");
    void shutdown("gaiad exited", 1);
  });
  if (devnet?.withNode) {
    try {
      side = await devnet.withNode(node, logger);
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, "could not start the devnet's Bitcoin side (other ports: --btc-rpc-port, --btc-p2p-port; the node alone: --no-bitcoin)");
      await shutdown("bitcoin failed to start", 1);
      return;
    }
    if (stopping) {
      await side.stop();
      return;
    }
    void side.unexpectedExit.then((what) => {
      if (stopping) return;
      logger.error({ what }, "a devnet process exited unexpectedly");
      void shutdown(what, 1);
    });
  }
}
