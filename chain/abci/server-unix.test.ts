import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkTx, echo, flush, summarize } from "../../test/support/abci-app";
import { ServerFixture, within } from "../../test/support/abci";

let dir: string;
let fixture: ServerFixture | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pegzone-abci-"));
});

afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Leaves a socket file nobody serves, as a crashed server would: the child is killed while listening. */
function leaveStaleSocket(path: string): Promise<void> {
  const script = `require("net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", () => resolve());
  });
}

describe("AbciServer on a unix socket", () => {
  it("serves requests and removes its socket file on close", async () => {
    const path = join(dir, "abci.sock");
    fixture = await ServerFixture.start({ address: `unix://${path}` });
    expect(fixture.server.address).toBe(`unix://${path}`);
    const client = await fixture.connect();
    client.send(checkTx("over-unix"), echo("hi"), flush());
    expect((await within(client.nextN(3), "three responses")).map(summarize)).toEqual(["checkTx over-unix", "echo hi", "flush"]);
    await fixture.stop();
    fixture = undefined;
    expect(existsSync(path)).toBe(false);
  });

  it("replaces a stale socket file left by a crashed server", async () => {
    const path = join(dir, "stale.sock");
    await leaveStaleSocket(path);
    expect(existsSync(path)).toBe(true);
    fixture = await ServerFixture.start({ address: `unix://${path}` });
    const client = await fixture.connect();
    expect(summarize(await within(client.request(checkTx("fresh")), "response"))).toBe("checkTx fresh");
  });

  it("refuses to replace a socket another server is using, or a regular file", async () => {
    const live = join(dir, "live.sock");
    fixture = await ServerFixture.start({ address: `unix://${live}` });
    const second = new ServerFixture();
    await expect(second.server.listen(`unix://${live}`)).rejects.toThrow("already serving");

    const regular = join(dir, "notes.txt");
    await writeFile(regular, "keep me");
    await expect(second.server.listen(`unix://${regular}`)).rejects.toThrow("is not a socket");
    expect(existsSync(regular)).toBe(true);
    // A failed listen leaves the server free to listen elsewhere.
    await second.server.listen(`unix://${join(dir, "other.sock")}`);
    await second.stop();
  });
});
