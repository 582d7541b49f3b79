/**
 * Peg benchmarks, in process (no CometBFT): an app over a temporary LevelDB directory with a
 * btc-regtest main chain and a 2-of-3 federation, fed blocks straight through FinalizeBlock + Commit.
 *
 *  1. Deposit claims through the full app: a regtest chain (TestBitcoinChain: real Merkle roots and
 *     proof of work) whose blocks hold 50 deposits each, every one to a distinct recipient's deposit
 *     address, relayed in one MsgRelayHeaders; then blocks of 100 MsgClaimDeposit txs (one claim per
 *     tx, 10 claimer accounts) are timed from FinalizeBlock to the end of Commit.
 *  2. Release signatures: `verifyReleaseSignature` alone on BIP143 digests (one core), then through
 *     the app: 10 releases of 20 inputs each, built by the chain from withdrawals, and the members'
 *     MsgSubmitReleaseSignatures (20 signatures per tx) in one block per member.
 *  3. Release size and fee for 1, 10 and 100 requests, built by `bitcoinKind.buildRelease` (fee rate
 *     10 sat/vB, max fee not capping) from 0.01 BTC reserve outputs: the builder's estimated vsize and
 *     fee, and the real vsize of the same release assembled with 2 of 3 signatures.
 *
 * Every tx of a timed block must succeed (code 0), or the benchmark throws.
 *
 *   npx tsc -p . && node -e 'require("./dist/bench/peg.js").benchPeg().then(r=>console.log(r))'
 */
import * as btc from "@scure/btc-signer";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { PegzoneApp } from "../chain/app/app";
import { openPegzoneApp } from "../chain/app/pegzone";
import { ADDRESS_PREFIX, addressFromPubkey, fromBech32, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate, signSecp256k1 } from "../chain/crypto/secp256k1";
import { signDirect } from "../chain/tx/build";
import { genesisCheckpoint } from "../light-client/bitcoin/client";
import { parseTx } from "../light-client/bitcoin/tx";
import { addressNetwork, bitcoinKind, reserveWitnessScript } from "../modules/peg/bitcoin/kind";
import { parseWithdrawalAddress, signReleaseInput, verifyReleaseSignature } from "../modules/peg/bitcoin/release";
import type { BuiltRelease, Federation, ReleasePayment, ReleaseUtxo } from "../modules/peg/kinds";
import { pegTypeUrls } from "../modules/peg/msgs";
import { builtFromRelease } from "../modules/peg/releases";
import { TestBitcoinChain, testTx } from "../modules/peg/testing";
import { pegzone } from "../proto";
import { type BenchResult, printResults } from "./result";

const v1 = pegzone.peg.v1;
const CHAIN_ID = "pegzone-peg-bench";
const MAINCHAIN = "btc-regtest";
const CONFIRMATIONS = 3;
const logger = pino({ level: process.env.PEG_BENCH_LOG ?? "silent" });

// Workload sizes.
const CLAIMERS = 10;
const DEPOSITS_PER_BTC_BLOCK = 50;
const CLAIM_BLOCKS = 10;
const CLAIMS_PER_BLOCK = 100;
const WARMUP_CLAIM_BLOCKS = 2; // claims of the deposits that fund the withdrawals, run before timing
const DEPOSIT_VALUE = 100_000n;
const PEG_IN_FEE = 1_000n;
const RELEASES = 10;
const RELEASE_INPUTS = 20;
/** Needs exactly RELEASE_INPUTS deposits of DEPOSIT_VALUE: more than 19 of them, at most 20. */
const WITHDRAWAL = DEPOSIT_VALUE * BigInt(RELEASE_INPUTS) - DEPOSIT_VALUE / 2n;

interface Account {
  privateKey: Uint8Array;
  pubkey: Uint8Array;
  address: string;
  accountNumber: bigint;
  sequence: bigint;
}

function keyFrom(seed: string): { privateKey: Uint8Array; pubkey: Uint8Array } {
  const privateKey = createHash("sha256").update(seed).digest();
  return { privateKey, pubkey: publicKeyFromPrivate(privateKey) };
}

function newAccount(seed: string, accountNumber: number): Account {
  const { privateKey, pubkey } = keyFrom(seed);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(accountNumber), sequence: 0n };
}

