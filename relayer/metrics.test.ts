/**
 * The daemons' metrics: the relayer's and the signer's series as rounds update them, the rounds of a
 * TendermintRelayer and of a bitcoin Relayer against a fake node and a fake pegzone (a failed round
 * counted, its tips still read; a round without error setting the last success), the `--metrics-address` parser, and the
 * endpoint over HTTP on a free port: valid exposition text whose values move after a round.
 */
import type { RpcClient } from "../chain/client/rpc";
import type { KeySigner } from "../chain/keys/keyring";
import type { Logger } from "../chain/log";
import { MetricsRegistry } from "../chain/metrics/prometheus";
import { parseListenAddress, serveMetrics } from "../chain/metrics/serve";
import { ADDRESS_PREFIX, toBech32 } from "../chain/crypto/address";
import { pegzone } from "../proto";
import { freePortBlock } from "../test/support/harness";
import { parsePrometheusText, sampleValue, type Sample } from "../test/support/prometheus-text";
import type { CometRpcClient } from "./cometbft-rpc";
import { RelayerMetrics, SignerMetrics, SUBMITTED_KINDS } from "./metrics";
import { runRounds } from "./poll";
import { TendermintRelayer } from "./tendermint-relayer";
import { Relayer } from "./relayer";
import type { BitcoinRpcClient } from "./bitcoin-rpc";

const v1 = pegzone.peg.v1;

async function scrape(registry: MetricsRegistry): Promise<Sample[]> {
  const { samples, invalid } = parsePrometheusText(await registry.render());
  expect(invalid).toEqual([]);
  return samples;
}

const quietLogger = { info: () => undefined, warn: () => undefined, debug: () => undefined } as unknown as Logger;

describe("RelayerMetrics", () => {
  test("every counter starts at 0; the lag is the difference of the two tips once both are known; the last success only after an ok round", async () => {
    const registry = new MetricsRegistry();
    let clock = 1_700_000_000_500;
    const m = new RelayerMetrics(registry, "hub", () => clock);
    let s = await scrape(registry);
    for (const result of ["ok", "error"]) expect(sampleValue(s, "pegzone_relayer_rounds_total", { mainchain: "hub", result })).toBe(0);
    for (const kind of SUBMITTED_KINDS) expect(sampleValue(s, "pegzone_relayer_submitted_total", { mainchain: "hub", kind })).toBe(0);
    expect(s.filter((x) => /height|lag|last_success/.test(x.name))).toEqual([]);

    m.observeMainchainHeight(120n);
    expect(sampleValue(await scrape(registry), "pegzone_relayer_lag_blocks")).toBeUndefined();
    m.observeClientHeight(100);
    m.submitted("headers", 20);
    m.submitted("claim");
    m.submitted("claim", 0);
    m.roundEnded("error");
    s = await scrape(registry);
    expect([
      sampleValue(s, "pegzone_relayer_mainchain_height", { mainchain: "hub" }),
      sampleValue(s, "pegzone_relayer_client_height", { mainchain: "hub" }),
      sampleValue(s, "pegzone_relayer_lag_blocks", { mainchain: "hub" }),
      sampleValue(s, "pegzone_relayer_submitted_total", { kind: "headers" }),
      sampleValue(s, "pegzone_relayer_submitted_total", { kind: "claim" }),
      sampleValue(s, "pegzone_relayer_rounds_total", { result: "error" }),
      sampleValue(s, "pegzone_relayer_last_success_timestamp_seconds"),
    ]).toEqual([120, 100, 20, 20, 1, 1, undefined]);

    m.observeClientHeight(120);
    m.roundEnded("ok");
    clock += 2000;
    m.roundEnded("ok");
    s = await scrape(registry);
    expect(sampleValue(s, "pegzone_relayer_lag_blocks")).toBe(0);
    expect(sampleValue(s, "pegzone_relayer_rounds_total", { result: "ok" })).toBe(2);
    expect(sampleValue(s, "pegzone_relayer_last_success_timestamp_seconds", { mainchain: "hub" })).toBe(1_700_000_002.5);
  });
});

