/**
 * The relayer of a Tendermint main chain (`pegzone relayer` for a main chain of client_type
 * tendermint): each round brings pegzone's light client level with a CometBFT node's latest height,
 * then claims the deposits to the federation's account (hub-deposits.ts) and settles the federation's
 * releases (hub-releases.ts).
 * The follower (tendermint-follower.ts) picks the headers, skipping as the trust rule allows and
 * bisecting when it does not, and checks each locally against pegzone's client state before it is
 * sent; each goes to pegzone as one MsgRelayHeaders in a tx of its own, and the next is picked once
 * pegzone has stored it. A claim needs the headers of its tx's block H and of H+1, which the
 * skipping passed over: the same follower relays them (targets H, then H+1, below the client's
 * latest). pegzone's client state and its claimed deposits are the only state: the relayer may be
 * stopped at any moment and restarted, or run beside another, and it carries on from wherever they stand.
 */
import type { Logger } from "../chain/log";
import type { KeySigner } from "../chain/keys/keyring";
import type { RpcClient } from "../chain/client/rpc";
import { anyMsg } from "../chain/client/query";
import { signAndBroadcast, type TxOptions } from "../chain/client/tx";
import { pegQuery } from "../modules/peg/client";
import { pegTypeUrls } from "../modules/peg/msgs";
import { pegzone } from "../proto";
import type { CometRpcClient } from "./cometbft-rpc";
import { runRounds } from "./poll";
import { pegzoneTendermintClient } from "./tendermint-pegzone-client";
import { TendermintFollower, type FollowerOptions, type HeaderUpdate, type SyncResult } from "./tendermint-follower";
import { HubDeposits, type DepositRound } from "./hub-deposits";
import { HubReleases, type ReleaseRound } from "./hub-releases";
import type { RelayerMetrics } from "./metrics";

const v1 = pegzone.peg.v1;

export interface TendermintRelayerOptions {
  readonly mainchain: string;
  /** The main chain's CometBFT RPC. */
  readonly comet: CometRpcClient;
  readonly pegzone: RpcClient;
  readonly signer: KeySigner;
  /** Fee settings for the relayer's transactions (gas is always simulated). */
  readonly tx: Pick<TxOptions, "gasAdjustment" | "gasPrices" | "chainId">;
  readonly logger: Logger;
  /** Called after each header pegzone stored: `done` of `total` heights caught up (for a progress bar). */
  readonly onProgress?: FollowerOptions["onProgress"];
  /** Relay headers only: claim no deposits, settle no releases (default: both). */
  readonly noDeposits?: boolean;
  /** Counts what is submitted (here and by the deposits and releases) and each round's result; the tips are read after every round. */
  readonly metrics?: RelayerMetrics;
}

/** What one round did: the headers to the node's latest height, then the deposits and the releases. */
export interface TendermintRound extends SyncResult {
  readonly deposits: DepositRound;
  readonly releases: ReleaseRound;
}

export class TendermintRelayer {
  private readonly deposits: HubDeposits;
  private readonly releases: HubReleases;

  constructor(private readonly o: TendermintRelayerOptions) {
    const client = pegzoneTendermintClient(o.pegzone, o.mainchain);
    this.deposits = new HubDeposits({ ...o, ensureHeight: (height) => this.ensureHeight(height), heldAtOrBelow: (height) => client.trustedHeightAtOrBelow(height) });
    this.releases = new HubReleases({ ...o, ensureHeight: (height) => this.ensureHeight(height) });
  }

  /** One round: pegzone's client brought to the node's latest height, then the deposits claimed and the releases settled. */
  async step(): Promise<TendermintRound> {
    const follower = new TendermintFollower({
      rpc: this.o.comet,
      client: pegzoneTendermintClient(this.o.pegzone, this.o.mainchain),
      submit: (update) => this.submit(update),
      onProgress: this.o.onProgress,
    });
    const sync = await follower.sync();
    const deposits = this.o.noDeposits ? { claimed: 0, skipped: 0, pending: 0 } : await this.deposits.step();
    const releases = this.o.noDeposits ? { txProofs: 0, broadcast: 0, accountProofs: 0 } : await this.releases.step();
    return { ...sync, deposits, releases };
  }

  /** Gives pegzone's client a consensus state at `height`, relaying it (and what the trust rule needs below it) if missing. */
  async ensureHeight(height: bigint): Promise<void> {
    const follower = new TendermintFollower({ rpc: this.o.comet, client: pegzoneTendermintClient(this.o.pegzone, this.o.mainchain), submit: (update) => this.submit(update) });
    const r = await follower.sync(height);
    if (r.sent > 0) this.o.logger.info({ mainchain: this.o.mainchain, height: String(height), from: String(r.from), sent: r.sent }, "relayed a header a deposit claim needs");
  }

  /** Runs rounds every `pollMs` until `signal` aborts; a failed round is logged and retried. */
  run(pollMs: number, signal: AbortSignal): Promise<void> {
    return runRounds(
      async () => {
        const r = await this.step();
        const [d, rel] = [r.deposits, r.releases];
        if (r.sent > 0 || d.claimed > 0 || d.skipped > 0 || rel.txProofs > 0 || rel.broadcast > 0 || rel.accountProofs > 0)
          this.o.logger.info({ mainchain: this.o.mainchain, from: String(r.from), to: String(r.to), sent: r.sent, bisections: r.bisections, ...d, ...rel }, "relayer round");
      },
      { pollMs, signal, logger: this.o.logger, name: "relayer", onRoundEnd: (result) => this.roundEnded(result) },
    );
  }

  /** A round's result and the two tips, for the metrics (read even after a failed round: a growing lag is the point). */
  private async roundEnded(result: "ok" | "error"): Promise<void> {
    const metrics = this.o.metrics;
    if (metrics === undefined) return;
    metrics.roundEnded(result);
    const [status, client] = await Promise.allSettled([
      this.o.comet.status(),
      pegQuery(this.o.pegzone, "ClientState", v1.QueryClientStateRequest, { mainchain: this.o.mainchain }, v1.QueryClientStateResponse),
    ]);
    // One that cannot be read keeps its last value.
    if (status.status === "fulfilled") metrics.observeMainchainHeight(status.value.latestHeight);
    if (client.status === "fulfilled") metrics.observeClientHeight(client.value.tipHeight);
  }

  /** One header in one tx; resolves once it is in a block, throws with pegzone's refusal otherwise. */
  private async submit(update: HeaderUpdate): Promise<void> {
    const msg = anyMsg(pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: this.o.signer.address, mainchain: this.o.mainchain, headers: [update.bytes] });
    const res = await signAndBroadcast(this.o.pegzone, this.o.signer, [msg], { ...this.o.tx, gas: "auto" });
    if (res.code === 0) this.o.metrics?.submitted("headers");
    if (res.code !== 0) throw new Error(`pegzone refused the header at ${update.height} (trusted height ${update.trustedHeight}): ${res.codespace} code ${res.code}: ${res.raw_log}`);
    if (this.o.onProgress === undefined) this.o.logger.debug({ mainchain: this.o.mainchain, height: String(update.height), trustedHeight: String(update.trustedHeight), txhash: res.txhash }, "relayed header");
  }
}
