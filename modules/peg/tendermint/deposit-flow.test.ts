/**
 * Cosmos Hub peg-ins through the peg, in-process: a synthetic four-validator Hub (test/support/
 * tendermint.ts) whose block 20 holds bank txs built with cosmjs-types (TxRaw → TxBody → MsgSend /
 * MsgMultiSend), their results committed by header 21; pegzone relays headers 20 and 21 and a claim
 * carries a DepositProof. The federation's account is computed here with CosmJS itself.
 *
 * Accepted: a deposit (amount − peg_in_fee minted to the memo's recipient, a reserve entry holding
 * the federation account), each message of a tx as its own deposit, a MsgMultiSend output, an
 * address written in uppercase. Refused, each with its peg code and no state change: a failed tx (5),
 * a transfer to someone else (7: as a bitcoin output to another script), a claim of the same
 * tx+index again (10), a memo that is another recipient or no pegzone address (7), a proof against a
 * header pegzone has not verified (5), forged tx / result proofs (5), no coin of the chain's denom
 * (5), a transfer from the federation's account (24), below the minimum (8), a message that is no
 * bank transfer or out of range, malformed proof bytes (5).
 */
import { hubMainchainEntry } from "../../../test/support/tendermint-peg";
import { afterAll, describe, expect, it } from "@jest/globals";
import { createMultisigThresholdPubkey, encodeSecp256k1Pubkey, pubkeyToAddress } from "@cosmjs/amino";
import { sha256 } from "@noble/hashes/sha2.js";
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { MsgDelegate } from "cosmjs-types/cosmos/staking/v1beta1/tx";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { TxProof as TxProofProto } from "cosmjs-types/tendermint/types/types";
import { toBech32 } from "../../../chain/crypto/address";
import { revisionOf } from "../../../light-client/tendermint/client-state";
import { headerHash } from "../../../light-client/tendermint/header-hash";
import { buildMerkleProof } from "../../../light-client/tendermint/merkle";
import type { ExecResult } from "../../../light-client/tendermint/proof-results";
import { buildResultProof } from "../../../light-client/tendermint/proof-results-build";
import { google, pegzone } from "../../../proto";
import { closeHarnesses, memberKeys, newHarness, type Harness } from "../../../test/support/peg-harness";
import { BLOCK_INTERVAL, headerBytes, heightAt, lightBlock, SECOND, T0, testChain } from "../../../test/support/tendermint";
import { pegTypeUrls } from "../msgs";
import { tendermintDepositDisplayId, tendermintDepositProof } from "./deposit-flow";

const v1 = pegzone.peg.v1;
const HUB = "cosmoshub-local";
const DENOM = `peg/${HUB}`;
const enc = (s: string) => Uint8Array.from(Buffer.from(s));

// ---- the Hub's accounts

const FED = pubkeyToAddress(createMultisigThresholdPubkey(memberKeys.map((m) => encodeSecp256k1Pubkey(m.pubkey)), 2), "cosmos");
const ALICE = toBech32("cosmos", sha256(enc("alice")).subarray(0, 20));
const BOB = toBech32("cosmos", sha256(enc("bob")).subarray(0, 20));
const coins = (...c: Array<[number, string]>) => c.map(([amount, denom]) => ({ amount: String(amount), denom }));
const send = (from: string, to: string, amount: ReturnType<typeof coins>): Any => ({ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: from, toAddress: to, amount }).finish() });

function hubTx(name: string, messages: Any[], memo: string): Uint8Array {
  const bodyBytes = TxBody.encode(TxBody.fromPartial({ messages, memo })).finish();
  // The light client proves inclusion and the result; signatures are the Hub's business.
  return TxRaw.encode({ bodyBytes, authInfoBytes: enc(`auth info of ${name}`), signatures: [enc(`signature of ${name}`)] }).finish();
}

// ---- block 20 of the Hub

interface HubTx {
  readonly name: string;
  readonly messages: (r: Recipients) => Any[];
  readonly memo: (r: Recipients) => string;
  readonly code?: number;
}
/** The pegzone accounts the memos name (the harness's accounts 0 and 1: the same in every harness). */
interface Recipients {
  readonly r0: string;
  readonly r1: string;
}

