/**
 * The ante chain's fee and memo checks. The fee as the SDK's DeductFeeDecorator takes it: a fee that is not zero is paid in valid coins
 * only (sdk 13 "invalid fee amount" for a repeated, unsorted or invalid denom, or a zero amount among
 * others), and a fee granter is refused (sdk 18 "fee grants are not enabled") while pegzone has no
 * fee grants. Refused in CheckTx and in blocks alike, with balances and sequences untouched.
 */
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import type { Coin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import { CheckTxType } from "cosmjs-types/tendermint/abci/types";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { BaseApp } from "../../chain/app/baseapp";
import { openPegzoneApp } from "../../app/pegzone";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../../chain/crypto/address";
import { publicKeyFromPrivate, signSecp256k1 } from "../../chain/crypto/secp256k1";
import { signDirect } from "../../chain/tx/build";

const CHAIN_ID = "pegzone-fees";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function account(i: number) {
  const privateKey = createHash("sha256").update(`fee test account ${i}`).digest();
  const pubkey = publicKeyFromPrivate(privateKey);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(i) };
}
const [alice, bob] = [account(0), account(1)];

async function newApp(): Promise<BaseApp> {
  const dir = mkdtempSync(join(tmpdir(), "pegzone-fees-"));
  dirs.push(dir);
  const app = await openPegzoneApp({ dbDir: dir, chainId: CHAIN_ID, minimumGasPrices: "0.001upeg", pruningKeepRecent: 10, minRetainBlocks: 0, logger: pino({ level: "silent" }) });
  const coins = [{ denom: "uatom", amount: "1000000" }, { denom: "upeg", amount: "1000000" }];
  const appState = {
    auth: { accounts: [alice, bob].map((a) => ({ "@type": "/cosmos.auth.v1beta1.BaseAccount", address: a.address, account_number: String(a.accountNumber), sequence: "0" })) },
    bank: { balances: [alice, bob].map((a) => ({ address: a.address, coins })) },
  };
  await app.initChain({ time: { seconds: 1_700_000_000n, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: Buffer.from(JSON.stringify(appState)), initialHeight: 1n });
  await block(app, 1, []);
  return app;
}

function send(fee: { amount: Coin[]; granter?: string }, memo = ""): Uint8Array {
  const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: alice.address, toAddress: bob.address, amount: [{ denom: "upeg", amount: "7" }] }).finish() };
  return signDirect(
    { messages: [msg], memo, fee: { gasLimit: 200_000n, ...fee }, sequence: 0n },
    { pubkey: alice.pubkey, sign: (b) => signSecp256k1(alice.privateKey, b) },
    CHAIN_ID,
    alice.accountNumber,
  );
}

async function block(app: BaseApp, height: number, txs: Uint8Array[]) {
  const res = await app.finalizeBlock({
    txs, decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height: BigInt(height),
    time: { seconds: 1_700_000_000n + BigInt(height), nanos: 0 }, nextValidatorsHash: new Uint8Array(32), proposerAddress: new Uint8Array(20),
  });
  await app.commit({});
  return res.txResults;
}

/** Alice's balances and sequence, and Bob's balances. */
async function state(app: BaseApp) {
  const query = async (path: string, data: Uint8Array) => (await app.query({ path, data, height: 0n, prove: false })).value;
  const balance = async (address: string, denom: string) =>
    QueryBalanceResponse.decode(await query("/cosmos.bank.v1beta1.Query/Balance", QueryBalanceRequest.encode({ address, denom }).finish())).balance!.amount;
  const any = QueryAccountResponse.decode(await query("/cosmos.auth.v1beta1.Query/Account", QueryAccountRequest.encode({ address: alice.address }).finish())).account!;
  return {
    alice: [await balance(alice.address, "uatom"), await balance(alice.address, "upeg")],
    aliceSequence: BaseAccount.decode(any.value).sequence,
    bob: [await balance(bob.address, "uatom"), await balance(bob.address, "upeg")],
  };
}