// The federation of the peg tests' harness: 2 of 3, equal weights, each member submitting from its own key's account.
const members = [0, 1, 2].map((i) => newAccount(`federation member ${i}`, CLAIMERS + i));
const federation: Federation = { id: 1, members: members.map((m) => ({ pubkey: m.pubkey, weight: 1, account: m.address })), threshold: 2 };
const federationJson = { id: "1", members: members.map((m) => ({ pubkey: Buffer.from(m.pubkey).toString("base64"), weight: 1, account: m.address })), threshold: 2 };

const REGTEST_ADDRESSES = addressNetwork("regtest");
/** A distinct P2WPKH regtest withdrawal address per index. */
function destination(i: number): string {
  return btc.p2wpkh(keyFrom(`pegzone peg bench destination ${i}`).pubkey, REGTEST_ADDRESSES).address!;
}

type Encodable = { encode(m: never): { finish(): Uint8Array }; create(o: object): unknown };

/** An in-process app and what it takes to feed it blocks (after test-harness.ts, without jest). */
class BenchApp {
  height = 0;
  private constructor(
    readonly app: PegzoneApp,
    readonly dir: string,
    private readonly startTime: bigint,
  ) {}

  static async open(accounts: readonly Account[], authority: string): Promise<BenchApp> {
    const dir = mkdtempSync(join(tmpdir(), "pegzone-peg-bench-"));
    const app = await openPegzoneApp({ dbDir: dir, chainId: CHAIN_ID, minimumGasPrices: "0upeg", pruningKeepRecent: 10, minRetainBlocks: 0, logger });
    const appState = {
      auth: { accounts: accounts.map((a) => ({ "@type": "/cosmos.auth.v1beta1.BaseAccount", address: a.address, account_number: String(a.accountNumber), sequence: "0" })) },
      bank: { balances: accounts.map((a) => ({ address: a.address, coins: [{ denom: "upeg", amount: "100000000" }] })) },
      peg: {
        authority,
        mainchains: [
          {
            id: MAINCHAIN,
            client_type: "bitcoin",
            network: "regtest",
            confirmations: CONFIRMATIONS,
            min_deposit: "10000",
            peg_in_fee: PEG_IN_FEE.toString(),
            reserve_cap: "2100000000000000",
            reorg_limit: CONFIRMATIONS - 1,
            prune_window: 4032,
            min_withdrawal: "200000",
            batch_interval: 1, // every block with a pending withdrawal builds a release
            fee_rate: "10",
            max_fee: "100000",
            release_timeout: 0, // no replacement while signatures are collected
            federation: federationJson,
            checkpoint: genesisCheckpoint("regtest"),
          },
        ],
      },
    };
    // Regtest genesis is from 2011; pegzone's clock starts after the test chain's blocks (as in test-harness.ts).
    const startTime = 1_296_688_602n + 600n * 5000n;
    await app.initChain({ time: { seconds: startTime, nanos: 0 }, chainId: CHAIN_ID, consensusParams: undefined, validators: [], appStateBytes: Buffer.from(JSON.stringify(appState)), initialHeight: 1n });
    return new BenchApp(app, dir, startTime);
  }

