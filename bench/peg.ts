/**
 * Peg benchmarks, in process (no CometBFT): the peg tests' harness (modules/peg/test-harness.ts), an
 * app over a temporary LevelDB directory with a btc-regtest main chain and a 2-of-3 federation, fed
 * blocks straight through FinalizeBlock + Commit.
 *
 *  1. Deposit claims through the full app: a regtest chain (TestBitcoinChain: real Merkle roots and
 *     proof of work) whose blocks hold 50 deposits each, every one to a distinct recipient's deposit
 *     address, relayed in one MsgRelayHeaders; then blocks of 100 MsgClaimDeposit txs (one claim per
 *     tx, 10 claimer accounts) are timed from FinalizeBlock to the end of Commit.
 *  2. Release signatures: `verifyReleaseSignature` alone on BIP143 digests (one core), then through
 *     the app: 10 releases of 20 inputs each, built by the chain from withdrawals, and the members'
 *     MsgSubmitReleaseSignatures (20 signatures per tx) in one block per member.
 *  3. Release size and fee for 1, 10 and 100 requests, built by `bitcoinFlow.buildRelease` (fee rate
 *     10 sat/vB, max fee not capping) from 0.01 BTC reserve outputs: the builder's estimated vsize and
 *     fee, and the real vsize of the same release assembled with 2 of 3 signatures.
 *
 * Every tx of a timed block must succeed (code 0), or the benchmark throws.
 *
 *   npx tsc -p tsconfig.bench.json && node -e 'require("./.bench-build/bench/peg.js").benchPeg().then(r=>console.log(r))'
 */
import * as btc from "@scure/btc-signer";
import { createHash } from "node:crypto";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { parseTx } from "../light-client/bitcoin/tx";
import { addressNetwork, parseWithdrawalAddress } from "../modules/peg/bitcoin/address";
import { bitcoinFlow } from "../modules/peg/bitcoin/kind";
import { bitcoinDepositProof, utxoEntry } from "../modules/peg/bitcoin/peg-flow";
import { buildRelease } from "../modules/peg/bitcoin/release";
import { maxSignatures, p2wsh, reserveWitnessScript } from "../modules/peg/bitcoin/script";
import { signReleaseInput, verifyReleaseSignature } from "../modules/peg/bitcoin/sign";
import type { ReleaseUtxo } from "../modules/peg/bitcoin/types";
import type { BuiltRelease, ReleasePayment } from "../modules/peg/kinds";
import { pegTypeUrls } from "../modules/peg/msgs";
import { builtFromRelease } from "../modules/peg/releases";
import { CONFIRMATIONS, depositScript, federation, type Harness, MAINCHAIN, memberKeys as members, newHarness, type TestAccount } from "../test/support/peg-harness";
import { REGTEST_CHAIN, TestBitcoinChain, testTx } from "../test/support/peg";
import { pegzone } from "../proto";
import { type BenchResult, printResults } from "./result";

const v1 = pegzone.peg.v1;

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

/** The harness's main chain with these changes (its 2-of-3 federation, `federation`, and its members, `memberKeys`). */
const GENESIS_OVERRIDES = {
  peg_in_fee: PEG_IN_FEE.toString(),
  reserve_cap: "2100000000000000",
  min_withdrawal: "200000",
  batch_interval: 1, // every block with a pending withdrawal builds a release
  max_fee: "100000",
  release_timeout: 0, // no replacement while signatures are collected
};

function keyFrom(seed: string): { privateKey: Uint8Array; pubkey: Uint8Array } {
  const privateKey = createHash("sha256").update(seed).digest();
  return { privateKey, pubkey: publicKeyFromPrivate(privateKey) };
}

function newAccount(seed: string, accountNumber: number): TestAccount {
  const { privateKey, pubkey } = keyFrom(seed);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(accountNumber), sequence: 0n };
}

const REGTEST_ADDRESSES = addressNetwork("regtest");
/** A distinct P2WPKH regtest withdrawal address per index. */
function destination(i: number): string {
  return btc.p2wpkh(keyFrom(`pegzone peg bench destination ${i}`).pubkey, REGTEST_ADDRESSES).address!;
}

/** FinalizeBlock + Commit of a block whose every tx must succeed (`h.block`, which also turns the results' events into plain objects after Commit); the milliseconds it took. */
async function okBlock(h: Harness, what: string, txs: Uint8Array[]): Promise<number> {
  const t0 = performance.now();
  const results = await h.block(txs);
  const ms = performance.now() - t0;
  if (results.length !== txs.length) throw new Error(`bench peg: ${what}: ${results.length} results for ${txs.length} txs`);
  results.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`bench peg: ${what}: tx ${i} failed with ${r.codespace}/${r.code}: ${r.log}`);
  });
  return ms;
}