const refusals: Array<{ name: string; fee: { amount: Coin[]; granter?: string }; code: number; log: RegExp }> = [
  { name: "the same denom twice", fee: { amount: [{ denom: "upeg", amount: "500" }, { denom: "upeg", amount: "500" }] }, code: 13, log: /^invalid fee amount: 500upeg,500upeg: insufficient fee$/ },
  { name: "denoms out of order", fee: { amount: [{ denom: "upeg", amount: "500" }, { denom: "uatom", amount: "1" }] }, code: 13, log: /^invalid fee amount: 500upeg,1uatom/ },
  { name: "an invalid denom", fee: { amount: [{ denom: "1x", amount: "1" }, { denom: "upeg", amount: "500" }] }, code: 13, log: /^invalid fee amount: 11x,500upeg/ },
  { name: "a zero amount beside a positive one", fee: { amount: [{ denom: "uatom", amount: "0" }, { denom: "upeg", amount: "500" }] }, code: 13, log: /^invalid fee amount: 0uatom,500upeg/ },
  { name: "a fee granter", fee: { amount: [{ denom: "upeg", amount: "500" }], granter: bob.address }, code: 18, log: /^fee grants are not enabled: invalid request$/ },
];

describe("fee coins and fee granter", () => {
  it.each(refusals)("CheckTx and FinalizeBlock refuse a fee with $name (sdk $code), charging nothing", async ({ fee, code, log }) => {
    const app = await newApp();
    const before = await state(app);
    const tx = send(fee);
    const checked = await app.checkTx({ tx, type: CheckTxType.NEW });
    expect([checked.codespace, checked.code]).toEqual(["sdk", code]);
    expect(checked.log).toMatch(log);
    const [executed] = await block(app, 2, [tx]);
    expect([executed.codespace, executed.code]).toEqual(["sdk", code]);
    expect(executed.log).toMatch(log);
    expect(await state(app)).toEqual(before);
    await app.close();
  });

  it("a valid fee in two sorted denoms is paid in full", async () => {
    const app = await newApp();
    const tx = send({ amount: [{ denom: "uatom", amount: "3" }, { denom: "upeg", amount: "500" }] });
    expect((await app.checkTx({ tx, type: CheckTxType.NEW })).code).toBe(0);
    expect((await block(app, 2, [tx]))[0].code).toBe(0);
    expect(await state(app)).toEqual({ alice: ["999997", "999493"], aliceSequence: 1n, bob: ["1000000", "1000007"] });
    await app.close();
  });

  it("a zero fee is no fee, as the SDK's IsZero makes it: nothing is deducted in a block", async () => {
    const app = await newApp();
    const tx = send({ amount: [{ denom: "upeg", amount: "0" }] });
    // Below this node's minimum gas price in CheckTx, valid in a block.
    expect((await app.checkTx({ tx, type: CheckTxType.NEW })).code).toBe(13);
    expect((await block(app, 2, [tx]))[0].code).toBe(0);
    expect(await state(app)).toEqual({ alice: ["1000000", "999993"], aliceSequence: 1n, bob: ["1000000", "1000007"] });
    await app.close();
  });
});

describe("memo", () => {
  it("counts characters, not UTF-16 units: 256 emoji pass, 257 are refused (sdk 12)", async () => {
    const app = await newApp();
    const fee = { amount: [{ denom: "upeg", amount: "500" }] };
    expect((await app.checkTx({ tx: send(fee, "😀".repeat(256)), type: CheckTxType.NEW })).code).toBe(0);
    const refused = await app.checkTx({ tx: send(fee, "😀".repeat(257)), type: CheckTxType.NEW });
    expect([refused.codespace, refused.code, refused.log]).toEqual(["sdk", 12, "maximum number of characters is 256 but received 257 characters: memo too large"]);
    await app.close();
  });
});
