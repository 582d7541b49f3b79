/**
 * Issue 16, defect 4 and CometBFT's logs: by default the app and CometBFT talk ABCI over a unix
 * socket only their user can open (any process that can reach an ABCI TCP port can send a Commit
 * and halt the validator); TCP stays an explicit option; CometBFT writes its own log file, which
 * keeps what it says after the app has died.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { freePortBlock, latestHeight, liveProcesses, runCliStatus, Testnet, until, waitForHeight, type NodeInfo } from "./support/harness";

function proxyApp(node: NodeInfo): string {
  return (parseToml(readFileSync(join(node.home, "config", "config.toml"), "utf8")) as { proxy_app: string }).proxy_app;
}

/** Linux: the TCP ports process `pid` listens on (its socket inodes matched against /proc/net/tcp{,6}). */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const link = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return ""; // closed meanwhile
      }
    })();
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const row of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = row.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is the tenth field
      if (f.length > 9 && f[3] === "0A" && inodes.has(f[9])) ports.push(parseInt(f[1].split(":")[1], 16));
    }
  }
  return ports;
}

function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("ABCI between the app and CometBFT", () => {
  let net: Testnet | undefined;
  let tcpNet: Testnet | undefined;
  let scratch: string | undefined;

  afterAll(async () => {
    await net?.stopAll();
    await tcpNet?.stopAll();
    if (!process.env.PEGZONE_KEEP_E2E) {
      net?.remove();
      tcpNet?.remove();
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  test("the default `pegzone start` serves ABCI on an owner-only unix socket and listens on no TCP port but its REST API's and gRPC server's; CometBFT's log outlives the app", async () => {
    const basePort = await freePortBlock(10);
    net = Testnet.create({ validators: 1, basePort, timeoutCommit: "200ms" });
    const info = net.nodes[0];
    const socket = join(info.home, "data", "abci.sock");
    expect(info.abci).toBe(`unix://${socket}`);
    expect(proxyApp(info)).toBe(info.abci);
    // the block results the tx index is rebuilt from after a crash are kept
    expect(readFileSync(join(info.home, "config", "config.toml"), "utf8")).toMatch(/^discard_abci_responses = false$/m);

    const node = net.start(0);
    await waitForHeight(info.rpc, 2, 60_000);
    const app = node.child.pid!;
    // CometBFT's own ports (P2P, RPC) are its business; the app itself listens on no TCP port but
    // its REST API's and gRPC server's (on loopback, app.toml [api] and [grpc]), which take no ABCI request.
    expect(listeningTcpPorts(app).sort((a, b) => a - b)).toEqual([info.ports.api, info.ports.grpc]);
    expect(await tcpConnects(basePort + 2)).toBe(false);
    const stat = statSync(socket);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(statSync(join(info.home, "data")).mode & 0o077).toBe(0);

    // CometBFT writes its log itself, not through the app: the app's output holds none of it.
    const cometLog = join(info.home, "cometbft.log");
    expect(readFileSync(cometLog, "utf8")).toMatch(/Completed ABCI Handshake/);
    expect(net.log(0)).not.toMatch(/Completed ABCI Handshake/);
    const [comet] = liveProcesses((p) => p.ppid === app);
    expect(comet).toBeDefined();
    await net.stop(0, "SIGKILL");
    // What CometBFT says after the app's death still reaches the file (it then stops itself, usually at once).
    await until("CometBFT to log the app's death", async () => (/Did the application crash\?/.test(readFileSync(cometLog, "utf8")) ? true : undefined), 20_000);

    // A restart replaces the stale socket the kill left behind, and rebuilds the index of the last blocks first.
    expect(statSync(socket).isSocket()).toBe(true);
    const again = net.start(0);
    await again.waitForLine(/tx index of the last blocks rebuilt/, 30_000);
    await waitForHeight(info.rpc, 4, 60_000);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(liveProcesses((p) => p.pid === comet.pid)).toEqual([]);

    // A CometBFT whose shutdown hangs (here: stopped) outlives the app's death; the next start stops it first.
    const [hung] = liveProcesses((p) => p.ppid === again.child.pid);
    expect(hung).toBeDefined();
    const height = await latestHeight(info.rpc);
    process.kill(hung.pid, "SIGSTOP");
    await net.stop(0, "SIGKILL");
    expect(liveProcesses((p) => p.pid === hung.pid)).toHaveLength(1);
    const third = net.start(0);
    await third.waitForLine(/stopped the CometBFT a previous run of this node left behind/, 30_000);
    expect(liveProcesses((p) => p.pid === hung.pid)).toEqual([]);
    await waitForHeight(info.rpc, height + 2, 60_000);
  }, 120_000);

  test("TCP stays an explicit option (`--abci tcp`), with a warning", async () => {
    const tcpBasePort = await freePortBlock(10);
    tcpNet = Testnet.create({ validators: 1, basePort: tcpBasePort, timeoutCommit: "200ms", extraArgs: ["--abci", "tcp"] });
    const info = tcpNet.nodes[0];
    expect(info.abci).toBe(`tcp://127.0.0.1:${tcpBasePort + 2}`);
    expect(proxyApp(info)).toBe(info.abci);
    const node = tcpNet.start(0);
    await node.waitForLine(/ABCI over TCP: any local process/, 30_000);
    await waitForHeight(info.rpc, 2, 60_000);
    expect(listeningTcpPorts(node.child.pid!).sort((a, b) => a - b)).toEqual([tcpBasePort + 2, info.ports.api, info.ports.grpc]);
    expect(existsSync(join(info.home, "data", "abci.sock"))).toBe(false);
  }, 90_000);

  test("a home whose socket path would be too long is refused before anything is written, saying what to do", () => {
    scratch = mkdtempSync(join(tmpdir(), "pegzone-abci-"));
    const home = join(scratch, "a".repeat(100));
    const res = runCliStatus(["init", "long", "--chain-id", "c", "--home", home]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/over the 107-byte limit of unix socket paths.*--abci tcp/);
    expect(existsSync(join(home, "config", "config.toml"))).toBe(false);

    const tcp = runCliStatus(["init", "long", "--chain-id", "c", "--home", home, "--abci", "tcp"]);
    expect(tcp.status).toBe(0);
    expect(JSON.parse(tcp.stdout).abci).toBe("tcp://127.0.0.1:26658");
  });
});
