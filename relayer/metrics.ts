/**
 * The daemons' own Prometheus metrics (`pegzone relayer|signer --metrics-address host:port`), on a
 * registry of chain/metrics/prometheus.ts that chain/metrics/serve.ts serves at `/metrics`.
 *
 *   relayer  pegzone_relayer_mainchain_height and pegzone_relayer_client_height (the main chain's tip
 *            as the relayer's node sees it, pegzone's light-client tip: both read after every round,
 *            failed or not), pegzone_relayer_lag_blocks (their difference; negative if pegzone's
 *            client is ahead of this relayer's node), pegzone_relayer_last_success_timestamp_seconds,
 *            pegzone_relayer_rounds_total{result}, pegzone_relayer_submitted_total{kind} (what pegzone,
 *            or for release_broadcast the main chain's node, took: headers count one per header).
 *   signer   pegzone_signer_signed_total and pegzone_signer_refused_total (each release it refused to
 *            sign counted once, though it is refused again each round while pending), per main chain;
 *            pegzone_signer_last_success_timestamp_seconds and pegzone_signer_rounds_total{result}, for
 *            its rounds, each over every main chain it signs for (labelled with none).
 *
 * Every relayer series carries `mainchain`. Counters start at 0 for every label value, so a rate is
 * defined from the first scrape; a last-success gauge is absent until the first round that ended
 * without error.
 */
import type { Counter, Gauge, MetricsRegistry } from "../chain/metrics/prometheus";

export const SUBMITTED_KINDS = ["headers", "claim", "release_broadcast", "release_proof", "account_proof"] as const;
export type SubmittedKind = (typeof SUBMITTED_KINDS)[number];
export type RoundResult = "ok" | "error";

export class RelayerMetrics {
  private readonly labels: { mainchain: string };
  private readonly mainchainHeight: Gauge;
  private readonly clientHeight: Gauge;
  private readonly lag: Gauge;
  private readonly lastSuccess: Gauge;
  private readonly rounds: Counter;
  private readonly submittedTotal: Counter;
  private tips: { mainchain?: number; client?: number } = {};

  constructor(
    registry: MetricsRegistry,
    readonly mainchain: string,
    private readonly now: () => number = Date.now,
  ) {
    this.labels = { mainchain };
    this.mainchainHeight = registry.gauge("pegzone_relayer_mainchain_height", "The main chain's tip height, as the relayer's node sees it.");
    this.clientHeight = registry.gauge("pegzone_relayer_client_height", "Height of pegzone's light-client tip of the main chain.");
    this.lag = registry.gauge("pegzone_relayer_lag_blocks", "pegzone_relayer_mainchain_height minus pegzone_relayer_client_height.");
    this.lastSuccess = registry.gauge("pegzone_relayer_last_success_timestamp_seconds", "Unix time at which the last relayer round that ended without error ended.");
    this.rounds = registry.counter("pegzone_relayer_rounds_total", "Relayer rounds, by result (ok: ended without error).");
    this.submittedTotal = registry.counter("pegzone_relayer_submitted_total", "What the relayer submitted and had taken, by kind (headers: one per header).");
    for (const result of ["ok", "error"] as const) this.rounds.inc({ ...this.labels, result }, 0);
    for (const kind of SUBMITTED_KINDS) this.submittedTotal.inc({ ...this.labels, kind }, 0);
  }

  /** The main chain's tip as the relayer's node reports it. */
  observeMainchainHeight(height: number | bigint): void {
    this.tips.mainchain = Number(height);
    this.mainchainHeight.set(this.tips.mainchain, this.labels);
    this.updateLag();
  }

  /** pegzone's light-client tip of the main chain. */
  observeClientHeight(height: number | bigint): void {
    this.tips.client = Number(height);
    this.clientHeight.set(this.tips.client, this.labels);
    this.updateLag();
  }

  submitted(kind: SubmittedKind, count = 1): void {
    if (count > 0) this.submittedTotal.inc({ ...this.labels, kind }, count);
  }

  roundEnded(result: RoundResult): void {
    this.rounds.inc({ ...this.labels, result });
    if (result === "ok") this.lastSuccess.set(this.now() / 1000, this.labels);
  }

  private updateLag(): void {
    if (this.tips.mainchain !== undefined && this.tips.client !== undefined) this.lag.set(this.tips.mainchain - this.tips.client, this.labels);
  }
}

export class SignerMetrics {
  private readonly signedTotal: Counter;
  private readonly refusedTotal: Counter;
  private readonly lastSuccess: Gauge;
  private readonly rounds: Counter;
  /** Releases counted as refused ("<mainchain>/<id>"): a release pending is refused again each round. */
  private readonly refusedReleases = new Set<string>();
  private readonly watched = new Set<string>();

  constructor(
    registry: MetricsRegistry,
    private readonly now: () => number = Date.now,
  ) {
    this.signedTotal = registry.counter("pegzone_signer_signed_total", "Releases the signer signed and pegzone took the signatures of.");
    this.refusedTotal = registry.counter("pegzone_signer_refused_total", "Releases the signer refused to sign (they did not rebuild from pegzone's records), each counted once.");
    this.lastSuccess = registry.gauge("pegzone_signer_last_success_timestamp_seconds", "Unix time at which the last signer round that ended without error ended.");
    this.rounds = registry.counter("pegzone_signer_rounds_total", "Signer rounds, over every main chain it signs for, by result (ok: ended without error).");
    for (const result of ["ok", "error"] as const) this.rounds.inc({ result }, 0);
  }

  /** A main chain the signer signs for: its counters start at 0. */
  watch(mainchain: string): void {
    if (this.watched.has(mainchain)) return;
    this.watched.add(mainchain);
    this.signedTotal.inc({ mainchain }, 0);
    this.refusedTotal.inc({ mainchain }, 0);
  }

  signed(mainchain: string): void {
    this.watch(mainchain);
    this.signedTotal.inc({ mainchain });
  }

  /** A release it refused to sign; counted the first time only. */
  refused(mainchain: string, releaseId: number): void {
    this.watch(mainchain);
    const key = `${mainchain}/${releaseId}`;
    if (this.refusedReleases.has(key)) return;
    this.refusedReleases.add(key);
    this.refusedTotal.inc({ mainchain });
  }

  roundEnded(result: RoundResult): void {
    this.rounds.inc({ result });
    if (result === "ok") this.lastSuccess.set(this.now() / 1000);
  }
}
