import "./writer-alloc";
import * as txService from "cosmjs-types/cosmos/tx/v1beta1/service";
import * as abci from "cosmjs-types/tendermint/abci/types";
import { ConsensusParams } from "cosmjs-types/tendermint/types/params";
import { Timestamp } from "cosmjs-types/google/protobuf/timestamp";
import type { AbciApplication } from "../abci/application";
import type { Logger } from "../log";
import { StateSync, type SnapshotOptions } from "../snapshots/state-sync";
import { branch, CommitMultiStore } from "../store";
import type { CacheMultiStore, MultiStore } from "../store/types";
import { SdkError, sdkErrors } from "../tx/errors";
import type { MsgRegistry } from "../tx/registry";
import type { BlockHeader, Context, ExecMode } from "./context";
import { EventManager } from "./events";
import { InfiniteGasMeter } from "./gas";
import type { AppModule } from "./module";
import { MsgRouter, QueryRouter, registrar, requestTypesIn } from "./router";
import { toSdkError, TxRunner, type AnteHandler, type TxResult } from "./tx-runner";

export const APP_NAME = "pegzone";
export const APP_VERSION = "0.1.0";

/**
 * The app's own store, next to the modules': the consensus parameters of InitChain (as the SDK's
 * x/consensus keeps them), which every validator checks proposals against.
 */
export const CONSENSUS_STORE = "consensus";
const CONSENSUS_PARAMS_KEY = Uint8Array.of(0x00);

export interface AppOptions {
  /** LevelDB folder of the application state. */
  dbDir: string;
  chainId: string;
  modules: AppModule[];
  /**
   * The generated protobuf packages of the modules' query services, by package name (e.g.
   * "cosmos.bank.v1beta1"): the query router takes each method's request type from them.
   */
  queryPackages: Readonly<Record<string, object>>;
  /** Builds the ante chain once the modules' messages are registered (amino signing needs them). */
  ante: (registry: MsgRegistry) => AnteHandler;
  logger: Logger;
  /** Committed state versions kept for historical queries; 0 keeps all. */
  pruningKeepRecent: number;
  /** Blocks CometBFT must keep; older ones may be pruned (Commit's retain_height). 0 keeps all. */
  minRetainBlocks: number;
  /** State sync snapshots (app.toml [state-sync]); without them the app neither serves nor restores any. */
  snapshots?: SnapshotOptions;
  /** Called at the crash-sensitive points of a block; crash tests kill the process there. */
  onPhase?: (phase: BlockPhase) => void;
}

/** Mid-FinalizeBlock (txs executed, nothing answered), and just before and after the commit batch is written. */
export type BlockPhase = "finalize" | "commit" | "committed";

/**
 * The ABCI application: BaseApp's block lifecycle over the module set.
 * State lives in three places: the committed multistore; `blockState`, the branch FinalizeBlock
 * writes into (genesis writes go there too, and are committed with the first block); and
 * `checkState`, a branch that CheckTx and RECHECK run on, rebuilt at every Commit.
 */
export class BaseApp implements AbciApplication {
  readonly msgs = new MsgRouter();
  readonly queries: QueryRouter;
  private readonly runner: TxRunner;
  private checkState!: CacheMultiStore;
  private checkHeader!: BlockHeader;
  /** Height of the block finalized but not yet committed, if any. */
  private finalizedHeight: bigint | undefined;
  /** The first block's height, known from InitChain; CometBFT calls InitChain whenever nothing is committed. */
  private initialHeight = 1n;
  private readonly stateSync: StateSync | undefined;

  private constructor(
    private readonly opts: AppOptions,
    private readonly cms: CommitMultiStore,
  ) {
    this.stateSync = opts.snapshots && new StateSync(cms, opts.snapshots, opts.logger);
    this.queries = new QueryRouter(requestTypesIn({ "cosmos.tx.v1beta1": txService, ...opts.queryPackages }));
    for (const m of opts.modules) m.registerServices(registrar(this.msgs, this.queries));
    this.queries.register("/cosmos.tx.v1beta1.Service/Simulate", (ctx, req) => this.simulateQuery(ctx, req));
    this.runner = new TxRunner(this.msgs, opts.ante(this.msgs.registry), opts.logger);
  }

