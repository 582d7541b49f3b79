/**
 * The relayer: follows a Bitcoin node's best chain and keeps pegzone's light client level with it,
 * then claims confirmed deposits to registered deposit addresses. Everything it sends is checked by
 * pegzone, so a relayer can only be slow, never wrong; and every step is idempotent, so it may be
 * restarted (or pegzone, or the Bitcoin node) at any moment.
 *
 *   headers  find the fork point (highest height where pegzone's best chain and the node's agree),
 *            then relay the node's headers above it in batches of at most 2,000.
 *   deposits scan blocks pegzone holds with enough confirmations for outputs paying a registered
 *            address; claim those not yet claimed. The scan position per address is kept in a state
 *            file; a block with enough confirmations cannot leave pegzone's best chain without
 *            freezing the peg (reorg_limit < confirmations), so it is never scanned twice.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Any } from "cosmjs-types/google/protobuf/any";
import type { Logger } from "../chain/log";
import type { KeySigner } from "../chain/keys/keyring";
import type { RpcClient } from "../chain/client/rpc";
import { anyMsg } from "../chain/client/query";
import { signAndBroadcast, type TxOptions } from "../chain/client/tx";
import { pegQuery } from "../modules/peg/client";
import { bitcoinParams } from "../modules/peg/bitcoin/params";
import { bitcoinDepositProof, bitcoinTxProof, outpointDisplayId } from "../modules/peg/bitcoin/peg-flow";
import { SdkError } from "../chain/tx/errors";
import { parseBlock } from "../light-client/bitcoin/block";
import { toDisplayHex } from "../light-client/bitcoin/bytes";
import { encodeTx } from "../light-client/bitcoin/tx";
import { pegTypeUrls } from "../modules/peg/msgs";
import { MAX_HEADERS_PER_MSG } from "../modules/peg/msgs-client";
import { pegzone } from "../proto";
import { type BitcoinRpcClient, BitcoinRpcError, RPC_ERROR } from "./bitcoin-rpc";
import type { RelayerMetrics } from "./metrics";
import { runRounds } from "./poll";
import { buildInclusionProof, fetchInclusionProof } from "./tx-proof";

const v1 = pegzone.peg.v1;
/** Claims per pegzone transaction. */
const CLAIMS_PER_TX = 25;
/** Parallel header fetches from the Bitcoin node. */
const FETCH_CONCURRENCY = 16;

export interface RelayerOptions {
  mainchain: string;
  btc: BitcoinRpcClient;
  pegzone: RpcClient;
  signer: KeySigner;
  /** Fee settings for the relayer's transactions (gas is always simulated). */
  tx: Pick<TxOptions, "gasAdjustment" | "gasPrices" | "chainId">;
  /** Where the deposit scan position is kept between runs. */
  stateFile: string;
  logger: Logger;
  batchSize?: number;
  /** Called while headers are relayed: `done` of `total` headers (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
  /** Counts what is submitted and each round's result; the tips are read after every round. */
  metrics?: RelayerMetrics;
}

/** What one round did. */
export interface StepResult {
  relayed: number;
  claimed: number;
  /** Signed releases sent to the Bitcoin node, and releases whose confirmation was proven to pegzone. */
  broadcast: number;
  confirmed: number;
  tipHeight: number;
}

interface ScanState {
  /** Registered deposit script (hex) → highest height scanned for it. */
  scanned: Record<string, number>;
}

export class Relayer {
  private readonly batchSize: number;

  constructor(private readonly o: RelayerOptions) {
    this.batchSize = Math.min(o.batchSize ?? MAX_HEADERS_PER_MSG, MAX_HEADERS_PER_MSG);
  }

  /** One round: headers, then deposits, then releases. */
  async step(): Promise<StepResult> {
    const relayed = await this.syncHeaders();
    const { claimed, tipHeight } = await this.claimDeposits();
    const { broadcast, confirmed } = await this.relayReleases();
    return { relayed, claimed, broadcast, confirmed, tipHeight };
  }

