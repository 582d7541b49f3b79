/**
 * The bank keeper as x/bank's: coins are minted and burned only in module accounts whose stored
 * permissions allow it (sdk/4 otherwise, sdk/9 for a module the app does not configure), raw
 * balance changes are not reachable, and the peg's view of the bank cannot burn or move anyone
 * else's coins.
 */
import { QueryModuleAccountByNameRequest, QueryModuleAccountByNameResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { ModuleAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { Context } from "../../chain/app/context";
import { EventManager } from "../../chain/app/events";
import { InfiniteGasMeter } from "../../chain/app/gas";
import { openPegzoneApp, pegBankKeeper } from "../../app/pegzone";
import { ADDRESS_PREFIX, toBech32 } from "../../chain/crypto/address";
import { memoryStore } from "../../test/support/store";
import type { KVStore } from "../../chain/store/types";
import { SdkError } from "../../chain/tx/errors";
import { moduleAddress } from "../auth/keeper";
import { BURNER, MINTER } from "../auth/types";
import { AuthModule } from "../auth/module";
import type { Coin } from "../../chain/types/coins";
import { BankKeeper } from "./keeper";
import { BankModule } from "./module";

const logger = pino({ level: "silent" });
const DENOM = "peg/btc-regtest";
const coins = (amount: bigint): Coin[] => [{ denom: DENOM, amount }];
const user = (i: number) => createHash("sha256").update(`bank keeper test user ${i}`).digest().subarray(0, 20);
const bech32 = (address: Uint8Array) => toBech32(ADDRESS_PREFIX, address);

/** Contexts over the same fresh in-memory stores, by mode. */
function memoryContexts(): (mode: Context["mode"]) => Context {
  const stores = new Map<string, KVStore>();
  const store = (name: string) => {
    let s = stores.get(name);
    if (!s) stores.set(name, (s = memoryStore()));
    return s;
  };
  return (mode) => ({ mode, header: { chainId: "bank-unit", height: 1n, time: { seconds: 0n, nanos: 0 } }, store: { store }, gasMeter: new InfiniteGasMeter(), events: new EventManager(), logger });
}

/** auth + bank with three module accounts: one may mint, one may burn, one may do neither; each and a user hold 1,000. */
async function bankWithModules() {
  const contexts = memoryContexts();
  const genesis = contexts("genesis");
  const specs = [
    { name: "minting", permissions: [MINTER] },
    { name: "burning", permissions: [BURNER] },
    { name: "plain", permissions: [] },
  ];
  const auth = new AuthModule(specs);
  const modules = new Set(specs.map((s) => Buffer.from(moduleAddress(s.name)).toString("hex")));
  const bank = new BankModule(auth.keeper, (address) => modules.has(Buffer.from(address).toString("hex")));
  await auth.initGenesis(genesis, {});
  const holders = [...specs.map((s) => moduleAddress(s.name)), user(0)];
  await bank.initGenesis(genesis, { balances: holders.map((a) => ({ address: bech32(a), coins: [{ denom: DENOM, amount: "1000" }] })) });
  const ctx = contexts("finalize");
  const state = async () => JSON.stringify({ supply: String(await bank.keeper.supplyOf(ctx, DENOM)), balances: await Promise.all(holders.map(async (a) => String(await bank.keeper.getBalance(ctx, a, DENOM)))) });
  return { ctx, keeper: bank.keeper, state };
}

async function codeOf(p: Promise<unknown>): Promise<[string, number] | "ok"> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof SdkError ? [e.codespace, e.code] : ["not an SdkError", 0];
  }
}

