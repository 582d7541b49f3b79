/**
 * Cosmos Hub claims (issue 12), in process, one core: MsgClaimDeposit with a
 * /pegzone.peg.tendermint.v1.DepositProof (the tx + its TxProof against header H's data_hash, its
 * result + Merkle path against header H+1's last_results_hash).
 *
 *  1. `tendermintDeposits.proveDeposit` alone (the DepositProof decoded, the client's status and both
 *     consensus states read, both Merkle paths verified, the tx decoded into a transfer, the
 *     federation's multisig account derived and matched), against Hub blocks of 1, 100 and 1,000 txs
 *     (paths of 0, 4–7 and 8–10 aunts), next to the light client's part alone (`proveTransaction` +
 *     `requireTxSuccess`); for the 1,000-tx block also the flow's two other costs alone: the tx
 *     decoded into a transfer (`decodeTransfer`) and the federation's account derived
 *     (`federationAccount`). The store is an in-memory KVStore holding the client (test/support's
 *     `initializedClient`), every claim of the block in turn; best of 3 rounds.
 *  2. Claims through the whole app (FinalizeBlock + Commit on LevelDB, the peg tests' harness, as
 *     bench/peg.ts does for bitcoin): pegzone relays headers H and H+1 of two Hub blocks (1,100 and
 *     1,000 deposits); one pegzone block of 100 claims warms up, then 10 blocks of 100 claims and one
 *     block of 1,000 claims are timed from FinalizeBlock to the end of Commit. Each claim is its own
 *     signed pegzone tx (10 claimer accounts in turn, secp256k1 verified in FinalizeBlock: the harness
 *     has no CheckTx to remember it), one deposit of 50,000 uatom to its own recipient.
 *
 * The Hub is synthetic (test/support/tendermint.ts: four ed25519 validators, signed headers whose
 * data_hash and last_results_hash commit to the txs and results given here). Its txs are bank
 * MsgSends to the federation's multisig account (computed by the production flow) with the
 * recipient as memo, built with cosmjs-types in a gaiad tx's shape and size (a secp256k1 signer
 * info, a fee, one 64-byte signature; ~362 bytes): the light client proves inclusion, not the Hub's
 * signatures, so those bytes are not a real signature. Every claim must succeed, or the bench throws.
 *
 *   npx tsc -p tsconfig.bench.json && node .bench-build/bench/hub-claims.js
 *   (BENCH_HUB_ROUND_MS=1000: the length of each of the 3 rounds of figure 1)
 */
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { AuthInfo, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { TxProof as TxProofProto } from "cosmjs-types/tendermint/types/types";
import { createHash } from "node:crypto";
import { ADDRESS_PREFIX, addressFromPubkey, fromBech32, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { sha256 } from "../chain/store/sha256";
import { revisionOf } from "../light-client/tendermint/client-state";
import { buildMerkleProof } from "../light-client/tendermint/merkle";
import type { ExecResult } from "../light-client/tendermint/proof-results";
import { buildResultProof } from "../light-client/tendermint/proof-results-build";
import { proveTransaction, requireTxSuccess } from "../light-client/tendermint/prove";
import { pegTypeUrls } from "../modules/peg/msgs";
import { decodeTendermintDepositProof } from "../modules/peg/tendermint/deposit-proof";
import { federationAccountAddress, tendermintDepositProof, tendermintDeposits } from "../modules/peg/tendermint/deposit-flow";
import { federationAccount } from "../modules/peg/tendermint/multisig";
import { tendermintParamsAny } from "../modules/peg/tendermint/params";
import { decodeTransfer } from "../modules/peg/tendermint/transfer";
import { google, pegzone } from "../proto";
import { federation, type Harness, newHarness, type TestAccount } from "../test/support/peg-harness";
import { BLOCK_INTERVAL, headerBytes, heightAt, initializedClient, lightBlock, SECOND, T0, testChain } from "../test/support/tendermint";
import { hubMainchainEntry } from "../test/support/tendermint-peg";
import { type BenchResult, printResults } from "./result";

const v1 = pegzone.peg.v1;
const HUB = "cosmoshub-bench";
const DENOM = `peg/${HUB}`;
const CHAIN: pegzone.peg.v1.IMainChain = { id: HUB, params: tendermintParamsAny({ denom: "uatom", displayDenom: "atom", decimals: 6, bech32Prefix: "cosmos" }) };
/** The federation's multisig account on the Hub: the harness's 2-of-3 federation, as the flow derives it. */
const FED = federationAccountAddress(CHAIN, federation);

// Workload sizes.
const ALONE_BLOCKS = [1, 100, 1_000];
const CLAIMERS = 10;
const WARMUP_CLAIMS = 100;
const CLAIM_BLOCKS = 10;
const CLAIMS_PER_BLOCK = 100;
const BIG_BLOCK = 1_000;
const DEPOSIT = 50_000n; // uatom
const PEG_IN_FEE = 100n; // hubMainchainEntry's
const SENDERS = 50;

// Hub heights: figure 1's blocks at 20, 30, 40; figure 2's at 50 (warm-up + 10 × 100) and 60 (1,000).
const ALONE_HEIGHTS = [20n, 30n, 40n];
const APP_SMALL = 50n;
const APP_BIG = 60n;

const digest = (s: string) => createHash("sha256").update(s).digest();
const round1 = (x: number) => (x >= 100 ? Math.round(x) : Math.round(x * 10) / 10);
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const fmt = (x: number) => x.toLocaleString("en-US");

/** The Hub's senders: a secp256k1 key each (for the signer info) and an address. */
const senders = Array.from({ length: SENDERS }, (_, i) => {
  const pubkey = publicKeyFromPrivate(digest(`pegzone hub bench sender ${i}`));
  return { pubkey, address: toBech32("cosmos", digest(`pegzone hub bench sender address ${i}`).subarray(0, 20)) };
});

/** A pegzone recipient with no key or account of its own (the claim mints to it). */
const recipientAddress = (tag: string) => toBech32(ADDRESS_PREFIX, digest(`pegzone hub bench recipient ${tag}`).subarray(0, 20));

/** A gaiad-shaped bank deposit: MsgSend of `amount` uatom to the federation, memo = the recipient. */
function hubDeposit(i: number, recipient: string): Uint8Array {
  const sender = senders[i % SENDERS];
  const bodyBytes = TxBody.encode(
    TxBody.fromPartial({
      messages: [{ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: sender.address, toAddress: FED, amount: [{ denom: "uatom", amount: DEPOSIT.toString() }] }).finish() }],
      memo: recipient,
    }),
  ).finish();
  const authInfoBytes = AuthInfo.encode(
    AuthInfo.fromPartial({
      signerInfos: [
        {
          publicKey: { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: PubKey.encode({ key: sender.pubkey }).finish() },
          modeInfo: { single: { mode: SignMode.SIGN_MODE_DIRECT } },
          sequence: BigInt(Math.floor(i / SENDERS)),
        },
      ],
      fee: { amount: [{ denom: "uatom", amount: "5000" }], gasLimit: 200_000n },
    }),
  ).finish();
  // Not a real signature: the light client proves inclusion and the result, the Hub checked the signature.
  const signature = Uint8Array.from([...digest(`sig r ${i} ${recipient}`), ...digest(`sig s ${i} ${recipient}`)]);
  return TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [signature] }).finish();
}

