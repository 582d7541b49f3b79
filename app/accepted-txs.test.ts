/**
 * What the app keeps of the txs it meets: a tx CheckTx accepts is decoded and its signature
 * verified once for CheckTx, recheck, PrepareProposal, ProcessProposal and FinalizeBlock together;
 * nothing of a refused tx stays, however large; a block or a failed recheck lets an accepted one go.
 */
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { CheckTxType, ResponseProcessProposal_ProposalStatus } from "cosmjs-types/tendermint/abci/types";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import secp256k1Addon from "secp256k1";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate, signSecp256k1 } from "../chain/crypto/secp256k1";
import { signDirect } from "../chain/tx/build";
import type { BaseApp } from "../chain/app/baseapp";
import { openPegzoneApp } from "./pegzone";
import type { TxRunner } from "../chain/app/tx-runner";

const CHAIN_ID = "pegzone-accepted-txs";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function account(i: number) {
  const privateKey = createHash("sha256").update(`accepted txs account ${i}`).digest();
  const pubkey = publicKeyFromPrivate(privateKey);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(i) };
}
const [alice, bob] = [account(0), account(1)];

async function newApp(): Promise<BaseApp> {
  const dir = mkdtempSync(join(tmpdir(), "pegzone-accepted-"));
  dirs.push(dir);
  const app = await openPegzoneApp({ dbDir: dir, chainId: CHAIN_ID, minimumGasPrices: "0.001upeg", pruningKeepRecent: 10, minRetainBlocks: 0, logger: pino({ level: "silent" }) });
  const appState = {
    auth: { accounts: [alice, bob].map((a) => ({ "@type": "/cosmos.auth.v1beta1.BaseAccount", address: a.address, account_number: String(a.accountNumber), sequence: "0" })) },
    bank: { balances: [alice, bob].map((a) => ({ address: a.address, coins: [{ denom: "upeg", amount: "1000000" }] })) },
  };
  await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: Buffer.from(JSON.stringify(appState)), initialHeight: 1n });
  return app;
}

/** Alice pays Bob; `signingKey` other than Alice's makes a bad signature. */
function send(sequence: bigint, amount: bigint, memo = "", signingKey = alice.privateKey): Uint8Array {
  return sendFrom(alice, bob, sequence, amount, memo, signingKey);
}

function sendFrom(from: typeof alice, to: typeof alice, sequence: bigint, amount: bigint, memo = "", signingKey = from.privateKey): Uint8Array {
  const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: from.address, toAddress: to.address, amount: [{ denom: "upeg", amount: String(amount) }] }).finish() };
  return signDirect(
    { messages: [msg], memo, fee: { amount: [{ denom: "upeg", amount: "200" }], gasLimit: 200_000n }, sequence },
    { pubkey: from.pubkey, sign: (b) => signSecp256k1(signingKey, b) },
    CHAIN_ID,
    from.accountNumber,
  );
}

const header = (height: number) => ({
  height: BigInt(height), time: { seconds: 1_700_000_000n + BigInt(height), nanos: 0 }, misbehavior: [], hash: new Uint8Array(32),
  nextValidatorsHash: new Uint8Array(32), proposerAddress: new Uint8Array(20),
});

async function block(app: BaseApp, height: number, txs: Uint8Array[]) {
  const res = await app.finalizeBlock({ ...header(height), txs, decidedLastCommit: { round: 0, votes: [] } });
  await app.commit({});
  return res.txResults.map((r) => r.code);
}

const runnerOf = (app: BaseApp) => (app as unknown as { runner: TxRunner }).runner;

