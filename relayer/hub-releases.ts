/**
 * Peg-out on a Tendermint main chain (the Cosmos Hub): what the relayer does for a release once
 * pegzone built it. A release is one multisig tx of a federation account at a sequence, valid up to
 * a Hub height (ReleaseContext); at most one tx per sequence ever executes, so pegzone learns a
 * release's fate from two proofs, each a MsgConfirmRelease with a ReleaseProof:
 *
 *   tx       the release tx in Hub block H with its result (a DepositProof, msg_index 0), against
 *            headers H and H+1. Code 0 confirms the release. A non-zero code is only recorded: a tx
 *            that failed in a block may or may not have consumed its sequence and fee, so an
 *            account proof at H follows.
 *   account  the federation account as stored after block h, with its ICS23 proof (header h+1):
 *            its number (pegzone needs it once before it can build any release) and sequence. With
 *            h ≥ the release's timeout_height and the sequence still the release's, the tx can never
 *            execute: pegzone fails the release and builds it again at that sequence.
 *
 * Each round, for every live release: a SIGNED one found on the Hub (/tx by its hash) is proven
 * included; one not found is broadcast while the Hub's height ≤ timeout_height, and proven expired
 * by an account proof once the Hub is past it — as is a SIGNING one whose signatures came too late.
 * A federation (current or retired) without a live release whose next release pegzone cannot build
 * (the ReleaseContext query says what is missing: its account's number) gets its account proven.
 *
 * Restart-safe: releases, withdrawals and federations are read from pegzone each round. Memory
 * holds only when something may be proven again (after a refusal; after a proof pegzone took, at
 * most once per interval, so a proof that decides nothing is never sent every round) and when a
 * broadcast refusal was last logged.
 */
import type { Any } from "cosmjs-types/google/protobuf/any";
import { ProofOps } from "cosmjs-types/tendermint/crypto/proof";
import type { Logger } from "../chain/log";
import type { KeySigner } from "../chain/keys/keyring";
import type { RpcClient } from "../chain/client/rpc";
import { anyMsg } from "../chain/client/query";
import type { TxOptions } from "../chain/client/tx";
import { sha256 } from "../chain/store/sha256";
import { toHexUpper } from "../light-client/tendermint/proof-json";
import { pegQuery } from "../modules/peg/client";
import { pegTypeUrls } from "../modules/peg/msgs";
import { decodeReserveAccount, federationAccountAddress, RESERVE_ACCOUNT_TYPE } from "../modules/peg/tendermint/deposit-flow";
import { RELEASE_PROOF_TYPE } from "../modules/peg/tendermint/release-flow";
import { accountBytes } from "../modules/peg/tendermint/transfer";
import { google, pegzone } from "../proto";
import type { CometRpcClient, TxAnswer } from "./cometbft-rpc";
import { hubDepositProof, REFUSED_RETRY_MS, sendClaim, type Refusal } from "./hub-deposits";
import type { RelayerMetrics, SubmittedKind } from "./metrics";
import { fetchStateClaim } from "./tendermint-follower";

const v1 = pegzone.peg.v1;
const tmV1 = pegzone.peg.tendermint.v1;

export const DEFAULT_ACCOUNT_PROOF_INTERVAL_MS = 20_000;
/** A release the Hub keeps refusing is logged no more often than this. */
const BROADCAST_LOG_MS = 60_000;
/** The auth module's store of accounts: an account's key is 0x01 ‖ its address bytes. */
const ACCOUNT_STORE = "acc";
const ACCOUNT_KEY_PREFIX = 0x01;

/** The Hub has no account at an address (it exists from its first incoming transfer). */
export class NoHubAccountError extends Error {
  override readonly name = "NoHubAccountError";
  constructor(
    readonly address: string,
    readonly height: bigint,
  ) {
    super(`the Hub has no account ${address} at height ${height}`);
  }
}

function releaseProof(proof: pegzone.peg.tendermint.v1.ReleaseProof.$Properties): google.protobuf.IAny {
  return { type_url: RELEASE_PROOF_TYPE, value: tmV1.ReleaseProof.encode(proof).finish() };
}

/**
 * The ReleaseProof of `address`'s account after Hub block `height` (against header height+1's
 * app_hash): the stored value as abci_query returns it (a BaseAccount Any), and its proof ops as
 * protobuf `tendermint.crypto.ProofOps` bytes. Throws NoHubAccountError when the account is absent.
 */
