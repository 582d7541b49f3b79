/**
 * The block gas limit (consensus max_gas), as the SDK's default proposal handler applies it: the
 * proposer keeps the summed gas limits of its txs within it, every validator rejects a proposal
 * over it, the limit survives a restart, and pegzone's genesis sets a finite one that the peg's
 * largest tx (2,000 headers) fits in.
 */
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { ResponseProcessProposal_ProposalStatus } from "cosmjs-types/tendermint/abci/types";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate, signSecp256k1 } from "../chain/crypto/secp256k1";
import { BLOCK_MAX_GAS, newGenesis } from "./node/home";
import { signDirect } from "../chain/tx/build";
import { closeHarnesses, newHarness, relay } from "../test/support/peg-harness";
import { MAX_HEADERS_PER_MSG } from "../modules/peg/msgs-client";
import { TestBitcoinChain } from "../test/support/peg";
import type { BaseApp } from "../chain/app/baseapp";
import { openPegzoneApp } from "./pegzone";

const CHAIN_ID = "pegzone-max-gas";
const MAX_GAS = 300_000n;
const logger = pino({ level: "silent" });
const { ACCEPT, REJECT } = ResponseProcessProposal_ProposalStatus;

const accounts = [0, 1, 2].map((i) => {
  const privateKey = createHash("sha256").update(`max gas test account ${i}`).digest();
  const pubkey = publicKeyFromPrivate(privateKey);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(i) };
});
const [alice, bob, carol] = accounts;

function send(from: (typeof accounts)[number], sequence: bigint, gasLimit: bigint): Uint8Array {
  const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: from.address, toAddress: carol.address, amount: [{ denom: "upeg", amount: "1" }] }).finish() };
  return signDirect({ messages: [msg], fee: { amount: [{ denom: "upeg", amount: "1000" }], gasLimit }, sequence }, { pubkey: from.pubkey, sign: (b) => signSecp256k1(from.privateKey, b) }, CHAIN_ID, from.accountNumber);
}

const dirs: string[] = [];
afterAll(async () => {
  await closeHarnesses();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const open = (dir: string) => openPegzoneApp({ dbDir: dir, chainId: CHAIN_ID, minimumGasPrices: "0upeg", pruningKeepRecent: 10, minRetainBlocks: 0, logger });

/** A chain whose consensus params give blocks MAX_GAS, with the three accounts funded. */
async function newChain(): Promise<{ app: BaseApp; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "pegzone-max-gas-"));
  dirs.push(dir);
  const app = await open(dir);
  const appState = {
    auth: { accounts: accounts.map((a) => ({ "@type": "/cosmos.auth.v1beta1.BaseAccount", address: a.address, account_number: String(a.accountNumber), sequence: "0" })) },
    bank: { balances: accounts.map((a) => ({ address: a.address, coins: [{ denom: "upeg", amount: "1000000" }] })) },
  };
  await app.initChain({
    time: { seconds: 1_700_000_000n, nanos: 0 },
    chainId: CHAIN_ID,
    consensusParams: { block: { maxBytes: 22_020_096n, maxGas: MAX_GAS }, evidence: undefined, validator: undefined, version: undefined, abci: undefined },
    validators: [],
    appStateBytes: Buffer.from(JSON.stringify(appState)),
    initialHeight: 1n,
  });
  return { app, dir };
}

const prepare = (app: BaseApp, txs: Uint8Array[]) =>
  app.prepareProposal({ maxTxBytes: 1_000_000n, txs, localLastCommit: undefined as never, misbehavior: [], height: 1n, time: { seconds: 1_700_000_001n, nanos: 0 }, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array() });
const processStatus = async (app: BaseApp, txs: Uint8Array[]) =>
  (await app.processProposal({ txs, proposedLastCommit: undefined as never, misbehavior: [], hash: new Uint8Array(), height: 1n, time: { seconds: 1_700_000_001n, nanos: 0 }, nextValidatorsHash: new Uint8Array(), proposerAddress: new Uint8Array() })).status;

describe("block max_gas", () => {
  it("PrepareProposal keeps the summed gas limits within max_gas, leaving out (and not charging) what does not fit", async () => {
    const { app } = await newChain();
    const first = send(alice, 0n, 200_000n);
    const tooMuch = send(alice, 1n, 200_000n);
    // Alice's next tx at the sequence `tooMuch` would have used: it passes only if `tooMuch` was not run.
    const fits = send(alice, 1n, 100_000n);
    const other = send(bob, 0n, 1n);
    expect((await prepare(app, [first, tooMuch, fits, other])).txs).toEqual([first, fits]);
    expect((await prepare(app, [send(bob, 0n, MAX_GAS + 1n)])).txs).toEqual([]);
    await app.close();
  });

  it("ProcessProposal rejects a proposal whose gas limits add up to more than max_gas, also after a restart", async () => {
    const { app, dir } = await newChain();
    const over = [send(alice, 0n, 200_000n), send(bob, 0n, 100_001n)];
    const exactly = [send(alice, 0n, 200_000n), send(bob, 0n, 100_000n)];
    expect(await processStatus(app, over)).toBe(REJECT);
    expect(await processStatus(app, [send(alice, 0n, MAX_GAS + 1n)])).toBe(REJECT);
    expect(await processStatus(app, exactly)).toBe(ACCEPT);

    await app.finalizeBlock({ txs: exactly, decidedLastCommit: { round: 0, votes: [] }, misbehavior: [], hash: new Uint8Array(32), height: 1n, time: { seconds: 1_700_000_001n, nanos: 0 }, nextValidatorsHash: new Uint8Array(32), proposerAddress: new Uint8Array(20) });
    await app.commit({});
    await app.close();
    const reopened = await open(dir);
    expect(await processStatus(reopened, over)).toBe(REJECT);
    expect(await processStatus(reopened, exactly)).toBe(ACCEPT);
    await reopened.close();
  });

  it("pegzone's genesis has a finite max_gas that a relay of 2,000 headers, at a gas adjustment of 1.5, fits in several times", async () => {
    const genesis = newGenesis("pegzone-x", [], {}, new Date(0)) as { consensus_params: { block: { max_gas: string } } };
    expect(genesis.consensus_params.block.max_gas).toBe("100000000");
    const h = await newHarness();
    const btc = new TestBitcoinChain();
    btc.mineEmpty(MAX_HEADERS_PER_MSG);
    const res = await h.app.simulate(relay(h, btc.headers(1)));
    expect(res.code).toBe(0);
    expect((res.gasUsed * 3n) / 2n).toBeLessThan(BigInt(BLOCK_MAX_GAS) / 4n);
  });
});