describe("SignerMetrics", () => {
  test("signed and refused per main chain, a release refused again counted once; rounds without a main chain label", async () => {
    const registry = new MetricsRegistry();
    const m = new SignerMetrics(registry, () => 5000);
    m.watch("btc-regtest");
    let s = await scrape(registry);
    expect([sampleValue(s, "pegzone_signer_signed_total", { mainchain: "btc-regtest" }), sampleValue(s, "pegzone_signer_refused_total", { mainchain: "btc-regtest" })]).toEqual([0, 0]);
    m.signed("btc-regtest");
    m.signed("hub");
    m.refused("hub", 7);
    m.refused("hub", 7);
    m.refused("hub", 8);
    m.roundEnded("ok");
    m.roundEnded("error");
    s = await scrape(registry);
    expect([
      sampleValue(s, "pegzone_signer_signed_total", { mainchain: "btc-regtest" }),
      sampleValue(s, "pegzone_signer_signed_total", { mainchain: "hub" }),
      sampleValue(s, "pegzone_signer_refused_total", { mainchain: "hub" }),
      sampleValue(s, "pegzone_signer_rounds_total", { result: "ok" }),
      sampleValue(s, "pegzone_signer_rounds_total", { result: "error" }),
      sampleValue(s, "pegzone_signer_last_success_timestamp_seconds"),
    ]).toEqual([1, 1, 2, 1, 1, 5]);
  });

  test("runRounds tells each round's result, and a failing hook stops nothing", async () => {
    const stop = new AbortController();
    const results: string[] = [];
    let n = 0;
    await runRounds(
      async () => {
        if (n++ === 1) throw new Error("pegzone is down");
      },
      {
        pollMs: 1,
        signal: stop.signal,
        logger: quietLogger,
        name: "test",
        onRoundEnd: (result) => {
          results.push(result);
          if (results.length === 3) stop.abort();
          throw new Error("a hook that fails");
        },
      },
    );
    expect(results).toEqual(["ok", "error", "ok"]);
  });
});

describe("parseListenAddress", () => {
  test.each([
    ["127.0.0.1:26661", { host: "127.0.0.1", port: 26661 }],
    ["0.0.0.0:9100", { host: "0.0.0.0", port: 9100 }],
    ["tcp://localhost:9100", { host: "localhost", port: 9100 }],
    ["[::1]:9100", { host: "::1", port: 9100 }],
    [":9100", { host: "127.0.0.1", port: 9100 }],
    ["9100", { host: "127.0.0.1", port: 9100 }],
  ])("%s", (text, want) => expect(parseListenAddress(text)).toEqual(want));

  test.each(["", "host", "host:", "host:70000", "http://127.0.0.1:9100", "1.2.3.4:9100/metrics"])("refuses %j", (text) => expect(() => parseListenAddress(text)).toThrow(/not an address host:port/));
});

/**
 * A TendermintRelayer (headers only) against a fake Hub node at `latest` and a fake pegzone whose
 * client holds `clientTip`: with the client Active its round has nothing to send and ends without
 * error; Frozen, the round fails (the follower takes no Frozen client).
 */
function fakeTendermint() {
  const state = { latest: 15n, clientTip: 12, status: "Active" };
  const comet = { status: async () => ({ chainId: "hub-1", latestHeight: state.latest, latestTime: 0n }) } as unknown as CometRpcClient;
  const pegzoneRpc = {
    url: "http://127.0.0.1:1",
    async query(path: string, data: Uint8Array): Promise<Uint8Array> {
      const method = path.split("/").pop();
      if (method === "ClientState")
        return v1.QueryClientStateResponse.encode({
          clientType: "tendermint",
          status: state.status,
          tipHeight: state.clientTip,
          details: { chain_id: "hub-1", trust_level: "1/3", trusting_period_nanos: "1000000000000", max_clock_drift_nanos: "10000000000" },
        }).finish();
      // The client holds a consensus state at every height asked: nothing to relay.
      if (method === "ConsensusState") return v1.QueryConsensusStateResponse.encode({ height: v1.QueryConsensusStateRequest.decode(data).height, details: {} }).finish();
      throw new Error(`unexpected query ${path}`);
    },
  } as unknown as RpcClient;
  const relayer = (metrics: RelayerMetrics) =>
    new TendermintRelayer({
      mainchain: "hub",
      comet,
      pegzone: pegzoneRpc,
      signer: { address: toBech32(ADDRESS_PREFIX, new Uint8Array(20).fill(1)) } as unknown as KeySigner,
      tx: { gasAdjustment: "1.4", gasPrices: "0.1upeg" },
      logger: quietLogger,
      noDeposits: true,
      metrics,
    });
  return { state, relayer };
}

describe("a relayer's rounds in its metrics", () => {
  test("a failed round is counted and its tips still read; a round without error sets the last success", async () => {
    const { state, relayer } = fakeTendermint();
    const registry = new MetricsRegistry();
    let clock = 1_000_000;
    let stop = new AbortController();
    // Stops the loop after one round.
    class OneRound extends RelayerMetrics {
      override roundEnded(result: "ok" | "error"): void {
        super.roundEnded(result);
        stop.abort();
      }
    }
    const metrics = new OneRound(registry, "hub", () => clock);
    state.status = "Frozen";
    await relayer(metrics).run(1, stop.signal);
    let s = await scrape(registry);
    expect([
      sampleValue(s, "pegzone_relayer_rounds_total", { mainchain: "hub", result: "error" }),
      sampleValue(s, "pegzone_relayer_rounds_total", { mainchain: "hub", result: "ok" }),
      sampleValue(s, "pegzone_relayer_mainchain_height", { mainchain: "hub" }),
      sampleValue(s, "pegzone_relayer_client_height", { mainchain: "hub" }),
      sampleValue(s, "pegzone_relayer_lag_blocks", { mainchain: "hub" }),
      sampleValue(s, "pegzone_relayer_last_success_timestamp_seconds", { mainchain: "hub" }),
    ]).toEqual([1, 0, 15, 12, 3, undefined]);

    state.status = "Active";
    [state.latest, state.clientTip, clock] = [20n, 20, 2_000_000];
    stop = new AbortController();
    await relayer(metrics).run(1, stop.signal);
    s = await scrape(registry);
    expect([
      sampleValue(s, "pegzone_relayer_rounds_total", { result: "error" }),
      sampleValue(s, "pegzone_relayer_rounds_total", { result: "ok" }),
      sampleValue(s, "pegzone_relayer_lag_blocks"),
      sampleValue(s, "pegzone_relayer_last_success_timestamp_seconds"),
    ]).toEqual([1, 1, 0, 2000]);
  });
});

