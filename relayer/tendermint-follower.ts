/**
 * Keeps a Tendermint light client (light-client/tendermint) level with a CometBFT node: builds the
 * `ibc.lightclients.tendermint.v1.Header` messages that give the client a consensus state at a target
 * height — the node's latest by default, or an older height a proof needs — skipping as far as the
 * trust rule allows.
 *
 * Each step reads the client's current state (the highest stored height at or below the target, the
 * state kept there, the client's options): nothing is kept between runs, so a follower may be
 * restarted, or run beside another, at any time. The step's candidate is the target; when the local
 * check with the pure verifier says NOT_ENOUGH_TRUST (less than the trust level of the trusted next
 * validator set signed it), it tries the heights that already failed in this sync, then bisects to the
 * midpoint between the trusted height and the lowest failed candidate — CometBFT's light client
 * `verifySkipping`. So a header is sent only once the verifier accepts it locally: the client never
 * sees one it would refuse for lack of trust. Each message carries `trustedHeight` and the trusted
 * header's *next* validator set, `validators(trustedHeight + 1)`, as ibc-go's update path wants it.
 */
import { Bar, Presets } from "cli-progress";
import { Header as HeaderMessage } from "cosmjs-types/ibc/lightclients/tendermint/v1/tendermint";
import type { KVStore } from "../chain/store/types";
import { clientState, consensusState, latestHeight, storedHeightAtOrBelow } from "../light-client/tendermint/client";
import { revisionOf } from "../light-client/tendermint/client-state";
import { signedHeaderToProto, validatorSetToProto } from "../light-client/tendermint/decode";
import { TendermintError } from "../light-client/tendermint/errors";
import { buildResultProof } from "../light-client/tendermint/proof-results-build";
import type { ProofOp } from "../light-client/tendermint/proof-state";
import { txProofToBytes } from "../light-client/tendermint/proof-tx";
import type { ExecResult, ResultProof } from "../light-client/tendermint/proof-results";
import type { Fraction, Header, SignedHeader, Time, TrustedState, ValidatorSet } from "../light-client/tendermint/types";
import { verify } from "../light-client/tendermint/verify";
import type { CometRpcClient } from "./cometbft-rpc";

/** The client's verification parameters, as the follower must apply them locally. */
export interface ClientParams {
  readonly chainId: string;
  readonly trustLevel: Fraction;
  /** Nanoseconds. */
  readonly trustingPeriod: bigint;
  /** Nanoseconds. */
  readonly maxClockDrift: bigint;
}

/** What the follower reads of the light client it feeds (on pegzone, or a local store: `localClient`). */
export interface FollowedClient {
  params(): Promise<ClientParams>;
  /** The highest height at or below `height` with a stored consensus state; undefined if none (pruned). */
  trustedHeightAtOrBelow(height: bigint): Promise<bigint | undefined>;
  /** The state the client keeps for `height` (time and next_validators_hash of that header). */
  trustedState(height: bigint): Promise<TrustedState>;
}

/** One header message, checked locally against the client's state. */
export interface HeaderUpdate {
  readonly height: bigint;
  readonly trustedHeight: bigint;
  readonly signedHeader: SignedHeader;
  readonly validatorSet: ValidatorSet;
  /** The trusted header's next validator set. */
  readonly trustedValidators: ValidatorSet;
  /** The protobuf `ibc.lightclients.tendermint.v1.Header`. */
  readonly bytes: Uint8Array;
}

export interface FollowerOptions {
  readonly rpc: Pick<CometRpcClient, "status" | "commit" | "validators">;
  readonly client: FollowedClient;
  /** Sends an update to the client and resolves once it is applied (stored by the client). */
  readonly submit: (update: HeaderUpdate) => Promise<void>;
  /** The time the client will verify `candidate` at (pegzone's next block time); default the wall clock. */
  readonly now?: (candidate: Header) => Time;
  /** `done` of `total` heights caught up, after each header sent (see `terminalProgress`). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SyncResult {
  /** The trusted height the sync started from, and its target. */
  readonly from: bigint;
  readonly to: bigint;
  /** Headers sent. */
  readonly sent: number;
  /** Candidates the local check refused for lack of trust, each followed by a retry lower down. */
  readonly bisections: number;
}

/** The follower cannot bring the client forward: the node serves a header the client would refuse. */
export class FollowerError extends Error {
  override readonly name = "FollowerError";
}

