/**
 * Transactions signed offline by unmodified CosmJS 0.39 wallets, in both sign modes, decoded and
 * verified by our code; and the rejections the ante chain must make.
 */
import { makeSignDoc, serializeSignDoc, Secp256k1HdWallet, type StdFee } from "@cosmjs/amino";
import { sha256, Slip10RawIndex, type HdPath } from "@cosmjs/crypto";
import { toHex } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet, type EncodeObject } from "@cosmjs/proto-signing";
import { AminoTypes, createDefaultAminoConverters, SigningStargateClient } from "@cosmjs/stargate";
import { AuthInfo, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { PubKey as Ed25519PubKey } from "cosmjs-types/cosmos/crypto/ed25519/keys";
import { PubKey as Secp256k1PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { fromBech32 } from "../crypto/address";
import { SECP256K1_N } from "../crypto/secp256k1";
import { registerBankMsgs, MSG_MULTI_SEND_TYPE_URL, MSG_SEND_TYPE_URL } from "../../modules/bank/codecs";
import { decodeTx } from "./decode";
import { SdkError } from "./errors";
import { MsgRegistry } from "./registry";
import { aminoJsonSignBytes, directSignBytes } from "./sign-doc";
import { txHash, verifyTxSignatures, type SignerAccount } from "./verify";

const MNEMONIC_A =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";
const MNEMONIC_B =
  "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title";

const CHAIN_ID = "pegzone-1";
const ACCOUNT_NUMBER = 7n;
const SEQUENCE = 3n;
const MEMO = 'pay <alice> & "bob" — ünïcödé ✓ 🚀 \\ tab\tnewline\n';

const registry = registerBankMsgs(new MsgRegistry());
const aminoTypes = new AminoTypes(createDefaultAminoConverters());

type Mode = "direct" | "amino";

interface Signed {
  bytes: Uint8Array;
  address: string;
  pubkey: Uint8Array;
  msgs: EncodeObject[];
  fee: StdFee;
  memo: string;
  timeoutHeight?: bigint;
}

let addrA = "";
let addrB = "";
let addrC = "";

beforeAll(async () => {
  const [a] = await (await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_A, { prefix: "peg" })).getAccounts();
  const [b] = await (await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_B, { prefix: "peg" })).getAccounts();
  addrA = a!.address;
  addrB = b!.address;
  addrC = (await (await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_A, { prefix: "peg", hdPaths: [hdPath(1)] })).getAccounts())[0]!.address;
});

/** m/44'/118'/0'/0/index in CosmJS' HdPath form. */
function hdPath(index: number): HdPath {
  return [Slip10RawIndex.hardened(44), Slip10RawIndex.hardened(118), Slip10RawIndex.hardened(0), Slip10RawIndex.normal(0), Slip10RawIndex.normal(index)];
}

function sendMsg(from: string, to: string, amount = "1000"): EncodeObject {
  return { typeUrl: MSG_SEND_TYPE_URL, value: { fromAddress: from, toAddress: to, amount: [{ denom: "upeg", amount }] } };
}

function multiSendMsg(from: string): EncodeObject {
  return {
    typeUrl: MSG_MULTI_SEND_TYPE_URL,
    value: {
      inputs: [{ address: from, coins: [{ denom: "upeg", amount: "30" }, { denom: "uatom", amount: "4" }] }],
      outputs: [
        { address: addrB, coins: [{ denom: "upeg", amount: "10" }] },
        { address: addrC, coins: [{ denom: "upeg", amount: "20" }, { denom: "uatom", amount: "4" }] },
      ],
    },
  };
}

const defaultFee = (): StdFee => ({ amount: [{ denom: "upeg", amount: "5000" }], gas: "200000" });