interface HubBlock {
  txs: Uint8Array[];
  results: ExecResult[];
  recipients: string[];
}

function hubBlock(height: bigint, n: number): HubBlock {
  const recipients = Array.from({ length: n }, (_, i) => recipientAddress(`${height}/${i}`));
  const txs = recipients.map((r, i) => hubDeposit(i, r));
  const results = txs.map((_, i) => ({ code: 0, data: Uint8Array.from(digest(`data ${height}/${i}`).subarray(0, 16)), gasWanted: 200_000n, gasUsed: 80_000n + BigInt(i % 1000) }));
  return { txs, results, recipients };
}

/** The Hub's blocks with txs, by height: filled by `benchHubClaims` (not when bench/run.ts imports this file). */
const blocks = new Map<bigint, HubBlock>();
function fillBlocks(): void {
  if (blocks.size > 0) return;
  ALONE_BLOCKS.forEach((n, k) => blocks.set(ALONE_HEIGHTS[k], hubBlock(ALONE_HEIGHTS[k], n)));
  blocks.set(APP_SMALL, hubBlock(APP_SMALL, WARMUP_CLAIMS + CLAIM_BLOCKS * CLAIMS_PER_BLOCK));
  blocks.set(APP_BIG, hubBlock(APP_BIG, BIG_BLOCK));
}
const spec = testChain({ txsAt: (h) => blocks.get(h)?.txs ?? [], resultsAt: (h) => blocks.get(h)?.results ?? [] });

