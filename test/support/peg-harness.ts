/** The bitcoin settings of a flat test entry moved into its `params` (the genesis form). */
function bitcoinEntry(flat: Record<string, unknown>): Record<string, unknown> {
  const { network, confirmations, reorg_limit, prune_window, fee_rate, ...generic } = flat;
  return { ...generic, params: { "@type": "/pegzone.peg.bitcoin.v1.Params", network, confirmations, reorg_limit, prune_window, fee_rate } };
}

/**
 * An in-process pegzone app with a btc-regtest main chain (2-of-3 federation) for the peg module's
 * tests and bench/peg.ts: blocks in, tx results out, peg queries, and ready-made deposit scenarios.
 * Nothing here registers jest hooks: test files call `afterAll(closeHarnesses)`.
 */
import { REGTEST_CHAIN } from "./peg";
import type { Misbehavior, ValidatorUpdate, VoteInfo } from "cosmjs-types/tendermint/abci/types";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { ADDRESS_PREFIX, addressFromPubkey, fromBech32, toBech32 } from "../../chain/crypto/address";
import { publicKeyFromPrivate, signSecp256k1 } from "../../chain/crypto/secp256k1";
import { signDirect } from "../../chain/tx/build";
import type { BaseApp } from "../../chain/app/baseapp";
import { openPegzoneApp } from "../../app/pegzone";
import { genesisCheckpoint } from "../../light-client/bitcoin/checkpoint";
import { pegzone } from "../../proto";
import type { MainChainKind } from "../../modules/peg/kinds";
import { bitcoinDepositProof } from "../../modules/peg/bitcoin/peg-flow";
import { bitcoinFlow } from "../../modules/peg/bitcoin/kind";
import { pegTypeUrls } from "../../modules/peg/msgs";
import { TestBitcoinChain, testTx } from "./peg";

const v1 = pegzone.peg.v1;
export const CHAIN_ID = "pegzone-peg-unit";
export const MAINCHAIN = "btc-regtest";
export const DENOM = `peg/${MAINCHAIN}`;
export const CONFIRMATIONS = 3;
const logger = pino({ level: process.env.PEG_TEST_LOG ?? "silent" });

export interface TestAccount {
  privateKey: Uint8Array;
  pubkey: Uint8Array;
  address: string;
  accountNumber: bigint;
  sequence: bigint;
}

export function account(i: number): TestAccount {
  const privateKey = createHash("sha256").update(`pegzone peg test account ${i}`).digest();
  const pubkey = publicKeyFromPrivate(privateKey);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(i), sequence: 0n };
}

/** A 2-of-3 federation; each member submits from the account of its own key. */
export const memberKeys = [0, 1, 2].map((i) => {
  const privateKey = createHash("sha256").update(`federation member ${i}`).digest();
  const pubkey = publicKeyFromPrivate(privateKey);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(10 + i), sequence: 0n } as TestAccount;
});
export const federation = { id: 1, members: memberKeys.map((m) => ({ pubkey: m.pubkey, weight: 1, account: m.address })), threshold: 2 };
export const federationJson = { id: "1", members: memberKeys.map((m) => ({ pubkey: Buffer.from(m.pubkey).toString("base64"), weight: 1, account: m.address })), threshold: 2 };

export function depositScript(recipient: string): Uint8Array {
  return bitcoinFlow.depositAddress(REGTEST_CHAIN, federation, fromBech32(recipient, ADDRESS_PREFIX)).script;
}

/** Harnesses not closed yet. */
const open = new Set<Harness>();

/**
 * Closes every harness not closed yet: their apps, and removes their directories. The test files
 * register it (`afterAll(closeHarnesses)`); this module does not, so that it runs outside jest too
 * (bench/peg.ts).
 */
export async function closeHarnesses(): Promise<void> {
  for (const h of [...open]) await h.close();
}

export interface HarnessEvent {
  type: string;
  attributes: Record<string, string>;
}

function toEvents(events: ReadonlyArray<{ type: string; attributes: ReadonlyArray<{ key: string; value: string }> }>): HarnessEvent[] {
  return events.map((e) => ({ type: e.type, attributes: Object.fromEntries(e.attributes.map((a) => [a.key, a.value])) }));
}

