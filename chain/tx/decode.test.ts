/**
 * Wire-level decoding rules (ADR-027, unknown fields, UTF-8, duplicates) and the stateless checks
 * decodeTx makes, on hand-built txs signed with our own signer.
 */
import { AuthInfo, Fee, SignerInfo, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { PubKey as Secp256k1PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { addressFromPubkey, toBech32 } from "../crypto/address";
import { publicKeyFromPrivate, signSecp256k1 } from "../crypto/secp256k1";
import { MSG_SEND_TYPE_URL, registerBankMsgs } from "../../modules/bank/codecs";
import { decodeTx, MAX_GAS_WANTED } from "./decode";
import { SdkError } from "./errors";
import { MsgRegistry } from "./registry";
import { aminoJsonSignBytes, directSignBytes } from "./sign-doc";
import { verifyTxSignatures } from "./verify";

const registry = registerBankMsgs(new MsgRegistry());
const CHAIN_ID = "pegzone-test";
const sk = Uint8Array.from(Buffer.from("2a".repeat(32), "hex"));
const pubkey = publicKeyFromPrivate(sk);
const address = toBech32("peg", addressFromPubkey(pubkey));
const other = toBech32("peg", new Uint8Array(20).fill(3));

// ---- a minimal protobuf writer, to build what encoders refuse to ----
function varint(v: bigint | number): number[] {
  let n = BigInt(v);
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n > 0n) b |= 0x80;
    out.push(b);
  } while (n > 0n);
  return out;
}
const cat = (...parts: Array<Uint8Array | number[]>): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const tag = (field: number, wt: number): number[] => varint((field << 3) | wt);
const ld = (field: number, payload: Uint8Array | number[]): Uint8Array => cat(tag(field, 2), varint(payload.length), payload);
const vi = (field: number, v: bigint | number): Uint8Array => cat(tag(field, 0), varint(v));
const str = (s: string): Uint8Array => new TextEncoder().encode(s);

const sendValue = (): Uint8Array => MsgSend.encode({ fromAddress: address, toAddress: other, amount: [{ denom: "upeg", amount: "5" }] }).finish();
const sendAny = (value: Uint8Array = sendValue(), typeUrl = MSG_SEND_TYPE_URL): Uint8Array => cat(ld(1, str(typeUrl)), ld(2, value));

function bodyBytes(extra: Uint8Array = new Uint8Array(), memo = "hello"): Uint8Array {
  return cat(ld(1, sendAny()), ld(2, str(memo)), extra);
}

function signerInfo(mode = SignMode.SIGN_MODE_DIRECT, sequence = 0n): SignerInfo {
  return {
    publicKey: { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: Secp256k1PubKey.encode({ key: pubkey }).finish() },
    modeInfo: { single: { mode } },
    sequence,
  };
}

function authInfoBytes(fee: Partial<Fee> = {}, mode = SignMode.SIGN_MODE_DIRECT): Uint8Array {
  return AuthInfo.encode({
    signerInfos: [signerInfo(mode)],
    fee: { amount: [{ denom: "upeg", amount: "100" }], gasLimit: 100000n, payer: "", granter: "", ...fee },
  }).finish();
}

/** A TxRaw signed in DIRECT mode over the given body / auth info bytes (account number 0). */
function signedTx(body = bodyBytes(), auth = authInfoBytes()): Uint8Array {
  const sig = signSecp256k1(sk, directSignBytes({ bodyBytes: body, authInfoBytes: auth }, CHAIN_ID, 0n));
  return TxRaw.encode({ bodyBytes: body, authInfoBytes: auth, signatures: [sig] }).finish();
}

function rawTx(body: Uint8Array, auth: Uint8Array, sigs: Uint8Array[] = [new Uint8Array(64).fill(1)]): Uint8Array {
  return cat(ld(1, body), ld(2, auth), ...sigs.map((s) => ld(3, s)));
}

function expectCode(fn: () => unknown, code: number, text?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof SdkError)) throw new Error(`expected SdkError ${code}, got ${caught === undefined ? "no error" : String(caught)}`);
  expect([caught.codespace, caught.code]).toEqual(["sdk", code]);
  if (text) expect(caught.message).toMatch(text);
}

const signerAcc = { address: addressFromPubkey(pubkey), accountNumber: 0n, sequence: 0n };

