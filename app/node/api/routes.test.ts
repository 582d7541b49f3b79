/**
 * The REST server over a real in-process app (the peg harness: btc-regtest, funded accounts) and a
 * stand-in CometBFT RPC: route → HTTP status → JSON, for answers, client errors and failures.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { pegzone } from "../../../proto";
import { closeHarnesses, MAINCHAIN, newHarness, type Harness } from "../../../test/support/peg-harness";
import { parsePrometheusText, sampleValue } from "../../../test/support/prometheus-text";
import { Tx } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { getTxHandler, getTxsEventHandler } from "../tx-service";
import { appQuery } from "./app-query";
import { AppGate } from "./gate";
import { NodeMetrics } from "./node-metrics";
import { registerPegMetrics } from "./peg-metrics";
import { apiRoutes } from "./routes";
import { nodeServices } from "./services";
import { versionInfo } from "../version";
import { ApiServer } from "./server";

const v1 = pegzone.peg.v1;
const logger = pino({ level: "silent" });
const REGTEST_GENESIS = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";
const UNKNOWN = "peg1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqcua04m";
const DUPLICATE = Buffer.from("a tx CometBFT has seen");
/** The one tx the stand-in's tx_search finds, and the parameters of its last search. */
const FOUND_TX = Buffer.from(Tx.encode(Tx.fromPartial({ body: { memo: "found by its events" } })).finish());
let lastSearch: Record<string, string> = {};

