import { checkTx } from "../../test/support/abci-app";
import { ServerFixture, sleep, within } from "../../test/support/abci";

const MiB = 1024 * 1024;

describe("a connection whose requests outrun the app", () => {
  let fixture: ServerFixture;
  afterEach(async () => {
    await fixture.stop();
  });

  it("stops reading past maxUnansweredBytes, so the peer waits instead of the app's memory growing, and then answers everything in order", async () => {
    fixture = await ServerFixture.start({ maxUnansweredBytes: 1 * MiB });
    fixture.app.delayFor = () => 20;
    const client = await fixture.connect();
    const txs = Array.from({ length: 64 }, (_, i) => `${i}:`.padEnd(512 * 1024, "x"));
    client.send(...txs.map(checkTx));
    await sleep(300);
    // 32 MiB were written; the server holds at most 1 MiB and a frame, the kernel's socket buffers
    // a few MiB more: the rest is still waiting on the client's side.
    expect(client.socket.writableLength).toBeGreaterThan(16 * MiB);
    const responses = await within(client.nextN(txs.length), "every response", 30_000);
    expect(responses.map((r) => r.checkTx?.log.split(":")[0])).toEqual(txs.map((_, i) => String(i)));
    expect(client.socket.writableLength).toBe(0);
  }, 40_000);

  it("reads on freely while the app keeps up", async () => {
    fixture = await ServerFixture.start({ maxUnansweredBytes: 1 * MiB });
    const client = await fixture.connect();
    const txs = Array.from({ length: 2_000 }, (_, i) => `small ${i}`);
    client.send(...txs.map(checkTx));
    const responses = await within(client.nextN(txs.length), "every response", 10_000);
    expect(responses.map((r) => r.checkTx?.log)).toEqual(txs);
  });
});
