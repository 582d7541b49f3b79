/**
 * `pegzone signer`: one federation member's signing daemon. It watches pegzone for releases that
 * await signatures, rebuilds each one from pegzone's own state with the same deterministic builder
 * the chain uses, and signs only if the bytes are identical and the release pays exactly the
 * withdrawals pegzone recorded, from reserve entries locked for it, with the fee within the cap and
 * the change to the federation. A signer never trusts the release it is shown.
 *
 * It signs for every main chain, of every kind, whose federations hold its key (or the main chains it
 * is given), and for every federation its key belongs to, current or retired: after a rotation the
 * retired federation still signs the releases built under it and the sweeps that move its outputs
 * to a newer federation (a sweep pays no withdrawals; its one output must go to a newer federation's
 * reserve script, which the rebuild checks byte for byte). It also approves a rotation to the
 * federation the validator set implies, and no other (federation-approval.ts).
 */
import type { Logger } from "../chain/log";
import { rawKeySigner, type KeySigner } from "../chain/keys/keyring";
import type { RpcClient } from "../chain/client/rpc";
import { anyMsg } from "../chain/client/query";
import { signAndBroadcast, type TxOptions } from "../chain/client/tx";
import { pegQuery } from "../modules/peg/client";
import type { SignerKey } from "../chain/keys/key-files";
import type { BuiltRelease, Federation, MainChainKind, ReleasePayment, ReserveEntryView } from "../modules/peg/kinds";
import { changeFederationId, isSweep } from "../modules/peg/releases";
import { pegTypeUrls } from "../modules/peg/msgs";
import { DUST_LIMIT } from "../modules/peg/bitcoin/policy";
import { signDigest } from "../chain/crypto/secp256k1";
import { pegzone } from "../proto";
import type { SignerMetrics } from "./metrics";
import { approveValidatorsFederation } from "./federation-approval";
import { runRounds } from "./poll";

const v1 = pegzone.peg.v1;

export interface SignerOptions {
  /** The main chains to sign for; absent: every main chain whose federations hold the key. */
  mainchains?: readonly string[];
  pegzone: RpcClient;
  key: SignerKey;
  /** The kinds of main chain pegzone knows, by client type (app/pegzone.ts MAINCHAIN_KINDS). */
  kinds: Readonly<Record<string, MainChainKind>>;
  tx: Pick<TxOptions, "gasAdjustment" | "gasPrices" | "chainId">;
  logger: Logger;
  /** Counts releases signed and refused, and each round's result. */
  metrics?: SignerMetrics;
}

/** The signer will not sign a release: it does not rebuild from pegzone's records (the message says what differs). */
export class ReleaseRefusedError extends Error {
  override readonly name = "ReleaseRefusedError";
}

export class Signer {
  private readonly account: KeySigner;

  constructor(private readonly o: SignerOptions) {
    this.account = rawKeySigner("signer", o.key.privateKey);
  }

  get address(): string {
    return this.account.address;
  }