export interface Harness {
  app: BaseApp;
  height: number;
  /** Seconds added to every later block's time (block n is at start + n + clockSkip). */
  clockSkip: bigint;
  accounts: TestAccount[];
  /** Runs one block of txs (with CometBFT's report of the last block's votes and misbehaviour) and commits it; returns the tx results. */
  block(txs: Uint8Array[], comet?: { votes?: VoteInfo[]; misbehavior?: Misbehavior[] }): Promise<Array<{ code: number; codespace: string; log: string; events: HarnessEvent[] }>>;
  /** The events of the last block outside its txs (EndBlock's). */
  blockEvents: HarnessEvent[];
  /** The validator updates InitChain answered, then those of the last block. */
  validatorUpdates: ValidatorUpdate[];
  tx(from: TestAccount, typeUrl: string, type: { encode(m: never): { finish(): Uint8Array }; create(o: object): unknown }, fields: object): Uint8Array;
  query<T>(method: string, reqType: { encode(m: never): { finish(): Uint8Array }; create(o: object): unknown }, req: object, resType: { decode(b: Uint8Array): T }): Promise<T>;
  balance(address: string, denom?: string): Promise<bigint>;
  /** Closes the app and removes its directory (once; later calls wait for the first). */
  close(): Promise<void>;
}

/**
 * A fresh app with the btc-regtest main chain (`overrides` replace its genesis fields), `extraBank`
 * balances, `extraAccounts` (e.g. the members of a later federation) in auth with upeg to spend, and
 * `pegGenesis` (e.g. `reserve`) added to the peg's genesis; `opts` adds main chains after it and sets
 * the first block's time (unix seconds).
 */
export async function newHarness(
  overrides: Record<string, unknown> = {},
  extraBank: Array<{ address: string; coins: Array<{ denom: string; amount: string }> }> = [],
  extraAccounts: TestAccount[] = [],
  pegGenesis: Record<string, unknown> = {},
  opts: { extraMainchains?: Array<Record<string, unknown>>; startTime?: bigint; kinds?: Readonly<Record<string, MainChainKind>>; extraAppState?: Record<string, unknown> } = {},
): Promise<Harness> {
  const accounts = [0, 1, 2, 3].map(account);
  for (const m of [...memberKeys, ...extraAccounts]) m.sequence = 0n;
  const all = [...accounts, ...memberKeys, ...extraAccounts];
  const appState = {
    auth: { accounts: all.map((a) => ({ "@type": "/cosmos.auth.v1beta1.BaseAccount", address: a.address, account_number: String(a.accountNumber), sequence: "0" })) },
    bank: { balances: balancesWith(all.map((a) => ({ address: a.address, coins: [{ denom: "upeg", amount: "100000000" }] })), extraBank) },
    peg: {
      ...pegGenesis,
      authority: accounts[3].address,
      mainchains: [
        bitcoinEntry({
          id: MAINCHAIN,
          client_type: "bitcoin",
          network: "regtest",
          confirmations: CONFIRMATIONS,
          min_deposit: "10000",
          peg_in_fee: "1000",
          reserve_cap: "1000000",
          reorg_limit: CONFIRMATIONS - 1,
          prune_window: 4032,
          min_withdrawal: "100000",
          batch_interval: 5,
          fee_rate: "10",
          max_fee: "50000",
          release_timeout: 20,
          federation: federationJson,
          checkpoint: genesisCheckpoint("regtest"),
          ...overrides,
        }),
        ...(opts.extraMainchains ?? []),
      ],
    },
    ...opts.extraAppState,
  };
  return harnessFromAppState(appState, accounts, { startTime: opts.startTime, kinds: opts.kinds });
}

type Balance = { address: string; coins: Array<{ denom: string; amount: string }> };

/** Genesis balances: `extra` coins join an address's entry (the bank takes one entry per address), sorted by denom. */
function balancesWith(base: Balance[], extra: Balance[]): Balance[] {
  const byAddress = new Map(base.map((b) => [b.address, { address: b.address, coins: [...b.coins] }]));
  for (const b of extra) {
    const entry = byAddress.get(b.address) ?? { address: b.address, coins: [] };
    entry.coins.push(...b.coins);
    entry.coins.sort((x, y) => (x.denom < y.denom ? -1 : 1));
    byAddress.set(b.address, entry);
  }
  return [...byAddress.values()];
}