async function signWithCosmjs(
  mode: Mode,
  opts: { msgs?: (from: string) => EncodeObject[]; fee?: StdFee; memo?: string; timeoutHeight?: bigint; chainId?: string; accountNumber?: bigint; sequence?: bigint; mnemonic?: string } = {},
): Promise<Signed> {
  const mnemonic = opts.mnemonic ?? MNEMONIC_A;
  const wallet =
    mode === "direct"
      ? await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "peg" })
      : await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "peg" });
  const [account] = await wallet.getAccounts();
  const client = await SigningStargateClient.offline(wallet);
  const msgs = (opts.msgs ?? ((from: string) => [sendMsg(from, addrB), multiSendMsg(from)]))(account!.address);
  const fee = opts.fee ?? defaultFee();
  const memo = opts.memo ?? MEMO;
  const raw = await client.sign(
    account!.address,
    msgs,
    fee,
    memo,
    {
      accountNumber: opts.accountNumber ?? ACCOUNT_NUMBER,
      sequence: Number(opts.sequence ?? SEQUENCE),
      chainId: opts.chainId ?? CHAIN_ID,
    },
    opts.timeoutHeight,
  );
  return { bytes: TxRaw.encode(raw).finish(), address: account!.address, pubkey: account!.pubkey, msgs, fee, memo, timeoutHeight: opts.timeoutHeight };
}

function signerOf(s: Signed, over: Partial<SignerAccount> = {}): SignerAccount {
  return { address: fromBech32(s.address, "peg"), accountNumber: ACCOUNT_NUMBER, sequence: SEQUENCE, pubkey: null, ...over };
}

function expectCode(fn: () => unknown, code: number, text?: RegExp): SdkError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (!(caught instanceof SdkError)) throw new Error(`expected SdkError code ${code}, got ${caught === undefined ? "no error" : String(caught)}`);
  expect({ codespace: caught.codespace, code: caught.code }).toEqual({ codespace: "sdk", code });
  if (text) expect(caught.message).toMatch(text);
  return caught;
}

