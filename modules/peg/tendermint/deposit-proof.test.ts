/**
 * The tendermint deposit flow below the peg: ids and their display form, the DepositProof encoding
 * and its malformed forms, the tx decoding (canonical protobuf only, amounts of one denom), the
 * deposit address (the federation account, its bytes and amino key, the recipient's memo), which
 * federation a deposit pays when there are several (current first, then retired), and the params
 * check for bech32_prefix.
 */
import { describe, expect, it } from "@jest/globals";
import { sha256 } from "@noble/hashes/sha2.js";
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { TxProof as TxProofProto } from "cosmjs-types/tendermint/types/types";
import { createHash } from "node:crypto";
import { publicKeyFromPrivate } from "../../../chain/crypto/secp256k1";
import { fromBech32, toBech32 } from "../../../chain/crypto/address";
import { buildMerkleProof } from "../../../light-client/tendermint/merkle";
import type { ExecResult } from "../../../light-client/tendermint/proof-results";
import { buildResultProof } from "../../../light-client/tendermint/proof-results-build";
import { pegzone } from "../../../proto";
import { initializedClient, lightBlock, SECOND, testChain } from "../../../test/support/tendermint";
import type { Federation } from "../kinds";
import {
  decodeReserveAccount,
  federationAccount,
  federationAccountAddress,
  parseTendermintDepositId,
  TendermintDepositError,
  tendermintDepositDisplayId,
  tendermintDepositId,
  tendermintDepositProof,
  tendermintDeposits,
} from "./deposit-flow";
import { decodeTendermintDepositProof } from "./deposit-proof";
import { tendermintKind } from "./kind";
import { tendermintParamsAny } from "./params";
import { decodeTransfer } from "./transfer";

const enc = (s: string) => Uint8Array.from(Buffer.from(s));
const key = (label: string) => publicKeyFromPrivate(createHash("sha256").update(label).digest());
const federation = (id: number, labels: string[], threshold: number): Federation => ({ id, members: labels.map((l) => ({ pubkey: key(l), weight: 1, account: "" })), threshold });
const FED_A = federation(1, ["a0", "a1", "a2"], 2);
const FED_B = federation(2, ["b0", "b1", "b2"], 2);
const CHAIN: pegzone.peg.v1.IMainChain = { id: "hub", params: tendermintParamsAny({ denom: "uatom", displayDenom: "atom", decimals: 6, bech32Prefix: "cosmos" }) };
const A = federationAccountAddress(CHAIN, FED_A);
const B = federationAccountAddress(CHAIN, FED_B);
const ALICE = toBech32("cosmos", sha256(enc("alice")).subarray(0, 20));
const RECIPIENT = sha256(enc("recipient")).subarray(0, 20);
const MEMO = toBech32("peg", RECIPIENT);
const coin = (amount: string, denom = "uatom") => ({ amount, denom });
const send = (from: string, to: string, amount = [coin("5000")]): Any => ({ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.encode({ fromAddress: from, toAddress: to, amount }).finish() });
const txOf = (messages: Any[], memo = MEMO, salt = "") => TxRaw.encode({ bodyBytes: TxBody.encode(TxBody.fromPartial({ messages, memo })).finish(), authInfoBytes: enc(`auth ${salt}`), signatures: [] }).finish();
const reasonOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof TendermintDepositError) return e.reason;
    throw e;
  }
  return "accepted";
};

describe("deposit ids", () => {
  const hash = sha256(enc("a tx"));
  const hex = Buffer.from(hash).toString("hex");
  it("are sha256(tx) ‖ u32be(index), shown as TXHASH:index in uppercase, and parse back from either case", () => {
    expect(tendermintDepositDisplayId(hex, 7)).toBe(`${hex.toUpperCase()}:7`);
    const id = tendermintDepositId(hash, 0x01020304);
    expect(Buffer.from(id).toString("hex")).toBe(`${hex}01020304`);
    expect(parseTendermintDepositId(`${hex.toUpperCase()}:16909060`)).toEqual(id);
    expect(parseTendermintDepositId(`${hex}:16909060`)).toEqual(id);
    expect(parseTendermintDepositId(`${hex}:4294967295`).subarray(32)).toEqual(Uint8Array.of(255, 255, 255, 255));
  });
  it.each([`${"ab".repeat(32)}:4294967296`, `${"ab".repeat(32)}:01`, `${"ab".repeat(31)}:1`, `${"ab".repeat(32)}`, `${"ab".repeat(32)}:-1`, `0x${"ab".repeat(32)}:1`, ""])("refuses %j", (s) => {
    expect(() => parseTendermintDepositId(s)).toThrow(/TXHASH:index/);
  });
});