export async function hubAccountProof(comet: Pick<CometRpcClient, "abciQuery">, address: string, height: bigint): Promise<google.protobuf.IAny> {
  const bytes = accountBytes(address);
  if (bytes === undefined) throw new Error(`${address} is not a bech32 account address`);
  if (height < 1n || height > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`an account proof's height must be from 1 to 2^53, got ${height}`);
  const claim = await fetchStateClaim(comet, ACCOUNT_STORE, Uint8Array.of(ACCOUNT_KEY_PREFIX, ...bytes), height);
  if (claim.value === undefined) throw new NoHubAccountError(address, height);
  const proofOps = ProofOps.encode({ ops: claim.proofOps.map((o) => ({ type: o.type, key: o.key, data: o.data })) }).finish();
  return releaseProof({ account: { height: Number(height), address, account: claim.value, proofOps } });
}

/** The ReleaseProof of a release tx the Hub included (`tx` with its inclusion proof): a DepositProof's fields, msg_index 0. */
export async function hubReleaseTxProof(comet: Pick<CometRpcClient, "blockResults">, tx: TxAnswer): Promise<google.protobuf.IAny> {
  const deposit = await hubDepositProof(comet, tx, 0);
  return releaseProof({ tx: tmV1.DepositProof.decode(deposit.value ?? new Uint8Array()) });
}

/** The MsgConfirmRelease of a release proof, as an Any for a tx. */
export function confirmReleaseMsg(relayer: string, mainchain: string, proof: google.protobuf.IAny): Any {
  return anyMsg(pegTypeUrls.confirmRelease, v1.MsgConfirmRelease, { relayer, mainchain, proof });
}

/** The federation account a release spends from: its first input's ReserveAccount. */
export function releaseAccount(release: pegzone.peg.v1.IRelease): string {
  const data = release.inputs?.[0]?.data;
  if (data?.type_url !== RESERVE_ACCOUNT_TYPE) throw new Error(`release ${String(release.id)} has no input holding a ${RESERVE_ACCOUNT_TYPE}`);
  return decodeReserveAccount(data.value ?? new Uint8Array());
}

export interface HubReleasesOptions {
  readonly mainchain: string;
  readonly comet: CometRpcClient;
  readonly pegzone: RpcClient;
  readonly signer: KeySigner;
  readonly tx: Pick<TxOptions, "gasAdjustment" | "gasPrices" | "chainId">;
  readonly logger: Logger;
  /** Gives pegzone's light client a consensus state at exactly `height` (the relayer's follower). */
  readonly ensureHeight: (height: bigint) => Promise<void>;
  /** The least time between two proofs of one release or one account that pegzone took (default 20 s). */
  readonly accountProofIntervalMs?: number;
  /** For tests: the clock of the pauses. */
  readonly now?: () => number;
  /** For tests: sends a MsgConfirmRelease (default `sendClaim` with the signer and fee settings). */
  readonly send?: (msg: Any) => Promise<Refusal | undefined>;
  /** Counts the broadcasts the Hub took and the proofs pegzone took. */
  readonly metrics?: RelayerMetrics;
}

/** What a round of releases did. */
export interface ReleaseRound {
  /** Release txs proven included (pegzone took the proof). */
  readonly txProofs: number;
  /** Release txs the Hub's mempool took now. */
  readonly broadcast: number;
  /** Account proofs pegzone took. */
  readonly accountProofs: number;
}

type Counts = { -readonly [K in keyof ReleaseRound]: number };
const METRIC_KIND: Record<keyof Counts, SubmittedKind> = { txProofs: "release_proof", broadcast: "release_broadcast", accountProofs: "account_proof" };

export class HubReleases {
  /** When a release ("release <id>") or an account ("account <address>") may be proven again. */
  private readonly notBefore = new Map<string, number>();
  /** When a release's broadcast refusal was last logged. */
  private readonly refusalLogged = new Map<number, number>();
  /** Accounts the Hub did not have, logged once. */
  private readonly missingLogged = new Set<string>();

  constructor(private readonly o: HubReleasesOptions) {}