  /** Runs rounds every `pollMs` until `signal` aborts; errors are logged and the round retried. */
  run(pollMs: number, signal: AbortSignal): Promise<void> {
    return runRounds(
      async () => {
        const r = await this.step();
        if (r.relayed > 0 || r.claimed > 0 || r.broadcast > 0 || r.confirmed > 0) this.o.logger.info({ mainchain: this.o.mainchain, ...r }, "relayer round");
      },
      { pollMs, signal, logger: this.o.logger, name: "relayer", onRoundEnd: (result) => this.roundEnded(result) },
    );
  }

  /** A round's result and the two tips, for the metrics (read even after a failed round: a growing lag is the point). */
  private async roundEnded(result: "ok" | "error"): Promise<void> {
    const metrics = this.o.metrics;
    if (metrics === undefined) return;
    metrics.roundEnded(result);
    const [btcTip, client] = await Promise.allSettled([
      this.o.btc.getBlockCount(),
      this.query("ClientState", v1.QueryClientStateRequest, { mainchain: this.o.mainchain }, v1.QueryClientStateResponse),
    ]);
    // One that cannot be read keeps its last value.
    if (btcTip.status === "fulfilled") metrics.observeMainchainHeight(btcTip.value);
    if (client.status === "fulfilled") metrics.observeClientHeight(client.value.tipHeight);
  }

  private query<Res>(method: string, reqType: Parameters<typeof pegQuery>[2], request: object, resType: { decode(bytes: Uint8Array): Res }): Promise<Res> {
    return pegQuery(this.o.pegzone, method, reqType, request, resType);
  }

  /** Every address relayers are asked to watch, page by page. */
  private async registeredAddresses(mainchain: string): Promise<{ addresses: pegzone.peg.v1.IRegisteredAddress[] }> {
    const addresses: pegzone.peg.v1.IRegisteredAddress[] = [];
    let key: Uint8Array = new Uint8Array();
    do {
      const res = await this.query("RegisteredAddresses", v1.QueryRegisteredAddressesRequest, { mainchain, page: { key, limit: 1000 } }, v1.QueryRegisteredAddressesResponse);
      addresses.push(...res.addresses);
      key = res.page?.nextKey ?? new Uint8Array();
    } while (key.length > 0);
    return { addresses };
  }

  /** pegzone's best-chain hash at `height`, or undefined if it has none there (pruned or above its tip). */
  private async pegzoneHashAt(height: number): Promise<string | undefined> {
    try {
      return (await this.query("Header", v1.QueryHeaderRequest, { mainchain: this.o.mainchain, height }, v1.QueryHeaderResponse)).hash || undefined;
    } catch (err) {
      if (err instanceof SdkError && err.codespace === "sdk" && err.code === 38) return undefined;
      throw err;
    }
  }