  /**
   * Signs every release awaiting this member's signatures; returns how many it signed. A release it
   * cannot rebuild or submit is logged with the reason and skipped: it never holds up the others.
   */
  async step(): Promise<number> {
    const { mainchains } = await pegQuery(this.o.pegzone, "MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse);
    for (const id of this.o.mainchains ?? []) if (!mainchains.some((m) => m.id === id)) throw new Error(`pegzone has no main chain ${id}`);
    let signed = 0;
    for (const chain of mainchains) {
      if (this.o.mainchains !== undefined && !this.o.mainchains.includes(chain.id!)) continue;
      const kind = this.o.kinds[chain.clientType!];
      if (kind?.releases === undefined) continue;
      signed += await this.stepChain(chain, kind);
    }
    return signed;
  }

  /** Signs what awaits this member's signatures on one main chain. */
  private async stepChain(chain: pegzone.peg.v1.IMainChain, kind: MainChainKind): Promise<number> {
    const rpc = this.o.pegzone;
    const mine = Buffer.from(this.o.key.publicKey);
    const isMember = (f: Federation) => (f.members ?? []).some((m) => mine.equals(Buffer.from(m.pubkey ?? [])));
    // The current federation and every retired one, by id.
    const { current, retired } = await pegQuery(rpc, "Federations", v1.QueryFederationsRequest, { mainchain: chain.id }, v1.QueryFederationsResponse);
    const federations = new Map<number, Federation>([...retired.map((r) => r.federation!), current ?? chain.federation!].map((f) => [Number(f.id), f]));
    if (![...federations.values()].some(isMember)) {
      if (this.o.mainchains !== undefined) this.o.logger.warn({ mainchain: chain.id, pubkey: mine.toString("hex") }, "this signer key is in no federation, current or retired; nothing to sign");
      return 0;
    }
    this.o.metrics?.watch(chain.id!);
    await approveValidatorsFederation({ pegzone: rpc, account: this.account, pubkey: this.o.key.publicKey, tx: this.o.tx, logger: this.o.logger }, chain.id!, current ?? chain.federation!).catch((err: unknown) =>
      this.o.logger.warn({ mainchain: chain.id, err: err instanceof Error ? err.message : String(err) }, "could not approve the validators' federation; retrying next round"),
    );
    const { releases } = await pegQuery(rpc, "Releases", v1.QueryReleasesRequest, { mainchain: chain.id, status: v1.ReleaseStatus.RELEASE_STATUS_SIGNING }, v1.QueryReleasesResponse);
    let signed = 0;
    for (const release of releases.map((r) => v1.Release.create(r))) {
      const federation = federations.get(Number(release.federationId));
      if (federation === undefined || !isMember(federation)) continue; // another federation's to sign
      if (release.signatures.some((s) => mine.equals(Buffer.from(s.pubkey ?? [])))) continue;
      try {
        await this.sign(chain, kind, release, federation, federations);
        signed++;
        this.o.metrics?.signed(chain.id!);
      } catch (err) {
        if (err instanceof ReleaseRefusedError) this.o.metrics?.refused(chain.id!, Number(release.id));
        this.o.logger.warn({ mainchain: chain.id, release: Number(release.id), err: err instanceof Error ? err.message : String(err) }, "skipped a release; signing the others");
      }
    }
    return signed;
  }

  /** Checks one release, signs it and submits the signatures; throws saying why it did not. */
  private async sign(chain: pegzone.peg.v1.IMainChain, kind: MainChainKind, release: pegzone.peg.v1.Release, federation: Federation, federations: ReadonlyMap<number, Federation>): Promise<void> {
    const rpc = this.o.pegzone;
    const digests = await this.check(chain, kind, release, federation, federations);
    const signatures = digests.map((d) => signDigest(this.o.key.privateKey, d));
    const msg = anyMsg(pegTypeUrls.submitReleaseSignatures, v1.MsgSubmitReleaseSignatures, { signer: this.account.address, mainchain: chain.id, releaseId: release.id, signatures });
    const res = await signAndBroadcast(rpc, this.account, [msg], { ...this.o.tx, gas: "auto" });
    if (res.code !== 0) throw new Error(`pegzone refused the signatures for release ${release.id}: ${res.codespace}/${res.code} ${res.raw_log}`);
    this.o.logger.info({ mainchain: chain.id, release: Number(release.id), txid: release.txid, federation: Number(federation.id), sweep: isSweep(release) }, "signed release");
  }

  /** Rebuilds the release from pegzone's records; returns the digests to sign, or throws saying what does not match. */
  private async check(chain: pegzone.peg.v1.IMainChain, kind: MainChainKind, release: pegzone.peg.v1.Release, federation: Federation, federations: ReadonlyMap<number, Federation>): Promise<Uint8Array[]> {
    const rpc = this.o.pegzone;
    const refuse = (why: string): never => {
      throw new ReleaseRefusedError(`refusing to sign release ${release.id}: ${why}`);
    };
    const ids = release.withdrawalIds.map(Number);
    const { withdrawals } = ids.length === 0 ? { withdrawals: [] } : await pegQuery(rpc, "Withdrawals", v1.QueryWithdrawalsRequest, { mainchain: chain.id!, ids }, v1.QueryWithdrawalsResponse);
    const byId = new Map(withdrawals.map((w) => [Number(w.id), w]));
    const payments: ReleasePayment[] = release.withdrawalIds.map((id) => {
      const w = byId.get(Number(id)) ?? refuse(`withdrawal ${id} is unknown`);
      if (w.status !== v1.WithdrawalStatus.WITHDRAWAL_STATUS_IN_RELEASE || Number(w.releaseId) !== Number(release.id)) refuse(`withdrawal ${id} is not in this release`);
      return { id: Number(id), script: w.script!, amount: BigInt(w.amount!) };
    });
    const flow = kind.releases ?? refuse(`${chain.id} is a main chain without releases`);
    const reserveDataType = kind.deposits?.reserveDataType ?? refuse(`${chain.id} is a main chain without deposits`);
    const hex = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString("hex");
    // The inputs as pegzone's reserve holds them (value, spending data), each locked for this release.
    const { entries } = await pegQuery(rpc, "Reserve", v1.QueryReserveRequest, { mainchain: chain.id! }, v1.QueryReserveResponse);
    const reserved = new Map(entries.map((e) => [hex(e.id), e]));
    const inputs: ReserveEntryView[] = release.inputs.map((input, i) => {
      const name = input.displayId || `${i} (${hex(input.id)})`;
      const entry = reserved.get(hex(input.id)) ?? refuse(`input ${name} is not a reserve entry`);
      if (
        Number(entry.releaseId) !== Number(release.id) ||
        entry.displayId !== input.displayId ||
        entry.value !== input.value ||
        entry.data?.type_url !== input.data?.type_url ||
        hex(entry.data?.value) !== hex(input.data?.value)
      )
        refuse(`input ${name} is not locked for this release as recorded`);
      if (Number(entry.federationId) !== Number(federation.id)) refuse(`input ${name} belongs to federation ${entry.federationId}, not ${federation.id}`);
      if (entry.data?.type_url !== reserveDataType) refuse(`input ${name} holds ${JSON.stringify(entry.data?.type_url ?? "")} data, not ${reserveDataType}`);
      return { id: entry.id!, displayId: entry.displayId!, value: BigInt(entry.value!), data: entry.data!.value! };
    });
    // A release's change, and a sweep's output, go to its own federation or a newer one (a retired
    // federation's release pays its change to the current federation; a consolidation stays).
    const changeTo = federations.get(changeFederationId(release)) ?? refuse(`its change goes to federation ${changeFederationId(release)}, which pegzone does not know`);
    if (Number(changeTo.id) < Number(federation.id)) refuse(`its ${isSweep(release) ? "sweep output" : "change"} goes to federation ${changeTo.id}, older than its own ${federation.id}`);
    const maxFee = BigInt(chain.maxFee!);
    const rebuilt = flow.buildRelease({ chain, context: release.context, entries: inputs, payments, feeRate: BigInt(release.feeRate), maxFee, federation, changeFederation: changeTo });
    if (!Buffer.from(rebuilt.payload).equals(Buffer.from(release.payload))) refuse("it differs from the release rebuilt from pegzone's withdrawals and reserve");
    if (rebuilt.txid !== release.txid) refuse(`its txid ${release.txid} is not the rebuilt release's ${rebuilt.txid}`);
    if (rebuilt.fee > maxFee + DUST_LIMIT) refuse(`fee ${rebuilt.fee} is over the cap ${maxFee}`);
    this.checkChange(reserveDataType, release, rebuilt, changeTo, refuse);
    return flow.releaseDigests(rebuilt);
  }

  /**
   * The entry the reserve gains when the release confirms must be the rebuilt one (same id, value
   * and data: the builder derived its data from `changeTo`, e.g. bitcoin's reserve script), held by
   * `changeTo`.
   */
  private checkChange(reserveDataType: string, release: pegzone.peg.v1.Release, rebuilt: BuiltRelease, changeTo: Federation, refuse: (why: string) => never): void {
    const recorded = release.change ?? undefined;
    if (rebuilt.change === undefined) {
      if (recorded !== undefined) refuse(`it records change ${recorded.displayId} that the rebuilt release does not have`);
      return;
    }
    if (recorded === undefined) return refuse(`it records no change, the rebuilt release has ${rebuilt.change.displayId}`);
    if (
      !Buffer.from(recorded.id ?? []).equals(Buffer.from(rebuilt.change.id)) ||
      recorded.displayId !== rebuilt.change.displayId ||
      recorded.value !== rebuilt.change.value.toString() ||
      recorded.data?.type_url !== reserveDataType ||
      !Buffer.from(recorded.data?.value ?? []).equals(Buffer.from(rebuilt.change.data))
    )
      refuse(`its change ${recorded.displayId} does not go to federation ${changeTo.id} as rebuilt`);
    if (Number(recorded.federationId ?? 0) !== 0 && Number(recorded.federationId) !== Number(changeTo.id))
      refuse(`its change is recorded for federation ${recorded.federationId}, not ${changeTo.id}`);
  }

  /** Runs `step` every `pollMs` until aborted; failures are logged and retried. */
  run(pollMs: number, signal: AbortSignal): Promise<void> {
    return runRounds(async () => void (await this.step()), { pollMs, signal, logger: this.o.logger, name: "signer", onRoundEnd: (result) => this.o.metrics?.roundEnded(result) });
  }
}