  async step(): Promise<ReleaseRound> {
    const id = this.o.mainchain;
    const counts: Counts = { txProofs: 0, broadcast: 0, accountProofs: 0 };
    const [{ mainchains }, client] = await Promise.all([
      pegQuery(this.o.pegzone, "MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse),
      pegQuery(this.o.pegzone, "ClientState", v1.QueryClientStateRequest, { mainchain: id }, v1.QueryClientStateResponse),
    ]);
    const chain = mainchains.find((m) => m.id === id);
    if (!chain) throw new Error(`pegzone has no main chain ${id}`);
    if (client.freeze?.frozen) {
      this.o.logger.warn({ mainchain: id, reason: client.freeze.reason }, "peg is frozen; not proving releases");
      return counts;
    }
    const [signing, signed] = await Promise.all(
      [v1.ReleaseStatus.RELEASE_STATUS_SIGNING, v1.ReleaseStatus.RELEASE_STATUS_SIGNED].map(async (status) => (await pegQuery(this.o.pegzone, "Releases", v1.QueryReleasesRequest, { mainchain: id, status }, v1.QueryReleasesResponse)).releases),
    );
    const latest = (await this.o.comet.status()).latestHeight;
    for (const r of [...signing, ...signed]) {
      try {
        await this.release(r, latest, counts);
      } catch (err) {
        this.o.logger.warn({ mainchain: id, release: Number(r.id), err: err instanceof Error ? err.message : String(err) }, "cannot settle the release now; trying again next round");
      }
    }
    // Every federation without a live release whose next release pegzone cannot build yet (its account's number unknown).
    const { current, retired } = await pegQuery(this.o.pegzone, "Federations", v1.QueryFederationsRequest, { mainchain: id }, v1.QueryFederationsResponse);
    for (const federation of [current ?? chain.federation, ...retired.map((r) => r.federation)]) {
      if (!federation || [...signing, ...signed].some((r) => Number(r.federationId) === Number(federation.id))) continue;
      try {
        const { missing } = await pegQuery(this.o.pegzone, "ReleaseContext", v1.QueryReleaseContextRequest, { mainchain: id, federationId: federation.id }, v1.QueryReleaseContextResponse);
        if (missing !== "") await this.learnAccount(federationAccountAddress(chain, federation), latest, counts);
      } catch (err) {
        this.o.logger.warn({ mainchain: id, federation: Number(federation.id), err: err instanceof Error ? err.message : String(err) }, "cannot prove the federation account now; trying again next round");
      }
    }
    return counts;
  }

  /** One live release: proven included, broadcast, or proven expired. */
  private async release(r: pegzone.peg.v1.IRelease, latest: bigint, counts: Counts): Promise<void> {
    const context = tmV1.ReleaseContext.decode(r.context ?? new Uint8Array());
    const timeout = BigInt(context.timeoutHeight);
    // As the Hub reads timeout_height: 0 is none; block `timeout` may still include the tx.
    const expired = timeout !== 0n && latest > timeout;
    const address = releaseAccount(r);
    const key = `release ${String(r.id)}`;
    const log = { mainchain: this.o.mainchain, release: Number(r.id), account: address, sequence: Number(context.sequence), timeoutHeight: String(timeout) };
    const signedTx = r.status === v1.ReleaseStatus.RELEASE_STATUS_SIGNED ? (r.signedTx ?? new Uint8Array()) : new Uint8Array();
    if (signedTx.length > 0) {
      const txhash = toHexUpper(sha256(signedTx));
      const tx = await this.o.comet.findTx(txhash, true);
      if (tx !== undefined) {
        // Its result is in header H+1: wait for the block after.
        if (tx.height + 1n <= latest && this.due(key)) await this.proveIncluded(tx, address, key, { ...log, txhash, height: String(tx.height), code: tx.result.code }, counts);
        return;
      }
      if (!expired) return this.broadcast(Number(r.id), signedTx, { ...log, txhash }, counts);
    }
    if (!expired || !this.due(key)) return;
    // Never included (or never signed) by its timeout height: the account after block latest-1 ≥ timeout_height shows it.
    const refused = await this.sendAccountProof(address, latest - 1n, log);
    if (refused === undefined) this.count(counts, "accountProofs");
    this.settle(key, refused !== undefined);
  }

  /** The tx proof of an included release; after a failed execution, the account proof at its height too. */
  private async proveIncluded(tx: TxAnswer, address: string, key: string, log: object, counts: Counts): Promise<void> {
    await this.o.ensureHeight(tx.height);
    await this.o.ensureHeight(tx.height + 1n);
    const refusedTx = await this.send(confirmReleaseMsg(this.o.signer.address, this.o.mainchain, await hubReleaseTxProof(this.o.comet, tx)));
    if (refusedTx === undefined) {
      this.count(counts, "txProofs");
      this.o.logger.info(log, tx.result.code === 0 ? "proved the release tx included" : "proved the release tx included with a failure; proving the account next");
    } else {
      this.o.logger.warn({ ...log, codespace: refusedTx.codespace, code: refusedTx.code, refusal: refusedTx.log }, "pegzone refused the release tx proof; trying again later");
    }
    // Whether the failed tx consumed its sequence: sent even when pegzone refused the tx proof (it may hold it already).
    let refusedAccount: Refusal | undefined;
    if (tx.result.code !== 0) {
      refusedAccount = await this.sendAccountProof(address, tx.height, log);
      if (refusedAccount === undefined) this.count(counts, "accountProofs");
    }
    this.settle(key, refusedTx !== undefined || refusedAccount !== undefined);
  }

  /** Sends a release to the Hub's mempool; a refusal other than "seen already" is logged at most once a minute. */
  private async broadcast(releaseId: number, signedTx: Uint8Array, log: object, counts: Counts): Promise<void> {
    const answer = await this.o.comet.broadcastTxSync(signedTx);
    if (answer.inCache) return;
    if (answer.code === 0) {
      this.count(counts, "broadcast");
      this.o.logger.info(log, "broadcast release");
      return;
    }
    const last = this.refusalLogged.get(releaseId);
    if (last !== undefined && this.now() - last < BROADCAST_LOG_MS) return;
    this.refusalLogged.set(releaseId, this.now());
    this.o.logger.warn({ ...log, codespace: answer.codespace, code: answer.code, refusal: answer.log }, "the Hub refused the release tx; broadcasting it again each round");
  }

  /** A federation account whose number pegzone does not know yet, so that it can build its releases. */
  private async learnAccount(address: string, latest: bigint, counts: Counts): Promise<void> {
    const key = `account ${address}`;
    if (!this.due(key)) return;
    const log = { mainchain: this.o.mainchain, account: address };
    let refused: Refusal | undefined;
    try {
      refused = await this.sendAccountProof(address, latest - 1n, log);
    } catch (err) {
      if (!(err instanceof NoHubAccountError)) throw err;
      if (!this.missingLogged.has(address)) this.o.logger.info({ ...log, height: String(err.height) }, "the federation account does not exist on the Hub yet (it needs a first deposit); not proving it");
      this.missingLogged.add(address);
      this.settle(key, false);
      return;
    }
    if (refused === undefined) this.count(counts, "accountProofs");
    this.settle(key, refused !== undefined);
  }

  /** The account proof of `address` at `height` (pegzone given header height+1), sent; pegzone's refusal, logged. */
  private async sendAccountProof(address: string, height: bigint, log: object): Promise<Refusal | undefined> {
    await this.o.ensureHeight(height + 1n);
    const proof = await hubAccountProof(this.o.comet, address, height);
    const refused = await this.send(confirmReleaseMsg(this.o.signer.address, this.o.mainchain, proof));
    if (refused === undefined) this.o.logger.info({ ...log, height: String(height) }, "proved the federation account");
    else this.o.logger.warn({ ...log, height: String(height), codespace: refused.codespace, code: refused.code, refusal: refused.log }, "pegzone refused the account proof; trying again later");
    return refused;
  }

  /** One more of what the round did, in its result and in the metrics. */
  private count(counts: Counts, what: keyof Counts): void {
    counts[what]++;
    this.o.metrics?.submitted(METRIC_KIND[what]);
  }

  private send(msg: Any): Promise<Refusal | undefined> {
    return (this.o.send ?? ((m: Any) => sendClaim(this.o.pegzone, this.o.signer, m, this.o.tx)))(msg);
  }

  private due(key: string): boolean {
    return this.now() >= (this.notBefore.get(key) ?? 0);
  }

  /** After a proof was sent: a refusal waits REFUSED_RETRY_MS, a taken proof the interval. */
  private settle(key: string, refused: boolean): void {
    this.notBefore.set(key, this.now() + (refused ? REFUSED_RETRY_MS : (this.o.accountProofIntervalMs ?? DEFAULT_ACCOUNT_PROOF_INTERVAL_MS)));
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}