const HUB_TXS: HubTx[] = [
  { name: "deposit", messages: () => [send(ALICE, FED, coins([7, "ibc/ABC"], [50_000, "uatom"]))], memo: (r) => r.r0 },
  { name: "failed", messages: () => [send(ALICE, FED, coins([50_000, "uatom"]))], memo: (r) => r.r0, code: 5 },
  { name: "elsewhere", messages: () => [send(ALICE, BOB, coins([50_000, "uatom"]))], memo: (r) => r.r0 },
  { name: "other-memo", messages: () => [send(ALICE, FED, coins([50_000, "uatom"]))], memo: (r) => r.r1 },
  { name: "no-peg-memo", messages: () => [send(ALICE, FED, coins([50_000, "uatom"]))], memo: (r) => ` ${r.r0}` },
  { name: "wrong-denom", messages: () => [send(ALICE, FED, coins([50_000, "uosmo"]))], memo: (r) => r.r0 },
  { name: "from-federation", messages: () => [send(FED, ALICE, coins([50_000, "uatom"]))], memo: (r) => r.r0 },
  { name: "small", messages: () => [send(ALICE, FED, coins([500, "uatom"]))], memo: (r) => r.r0 },
  { name: "two-messages", messages: () => [send(ALICE, FED, coins([3_000, "uatom"])), send(ALICE, BOB, coins([10, "uatom"])), send(BOB, FED, coins([4_000, "uatom"]))], memo: (r) => r.r1 },
  {
    name: "multi-send",
    messages: () => [
      {
        typeUrl: "/cosmos.bank.v1beta1.MsgMultiSend",
        value: MsgMultiSend.encode({ inputs: [{ address: ALICE, coins: coins([9_000, "uatom"]) }], outputs: [{ address: BOB, coins: coins([3_000, "uatom"]) }, { address: FED, coins: coins([6_000, "uatom"]) }] }).finish(),
      },
    ],
    memo: (r) => r.r0,
  },
  { name: "uppercase", messages: () => [send(ALICE, FED.toUpperCase(), coins([20_000, "uatom"]))], memo: (r) => r.r0 },
  {
    name: "delegate",
    messages: () => [{ typeUrl: "/cosmos.staking.v1beta1.MsgDelegate", value: MsgDelegate.encode({ delegatorAddress: ALICE, validatorAddress: "cosmosvaloper1xyz", amount: { denom: "uatom", amount: "50000" } }).finish() }],
    memo: (r) => r.r0,
  },
];

const H = 20n;
let recipients: Recipients | undefined;
let txs: Uint8Array[] = [];
let results: ExecResult[] = [];
/** Block 20's txs for these recipients (the same for every harness: accounts are fixed). */
function blockTxs(r: Recipients): void {
  if (recipients !== undefined) return;
  recipients = r;
  txs = HUB_TXS.map((t) => hubTx(t.name, t.messages(r), t.memo(r)));
  results = HUB_TXS.map((t, i) => ({ code: t.code ?? 0, data: t.code ? new Uint8Array(0) : enc(`ok ${i}`), gasWanted: 200_000n, gasUsed: 80_000n + BigInt(i) }));
}
const spec = testChain({ txsAt: (h) => (h === H ? txs : []), resultsAt: (h) => (h === H ? results : []) });
const REV = revisionOf(spec.chainId);
const START = (T0 + 40n * BLOCK_INTERVAL) / SECOND + 5n;

const hubEntry = () => hubMainchainEntry(HUB, spec, 3600);

afterAll(closeHarnesses);

/** A fresh pegzone with the Hub registered and headers `relayed` (20 and 21 by default) verified. */
async function harness(relayed: bigint[] = [H, H + 1n]): Promise<Harness> {
  const h = await newHarness({}, [], [], {}, { extraMainchains: [hubEntry()], startTime: START });
  blockTxs({ r0: h.accounts[0].address, r1: h.accounts[1].address });
  const from = h.accounts[2];
  const relays = relayed.map((height) =>
    h.tx(from, pegTypeUrls.relayHeaders, v1.MsgRelayHeaders, { relayer: from.address, mainchain: HUB, headers: [headerBytes(lightBlock(spec, height), heightAt(REV, 1n), spec.valsAt(2n))] }),
  );
  for (const r of await h.block(relays)) if (r.code !== 0) throw new Error(`relaying failed: ${r.log}`);
  return h;
}

const indexOf = (name: string) => {
  const i = HUB_TXS.findIndex((t) => t.name === name);
  if (i < 0) throw new Error(`no tx ${name}`);
  return i;
};
const txHash = (name: string) => Buffer.from(sha256(txs[indexOf(name)])).toString("hex").toUpperCase();

interface ProofOptions {
  msgIndex?: number;
  height?: bigint;
  /** Changes the tx proof's bytes, the tx, or the result before encoding. */
  forge?: (p: { tx: Uint8Array; aunts: Uint8Array[]; result: ExecResult }) => void;
}