/** The protobuf `ibc.lightclients.tendermint.v1.Header` of an update (trusted height of the header's revision). */
export function encodeHeaderMessage(u: Omit<HeaderUpdate, "bytes">): Uint8Array {
  return HeaderMessage.encode({
    signedHeader: signedHeaderToProto(u.signedHeader),
    validatorSet: validatorSetToProto(u.validatorSet),
    trustedHeight: { revisionNumber: revisionOf(u.signedHeader.header.chainId), revisionHeight: u.trustedHeight },
    trustedValidators: validatorSetToProto(u.trustedValidators),
  }).finish();
}

/** The light client in a local KVStore (client.ts), e.g. in tests or an in-process relayer. */
export function localClient(store: KVStore): FollowedClient {
  return {
    async params() {
      const s = await clientState(store);
      return { chainId: s.chainId, trustLevel: s.trustLevel, trustingPeriod: s.trustingPeriod, maxClockDrift: s.maxClockDrift };
    },
    trustedHeightAtOrBelow: (height) => storedHeightAtOrBelow(store, height),
    async trustedState(height) {
      const [c, { chainId }] = await Promise.all([consensusState(store, height), clientState(store)]);
      if (c === undefined) throw new FollowerError(`the client has no consensus state at ${height}`);
      return { chainId, height, time: c.time, nextValidatorsHash: c.nextValidatorsHash };
    },
  };
}

/** The latest height of a local client (a convenience over client.ts latestHeight). */
export const localLatestHeight = async (store: KVStore): Promise<bigint> => (await latestHeight(store)).revisionHeight;

const wallClock = (): Time => BigInt(Date.now()) * 1_000_000n;

interface LightBlock {
  readonly signedHeader: SignedHeader;
  readonly validatorSet: ValidatorSet;
}

export class TendermintFollower {
  /** Light blocks fetched in this sync, by height (node data; verified again at each use). */
  private readonly blocks = new Map<bigint, LightBlock>();
  /** Heights refused for lack of trust in this sync, the candidates to try again before bisecting further. */
  private readonly failed = new Set<bigint>();
  private bisections = 0;

  constructor(private readonly o: FollowerOptions) {}

  /**
   * Gives the client a consensus state at `target` (default: the node's latest height), from the
   * highest one it holds below; a no-op when it holds one there. Returns what was done.
   */
  async sync(target?: bigint): Promise<SyncResult> {
    this.blocks.clear();
    this.failed.clear();
    this.bisections = 0;
    const params = await this.o.client.params();
    const status = await this.o.rpc.status();
    if (status.chainId !== params.chainId) throw new FollowerError(`the node serves chain "${status.chainId}", the client follows "${params.chainId}"`);
    const to = target ?? status.latestHeight;
    if (to > status.latestHeight) throw new FollowerError(`target ${to} is above the node's latest height ${status.latestHeight}`);
    const from = await this.base(to);
    let sent = 0;
    for (let height = from; height < to; ) {
      const update = await this.nextUpdate(to, params);
      if (update === undefined) break;
      await this.o.submit(update);
      sent++;
      const now = await this.base(to);
      if (now < update.height) throw new FollowerError(`the client holds nothing at ${update.height} after that header was sent (highest below the target: ${now})`);
      height = now;
      this.o.onProgress?.(Number(height - from), Number(to - from));
    }
    return { from, to, sent, bisections: this.bisections };
  }

