/**
 * Hub releases without a Hub (release-gaiad.test.ts runs them on gaiad): the sign bytes against
 * CosmJS (its bank amino converters, makeSignDoc and serializeSignDoc), the tx body against CosmJS'
 * registry, the assembled tx against CosmJS' makeMultisignedTxBytes; determinism; payments, fee
 * shares and change; the refusals; signatures; the release id read back from a signed tx.
 */
import { describe, expect, it } from "@jest/globals";
import { makeSignDoc, serializeSignDoc } from "@cosmjs/amino";
import { Registry } from "@cosmjs/proto-signing";
import { AminoTypes, createBankAminoConverters, defaultRegistryTypes, makeMultisignedTxBytes } from "@cosmjs/stargate";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { addressFromPubkey } from "../../../chain/crypto/address";
import { publicKeyFromPrivate, SECP256K1_N } from "../../../chain/crypto/secp256k1";
import type { pegzone } from "../../../proto";
import type { Federation, ReserveEntryView } from "../kinds";
import { checkBuilt, releaseCost } from "../releases";
import { reserveAccountData } from "./deposit-proof";
import { federationAccount } from "./multisig";
import { assembleHubRelease, hubMultisigPubkey, hubReleaseIdOfTx, hubSignDocOfTx, signHubDigest, verifyHubSignature } from "./multisig-tx";
import { tendermintParamsAny } from "./params";
import { buildHubRelease, CHANGE_INDEX, type HubPayment, type HubReleaseParams, hubReleaseGasLimit, MAX_HUB_RELEASE_INPUTS } from "./release";
import { HubReleaseError, hubReleaseDigest, hubSignBytes, hubTxBodyBytes, parseHubSignDoc } from "./sign-doc";

// CosmJS 0.39's fromBech32 passes a length limit of Infinity, which @scure/base 2.x (hoisted here)
// refuses ("anumber"): makeMultisignedTx, the reference assembly, calls it on the signers' addresses.
jest.mock("@cosmjs/encoding", () => {
  const actual = jest.requireActual<typeof import("@cosmjs/encoding")>("@cosmjs/encoding");
  return { ...actual, fromBech32: (address: string, limit?: number) => actual.fromBech32(address, limit ?? 1023) };
});

const chain: pegzone.peg.v1.IMainChain = { id: "hub", params: tendermintParamsAny({ denom: "uatom", bech32Prefix: "cosmos" }) };
const privateKeys = [0, 1, 2].map((i) => sha256(Buffer.from(`release.test member ${i}`)));
const pubkeys = privateKeys.map((k) => publicKeyFromPrivate(k));
const federation: Federation = { id: 1, threshold: 2, members: pubkeys.map((pubkey) => ({ pubkey, weight: 1, account: "" })) };
const FROM = federationAccount(chain, federation).address;
const other = federationAccount(chain, { ...federation, members: [0, 1, 2].map((i) => ({ pubkey: publicKeyFromPrivate(sha256(Buffer.from(`other ${i}`))), weight: 1, account: "" })) }).address;
const addr = (n: number, prefix = "cosmos", len = 20) => bech32.encode(prefix, bech32.toWords(new Uint8Array(len).fill(n)));
const entry = (n: number, value: bigint, account = FROM): ReserveEntryView => {
  const id = new Uint8Array(36).fill(n);
  return { id, displayId: `${Buffer.from(id.subarray(0, 32)).toString("hex").toUpperCase()}:${n}`, value, data: reserveAccountData(account) };
};
const ENTRIES = [entry(1, 4_000_000n), entry(2, 10_000_000n), entry(3, 1_000_000n)];
const PAYMENTS: HubPayment[] = [
  { id: 7, address: addr(7), amount: 2_000_000n },
  { id: 8, address: addr(8), amount: 3_000_001n },
  { id: 9, address: addr(9, "cosmos", 32), amount: 500_000n },
];
const params = (over: Partial<HubReleaseParams> = {}): HubReleaseParams => ({
  chainId: "cosmoshub-4",
  accountNumber: 123_456n,
  sequence: 42n,
  timeoutHeight: 25_000_000n,
  denom: "uatom",
  fee: { amount: 5n, gasLimit: 230_000n },
  from: FROM,
  payments: PAYMENTS,
  entries: ENTRIES,
  maxPayments: 100,
  ...over,
});
/** The peg's generic payments (ReleasePayment: the address as account bytes). */
const generic = (ps: readonly HubPayment[]) => ps.map((p) => ({ id: p.id, amount: p.amount, script: bech32.fromWords(bech32.decode(p.address as `${string}1${string}`).words) }));
const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(HubReleaseError);
    return (e as Error).message;
  }
  throw new Error("expected a HubReleaseError");
};

