/**
 * The bank and auth list queries page as the SDK's PageRequest: by key (a previous next_key, the
 * SDK's collection key) or by offset, `limit` (100 when 0, which implies count_total), `reverse`,
 * `count_total`; a key of another account, or a key with an offset, is sdk/18.
 */
import * as authQ from "cosmjs-types/cosmos/auth/v1beta1/query";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import * as q from "cosmjs-types/cosmos/bank/v1beta1/query";
import type { PageRequest } from "cosmjs-types/cosmos/base/query/v1beta1/pagination";
import { createHash } from "node:crypto";
import pino from "pino";
import type { Context } from "../../chain/app/context";
import { EventManager } from "../../chain/app/events";
import { InfiniteGasMeter } from "../../chain/app/gas";
import type { QueryHandler } from "../../chain/app/module";
import { ADDRESS_PREFIX, toBech32 } from "../../chain/crypto/address";
import type { KVStore } from "../../chain/store/types";
import { SdkError } from "../../chain/tx/errors";
import { memoryStore } from "../../test/support/store";
import { AuthModule } from "../auth/module";
import { BankModule } from "./module";

const logger = pino({ level: "silent" });
const user = (i: number) => createHash("sha256").update(`bank queries test user ${i}`).digest().subarray(0, 20);
const bech32 = (address: Uint8Array) => toBech32(ADDRESS_PREFIX, address);
const DENOMS = ["aaa", "bbb", "ccc", "ddd", "eee"];
const HOLDER = user(1);
/** The SDK's key of one balance in the (address, denom) collection: len(addr) | addr | denom. */
const balanceKey = (address: Uint8Array, denom: string) => Buffer.concat([Uint8Array.of(address.length), address, Buffer.from(denom)]);
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString("hex");

async function setup() {
  const stores = new Map<string, KVStore>();
  const store = (name: string) => {
    let s = stores.get(name);
    if (!s) stores.set(name, (s = memoryStore()));
    return s;
  };
  const at = (mode: Context["mode"]): Context => ({ mode, header: { chainId: "bank-unit", height: 1n, time: { seconds: 0n, nanos: 0 } }, store: { store }, gasMeter: new InfiniteGasMeter(), events: new EventManager(), logger });
  const genesis = at("genesis");
  const auth = new AuthModule([]);
  const bank = new BankModule(auth.keeper, () => false);
  await auth.initGenesis(genesis, {});
  // user(0) and user(2) sort around the holder or not: either way their balances are other ranges
  await bank.initGenesis(genesis, {
    balances: [
      { address: bech32(user(0)), coins: [{ denom: "aaa", amount: "7" }, { denom: "zzz", amount: "7" }] },
      { address: bech32(HOLDER), coins: DENOMS.map((denom, i) => ({ denom, amount: String(i + 1) })) },
      { address: bech32(user(2)), coins: [{ denom: "bbb", amount: "9" }] },
    ],
    denom_metadata: ["m1", "m2", "m3"].map((base) => ({ description: "", denom_units: [{ denom: base, exponent: 0, aliases: [] }], base, display: base, name: base, symbol: base, uri: "", uri_hash: "" })),
  });
  for (const i of [0, 1, 2, 3]) await auth.keeper.createAccount(genesis, user(i));
  const handlers = new Map<string, QueryHandler>();
  const registrar = { msg: () => undefined, query: (path: string, h: QueryHandler) => handlers.set(path, h) };
  auth.registerServices(registrar);
  bank.registerServices(registrar);
  const query = (path: string, bytes: Uint8Array) => handlers.get(path)!(at("query"), bytes);
  return { query };
}

const page = (p: Partial<PageRequest>): PageRequest => ({ key: new Uint8Array(), offset: 0n, limit: 0n, countTotal: false, reverse: false, ...p });

