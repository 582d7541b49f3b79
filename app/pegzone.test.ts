import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { QueryBalanceRequest, QueryBalanceResponse, QueryTotalSupplyResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { ResponseProcessProposal_ProposalStatus } from "cosmjs-types/tendermint/abci/types";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate, SECP256K1_N, signSecp256k1 } from "../chain/crypto/secp256k1";
import { signDirect, type UnsignedTx } from "../chain/tx/build";
import { BaseApp } from "../chain/app/baseapp";
import { openPegzoneApp } from "./pegzone";

const CHAIN_ID = "pegzone-unit";
const logger = pino({ level: "silent" });

interface TestAccount {
  privateKey: Uint8Array;
  pubkey: Uint8Array;
  address: string;
  accountNumber: bigint;
  sequence: bigint;
}

function account(i: number): TestAccount {
  const privateKey = createHash("sha256").update(`pegzone test account ${i}`).digest();
  const pubkey = publicKeyFromPrivate(privateKey);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(i), sequence: 0n };
}

const dirs: string[] = [];
async function newApp(accounts: TestAccount[], balance = 1_000_000n): Promise<BaseApp> {
  const dir = mkdtempSync(join(tmpdir(), "pegzone-app-"));
  dirs.push(dir);
  const app = await openPegzoneApp({ dbDir: dir, chainId: CHAIN_ID, minimumGasPrices: "0.001upeg", pruningKeepRecent: 10, minRetainBlocks: 0, logger });
  const appState = {
    auth: { accounts: accounts.map((a) => ({ "@type": "/cosmos.auth.v1beta1.BaseAccount", address: a.address, account_number: String(a.accountNumber), sequence: "0" })) },
    bank: { balances: accounts.map((a) => ({ address: a.address, coins: [{ denom: "upeg", amount: String(balance) }] })) },
  };
  await app.initChain({
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: CHAIN_ID,
    consensusParams: undefined,
    validators: [],
    appStateBytes: Buffer.from(JSON.stringify(appState)),
    initialHeight: 1n,
  });
  return app;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function send(from: TestAccount, to: string, amount: bigint, opts: Partial<UnsignedTx> & { chainId?: string; sign?: (b: Uint8Array) => Uint8Array } = {}): Uint8Array {
  const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: from.address, toAddress: to, amount: [{ denom: "upeg", amount: amount.toString() }] }).finish() };
  const tx: UnsignedTx = { messages: [msg], fee: { amount: [{ denom: "upeg", amount: "200" }], gasLimit: 200_000n }, sequence: from.sequence, ...opts };
  const sign = opts.sign ?? ((b: Uint8Array) => signSecp256k1(from.privateKey, b));
  return signDirect(tx, { pubkey: from.pubkey, sign }, opts.chainId ?? CHAIN_ID, from.accountNumber);
}

async function block(app: BaseApp, height: number, txs: Uint8Array[]) {
  const res = await app.finalizeBlock({
    txs, decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height: BigInt(height),
    time: { seconds: 1_700_000_000n + BigInt(height), nanos: 0 }, nextValidatorsHash: new Uint8Array(32), proposerAddress: new Uint8Array(20),
  });
  await app.commit({});
  return res;
}

async function balance(app: BaseApp, address: string): Promise<bigint> {
  const res = await app.query({ path: "/cosmos.bank.v1beta1.Query/Balance", data: QueryBalanceRequest.encode({ address, denom: "upeg" }).finish(), height: 0n, prove: false });
  return BigInt(QueryBalanceResponse.decode(res.value).balance!.amount);
}

async function checkTx(app: BaseApp, tx: Uint8Array) {
  return app.checkTx({ tx, type: 0 });
}