  static async open(opts: AppOptions): Promise<BaseApp> {
    const cms = await CommitMultiStore.open(
      opts.dbDir,
      [...opts.modules.map((m) => m.name), CONSENSUS_STORE],
      { keepRecent: opts.pruningKeepRecent },
    );
    const app = new BaseApp(opts, cms);
    // After a restart, CheckTx and simulations run at the last block's time, as they did before it.
    await app.resetCheckState(blockTimeOf(cms.lastAppMeta));
    return app;
  }

  get lastHeight(): number {
    return this.cms.lastVersion;
  }

  get lastAppHash(): Uint8Array {
    return this.cms.lastHash;
  }

  /** Resolves when no snapshot is being written. */
  async snapshotsIdle(): Promise<void> {
    await this.stateSync?.idle();
  }

  async close(): Promise<void> {
    await this.stateSync?.close();
    await this.cms.close();
  }

  async info(_req: abci.RequestInfo): Promise<abci.ResponseInfo> {
    const height = this.cms.lastVersion;
    return {
      data: APP_NAME,
      version: APP_VERSION,
      appVersion: 0n,
      lastBlockHeight: BigInt(height),
      // CometBFT expects no app hash before the first commit; it takes InitChain's instead.
      lastBlockAppHash: height === 0 ? new Uint8Array() : this.cms.lastHash,
    };
  }

  async initChain(req: abci.RequestInitChain): Promise<abci.ResponseInitChain> {
    if (req.chainId !== this.opts.chainId) {
      throw new Error(`genesis chain id ${req.chainId} differs from the node's configured ${this.opts.chainId}`);
    }
    if (this.cms.lastVersion !== 0) throw new Error(`InitChain on a chain already at height ${this.cms.lastVersion}`);
    this.initialHeight = req.initialHeight > 1n ? req.initialHeight : 1n;
    if (this.initialHeight > 1n) this.cms.setInitialVersion(Number(this.initialHeight));

    const genesis = parseAppState(req.appStateBytes);
    const header: BlockHeader = { chainId: req.chainId, height: req.initialHeight, time: req.time };
    const state = branch(this.cms.working());
    if (req.consensusParams) state.store(CONSENSUS_STORE).set(CONSENSUS_PARAMS_KEY, ConsensusParams.encode(req.consensusParams).finish());
    const ctx = this.context("genesis", header, state, new EventManager());
    let validators: abci.ValidatorUpdate[] | undefined;
    for (const m of this.opts.modules) {
      const updates = await m.initGenesis(ctx, genesis[m.name] ?? m.defaultGenesis());
      if (updates && updates.length > 0) validators = updates;
    }
    state.write();
    await this.resetCheckState(req.time);
    // A module's validator set replaces genesis.json's (CometBFT takes InitChain's when it is not empty).
    return { consensusParams: undefined, validators: validators ?? req.validators, appHash: this.cms.workingHash() };
  }

  async query(req: abci.RequestQuery): Promise<abci.ResponseQuery> {
    const height = req.height === 0n ? BigInt(this.cms.lastVersion) : req.height;
    const empty: abci.ResponseQuery = {
      code: 0, log: "", info: "", index: 0n, key: req.data, value: new Uint8Array(), proofOps: undefined, height, codespace: "",
    };
    try {
      if (height > BigInt(this.cms.lastVersion)) {
        throw sdkErrors.ErrInvalidRequest.wrap(
          `cannot query with height in the future; please provide a valid height (latest is ${this.cms.lastVersion})`,
        );
      }
      if (height < BigInt(this.cms.earliestVersion)) {
        throw sdkErrors.ErrInvalidRequest.wrap(`height ${height} is pruned; the earliest available is ${this.cms.earliestVersion}`);
      }
      if (req.path.startsWith("/store/")) return { ...empty, ...(await this.storeQuery(req, Number(height))) };
      const handler = this.queries.get(req.path);
      if (!handler) throw sdkErrors.ErrUnknownRequest.wrap(`unknown query path: ${req.path}`);
      const view = await this.cms.view(Number(height));
      const header: BlockHeader = { ...this.checkHeader, height };
      const value = await handler(this.context("query", header, view, new EventManager()), req.data);
      return { ...empty, value };
    } catch (err) {
      const e = toSdkError(err, this.opts.logger);
      return { ...empty, code: e.code, codespace: e.codespace, log: e.message };
    }
  }