describe.each<Mode>(["direct", "amino"])("CosmJS %s-signed txs", (mode) => {
  let signed: Signed;
  beforeAll(async () => {
    signed = await signWithCosmjs(mode);
  });

  it("decode into the domain type", () => {
    const tx = decodeTx(signed.bytes, registry);
    expect(tx.memo).toBe(MEMO);
    expect(tx.timeoutHeight).toBe(0n);
    expect(tx.messages.map((m) => m.typeUrl)).toEqual([MSG_SEND_TYPE_URL, MSG_MULTI_SEND_TYPE_URL]);
    expect(tx.messages[0]!.msg).toEqual({ fromAddress: signed.address, toAddress: addrB, amount: [{ denom: "upeg", amount: "1000" }] });
    expect(tx.fee).toEqual({ amount: [{ denom: "upeg", amount: 5000n }], gasLimit: 200000n, payer: "", granter: "" });
    expect(tx.signerInfos).toEqual([
      { pubkey: signed.pubkey, sequence: SEQUENCE, mode: mode === "direct" ? SignMode.SIGN_MODE_DIRECT : SignMode.SIGN_MODE_LEGACY_AMINO_JSON },
    ]);
    expect(tx.signatures).toHaveLength(1);
    expect(tx.signatures[0]).toHaveLength(64);
    expect(tx.hash).toBe(toHex(sha256(signed.bytes)).toUpperCase());
    expect(txHash(signed.bytes)).toBe(tx.hash);
    expect(tx.hasUnknownNonCriticals).toBe(false);
  });

  it("verify with the key from the tx, or with the key stored on the account", () => {
    const tx = decodeTx(signed.bytes, registry);
    expect(verifyTxSignatures(tx, CHAIN_ID, [signerOf(signed)], { registry })).toEqual([{ pubkey: signed.pubkey, pubkeyIsNew: true }]);
    expect(verifyTxSignatures(tx, CHAIN_ID, [signerOf(signed, { pubkey: signed.pubkey })], { registry })).toEqual([
      { pubkey: signed.pubkey, pubkeyIsNew: false },
    ]);
  });

  interface Case {
    name: string;
    /** changes the tx bytes and/or the signer account / chain id the verifier sees */
    malleate: (s: Signed) => { bytes?: Uint8Array; signer?: Partial<SignerAccount>; chainId?: string };
    expErr: number;
    text?: RegExp;
  }
  const cases: Case[] = [
    {
      name: "tampered body (memo changed after signing)",
      malleate: (s) => editBody(s.bytes, (b) => ({ ...b, memo: b.memo + "!" })),
      expErr: 4,
      text: /signature verification failed/,
    },
    {
      name: "tampered message amount",
      malleate: (s) => editBody(s.bytes, (b) => ({ ...b, messages: [b.messages[1]!, b.messages[0]!] })),
      expErr: 4,
    },
    {
      name: "tampered fee",
      malleate: (s) => editAuthInfo(s.bytes, (a) => ({ ...a, fee: { ...a.fee!, gasLimit: a.fee!.gasLimit + 1n } })),
      expErr: 4,
    },
    { name: "wrong chain id", malleate: () => ({ chainId: "pegzone-2" }), expErr: 4, text: /chain-id \(pegzone-2\)/ },
    { name: "wrong account number", malleate: () => ({ signer: { accountNumber: ACCOUNT_NUMBER + 1n } }), expErr: 4, text: /account number \(8\)/ },
    {
      name: "account sequence differs from the tx's",
      malleate: () => ({ signer: { sequence: SEQUENCE + 1n } }),
      expErr: 32,
      text: /account sequence mismatch, expected 4, got 3: incorrect account sequence/,
    },
    {
      name: "signer info sequence edited to match the account (signed for another sequence)",
      malleate: (s) => ({
        ...editAuthInfo(s.bytes, (a) => ({ ...a, signerInfos: [{ ...a.signerInfos[0]!, sequence: SEQUENCE + 1n }] })),
        signer: { sequence: SEQUENCE + 1n },
      }),
      expErr: 4,
    },
    {
      name: "high-S signature (s replaced by n - s)",
      malleate: (s) => editRaw(s.bytes, (r) => ({ ...r, signatures: [mirrorS(r.signatures[0]!)] })),
      expErr: 4,
    },
    {
      name: "signature bit flipped",
      malleate: (s) => editRaw(s.bytes, (r) => ({ ...r, signatures: [flipBit(r.signatures[0]!, 100)] })),
      expErr: 4,
    },
    {
      name: "wrong pubkey in the signer info, signer address checked",
      malleate: (s) => editAuthInfo(s.bytes, (a) => ({ ...a, signerInfos: [{ ...a.signerInfos[0]!, publicKey: secpAny(otherPubkey) }] })),
      expErr: 8,
      text: /pubKey does not match signer address/,
    },
    {
      name: "wrong pubkey in the signer info, no address given",
      malleate: (s) => ({
        ...editAuthInfo(s.bytes, (a) => ({ ...a, signerInfos: [{ ...a.signerInfos[0]!, publicKey: secpAny(otherPubkey) }] })),
        signer: { address: undefined },
      }),
      expErr: 4,
    },
    {
      name: "pubkey in the tx differs from the one on the account",
      malleate: () => ({ signer: { pubkey: otherPubkey, address: undefined } }),
      expErr: 8,
      text: /does not match the key of the account/,
    },
    {
      name: "no pubkey in the tx nor on the account",
      malleate: (s) => editAuthInfo(s.bytes, (a) => ({ ...a, signerInfos: [{ ...a.signerInfos[0]!, publicKey: undefined }] })),
      expErr: 8,
      text: /pubkey on account is not set/,
    },
    {
      name: "non-secp256k1 pubkey type (ed25519)",
      malleate: (s) =>
        editAuthInfo(s.bytes, (a) => ({
          ...a,
          signerInfos: [{ ...a.signerInfos[0]!, publicKey: { typeUrl: "/cosmos.crypto.ed25519.PubKey", value: Ed25519PubKey.encode({ key: new Uint8Array(32).fill(1) }).finish() } }],
        })),
      expErr: 8,
      text: /unsupported public key type \/cosmos.crypto.ed25519.PubKey/,
    },
    {
      name: "unknown pubkey type URL",
      malleate: (s) =>
        editAuthInfo(s.bytes, (a) => ({ ...a, signerInfos: [{ ...a.signerInfos[0]!, publicKey: { typeUrl: "/foo.PubKey", value: new Uint8Array([10, 1, 1]) } }] })),
      expErr: 2,
      text: /unable to resolve type URL \/foo.PubKey/,
    },
    {
      name: "secp256k1 pubkey of the wrong length",
      malleate: (s) => editAuthInfo(s.bytes, (a) => ({ ...a, signerInfos: [{ ...a.signerInfos[0]!, publicKey: secpAny(otherPubkey.subarray(0, 32)) }] })),
      expErr: 8,
    },
    {
      name: "sign mode changed to the other supported mode",
      malleate: (s) =>
        editAuthInfo(s.bytes, (a) => ({
          ...a,
          signerInfos: [
            {
              ...a.signerInfos[0]!,
              modeInfo: { single: { mode: mode === "direct" ? SignMode.SIGN_MODE_LEGACY_AMINO_JSON : SignMode.SIGN_MODE_DIRECT } },
            },
          ],
        })),
      expErr: 4,
    },
    {
      name: "SIGN_MODE_TEXTUAL",
      malleate: (s) => editAuthInfo(s.bytes, (a) => ({ ...a, signerInfos: [{ ...a.signerInfos[0]!, modeInfo: { single: { mode: SignMode.SIGN_MODE_TEXTUAL } } }] })),
      expErr: 4,
      text: /unsupported sign mode SIGN_MODE_TEXTUAL/,
    },
    {
      name: "multisig mode info",
      malleate: (s) =>
        editAuthInfo(s.bytes, (a) => ({
          ...a,
          signerInfos: [{ ...a.signerInfos[0]!, modeInfo: { multi: { bitarray: { extraBitsStored: 1, elems: new Uint8Array([0x80]) }, modeInfos: [] } } }],
        })),
      expErr: 4,
    },
    { name: "no signatures", malleate: (s) => editRaw(s.bytes, (r) => ({ ...r, signatures: [] })), expErr: 15, text: /^no signatures supplied$/ },
    {
      name: "two signatures for one signer",
      malleate: (s) => editRaw(s.bytes, (r) => ({ ...r, signatures: [r.signatures[0]!, r.signatures[0]!] })),
      expErr: 4,
      text: /wrong number of signers; expected 1, got 2/,
    },
    { name: "garbage bytes", malleate: () => ({ bytes: Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]) }), expErr: 2, text: /tx parse error/ },
    { name: "truncated tx", malleate: (s) => ({ bytes: s.bytes.subarray(0, s.bytes.length - 10) }), expErr: 2 },
    { name: "empty tx", malleate: () => ({ bytes: new Uint8Array() }), expErr: 2 },
  ];

  it.each(cases)("rejects: $name → $expErr", ({ malleate, expErr, text }) => {
    const m = malleate(signed);
    const signer = signerOf(signed, m.signer);
    expectCode(() => verifyTxSignatures(decodeTx(m.bytes ?? signed.bytes, registry), m.chainId ?? CHAIN_ID, [signer], { registry }), expErr, text);
  });
});