/** The sign bytes as CosmJS makes them from proto messages (its bank amino converters). */
function cosmjsSignBytes(p: HubReleaseParams, msg: { typeUrl: string; value: unknown }, memo = ""): Uint8Array {
  const amino = new AminoTypes(createBankAminoConverters()).toAmino(msg);
  const fee = { amount: p.fee.amount === 0n ? [] : [{ denom: p.denom, amount: p.fee.amount.toString() }], gas: p.fee.gasLimit.toString() };
  return serializeSignDoc(makeSignDoc([amino], fee, p.chainId, memo, p.accountNumber, p.sequence.toString(), p.timeoutHeight));
}
const coin = (amount: bigint) => [{ denom: "uatom", amount: amount.toString() }];

describe("the sign doc", () => {
  it("is CosmJS' StdSignBytes of the MsgMultiSend paying the payments in order, and its body is CosmJS' TxBody", () => {
    const r = buildHubRelease(params());
    const [o7, o8, o9] = r.outputs;
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgMultiSend",
      value: MsgMultiSend.fromPartial({
        inputs: [{ address: FROM, coins: coin(o7.value + o8.value + o9.value) }],
        outputs: [{ address: addr(7), coins: coin(o7.value) }, { address: addr(8), coins: coin(o8.value) }, { address: addr(9, "cosmos", 32), coins: coin(o9.value) }],
      }),
    };
    expect(Buffer.from(r.payload).toString()).toBe(Buffer.from(cosmjsSignBytes(params(), msg)).toString());
    const body = new Registry(defaultRegistryTypes).encodeTxBody({ messages: [msg], memo: "", timeoutHeight: 25_000_000n });
    expect(hex(hubTxBodyBytes(r.signDoc))).toBe(hex(body));
  });

  it("is CosmJS' StdSignBytes of a MsgSend for one payment, with a memo needing escapes, and a fee of 0", () => {
    const p = params({ payments: [PAYMENTS[1]], memo: `a&b <c> "d" \\ e`, fee: { amount: 0n, gasLimit: 200_000n } });
    const r = buildHubRelease(p);
    const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: MsgSend.fromPartial({ fromAddress: FROM, toAddress: addr(8), amount: coin(3_000_001n) }) };
    expect(Buffer.from(r.payload).toString()).toBe(Buffer.from(cosmjsSignBytes(p, msg, p.memo)).toString());
    expect(Buffer.from(r.payload).toString()).toContain(String.raw`"memo":"a\u0026b \u003cc\u003e \"d\" \\ e"`);
  });

  it("has the shape of the SDK's StdSignBytes: sorted keys, no whitespace, numbers as strings", () => {
    const r = buildHubRelease(params({ payments: [PAYMENTS[0]], fee: { amount: 200_000n, gasLimit: 200_000n } }));
    expect(Buffer.from(r.payload).toString()).toBe(
      `{"account_number":"123456","chain_id":"cosmoshub-4","fee":{"amount":[{"amount":"200000","denom":"uatom"}],"gas":"200000"},"memo":"",` +
        `"msgs":[{"type":"cosmos-sdk/MsgSend","value":{"amount":[{"amount":"1800000","denom":"uatom"}],"from_address":"${FROM}","to_address":"${addr(7)}"}}],` +
        `"sequence":"42","timeout_height":"25000000"}`,
    );
  });

  it("reads back into the same fields, and refuses any other serialization of them", () => {
    const r = buildHubRelease(params());
    expect(parseHubSignDoc(r.payload)).toEqual(r.signDoc);
    const text = Buffer.from(r.payload).toString();
    const variants = [
      JSON.stringify(JSON.parse(text), null, 1), // whitespace
      text.replace(`{"account_number":"123456","chain_id":"cosmoshub-4",`, `{"chain_id":"cosmoshub-4","account_number":"123456",`), // key order
      text.replace(`"sequence":"42"`, `"sequence":"042"`),
      text.replace(`"memo":""`, `"memo":"","extra":1`),
      text.replace(`"timeout_height":"25000000"`, `"timeout_height":"25000000","timeout_timestamp":"1"`),
    ];
    for (const v of variants) expect(refusal(() => parseHubSignDoc(Buffer.from(v)))).toMatch(/not the canonical sign doc|not a decimal/);
    expect(refusal(() => parseHubSignDoc(Buffer.from("{")))).toMatch(/not a Hub release sign doc/);
    expect(refusal(() => parseHubSignDoc(Buffer.from(text.replace('"denom":"uatom"}],"gas"', '"denom":"stake"}],"gas"'))))).toMatch(/in stake, the release's coins are in uatom/);
  });

  it("is deterministic: the same release from the same inputs, whatever the entries' order", () => {
    const a = buildHubRelease(params());
    const b = buildHubRelease(params({ entries: [...ENTRIES].reverse() }));
    expect(hex(b.payload)).toBe(hex(a.payload));
    expect(b).toEqual(a);
    expect(a.inputs.map((e) => e.value)).toEqual([10_000_000n, 4_000_000n, 1_000_000n]);
    expect(a.txid).toBe(hex(sha256(a.payload)).toUpperCase());
    expect(hex(hubReleaseDigest(a.payload))).toBe(hex(sha256(a.payload)));
    // Anything signed changes the id: sequence, account number, chain id, timeout, fee, memo.
    const ids = [params({ sequence: 43n }), params({ accountNumber: 1n }), params({ chainId: "other-1" }), params({ timeoutHeight: 1n }), params({ fee: { amount: 5n, gasLimit: 230_001n } }), params({ memo: "x" })].map((p) => buildHubRelease(p).txid);
    expect(new Set([a.txid, ...ids]).size).toBe(7);
  });
});