  /** `/store/<module>/key`: the raw value, with ICS23 proofs when asked for. */
  private async storeQuery(req: abci.RequestQuery, height: number): Promise<Partial<abci.ResponseQuery>> {
    const [, , storeName, kind] = req.path.split("/");
    if (kind !== "key" || !this.opts.modules.some((m) => m.name === storeName)) {
      throw sdkErrors.ErrUnknownRequest.wrap(`unknown store query: ${req.path}`);
    }
    if (req.data.length === 0) throw sdkErrors.ErrInvalidRequest.wrap("query key must not be empty");
    if (req.prove) {
      const { value, proof } = await this.cms.prove(storeName, req.data, height);
      return { value: value ?? new Uint8Array(), proofOps: { ops: proof } };
    }
    const value = await (await this.cms.view(height)).store(storeName).get(req.data);
    return { value: value ?? new Uint8Array() };
  }

  async checkTx(req: abci.RequestCheckTx): Promise<abci.ResponseCheckTx> {
    const mode: ExecMode = req.type === abci.CheckTxType.RECHECK ? "recheck" : "check";
    const res = await this.runner.run(mode, this.checkHeader, this.checkState, req.tx);
    return { ...res, info: "", sender: "", priority: 0n, mempoolError: "" } as abci.ResponseCheckTx;
  }

  /**
   * Keeps txs in order while they fit in max_tx_bytes and, summing their gas limits, in the block's
   * max_gas, and still pass the ante checks (the SDK's default proposal handler).
   * When the txs are the ones the check state applied, in its order up to swaps of txs with no
   * signer in common (the usual case: CometBFT reaps its mempool in order), their ante verdicts are
   * already known, and the proposal is the longest prefix that fits; otherwise each tx runs the
   * ante chain again on a branch of the working state.
   */
  async prepareProposal(req: abci.RequestPrepareProposal): Promise<abci.ResponsePrepareProposal> {
    const maxGas = await this.maxBlockGas();
    const txs: Uint8Array[] = [];
    let bytes = 0n;
    let gas = 0n;
    const checked = this.runner.inCheckStateOrder(req.txs);
    if (checked !== undefined) {
      for (const [i, tx] of req.txs.entries()) {
        const gasWanted = checked[i].fee.gasLimit;
        // A prefix only: a later tx may depend on this one (its sender's next sequence).
        if (bytes + BigInt(tx.length) > req.maxTxBytes || (maxGas !== undefined && gas + gasWanted > maxGas)) break;
        txs.push(tx);
        bytes += BigInt(tx.length);
        gas += gasWanted;
      }
      return { txs };
    }
    const header: BlockHeader = { chainId: this.opts.chainId, height: req.height, time: req.time };
    const state = branch(this.cms.working());
    for (const tx of req.txs) {
      if (bytes + BigInt(tx.length) > req.maxTxBytes) continue;
      // Measured before the ante chain runs, which would charge a tx left out of the block on this branch.
      const gasWanted = this.gasWanted(tx);
      if (gasWanted === undefined || (maxGas !== undefined && gas + gasWanted > maxGas)) continue;
      const res = await this.runner.run("prepare", header, state, tx);
      if (res.code !== 0) continue;
      txs.push(tx);
      bytes += BigInt(tx.length);
      gas += gasWanted;
    }
    return { txs };
  }