describe("decodeTx", () => {
  it("accepts the well-formed baseline, which verifies", () => {
    const tx = decodeTx(signedTx(), registry);
    expect(tx.memo).toBe("hello");
    expect(verifyTxSignatures(tx, CHAIN_ID, [signerAcc], { registry })).toHaveLength(1);
  });

  it("decodes without a registry, leaving messages as type URL + bytes", () => {
    const tx = decodeTx(signedTx(cat(ld(1, sendAny(new Uint8Array([1, 2]), "/some.unknown.Msg")))));
    expect(tx.messages).toEqual([{ typeUrl: "/some.unknown.Msg", value: new Uint8Array([1, 2]) }]);
  });

  const body = bodyBytes();
  const auth = authInfoBytes();
  const cases: Array<{ name: string; bytes: () => Uint8Array; expErr: number; text?: RegExp }> = [
    // TxRaw (ADR-027, strict)
    { name: "TxRaw fields out of order", bytes: () => cat(ld(2, auth), ld(1, body), ld(3, new Uint8Array(64))), expErr: 2, text: /ADR-027, got tagNum 1 after tagNum 2/ },
    { name: "TxRaw body_bytes twice", bytes: () => cat(ld(1, body), ld(1, body), ld(2, auth)), expErr: 2, text: /field 1 appears more than once/ },
    {
      name: "TxRaw non-minimal length varint",
      bytes: () => cat(padLen(1, body), ld(2, auth)),
      expErr: 2,
      text: /least bytes possible/,
    },
    { name: "TxRaw unknown field 4", bytes: () => cat(rawTx(body, auth), ld(4, [1])), expErr: 2 },
    { name: "TxRaw varint field", bytes: () => cat(ld(1, body), ld(2, auth), vi(3, 1)), expErr: 2, text: /expected 2 wire type, got 0/ },
    { name: "TxRaw group wire type", bytes: () => cat(ld(1, body), tag(2, 3)), expErr: 2 },
    // TxBody
    { name: "TxBody unknown critical field (v0.53 unordered)", bytes: () => rawTx(bodyBytes(vi(4, 1)), auth), expErr: 2, text: /unknown field 4/ },
    { name: "TxBody memo twice", bytes: () => rawTx(bodyBytes(ld(2, str("again"))), auth), expErr: 2, text: /more than once/ },
    { name: "TxBody memo not UTF-8", bytes: () => rawTx(cat(ld(1, sendAny()), ld(2, [0x68, 0xff, 0xfe])), auth), expErr: 2, text: /not valid UTF-8/ },
    { name: "TxBody memo with wrong wire type", bytes: () => rawTx(cat(ld(1, sendAny()), vi(2, 5)), auth), expErr: 2, text: /wire type/ },
    { name: "message of unregistered type", bytes: () => rawTx(cat(ld(1, sendAny(new Uint8Array(), "/foo.MsgBar"))), auth), expErr: 2, text: /unable to resolve type URL \/foo.MsgBar/ },
    { name: "unknown field inside MsgSend", bytes: () => rawTx(cat(ld(1, sendAny(cat(sendValue(), vi(9, 1))))), auth), expErr: 2, text: /unknown field 9 .*MsgSend/ },
    { name: "unknown field inside a Coin of MsgSend", bytes: () => rawTx(cat(ld(1, sendAny(cat(ld(1, str(address)), ld(3, cat(ld(1, str("upeg")), ld(2, str("1")), vi(3, 1))))))), auth), expErr: 2, text: /Coin/ },
    { name: "MsgSend bytes that do not parse", bytes: () => rawTx(cat(ld(1, sendAny(Uint8Array.from([0x0a, 0x05, 0x61])))), auth), expErr: 2 },
    { name: "extension option", bytes: () => rawTx(cat(body, ld(1023, sendAny())), auth), expErr: 2, text: /unable to resolve type URL/ },
    { name: "non-critical extension option", bytes: () => rawTx(cat(body, ld(2047, cat(ld(1, str("/x.Ext")), ld(2, [])))), auth), expErr: 2, text: /unable to resolve type URL/ },
    // AuthInfo (strict)
    { name: "AuthInfo unknown field", bytes: () => rawTx(body, cat(auth, vi(7, 1))), expErr: 2, text: /unknown field 7/ },
    { name: "AuthInfo unknown non-critical field", bytes: () => rawTx(body, cat(auth, vi(1025, 1))), expErr: 2, text: /unknown non-critical field 1025/ },
    { name: "SignerInfo unknown field", bytes: () => rawTx(body, cat(ld(1, cat(SignerInfo.encode(signerInfo()).finish(), vi(5, 1))), ld(2, Fee.encode({ amount: [], gasLimit: 1n, payer: "", granter: "" }).finish()))), expErr: 2 },
    { name: "mode info with both single and multi", bytes: () => rawTx(body, AuthInfo.encode({ signerInfos: [{ ...signerInfo(), modeInfo: { single: { mode: 1 }, multi: { modeInfos: [] } } }], fee: Fee.fromPartial({ gasLimit: 1n }) }).finish()), expErr: 2, text: /both single and multi/ },
    { name: "missing mode info", bytes: () => rawTx(body, AuthInfo.encode({ signerInfos: [{ ...signerInfo(), modeInfo: undefined }], fee: Fee.fromPartial({ gasLimit: 1n }) }).finish()), expErr: 4 },
    { name: "unknown sign mode number", bytes: () => rawTx(body, authInfoBytes({}, 999 as SignMode)), expErr: 4, text: /unsupported sign mode 999/ },
    { name: "SIGN_MODE_DIRECT_AUX", bytes: () => rawTx(body, authInfoBytes({}, SignMode.SIGN_MODE_DIRECT_AUX)), expErr: 4 },
    // Fee and other stateless checks
    { name: "missing fee", bytes: () => rawTx(body, AuthInfo.encode({ signerInfos: [signerInfo()] }).finish()), expErr: 18, text: /missing fee/ },
    { name: "negative fee amount", bytes: () => rawTx(body, authInfoBytes({ amount: [{ denom: "upeg", amount: "-1" }] })), expErr: 13, text: /invalid fee provided: -1upeg/ },
    { name: "empty fee amount", bytes: () => rawTx(body, authInfoBytes({ amount: [{ denom: "upeg", amount: "" }] })), expErr: 13, text: /null/ },
    { name: "fee amount not an integer", bytes: () => rawTx(body, authInfoBytes({ amount: [{ denom: "upeg", amount: "1.5" }] })), expErr: 2 },
    { name: "fee amount above 256 bits", bytes: () => rawTx(body, authInfoBytes({ amount: [{ denom: "upeg", amount: (2n ** 256n).toString() }] })), expErr: 2, text: /out of range/ },
    { name: "gas limit above 2^63-1", bytes: () => rawTx(body, authInfoBytes({ gasLimit: MAX_GAS_WANTED + 1n })), expErr: 18, text: /invalid gas supplied/ },
    { name: "fee payer not a peg address", bytes: () => rawTx(body, authInfoBytes({ payer: toBech32("cosmos", new Uint8Array(20)) })), expErr: 7, text: /fee payer/ },
    { name: "fee granter garbage", bytes: () => rawTx(body, authInfoBytes({ granter: "peg1xyz" })), expErr: 7 },
    { name: "tip", bytes: () => rawTx(body, AuthInfo.encode({ signerInfos: [signerInfo()], fee: Fee.fromPartial({ gasLimit: 1n }), tip: { amount: [], tipper: address } }).finish()), expErr: 18, text: /tips/ },
  ];

  it.each(cases)("rejects $name → $expErr", ({ bytes, expErr, text }) => {
    expectCode(() => decodeTx(bytes(), registry), expErr, text);
  });

  it("tolerates unknown non-critical TxBody fields for DIRECT, but LEGACY_AMINO_JSON refuses them", () => {
    const b = bodyBytes(ld(1025, str("ignored")));
    const tx = decodeTx(signedTx(b), registry);
    expect(tx.hasUnknownNonCriticals).toBe(true);
    expect(verifyTxSignatures(tx, CHAIN_ID, [signerAcc], { registry })).toHaveLength(1);
    expectCode(() => aminoJsonSignBytes(tx, registry, { chainId: CHAIN_ID, accountNumber: 0n, sequence: 0n }), 18, /non-critical/);

    const aminoTx = decodeTx(rawTx(b, authInfoBytes({}, SignMode.SIGN_MODE_LEGACY_AMINO_JSON), [signSecp256k1(sk, new Uint8Array([1]))]), registry);
    expectCode(() => verifyTxSignatures(aminoTx, CHAIN_ID, [signerAcc], { registry }), 4);
  });

  it("never throws anything but SdkError on random bytes", () => {
    let seed = 12345;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const valid = signedTx();
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from(valid);
      const flips = 1 + (rnd() % 4);
      for (let j = 0; j < flips; j++) bytes[rnd() % bytes.length] = rnd() & 0xff;
      try {
        decodeTx(bytes, registry);
      } catch (e) {
        expect(e).toBeInstanceOf(SdkError);
      }
    }
  });
});

/** A length-delimited field whose length varint carries a redundant 0x80 0x00 continuation. */
function padLen(field: number, payload: Uint8Array): Uint8Array {
  const len = varint(payload.length);
  len[len.length - 1]! |= 0x80;
  return cat(tag(field, 2), len, [0x00], payload);
}