describe("LEGACY_AMINO_JSON sign bytes equal CosmJS' byte for byte", () => {
  const variants: Array<{ name: string; opts: Parameters<typeof signWithCosmjs>[1] }> = [
    { name: "MsgSend + MsgMultiSend, memo with <>& and unicode", opts: {} },
    { name: "single MsgSend, empty memo", opts: { msgs: (f) => [sendMsg(f, addrB)], memo: "" } },
    { name: "two MsgSends, timeout height", opts: { msgs: (f) => [sendMsg(f, addrB, "1"), sendMsg(f, addrC, "18446744073709551616000")], timeoutHeight: 123456n } },
    {
      name: "fee with granter and payer, two fee coins, zero gas",
      opts: { fee: { amount: [{ denom: "uatom", amount: "1" }, { denom: "upeg", amount: "2" }], gas: "0", granter: "GRANTER", payer: "PAYER" } },
    },
    { name: "account number and sequence 0", opts: { accountNumber: 0n, sequence: 0n } },
    { name: "empty fee amount", opts: { fee: { amount: [], gas: "100000" } } },
  ];

  it.each(variants)("$name", async ({ opts }) => {
    const o = { ...opts };
    if (o.fee?.granter === "GRANTER") o.fee = { ...o.fee, granter: addrB, payer: addrA };
    const s = await signWithCosmjs("amino", o);
    const tx = decodeTx(s.bytes, registry);
    const signer = { chainId: CHAIN_ID, accountNumber: o.accountNumber ?? ACCOUNT_NUMBER, sequence: o.sequence ?? SEQUENCE };
    const theirs = serializeSignDoc(
      makeSignDoc(s.msgs.map((m) => aminoTypes.toAmino(m)), s.fee, CHAIN_ID, s.memo, Number(signer.accountNumber), Number(signer.sequence), s.timeoutHeight),
    );
    const ours = aminoJsonSignBytes(tx, registry, signer);
    expect(new TextDecoder().decode(ours)).toBe(new TextDecoder().decode(theirs));
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
    expect(verifyTxSignatures(tx, CHAIN_ID, [{ ...signer, address: fromBech32(s.address), pubkey: null }], { registry })).toHaveLength(1);
  });

  it("escapes <, > and & as \\u003c, \\u003e, \\u0026 and sorts keys", async () => {
    const s = await signWithCosmjs("amino", { msgs: (f) => [sendMsg(f, addrB)], memo: "<&>" });
    const json = new TextDecoder().decode(aminoJsonSignBytes(decodeTx(s.bytes, registry), registry, { chainId: CHAIN_ID, accountNumber: 1n, sequence: 2n }));
    expect(json).toBe(
      `{"account_number":"1","chain_id":"${CHAIN_ID}","fee":{"amount":[{"amount":"5000","denom":"upeg"}],"gas":"200000"},"memo":"\\u003c\\u0026\\u003e",` +
        `"msgs":[{"type":"cosmos-sdk/MsgSend","value":{"amount":[{"amount":"1000","denom":"upeg"}],"from_address":"${s.address}","to_address":"${addrB}"}}],"sequence":"2"}`,
    );
  });

  it("U+2028/U+2029 in the memo: Go escapes them and CosmJS does not; the CosmJS signature still verifies", async () => {
    const memo = "line\u2028separator\u2029paragraph";
    const s = await signWithCosmjs("amino", { msgs: (f) => [sendMsg(f, addrB)], memo });
    const tx = decodeTx(s.bytes, registry);
    const signer = { chainId: CHAIN_ID, accountNumber: ACCOUNT_NUMBER, sequence: SEQUENCE };
    const ours = new TextDecoder().decode(aminoJsonSignBytes(tx, registry, signer));
    expect(ours).toContain('"memo":"line\\u2028separator\\u2029paragraph"');
    expect(verifyTxSignatures(tx, CHAIN_ID, [{ ...signer, address: fromBech32(s.address) }], { registry })).toHaveLength(1);
  });
});