describe("a bitcoin relayer's rounds in its metrics", () => {
  test("a round that fails (pegzone answers no header) is counted, and the tips are read after it", async () => {
    const registry = new MetricsRegistry();
    const stop = new AbortController();
    const metrics = new RelayerMetrics(registry, "btc-regtest");
    const btc = { getBlockCount: async () => 104, getBlockHash: async (h: number) => `${h}`.padStart(64, "0") } as unknown as BitcoinRpcClient;
    const pegzoneRpc = {
      url: "http://127.0.0.1:1",
      async query(path: string): Promise<Uint8Array> {
        if (path.endsWith("/ClientState")) return v1.QueryClientStateResponse.encode({ clientType: "bitcoin", status: "Active", tipHeight: 100 }).finish();
        stop.abort();
        throw new Error("pegzone is catching up");
      },
    } as unknown as RpcClient;
    const relayer = new Relayer({
      mainchain: "btc-regtest",
      btc,
      pegzone: pegzoneRpc,
      signer: { address: toBech32(ADDRESS_PREFIX, new Uint8Array(20).fill(1)) } as unknown as KeySigner,
      tx: { gasAdjustment: "1.4", gasPrices: "0.1upeg" },
      stateFile: "/nonexistent/never-written.json",
      logger: quietLogger,
      metrics,
    });
    await relayer.run(1, stop.signal);
    const s = await scrape(registry);
    expect([
      sampleValue(s, "pegzone_relayer_rounds_total", { mainchain: "btc-regtest", result: "error" }),
      sampleValue(s, "pegzone_relayer_rounds_total", { mainchain: "btc-regtest", result: "ok" }),
      sampleValue(s, "pegzone_relayer_mainchain_height", { mainchain: "btc-regtest" }),
      sampleValue(s, "pegzone_relayer_client_height", { mainchain: "btc-regtest" }),
      sampleValue(s, "pegzone_relayer_lag_blocks", { mainchain: "btc-regtest" }),
      sampleValue(s, "pegzone_relayer_submitted_total", { mainchain: "btc-regtest", kind: "headers" }),
    ]).toEqual([1, 0, 104, 100, 4, 0]);
  });
});

describe("the metrics endpoint", () => {
  test("GET /metrics on a free port: valid text, values that move after a round; other paths 404, other methods 405", async () => {
    const port = await freePortBlock(1);
    const registry = new MetricsRegistry();
    const metrics = new RelayerMetrics(registry, "hub");
    const server = await serveMetrics(registry, `127.0.0.1:${port}`);
    const { state, relayer } = fakeTendermint();
    state.clientTip = 9;
    const stop = new AbortController();
    let running: Promise<void> | undefined;
    try {
      expect(server.url).toBe(`http://127.0.0.1:${port}/metrics`);
      const get = async () => {
        const res = await fetch(server.url);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
        const { samples, invalid } = parsePrometheusText(await res.text());
        expect(invalid).toEqual([]);
        return samples;
      };
      const before = await get();
      expect(sampleValue(before, "pegzone_relayer_rounds_total", { mainchain: "hub", result: "ok" })).toBe(0);
      expect(sampleValue(before, "pegzone_relayer_lag_blocks", { mainchain: "hub" })).toBeUndefined();

      running = relayer(metrics).run(10, stop.signal);
      let after = await get();
      for (let i = 0; i < 200 && sampleValue(after, "pegzone_relayer_lag_blocks") === undefined; i++) {
        await new Promise((r) => setTimeout(r, 10));
        after = await get();
      }
      expect(sampleValue(after, "pegzone_relayer_rounds_total", { mainchain: "hub", result: "ok" })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(after, "pegzone_relayer_lag_blocks", { mainchain: "hub" })).toBe(6);
      expect(sampleValue(after, "pegzone_relayer_last_success_timestamp_seconds", { mainchain: "hub" })).toBeGreaterThan(Date.now() / 1000 - 60);

      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
      expect((await fetch(server.url, { method: "POST", body: "x" })).status).toBe(405);
      expect((await fetch(server.url, { method: "HEAD" })).status).toBe(200);
    } finally {
      stop.abort();
      await running;
      await server.close();
    }
    // Closed: the port is free again.
    await expect(fetch(server.url)).rejects.toThrow();
  });
});
