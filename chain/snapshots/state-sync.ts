/**
 * State sync for BaseApp, as the SDK's snapshots manager: taking a snapshot after the commit of
 * every `interval`-th height (in the background, the height held against pruning) and keeping the
 * newest `keepRecent`; serving them (ListSnapshots, LoadSnapshotChunk); restoring one into an
 * empty store (OfferSnapshot, ApplySnapshotChunk) with every chunk and the final app hash checked.
 */
import * as abci from "cosmjs-types/tendermint/abci/types";
import type { Logger } from "../log";
import type { CommitMultiStore } from "../store";
import type { VersionExport } from "../store/snapshot-export";
import { SNAPSHOT_FORMAT } from "./format";
import { RestoreSession } from "./restore";
import { SnapshotDir, type SnapshotInfo } from "./snapshot-dir";
import { takeSnapshot } from "./take";

export interface SnapshotOptions {
  /** Where snapshots are kept (`<home>/data/snapshots`). */
  dir: string;
  /** Heights between snapshots (app.toml snapshot-interval); 0 takes none (serving and restoring still work). */
  interval: number;
  /** Snapshots kept (app.toml snapshot-keep-recent); 0 keeps all. */
  keepRecent: number;
  /** Raw bytes per chunk before compression: CHUNK_RAW_BYTES (4 MiB) by default, at most that. */
  chunkBytes?: number;
}

/** A chunk that failed its sha256 is fetched again this many times before the snapshot is given up. */
const MAX_CHUNK_RETRIES = 3;
/** CometBFT sends the metadata of at most 10 snapshots to a peer. */
const MAX_LISTED = 10;

const Offer = abci.ResponseOfferSnapshot_Result;
const Apply = abci.ResponseApplySnapshotChunk_Result;

export class StateSync {
  private readonly dir: SnapshotDir;
  private taking: Promise<void> | undefined;
  private stopping = false;
  private session: RestoreSession | undefined;
  private retries = 0;