function proofOf(name: string, o: ProofOptions = {}): google.protobuf.IAny {
  const i = indexOf(name);
  const m = buildMerkleProof(txs.map((t) => sha256(t)), i);
  const r = buildResultProof(results, i);
  const parts = { tx: txs[i], aunts: [...m.aunts].map((a) => Uint8Array.from(a)), result: { ...r.result } };
  o.forge?.(parts);
  const rootHash = lightBlock(spec, H).signedHeader.header.dataHash;
  const txProof = TxProofProto.encode({ rootHash, data: parts.tx, proof: { total: BigInt(m.total), index: BigInt(m.index), leafHash: m.leafHash, aunts: parts.aunts } }).finish();
  return tendermintDepositProof({ height: o.height ?? H, tx: parts.tx, txProof, result: parts.result, resultProof: r.proof, msgIndex: o.msgIndex ?? 0 });
}

async function claim(h: Harness, proof: google.protobuf.IAny, recipient = h.accounts[0].address, from = h.accounts[2]) {
  const [r] = await h.block([h.tx(from, pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer: from.address, mainchain: HUB, recipient, proof })]);
  return r;
}

const reserve = (h: Harness) => h.query("Reserve", v1.QueryReserveRequest, { mainchain: HUB }, v1.QueryReserveResponse);
const depositQuery = (h: Harness, displayId: string) => h.query("Deposit", v1.QueryDepositRequest, { mainchain: HUB, displayId }, v1.QueryDepositResponse);

/** Everything a claim may change. */
async function pegState(h: Harness): Promise<string> {
  const balances = await Promise.all(h.accounts.map((a) => h.balance(a.address, DENOM)));
  return JSON.stringify({ reserve: v1.QueryReserveResponse.toObject(await reserve(h), { longs: String, bytes: String }), balances: balances.map(String) });
}

const blockHash20 = () => Buffer.from(headerHash(lightBlock(spec, H).signedHeader.header)).toString("hex").toUpperCase();