/** The DepositProof of tx `i` of block `height`, as a relayer builds it (production builders). */
function claimProof(height: bigint, i: number, dataHash: Uint8Array): google.protobuf.IAny {
  const b = blocks.get(height)!;
  const m = buildMerkleProof(b.txs.map((t) => sha256(t)), i);
  const r = buildResultProof(b.results, i);
  const txProof = TxProofProto.encode({ rootHash: dataHash, data: b.txs[i], proof: { total: BigInt(m.total), index: BigInt(m.index), leafHash: m.leafHash, aunts: [...m.aunts] } }).finish();
  return tendermintDepositProof({ height, tx: b.txs[i], txProof, result: r.result, resultProof: r.proof, msgIndex: 0 });
}

function blockProofs(height: bigint): google.protobuf.IAny[] {
  const dataHash = lightBlock(spec, height).signedHeader.header.dataHash;
  return blocks.get(height)!.txs.map((_, i) => claimProof(height, i, dataHash));
}

/** Async calls of `op` per second: best of 3 rounds of `roundMs` (after one untimed pass over the inputs). */
async function asyncRate(inputs: number, op: (i: number) => Promise<void>, roundMs: number): Promise<{ best: number; rounds: number[] }> {
  for (let i = 0; i < inputs; i++) await op(i);
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const t0 = performance.now();
    let elapsed = 0;
    do {
      await op(n % inputs);
      n++;
      elapsed = performance.now() - t0;
    } while (elapsed < roundMs);
    rounds.push((n / elapsed) * 1000);
  }
  return { best: Math.max(...rounds), rounds };
}

