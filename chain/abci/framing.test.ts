import fc from "fast-check";
import { Request, RequestCheckTx } from "cosmjs-types/tendermint/abci/types";
import { createRequestDecoder, createResponseDecoder, encodeRequest, encodeResponse, FrameError, requestKind } from "./framing";

const checkTx = (tx: Uint8Array | string): Request => ({ checkTx: RequestCheckTx.fromPartial({ tx: typeof tx === "string" ? Buffer.from(tx) : tx }) });
const txOf = (req: Request): string => Buffer.from(req.checkTx?.tx ?? []).toString();

function concat(frames: Uint8Array[]): Buffer {
  return Buffer.concat(frames);
}

describe("FrameDecoder on requests", () => {
  it("decodes a frame fed one byte at a time", () => {
    const bytes = encodeRequest(checkTx("x".repeat(300))); // 300 bytes needs a two-byte length prefix
    const decoder = createRequestDecoder();
    const got: Request[] = [];
    for (const byte of bytes) {
      const { messages, error } = decoder.push(Uint8Array.of(byte));
      expect(error).toBeUndefined();
      got.push(...messages);
    }
    expect(got.map(txOf)).toEqual(["x".repeat(300)]);
  });

  it("decodes many frames from a single chunk, in order", () => {
    const txs = Array.from({ length: 500 }, (_, i) => `tx-${i}`);
    const { messages, error } = createRequestDecoder().push(concat([...txs.map((tx) => encodeRequest(checkTx(tx))), encodeRequest({ flush: {} })]));
    expect(error).toBeUndefined();
    expect(messages.map(requestKind)).toEqual([...txs.map(() => "checkTx"), "flush"]);
    expect(messages.slice(0, -1).map(txOf)).toEqual(txs);
  });

  it("resumes a length prefix split across chunks", () => {
    const bytes = encodeRequest(checkTx(new Uint8Array(20_000))); // three-byte prefix
    expect(bytes[0] & 0x80).not.toBe(0);
    expect(bytes[1] & 0x80).not.toBe(0);
    const decoder = createRequestDecoder();
    expect(decoder.push(bytes.subarray(0, 1)).messages).toEqual([]);
    expect(decoder.push(bytes.subarray(1, 2)).messages).toEqual([]);
    const { messages, error } = decoder.push(bytes.subarray(2));
    expect(error).toBeUndefined();
    expect(messages[0].checkTx?.tx.length).toBe(20_000);
  });

  it("decodes the same requests however the stream is cut", () => {
    const arbRequest = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((tx) => checkTx(tx)),
      fc.string().map((message): Request => ({ echo: { message } })),
      fc.constant<Request>({ flush: {} }),
    );
    fc.assert(
      fc.property(fc.array(arbRequest, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (requests, cutPoints) => {
        const stream = concat(requests.map(encodeRequest));
        const cuts = [...new Set(cutPoints.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const decoder = createRequestDecoder();
        const got: Request[] = [];
        let start = 0;
        for (const end of [...cuts, stream.length]) {
          const { messages, error } = decoder.push(stream.subarray(start, end));
          expect(error).toBeUndefined();
          got.push(...messages);
          start = end;
        }
        expect(got.map((r) => Buffer.from(Request.encode(r).finish()))).toEqual(requests.map((r) => Buffer.from(Request.encode(r).finish())));
      }),
    );
  });

  it("rejects a frame whose declared length exceeds the limit before its body arrives", () => {
    const decoder = createRequestDecoder(1024);
    const { error } = decoder.push(Uint8Array.of(0x81, 0x08)); // uvarint 1025
    expect(error).toBeInstanceOf(FrameError);
    expect(error?.kind).toBe("oversize");
    expect(error?.message).toContain("1025");
    // The frame exactly at the limit is fine.
    const atLimit = encodeRequest(checkTx(new Uint8Array(1024 - 6))); // tags and lengths of Request and RequestCheckTx take 6 bytes
    expect(atLimit.length - 2).toBe(1024);
    expect(createRequestDecoder(1024).push(atLimit).error).toBeUndefined();
  });

  it("reports a length prefix longer than ten bytes", () => {
    const { error } = createRequestDecoder().push(new Uint8Array(11).fill(0x80));
    expect(error?.kind).toBe("bad-varint");
  });

  it("reports an undecodable body and ignores all later input", () => {
    const decoder = createRequestDecoder();
    const good = encodeRequest({ flush: {} });
    // Field 1 with wire type 7, which protobuf does not define.
    const { messages, error } = decoder.push(concat([good, Uint8Array.of(1, 0x0f), good]));
    expect(messages.map(requestKind)).toEqual(["flush"]);
    expect(error?.kind).toBe("undecodable");
    expect(decoder.push(good)).toEqual({ messages: [], error });
  });

  it("reports a body cut short inside a nested message as undecodable", () => {
    // checkTx (field 8) claims 10 bytes but the frame holds only 2 of them.
    const { error } = createRequestDecoder().push(Uint8Array.of(4, 0x42, 10, 0x0a, 0x05));
    expect(error?.kind).toBe("undecodable");
  });

  it("reports an empty request and a request from another ABCI version as invalid", () => {
    expect(createRequestDecoder().push(Uint8Array.of(0)).error).toMatchObject({ kind: "invalid-request", message: "empty request" });
    // Field 7 was DeliverTx before ABCI 2.0.
    const { error } = createRequestDecoder().push(Uint8Array.of(2, 0x3a, 0));
    expect(error?.kind).toBe("invalid-request");
    expect(error?.message).toContain("fields 7");
  });

  it("reports a request that sets two methods as invalid", () => {
    const twoMethods = concat([Request.encode({ echo: { message: "a" } }).finish(), Request.encode({ flush: {} }).finish()]);
    const { error } = createRequestDecoder().push(concat([Uint8Array.of(twoMethods.length), twoMethods]));
    expect(error).toMatchObject({ kind: "invalid-request", message: "request sets several methods at once: echo, flush" });
  });
});

describe("encodeResponse", () => {
  it("writes a uvarint length prefix that the response decoder reads back", () => {
    const frame = encodeResponse({ checkTx: { code: 3, log: "z".repeat(200), data: new Uint8Array(), info: "", gasWanted: 0n, gasUsed: 0n, events: [], codespace: "" } });
    expect(frame[0]).toBe(((frame.length - 2) & 0x7f) | 0x80);
    expect(frame[1]).toBe((frame.length - 2) >> 7);
    const { messages, error } = createResponseDecoder().push(frame);
    expect(error).toBeUndefined();
    expect(messages[0].checkTx?.log).toBe("z".repeat(200));
    expect(messages[0].checkTx?.code).toBe(3);
  });
});
