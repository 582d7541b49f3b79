/**
 * The peg's gauges, per main chain, read at scrape time through the same query router as the REST
 * routes (no state-machine change): the light client's tip height and age (seconds since the tip
 * header's time), reserve, pegged supply, in flight (owed by unconfirmed releases), pending
 * withdrawals, releases by status, frozen. All of one scrape are read at the same height.
 *
 * Pending withdrawals and releases by status page through each main chain's whole history (the peg
 * keeps no index by status but for live releases): a scrape's cost grows with that history.
 */
import { pegzone } from "../../../proto";
import type { AppQuery } from "./app-query";
import type { MetricsRegistry } from "../../../chain/metrics/prometheus";

const v1 = pegzone.peg.v1;
const peg = (m: string) => `/pegzone.peg.v1.Query/${m}`;
const PAGE = 1000;
/** A bitcoin header (80 bytes) keeps its time, unix seconds, little-endian at byte 68. */
const BITCOIN_HEADER_BYTES = 80;

interface Encoder {
  encode(message: object): { finish(): Uint8Array };
}

export function registerPegMetrics(registry: MetricsRegistry, query: AppQuery, now: () => number = Date.now): void {
  const tipHeight = registry.gauge("pegzone_peg_client_tip_height", "Height of the main chain's light-client tip.");
  const tipAge = registry.gauge("pegzone_peg_client_tip_age_seconds", "Seconds since the time in the light client's tip header.");
  const active = registry.gauge("pegzone_peg_client_active", "1 while the main chain's light client is Active, else 0 (Frozen, Expired).");
  const reserve = registry.gauge("pegzone_peg_reserve", "What the reserve holds, in the main chain's smallest unit.");
  const supply = registry.gauge("pegzone_peg_supply", "Supply of peg/<mainchain> on pegzone.");
  const inFlight = registry.gauge("pegzone_peg_in_flight", "Burned for releases not confirmed yet: owed, still in the reserve.");
  const pending = registry.gauge("pegzone_peg_withdrawals_pending", "Withdrawals waiting for a release (still cancellable).");
  const releases = registry.gauge("pegzone_peg_releases", "Releases by status.");
  const frozen = registry.gauge("pegzone_peg_frozen", "1 while the main chain's peg is frozen.");
  const errors = registry.counter("pegzone_peg_metrics_errors_total", "Peg queries that failed while collecting these metrics.");
  const gauges = [tipHeight, tipAge, active, reserve, supply, inFlight, pending, releases, frozen];

  registry.onScrape(async () => {
    for (const g of gauges) g.reset();
    let height = 0n;
    const ask = async <T>(method: string, req: Encoder, res: { decode(b: Uint8Array): T }, fields: object): Promise<T | undefined> => {
      try {
        const answer = await query(peg(method), req.encode(fields).finish(), height);
        height = answer.height;
        return res.decode(answer.value);
      } catch {
        errors.inc({ query: method });
        return undefined;
      }
    };
    const chains = await ask("MainChains", v1.QueryMainChainsRequest, v1.QueryMainChainsResponse, {});
    for (const chain of chains?.mainchains ?? []) {
      const mainchain = chain.id ?? "";
      const labels = { mainchain };
      const client = await ask("ClientState", v1.QueryClientStateRequest, v1.QueryClientStateResponse, { mainchain });
      if (client) {
        tipHeight.set(Number(client.tipHeight), { mainchain, client_type: client.clientType });
        active.set(client.status === "Active" ? 1 : 0, labels);
        const time = await tipTime(client, (fields) => ask("Header", v1.QueryHeaderRequest, v1.QueryHeaderResponse, fields), mainchain);
        if (time !== undefined) tipAge.set(Math.max(0, (now() - time) / 1000), labels);
      }
      const r = await ask("Reserve", v1.QueryReserveRequest, v1.QueryReserveResponse, { mainchain });
      if (r) {
        reserve.set(Number(r.total), labels);
        supply.set(Number(r.supply), labels);
        inFlight.set(Number(r.pending), labels);
        frozen.set(r.freeze?.frozen ? 1 : 0, labels);
      }
      const withdrawals = await pages((page) => ask("Withdrawals", v1.QueryWithdrawalsRequest, v1.QueryWithdrawalsResponse, { mainchain, page }), (a) => a.withdrawals);
      if (withdrawals) pending.set(withdrawals.filter((w) => w.status === v1.WithdrawalStatus.WITHDRAWAL_STATUS_PENDING).length, labels);
      const all = await pages((page) => ask("Releases", v1.QueryReleasesRequest, v1.QueryReleasesResponse, { mainchain, page }), (a) => a.releases);
      if (all) {
        for (const [name, status] of Object.entries(v1.ReleaseStatus)) {
          if (status === v1.ReleaseStatus.RELEASE_STATUS_UNSPECIFIED) continue;
          releases.set(all.filter((x) => x.status === status).length, { mainchain, status: name.replace("RELEASE_STATUS_", "").toLowerCase() });
        }
      }
    }
  });
}

/** Every page of a list query, or undefined if one failed. */
async function pages<A extends { page?: { nextKey?: Uint8Array | null } | null }, T>(
  ask: (page: { key: Uint8Array; limit: number }) => Promise<A | undefined>,
  items: (answer: A) => T[],
): Promise<T[] | undefined> {
  const out: T[] = [];
  let key: Uint8Array = new Uint8Array();
  for (;;) {
    const answer = await ask({ key, limit: PAGE });
    if (answer === undefined) return undefined;
    out.push(...items(answer));
    const next = answer.page?.nextKey;
    if (!next || next.length === 0) return out;
    key = next;
  }
}

/**
 * The tip header's time in ms: the client's `latest_time` (tendermint kinds), else the time field
 * of the stored 80-byte header at the tip (bitcoin kinds); undefined when neither is there.
 */
async function tipTime(
  client: pegzone.peg.v1.QueryClientStateResponse,
  header: (fields: object) => Promise<pegzone.peg.v1.QueryHeaderResponse | undefined>,
  mainchain: string,
): Promise<number | undefined> {
  const latest = client.details?.latest_time;
  if (latest !== undefined) {
    const ms = Date.parse(latest);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (client.clientType !== "bitcoin") return undefined;
  const tip = await header({ mainchain, height: Number(client.tipHeight) });
  if (tip === undefined || tip.header.length !== BITCOIN_HEADER_BYTES) return undefined;
  return Buffer.from(tip.header).readUInt32LE(68) * 1000;
}