/** Figure 1: proveDeposit alone, blocks of 1, 100, 1,000 txs. */
async function benchAlone(roundMs: number): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const store = await initializedClient(spec, ALONE_HEIGHTS.flatMap((h) => [h, h + 1n]));
  const now = spec.timeAt(ALONE_HEIGHTS[ALONE_HEIGHTS.length - 1] + 1n) + 2n * SECOND;
  const federations = [federation];
  for (const [k, height] of ALONE_HEIGHTS.entries()) {
    const b = blocks.get(height)!;
    const proofs = blockProofs(height).map((p) => p.value!);
    const recipients = b.recipients.map((r) => fromBech32(r, ADDRESS_PREFIX));
    // Every claim is a deposit to the federation for its memo's recipient.
    for (const [i, p] of proofs.entries()) {
      const d = await tendermintDeposits.proveDeposit(store, CHAIN, p, recipients[i], federations, now);
      if (d.federationIndex !== 0 || d.value !== DEPOSIT || d.reserveIndex !== -1) throw new Error(`bench hub: claim ${i} of block ${height} is not a deposit: ${JSON.stringify({ ...d, id: undefined, data: undefined, value: String(d.value) })}`);
    }
    const claims = proofs.map((p) => decodeTendermintDepositProof(p));
    const aunts = claims.map((c) => c.resultProof.aunts.length);
    const full = await asyncRate(proofs.length, async (i) => void (await tendermintDeposits.proveDeposit(store, CHAIN, proofs[i], recipients[i], federations, now)), roundMs);
    const lc = await asyncRate(claims.length, async (i) => void requireTxSuccess(await proveTransaction(store, claims[i], now)), roundMs);
    const n = ALONE_BLOCKS[k];
    const avgTx = Math.round(b.txs.reduce((s, t) => s + t.length, 0) / n);
    const avgProof = Math.round(proofs.reduce((s, p) => s + p.length, 0) / n);
    results.push({
      name: `proveDeposit alone: block of ${fmt(n)} tx${n === 1 ? "" : "s"}`,
      value: round1(full.best),
      unit: "claims/s",
      note:
        `${Math.min(...aunts)}–${Math.max(...aunts)} aunts per path, txs ~${avgTx} B, DepositProof ~${avgProof} B; best of 3 (${full.rounds.map((r) => fmt(Math.round(r))).join(", ")}); ` +
        `light client alone (proveTransaction): ${fmt(Math.round(lc.best))}/s`,
    });
    if (n === ALONE_BLOCKS[ALONE_BLOCKS.length - 1]) {
      const decode = await asyncRate(claims.length, async (i) => void decodeTransfer(claims[i].tx, 0, "uatom"), roundMs);
      const account = await asyncRate(1, async () => void federationAccount(CHAIN, federation), roundMs);
      results.push({ name: `  of which decodeTransfer alone (block of ${fmt(n)})`, value: Math.round(decode.best), unit: "txs/s", note: "TxRaw, TxBody and MsgSend decoded canonically, the denom's amount summed" });
      results.push({ name: "  of which federationAccount alone", value: Math.round(account.best), unit: "accounts/s", note: "2-of-3 amino multisig key, sorted by address, hashed into the Hub account: remembered after the first claim" });
    }
  }
  return results;
}

function newAccount(seed: string, accountNumber: number): TestAccount {
  const privateKey = digest(seed);
  const pubkey = publicKeyFromPrivate(privateKey);
  return { privateKey, pubkey, address: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), accountNumber: BigInt(accountNumber), sequence: 0n };
}

/** FinalizeBlock + Commit of a block whose every tx must succeed; the milliseconds it took. */
async function okBlock(h: Harness, what: string, txs: Uint8Array[]): Promise<number> {
  const t0 = performance.now();
  const results = await h.block(txs);
  const ms = performance.now() - t0;
  if (results.length !== txs.length) throw new Error(`bench hub: ${what}: ${results.length} results for ${txs.length} txs`);
  results.forEach((r, i) => {
    if (r.code !== 0) throw new Error(`bench hub: ${what}: tx ${i} failed with ${r.codespace}/${r.code}: ${r.log}`);
  });
  return ms;
}