  constructor(
    private readonly cms: CommitMultiStore,
    private readonly opts: SnapshotOptions,
    private readonly logger: Logger,
  ) {
    for (const [name, v] of [["snapshot-interval", opts.interval], ["snapshot-keep-recent", opts.keepRecent]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer, got ${String(v)}`);
    }
    this.dir = new SnapshotDir(opts.dir);
  }

  /** After the commit of `height`: starts its snapshot if it is due. `appMeta` is the app's record of that commit. */
  afterCommit(height: number, appMeta: Uint8Array): void {
    if (this.opts.interval === 0 || height % this.opts.interval !== 0 || this.stopping) return;
    if (this.taking !== undefined) {
      this.logger.warn({ height }, "snapshot skipped: the previous one is still being written");
      return;
    }
    let exp: VersionExport;
    try {
      if (this.dir.has(height, SNAPSHOT_FORMAT)) return;
      exp = this.cms.exportVersion(height); // held from now on, before any later commit can prune it
    } catch (e) {
      // a snapshot that cannot start must not fail the block
      this.logger.error({ height, err: e instanceof Error ? e.message : String(e) }, "snapshot failed");
      return;
    }
    const started = performance.now();
    this.taking = takeSnapshot(exp, appMeta, this.dir, () => this.stopping, this.opts.chunkBytes)
      .then((s) => {
        if (this.opts.keepRecent > 0) this.dir.prune(this.opts.keepRecent);
        this.logger.info({ height, chunks: s.chunks, hash: hex(s.hash), ms: Math.round(performance.now() - started) }, "snapshot taken");
      })
      .catch((e: unknown) => this.logger.error({ height, err: e instanceof Error ? e.message : String(e) }, "snapshot failed"))
      .finally(() => {
        exp.close();
        this.taking = undefined;
      });
  }

  /** Resolves when no snapshot is being written (tests, shutdown). */
  async idle(): Promise<void> {
    await this.taking;
  }

  /** Abandons a snapshot being written and a restore in progress. */
  async close(): Promise<void> {
    this.stopping = true;
    await this.taking;
    await this.session?.abandon();
    this.session = undefined;
  }

  listSnapshots(): abci.ResponseListSnapshots {
    return { snapshots: this.dir.list().slice(0, MAX_LISTED).map((s) => ({ ...s, height: BigInt(s.height) })) };
  }

  async loadSnapshotChunk(req: abci.RequestLoadSnapshotChunk): Promise<abci.ResponseLoadSnapshotChunk> {
    return { chunk: (await this.dir.chunk(Number(req.height), req.format, req.chunk)) ?? new Uint8Array() };
  }

  async offerSnapshot(req: abci.RequestOfferSnapshot): Promise<abci.ResponseOfferSnapshot> {
    // CometBFT offers another snapshot after giving one up: what the last one left is wiped first.
    await this.session?.abandon();
    this.session = undefined;
    const s = req.snapshot;
    if (s === undefined) return { result: Offer.REJECT };
    const info: SnapshotInfo = { height: Number(s.height), format: s.format, chunks: s.chunks, hash: s.hash, metadata: s.metadata };
    if (s.format !== SNAPSHOT_FORMAT) {
      this.logger.info({ height: info.height, format: s.format }, `snapshot refused: pegzone restores format ${SNAPSHOT_FORMAT} only`);
      return { result: Offer.REJECT_FORMAT };
    }
    if (this.cms.lastVersion !== 0) {
      // e.g. a node killed after its restore but before CometBFT recorded it: CometBFT starts over, the app has a state
      this.logger.error(
        { height: this.cms.lastVersion },
        "state sync refused: the application state is not empty. State sync restores into a new node only: stop the node and remove its data/application.db and CometBFT's data, or set [statesync] enable = false in config.toml",
      );
      return { result: Offer.ABORT };
    }
    const problem = RestoreSession.problem(info, req.appHash);
    if (problem !== undefined) {
      this.logger.warn({ height: info.height }, `snapshot refused: ${problem}`);
      return { result: Offer.REJECT };
    }
    try {
      this.session = new RestoreSession(info, Uint8Array.from(req.appHash), await this.cms.beginRestore(info.height));
    } catch (e) {
      this.logger.error({ height: info.height, err: e instanceof Error ? e.message : String(e) }, "state sync cannot start a restore");
      return { result: Offer.ABORT };
    }
    this.retries = 0;
    this.logger.info({ height: info.height, chunks: info.chunks, appHash: hex(req.appHash) }, "restoring snapshot");
    return { result: Offer.ACCEPT };
  }

  async applySnapshotChunk(req: abci.RequestApplySnapshotChunk): Promise<abci.ResponseApplySnapshotChunk> {
    const answer = (result: abci.ResponseApplySnapshotChunk_Result, refetchChunks: number[] = [], rejectSenders: string[] = []) => ({ result, refetchChunks, rejectSenders });
    const session = this.session;
    if (session === undefined) return answer(Apply.ABORT);
    const out = await session.apply(req.index, req.chunk);
    switch (out.kind) {
      case "accepted":
        this.retries = 0;
        return answer(Apply.ACCEPT);
      case "restored":
        this.session = undefined;
        this.logger.info({ height: out.height, appHash: hex(this.cms.lastHash) }, "snapshot restored");
        return answer(Apply.ACCEPT);
      case "bad-chunk":
        this.logger.warn({ index: req.index, sender: req.sender }, `snapshot chunk refused: ${out.reason}`);
        if (++this.retries <= MAX_CHUNK_RETRIES) return answer(Apply.RETRY, [req.index], req.sender ? [req.sender] : []);
        await session.abandon();
        this.session = undefined;
        return answer(Apply.REJECT_SNAPSHOT, [], req.sender ? [req.sender] : []);
      case "rejected":
        this.session = undefined;
        this.logger.warn({ height: session.snapshot.height, index: req.index }, `snapshot rejected: ${out.reason}`);
        return answer(Apply.REJECT_SNAPSHOT);
    }
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex").toUpperCase();
}
