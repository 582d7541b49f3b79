import fc from "fast-check";
import { createRequestDecoder } from "./framing";
import { checkTx, summarize } from "../../test/support/abci-app";
import { ServerFixture, sleep, within } from "../../test/support/abci";

const MAX_FRAME_BYTES = 4096;
let fixture: ServerFixture;

beforeEach(async () => {
  fixture = await ServerFixture.start({ maxFrameBytes: MAX_FRAME_BYTES });
});

afterEach(async () => {
  await fixture.stop();
});

/** The warn lines logged for the connection whose client-side port is given. */
function warningsFor(localPort: number): string[] {
  return fixture.lines
    .filter((l) => l.level === 40 && String(l.conn).endsWith(`:${localPort}`))
    .map((l) => l.msg);
}

describe("AbciServer against misbehaving peers", () => {
  it("closes a connection that announces an oversized frame; another connection keeps working", async () => {
    const good = await fixture.connect();
    const bad = await fixture.connect();
    const badPort = bad.socket.localPort ?? -1; // unset once the socket is closed
    const announcedLength = Buffer.from([0x80, 0x80, 0x04]); // uvarint 65536, over the 4096-byte limit
    await bad.writeRaw(Buffer.concat([announcedLength, Buffer.alloc(1000)]));
    await within(bad.closed, "the oversized connection to close");

    const warnings = warningsFor(badPort);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("frame length 65536 exceeds the limit of 4096 bytes");
    expect(fixture.lines.find((l) => l.level === 40)?.conn).toContain("127.0.0.1:");
    expect(summarize(await within(good.request(checkTx("ok")), "response"))).toBe("checkTx ok");
  });

  it("answers a request naming no ABCI 2.0 method with an exception, then closes", async () => {
    const client = await fixture.connect();
    await client.writeRaw(Uint8Array.of(2, 0x3a, 0)); // field 7, DeliverTx before ABCI 2.0
    const res = await within(client.next(), "exception");
    expect(res.exception?.error).toContain("no ABCI 2.0 method (fields 7)");
    await within(client.closed, "connection to close");
  });

  it("survives random garbage, closing exactly the connections whose bytes are malformed", async () => {
    const healthy = await fixture.connect();
    const rawGarbage = fc.uint8Array({ minLength: 1, maxLength: 300 });
    // A well-formed length prefix around random bytes gets past framing into the protobuf decoder.
    const framedGarbage = fc.uint8Array({ maxLength: 120 }).map((body) => Buffer.concat([Uint8Array.of(body.length), body]));
    await fc.assert(
      fc.asyncProperty(fc.oneof(rawGarbage, framedGarbage), async (garbage) => {
        const expected = createRequestDecoder(MAX_FRAME_BYTES).push(garbage).error;
        const client = await fixture.connect();
        const port = client.socket.localPort ?? -1;
        await client.writeRaw(garbage);
        if (expected) {
          await within(client.closed, `close after ${expected.kind}`);
          expect(warningsFor(port)).toHaveLength(1);
        } else {
          // A valid prefix of a request stream: the server must keep waiting for the rest.
          await sleep(5);
          expect(client.socket.destroyed).toBe(false);
          client.destroy();
        }
        expect(summarize(await within(healthy.request(checkTx("alive")), "healthy response"))).toBe("checkTx alive");
      }),
      { numRuns: 150 },
    );
  });

  it("shrugs off a peer that resets its connection with requests in flight", async () => {
    fixture.app.delayFor = (tx) => (tx === "slow" ? 50 : 0);
    const leaving = await fixture.connect();
    const leavingPort = leaving.socket.localPort ?? -1;
    const staying = await fixture.connect();
    leaving.send(checkTx("slow"), checkTx("never-run"));
    await sleep(10);
    leaving.socket.resetAndDestroy();
    await within(leaving.closed, "reset to complete");
    expect(summarize(await within(staying.request(checkTx("after-reset")), "response"))).toBe("checkTx after-reset");
    expect(fixture.app.events).not.toContain("start checkTx never-run");
    // The reset is reported, never thrown; nothing failed inside the server.
    expect(warningsFor(leavingPort)).toEqual(["ABCI connection error"]);
    expect(fixture.lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