  /** FinalizeBlock + Commit of one block; the tx results and the milliseconds both took. */
  async block(txs: Uint8Array[]): Promise<{ results: Array<{ code: number; codespace: string; log: string }>; ms: number }> {
    this.height++;
    const t0 = performance.now();
    const res = await this.app.finalizeBlock({
      txs,
      decidedLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      hash: new Uint8Array(32),
      height: BigInt(this.height),
      time: { seconds: this.startTime + BigInt(this.height), nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    });
    await this.app.commit({});
    const ms = performance.now() - t0;
    return { results: res.txResults.map((r) => ({ code: r.code, codespace: r.codespace, log: r.log })), ms };
  }

  /** A block whose every tx must succeed. */
  async okBlock(what: string, txs: Uint8Array[]): Promise<number> {
    const { results, ms } = await this.block(txs);
    if (results.length !== txs.length) throw new Error(`bench peg: ${what}: ${results.length} results for ${txs.length} txs`);
    results.forEach((r, i) => {
      if (r.code !== 0) throw new Error(`bench peg: ${what}: tx ${i} failed with ${r.codespace}/${r.code}: ${r.log}`);
    });
    return ms;
  }

  tx(from: Account, typeUrl: string, type: Encodable, fields: object): Uint8Array {
    const msg: Any = { typeUrl, value: type.encode(type.create(fields) as never).finish() };
    const bytes = signDirect(
      { messages: [msg], memo: "", fee: { amount: [], gasLimit: 50_000_000n }, sequence: from.sequence },
      { pubkey: from.pubkey, sign: (b) => signSecp256k1(from.privateKey, b) },
      CHAIN_ID,
      from.accountNumber,
    );
    from.sequence++;
    return bytes;
  }

  async releases(status: pegzone.peg.v1.ReleaseStatus) {
    const res = await this.app.query({
      path: "/pegzone.peg.v1.Query/Releases",
      data: v1.QueryReleasesRequest.encode(v1.QueryReleasesRequest.create({ mainchain: MAINCHAIN, status })).finish(),
      height: 0n,
      prove: false,
    });
    if (res.code !== 0) throw new Error(`bench peg: Releases query: ${res.codespace}/${res.code} ${res.log}`);
    return v1.QueryReleasesResponse.decode(res.value).releases.map((r) => v1.Release.create(r));
  }

  async close(): Promise<void> {
    try {
      await this.app.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

interface Deposit {
  tx: Uint8Array;
  vout: number;
  blockHash: string;
  merkleProof: Uint8Array;
  recipient: string;
}

/** Mines deposits of DEPOSIT_VALUE to `recipients` (one tx each, output 1), DEPOSITS_PER_BTC_BLOCK per block. */
function mineDeposits(chain: TestBitcoinChain, recipients: readonly string[], tag: string): Deposit[] {
  const deposits: Deposit[] = [];
  for (let i = 0; i < recipients.length; i += DEPOSITS_PER_BTC_BLOCK) {
    const batch = recipients.slice(i, i + DEPOSITS_PER_BTC_BLOCK);
    const txs = batch.map((recipient, j) =>
      testTx(`${tag} deposit ${i + j}`, [
        { value: 1234n, scriptPubKey: Uint8Array.of(0x51) },
        { value: DEPOSIT_VALUE, scriptPubKey: bitcoinKind.depositAddress("regtest", federation, fromBech32(recipient, ADDRESS_PREFIX)).script },
      ]),
    );
    const block = chain.mine(txs);
    txs.forEach((tx, j) => deposits.push({ tx, vout: 1, blockHash: block.hash, merkleProof: chain.proof(block, j + 1), recipient: batch[j] }));
  }
  return deposits;
}

/** A recipient with no key or account of its own (the claim mints to it). */
function recipientAddress(i: number): string {
  return toBech32(ADDRESS_PREFIX, createHash("sha256").update(`pegzone peg bench recipient ${i}`).digest().subarray(0, 20));
}

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (ms: number[]) => `${Math.round(Math.min(...ms))}–${Math.round(Math.max(...ms))} ms`;

/** Figures 1 and 2 (through the app): claims, then releases and their signatures. */
async function benchApp(): Promise<{ claims: BenchResult[]; signatures: BenchResult[]; release: BuiltRelease }> {
  const claims: BenchResult[] = [];
  const signatures: BenchResult[] = [];
  const claimers = Array.from({ length: CLAIMERS }, (_, i) => newAccount(`pegzone peg bench claimer ${i}`, i));
  for (const m of members) m.sequence = 0n;
  const withdrawer = claimers[0];
  const h = await BenchApp.open([...claimers, ...members], claimers[CLAIMERS - 1].address);
  try {
    // The main chain: the withdrawer's own deposits (claimed before timing, they fund the releases), then
    // one deposit per distinct recipient for the timed claims, then the confirmations.
    const chain = new TestBitcoinChain();
    const fundDeposits = mineDeposits(chain, Array(WARMUP_CLAIM_BLOCKS * CLAIMS_PER_BLOCK).fill(withdrawer.address), "withdrawer");
    const timedDeposits = mineDeposits(chain, Array.from({ length: CLAIM_BLOCKS * CLAIMS_PER_BLOCK }, (_, i) => recipientAddress(i)), "bench");
    chain.mineEmpty(CONFIRMATIONS - 1);
    await h.okBlock("relay", [
      h.tx(claimers[1], pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: claimers[1].address, mainchain: MAINCHAIN, headers: chain.headers(1) }),
    ]);

    // One claim per tx, the claimers in turn (so every account has several txs in a block, in sequence).
    const claimTxs = (deposits: Deposit[]) =>
      deposits.map((d, i) => {
        const from = claimers[i % CLAIMERS];
        return h.tx(from, pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: from.address, mainchain: MAINCHAIN, ...d });
      });
    for (let b = 0; b < WARMUP_CLAIM_BLOCKS; b++) await h.okBlock(`warm-up claims ${b}`, claimTxs(fundDeposits.slice(b * CLAIMS_PER_BLOCK, (b + 1) * CLAIMS_PER_BLOCK)));
    const blocks = Array.from({ length: CLAIM_BLOCKS }, (_, b) => claimTxs(timedDeposits.slice(b * CLAIMS_PER_BLOCK, (b + 1) * CLAIMS_PER_BLOCK)));
    const claimMs: number[] = [];
    for (const [b, txs] of blocks.entries()) claimMs.push(await h.okBlock(`claims block ${b}`, txs));
    const totalClaimMs = claimMs.reduce((a, b) => a + b, 0);
    claims.push({
      name: `MsgClaimDeposit through FinalizeBlock + Commit`,
      value: rate(CLAIM_BLOCKS * CLAIMS_PER_BLOCK, totalClaimMs),
      unit: "claims/s",
      note:
        `${CLAIM_BLOCKS} blocks x ${CLAIMS_PER_BLOCK} txs of one claim each from ${CLAIMERS} accounts, all code 0; ` +
        `proofs into regtest blocks of ${DEPOSITS_PER_BTC_BLOCK} deposits to distinct recipients; ${range(claimMs)} per block (median block ${rate(CLAIMS_PER_BLOCK, median(claimMs)).toLocaleString("en-US")} claims/s); LevelDB in a temp dir`,
    });

    // Releases: one withdrawal per block, each built at once (batch_interval 1) into a release of RELEASE_INPUTS inputs.
    for (let r = 0; r < RELEASES; r++)
      await h.okBlock(`withdrawal ${r}`, [
        h.tx(withdrawer, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: withdrawer.address, mainchain: MAINCHAIN, amount: WITHDRAWAL.toString(), destination: destination(r) }),
      ]);
    const signing = await h.releases(v1.ReleaseStatus.RELEASE_STATUS_SIGNING);
    if (signing.length !== RELEASES || signing.some((r) => r.inputs.length !== RELEASE_INPUTS))
      throw new Error(`bench peg: expected ${RELEASES} releases of ${RELEASE_INPUTS} inputs, got [${signing.map((r) => r.inputs.length).join(", ")}]`);
    const digests = signing.map((r) => bitcoinKind.releaseDigests(builtFromRelease(r)));
    const submit = (m: Account) =>
      signing.map((r, k) =>
        h.tx(m, pegTypeUrls.submitReleaseSignatures, v1.MsgSubmitReleaseSignatures, {
          signer: m.address,
          mainchain: MAINCHAIN,
          releaseId: Number(r.id),
          signatures: digests[k].map((d) => signReleaseInput(m.privateKey, d)),
        }),
      );
    const first = submit(members[0]);
    const second = submit(members[1]);
    const sigCount = RELEASES * RELEASE_INPUTS;
    const firstMs = await h.okBlock("first signatures", first);
    const secondMs = await h.okBlock("completing signatures", second);
    const signed = await h.releases(v1.ReleaseStatus.RELEASE_STATUS_SIGNED);
    if (signed.length !== RELEASES) throw new Error(`bench peg: ${signed.length} of ${RELEASES} releases signed`);
    signatures.push({
      name: "Release signatures through the app: first member",
      value: rate(sigCount, firstMs),
      unit: "signatures/s",
      note: `one block of ${RELEASES} MsgSubmitReleaseSignatures (one per release of ${RELEASE_INPUTS} inputs), ${sigCount} signatures verified and stored; ${Math.round(firstMs)} ms incl. Commit`,
    });
    signatures.push({
      name: "Release signatures through the app: completing member",
      value: rate(sigCount, secondMs),
      unit: "signatures/s",
      note: `the second member's ${RELEASES} txs, each reaching 2 of 3: ${sigCount} verified, then assembling ${RELEASES} signed txs verifies both members' again; ${Math.round(secondMs)} ms`,
    });
    return { claims, signatures, release: builtFromRelease(signing[0]) };
  } finally {
    await h.close();
  }
}

/** verifyReleaseSignature alone over the digests of one release, each signed by every member. */
function benchVerify(release: BuiltRelease, results: BenchResult[]): void {
  const vectors = bitcoinKind.releaseDigests(release).flatMap((digest) => members.map((m) => ({ pubkey: m.pubkey, digest, signature: signReleaseInput(m.privateKey, digest) })));
  for (const v of vectors) if (!verifyReleaseSignature(v.pubkey, v.digest, v.signature)) throw new Error("bench peg: a release signature does not verify");
  let best = 0;
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < 700) {
      for (const v of vectors) if (!verifyReleaseSignature(v.pubkey, v.digest, v.signature)) throw new Error("bench peg: verification failed");
      n += vectors.length;
      elapsed = performance.now() - t0;
    }
    rounds.push(rate(n, elapsed));
    best = Math.max(best, rate(n, elapsed));
  }
  results.push({
    name: "verifyReleaseSignature (BIP143 digests, @noble/curves)",
    value: best,
    unit: "signatures/s",
    note: `one core; ${vectors.length} signatures (${release.inputs.length} inputs x 3 members), best of 3 rounds of 0.7 s (${rounds.map((r) => r.toLocaleString("en-US")).join(", ")})`,
  });
}

