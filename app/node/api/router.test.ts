/** Route matching and query parameters as grpc-gateway reads them. */
import { ApiError } from "./errors";
import { base64Field, matchRoute, QueryParams, type Route } from "./router";

const route = (method: "GET" | "POST", path: string): Route => ({ method, path, summary: path, handle: async () => ({ body: path }) });
const routes = [
  route("GET", "/cosmos/base/tendermint/v1beta1/blocks/{height}"),
  route("GET", "/cosmos/base/tendermint/v1beta1/blocks/latest"),
  route("GET", "/cosmos/bank/v1beta1/balances/{address}"),
  route("GET", "/cosmos/bank/v1beta1/balances/{address}/by_denom"),
  route("GET", "/cosmos/bank/v1beta1/denoms_metadata/{denom=**}"),
  route("POST", "/cosmos/tx/v1beta1/txs"),
  route("GET", "/cosmos/tx/v1beta1/txs/{hash}"),
];

describe("matching a path", () => {
  test.each([
    ["GET", "/cosmos/base/tendermint/v1beta1/blocks/latest", "/cosmos/base/tendermint/v1beta1/blocks/latest", {}],
    ["GET", "/cosmos/base/tendermint/v1beta1/blocks/12", "/cosmos/base/tendermint/v1beta1/blocks/{height}", { height: "12" }],
    ["GET", "/cosmos/bank/v1beta1/balances/peg1xyz", "/cosmos/bank/v1beta1/balances/{address}", { address: "peg1xyz" }],
    ["GET", "/cosmos/bank/v1beta1/balances/peg1xyz/by_denom", "/cosmos/bank/v1beta1/balances/{address}/by_denom", { address: "peg1xyz" }],
    ["GET", "/cosmos/bank/v1beta1/denoms_metadata/peg/btc-regtest", "/cosmos/bank/v1beta1/denoms_metadata/{denom=**}", { denom: "peg/btc-regtest" }],
    ["GET", "/cosmos/bank/v1beta1/denoms_metadata/peg%2Fbtc-regtest", "/cosmos/bank/v1beta1/denoms_metadata/{denom=**}", { denom: "peg/btc-regtest" }],
    ["POST", "/cosmos/tx/v1beta1/txs", "/cosmos/tx/v1beta1/txs", {}],
    ["HEAD", "/cosmos/tx/v1beta1/txs/AB", "/cosmos/tx/v1beta1/txs/{hash}", { hash: "AB" }],
  ])("%s %s → %s", (method, path, template, params) => {
    const m = matchRoute(routes, method, path);
    expect("route" in m && { path: m.route.path, params: m.params }).toEqual({ path: template, params });
  });

  test.each([
    ["GET", "/cosmos/nothing/v1/here", "Not Implemented"],
    ["GET", "/cosmos/bank/v1beta1/balances", "Not Implemented"],
    ["GET", "/cosmos/bank/v1beta1/balances/a/b/c", "Not Implemented"],
    ["GET", "/cosmos/bank/v1beta1/balances//by_denom", "Not Implemented"],
    ["GET", "/cosmos/bank/v1beta1/denoms_metadata/", "Not Implemented"],
    ["GET", "/cosmos/tx/v1beta1/txs", "Method Not Allowed"],
    ["DELETE", "/cosmos/bank/v1beta1/balances/peg1xyz", "Method Not Allowed"],
  ])("%s %s: 501, %s (code 12)", (method, path, message) => {
    const m = matchRoute(routes, method, path);
    expect("error" in m && { status: m.error.httpStatus, body: m.error.body }).toEqual({ status: 501, body: { code: 12, message, details: [] } });
  });

  test("a malformed percent-encoding is the client's error", () => {
    expect(() => matchRoute(routes, "GET", "/cosmos/bank/v1beta1/balances/%E0%A4%A")).toThrow(ApiError);
  });
});

describe("query parameters", () => {
  const q = (s: string) => new QueryParams(new URLSearchParams(s));

  test("values by type, absent ones as the field's default", () => {
    const p = q("pagination.limit=5&pagination.count_total=true&pagination.reverse=0&pagination.key=AAE%3D&denoms=a&denoms=b&status=RELEASE_STATUS_SIGNED");
    expect(p.uint64("pagination.limit")).toBe(5n);
    expect(p.uint64("pagination.offset")).toBe(0n);
    expect(p.bool("pagination.count_total")).toBe(true);
    expect(p.bool("pagination.reverse")).toBe(false);
    expect(p.bool("absent")).toBe(false);
    expect([...p.bytes("pagination.key")]).toEqual([0, 1]);
    expect(p.strings("denoms")).toEqual(["a", "b"]);
    expect(p.enumValue("status", { RELEASE_STATUS_UNSPECIFIED: 0, RELEASE_STATUS_SIGNED: 2 })).toBe(2);
    expect(q("status=2").enumValue("status", { RELEASE_STATUS_UNSPECIFIED: 0, RELEASE_STATUS_SIGNED: 2 })).toBe(2);
    expect(q("ids=1&ids=20").uints("ids")).toEqual([1, 20]);
  });

  test.each([
    ["pagination.limit=-1", (p: QueryParams) => p.uint64("pagination.limit")],
    ["pagination.limit=1e3", (p: QueryParams) => p.uint64("pagination.limit")],
    ["pagination.limit=18446744073709551616", (p: QueryParams) => p.uint64("pagination.limit")],
    ["page.limit=4294967296", (p: QueryParams) => p.uint("page.limit")],
    ["pagination.count_total=yes", (p: QueryParams) => p.bool("pagination.count_total")],
    ["pagination.key=!!", (p: QueryParams) => p.bytes("pagination.key")],
    ["status=SIGNED", (p: QueryParams) => p.enumValue("status", { RELEASE_STATUS_SIGNED: 2 })],
    ["ids=1&ids=x", (p: QueryParams) => p.uints("ids")],
  ])("%s is InvalidArgument (400, code 3)", (search, read) => {
    let caught: unknown;
    try {
      read(q(search));
    } catch (e) {
      caught = e;
    }
    expect(caught instanceof ApiError && { status: caught.httpStatus, code: caught.body.code }).toEqual({ status: 400, code: 3 });
  });

  test("bytes: standard or URL-safe base64, padded or not", () => {
    for (const text of ["+/8=", "-_8=", "+/8", "-_8"]) expect([...base64Field("b", text)]).toEqual([0xfb, 0xff]);
    expect(() => base64Field("b", "A")).toThrow(ApiError);
  });
});
