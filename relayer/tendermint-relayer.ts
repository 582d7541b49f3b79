/**
 * The relayer of a Tendermint main chain (`pegzone relayer` for a main chain of client_type
 * tendermint): each round brings pegzone's light client level with a CometBFT node's latest height.
 * The follower (tendermint-follower.ts) picks the headers, skipping as the trust rule allows and
 * bisecting when it does not, and checks each locally against pegzone's client state before it is
 * sent; each goes to pegzone as one MsgRelayHeaders in a tx of its own, and the next is picked once
 * pegzone has stored it. pegzone's client state is the only state: the relayer may be stopped at any
 * moment and restarted, or run beside another, and it carries on from wherever the client stands.
 */
import type { Logger } from "../chain/log";
import type { KeySigner } from "../chain/keys/keyring";
import type { RpcClient } from "../chain/client/rpc";
import { anyMsg } from "../chain/client/query";
import { signAndBroadcast, type TxOptions } from "../chain/client/tx";
import { pegTypeUrls } from "../modules/peg/msgs";
import { pegzone } from "../proto";
import type { CometRpcClient } from "./cometbft-rpc";
import { runRounds } from "./poll";
import { pegzoneTendermintClient } from "./tendermint-pegzone-client";
import { TendermintFollower, type FollowerOptions, type HeaderUpdate, type SyncResult } from "./tendermint-follower";

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
}

export class TendermintRelayer {
  constructor(private readonly o: TendermintRelayerOptions) {}

  /** One round: pegzone's client brought to the node's latest height. */
  step(): Promise<SyncResult> {
    const follower = new TendermintFollower({
      rpc: this.o.comet,
      client: pegzoneTendermintClient(this.o.pegzone, this.o.mainchain),
      submit: (update) => this.submit(update),
      onProgress: this.o.onProgress,
    });
    return follower.sync();
  }

  /** Runs rounds every `pollMs` until `signal` aborts; a failed round is logged and retried. */
  run(pollMs: number, signal: AbortSignal): Promise<void> {
    return runRounds(
      async () => {
        const r = await this.step();
        if (r.sent > 0) this.o.logger.info({ mainchain: this.o.mainchain, from: String(r.from), to: String(r.to), sent: r.sent, bisections: r.bisections }, "relayer round");
      },
      { pollMs, signal, logger: this.o.logger, name: "relayer" },
    );
  }

  /** One header in one tx; resolves once it is in a block, throws with pegzone's refusal otherwise. */
  private async submit(update: HeaderUpdate): Promise<void> {
    const msg = anyMsg(pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: this.o.signer.address, mainchain: this.o.mainchain, headers: [update.bytes] });
    const res = await signAndBroadcast(this.o.pegzone, this.o.signer, [msg], { ...this.o.tx, gas: "auto" });
    if (res.code !== 0) throw new Error(`pegzone refused the header at ${update.height} (trusted height ${update.trustedHeight}): ${res.codespace} code ${res.code}: ${res.raw_log}`);
    if (this.o.onProgress === undefined) this.o.logger.debug({ mainchain: this.o.mainchain, height: String(update.height), trustedHeight: String(update.trustedHeight), txhash: res.txhash }, "relayed header");
  }
}