describe("DIRECT sign bytes", () => {
  it("are the SignDoc CosmJS signed", async () => {
    const { makeSignDoc: makeDirectSignDoc, makeSignBytes } = await import("@cosmjs/proto-signing");
    const s = await signWithCosmjs("direct");
    const tx = decodeTx(s.bytes, registry);
    expect(directSignBytes(tx, CHAIN_ID, ACCOUNT_NUMBER)).toEqual(makeSignBytes(makeDirectSignDoc(tx.bodyBytes, tx.authInfoBytes, CHAIN_ID, Number(ACCOUNT_NUMBER))));
  });
});

describe("multiple signers", () => {
  it("verifies a tx signed by two CosmJS direct wallets, in signer order", async () => {
    const wA = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_A, { prefix: "peg" });
    const wB = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC_B, { prefix: "peg" });
    const [a] = await wA.getAccounts();
    const [b] = await wB.getAccounts();
    const { makeAuthInfoBytes, makeSignDoc: makeDirectSignDoc, Registry, encodePubkey } = await import("@cosmjs/proto-signing");
    const { encodeSecp256k1Pubkey } = await import("@cosmjs/amino");
    const { defaultRegistryTypes } = await import("@cosmjs/stargate");
    const protoRegistry = new Registry(defaultRegistryTypes);
    const bodyBytes = protoRegistry.encode({
      typeUrl: "/cosmos.tx.v1beta1.TxBody",
      value: { messages: [sendMsg(a!.address, b!.address), sendMsg(b!.address, a!.address)], memo: "two signers" },
    });
    const authInfoBytes = makeAuthInfoBytes(
      [
        { pubkey: encodePubkey(encodeSecp256k1Pubkey(a!.pubkey)), sequence: 5 },
        { pubkey: encodePubkey(encodeSecp256k1Pubkey(b!.pubkey)), sequence: 9 },
      ],
      [{ denom: "upeg", amount: "10" }],
      300000,
      undefined,
      undefined,
    );
    const sigA = await wA.signDirect(a!.address, makeDirectSignDoc(bodyBytes, authInfoBytes, CHAIN_ID, 11));
    const sigB = await wB.signDirect(b!.address, makeDirectSignDoc(bodyBytes, authInfoBytes, CHAIN_ID, 12));
    const bytes = TxRaw.encode({
      bodyBytes,
      authInfoBytes,
      signatures: [Buffer.from(sigA.signature.signature, "base64"), Buffer.from(sigB.signature.signature, "base64")],
    }).finish();
    const tx = decodeTx(bytes, registry);
    const accA: SignerAccount = { address: fromBech32(a!.address), accountNumber: 11n, sequence: 5n };
    const accB: SignerAccount = { address: fromBech32(b!.address), accountNumber: 12n, sequence: 9n };
    expect(verifyTxSignatures(tx, CHAIN_ID, [accA, accB], { registry })).toHaveLength(2);
    // swapped order: the first signer info's key does not belong to the first required signer
    expectCode(() => verifyTxSignatures(tx, CHAIN_ID, [accB, accA], { registry }), 8);
    // one signer missing
    expectCode(() => verifyTxSignatures(tx, CHAIN_ID, [accA], { registry }), 4, /wrong number of signers; expected 1, got 2/);
  });
});