  /**
   * The next header to send towards `target`, checked locally; undefined when the client holds it.
   * Throws a FollowerError when the node's header is invalid for the client (another reason than
   * lack of trust: expired trusted state, a header from the future, a forged or mismatched block).
   */
  async nextUpdate(target: bigint, params?: ClientParams): Promise<HeaderUpdate | undefined> {
    const p = params ?? (await this.o.client.params());
    const trustedHeight = await this.base(target);
    if (trustedHeight >= target) return undefined;
    const trusted = await this.o.client.trustedState(trustedHeight);
    const trustedValidators = await this.o.rpc.validators(trustedHeight + 1n);
    for (const h of this.blocks.keys()) if (h <= trustedHeight) this.blocks.delete(h);
    // Target first, then the heights that failed from an older trusted height, highest first (CometBFT's block cache).
    const retry = [...this.failed].filter((h) => h > trustedHeight && h < target).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
    let candidate = target;
    for (let i = 0; ; ) {
      const block = await this.lightBlock(candidate);
      const now = (this.o.now ?? wallClock)(block.signedHeader.header);
      try {
        verify(trusted, trustedValidators, block.signedHeader, block.validatorSet, { now, trustLevel: p.trustLevel, trustingPeriod: p.trustingPeriod, maxClockDrift: p.maxClockDrift });
      } catch (e) {
        if (!(e instanceof TendermintError)) throw e;
        if (e.reason !== "not-enough-trust")
          throw new FollowerError(`the header at ${candidate} does not verify from the trusted height ${trustedHeight}: ${e.message}`, { cause: e });
        this.failed.add(candidate);
        this.bisections++;
        candidate = i < retry.length ? retry[i++] : trustedHeight + (candidate - trustedHeight) / 2n;
        // An adjacent header needs no trust level; a refusal there is never "not-enough-trust".
        if (candidate <= trustedHeight) throw new FollowerError(`no height above ${trustedHeight} is trusted (bisection exhausted)`);
        continue;
      }
      this.failed.delete(candidate);
      const parts = { height: candidate, trustedHeight, signedHeader: block.signedHeader, validatorSet: block.validatorSet, trustedValidators };
      return { ...parts, bytes: encodeHeaderMessage(parts) };
    }
  }

  private async base(target: bigint): Promise<bigint> {
    const h = await this.o.client.trustedHeightAtOrBelow(target);
    if (h === undefined) throw new FollowerError(`the client holds no consensus state at or below ${target} (pruned?): it cannot verify a header there`);
    return h;
  }

  private async lightBlock(height: bigint): Promise<LightBlock> {
    let block = this.blocks.get(height);
    if (block === undefined) {
      const [signedHeader, validatorSet] = await Promise.all([this.o.rpc.commit(height), this.o.rpc.validators(height)]);
      block = { signedHeader, validatorSet };
      this.blocks.set(height, block);
    }
    return block;
  }
}

// ---------------------------------------------------------------------------------------------
// Proof claims (client.ts proveTransaction / proveState) from the node

export interface TxClaimParts {
  readonly height: bigint;
  readonly tx: Uint8Array;
  readonly txProof: Uint8Array;
  readonly result: ExecResult;
  readonly resultProof: ResultProof;
}

/**
 * A tx and its result with their proofs: /tx?prove=true for inclusion under block H's data_hash, and
 * the Merkle path of its result under H+1's last_results_hash rebuilt from /block_results?height=H.
 * The client must hold consensus states at H and H+1 (`sync(H)`, `sync(H + 1n)`).
 */
export async function fetchTxClaim(rpc: Pick<CometRpcClient, "tx" | "blockResults">, hash: string): Promise<TxClaimParts> {
  const tx = await rpc.tx(hash, true);
  if (tx.proof === undefined) throw new Error(`tx ${hash}: the node sent no proof`);
  const results = await rpc.blockResults(tx.height);
  const index = tx.proof.proof.index;
  if (index < 0 || index >= results.length) throw new Error(`tx ${hash}: index ${index} of block ${tx.height}, which has ${results.length} results`);
  const { result, proof } = buildResultProof(results, index);
  return { height: tx.height, tx: tx.tx, txProof: txProofToBytes(tx.proof), result, resultProof: proof };
}

export interface StateClaimParts {
  readonly height: bigint;
  readonly storeName: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
  readonly proofOps: readonly ProofOp[];
}

/** `key` in module store `storeName` after block `height`, with its ICS23 proof (against H+1's app_hash). */
export async function fetchStateClaim(rpc: Pick<CometRpcClient, "abciQuery">, storeName: string, key: Uint8Array, height: bigint): Promise<StateClaimParts> {
  const q = await rpc.abciQuery(`/store/${storeName}/key`, key, height, true);
  return { height, storeName, key, value: q.value, proofOps: q.proofOps };
}

/** A progress bar on a terminal's stderr (as the Bitcoin relayer's), else undefined: pass it as `onProgress`. */
export function terminalProgress(label = "tendermint headers", stream: NodeJS.WriteStream = process.stderr): FollowerOptions["onProgress"] {
  if (!stream.isTTY) return undefined;
  const bar = new Bar({ format: `${label} [{bar}] {value}/{total} {percentage}%`, stream }, Presets.shades_classic);
  let active = false;
  return (done, total) => {
    if (!active) bar.start(total, 0);
    active = done < total;
    bar.update(done);
    if (!active) bar.stop();
  };
}