describe("payments, fee and change", () => {
  it("shares the fee across the payments (fee / n, the first fee mod n one more); outputs + fee = inputs − change", () => {
    const r = buildHubRelease(params());
    expect(r.feeShares).toEqual([2n, 2n, 1n]);
    expect(r.outputs).toEqual([
      { paymentId: 7, script: new Uint8Array(20).fill(7), value: 2_000_000n - 2n },
      { paymentId: 8, script: new Uint8Array(20).fill(8), value: 3_000_001n - 2n },
      { paymentId: 9, script: new Uint8Array(32).fill(9), value: 500_000n - 1n },
      { script: federationAccount(chain, federation).rawAddress, value: 15_000_000n - 5_500_001n },
    ]);
    const inputs = sum(r.inputs.map((e) => e.value));
    const payOutputs = sum(r.outputs.filter((o) => o.paymentId !== undefined).map((o) => o.value));
    expect(payOutputs + r.fee).toBe(inputs - r.change!.value);
    expect(r.change!.value).toBe(inputs - sum(PAYMENTS.map((p) => p.amount)));
    // The peg's own checks of any kind's release, and it costs the reserve nothing beyond what it burns.
    expect(checkBuilt(r, generic(PAYMENTS))).toBe(r);
    expect(releaseCost({ inputs: r.inputs.map((e) => ({ value: e.value.toString() })), change: { value: r.change!.value.toString() }, amount: sum(PAYMENTS.map((p) => p.amount)).toString() } as never)).toBe(0n);
    // The change stays in the account: the Hub tx pays only the payments.
    expect(r.signDoc.outputs.map((o) => o.amount)).toEqual(r.outputs.slice(0, 3).map((o) => o.value));
    expect(sum(r.signDoc.outputs.map((o) => o.amount)) + r.signDoc.fee.amount).toBe(sum(PAYMENTS.map((p) => p.amount)));
  });

  it("merges nothing: two payments to one address are two outputs", () => {
    const r = buildHubRelease(params({ payments: [PAYMENTS[0], { id: 10, address: addr(7), amount: 1_000n }] }));
    expect(r.signDoc.outputs).toEqual([{ address: addr(7), amount: 2_000_000n - 3n }, { address: addr(7), amount: 1_000n - 2n }]);
    expect(r.outputs.map((o) => o.paymentId)).toEqual([7, 10, undefined]);
  });

  it("names its change entry after the sign doc: sha256(sign bytes) ‖ 0xffffffff, in the federation's account", () => {
    const r = buildHubRelease(params());
    expect(hex(r.change!.id)).toBe(hex(sha256(r.payload)) + "ffffffff");
    expect(r.change!.displayId).toBe(`${r.txid}:${CHANGE_INDEX}`);
    expect(hex(r.change!.data)).toBe(hex(reserveAccountData(FROM)));
    // Paying exactly the reserve leaves no change entry.
    const exact = buildHubRelease(params({ payments: [{ id: 1, address: addr(1), amount: 15_000_000n }] }));
    expect(exact.change).toBeUndefined();
    expect(exact.outputs).toHaveLength(1);
  });

  it("pays greedily in order: what does not fit waits, the payments after it still get their chance, at most maxPayments", () => {
    const payments: HubPayment[] = [
      { id: 1, address: addr(1), amount: 9_000_000n },
      { id: 2, address: addr(2), amount: 7_000_000n }, // 16M: more than the 15M reserve
      { id: 3, address: addr(3), amount: 2n }, // less than its share of a fee of 10 with two payments
      { id: 4, address: addr(4), amount: 6_000_000n },
      { id: 5, address: addr(5), amount: 1n },
    ];
    const r = buildHubRelease(params({ payments, fee: { amount: 10n, gasLimit: 200_000n } }));
    expect(r.outputs.map((o) => o.paymentId)).toEqual([1, 4, undefined]);
    expect(r.feeShares).toEqual([5n, 5n]);
    expect(checkBuilt(r, generic(payments))).toBe(r);
    const capped = buildHubRelease(params({ maxPayments: 2 }));
    expect(capped.outputs.map((o) => o.paymentId)).toEqual([7, 8, undefined]);
    expect(capped.feeShares).toEqual([3n, 2n]);
    // Rebuilt from exactly its inputs and the payments it pays: the same release.
    expect(buildHubRelease(params({ maxPayments: 2, entries: capped.inputs, payments: PAYMENTS.slice(0, 2) }))).toEqual(capped);
    expect(refusal(() => buildHubRelease(params({ payments: [{ id: 1, address: addr(1), amount: 15_000_001n }] })))).toMatch(/insufficient reserve: the payments need 15000001, the entries hold 15000000/);
    expect(refusal(() => buildHubRelease(params({ payments: [{ id: 1, address: addr(1), amount: 5n }] })))).toMatch(/withdrawal 1: 5 minus its fee share 5 leaves nothing/);
  });

  it("sweeps: no payments move every entry less the fee to another account; with payments the change to another account is the last output", () => {
    const sweep = buildHubRelease(params({ payments: [], changeTo: other, fee: { amount: 170_000n, gasLimit: 170_000n } }));
    expect(sweep.signDoc.outputs).toEqual([{ address: other, amount: 15_000_000n - 170_000n }]);
    expect(sweep.outputs).toEqual([{ script: bech32.fromWords(bech32.decode(other as `${string}1${string}`).words), value: 15_000_000n - 170_000n }]);
    expect(sweep.change).toMatchObject({ value: 15_000_000n - 170_000n, data: reserveAccountData(other) });
    expect(Buffer.from(sweep.payload).toString()).toContain('"type":"cosmos-sdk/MsgSend"');
    expect(checkBuilt(sweep, [])).toBe(sweep);

    const moving = buildHubRelease(params({ payments: [PAYMENTS[0]], changeTo: other }));
    expect(moving.signDoc.outputs).toEqual([{ address: addr(7), amount: 2_000_000n - 5n }, { address: other, amount: 13_000_000n }]);
    expect(Buffer.from(moving.payload).toString()).toContain('"type":"cosmos-sdk/MsgMultiSend"');
    expect(refusal(() => buildHubRelease(params({ payments: [] })))).toMatch(/no payments, and the change stays in the same account/);
    expect(refusal(() => buildHubRelease(params({ payments: [], changeTo: other, fee: { amount: 15_000_000n, gasLimit: 1n } })))).toMatch(/leaves nothing to send/);
  });
});

