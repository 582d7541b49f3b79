import { encodeRequest } from "./framing";
import { checkTx, echo, flush, summarize } from "../../test/support/abci-app";
import { ServerFixture, sleep, waitFor, within } from "../../test/support/abci";

let fixture: ServerFixture;

beforeEach(async () => {
  fixture = await ServerFixture.start();
});

afterEach(async () => {
  await fixture.stop();
});

describe("AbciServer framing over TCP", () => {
  it("listens on a free port when given port 0 and reports it", () => {
    expect(fixture.server.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(fixture.server.address).not.toBe("tcp://127.0.0.1:0");
  });

  it("answers a request that arrives one byte per write", async () => {
    const client = await fixture.connect();
    const bytes = encodeRequest(checkTx("y".repeat(200)));
    for (const byte of bytes) {
      await client.writeRaw(Uint8Array.of(byte));
      await sleep(1);
    }
    expect(summarize(await within(client.next(), "response"))).toBe(`checkTx ${"y".repeat(200)}`);
  });

  it("answers a length prefix split across two writes", async () => {
    const client = await fixture.connect();
    const bytes = encodeRequest(checkTx("z".repeat(1000)));
    await client.writeRaw(bytes.subarray(0, 1));
    await sleep(20);
    await client.writeRaw(bytes.subarray(1));
    expect(summarize(await within(client.next(), "response"))).toBe(`checkTx ${"z".repeat(1000)}`);
  });

  it("answers a thousand requests written at once, in order", async () => {
    const client = await fixture.connect();
    const txs = Array.from({ length: 1000 }, (_, i) => `tx-${i}`);
    client.send(...txs.map(checkTx), flush());
    const responses = await within(client.nextN(1001), "1001 responses");
    expect(responses.map(summarize)).toEqual([...txs.map((tx) => `checkTx ${tx}`), "flush"]);
  });
});

describe("AbciServer ordering", () => {
  it("answers in request order when handlers take different times, Echo included", async () => {
    fixture.app.delayFor = (tx) => (tx === "slow" ? 40 : tx === "medium" ? 10 : 0);
    const client = await fixture.connect();
    client.send(checkTx("slow"), echo("e1"), checkTx("fast"), checkTx("medium"), echo("e2"), flush());
    const responses = await within(client.nextN(6), "six responses");
    expect(responses.map(summarize)).toEqual(["checkTx slow", "echo e1", "checkTx fast", "checkTx medium", "echo e2", "flush"]);
  });

  it("answers Flush only after every earlier response on its connection", async () => {
    fixture.app.delayFor = (tx) => (tx === "slow" ? 50 : 0);
    const client = await fixture.connect();
    client.send(checkTx("slow"), flush(), checkTx("fast"), flush());
    const responses = await within(client.nextN(4), "four responses");
    expect(responses.map(summarize)).toEqual(["checkTx slow", "flush", "checkTx fast", "flush"]);
  });

  it("answers Flush on one connection while the app is busy with another", async () => {
    fixture.app.delayFor = (tx) => (tx === "slow" ? 300 : 0);
    const busy = await fixture.connect();
    const idle = await fixture.connect();
    busy.send(checkTx("slow"));
    await waitFor(() => fixture.app.events.includes("start checkTx slow"), "slow handler to start");
    expect(summarize(await within(idle.request(flush()), "flush"))).toBe("flush");
    expect(fixture.app.events).not.toContain("end checkTx slow");
    expect(summarize(await busy.next())).toBe("checkTx slow");
  });

  it("calls the app one request at a time across connections, in arrival order", async () => {
    fixture.app.delayFor = (tx) => Number(tx.split("-")[1]) % 4; // 0 to 3 ms, varying per request
    const a = await fixture.connect();
    const b = await fixture.connect();
    const aTxs = Array.from({ length: 40 }, (_, i) => `a-${i}`);
    const bTxs = Array.from({ length: 40 }, (_, i) => `b-${i}`);
    for (let i = 0; i < 40; i += 10) {
      a.send(...aTxs.slice(i, i + 10).map(checkTx));
      b.send(...bTxs.slice(i, i + 10).map(checkTx));
    }
    const [aResponses, bResponses] = await within(Promise.all([a.nextN(40), b.nextN(40)]), "80 responses");
    expect(aResponses.map(summarize)).toEqual(aTxs.map((tx) => `checkTx ${tx}`));
    expect(bResponses.map(summarize)).toEqual(bTxs.map((tx) => `checkTx ${tx}`));

    const events = fixture.app.events;
    expect(fixture.app.maxInFlight).toBe(1);
    for (let i = 0; i < events.length; i += 2) {
      // Every call ends before the next one starts.
      expect([events[i], events[i + 1]]).toEqual([events[i], events[i].replace("start", "end")]);
    }
    const started = events.filter((e) => e.startsWith("start")).map((e) => e.slice("start checkTx ".length));
    expect(started.filter((tx) => tx.startsWith("a"))).toEqual(aTxs);
    expect(started.filter((tx) => tx.startsWith("b"))).toEqual(bTxs);
  });

  it("queues app calls first come, first served across connections", async () => {
    fixture.app.delayFor = (tx) => (tx === "a1" ? 400 : 0);
    const a = await fixture.connect();
    const b = await fixture.connect();
    a.send(checkTx("a1"));
    await waitFor(() => fixture.app.events.includes("start checkTx a1"), "a1 to start");
    b.send(checkTx("b1"));
    await sleep(150); // b1 reaches the server while a1 still runs, well before a2 is sent
    a.send(checkTx("a2"));
    await within(Promise.all([a.nextN(2), b.next()]), "three responses");
    expect(fixture.app.events.filter((e) => e.startsWith("start"))).toEqual(["start checkTx a1", "start checkTx b1", "start checkTx a2"]);
  });
});

describe("AbciServer app failures", () => {
  it("answers a throwing handler with ResponseException, logs it, then closes that connection only", async () => {
    const failing = await fixture.connect();
    const other = await fixture.connect();
    failing.send(checkTx("before"), checkTx("fail-1"), checkTx("after"));
    const responses = await within(failing.nextN(2), "two responses");
    expect(responses.map(summarize)).toEqual(["checkTx before", "exception app refused fail-1"]);
    await within(failing.closed, "the failing connection to close");
    // As with CometBFT's own server, nothing after the exception reaches the app.
    expect(fixture.app.events).not.toContain("start checkTx after");

    const logged = fixture.lines.find((l) => l.level === 50 && l.request === "checkTx");
    expect(logged?.msg).toContain("checkTx handler failed");
    expect((logged?.err as { message: string }).message).toBe("app refused fail-1");

    expect(summarize(await within(other.request(checkTx("still-fine")), "response"))).toBe("checkTx still-fine");
  });
});

describe("AbciServer.close", () => {
  it("waits for the running handler, drops queued requests and closes connections", async () => {
    fixture.app.delayFor = (tx) => (tx === "running" ? 100 : 0);
    const client = await fixture.connect();
    client.send(checkTx("running"), checkTx("queued-1"), checkTx("queued-2"));
    await waitFor(() => fixture.app.events.includes("start checkTx running"), "first handler to start");
    await fixture.server.close();
    expect(fixture.app.events).toEqual(["start checkTx running", "end checkTx running"]);
    await within(client.closed, "client connection to close");
    expect(() => fixture.server.address).toThrow("not listening");
    await sleep(20);
    expect(fixture.app.events).toHaveLength(2);
  });

  it("refuses to listen twice", async () => {
    await expect(fixture.server.listen("tcp://127.0.0.1:0")).rejects.toThrow("already listening");
  });
});