describe("bank keeper: mint and burn by module name", () => {
  it("refuses to mint without the minter permission and to burn without the burner permission, changing nothing", async () => {
    const { ctx, keeper, state } = await bankWithModules();
    const before = await state();
    const refused: Array<[string, () => Promise<unknown>, [string, number]]> = [
      ["mint by a module without permissions", () => keeper.mintCoins(ctx, "plain", coins(5n)), ["sdk", 4]],
      ["mint by a burner", () => keeper.mintCoins(ctx, "burning", coins(5n)), ["sdk", 4]],
      ["burn by a module without permissions", () => keeper.burnCoins(ctx, "plain", coins(5n)), ["sdk", 4]],
      ["burn by a minter", () => keeper.burnCoins(ctx, "minting", coins(5n)), ["sdk", 4]],
      ["mint by a module the app does not configure", () => keeper.mintCoins(ctx, "nobody", coins(5n)), ["sdk", 9]],
      ["burn by a module the app does not configure", () => keeper.burnCoins(ctx, "nobody", coins(5n)), ["sdk", 9]],
      ["a module paying a blocked (module) address", () => keeper.sendCoinsFromModuleToAccount(ctx, "plain", moduleAddress("minting"), coins(5n)), ["sdk", 4]],
    ];
    for (const [name, call, expected] of refused) {
      expect({ name, got: await codeOf(call()) }).toEqual({ name, got: expected });
      expect(await state()).toBe(before);
    }

    await keeper.mintCoins(ctx, "minting", coins(7n));
    await keeper.burnCoins(ctx, "burning", coins(3n));
    expect(await keeper.supplyOf(ctx, DENOM)).toBe(4000n + 7n - 3n);
    expect(await keeper.getBalance(ctx, moduleAddress("minting"), DENOM)).toBe(1007n);
    expect(await keeper.getBalance(ctx, moduleAddress("burning"), DENOM)).toBe(997n);
    expect(await keeper.getBalance(ctx, user(0), DENOM)).toBe(1000n);
  });

  it("offers no way to mint to, burn from or change the balance of an arbitrary address", async () => {
    const { prototype } = BankKeeper;
    for (const raw of ["mint", "burn", "addCoins", "subtractCoins", "setBalance", "setSupply"]) {
      expect({ raw, reachable: raw in prototype }).toEqual({ raw, reachable: false });
    }
    // Genesis balances are written only in genesis.
    const { ctx, keeper, state } = await bankWithModules();
    const before = await state();
    await expect(keeper.initBalance(ctx, user(0), coins(5n))).rejects.toThrow(/outside genesis/);
    expect(await state()).toBe(before);
  });

  it("the peg's view of the bank burns and moves coins only in its own module account", async () => {
    const { ctx, keeper, state } = await bankWithModules();
    const peg = pegBankKeeper(keeper, "minting");
    const before = await state();
    const refused: Array<[string, () => Promise<unknown>]> = [
      ["burn from a user", () => peg.burn(ctx, user(0), coins(1n))],
      ["burn from another module account", () => peg.burn(ctx, moduleAddress("burning"), coins(1n))],
      ["send between two other accounts", () => peg.send(ctx, user(0), user(1), coins(1n))],
      // "minting" may mint but not burn: the permission is checked for the peg too
      ["burn without the burner permission", () => peg.burn(ctx, moduleAddress("minting"), coins(1n))],
    ];
    for (const [name, call] of refused) {
      expect({ name, got: await codeOf(call()) }).toEqual({ name, got: ["sdk", 4] });
      expect(await state()).toBe(before);
    }
    await peg.mint(ctx, user(1), coins(9n));
    await peg.send(ctx, user(1), moduleAddress("minting"), coins(4n));
    await peg.send(ctx, moduleAddress("minting"), user(0), coins(2n));
    expect([await keeper.getBalance(ctx, user(1), DENOM), await keeper.getBalance(ctx, user(0), DENOM), await keeper.getBalance(ctx, moduleAddress("minting"), DENOM)]).toEqual([5n, 1002n, 1002n]);
    expect(await keeper.supplyOf(ctx, DENOM)).toBe(4009n);
  });

  it("pegzone's module accounts: the peg may mint and burn, the fee collector neither", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pegzone-bank-"));
    const app = await openPegzoneApp({ dbDir: dir, chainId: "bank-unit", minimumGasPrices: "0upeg", pruningKeepRecent: 10, minRetainBlocks: 0, logger });
    try {
      await app.initChain({ time: { seconds: 1n, nanos: 0 }, chainId: "bank-unit", consensusParams: undefined, validators: [], appStateBytes: Buffer.from("{}"), initialHeight: 1n });
      await app.finalizeBlock({ txs: [], decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height: 1n, time: { seconds: 2n, nanos: 0 }, nextValidatorsHash: new Uint8Array(32), proposerAddress: new Uint8Array(20) });
      await app.commit({});
      const permissions = async (name: string) => {
        const res = await app.query({ path: "/cosmos.auth.v1beta1.Query/ModuleAccountByName", data: QueryModuleAccountByNameRequest.encode({ name }).finish(), height: 0n, prove: false });
        return ModuleAccount.decode(QueryModuleAccountByNameResponse.decode(res.value).account!.value).permissions;
      };
      expect(await permissions("peg")).toEqual([MINTER, BURNER]);
      expect(await permissions("fee_collector")).toEqual([]);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