  /** REJECT if a tx cannot be decoded or the txs' gas limits add up to more than the block's max_gas. */
  async processProposal(req: abci.RequestProcessProposal): Promise<abci.ResponseProcessProposal> {
    const maxGas = await this.maxBlockGas();
    let gas = 0n;
    for (const tx of req.txs) {
      const gasWanted = this.gasWanted(tx);
      if (gasWanted === undefined) return { status: abci.ResponseProcessProposal_ProposalStatus.REJECT };
      gas += gasWanted;
      if (maxGas !== undefined && gas > maxGas) return { status: abci.ResponseProcessProposal_ProposalStatus.REJECT };
    }
    return { status: abci.ResponseProcessProposal_ProposalStatus.ACCEPT };
  }

  /** A tx's gas limit, or undefined if it cannot be decoded. */
  private gasWanted(tx: Uint8Array): bigint | undefined {
    try {
      return this.runner.decode(tx).fee.gasLimit;
    } catch {
      return undefined;
    }
  }

  /** The consensus max_gas of a block; undefined for none (-1, or 0 as the SDK reads it). */
  private async maxBlockGas(): Promise<bigint | undefined> {
    const raw = await this.cms.working().store(CONSENSUS_STORE).get(CONSENSUS_PARAMS_KEY);
    const maxGas = raw ? (ConsensusParams.decode(raw).block?.maxGas ?? 0n) : 0n;
    return maxGas > 0n ? maxGas : undefined;
  }

  async finalizeBlock(req: abci.RequestFinalizeBlock): Promise<abci.ResponseFinalizeBlock> {
    const expected = this.cms.lastVersion === 0 ? this.initialHeight : BigInt(this.cms.lastVersion + 1);
    if (req.height !== expected) throw new Error(`FinalizeBlock for height ${req.height}, expected ${expected}`);
    if (this.finalizedHeight !== undefined) throw new Error(`block ${this.finalizedHeight} was finalized and not committed`);

    const header: BlockHeader = { chainId: this.opts.chainId, height: req.height, time: req.time };
    const state = branch(this.cms.working());
    const blockEvents = new EventManager();
    const comet = { lastCommit: req.decidedLastCommit?.votes ?? [], misbehavior: req.misbehavior };
    const blockCtx = { ...this.context("finalize", header, state, blockEvents), comet };
    for (const m of this.opts.modules) await m.beginBlock?.(blockCtx);

    const txResults: TxResult[] = [];
    for (const tx of req.txs) txResults.push(await this.runner.run("finalize", header, state, tx));

    const validatorUpdates: abci.ValidatorUpdate[] = [];
    for (const m of this.opts.modules) validatorUpdates.push(...((await m.endBlock?.(blockCtx)) ?? []));
    this.opts.onPhase?.("finalize");
    state.write();
    this.finalizedHeight = req.height;
    this.checkHeader = header;
    return {
      events: blockEvents.events,
      txResults: txResults.map((r) => ({ ...r, info: "" })),
      validatorUpdates,
      consensusParamUpdates: undefined,
      appHash: this.cms.workingHash(),
    };
  }

  async commit(_req: abci.RequestCommit): Promise<abci.ResponseCommit> {
    if (this.finalizedHeight === undefined) throw new Error("Commit without a finalized block");
    this.opts.onPhase?.("commit");
    const appMeta = Timestamp.encode(this.checkHeader.time).finish();
    const { version, hash } = await this.cms.commit(appMeta);
    this.opts.logger.info({ height: version, appHash: Buffer.from(hash).toString("hex").toUpperCase() }, "committed");
    this.opts.onPhase?.("committed");
    this.stateSync?.afterCommit(version, appMeta);
    this.finalizedHeight = undefined;
    await this.resetCheckState(this.checkHeader.time);
    const retain = this.opts.minRetainBlocks > 0 ? Math.max(0, version - this.opts.minRetainBlocks) : 0;
    return { retainHeight: BigInt(retain) };
  }

  /** Runs a tx (ante without signature checks, then its messages) on a throwaway branch of the check state. */
  async simulate(txBytes: Uint8Array): Promise<TxResult> {
    return this.runner.run("simulate", this.checkHeader, branch(this.checkState), txBytes);
  }