describe("Cosmos Hub deposits through the peg", () => {
  it("mints amount − peg_in_fee to the memo's recipient and keeps the deposit in the reserve; the same tx+index again is ErrAlreadyClaimed", async () => {
    const h = await harness();
    const r = await claim(h, proofOf("deposit"));
    expect({ code: r.code, log: r.log }).toEqual({ code: 0, log: expect.any(String) });
    const displayId = tendermintDepositDisplayId(txHash("deposit"), 0);
    expect(r.events.find((e) => e.type === "claim_deposit")?.attributes).toMatchObject({ deposit_id: displayId, amount: "50000", minted: `49900${DENOM}`, block_hash: blockHash20() });
    expect(await h.balance(h.accounts[0].address, DENOM)).toBe(49_900n);

    const res = await reserve(h);
    expect(res.total).toBe("50000");
    expect(res.entries).toHaveLength(1);
    const entry = res.entries[0];
    expect(entry).toMatchObject({ displayId, value: "50000" });
    expect(Number(entry.federationId)).toBe(1);
    expect(entry.data?.type_url).toBe("/pegzone.peg.tendermint.v1.ReserveAccount");
    expect(pegzone.peg.tendermint.v1.ReserveAccount.decode(entry.data!.value!).address).toBe(FED);
    expect(Buffer.from(entry.id!).toString("hex").toUpperCase()).toBe(`${txHash("deposit")}00000000`);

    const q = await depositQuery(h, displayId);
    expect(q.claimed).toBe(true);
    expect(q.deposit).toMatchObject({ recipient: h.accounts[0].address, amount: "50000", minted: "49900", blockHash: blockHash20() });
    expect(Number(q.deposit!.blockHeight)).toBe(20);
    expect((await depositQuery(h, displayId.toLowerCase())).claimed).toBe(true);

    const before = await pegState(h);
    for (const from of [h.accounts[2], h.accounts[1]]) {
      const again = await claim(h, proofOf("deposit"), h.accounts[0].address, from);
      expect({ code: again.code, codespace: again.codespace }).toEqual({ code: 10, codespace: "peg" });
      expect(again.log).toContain(displayId);
    }
    expect(await pegState(h)).toBe(before);
  });

  it("takes each message of a tx paying the federation as its own deposit, and a MsgMultiSend's output to it", async () => {
    const h = await harness();
    const r1 = h.accounts[1].address;
    expect((await claim(h, proofOf("two-messages", { msgIndex: 0 }), r1)).code).toBe(0);
    expect((await claim(h, proofOf("two-messages", { msgIndex: 2 }), r1)).code).toBe(0);
    expect(await h.balance(r1, DENOM)).toBe(2_900n + 3_900n);
    const toBob = await claim(h, proofOf("two-messages", { msgIndex: 1 }), r1);
    expect({ code: toBob.code, codespace: toBob.codespace }).toEqual({ code: 7, codespace: "peg" });

    expect((await claim(h, proofOf("multi-send"))).code).toBe(0);
    expect(await h.balance(h.accounts[0].address, DENOM)).toBe(5_900n);
    const displayIds = (await reserve(h)).entries.map((e) => `${e.displayId}=${e.value}`).sort();
    expect(displayIds).toEqual(
      [`${tendermintDepositDisplayId(txHash("two-messages"), 0)}=3000`, `${tendermintDepositDisplayId(txHash("two-messages"), 2)}=4000`, `${tendermintDepositDisplayId(txHash("multi-send"), 0)}=6000`].sort(),
    );
  });

  it("counts a payment to the federation's address written in uppercase (the same account on the Hub)", async () => {
    const h = await harness();
    expect((await claim(h, proofOf("uppercase"))).code).toBe(0);
    expect(await h.balance(h.accounts[0].address, DENOM)).toBe(19_900n);
  });

  const refused: Array<{ name: string; claim: (h: Harness) => Promise<{ code: number; codespace: string; log: string }>; code: number; log: RegExp; relayed?: bigint[] }> = [
    { name: "a failed tx (code 5 in its result)", claim: (h) => claim(h, proofOf("failed")), code: 5, log: /tx-failed.*code 5/ },
    { name: "a failed tx claimed with a forged success result", claim: (h) => claim(h, proofOf("failed", { forge: (p) => void (p.result = { ...p.result, code: 0 }) })), code: 5, log: /mismatch/ },
    { name: "a tx paying someone else", claim: (h) => claim(h, proofOf("elsewhere")), code: 7, log: new RegExp(`pays ${BOB} with memo`) },
    { name: "a memo naming another recipient", claim: (h) => claim(h, proofOf("other-memo")), code: 7, log: /with memo "peg1/ },
    { name: "a memo that is not exactly a pegzone address", claim: (h) => claim(h, proofOf("no-peg-memo")), code: 7, log: /with memo " peg1/ },
    { name: "a payment in another denom only", claim: (h) => claim(h, proofOf("wrong-denom")), code: 5, log: /wrong-denom.*no uatom/ },
    { name: "a transfer from the federation's account", claim: (h) => claim(h, proofOf("from-federation")), code: 24, log: /reserve address of federation 1/ },
    { name: "a deposit below the minimum", claim: (h) => claim(h, proofOf("small")), code: 8, log: /pays 500, the minimum deposit is 1000/ },
    { name: "a proof against a header pegzone has not verified (H+1 not relayed)", relayed: [H], claim: (h) => claim(h, proofOf("deposit")), code: 5, log: /unknown-height/ },
    { name: "a proof at a height pegzone never verified", claim: (h) => claim(h, proofOf("deposit", { height: 30n })), code: 5, log: /unknown-height|mismatch/ },
    { name: "a forged tx proof (an aunt changed)", claim: (h) => claim(h, proofOf("deposit", { forge: (p) => void (p.aunts[0][0] ^= 1) })), code: 5, log: /mismatch/ },
    { name: "a tx that is not in the block", claim: (h) => claim(h, proofOf("deposit", { forge: (p) => void (p.tx = hubTx("forged", [send(ALICE, FED, coins([9_000_000, "uatom"]))], recipients!.r0)) })), code: 5, log: /mismatch/ },
    { name: "a message index beyond the tx's messages", claim: (h) => claim(h, proofOf("deposit", { msgIndex: 1 })), code: 5, log: /no-such-message/ },
    { name: "a message that is no bank transfer", claim: (h) => claim(h, proofOf("delegate")), code: 5, log: /not-a-transfer/ },
    { name: "proof bytes that are no DepositProof", claim: (h) => claim(h, { type_url: "/pegzone.peg.tendermint.v1.DepositProof", value: Uint8Array.of(0x0a, 0xff) }), code: 5, log: /malformed-proof/ },
    { name: "a proof of another type", claim: (h) => claim(h, { type_url: "/pegzone.peg.bitcoin.v1.DepositProof", value: Uint8Array.of(1) }), code: 5, log: /takes a proof of type/ },
  ];
  it.each(refused)("refuses $name (peg $code) and changes nothing", async ({ claim: run, code, log, relayed }) => {
    const h = await harness(relayed);
    const before = await pegState(h);
    const r = await run(h);
    expect({ code: r.code, codespace: r.codespace }).toEqual({ code, codespace: "peg" });
    expect(r.log).toMatch(log);
    expect(await pegState(h)).toBe(before);
  });
});