  /** Relays the node's best chain above the fork point with pegzone's view; returns headers sent. */
  async syncHeaders(): Promise<number> {
    const state = await this.query("ClientState", v1.QueryClientStateRequest, { mainchain: this.o.mainchain }, v1.QueryClientStateResponse);
    const btcTip = await this.o.btc.getBlockCount();
    let fork = Math.min(state.tipHeight, btcTip);
    while ((await this.pegzoneHashAt(fork)) !== (await this.o.btc.getBlockHash(fork))) {
      if (fork <= Number(state.details.lowest_height ?? 0))
        throw new Error(`the Bitcoin node's chain shares no stored header with pegzone's (stored from height ${state.details.lowest_height}); is it the right network?`);
      fork--;
    }
    const total = btcTip - fork;
    if (total <= 0) return 0;
    if (fork < state.tipHeight) this.o.logger.info({ fork, pegzoneTip: state.tipHeight, btcTip }, "the Bitcoin node's chain forks from pegzone's; relaying its branch");
    let done = 0;
    for (let from = fork + 1; from <= btcTip; from += this.batchSize) {
      const to = Math.min(btcTip, from + this.batchSize - 1);
      const headers = await this.fetchHeaders(from, to);
      await this.broadcast([anyMsg(pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: this.o.signer.address, mainchain: this.o.mainchain, headers })]);
      done += headers.length;
      this.o.metrics?.submitted("headers", headers.length);
      this.o.onProgress?.(done, total);
      if (!this.o.onProgress) this.o.logger.info({ mainchain: this.o.mainchain, from, to, done, total }, "relayed headers");
    }
    return done;
  }

  private async fetchHeaders(from: number, to: number): Promise<Uint8Array[]> {
    const heights = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const out: Uint8Array[] = new Array(heights.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < heights.length; i = next++) out[i] = await this.o.btc.getBlockHeaderRaw(await this.o.btc.getBlockHash(heights[i]));
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, heights.length) }, worker));
    // The node's chain may have moved while fetching: a batch that does not link is refused by pegzone and retried next round.
    return out;
  }

  /** Claims confirmed, unclaimed deposits to registered addresses; returns how many were claimed. */
  async claimDeposits(): Promise<{ claimed: number; tipHeight: number }> {
    const id = this.o.mainchain;
    const [{ mainchains }, { addresses }, client] = await Promise.all([
      this.query("MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse),
      this.registeredAddresses(id),
      this.query("ClientState", v1.QueryClientStateRequest, { mainchain: id }, v1.QueryClientStateResponse),
    ]);
    const chain = mainchains.find((m) => m.id === id);
    if (!chain) throw new Error(`pegzone has no main chain ${id}`);
    if (client.freeze?.frozen) {
      this.o.logger.warn({ mainchain: id, reason: client.freeze.reason }, "peg is frozen; not claiming");
      return { claimed: 0, tipHeight: client.tipHeight };
    }
    if (addresses.length === 0) return { claimed: 0, tipHeight: client.tipHeight };
    const recipients = new Map(addresses.map((a) => [Buffer.from(a.script ?? []).toString("hex"), a.recipient ?? ""]));
    const state = this.loadState();
    const confirmedTip = client.tipHeight - bitcoinParams(chain).confirmations + 1;
    const lowestHeight = Number(client.details.lowest_height ?? 0);
    const start = Math.min(...[...recipients.keys()].map((s) => state.scanned[s] ?? lowestHeight - 1)) + 1;
    let claimed = 0;
    for (let height = Math.max(start, lowestHeight); height <= confirmedTip; height++) {
      const hash = await this.pegzoneHashAt(height);
      if (hash === undefined) break;
      const raw = await this.o.btc.getBlockRaw(hash);
      const block = parseBlock(raw);
      const claims: Any[] = [];
      for (const tx of block.transactions) {
        for (const [vout, output] of tx.outputs.entries()) {
          const recipient = recipients.get(Buffer.from(output.scriptPubKey).toString("hex"));
          if (recipient === undefined) continue;
          const txid = toDisplayHex(tx.txid);
          const status = await this.query("Deposit", v1.QueryDepositRequest, { mainchain: id, displayId: outpointDisplayId(txid, vout) }, v1.QueryDepositResponse);
          if (status.claimed) continue;
          claims.push(
            anyMsg(pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, {
              claimer: this.o.signer.address,
              mainchain: id,
              recipient,
              proof: bitcoinDepositProof({ tx: encodeTx(tx), vout, blockHash: hash, merkleProof: buildInclusionProof(raw, txid) }),
            }),
          );
        }
      }
      for (let i = 0; i < claims.length; i += CLAIMS_PER_TX) {
        await this.broadcast(claims.slice(i, i + CLAIMS_PER_TX));
        this.o.metrics?.submitted("claim", Math.min(CLAIMS_PER_TX, claims.length - i));
        this.o.logger.info({ mainchain: id, height, claims: Math.min(CLAIMS_PER_TX, claims.length - i) }, "claimed deposits");
      }
      claimed += claims.length;
      for (const script of recipients.keys()) state.scanned[script] = Math.max(state.scanned[script] ?? 0, height);
      this.saveState(state);
    }
    return { claimed, tipHeight: client.tipHeight };
  }

  /**
   * Sends fully signed releases to the Bitcoin node (again each round until mined: a node restart
   * loses its mempool), then proves each one that has the required confirmations on pegzone's best
   * chain. Releases that a fee bump replaced are watched too: either version may be mined.
   */
  async relayReleases(): Promise<{ broadcast: number; confirmed: number }> {
    const id = this.o.mainchain;
    const { mainchains } = await this.query("MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse);
    const chain = mainchains.find((m) => m.id === id);
    const confirmations = chain === undefined ? 0 : bitcoinParams(chain).confirmations;
    const live: pegzone.peg.v1.Release[] = [];
    for (const status of [v1.ReleaseStatus.RELEASE_STATUS_SIGNING, v1.ReleaseStatus.RELEASE_STATUS_SIGNED]) {
      const { releases } = await this.query("Releases", v1.QueryReleasesRequest, { mainchain: id, status }, v1.QueryReleasesResponse);
      live.push(...releases.map((r) => v1.Release.create(r)));
    }
    // A live release and the versions it replaced (by fee bump): any of them may be the one mined.
    const releases: pegzone.peg.v1.Release[] = [];
    for (const r of live) {
      releases.push(r);
      for (let prev = Number(r.replaces); prev !== 0; ) {
        const old = v1.Release.create((await this.query("Release", v1.QueryReleaseRequest, { mainchain: id, id: prev }, v1.QueryReleaseResponse)).release!);
        releases.push(old);
        prev = Number(old.replaces);
      }
    }
    let broadcast = 0;
    let confirmed = 0;
    for (const r of releases) {
      const signed = r.signedTx;
      if (signed.length === 0) continue;
      const txid = r.txid;
      // Known to the node (mempool or chain) means already broadcast.
      let info = await this.o.btc.getRawTransactionVerbose(txid).catch(() => undefined);
      if (info === undefined && r.status === v1.ReleaseStatus.RELEASE_STATUS_SIGNED) {
        try {
          await this.o.btc.sendRawTransaction(signed);
          broadcast++;
          this.o.metrics?.submitted("release_broadcast");
          this.o.logger.info({ mainchain: id, release: Number(r.id), txid }, "broadcast release");
        } catch (err) {
          if (!(err instanceof BitcoinRpcError && err.code === RPC_ERROR.VERIFY_ALREADY_IN_CHAIN)) throw err;
        }
        info = await this.o.btc.getRawTransactionVerbose(txid).catch(() => undefined);
      }
      if (info?.blockhash === undefined || (info.confirmations ?? 0) < confirmations) continue;
      const known = await this.query("Header", v1.QueryHeaderRequest, { mainchain: id, hash: info.blockhash }, v1.QueryHeaderResponse).catch(() => undefined);
      const client = await this.query("ClientState", v1.QueryClientStateRequest, { mainchain: id }, v1.QueryClientStateResponse);
      if (!known?.onBestChain || client.tipHeight - Number(known.height) + 1 < confirmations) continue;
      const merkleProof = await fetchInclusionProof(this.o.btc, txid, info.blockhash);
      await this.broadcast([
        anyMsg(pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, {
          relayer: this.o.signer.address,
          mainchain: id,
          proof: bitcoinTxProof({ tx: info.raw, blockHash: info.blockhash, merkleProof }),
        }),
      ]);
      confirmed++;
      this.o.metrics?.submitted("release_proof");
      this.o.logger.info({ mainchain: id, release: Number(r.id), txid }, "proved release confirmed");
    }
    return { broadcast, confirmed };
  }

  private async broadcast(messages: Any[]): Promise<void> {
    const res = await signAndBroadcast(this.o.pegzone, this.o.signer, messages, { ...this.o.tx, gas: "auto" });
    if (res.code !== 0) throw new Error(`pegzone refused the relayer's tx ${res.txhash}: ${res.codespace}/${res.code} ${res.raw_log}`);
  }

  private loadState(): ScanState {
    if (!existsSync(this.o.stateFile)) return { scanned: {} };
    return JSON.parse(readFileSync(this.o.stateFile, "utf8")) as ScanState;
  }

  /** Written to a temporary file and renamed, so a kill never leaves a torn state file. */
  private saveState(state: ScanState): void {
    mkdirSync(dirname(this.o.stateFile), { recursive: true });
    const tmp = `${this.o.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.o.stateFile);
  }
}