describe("bank and auth list queries: the SDK's pagination", () => {
  let query: Awaited<ReturnType<typeof setup>>["query"];
  beforeAll(async () => {
    ({ query } = await setup());
  });
  const balances = async (pagination?: PageRequest) => {
    const res = q.QueryAllBalancesResponse.decode(await query("/cosmos.bank.v1beta1.Query/AllBalances", q.QueryAllBalancesRequest.encode({ address: bech32(HOLDER), pagination, resolveDenom: false }).finish()));
    return { denoms: res.balances.map((c) => c.denom), next: hex(res.pagination?.nextKey), total: res.pagination?.total };
  };
  const next = (denom: string) => hex(balanceKey(HOLDER, denom));

  const cases: Array<[string, PageRequest | undefined, { denoms: string[]; next: string; total: bigint }]> = [
    ["no pagination: everything, with the total", undefined, { denoms: DENOMS, next: "", total: 5n }],
    ["limit 0: 100 and the total", page({}), { denoms: DENOMS, next: "", total: 5n }],
    ["limit 2: the first two, the key of the third, no total", page({ limit: 2n }), { denoms: ["aaa", "bbb"], next: next("ccc"), total: 0n }],
    ["limit 2 with count_total", page({ limit: 2n, countTotal: true }), { denoms: ["aaa", "bbb"], next: next("ccc"), total: 5n }],
    ["limit 5 exactly: no next key", page({ limit: 5n, countTotal: true }), { denoms: DENOMS, next: "", total: 5n }],
    ["offset 2 limit 2", page({ offset: 2n, limit: 2n }), { denoms: ["ccc", "ddd"], next: next("eee"), total: 0n }],
    ["offset 4 limit 2: the last page", page({ offset: 4n, limit: 2n, countTotal: true }), { denoms: ["eee"], next: "", total: 5n }],
    ["offset past the end", page({ offset: 10n }), { denoms: [], next: "", total: 5n }],
    ["reverse limit 2", page({ limit: 2n, reverse: true }), { denoms: ["eee", "ddd"], next: next("ccc"), total: 0n }],
    ["reverse offset 1 limit 3 count_total", page({ offset: 1n, limit: 3n, reverse: true, countTotal: true }), { denoms: ["ddd", "ccc", "bbb"], next: next("aaa"), total: 5n }],
    ["key: from that entry on, no total", page({ key: balanceKey(HOLDER, "ccc"), limit: 2n, countTotal: true }), { denoms: ["ccc", "ddd"], next: next("eee"), total: 0n }],
    ["key between entries", page({ key: balanceKey(HOLDER, "bb"), limit: 1n }), { denoms: ["bbb"], next: next("ccc"), total: 0n }],
    ["key reverse: from that entry down", page({ key: balanceKey(HOLDER, "ccc"), limit: 2n, reverse: true }), { denoms: ["ccc", "bbb"], next: next("aaa"), total: 0n }],
    ["the account prefix alone as key: from the start", page({ key: balanceKey(HOLDER, ""), limit: 10n }), { denoms: DENOMS, next: "", total: 0n }],
  ];
  test.each(cases)("AllBalances: %s", async (_name, pagination, expected) => {
    expect(await balances(pagination)).toEqual(expected);
  });

  test.each([false, true])("AllBalances: following next_key through every entry (reverse %s), for each limit", async (reverse) => {
    for (const limit of [1n, 2n, 3n, 5n, 6n]) {
      const seen: string[] = [];
      let key: Uint8Array = new Uint8Array();
      for (let pages = 0; pages < 10; pages++) {
        const res = q.QueryAllBalancesResponse.decode(await query("/cosmos.bank.v1beta1.Query/AllBalances", q.QueryAllBalancesRequest.encode({ address: bech32(HOLDER), pagination: page({ key, limit, reverse }), resolveDenom: false }).finish()));
        expect(res.balances.length).toBeLessThanOrEqual(Number(limit));
        seen.push(...res.balances.map((c) => c.denom));
        key = res.pagination!.nextKey;
        if (key.length === 0) break;
      }
      expect({ limit, seen }).toEqual({ limit, seen: reverse ? [...DENOMS].reverse() : DENOMS });
    }
  });

  const refused: Array<[string, PageRequest]> = [
    ["a key of another account", page({ key: balanceKey(user(2), "bbb"), limit: 1n })],
    ["a key that is no balance key", page({ key: Uint8Array.of(0xff), limit: 1n })],
    ["a key and an offset", page({ key: balanceKey(HOLDER, "bbb"), offset: 1n })],
  ];
  test.each(refused)("AllBalances: %s is invalid request (sdk/18)", async (_name, pagination) => {
    const error = await balances(pagination).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SdkError);
    expect([(error as SdkError).codespace, (error as SdkError).code]).toEqual(["sdk", 18]);
  });

  test("SpendableBalances pages as AllBalances", async () => {
    const res = q.QuerySpendableBalancesResponse.decode(await query("/cosmos.bank.v1beta1.Query/SpendableBalances", q.QuerySpendableBalancesRequest.encode({ address: bech32(HOLDER), pagination: page({ offset: 1n, limit: 2n, countTotal: true }) }).finish()));
    expect(res.balances.map((c) => c.denom)).toEqual(["bbb", "ccc"]);
    expect(res.pagination).toEqual({ nextKey: balanceKey(HOLDER, "ddd"), total: 5n });
  });

  test("TotalSupply pages by denom; next_key is the denom", async () => {
    const supply = async (p?: PageRequest) => q.QueryTotalSupplyResponse.decode(await query("/cosmos.bank.v1beta1.Query/TotalSupply", q.QueryTotalSupplyRequest.encode({ pagination: p }).finish()));
    const all = await supply();
    expect(all.supply.map((c) => `${c.amount}${c.denom}`)).toEqual(["8aaa", "11bbb", "3ccc", "4ddd", "5eee", "7zzz"]);
    expect(all.pagination).toEqual({ nextKey: new Uint8Array(), total: 6n });
    const first = await supply(page({ limit: 4n }));
    expect(first.supply.map((c) => c.denom)).toEqual(["aaa", "bbb", "ccc", "ddd"]);
    expect(Buffer.from(first.pagination!.nextKey).toString()).toBe("eee");
    const rest = await supply(page({ key: first.pagination!.nextKey, limit: 4n }));
    expect(rest.supply.map((c) => c.denom)).toEqual(["eee", "zzz"]);
    expect(rest.pagination!.nextKey).toHaveLength(0);
    expect((await supply(page({ limit: 2n, reverse: true }))).supply.map((c) => c.denom)).toEqual(["zzz", "eee"]);
  });

  test("DenomsMetadata pages by base denom", async () => {
    const metadata = async (p?: PageRequest) => q.QueryDenomsMetadataResponse.decode(await query("/cosmos.bank.v1beta1.Query/DenomsMetadata", q.QueryDenomsMetadataRequest.encode({ pagination: p }).finish()));
    expect((await metadata()).metadatas.map((m) => m.base)).toEqual(["m1", "m2", "m3"]);
    const first = await metadata(page({ limit: 2n, countTotal: true }));
    expect(first.metadatas.map((m) => m.base)).toEqual(["m1", "m2"]);
    expect(first.pagination).toEqual({ nextKey: Buffer.from("m3"), total: 3n });
    expect((await metadata(page({ key: first.pagination!.nextKey }))).metadatas.map((m) => m.base)).toEqual(["m3"]);
  });

  test("auth Accounts pages in address order; next_key is the address", async () => {
    const accounts = async (p?: PageRequest) => authQ.QueryAccountsResponse.decode(await query("/cosmos.auth.v1beta1.Query/Accounts", authQ.QueryAccountsRequest.encode({ pagination: p }).finish()));
    const address = (a: { value: Uint8Array }) => BaseAccount.decode(a.value).address;
    const sorted = [0, 1, 2, 3].map((i) => Buffer.from(user(i))).sort(Buffer.compare).map((a) => bech32(a));
    const all = await accounts();
    expect(all.accounts.map(address)).toEqual(sorted);
    expect(all.pagination!.total).toBe(4n);
    const seen: string[] = [];
    let key: Uint8Array = new Uint8Array();
    do {
      const res = await accounts(page({ key, limit: 3n }));
      seen.push(...res.accounts.map(address));
      key = res.pagination!.nextKey;
      if (key.length > 0) expect(bech32(key)).toBe(sorted[seen.length]);
    } while (key.length > 0);
    expect(seen).toEqual(sorted);
    expect((await accounts(page({ offset: 3n, limit: 1n, countTotal: true }))).pagination).toEqual({ nextKey: new Uint8Array(), total: 4n });
  });
});