// ---- helpers to edit a signed tx ----

const otherPubkey = Uint8Array.from(Buffer.from("02" + "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", "hex"));

function secpAny(key: Uint8Array) {
  return { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: Secp256k1PubKey.encode({ key }).finish() };
}

function editRaw(bytes: Uint8Array, f: (r: TxRaw) => TxRaw): { bytes: Uint8Array } {
  return { bytes: TxRaw.encode(f(TxRaw.decode(bytes))).finish() };
}

function editBody(bytes: Uint8Array, f: (b: TxBody) => TxBody): { bytes: Uint8Array } {
  return editRaw(bytes, (r) => ({ ...r, bodyBytes: TxBody.encode(f(TxBody.decode(r.bodyBytes))).finish() }));
}

function editAuthInfo(bytes: Uint8Array, f: (a: AuthInfo) => AuthInfo): { bytes: Uint8Array } {
  return editRaw(bytes, (r) => ({ ...r, authInfoBytes: AuthInfo.encode(f(AuthInfo.decode(r.authInfoBytes))).finish() }));
}

function mirrorS(sig: Uint8Array): Uint8Array {
  const s = BigInt("0x" + Buffer.from(sig.subarray(32)).toString("hex"));
  const out = Uint8Array.from(sig);
  out.set(Buffer.from((SECP256K1_N - s).toString(16).padStart(64, "0"), "hex"), 32);
  return out;
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(b);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