async function releases(h: Harness, status: pegzone.peg.v1.ReleaseStatus) {
  const res = await h.query("Releases", v1.QueryReleasesRequest, { mainchain: MAINCHAIN, status }, v1.QueryReleasesResponse);
  return res.releases.map((r) => v1.Release.create(r));
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
        { value: DEPOSIT_VALUE, scriptPubKey: depositScript(recipient) },
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
  // Account numbers after the harness's own (0-3) and its federation members' (10-12).
  const claimers = Array.from({ length: CLAIMERS }, (_, i) => newAccount(`pegzone peg bench claimer ${i}`, 20 + i));
  const withdrawer = claimers[0];
  const h = await newHarness(GENESIS_OVERRIDES, [], claimers);
  try {
    // The main chain: the withdrawer's own deposits (claimed before timing, they fund the releases), then
    // one deposit per distinct recipient for the timed claims, then the confirmations.
    const chain = new TestBitcoinChain();
    const fundDeposits = mineDeposits(chain, Array(WARMUP_CLAIM_BLOCKS * CLAIMS_PER_BLOCK).fill(withdrawer.address), "withdrawer");
    const timedDeposits = mineDeposits(chain, Array.from({ length: CLAIM_BLOCKS * CLAIMS_PER_BLOCK }, (_, i) => recipientAddress(i)), "bench");
    chain.mineEmpty(CONFIRMATIONS - 1);
    await okBlock(h, "relay", [
      h.tx(claimers[1], pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: claimers[1].address, mainchain: MAINCHAIN, headers: chain.headers(1) }),
    ]);

    // One claim per tx, the claimers in turn (so every account has several txs in a block, in sequence).
    const claimTxs = (deposits: Deposit[]) =>
      deposits.map((d, i) => {
        const from = claimers[i % CLAIMERS];
        return h.tx(from, pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: from.address, mainchain: MAINCHAIN, recipient: d.recipient, proof: bitcoinDepositProof(d) });
      });
    for (let b = 0; b < WARMUP_CLAIM_BLOCKS; b++) await okBlock(h, `warm-up claims ${b}`, claimTxs(fundDeposits.slice(b * CLAIMS_PER_BLOCK, (b + 1) * CLAIMS_PER_BLOCK)));
    const blocks = Array.from({ length: CLAIM_BLOCKS }, (_, b) => claimTxs(timedDeposits.slice(b * CLAIMS_PER_BLOCK, (b + 1) * CLAIMS_PER_BLOCK)));
    const claimMs: number[] = [];
    for (const [b, txs] of blocks.entries()) claimMs.push(await okBlock(h, `claims block ${b}`, txs));
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
      await okBlock(h, `withdrawal ${r}`, [
        h.tx(withdrawer, pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawal, { owner: withdrawer.address, mainchain: MAINCHAIN, amount: WITHDRAWAL.toString(), destination: destination(r) }),
      ]);
    // The many deposits also make the chain consolidate its smallest outputs: that release is not timed here.
    const signing = (await releases(h, v1.ReleaseStatus.RELEASE_STATUS_SIGNING)).filter((r) => r.withdrawalIds.length > 0);
    if (signing.length !== RELEASES || signing.some((r) => r.inputs.length !== RELEASE_INPUTS))
      throw new Error(`bench peg: expected ${RELEASES} releases of ${RELEASE_INPUTS} inputs, got [${signing.map((r) => r.inputs.length).join(", ")}]`);
    const digests = signing.map((r) => bitcoinFlow.releaseDigests(builtFromRelease(r)));
    const submit = (m: TestAccount) =>
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
    const firstMs = await okBlock(h, "first signatures", first);
    const secondMs = await okBlock(h, "completing signatures", second);
    const signed = (await releases(h, v1.ReleaseStatus.RELEASE_STATUS_SIGNED)).filter((r) => r.withdrawalIds.length > 0);
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
  const vectors = bitcoinFlow.releaseDigests(release).flatMap((digest) => members.map((m) => ({ pubkey: m.pubkey, digest, signature: signReleaseInput(m.privateKey, digest) })));
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
    name: "verifyReleaseSignature (BIP143 digests, libsecp256k1)",
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
  const entries = utxos.map((u) => utxoEntry(u, p2wsh(reserveScript)));
  const feeRate = 10n;
  for (const n of [1, 10, 100]) {
    const payments: ReleasePayment[] = Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      script: parseWithdrawalAddress("regtest", destination(1000 + i)),
      amount: 250_000n + BigInt(i) * 1_000n,
    }));
    const built = bitcoinFlow.buildRelease({ chain: REGTEST_CHAIN, entries, payments, feeRate, maxFee: 100_000_000n, federation });
    // The size estimate is the bitcoin builder's own (the generic release carries none): the same release, built directly.
    const direct = buildRelease({ utxos, payments, feeRate, maxFee: 100_000_000n, changeWitnessScript: reserveScript, signersPerInput: maxSignatures(reserveScript) });
    if (!Buffer.from(direct.tx).equals(Buffer.from(built.payload))) throw new Error("bench peg: the flow's release differs from the bitcoin builder's");
    const estimated = direct.vsize;
    if (built.fee !== feeRate * BigInt(estimated)) throw new Error(`bench peg: fee ${built.fee} is not ${feeRate} x ${estimated} vB (capped?)`);
    const digests = bitcoinFlow.releaseDigests(built);
    const perInput = digests.map((d) => new Map([0, 1].map((j) => [j, signReleaseInput(members[j].privateKey, d)] as const)));
    const signed = parseTx(bitcoinFlow.assembleRelease(built, federation, perInput));
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