describe("refusals", () => {
  const pay = (address: string) => () => buildHubRelease(params({ payments: [{ id: 5, address, amount: 1_000n }] }));

  it("refuses a payment to an address that is not the Hub's, saying why", () => {
    expect(refusal(pay("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"))).toBe(
      'payment 0 (withdrawal 5): "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080" is not a Hub account address: its prefix is "bcrt", the Hub\'s is "cosmos"',
    );
    expect(refusal(pay(addr(1, "peg")))).toMatch(/^payment 0 \(withdrawal 5\): "peg1.*" is not a Hub account address: its prefix is "peg", the Hub's is "cosmos"$/);
    expect(refusal(pay("bcrt1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqc8gma6"))).toMatch(/is not a Hub account address: not bech32/); // bech32m
    expect(refusal(pay(addr(1, "cosmosvaloper")))).toMatch(/its prefix is "cosmosvaloper"/);
    expect(refusal(pay(addr(1).toUpperCase()))).toMatch(/its prefix is "COSMOS"|must be written in lowercase/);
    expect(refusal(pay(addr(1, "cosmos", 21)))).toMatch(/holds 21 bytes, not 20 or 32/);
    expect(refusal(pay("cosmos1notanaddress"))).toMatch(/not bech32/);
    expect(refusal(pay(FROM))).toMatch(/a federation's own account/);
    expect(refusal(() => buildHubRelease(params({ payments: [{ id: 1, address: other, amount: 5_000n }], changeTo: other })))).toMatch(/a federation's own account/);
  });

  it("refuses bad parameters", () => {
    expect(refusal(() => buildHubRelease(params({ entries: [entry(1, 5n, other)] })))).toMatch(/is held by "cosmos1.*", not by the releasing account/);
    expect(refusal(() => buildHubRelease(params({ entries: [entry(1, 5n), entry(1, 6n)] })))).toMatch(/listed twice/);
    expect(refusal(() => buildHubRelease(params({ entries: [] })))).toMatch(/no reserve entries/);
    expect(refusal(() => buildHubRelease(params({ entries: Array.from({ length: MAX_HUB_RELEASE_INPUTS + 1 }, (_, i) => entry(i, 1n)) })))).toMatch(/more than the 250/);
    expect(refusal(() => buildHubRelease(params({ payments: [PAYMENTS[0], PAYMENTS[0]] })))).toMatch(/listed twice/);
    expect(refusal(() => buildHubRelease(params({ payments: [{ ...PAYMENTS[0], amount: 0n }] })))).toMatch(/amount must be a bigint from 1/);
    expect(refusal(() => buildHubRelease(params({ maxPayments: 0 })))).toMatch(/maxPayments/);
    expect(refusal(() => buildHubRelease(params({ timeoutHeight: 0n })))).toMatch(/timeoutHeight must be a bigint from 1/);
    expect(refusal(() => buildHubRelease(params({ sequence: -1n })))).toMatch(/sequence/);
    expect(refusal(() => buildHubRelease(params({ fee: { amount: 5n, gasLimit: 0n } })))).toMatch(/fee.gasLimit/);
    expect(refusal(() => buildHubRelease(params({ memo: "é" })))).toMatch(/printable ASCII/);
    expect(refusal(() => buildHubRelease(params({ memo: "x".repeat(257) })))).toMatch(/at most 256/);
    expect(refusal(() => buildHubRelease(params({ denom: "u" })))).toMatch(/not a Cosmos SDK denom/);
    expect(refusal(() => buildHubRelease(params({ chainId: "" })))).toMatch(/chain id/);
  });
});

describe("signatures and the signed tx", () => {
  const release = buildHubRelease(params());
  const digest = hubReleaseDigest(release.payload);
  const sigs = privateKeys.map((k) => signHubDigest(k, digest));
  const multisig = hubMultisigPubkey(pubkeys, 2);
  const sortedMembers = multisig.value.pubkeys.map((k) => pubkeys.findIndex((pk) => Buffer.from(pk).toString("base64") === k.value));
  const cosmjs = (who: number[]) => {
    const fee = { amount: [{ denom: "uatom", amount: "5" }], gas: "230000" };
    return makeMultisignedTxBytes(multisig, 42, fee, hubTxBodyBytes(release.signDoc), new Map(who.map((i) => [bech32.encode("cosmos", bech32.toWords(addressFromPubkey(pubkeys[i]))), sigs[i]])));
  };

  it("verifies a member's low-S signature of the digest, and nothing else", () => {
    for (const [i, s] of sigs.entries()) expect(verifyHubSignature(pubkeys[i], digest, s)).toBe(true);
    const otherDigest = hubReleaseDigest(buildHubRelease(params({ sequence: 43n })).payload);
    expect(verifyHubSignature(pubkeys[0], otherDigest, sigs[0])).toBe(false); // another sign doc
    expect(verifyHubSignature(publicKeyFromPrivate(sha256(Buffer.from("not a member"))), digest, sigs[0])).toBe(false);
    expect(verifyHubSignature(pubkeys[0], digest, signHubDigest(sha256(Buffer.from("not a member")), digest))).toBe(false);
    expect(verifyHubSignature(pubkeys[1], digest, sigs[0])).toBe(false);
    // The same signature with s → n − s (high S) is refused, as the SDK refuses it.
    const high = Uint8Array.from(sigs[0]);
    const s = SECP256K1_N - BigInt(`0x${hex(high.subarray(32))}`);
    high.set(Buffer.from(s.toString(16).padStart(64, "0"), "hex"), 32);
    expect(secp256k1.verify(high, digest, pubkeys[0], { prehash: false, lowS: false, format: "compact" })).toBe(true);
    expect(verifyHubSignature(pubkeys[0], digest, high)).toBe(false);
    expect(verifyHubSignature(pubkeys[0], digest, sigs[0].subarray(1))).toBe(false);
    expect(verifyHubSignature(pubkeys[0], digest.subarray(1), sigs[0])).toBe(false);
  });

  it("assembles the tx CosmJS' makeMultisignedTxBytes assembles, for every pair of members, whatever their sorted positions", () => {
    expect(sortedMembers).not.toEqual([0, 1, 2]); // the mapping matters for these keys
    for (const pair of [[0, 1], [0, 2], [1, 2]]) {
      const tx = assembleHubRelease(release, pubkeys, new Map(pair.map((i) => [i, sigs[i]])), 2);
      expect(hex(tx)).toBe(hex(cosmjs(pair)));
    }
  });

  it("uses the first threshold signatures in sorted-key order when more are given", () => {
    const all = assembleHubRelease(release, pubkeys, new Map([[2, sigs[2]], [0, sigs[0]], [1, sigs[1]]]), 2);
    expect(hex(all)).toBe(hex(cosmjs(sortedMembers.slice(0, 2))));
    // A 1-of-3 account takes one, 3-of-3 all three.
    const one = buildHubRelease(params({ from: federationAccount(chain, { ...federation, threshold: 1 }).address, entries: ENTRIES.map((e) => ({ ...e, data: reserveAccountData(federationAccount(chain, { ...federation, threshold: 1 }).address) })) }));
    const oneSigs = new Map(privateKeys.map((k, i) => [i, signHubDigest(k, hubReleaseDigest(one.payload))]));
    expect(hubSignDocOfTx(assembleHubRelease(one, pubkeys, oneSigs, 1), "cosmoshub-4", 123_456n)).toEqual(one.signDoc);
  });

  it("reads the release's sign doc and id back from the signed tx, whoever signed", () => {
    for (const pair of [[0, 1], [1, 2]]) {
      const tx = assembleHubRelease(release, pubkeys, new Map(pair.map((i) => [i, sigs[i]])), 2);
      expect(hubSignDocOfTx(tx, "cosmoshub-4", 123_456n)).toEqual(release.signDoc);
      expect(hex(hubSignBytes(hubSignDocOfTx(tx, "cosmoshub-4", 123_456n)))).toBe(hex(release.payload));
      expect(hubReleaseIdOfTx(tx, "cosmoshub-4", 123_456n)).toBe(release.txid);
    }
    const tx = assembleHubRelease(release, pubkeys, new Map([[0, sigs[0]], [1, sigs[1]]]), 2);
    expect(hubReleaseIdOfTx(tx, "cosmoshub-4", 1n)).not.toBe(release.txid); // the account number is signed
    expect(refusal(() => hubSignDocOfTx(Uint8Array.of(...tx, 0), "cosmoshub-4", 123_456n))).toMatch(/TxRaw/);
  });

  it("refuses to assemble below the threshold, with a bad signature, an unknown member or another federation", () => {
    expect(refusal(() => assembleHubRelease(release, pubkeys, new Map([[0, sigs[0]]]), 2))).toMatch(/1 valid signature\(s\), below the threshold 2/);
    expect(refusal(() => assembleHubRelease(release, pubkeys, new Map([[0, sigs[1]], [1, sigs[1]]]), 2))).toMatch(/the signature of member 0 is not a valid/);
    expect(refusal(() => assembleHubRelease(release, pubkeys, new Map([[0, sigs[0]], [3, sigs[1]]]), 2))).toMatch(/unknown member index 3/);
    expect(refusal(() => assembleHubRelease(release, pubkeys, new Map([[0, sigs[0]], [1, sigs[1]]]), 3))).toMatch(/make another account than/);
    expect(refusal(() => assembleHubRelease(release, [pubkeys[0], pubkeys[1]], new Map([[0, sigs[0]], [1, sigs[1]]]), 2))).toMatch(/make another account than/);
    expect(refusal(() => assembleHubRelease(release, [pubkeys[0], pubkeys[0], pubkeys[1]], new Map(), 2))).toMatch(/listed twice/);
    expect(refusal(() => assembleHubRelease({ payload: Buffer.from("{}") }, pubkeys, new Map(), 2))).toMatch(/exactly one message/);
  });
});

describe("the gas limit", () => {
  it("is 110,000 + 10,000 per signature + 5,000 per key + 25,000 per output", () => {
    expect(hubReleaseGasLimit(1, 2, 3)).toBe(170_000n);
    expect(hubReleaseGasLimit(40, 4, 7)).toBe(1_185_000n);
    expect(refusal(() => hubReleaseGasLimit(0, 2, 3))).toMatch(/outputs/);
    expect(refusal(() => hubReleaseGasLimit(1, 4, 3))).toMatch(/threshold/);
  });
});
