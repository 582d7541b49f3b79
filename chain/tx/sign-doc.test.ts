import { serializeSignDoc, type StdSignDoc } from "@cosmjs/amino";
import fc from "fast-check";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { msgMultiSendCodec, msgSendCodec, MSG_SEND_TYPE_URL, registerBankMsgs } from "../../modules/bank/codecs";
import { SdkError } from "./errors";
import { MsgRegistry } from "./registry";
import { canonicalJson } from "./sign-doc";

describe("canonicalJson (Go encoding/json rules)", () => {
  const cases: Array<[string, unknown, string]> = [
    ["sorted keys, no whitespace", { b: 1, a: [true, null, "x"], c: { z: "", y: false } }, '{"a":[true,null,"x"],"b":1,"c":{"y":false,"z":""}}'],
    ["HTML characters", "<a href='x'>&</a>", '"\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e"'],
    ["control characters (Go ≥ 1.22 short forms)", "\u0000\u0001\b\f\n\r\t\u001f\u007f", '"\\u0000\\u0001\\b\\f\\n\\r\\t\\u001f\u007f"'],
    ["quote and backslash", '"\\', '"\\"\\\\"'],
    ["line and paragraph separators", "a\u2028b\u2029c", '"a\\u2028b\\u2029c"'],
    ["lone surrogate", "x\ud800y", '"x\\ufffdy"'],
    ["astral characters kept raw", "🚀é", '"🚀é"'],
    ["undefined members skipped", { a: undefined, b: "1" }, '{"b":"1"}'],
    ["keys sorted by UTF-8 bytes", { "\uffff": 1, "😀": 2, z: 3, é: 4 }, '{"z":3,"é":4,"\uffff":1,"😀":2}'],
  ];
  it.each(cases)("%s", (_name, value, json) => {
    expect(canonicalJson(value)).toBe(json);
  });

  it("leaves U+2028/U+2029 raw when asked (CosmJS' rendering)", () => {
    expect(canonicalJson("a\u2028b", { escapeLineSeparators: false })).toBe('"a\u2028b"');
  });

  it("refuses values amino JSON cannot carry", () => {
    for (const bad of [1.5, 2 ** 60, NaN, 10n, new Uint8Array(1), () => 1]) {
      expect(() => canonicalJson({ v: bad })).toThrow(SdkError);
    }
  });

  it("equals CosmJS' serialisation for any JSON without U+2028/U+2029 or lone surrogates", () => {
    const safeString = fc.string({ unit: "grapheme" }).filter((s) => !/[\u2028\u2029]/.test(s));
    // Integer-like keys are left out: JS objects enumerate them first, so CosmJS' "sorted" objects
    // put "0" before "" where Go (and we) sort by bytes. Amino field names are never integers.
    // "__proto__" is left out too: CosmJS' object rebuilding drops it where Go (and we) keep it.
    const key = fc.string({ unit: "grapheme-ascii" }).filter((k) => !/^(0|[1-9][0-9]*)$/.test(k) && k !== "__proto__");
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, safeString, fc.boolean(), fc.constant(null), fc.integer(), fc.array(tie("value")), fc.dictionary(key, tie("value"))),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        // serializeSignDoc is escapeCharacters(sortedJsonStringify(doc)) and accepts any JSON value
        expect(canonicalJson(v)).toBe(new TextDecoder().decode(serializeSignDoc(v as unknown as StdSignDoc)));
      }),
      { numRuns: 300 },
    );
  });
});

describe("MsgRegistry", () => {
  it("registers, looks up and converts bank messages", () => {
    const reg = registerBankMsgs(new MsgRegistry());
    expect(reg.typeUrls()).toEqual(["/cosmos.bank.v1beta1.MsgMultiSend", "/cosmos.bank.v1beta1.MsgSend"]);
    expect(reg.typeUrlOfAminoType("cosmos-sdk/MsgSend")).toBe(MSG_SEND_TYPE_URL);
    const bytes = MsgSend.encode({ fromAddress: "peg1a", toAddress: "", amount: [] }).finish();
    const msg = reg.decode(MSG_SEND_TYPE_URL, bytes);
    // empty strings omitted, empty coin lists written as []
    expect(reg.toAmino(MSG_SEND_TYPE_URL, msg)).toEqual({ type: "cosmos-sdk/MsgSend", value: { from_address: "peg1a", amount: [] } });
  });

  it("writes MsgMultiSend inputs/outputs and coins as the SDK does", () => {
    const v = msgMultiSendCodec.toAmino!({
      inputs: [{ address: "peg1in", coins: [{ denom: "upeg", amount: "3" }] }],
      outputs: [{ address: "", coins: [] }],
    });
    expect(canonicalJson(v)).toBe('{"inputs":[{"address":"peg1in","coins":[{"amount":"3","denom":"upeg"}]}],"outputs":[{"coins":[]}]}');
  });

  it("fails like the SDK's interface registry for unknown types and bad bytes (sdk/2)", () => {
    const reg = registerBankMsgs(new MsgRegistry());
    expect(() => reg.get("/x.Unknown")).toThrow(/unable to resolve type URL \/x.Unknown: tx parse error/);
    let err: unknown;
    try {
      reg.decode(MSG_SEND_TYPE_URL, Uint8Array.from([0x0a, 0x09, 0x01]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SdkError);
    expect((err as SdkError).code).toBe(2);
  });

  it("rejects duplicate registrations and amino names without converters", () => {
    const reg = new MsgRegistry();
    reg.register(MSG_SEND_TYPE_URL, msgSendCodec);
    expect(() => reg.register(MSG_SEND_TYPE_URL, msgSendCodec)).toThrow(/already registered/);
    expect(() => reg.register("/other.MsgSend", msgSendCodec)).toThrow(/amino type cosmos-sdk\/MsgSend is already used/);
    expect(() => reg.register("/x.MsgNoConv", { decode: (b: Uint8Array) => b, aminoType: "x/NoConv" })).toThrow(/no toAmino/);
    expect(() => reg.register("no-slash", { decode: (b: Uint8Array) => b })).toThrow(/invalid type URL/);
    reg.register("/x.MsgNoAmino", { decode: (b: Uint8Array) => b });
    let err: unknown;
    try {
      reg.toAmino("/x.MsgNoAmino", new Uint8Array());
    } catch (e) {
      err = e;
    }
    expect((err as SdkError).code).toBe(18);
  });
});