/** A fresh app started from `appState` (e.g. another app's export); `accounts` are the harness's users. */
export async function harnessFromAppState(appState: unknown, accounts = [0, 1, 2, 3].map(account), opts: { startTime?: bigint; kinds?: Readonly<Record<string, MainChainKind>> } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "pegzone-peg-"));
  let app: BaseApp;
  try {
    app = await openPegzoneApp({ dbDir: dir, chainId: CHAIN_ID, minimumGasPrices: "0upeg", pruningKeepRecent: 10, minRetainBlocks: 0, logger, kinds: opts.kinds });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  // Bitcoin regtest genesis is from 2011; pegzone's clock starts just after the test chain's blocks.
  const startTime = opts.startTime ?? 1_296_688_602n + 600n * 5000n;
  let closed: Promise<void> | undefined;
  const h: Harness = {
    app,
    height: 0,
    clockSkip: 0n,
    accounts,
    blockEvents: [],
    validatorUpdates: [],
    async block(txs, comet = {}) {
      h.height++;
      const res = await app.finalizeBlock({
        txs, decidedLastCommit: { round: 0, votes: comet.votes ?? [] }, misbehavior: comet.misbehavior ?? [], hash: new Uint8Array(32), height: BigInt(h.height),
        time: { seconds: startTime + BigInt(h.height) + h.clockSkip, nanos: 0 }, nextValidatorsHash: new Uint8Array(32), proposerAddress: new Uint8Array(20),
      });
      await app.commit({});
      h.blockEvents = toEvents(res.events);
      h.validatorUpdates = res.validatorUpdates;
      return res.txResults.map((r) => ({ code: r.code, codespace: r.codespace, log: r.log, events: toEvents(r.events) }));
    },
    tx(from, typeUrl, type, fields) {
      const msg: Any = { typeUrl, value: type.encode(type.create(fields) as never).finish() };
      const bytes = signDirect(
        { messages: [msg], memo: "", fee: { amount: [], gasLimit: 50_000_000n }, sequence: from.sequence },
        { pubkey: from.pubkey, sign: (b) => signSecp256k1(from.privateKey, b) },
        CHAIN_ID,
        from.accountNumber,
      );
      from.sequence++;
      return bytes;
    },
    async query(method, reqType, req, resType) {
      const res = await app.query({ path: `/pegzone.peg.v1.Query/${method}`, data: reqType.encode(reqType.create(req) as never).finish(), height: 0n, prove: false });
      if (res.code !== 0) throw new Error(`${method}: ${res.codespace}/${res.code} ${res.log}`);
      return resType.decode(res.value);
    },
    async balance(address, denom = DENOM) {
      const res = await app.query({ path: "/cosmos.bank.v1beta1.Query/Balance", data: QueryBalanceRequest.encode({ address, denom }).finish(), height: 0n, prove: false });
      return BigInt(QueryBalanceResponse.decode(res.value).balance!.amount);
    },
    close() {
      closed ??= (async () => {
        open.delete(h);
        try {
          await app.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      })();
      return closed;
    },
  };
  open.add(h);
  try {
    const init = await app.initChain({ time: { seconds: startTime, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: Buffer.from(JSON.stringify(appState)), initialHeight: 1n });
    h.validatorUpdates = init.validators;
  } catch (e) {
    await h.close();
    throw e;
  }
  return h;
}

export const relay = (h: Harness, headers: Uint8Array[], from = h.accounts[2]) =>
  h.tx(from, pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: from.address, mainchain: MAINCHAIN, headers });

export interface ClaimFields {
  tx: Uint8Array;
  vout: number;
  blockHash: string;
  merkleProof: Uint8Array;
  recipient: string;
}

export const claim = (h: Harness, { recipient, ...proof }: ClaimFields, from = h.accounts[2]) =>
  h.tx(from, pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: from.address, mainchain: MAINCHAIN, recipient, proof: bitcoinDepositProof(proof) });

/** Everything the peg-in may change, to compare before and after a refused claim. */
export async function pegState(h: Harness) {
  const reserve = await h.query("Reserve", v1.QueryReserveRequest, { mainchain: MAINCHAIN }, v1.QueryReserveResponse);
  const balances = await Promise.all(h.accounts.map((a) => h.balance(a.address)));
  return JSON.stringify({ reserve: v1.QueryReserveResponse.toObject(reserve, { longs: String, bytes: String }), balances: balances.map(String) });
}

/** A chain where block 1 holds a deposit of `amount` to account 0's deposit address, confirmed `CONFIRMATIONS` times and relayed. */
export async function depositScenario(amount = 50_000n, opts: { confirmations?: number } = {}) {
  const h = await newHarness();
  const btc = new TestBitcoinChain();
  const recipient = h.accounts[0].address;
  const depositTx = testTx("deposit", [
    { value: 1234n, scriptPubKey: Uint8Array.of(0x51) },
    { value: amount, scriptPubKey: depositScript(recipient) },
  ]);
  const block = btc.mine([depositTx]);
  btc.mineEmpty((opts.confirmations ?? CONFIRMATIONS) - 1);
  const res = await h.block([relay(h, btc.headers(1))]);
  if (res[0].code !== 0) throw new Error(`relaying the deposit's headers failed: ${JSON.stringify(res[0])}`);
  const valid: ClaimFields = { tx: depositTx, vout: 1, blockHash: block.hash, merkleProof: btc.proof(block, 1), recipient };
  return { h, btc, block, depositTx, valid, recipient };
}

