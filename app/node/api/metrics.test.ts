/**
 * The app's metrics: the registry's text format, the ABCI calls measured by the wrapper, and the
 * peg's gauges following a peg-in and a peg-out on an in-process chain (read through the query router).
 */
import * as abci from "cosmjs-types/tendermint/abci/types";
import { createHash } from "node:crypto";
import * as btc from "@scure/btc-signer";
import { publicKeyFromPrivate } from "../../../chain/crypto/secp256k1";
import { REGTEST } from "../../../light-client/bitcoin";
import { pegzone } from "../../../proto";
import { RecordingApp } from "../../../test/support/abci-app";
import { REGTEST_NETWORK } from "../../../test/support/btc-wallet";
import { claim, closeHarnesses, depositScenario, MAINCHAIN } from "../../../test/support/peg-harness";
import { parsePrometheusText, sampleValue } from "../../../test/support/prometheus-text";
import { appQuery } from "./app-query";
import { AppGate } from "./gate";
import { NodeMetrics } from "./node-metrics";
import { registerPegMetrics } from "./peg-metrics";
import { MetricsRegistry } from "../../../chain/metrics/prometheus";

const v1 = pegzone.peg.v1;
afterAll(closeHarnesses);

async function scrape(registry: MetricsRegistry) {
  const { samples, invalid } = parsePrometheusText(await registry.render());
  expect(invalid).toEqual([]);
  return samples;
}

describe("the registry", () => {
  test("counters, gauges and histograms in the text format, labels escaped", async () => {
    const r = new MetricsRegistry();
    const c = r.counter("t_total", "a counter\nover two lines");
    const g = r.gauge("t_gauge", "a gauge");
    const hist = r.histogram("t_seconds", "a histogram", [0.1, 1]);
    c.inc({ code: "0" });
    c.inc({ code: "0" }, 2);
    g.set(-1.5, { who: 'a "quoted"\\back\nslash' });
    hist.observe(0.05);
    hist.observe(0.5);
    hist.observe(5);
    const text = await r.render();
    expect(text).toContain("# HELP t_total a counter\\nover two lines\n# TYPE t_total counter\nt_total{code=\"0\"} 3\n");
    expect(text).toContain('t_gauge{who="a \\"quoted\\"\\\\back\\nslash"} -1.5\n');
    expect(text).toContain('t_seconds_bucket{le="0.1"} 1\nt_seconds_bucket{le="1"} 2\nt_seconds_bucket{le="+Inf"} 3\nt_seconds_sum 5.55\nt_seconds_count 3\n');
    const samples = await scrape(r);
    expect(sampleValue(samples, "t_gauge")).toBe(-1.5);
    expect(samples.find((s) => s.name === "t_gauge")?.labels.who).toBe('a "quoted"\\back\nslash');
  });

  test("a name registered twice, or not a metric name, is refused", () => {
    const r = new MetricsRegistry();
    r.gauge("x", "");
    expect(() => r.counter("x", "")).toThrow(/twice/);
    expect(() => r.gauge("1x", "")).toThrow(/invalid/);
  });
});

describe("ABCI calls measured", () => {
  test("FinalizeBlock and Commit times, txs per block and by result, CheckTx by result, the height", async () => {
    const metrics = new NodeMetrics(7);
    const app = metrics.instrument(new RecordingApp());
    expect(sampleValue(await scrape(metrics.registry), "pegzone_block_height")).toBe(7);
    await app.finalizeBlock(abci.RequestFinalizeBlock.fromPartial({ height: 8n, txs: [Buffer.from("a"), Buffer.from("b")] }));
    await app.commit({});
    await app.checkTx({ tx: Buffer.from("ok"), type: abci.CheckTxType.NEW });
    await app.checkTx({ tx: Buffer.from("ok"), type: abci.CheckTxType.RECHECK });
    const s = await scrape(metrics.registry);
    expect(sampleValue(s, "pegzone_block_height")).toBe(8);
    expect(sampleValue(s, "pegzone_finalize_block_seconds_count")).toBe(1);
    expect(sampleValue(s, "pegzone_commit_seconds_count")).toBe(1);
    expect(sampleValue(s, "pegzone_block_txs_sum")).toBe(2);
    expect(sampleValue(s, "pegzone_txs_total", { codespace: "", code: "0" })).toBe(2);
    expect(sampleValue(s, "pegzone_check_tx_total", { type: "new", code: "0" })).toBe(1);
    expect(sampleValue(s, "pegzone_check_tx_total", { type: "recheck", code: "0" })).toBe(1);
    expect(sampleValue(s, "process_resident_memory_bytes")).toBeGreaterThan(0);
    // every other call passes through
    expect((await app.info({ version: "v", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" })).data).toBe("info for v");
  });
});

describe("the peg's gauges", () => {
  test("follow a peg-in, a withdrawal and the release that pays it", async () => {
    const s = await depositScenario(600_000n);
    const { h } = s;
    const registry = new MetricsRegistry();
    const tipTime = (height: number) => (REGTEST.genesis.time + 600 * height) * 1000;
    registerPegMetrics(registry, appQuery(h.app, new AppGate()), () => tipTime(3) + 42_000);
    const peg = async () => {
      const samples = await scrape(registry);
      const get = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, `pegzone_peg_${name}`, { mainchain: MAINCHAIN, ...labels });
      return {
        tip: get("client_tip_height", { client_type: "bitcoin" }),
        age: get("client_tip_age_seconds"),
        active: get("client_active"),
        reserve: get("reserve"),
        supply: get("supply"),
        inFlight: get("in_flight"),
        pending: get("withdrawals_pending"),
        signing: get("releases", { status: "signing" }),
        frozen: get("frozen"),
        errors: samples.filter((x) => x.name === "pegzone_peg_metrics_errors_total").length,
      };
    };
    // the deposit's block and two confirmations relayed; nothing claimed yet
    expect(await peg()).toEqual({ tip: 3, age: 42, active: 1, reserve: 0, supply: 0, inFlight: 0, pending: 0, signing: 0, frozen: 0, errors: 0 });

    expect((await h.block([claim(h, s.valid)]))[0]).toMatchObject({ code: 0 });
    expect(await peg()).toMatchObject({ reserve: 600_000, supply: 599_000, pending: 0 });

    const key = createHash("sha256").update("metrics test destination").digest();
    const destination = btc.p2wpkh(publicKeyFromPrivate(key), REGTEST_NETWORK).address!;
    const withdraw = h.tx(h.accounts[0], "/pegzone.peg.v1.MsgRequestWithdrawal", v1.MsgRequestWithdrawal, { owner: h.accounts[0].address, mainchain: MAINCHAIN, amount: "300000", destination });
    expect((await h.block([withdraw]))[0]).toMatchObject({ code: 0 });
    expect(await peg()).toMatchObject({ pending: 1, signing: 0, inFlight: 0 });

    do await h.block([]);
    while (h.height % 5 !== 0);
    expect(await peg()).toMatchObject({ pending: 0, signing: 1, inFlight: 300_000, supply: 299_000, reserve: 600_000 });
  });
});
