/**
 * Queries are public input (CometBFT's abci_query): whatever their data, every registered path
 * answers with a registered code, and nothing reaches the internal-error path (undefined/111222
 * with an error-level log line), which is kept for real bugs. Paths come from the router, so a
 * query added later is fuzzed too.
 */
import { BinaryWriter } from "cosmjs-types/binary";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { capturingLogger } from "../test/support/abci-app";
import { lookupError, UNDEFINED_CODESPACE } from "../chain/tx/errors";
import { account, closeHarnesses, MAINCHAIN, newHarness } from "../test/support/peg-harness";
import { pegzone } from "../proto";
import type { BaseApp } from "../chain/app/baseapp";
import { openPegzoneApp } from "./pegzone";

const { logger, lines } = capturingLogger();
let app: BaseApp;
let dir: string;

beforeAll(async () => {
  // The peg harness's genesis (a btc-regtest main chain and its federation), opened with a logger this test reads.
  const harness = await newHarness();
  await harness.block([]);
  const appState = await harness.app.exportGenesis();
  await closeHarnesses();
  dir = mkdtempSync(join(tmpdir(), "pegzone-query-fuzz-"));
  app = await openPegzoneApp({ dbDir: dir, chainId: "pegzone-query-fuzz", minimumGasPrices: "0upeg", pruningKeepRecent: 10, minRetainBlocks: 0, logger });
  await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: "pegzone-query-fuzz", consensusParams: undefined, validators: [], appStateBytes: Buffer.from(JSON.stringify(appState)), initialHeight: 1n });
  await app.finalizeBlock({
    txs: [], decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height: 1n,
    time: { seconds: 1_700_000_001n, nanos: 0 }, nextValidatorsHash: new Uint8Array(32), proposerAddress: new Uint8Array(20),
  });
  await app.commit({});
});

afterAll(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every query path a client can name: the router's, and the raw store reads of each module. */
const paths = () => [...app.queries.paths(), ...["auth", "bank", "peg"].map((m) => `/store/${m}/key`)];

/** Values a request field may plausibly hold, so that decodable requests get past the first checks. */
const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(MAINCHAIN, "upeg", `peg/${MAINCHAIN}`, account(0).address, "fee_collector", "0".repeat(64)) },
  fc.string({ maxLength: 70 }),
  fc.string({ unit: "binary", maxLength: 20 }),
);
const payload = fc.oneof(text.map((s) => Buffer.from(s, "utf8")), fc.uint8Array({ maxLength: 48 }));

/** Protobuf-shaped bytes: mostly the low field numbers requests use, with any wire type, so that decoders and handlers both see varied input. */
const fieldNumber = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 3 }), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 1 });
const shaped = fc
  .array(
    fc.oneof(
      { arbitrary: fc.record({ field: fieldNumber, bytes: payload }), weight: 3 },
      fc.record({ field: fieldNumber, varint: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
      fc.record({ field: fieldNumber, fixed32: fc.integer({ min: 0, max: 0xffffffff }) }),
      fc.record({ field: fieldNumber, fixed64: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
    ),
    { maxLength: 5 },
  )
  .map((fields) => {
    const w = BinaryWriter.create();
    for (const f of fields) {
      if ("varint" in f) w.uint32((f.field << 3) | 0).uint64(f.varint);
      else if ("bytes" in f) w.uint32((f.field << 3) | 2).bytes(f.bytes);
      else if ("fixed32" in f) w.uint32((f.field << 3) | 5).fixed32(f.fixed32);
      else w.uint32((f.field << 3) | 1).fixed64(f.fixed64);
    }
    return w.finish();
  });

const data = fc.oneof(fc.uint8Array({ maxLength: 64 }), { weight: 2, arbitrary: shaped });

async function expectRegisteredAnswer(path: string, bytes: Uint8Array, prove: boolean): Promise<void> {
  const logged = lines.length;
  const res = await app.query({ path, data: bytes, height: 0n, prove });
  const where = `${path} with data ${Buffer.from(bytes).toString("hex")}: ${res.codespace}/${res.code} ${res.log}`;
  if (res.code !== 0) {
    expect({ where, codespace: res.codespace }).not.toEqual({ where, codespace: UNDEFINED_CODESPACE });
    expect({ where, registered: lookupError(res.codespace, res.code) !== undefined }).toEqual({ where, registered: true });
  }
  const errors = lines.slice(logged).filter((l) => l.level >= 50);
  expect({ where, errors }).toEqual({ where, errors: [] });
}

describe("queries with fuzzed data", () => {
  it("covers the bank, auth, peg and tx service paths", () => {
    expect(paths()).toEqual(expect.arrayContaining([
      "/cosmos.bank.v1beta1.Query/Balance", "/cosmos.auth.v1beta1.Query/Account", "/pegzone.peg.v1.Query/Withdrawals", "/cosmos.tx.v1beta1.Service/Simulate",
    ]));
  });

  it("0xff as data answers sdk 18 on every gRPC path", async () => {
    for (const path of app.queries.paths()) {
      const res = await app.query({ path, data: Uint8Array.of(0xff), height: 0n, prove: false });
      expect({ path, codespace: res.codespace, code: res.code }).toEqual({ path, codespace: "sdk", code: 18 });
    }
  });

  it("random and protobuf-shaped data get registered codes on every path, never an internal error", async () => {
    for (const path of paths()) {
      await fc.assert(
        fc.asyncProperty(data, fc.boolean(), (bytes, prove) => expectRegisteredAnswer(path, bytes, prove)),
        { numRuns: 300 },
      );
    }
  }, 120_000);

  it("the peg's Header query answers a malformed hash or height with sdk 18", async () => {
    for (const req of [{ hash: "not a block hash" }, { height: 2 ** 60 }]) {
      const request = pegzone.peg.v1.QueryHeaderRequest.encode({ mainchain: MAINCHAIN, ...req }).finish();
      await expectRegisteredAnswer("/pegzone.peg.v1.Query/Header", request, false);
      const res = await app.query({ path: "/pegzone.peg.v1.Query/Header", data: request, height: 0n, prove: false });
      expect([res.codespace, res.code]).toEqual(["sdk", 18]);
    }
  });

  it("a path registered later (as `pegzone start` adds GetTx) is checked the same way", async () => {
    app.queries.register("/cosmos.tx.v1beta1.Service/GetTx", async () => {
      throw new Error("undecodable data must not reach the handler");
    });
    const res = await app.query({ path: "/cosmos.tx.v1beta1.Service/GetTx", data: Uint8Array.of(0x0a, 0x05), height: 0n, prove: false });
    expect([res.codespace, res.code]).toEqual(["sdk", 18]);
    expect(() => app.queries.register("/cosmos.nothing.v1.Query/Nothing", async () => new Uint8Array())).toThrow(/no request type/);
  });
});