describe("the DepositProof", () => {
  const fields = {
    height: 20n,
    tx: enc("tx"),
    txProof: enc("proof"),
    result: { code: 3, data: enc("data"), gasWanted: 200000n, gasUsed: 123n },
    resultProof: { total: 4, index: 2, aunts: [enc("x"), enc("y")] },
    msgIndex: 1,
  };
  it("round-trips through its Any", () => {
    const any = tendermintDepositProof(fields);
    expect(any.type_url).toBe("/pegzone.peg.tendermint.v1.DepositProof");
    expect(decodeTendermintDepositProof(any.value!)).toEqual(fields);
  });
  const encode = (p: pegzone.peg.tendermint.v1.IDepositProof) => pegzone.peg.tendermint.v1.DepositProof.encode(p).finish();
  const full = { height: 20, tx: enc("tx"), txProof: enc("p"), result: { code: 0 }, resultProof: { total: 1 } };
  it.each([
    { name: "bytes that do not decode", value: Uint8Array.of(0x0a, 0x05) },
    { name: "no height", value: encode({ ...full, height: 0 }) },
    { name: "no tx", value: encode({ ...full, tx: new Uint8Array() }) },
    { name: "no tx proof", value: encode({ ...full, txProof: new Uint8Array() }) },
    { name: "no result", value: encode({ ...full, result: null }) },
    { name: "no result proof", value: encode({ ...full, resultProof: null }) },
  ])("refuses $name as malformed-proof", ({ value }) => {
    expect(reasonOf(() => decodeTendermintDepositProof(value))).toBe("malformed-proof");
  });
});

describe("a tx's message as a transfer", () => {
  it("reads a MsgSend's amount of the denom, the sender and the memo", () => {
    const t = decodeTransfer(txOf([send(ALICE, A, [coin("5", "ibc/X"), coin("70"), coin("30")])]), 0, "uatom");
    expect(t).toMatchObject({ memo: MEMO, senders: [{ address: ALICE }], outputs: [{ address: A, amount: 100n }] });
    expect(t.outputs[0].account).toEqual(fromBech32(A, "cosmos"));
  });
  it("reads a MsgMultiSend output by output", () => {
    const multi: Any = { typeUrl: "/cosmos.bank.v1beta1.MsgMultiSend", value: MsgMultiSend.encode({ inputs: [{ address: ALICE, coins: [coin("9")] }], outputs: [{ address: A, coins: [coin("4")] }, { address: B, coins: [coin("5", "uosmo")] }] }).finish() };
    expect(decodeTransfer(txOf([multi]), 0, "uatom").outputs.map((o) => o.amount)).toEqual([4n, 0n]);
  });
  const bank = send(ALICE, A);
  const withExtra = (b: Uint8Array, extra: number[]) => Uint8Array.from([...b, ...extra]);
  it.each([
    { name: "TxRaw bytes with an unknown field", tx: () => withExtra(txOf([bank]), [0x20, 0x01]), reason: "bad-tx" },
    { name: "a TxBody with an unknown field", tx: () => TxRaw.encode({ bodyBytes: withExtra(TxBody.encode(TxBody.fromPartial({ messages: [bank], memo: MEMO })).finish(), [0x98, 0x01, 0x01]), authInfoBytes: new Uint8Array(), signatures: [] }).finish(), reason: "bad-tx" },
    { name: "a MsgSend with a second to_address (Go and JS may read it differently)", tx: () => txOf([{ typeUrl: bank.typeUrl, value: withExtra(bank.value, [0x12, 0x01, 0x78]) }]), reason: "bad-tx" },
    { name: "a message index past the end", tx: () => txOf([bank]), index: 1, reason: "no-such-message" },
    { name: "a message that is no bank transfer", tx: () => txOf([{ typeUrl: "/cosmos.authz.v1beta1.MsgExec", value: new Uint8Array() }]), reason: "not-a-transfer" },
    { name: "an amount that is no integer", tx: () => txOf([send(ALICE, A, [coin("1.5")])]), reason: "bad-amount" },
  ])("refuses $name ($reason)", ({ tx, index, reason }) => {
    expect(reasonOf(() => decodeTransfer(tx(), index ?? 0, "uatom"))).toBe(reason);
  });
});