/** CometBFT's RPC as far as the routes use it: JSON-RPC posts, and the URI form the GetTx handler uses. */
function fakeComet(): Promise<{ url: string; server: Server }> {
  const results: Record<string, (params: Record<string, string>) => unknown> = {
    status: () => ({
      node_info: { protocol_version: { p2p: "8", block: "11", app: "0" }, id: "ab".repeat(20), listen_addr: "tcp://127.0.0.1:1", network: "pegzone-peg-unit", version: "0.38.26", channels: "40202122233038606100", moniker: "n", other: { tx_index: "on", rpc_address: "tcp://127.0.0.1:2" } },
      sync_info: { catching_up: false },
    }),
    block: (p) => {
      if (p.height === "999") throw { code: -32603, message: "Internal error", data: "height 999 must be less than or equal to the current blockchain height 5" };
      const id = { hash: "AA".repeat(32), parts: { total: 1, hash: "BB".repeat(32) } };
      const header = { version: { block: "11" }, chain_id: "pegzone-peg-unit", height: p.height ?? "5", time: "2026-01-01T00:00:00.5Z", last_block_id: id, last_commit_hash: "CC", data_hash: "", validators_hash: "DD", next_validators_hash: "DD", consensus_hash: "EE", app_hash: "FF", last_results_hash: "", evidence_hash: "", proposer_address: "01".repeat(20) };
      return { block_id: id, block: { header, data: { txs: [] }, evidence: { evidence: [] }, last_commit: { height: "4", round: 0, block_id: id, signatures: [{ block_id_flag: 2, validator_address: "01".repeat(20), timestamp: "2026-01-01T00:00:00Z", signature: "c2ln" }] } } };
    },
    validators: (p) => ({
      block_height: p.height ?? "5",
      validators: [{ address: "01".repeat(20), pub_key: { type: "tendermint/PubKeyEd25519", value: Buffer.alloc(32, 7).toString("base64") }, voting_power: "10", proposer_priority: "0" }],
      count: "1",
      total: "1",
    }),
    broadcast_tx_sync: (p) => {
      if (Buffer.from(p.tx, "base64").equals(DUPLICATE)) throw { code: -32603, message: "Internal error", data: "tx already exists in cache" };
      return { code: 0, data: "", log: "", codespace: "", hash: createHash("sha256").update(Buffer.from(p.tx, "base64")).digest("hex").toUpperCase() };
    },
    tx_search: (p) => {
      lastSearch = p;
      if (p.query.includes("bad")) throw { code: -32603, message: "Internal error", data: `failed to parse query: ${p.query}` };
      const hash = createHash("sha256").update(FOUND_TX).digest("hex").toUpperCase();
      const tx_result = { code: 0, codespace: "", data: "EgA=", log: "", info: "", gas_wanted: "200000", gas_used: "50000", events: [{ type: "message", attributes: [{ key: "sender", value: "peg1x", index: true }] }] };
      return { txs: [{ hash, height: "3", index: 0, tx_result, tx: FOUND_TX.toString("base64") }], total_count: "1" };
    },
    tx: (p) => {
      throw { code: -32603, message: "Internal error", data: `tx (${p.hash.replace(/^0x/, "")}) not found` };
    },
  };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const call = req.method === "POST" ? (JSON.parse(body) as { method: string; params: Record<string, string> }) : { method: url.pathname.slice(1), params: Object.fromEntries(url.searchParams) };
      let answer: object;
      try {
        answer = { jsonrpc: "2.0", id: 1, result: results[call.method](call.params) };
      } catch (error) {
        answer = { jsonrpc: "2.0", id: 1, error };
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(answer));
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

interface Answer {
  status: number;
  json: any;
  text: string;
  headers: Headers;
}

let h: Harness;
let api: ApiServer;
let comet: Server;
let metrics: NodeMetrics;

async function call(method: string, path: string, o: { body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(`${api.address}${path}`, { method, body: o.body, headers: o.headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

beforeAll(async () => {
  h = await newHarness();
  await h.block([]);
  await h.block([]);
  const fake = await fakeComet();
  comet = fake.server;
  h.app.queries.register("/cosmos.tx.v1beta1.Service/GetTx", getTxHandler(fake.url));
  h.app.queries.register("/cosmos.tx.v1beta1.Service/GetTxsEvent", getTxsEventHandler(fake.url));
  const gate = new AppGate();
  metrics = new NodeMetrics(h.app.lastHeight);
  registerPegMetrics(metrics.registry, appQuery(h.app, gate));
  const services = nodeServices({ app: h.app, gate, rpcUrl: fake.url, settings: { minimumGasPrices: "0upeg", pruningKeepRecent: 10 }, version: versionInfo() });
  const routes = apiRoutes({ services, metrics: metrics.registry });
  api = await ApiServer.listen({ address: "tcp://127.0.0.1:0", routes, logger });
});

afterAll(async () => {
  await api?.close();
  await new Promise((r) => comet?.close(r));
  await closeHarnesses();
});

const err = (code: number, message: string | RegExp) => ({ code, message: typeof message === "string" ? message : expect.stringMatching(message), details: [] });

describe("route → status → JSON", () => {
  const a0 = () => h.accounts[0].address;
  const cases: Array<[string, () => { method?: string; path: string; body?: string; headers?: Record<string, string> }, number, () => unknown]> = [
    ["an account's balances", () => ({ path: `/cosmos/bank/v1beta1/balances/${a0()}` }), 200, () => ({ balances: [{ denom: "upeg", amount: "100000000" }], pagination: { next_key: null, total: "1" } })],
    ["a paged request", () => ({ path: `/cosmos/bank/v1beta1/balances/${a0()}?pagination.limit=1&pagination.count_total=true` }), 200, () => ({ balances: [{ denom: "upeg", amount: "100000000" }], pagination: { next_key: null, total: "1" } })],
    ["a balance by denom", () => ({ path: `/cosmos/bank/v1beta1/balances/${a0()}/by_denom?denom=peg/btc-regtest` }), 200, () => ({ balance: { denom: "peg/btc-regtest", amount: "0" } })],
    ["an unknown account's balances", () => ({ path: `/cosmos/bank/v1beta1/balances/${UNKNOWN}` }), 200, () => ({ balances: [], pagination: { next_key: null, total: "0" } })],
    ["a malformed address", () => ({ path: "/cosmos/bank/v1beta1/balances/notanaddress" }), 400, () => err(3, /invalid address/)],
    ["an invalid denom", () => ({ path: `/cosmos/bank/v1beta1/balances/${a0()}/by_denom?denom=!` }), 400, () => err(3, /denom/)],
    ["the supply of one denom", () => ({ path: "/cosmos/bank/v1beta1/supply/by_denom?denom=upeg" }), 200, () => ({ amount: { denom: "upeg", amount: "700000000" } })],
    ["a pegged denom's metadata, slashes in the path", () => ({ path: "/cosmos/bank/v1beta1/denoms_metadata/peg/btc-regtest" }), 200, () => ({ metadata: expect.objectContaining({ base: "peg/btc-regtest", display: "peg/btc-regtest/btc" }) })],
    ["an unknown denom's metadata", () => ({ path: "/cosmos/bank/v1beta1/denoms_metadata/nothing" }), 404, () => err(5, /nothing/)],
    ["an account", () => ({ path: `/cosmos/auth/v1beta1/accounts/${a0()}` }), 200, () => ({ account: { "@type": "/cosmos.auth.v1beta1.BaseAccount", address: a0(), pub_key: null, account_number: "0", sequence: "0" } })],
    ["an unknown account", () => ({ path: `/cosmos/auth/v1beta1/accounts/${UNKNOWN}` }), 404, () => err(5, `account ${UNKNOWN} not found`)],
    ["a module account", () => ({ path: "/cosmos/auth/v1beta1/module_accounts/peg" }), 200, () => ({ account: expect.objectContaining({ "@type": "/cosmos.auth.v1beta1.ModuleAccount", name: "peg", permissions: ["minter", "burner"] }) })],
    ["the node's config", () => ({ path: "/cosmos/base/node/v1beta1/config" }), 200, () => ({ minimum_gas_price: "0upeg", pruning_keep_recent: "10", pruning_interval: "0", halt_height: "0" })],
    ["an unknown route", () => ({ path: "/cosmos/nothing/v1/here" }), 501, () => err(12, "Not Implemented")],
    ["a route served for another method", () => ({ method: "PUT", path: "/cosmos/bank/v1beta1/supply" }), 501, () => err(12, "Method Not Allowed")],
    ["simulate by GET", () => ({ path: "/cosmos/tx/v1beta1/simulate" }), 501, () => err(12, "Method Not Allowed")],
    // the peg
    ["a main chain's reserve", () => ({ path: `/pegzone/peg/v1/reserve/${MAINCHAIN}` }), 200, () => ({ total: "0", supply: "0", pending: "0", freeze: { frozen: false, reason: "", height: "0" }, entries: [] })],
    ["an unknown main chain", () => ({ path: "/pegzone/peg/v1/reserve/nope" }), 404, () => err(5, /unknown main chain/)],
    ["a light client", () => ({ path: `/pegzone/peg/v1/client_state/${MAINCHAIN}` }), 200, () => expect.objectContaining({ client_type: "bitcoin", tip_height: "0", tip_hash: REGTEST_GENESIS, status: "Active", details: expect.objectContaining({ network: "regtest" }) })],
    ["a stored header", () => ({ path: `/pegzone/peg/v1/header/${MAINCHAIN}?hash=${REGTEST_GENESIS}` }), 200, () => expect.objectContaining({ height: "0", hash: REGTEST_GENESIS, on_best_chain: true })],
    ["a deposit address", () => ({ path: `/pegzone/peg/v1/deposit_address/${MAINCHAIN}/${a0()}` }), 200, () => expect.objectContaining({ address: expect.stringMatching(/^bcrt1q/), federation_id: "1", memo: "" })],
    ["live releases", () => ({ path: `/pegzone/peg/v1/releases/${MAINCHAIN}?status=RELEASE_STATUS_SIGNING` }), 200, () => ({ releases: [], page: null })],
    ["releases of an unknown status", () => ({ path: `/pegzone/peg/v1/releases/${MAINCHAIN}?status=SIGNING` }), 400, () => err(3, /status/)],
    ["withdrawals by malformed ids", () => ({ path: `/pegzone/peg/v1/withdrawals/${MAINCHAIN}?ids=x` }), 400, () => err(3, /ids/)],
    ["withdrawals of an owner", () => ({ path: `/pegzone/peg/v1/withdrawals/${MAINCHAIN}?owner=${a0()}&page.limit=10` }), 200, () => ({ withdrawals: [], page: { next_key: null } })],
    ["a release by a malformed id", () => ({ path: `/pegzone/peg/v1/release/${MAINCHAIN}/abc` }), 400, () => err(3, /id/)],
    ["an unknown release", () => ({ path: `/pegzone/peg/v1/release/${MAINCHAIN}/5` }), 404, () => err(5, /no release 5/)],
    ["the federations", () => ({ path: `/pegzone/peg/v1/federations/${MAINCHAIN}` }), 200, () => expect.objectContaining({ current: expect.objectContaining({ id: "1", threshold: 2 }), retired: [] })],
    ["no federation proposal", () => ({ path: `/pegzone/peg/v1/federation_proposal/${MAINCHAIN}` }), 200, () => ({ proposal: null, approved_weight: 0, threshold: 2 })],
    // heights
    ["a query at a past height", () => ({ path: "/cosmos/bank/v1beta1/supply/by_denom?denom=upeg", headers: { "x-cosmos-block-height": "1" } }), 200, () => ({ amount: { denom: "upeg", amount: "700000000" } })],
    ["a query at a future height", () => ({ path: "/cosmos/bank/v1beta1/supply", headers: { "x-cosmos-block-height": "99" } }), 400, () => err(3, /future/)],
    ["a malformed height", () => ({ path: "/cosmos/bank/v1beta1/supply", headers: { "x-cosmos-block-height": "x" } }), 400, () => err(3, /x-cosmos-block-height/)],
    // CometBFT's
    ["node info", () => ({ path: "/cosmos/base/tendermint/v1beta1/node_info" }), 200, () => ({ default_node_info: expect.objectContaining({ network: "pegzone-peg-unit", channels: "QCAhIiMwOGBhAA==" }), application_version: expect.objectContaining({ name: "pegzone", app_name: "pegzone", go_version: expect.stringMatching(/^node v20/), build_deps: expect.arrayContaining([{ path: "@grpc/grpc-js", version: expect.stringMatching(/^1\./), sum: "" }]) }) })],
    ["syncing", () => ({ path: "/cosmos/base/tendermint/v1beta1/syncing" }), 200, () => ({ syncing: false })],
    ["the latest block", () => ({ path: "/cosmos/base/tendermint/v1beta1/blocks/latest" }), 200, () => expect.objectContaining({ sdk_block: expect.objectContaining({ header: expect.objectContaining({ height: "5", time: "2026-01-01T00:00:00.500Z", proposer_address: expect.stringMatching(/^pegvalcons1/) }) }) })],
    ["a block beyond the chain", () => ({ path: "/cosmos/base/tendermint/v1beta1/blocks/999" }), 400, () => err(3, /must be less than or equal/)],
    ["block 0", () => ({ path: "/cosmos/base/tendermint/v1beta1/blocks/0" }), 400, () => err(3, /greater than 0/)],
    ["the validator set", () => ({ path: "/cosmos/base/tendermint/v1beta1/validatorsets/latest" }), 200, () => ({ block_height: "5", validators: [expect.objectContaining({ address: expect.stringMatching(/^pegvalcons1/), pub_key: { "@type": "/cosmos.crypto.ed25519.PubKey", key: expect.any(String) } })], pagination: { next_key: null, total: "1" } })],
    ["an unknown tx", () => ({ path: `/cosmos/tx/v1beta1/txs/${"0".repeat(64)}` }), 404, () => err(5, /not found/)],
    ["a malformed tx hash", () => ({ path: "/cosmos/tx/v1beta1/txs/xyz" }), 400, () => err(3, /hex/)],
    [
      "txs by an event query",
      () => ({ path: `/cosmos/tx/v1beta1/txs?query=${encodeURIComponent("message.sender='peg1x'")}` }),
      200,
      () => ({
        txs: [expect.objectContaining({ body: expect.objectContaining({ memo: "found by its events" }) })],
        tx_responses: [expect.objectContaining({ height: "3", txhash: createHash("sha256").update(FOUND_TX).digest("hex").toUpperCase(), code: 0, data: "1200", gas_used: "50000", timestamp: "2026-01-01T00:00:00.5Z", tx: expect.objectContaining({ "@type": "/cosmos.tx.v1beta1.Tx" }) })],
        pagination: null,
        total: "1",
      }),
    ],
    ["txs with no query", () => ({ path: "/cosmos/tx/v1beta1/txs" }), 400, () => err(3, /query cannot be empty/)],
    ["txs by a query CometBFT cannot parse", () => ({ path: "/cosmos/tx/v1beta1/txs?query=bad" }), 400, () => err(3, /failed to parse query/)],
    ["txs: more than 100 a page", () => ({ path: "/cosmos/tx/v1beta1/txs?query=a.b%3D1&limit=101" }), 400, () => err(3, /at most 100/)],
    ["txs: an unknown order", () => ({ path: "/cosmos/tx/v1beta1/txs?query=a.b%3D1&order_by=UP" }), 400, () => err(3, /order_by/)],
    // bodies
    ["invalid JSON", () => ({ method: "POST", path: "/cosmos/tx/v1beta1/txs", body: '{"tx_bytes":' }), 400, () => err(3, /JSON/)],
    ["a body that is not an object", () => ({ method: "POST", path: "/cosmos/tx/v1beta1/txs", body: "[1]" }), 400, () => err(3, /object/)],
    ["no tx", () => ({ method: "POST", path: "/cosmos/tx/v1beta1/txs", body: "{}" }), 400, () => err(3, "invalid empty tx")],
    ["tx bytes that are not base64", () => ({ method: "POST", path: "/cosmos/tx/v1beta1/txs", body: '{"tx_bytes":"!!"}' }), 400, () => err(3, /base64/)],
    ["tx bytes that are not a string", () => ({ method: "POST", path: "/cosmos/tx/v1beta1/txs", body: '{"tx_bytes":5}' }), 400, () => err(3, /base64 string/)],
    ["the deprecated block mode", () => ({ method: "POST", path: "/cosmos/tx/v1beta1/txs", body: '{"tx_bytes":"AAAA","mode":"BROADCAST_MODE_BLOCK"}' }), 400, () => err(3, /BROADCAST_MODE_BLOCK/)],
    ["a body over 1,000,000 bytes", () => ({ method: "POST", path: "/cosmos/tx/v1beta1/simulate", body: `{"tx_bytes":"${"A".repeat(1_000_000)}"}` }), 400, () => err(3, "http: request body too large")],
    ["simulating bytes that are not a tx", () => ({ method: "POST", path: "/cosmos/tx/v1beta1/simulate", body: '{"tx_bytes":"AAAA"}' }), 500, () => err(2, /tx parse error/)],
    ["simulating nothing", () => ({ method: "POST", path: "/cosmos/tx/v1beta1/simulate", body: "{}" }), 400, () => err(3, "empty txBytes is not allowed")],
    [
      "broadcasting (sync)",
      () => ({ method: "POST", path: "/cosmos/tx/v1beta1/txs", body: JSON.stringify({ tx_bytes: "AAAA", mode: "BROADCAST_MODE_SYNC" }) }),
      200,
      () => ({ tx_response: { height: "0", txhash: createHash("sha256").update(Buffer.from("AAAA", "base64")).digest("hex").toUpperCase(), codespace: "", code: 0, data: "", raw_log: "", logs: [], info: "", gas_wanted: "0", gas_used: "0", tx: null, timestamp: "", events: [] } }),
    ],
    [
      "broadcasting a tx CometBFT has in its cache",
      () => ({ method: "POST", path: "/cosmos/tx/v1beta1/txs", body: JSON.stringify({ txBytes: DUPLICATE.toString("base64"), mode: 2 }) }),
      200,
      () => ({ tx_response: expect.objectContaining({ txhash: createHash("sha256").update(DUPLICATE).digest("hex").toUpperCase(), codespace: "sdk", code: 19, raw_log: "" }) }),
    ],
  ];

  test.each(cases)("%s", async (_, request, status, json) => {
    const r = request();
    const res = await call(r.method ?? "GET", r.path, r);
    expect({ status: res.status, json: res.json }).toEqual({ status, json: json() });
    expect(res.headers.get("content-type")).toBe("application/json");
  });

  test("simulating a signed tx answers its gas and result", async () => {
    const a = h.accounts[1];
    const tx = h.tx(a, "/pegzone.peg.v1.MsgRegisterDepositAddress", v1.MsgRegisterDepositAddress, { sender: a.address, mainchain: MAINCHAIN });
    a.sequence--; // only simulated
    const res = await call("POST", "/cosmos/tx/v1beta1/simulate", { body: JSON.stringify({ tx_bytes: Buffer.from(tx).toString("base64") }) });
    expect(res.status).toBe(200);
    expect(Number(res.json.gas_info.gas_used)).toBeGreaterThan(0);
    expect(res.json.result.events.map((e: { type: string }) => e.type)).toContain("register_deposit_address");
  });

  test("txs by events: query or the older events, page, limit and order reach CometBFT's tx_search", async () => {
    const search = async (params: string) => {
      expect((await call("GET", `/cosmos/tx/v1beta1/txs?${params}`)).status).toBe(200);
      return lastSearch;
    };
    expect(await search(`query=${encodeURIComponent("message.sender='peg1x'")}`)).toEqual({ query: "message.sender='peg1x'", page: "1", per_page: "100", order_by: "asc" });
    expect(await search(`events=${encodeURIComponent("message.sender='peg1x'")}&events=tx.height%3D3&page=2&limit=5&order_by=ORDER_BY_DESC`)).toEqual({ query: "message.sender='peg1x' AND tx.height=3", page: "2", per_page: "5", order_by: "desc" });
  });

  test("account and supply lists page over REST: next_key (base64) leads through every entry", async () => {
    for (const [path, field] of [["/cosmos/auth/v1beta1/accounts", "accounts"], ["/cosmos/bank/v1beta1/supply", "supply"]] as const) {
      const all = (await call("GET", path)).json;
      expect(all.pagination).toEqual({ next_key: null, total: String(all[field].length) });
      expect(all[field].length).toBeGreaterThan(field === "accounts" ? 1 : 0);
      const seen: unknown[] = [];
      let key: string | null = "";
      while (key !== null) {
        const res: Answer = await call("GET", `${path}?pagination.limit=1&pagination.key=${encodeURIComponent(key)}`);
        expect(res.status).toBe(200);
        expect(res.json[field]).toHaveLength(1);
        seen.push(...res.json[field]);
        key = res.json.pagination.next_key;
      }
      expect(seen).toEqual(all[field]);
      const last = (await call("GET", `${path}?pagination.limit=1&pagination.reverse=true`)).json;
      expect(last[field]).toEqual([all[field][all[field].length - 1]]);
    }
    expect((await call("GET", `/cosmos/bank/v1beta1/supply?pagination.key=AA%3D%3D&pagination.offset=1`)).json).toEqual(err(3, /either offset or key/));
  });

  test("answers say the height they were read at", async () => {
    const res = await call("GET", "/cosmos/bank/v1beta1/supply");
    expect(res.headers.get("x-cosmos-block-height")).toBe(String(h.app.lastHeight));
  });
});

describe("the server itself", () => {
  test("/swagger/openapi.json describes every route, /swagger/ lists them", async () => {
    const doc = (await call("GET", "/swagger/openapi.json")).json;
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ["/cosmos/bank/v1beta1/balances/{address}", "/cosmos/bank/v1beta1/denoms_metadata/{denom}", "/cosmos/tx/v1beta1/txs", "/pegzone/peg/v1/releases/{mainchain}", "/metrics"]) expect(Object.keys(doc.paths)).toContain(path);
    expect(doc.paths["/cosmos/tx/v1beta1/txs"].post.requestBody.content["application/json"].schema.properties).toHaveProperty("tx_bytes");
    expect(doc.paths["/cosmos/bank/v1beta1/balances/{address}"].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["address", "pagination.limit"]));
    const page = await call("GET", "/swagger/");
    expect(page.status).toBe(200);
    expect(page.text).toContain("/pegzone/peg/v1/mainchains");
  });

  test("/metrics is Prometheus text with the peg's gauges", async () => {
    const res = await call("GET", "/metrics");
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, invalid } = parsePrometheusText(res.text);
    expect(invalid).toEqual([]);
    expect(sampleValue(samples, "pegzone_peg_client_tip_height", { mainchain: MAINCHAIN, client_type: "bitcoin" })).toBe(0);
    expect(sampleValue(samples, "pegzone_peg_frozen", { mainchain: MAINCHAIN })).toBe(0);
    expect(sampleValue(samples, "pegzone_block_height")).toBe(h.app.lastHeight);
  });

  test("a handler's bug is a 500 with the error shape; the server keeps serving", async () => {
    const boom = await ApiServer.listen({
      address: "tcp://127.0.0.1:0",
      logger,
      routes: [{ method: "GET", path: "/boom", summary: "", handle: async () => { throw new TypeError("bug"); } }],
    });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${boom.address}/boom`);
        expect({ status: res.status, json: await res.json() }).toEqual({ status: 500, json: err(13, "bug") });
      }
    } finally {
      await boom.close();
    }
  });

  test("CometBFT unreachable: 503 (Unavailable)", async () => {
    const closed = createServer();
    const port = await new Promise<number>((r) => closed.listen(0, "127.0.0.1", () => r((closed.address() as AddressInfo).port)));
    await new Promise((r) => closed.close(r));
    const gate = new AppGate();
    const down = await ApiServer.listen({
      address: "tcp://127.0.0.1:0",
      logger,
      routes: apiRoutes({
        services: nodeServices({ app: h.app, gate, rpcUrl: `http://127.0.0.1:${port}`, settings: { minimumGasPrices: "0upeg", pruningKeepRecent: 0 }, version: versionInfo() }),
        metrics: new NodeMetrics(0).registry,
      }),
    });
    try {
      const res = await fetch(`${down.address}/cosmos/base/tendermint/v1beta1/syncing`);
      expect({ status: res.status, json: await res.json() }).toEqual({ status: 503, json: err(14, /cannot reach CometBFT/) });
    } finally {
      await down.close();
    }
  });

  test("an api.address that is not tcp://host:port is refused", async () => {
    await expect(ApiServer.listen({ address: "127.0.0.1:1317", logger, routes: [] })).rejects.toThrow(/tcp:\/\/host:port/);
  });
});