describe("BaseApp in-process (ABCI handlers called directly)", () => {
  test("ante rejections carry the SDK codes and leave balances and sequences unchanged", async () => {
    const [alice, bob] = [account(0), account(1)];
    const app = await newApp([alice, bob]);
    await block(app, 1, []);
    const highS = (b: Uint8Array) => {
      const sig = signSecp256k1(alice.privateKey, b);
      const s = BigInt("0x" + Buffer.from(sig.subarray(32)).toString("hex"));
      return Buffer.concat([sig.subarray(0, 32), Buffer.from((SECP256K1_N - s).toString(16).padStart(64, "0"), "hex")]);
    };
    const cases: Array<{ name: string; tx: Uint8Array; code: number }> = [
      { name: "undecodable bytes", tx: Buffer.from("not a tx"), code: 2 },
      { name: "wrong sequence", tx: send({ ...alice, sequence: 5n }, bob.address, 1n), code: 32 },
      { name: "fee below the node minimum", tx: send(alice, bob.address, 1n, { fee: { amount: [{ denom: "upeg", amount: "1" }], gasLimit: 200_000n } }), code: 13 },
      { name: "bad signature", tx: send(alice, bob.address, 1n, { sign: (b) => signSecp256k1(bob.privateKey, b) }), code: 4 },
      { name: "high-S signature", tx: send(alice, bob.address, 1n, { sign: highS }), code: 4 },
      { name: "wrong chain id", tx: send(alice, bob.address, 1n, { chainId: "other-chain" }), code: 4 },
      { name: "memo over 256 characters", tx: send(alice, bob.address, 1n, { memo: "x".repeat(257) }), code: 12 },
      { name: "timeout height passed", tx: send(alice, bob.address, 1n, { timeoutHeight: 1n }), code: 30 },
      { name: "unknown message type", tx: send(alice, bob.address, 1n, { messages: [{ typeUrl: "/pegzone.unknown.v1.MsgNothing", value: new Uint8Array() }] }), code: 2 },
      { name: "fee larger than the balance", tx: send(alice, bob.address, 1n, { fee: { amount: [{ denom: "upeg", amount: "2000000" }], gasLimit: 200_000n } }), code: 5 },
      { name: "gas limit too low", tx: send(alice, bob.address, 1n, { fee: { amount: [{ denom: "upeg", amount: "200" }], gasLimit: 1000n } }), code: 11 },
    ];
    for (const c of cases) {
      const res = await checkTx(app, c.tx);
      expect({ name: c.name, code: res.code, codespace: res.codespace }).toEqual({ name: c.name, code: c.code, codespace: "sdk" });
    }
    const rejected = cases.filter((c) => c.code !== 13);
    const results = await block(app, 2, rejected.map((c) => c.tx));
    expect(results.txResults.map((r) => r.code)).toEqual(rejected.map((c) => c.code));
    expect(await balance(app, alice.address)).toBe(1_000_000n);
    expect(await balance(app, bob.address)).toBe(1_000_000n);
    // The minimum gas price is this node's mempool rule only: in a block the low-fee tx is valid.
    const lowFee = cases.find((c) => c.code === 13)!.tx;
    expect((await block(app, 3, [lowFee])).txResults[0].code).toBe(0);
    expect(await balance(app, alice.address)).toBe(1_000_000n - 1n - 1n);
    expect(await balance(app, bob.address)).toBe(1_000_000n + 1n);
    await app.close();
  });

  test("a message that fails still charges the fee and increments the sequence; the same tx twice fails the second time", async () => {
    const [alice, bob] = [account(0), account(1)];
    const app = await newApp([alice, bob]);
    const tooMuch = send(alice, bob.address, 5_000_000n);
    const res = await block(app, 1, [tooMuch, tooMuch]);
    expect(res.txResults.map((r) => r.code)).toEqual([5, 32]);
    expect(res.txResults[0].codespace).toBe("sdk");
    expect(await balance(app, alice.address)).toBe(1_000_000n - 200n);
    const next = send({ ...alice, sequence: 1n }, bob.address, 10n);
    expect((await block(app, 2, [next])).txResults[0].code).toBe(0);
    await app.close();
  });

  test("ProcessProposal rejects a block with an undecodable tx; PrepareProposal keeps to max_tx_bytes and drops failing txs", async () => {
    const [alice, bob] = [account(0), account(1)];
    const app = await newApp([alice, bob]);
    const good = send(alice, bob.address, 1n);
    const process = (txs: Uint8Array[]) =>
      app.processProposal({ txs, proposedLastCommit: undefined as never, misbehavior: [], hash: new Uint8Array(), height: 1n, time: { seconds: 0n, nanos: 0 }, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array() });
    expect((await process([good])).status).toBe(ResponseProcessProposal_ProposalStatus.ACCEPT);
    expect((await process([good, Buffer.from([0xff, 0xff])])).status).toBe(ResponseProcessProposal_ProposalStatus.REJECT);

    const staleSequence = send({ ...bob, sequence: 5n }, alice.address, 1n);
    const second = send({ ...alice, sequence: 1n }, bob.address, 2n);
    const prepare = (txs: Uint8Array[], maxTxBytes: bigint) =>
      app.prepareProposal({ maxTxBytes, txs, localLastCommit: undefined as never, misbehavior: [], height: 1n, time: { seconds: 0n, nanos: 0 }, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array() });
    expect((await prepare([good, staleSequence, second], 1_000_000n)).txs).toEqual([good, second]);
    expect((await prepare([good, staleSequence, second], BigInt(good.length + 10))).txs).toEqual([good]);

    // PrepareProposal takes signatures as CheckTx verified them (its txs come from this node's
    // mempool); a bad one forced into a block still fails there, on every node, and pays nothing.
    const badSignature = send(bob, alice.address, 1n, { sign: (b) => signSecp256k1(alice.privateKey, b) });
    expect((await prepare([badSignature], 1_000_000n)).txs).toEqual([badSignature]);
    const [res] = (await block(app, 1, [badSignature])).txResults;
    expect([res.codespace, res.code]).toEqual(["sdk", 4]);
    expect(await balance(app, bob.address)).toBe(1_000_000n);
    await app.close();
  });

  test("queries: heights are checked, pruned versions are refused with a clear error, unknown paths get code 6", async () => {
    const [alice, bob] = [account(0), account(1)];
    const app = await newApp([alice, bob]);
    for (let h = 1; h <= 14; h++) await block(app, h, [send({ ...alice, sequence: BigInt(h - 1) }, bob.address, 1n)]);
    const key = (a: TestAccount) => Buffer.concat([Buffer.of(0x02, 20), addressFromPubkey(a.pubkey), Buffer.from("upeg")]);
    const at = (height: bigint, path = "/store/bank/key") => app.query({ path, data: key(bob), height, prove: false });
    // pruning-keep-recent is 10 in these tests: heights 5..14 are readable, older ones are gone.
    expect(Buffer.from((await at(14n)).value).toString()).toBe("1000014");
    expect(Buffer.from((await at(6n)).value).toString()).toBe("1000006");
    const latest = await at(0n);
    expect(latest.height).toBe(14n);
    const pruned = await at(2n);
    expect([pruned.code, pruned.codespace]).toEqual([18, "sdk"]);
    expect(pruned.log).toMatch(/height 2 is pruned; the earliest available is 5/);
    expect((await at(99n)).code).toBe(18);
    const unknownStore = await at(0n, "/store/nothing/key");
    expect([unknownStore.code, unknownStore.codespace]).toEqual([6, "sdk"]);
    const unknownPath = await at(0n, "/cosmos.nothing.v1.Query/Nothing");
    expect([unknownPath.code, unknownPath.codespace]).toEqual([6, "sdk"]);
    await app.close();
  });

  test("random transfers keep total supply constant, never go negative, and two independent apps agree on every app hash", async () => {
    const accounts = Array.from({ length: 6 }, (_, i) => account(i));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.record({ from: fc.nat(5), to: fc.nat(5), amount: fc.bigInt({ min: 1n, max: 600_000n }) }), { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
        async (blocks) => {
          const a = await newApp(accounts.map((x) => ({ ...x })), 1_000_000n);
          const b = await newApp(accounts.map((x) => ({ ...x })), 1_000_000n);
          const seq = accounts.map(() => 0n);
          for (const [i, transfers] of blocks.entries()) {
            const txs = transfers.map((t) => send({ ...accounts[t.from], sequence: seq[t.from]++ }, accounts[t.to].address, t.amount));
            const [ra, rb] = [await block(a, i + 1, txs), await block(b, i + 1, txs)];
            expect(Buffer.from(ra.appHash).equals(Buffer.from(rb.appHash))).toBe(true);
            const supply = QueryTotalSupplyResponse.decode((await a.query({ path: "/cosmos.bank.v1beta1.Query/TotalSupply", data: new Uint8Array(), height: 0n, prove: false })).value);
            expect(supply.supply).toEqual([{ denom: "upeg", amount: "6000000" }]);
            for (const acc of accounts) expect(await balance(a, acc.address)).toBeGreaterThanOrEqual(0n);
          }
          await a.close();
          await b.close();
        },
      ),
      { numRuns: 8 },
    );
  }, 60_000);
});

describe("restart", () => {
  it("CheckTx and simulations run at the last committed block's time after the app reopens", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pegzone-app-restart-"));
    dirs.push(dir);
    const open = () => openPegzoneApp({ dbDir: dir, chainId: CHAIN_ID, minimumGasPrices: "0.001upeg", pruningKeepRecent: 10, minRetainBlocks: 0, logger });
    const app = await open();
    await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: Buffer.from("{}"), initialHeight: 1n });
    await block(app, 1, []);
    await block(app, 2, []);
    const seen = (a: BaseApp) => (a as unknown as { checkHeader: { time: { seconds: bigint } } }).checkHeader.time.seconds;
    expect(seen(app)).toBe(1_700_000_002n);
    await app.close();
    const reopened = await open();
    expect(seen(reopened)).toBe(1_700_000_002n);
    await reopened.close();
  });
});