describe("the deposit address", () => {
  it("is the federation's account, its 20 bytes and amino key, and the recipient's pegzone address as memo", () => {
    const d = tendermintDeposits.depositAddress(CHAIN, FED_A, RECIPIENT);
    const account = federationAccount(CHAIN, FED_A);
    expect(d).toEqual({ address: A, script: account.rawAddress, witnessScript: account.aminoPubkey, memo: MEMO });
    expect(d.address).toMatch(/^cosmos1/);
    expect(tendermintDeposits.depositAddress(CHAIN, FED_A, sha256(enc("other")).subarray(0, 20)).address).toBe(A);
  });
});

describe("proveDeposit against a light client", () => {
  const H = 20n;
  const TXS = [txOf([send(ALICE, A)], MEMO, "0"), txOf([send(ALICE, B)], MEMO, "1"), txOf([send(B, A)], MEMO, "2"), txOf([send(ALICE, ALICE.toUpperCase())], MEMO, "3")];
  const RESULTS: ExecResult[] = TXS.map(() => ({ code: 0, data: new Uint8Array(), gasWanted: 100n, gasUsed: 90n }));
  const spec = testChain({ txsAt: (h) => (h === H ? TXS : []), resultsAt: (h) => (h === H ? RESULTS : []) });
  const NOW = spec.timeAt(H + 1n) + 2n * SECOND;
  const proof = (i: number) => {
    const m = buildMerkleProof(TXS.map((t) => sha256(t)), i);
    const r = buildResultProof(RESULTS, i);
    const txProof = TxProofProto.encode({ rootHash: lightBlock(spec, H).signedHeader.header.dataHash, data: TXS[i], proof: { total: BigInt(m.total), index: BigInt(m.index), leafHash: m.leafHash, aunts: [...m.aunts] } }).finish();
    return tendermintDepositProof({ height: H, tx: TXS[i], txProof, result: r.result, resultProof: r.proof, msgIndex: 0 }).value!;
  };

  it("says which federation it pays (current first, then retired) and which one sent it", async () => {
    const store = await initializedClient(spec, [H, H + 1n]);
    const toA = await tendermintDeposits.proveDeposit(store, CHAIN, proof(0), RECIPIENT, [FED_B, FED_A], NOW);
    expect(toA).toMatchObject({ federationIndex: 1, reserveIndex: -1, value: 5000n, confirmations: 1, required: 1, blockHeight: 20, pays: `${A} with memo ${JSON.stringify(MEMO)}` });
    expect(decodeReserveAccount(toA.data)).toBe(A);
    expect(toA.displayId).toBe(`${Buffer.from(sha256(TXS[0])).toString("hex").toUpperCase()}:0`);
    expect((await tendermintDeposits.proveDeposit(store, CHAIN, proof(1), RECIPIENT, [FED_B, FED_A], NOW)).federationIndex).toBe(0);
    // memo checked against the recipient claimed
    expect((await tendermintDeposits.proveDeposit(store, CHAIN, proof(1), sha256(enc("someone")).subarray(0, 20), [FED_B, FED_A], NOW)).federationIndex).toBe(-1);
    // B moving coins to A: A is paid, but it is B's own transfer
    expect(await tendermintDeposits.proveDeposit(store, CHAIN, proof(2), RECIPIENT, [FED_B, FED_A], NOW)).toMatchObject({ federationIndex: 1, reserveIndex: 0 });
    expect(await tendermintDeposits.proveDeposit(store, CHAIN, proof(3), RECIPIENT, [FED_B, FED_A], NOW)).toMatchObject({ federationIndex: -1, reserveIndex: -1, data: expect.any(Uint8Array) });
  });

  it("needs an Active client at pegzone's time", async () => {
    const store = await initializedClient(spec, [H, H + 1n], { trustingPeriodSeconds: 300 });
    await expect(tendermintDeposits.proveDeposit(store, CHAIN, proof(0), RECIPIENT, [FED_A], NOW + 1000n * SECOND)).rejects.toMatchObject({ reason: "client-expired" });
  });
});

describe("the kind's params", () => {
  it("need the chain's bech32 prefix", () => {
    const chain = (bech32Prefix: string): pegzone.peg.v1.IMainChain => ({ id: "hub", params: tendermintParamsAny({ denom: "uatom", bech32Prefix }) });
    expect(() => tendermintKind.validate(chain("cosmos"))).not.toThrow();
    for (const bad of ["", "Cosmos", "1cosmos", "cos mos", "cosmos-hub"]) expect(() => tendermintKind.validate(chain(bad))).toThrow(/bech32_prefix/);
  });
});