/** Figure 2: claims through FinalizeBlock + Commit. */
async function benchApp(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // Account numbers after the harness's own (0-3) and its federation members' (10-12).
  const claimers = Array.from({ length: CLAIMERS }, (_, i) => newAccount(`pegzone hub bench claimer ${i}`, 20 + i));
  // pegzone's clock starts a few seconds after the last Hub header relayed.
  const startTime = (T0 + (APP_BIG + 1n) * BLOCK_INTERVAL) / SECOND + 5n;
  const h = await newHarness({}, [], claimers, {}, { extraMainchains: [hubMainchainEntry(HUB, spec, 3600)], startTime });
  try {
    const rev = revisionOf(spec.chainId);
    const relayer = h.accounts[2];
    await okBlock(
      h,
      "relay",
      [APP_SMALL, APP_SMALL + 1n, APP_BIG, APP_BIG + 1n].map((height) =>
        h.tx(relayer, pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: relayer.address, mainchain: HUB, headers: [headerBytes(lightBlock(spec, height), heightAt(rev, 1n), spec.valsAt(2n))] }),
      ),
    );
    const claimTxs = (height: bigint, from: number, to: number) => {
      const b = blocks.get(height)!;
      const dataHash = lightBlock(spec, height).signedHeader.header.dataHash;
      return Array.from({ length: to - from }, (_, k) => {
        const i = from + k;
        const c = claimers[i % CLAIMERS];
        return h.tx(c, pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: c.address, mainchain: HUB, recipient: b.recipients[i], proof: claimProof(height, i, dataHash) });
      });
    };
    // Every tx is signed before timing.
    const warmup = claimTxs(APP_SMALL, 0, WARMUP_CLAIMS);
    const small = Array.from({ length: CLAIM_BLOCKS }, (_, k) => claimTxs(APP_SMALL, WARMUP_CLAIMS + k * CLAIMS_PER_BLOCK, WARMUP_CLAIMS + (k + 1) * CLAIMS_PER_BLOCK));
    const big = claimTxs(APP_BIG, 0, BIG_BLOCK);
    await okBlock(h, "warm-up claims", warmup);
    const ms: number[] = [];
    for (const [k, txs] of small.entries()) ms.push(await okBlock(h, `claims block ${k}`, txs));
    const bigMs = await okBlock(h, "block of 1,000 claims", big);

    // Spot checks: the last recipient of each block got deposit − peg_in_fee.
    for (const height of [APP_SMALL, APP_BIG]) {
      const b = blocks.get(height)!;
      const got = await h.balance(b.recipients[b.recipients.length - 1], DENOM);
      if (got !== DEPOSIT - PEG_IN_FEE) throw new Error(`bench hub: a recipient of block ${height} holds ${got} ${DENOM}, not ${DEPOSIT - PEG_IN_FEE}`);
    }
    const reserve = await h.query("Reserve", v1.QueryReserveRequest, { mainchain: HUB }, v1.QueryReserveResponse);
    const claimed = WARMUP_CLAIMS + CLAIM_BLOCKS * CLAIMS_PER_BLOCK + BIG_BLOCK;
    if (reserve.entries.length !== claimed || BigInt(reserve.total) !== DEPOSIT * BigInt(claimed)) throw new Error(`bench hub: reserve has ${reserve.entries.length} entries, ${reserve.total} uatom; expected ${claimed}`);

    const total = ms.reduce((a, b) => a + b, 0);
    const sorted = [...ms].sort((a, b) => a - b);
    const median = (sorted[CLAIM_BLOCKS / 2 - 1] + sorted[CLAIM_BLOCKS / 2]) / 2;
    results.push({
      name: "Hub MsgClaimDeposit through FinalizeBlock + Commit (100/block)",
      value: rate(CLAIM_BLOCKS * CLAIMS_PER_BLOCK, total),
      unit: "claims/s",
      note: `${CLAIM_BLOCKS} blocks x ${CLAIMS_PER_BLOCK} signed txs of one claim each from ${CLAIMERS} accounts, all code 0; proofs into a Hub block of ${fmt(blocks.get(APP_SMALL)!.txs.length)} txs; ${Math.round(sorted[0])}–${Math.round(sorted[CLAIM_BLOCKS - 1])} ms per block (median block ${fmt(rate(CLAIMS_PER_BLOCK, median))} claims/s); LevelDB in a temp dir`,
    });
    results.push({
      name: "Hub MsgClaimDeposit through FinalizeBlock + Commit (1,000/block)",
      value: rate(BIG_BLOCK, bigMs),
      unit: "claims/s",
      note: `one block of ${fmt(BIG_BLOCK)} signed claim txs, all code 0; proofs into a Hub block of ${fmt(BIG_BLOCK)} txs; ${Math.round(bigMs)} ms incl. Commit`,
    });
    return results;
  } finally {
    await h.close();
  }
}

export async function benchHubClaims(roundMs = Number(process.env.BENCH_HUB_ROUND_MS ?? 1_000)): Promise<BenchResult[]> {
  fillBlocks();
  return [...(await benchAlone(roundMs)), ...(await benchApp())];
}

if (require.main === module) {
  benchHubClaims()
    .then((r) => printResults("Cosmos Hub claims (in process)", r))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