/** Counts calls of a method of a plain object (a module's exports, a generated type) while `during` runs. */
async function counting<T extends object>(target: T, method: keyof T & string, during: () => Promise<void>): Promise<number> {
  const spy = jest.spyOn(target as Record<string, (...args: never[]) => unknown>, method);
  try {
    await during();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

describe("txs the app keeps in memory", () => {
  it("an accepted tx is decoded once and its signature verified once from CheckTx to FinalizeBlock, then let go", async () => {
    const app = await newApp();
    await block(app, 1, []);
    const tx = send(0n, 5n);
    let verifications = 0;
    const decodes = await counting(TxRaw, "decode", async () => {
      verifications = await counting(secp256k1Addon, "ecdsaVerify", async () => {
        expect((await app.checkTx({ tx, type: CheckTxType.NEW })).code).toBe(0);
        expect(runnerOf(app).acceptedTxs.size).toBe(1);
        // A block without it, after which CometBFT rechecks its mempool; then the block with it.
        expect(await block(app, 2, [])).toEqual([]);
        expect((await app.checkTx({ tx, type: CheckTxType.RECHECK })).code).toBe(0);
        const proposal = { ...header(3), localLastCommit: undefined as never, maxTxBytes: 1_000_000n, txs: [tx] };
        expect((await app.prepareProposal(proposal)).txs).toEqual([tx]);
        const process = await app.processProposal({ ...header(3), proposedLastCommit: undefined as never, txs: [tx] });
        expect(process.status).toBe(ResponseProcessProposal_ProposalStatus.ACCEPT);
        expect(await block(app, 3, [tx])).toEqual([0]);
      });
    });
    expect({ decodes, verifications }).toEqual({ decodes: 1, verifications: 1 });
    expect(runnerOf(app).acceptedTxs).toEqual({ size: 0, bytes: 0 });
    await app.close();
  });

  it("keeps nothing of refused txs, however large", async () => {
    const app = await newApp();
    await block(app, 1, []);
    for (let i = 0; i < 40; i++) {
      const res = await app.checkTx({ tx: send(0n, BigInt(i + 1), "m".repeat(300_000)), type: CheckTxType.NEW });
      expect([res.codespace, res.code]).toEqual(["sdk", 12]);
    }
    const badSignature = send(0n, 1n, "", bob.privateKey);
    expect((await app.checkTx({ tx: badSignature, type: CheckTxType.NEW })).code).toBe(4);
    expect(runnerOf(app).acceptedTxs).toEqual({ size: 0, bytes: 0 });
    await app.close();
  });

  it("lets an accepted tx go when a recheck refuses it; its estimated size covers its bytes and objects", async () => {
    const app = await newApp();
    await block(app, 1, []);
    const first = send(0n, 1n);
    const rival = send(0n, 2n);
    expect((await app.checkTx({ tx: first, type: CheckTxType.NEW })).code).toBe(0);
    const { size, bytes } = runnerOf(app).acceptedTxs;
    expect(size).toBe(1);
    // The estimate covers at least the tx's bytes and its decoded objects.
    expect(bytes).toBeGreaterThan(first.length + 1_000);
    expect(await block(app, 2, [rival])).toEqual([0]);
    expect(runnerOf(app).acceptedTxs.size).toBe(1);
    expect((await app.checkTx({ tx: first, type: CheckTxType.RECHECK })).code).toBe(32);
    expect(runnerOf(app).acceptedTxs).toEqual({ size: 0, bytes: 0 });
    await app.close();
  });
});

describe("PrepareProposal over the txs the check state applied", () => {
  const proposal = (height: number, txs: Uint8Array[], maxTxBytes = 1_000_000n) => ({ ...header(height), localLastCommit: undefined as never, maxTxBytes, txs });
  const check = async (app: BaseApp, tx: Uint8Array, type = CheckTxType.NEW) => expect((await app.checkTx({ tx, type })).code).toBe(0);
  /** PrepareProposal's txs and how many times it ran a tx through the ante chain. */
  async function prepare(app: BaseApp, txs: Uint8Array[], maxTxBytes?: bigint) {
    const runs = jest.spyOn(runnerOf(app), "run");
    try {
      const chosen = (await app.prepareProposal(proposal(2, txs, maxTxBytes))).txs;
      return { chosen, anteRuns: runs.mock.calls.length };
    } finally {
      runs.mockRestore();
    }
  }

  it("takes the mempool's txs in the check state's order without running them again, up to the first that does not fit", async () => {
    const app = await newApp();
    await block(app, 1, []);
    const txs = [send(0n, 1n), send(1n, 2n, "a long memo ".repeat(20)), send(2n, 3n)];
    for (const tx of txs) await check(app, tx);
    expect(await prepare(app, txs)).toEqual({ chosen: txs, anteRuns: 0 });
    expect(await prepare(app, txs.slice(0, 2))).toEqual({ chosen: txs.slice(0, 2), anteRuns: 0 });
    // Room for the first and the third, not the longer second: the third needs the second, so the prefix ends at the first.
    const room = BigInt(txs[0].length + txs[2].length);
    expect(await prepare(app, txs, room)).toEqual({ chosen: [txs[0]], anteRuns: 0 });
    await app.close();
  });

  it("lets txs with no signer in common trade places, as CometBFT's mempool sometimes does", async () => {
    const app = await newApp();
    await block(app, 1, []);
    const [a0, b0, a1] = [send(0n, 1n), sendFrom(bob, alice, 0n, 2n), send(1n, 3n)];
    for (const tx of [a0, b0, a1]) await check(app, tx);
    expect(await prepare(app, [b0, a0, a1])).toEqual({ chosen: [b0, a0, a1], anteRuns: 0 });
    expect(await prepare(app, [a0, a1, b0])).toEqual({ chosen: [a0, a1, b0], anteRuns: 0 });
    // Alice's own txs may not: her second before her first is refused by the ante chain.
    expect(await prepare(app, [a1, b0, a0])).toEqual({ chosen: [b0, a0], anteRuns: 3 });
    await app.close();
  });

  it("runs the ante chain when the txs are not exactly the check state's prefix", async () => {
    const app = await newApp();
    await block(app, 1, []);
    const [a, b, c] = [send(0n, 1n), send(1n, 2n), send(2n, 3n)];
    for (const tx of [a, b, c]) await check(app, tx);
    // Out of order: the ante chain drops what no longer follows its sender's sequence.
    expect(await prepare(app, [b, a, c])).toEqual({ chosen: [a], anteRuns: 3 });
    // A gap (the check state applied b, the mempool lost it): c cannot follow a.
    expect(await prepare(app, [a, c])).toEqual({ chosen: [a], anteRuns: 2 });
    // Not from this check state at all, and a tx it never saw.
    const stranger = send(0n, 9n, "never checked");
    expect(await prepare(app, [stranger])).toEqual({ chosen: [stranger], anteRuns: 1 });
    await app.close();
  });

  it("after a Commit only txs rechecked on the new check state count, in the recheck's order", async () => {
    const app = await newApp();
    await block(app, 1, []);
    const [a, b, c] = [send(0n, 1n), send(1n, 2n), send(2n, 3n)];
    for (const tx of [a, b, c]) await check(app, tx);
    expect(await block(app, 2, [a])).toEqual([0]);
    // Before the recheck the check state is new and has applied nothing.
    expect((await prepare(app, [b, c])).anteRuns).toBe(2);
    await check(app, b, CheckTxType.RECHECK);
    await check(app, c, CheckTxType.RECHECK);
    expect(await prepare(app, [b, c])).toEqual({ chosen: [b, c], anteRuns: 0 });
    await app.close();
  });
});