/** Estimated and real size and fee of releases paying 1, 10 and 100 requests. */
function benchReleaseSize(results: BenchResult[]): void {
  const reserveScript = reserveWitnessScript(federation);
  const utxos: ReleaseUtxo[] = Array.from({ length: 200 }, (_, i) => ({
    txid: createHash("sha256").update(`pegzone peg bench reserve ${i}`).digest("hex"),
    vout: i % 4,
    value: 1_000_000n, // 0.01 BTC
    witnessScript: reserveScript,
  }));
  const feeRate = 10n;
  for (const n of [1, 10, 100]) {
    const payments: ReleasePayment[] = Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      script: parseWithdrawalAddress("regtest", destination(1000 + i)),
      amount: 250_000n + BigInt(i) * 1_000n,
    }));
    const built = bitcoinKind.buildRelease({ utxos, payments, feeRate, maxFee: 100_000_000n, federation });
    const estimated = (built as BuiltRelease & { vsize?: number }).vsize;
    if (estimated === undefined) throw new Error("bench peg: the bitcoin kind's release carries no vsize estimate");
    if (built.fee !== feeRate * BigInt(estimated)) throw new Error(`bench peg: fee ${built.fee} is not ${feeRate} x ${estimated} vB (capped?)`);
    const digests = bitcoinKind.releaseDigests(built);
    const perInput = digests.map((d) => new Map([0, 1].map((j) => [j, signReleaseInput(members[j].privateKey, d)] as const)));
    const signed = parseTx(bitcoinKind.assembleRelease(built, federation, perInput));
    const weight = signed.strippedSize * 3 + signed.size;
    const vsize = Math.ceil(weight / 4);
    if (vsize > estimated) throw new Error(`bench peg: signed vsize ${vsize} is over the estimate ${estimated}`);
    const plural = (k: number, word: string) => `${k} ${word}${k === 1 ? "" : "s"}`;
    const shape = `${plural(built.inputs.length, "input")} of 0.01 BTC, ${plural(built.outputs.length, "output")} (${n} P2WPKH${built.change ? " + change" : ""})`;
    results.push({ name: `Release, ${n} request${n === 1 ? "" : "s"}: estimated vsize`, value: estimated, unit: "vB", note: `${shape}; 2-of-3 P2WSH inputs, worst-case 73-byte signatures` });
    results.push({ name: `Release, ${n} request${n === 1 ? "" : "s"}: fee`, value: Number(built.fee), unit: "sat", note: `10 sat/vB x estimate, not capped; ${Number(built.fee / BigInt(n)).toLocaleString("en-US")} sat per request` });
    results.push({
      name: `Release, ${n} request${n === 1 ? "" : "s"}: signed vsize (2 of 3 signatures)`,
      value: vsize,
      unit: "vB",
      note: `weight ${weight} = stripped ${signed.strippedSize} x 3 + size ${signed.size}; ${estimated - vsize} vB under the estimate, paid ${(Number(built.fee) / vsize).toFixed(2)} sat/vB`,
    });
  }
}

export async function benchPeg(): Promise<BenchResult[]> {
  const { claims, signatures, release } = await benchApp();
  const results: BenchResult[] = [...claims];
  benchVerify(release, results);
  results.push(...signatures);
  benchReleaseSize(results);
  return results;
}

if (require.main === module) {
  benchPeg()
    .then((r) => printResults("Peg (in-process app)", r))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