  async extendVote(_req: abci.RequestExtendVote): Promise<abci.ResponseExtendVote> {
    return { voteExtension: new Uint8Array() };
  }

  async verifyVoteExtension(_req: abci.RequestVerifyVoteExtension): Promise<abci.ResponseVerifyVoteExtension> {
    return { status: abci.ResponseVerifyVoteExtension_VerifyStatus.ACCEPT };
  }

  async listSnapshots(_req: abci.RequestListSnapshots): Promise<abci.ResponseListSnapshots> {
    return this.stateSync?.listSnapshots() ?? { snapshots: [] };
  }

  async offerSnapshot(req: abci.RequestOfferSnapshot): Promise<abci.ResponseOfferSnapshot> {
    return (await this.stateSync?.offerSnapshot(req)) ?? { result: abci.ResponseOfferSnapshot_Result.REJECT };
  }

  async loadSnapshotChunk(req: abci.RequestLoadSnapshotChunk): Promise<abci.ResponseLoadSnapshotChunk> {
    return (await this.stateSync?.loadSnapshotChunk(req)) ?? { chunk: new Uint8Array() };
  }

  async applySnapshotChunk(req: abci.RequestApplySnapshotChunk): Promise<abci.ResponseApplySnapshotChunk> {
    if (this.stateSync === undefined) return { result: abci.ResponseApplySnapshotChunk_Result.ABORT, refetchChunks: [], rejectSenders: [] };
    const res = await this.stateSync.applySnapshotChunk(req);
    // Restored: CheckTx runs on the snapshot's state, at its block's time, until the next block.
    if (this.cms.lastVersion !== 0 && this.finalizedHeight === undefined) await this.resetCheckState(blockTimeOf(this.cms.lastAppMeta));
    return res;
  }

  /** The current state as a genesis app_state object, module by module. */
  async exportGenesis(): Promise<Record<string, unknown>> {
    const view = await this.cms.view();
    const ctx = this.context("query", this.checkHeader, view, new EventManager());
    const out: Record<string, unknown> = {};
    for (const m of this.opts.modules) out[m.name] = await m.exportGenesis(ctx);
    return out;
  }

  private async simulateQuery(_ctx: Context, request: Uint8Array): Promise<Uint8Array> {
    const req = txService.SimulateRequest.decode(request);
    if (req.txBytes.length === 0) throw sdkErrors.ErrInvalidRequest.wrap("empty tx_bytes");
    const res = await this.simulate(req.txBytes);
    if (res.code !== 0) throw new SdkError(res.codespace, res.code, res.log);
    return txService.SimulateResponse.encode({
      gasInfo: { gasWanted: res.gasWanted, gasUsed: res.gasUsed },
      result: { data: res.data, log: "", events: res.events, msgResponses: [] },
    }).finish();
  }

  /** Over the working state, so that before the first commit CheckTx already sees the genesis accounts. */
  private async resetCheckState(time: Timestamp): Promise<void> {
    this.checkState = branch(this.cms.working());
    this.runner.newCheckState();
    this.checkHeader = { chainId: this.opts.chainId, height: BigInt(this.cms.lastVersion + 1), time };
  }

  private context(mode: ExecMode, header: BlockHeader, store: MultiStore, events: EventManager): Context {
    return { mode, header, store, gasMeter: new InfiniteGasMeter(), events, logger: this.opts.logger };
  }
}

function parseAppState(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.length === 0) return {};
  const parsed: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error("genesis app_state must be a JSON object keyed by module name");
  }
  return parsed as Record<string, unknown>;
}

function zeroTime(): Timestamp {
  return { seconds: 0n, nanos: 0 };
}

/** The block time the app recorded with its last commit; a restored snapshot's record is not covered by the app hash, so garbage reads as none. */
function blockTimeOf(appMeta: Uint8Array | undefined): Timestamp {
  if (appMeta === undefined) return zeroTime();
  try {
    return Timestamp.decode(appMeta);
  } catch {
    return zeroTime();
  }
}
