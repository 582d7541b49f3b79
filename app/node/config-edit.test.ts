import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { setTomlValues, writePersistentPeers, writeStateSyncConfig } from "./config-edit";
import { defaultPorts, Home, initHome } from "./home";

describe("editing config.toml to join a network", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "pegzone-config-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("setTomlValues replaces keys in their section, adds missing ones and sections, and keeps the rest", () => {
    const text = `# top comment\nmoniker = "a"\n\n[p2p]\n# peers\npersistent_peers = ""\nladdr = "x"\n\n[consensus]\ntimeout_commit = "1s"\n`;
    const out = setTomlValues(setTomlValues(text, "p2p", { persistent_peers: "id@h:1", seeds: "" }), "statesync", { enable: true, trust_height: 5 });
    expect(out).toContain("# top comment");
    expect(out).toContain("# peers");
    expect(parse(out)).toEqual({
      moniker: "a",
      p2p: { persistent_peers: "id@h:1", laddr: "x", seeds: "" },
      consensus: { timeout_commit: "1s" },
      statesync: { enable: true, trust_height: 5 },
    });
    // idempotent: setting again changes the values in place
    expect(parse(setTomlValues(out, "statesync", { trust_height: 7 }))).toMatchObject({ statesync: { enable: true, trust_height: 7 } });
  });

  test("writeStateSyncConfig writes what CometBFT reads, uses one RPC server twice, and refuses bad input", () => {
    const home = new Home(dir);
    initHome(home, { moniker: "joiner", ports: defaultPorts });
    const hash = "ab".repeat(32);
    writeStateSyncConfig(home, { rpcServers: ["http://127.0.0.1:1"], trustHeight: 90, trustHash: hash, trustPeriod: "168h0m0s", discoveryTime: "5s" });
    writePersistentPeers(home, `${"0".repeat(40)}@127.0.0.1:26656`);
    const t = parse(readFileSync(home.cometConfigFile, "utf8")) as Record<string, Record<string, unknown>>;
    expect(t.statesync).toEqual({ enable: true, rpc_servers: "http://127.0.0.1:1,http://127.0.0.1:1", trust_height: 90, trust_hash: hash.toUpperCase(), trust_period: "168h0m0s", discovery_time: "5s" });
    expect(t.p2p.persistent_peers).toBe(`${"0".repeat(40)}@127.0.0.1:26656`);
    expect(t.p2p.laddr).toBe("tcp://127.0.0.1:26656");

    const ok = { rpcServers: ["http://a:1"], trustHeight: 1, trustHash: hash, trustPeriod: "1h" };
    expect(() => writeStateSyncConfig(home, { ...ok, trustHash: "xyz" })).toThrow(/64 hex digits/);
    expect(() => writeStateSyncConfig(home, { ...ok, trustHeight: 0 })).toThrow(/positive integer/);
    expect(() => writeStateSyncConfig(home, { ...ok, rpcServers: ["ftp://a"] })).toThrow(/http\(s\) URL/);
    expect(() => writeStateSyncConfig(home, { ...ok, trustPeriod: "a week" })).toThrow(/duration/);
    expect(() => writePersistentPeers(home, "nobody")).toThrow(/node id/);
    expect(() => writeStateSyncConfig(new Home(join(dir, "none")), ok)).toThrow(/pegzone init/);
  });
});
