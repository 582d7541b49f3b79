/**
 * End to end, no mocks: pegzone pegged to a real local Cosmos Hub (gaiad v25.1.1, one validator),
 * everything through the `pegzone` command:
 *  - `genesis add-mainchain --kind tendermint` registers the Hub from a header fetched over its RPC
 *    (refusing a bitcoin flag, and a trusting period not below the Hub's unbonding period, without
 *    touching genesis), and the chain starts with it;
 *  - `pegzone relayer` (a child process) keeps pegzone's light client level with the Hub for more
 *    than 50 blocks: `query peg client-state` shows it Active, with the Hub's app hash at its height;
 *  - with the relayer killed, forged headers relayed by hand (`tx peg relay-headers`: a commit
 *    signature byte flipped, as hex; the app_hash changed, as @FILE) are refused with the peg's code 4
 *    and change nothing; the real header is accepted;
 *  - the restarted relayer carries on from pegzone's state.
 * Skipped, saying why, when .bin/gaiad has not been built.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { RpcClient } from "../chain/client/rpc";
import { encodeHeaderMessage, TendermintFollower, type HeaderUpdate } from "../relayer/tendermint-follower";
import { pegzoneTendermintClient } from "../relayer/tendermint-pegzone-client";
import { GAIAD_MISSING, haveGaiad, LocalHub } from "./support/gaiad";
import { CLI, freePortBlock, latestHeight, Proc, runCliAsync, runCliStatusAsync, Testnet, until, waitForHeight } from "./support/harness";

jest.setTimeout(150_000);

const MAINCHAIN = "cosmoshub-local";
const FOLLOW_BLOCKS = 50;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase();

interface ClientStateJson {
  client_type: string;
  tip_height: number | string;
  tip_hash: string;
  status: string;
  details: Record<string, string>;
}

if (!haveGaiad()) {
  console.warn(`test/gaiad-peg.test.ts skipped: ${GAIAD_MISSING}`);
  test.skip(`pegzone pegged to a local Cosmos Hub: skipped, ${GAIAD_MISSING}`, () => undefined);
}

(haveGaiad() ? describe : describe.skip)("pegzone pegged to a local Cosmos Hub through the pegzone command", () => {
  let hub: LocalHub;
  let net: Testnet;
  let url: string;
  let keys: string;
  let relayer: Proc | undefined;
  let operator: string;
  let trustedHeight: number;
  const started = Date.now();
  const timing: Record<string, number> = {};
  const lap = (name: string) => (timing[name] = (Date.now() - started) / 1000);

  const keyring = () => ["--home", keys, "--keyring-backend", "test"];
  const clientState = async () => JSON.parse(await runCliAsync(["query", "peg", "client-state", "--mainchain", MAINCHAIN, "--node", url, "--output", "json"])) as ClientStateJson;
  const tip = async () => Number((await clientState()).tip_height);
  const startRelayer = () => {
    relayer = new Proc(process.execPath, [CLI, "relayer", "--mainchain", MAINCHAIN, "--cometbft-rpc", hub.rpcUrl, "--from", "relayer", ...keyring(), "--node", url, "--poll-interval", "300"], join(net.dir, "relayer.log"));
  };
  const stopRelayer = async () => {
    await relayer?.kill("SIGKILL");
    relayer = undefined;
  };

  beforeAll(async () => {
    hub = await LocalHub.create({ timeoutCommit: "200ms" });
    await hub.start(3);
    keys = mkdtempSync(join(tmpdir(), "pegzone-gaiad-peg-keys-"));
    const add = async (name: string) => (JSON.parse(await runCliAsync(["keys", "add", name, ...keyring(), "--output", "json"])) as { address: string }).address;
    const relayerAddress = await add("relayer");
    operator = await add("operator");
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", accounts: [`${relayerAddress}=1000000000upeg`, `${operator}=1000000000upeg`] });
    url = net.nodes[0].rpc;
    lap("hub and homes");
  });

  afterAll(async () => {
    await stopRelayer();
    await net?.stopAll();
    net?.remove();
    await hub?.remove();
    if (keys) rmSync(keys, { recursive: true, force: true });
    console.log(`gaiad-peg timings (s since start): ${JSON.stringify(timing)}`);
  });

  test("genesis add-mainchain --kind tendermint registers the Hub from its RPC, checked first; the chain starts with it", async () => {
    const home = net.nodes[0].home;
    const genesisFile = join(home, "config", "genesis.json");
    const member = hex(publicKeyFromPrivate(createHash("sha256").update("gaiad-peg federation member").digest()));
    const add = (extra: string[]) =>
      runCliStatusAsync(["genesis", "add-mainchain", MAINCHAIN, "--kind", "tendermint", "--home", home, "--trusted-rpc", hub.rpcUrl, "--denom", "stake", "--members", `${member}:1:${operator}`, "--authority", operator, ...extra]);

    const before = readFileSync(genesisFile, "utf8");
    const bitcoinFlag = await add(["--network", "regtest"]);
    expect(bitcoinFlag.status).not.toBe(0);
    expect(bitcoinFlag.stderr).toMatch(/--network is not a setting of a tendermint main chain/);
    const tooLong = await add(["--trusting-period", String(21 * 86_400)]); // gaiad's default unbonding period
    expect(tooLong.status).not.toBe(0);
    expect(tooLong.stderr).toMatch(/must be below .* unbonding period of 1814400 s/);
    expect(readFileSync(genesisFile, "utf8")).toBe(before);

    const added = await add(["--display-denom", "atom", "--decimals", "6"]);
    expect({ status: added.status, stderr: added.stderr }).toMatchObject({ status: 0 });
    const out = JSON.parse(added.stdout) as { chain_id: string; trusted_height: string; trusted_hash: string };
    trustedHeight = Number(out.trusted_height);
    expect(out.chain_id).toBe(hub.chainId);
    expect(out.trusted_hash).toBe(hex((await hub.rpc.commit(trustedHeight)).commit.blockId.hash));
    const entry = (JSON.parse(readFileSync(genesisFile, "utf8")).app_state.peg.mainchains as Array<Record<string, unknown>>).find((m) => m.id === MAINCHAIN);
    expect(entry).toMatchObject({
      client_type: "tendermint",
      min_deposit: "1000",
      peg_in_fee: "100",
      params: { "@type": "/pegzone.peg.tendermint.v1.Params", denom: "stake", display_denom: "atom", decimals: 6 },
      federation: { threshold: 1, members: [{ weight: 1, account: operator }] },
      checkpoint: { chain_id: hub.chainId, trust_level: { numerator: 1, denominator: 3 }, trusting_period_seconds: 14 * 86_400, max_clock_drift_seconds: 10 },
    });

    net.start(0);
    await waitForHeight(url, 2, 60_000);
    const state = await clientState();
    expect(state).toMatchObject({ client_type: "tendermint", status: "Active", tip_hash: out.trusted_hash });
    expect(Number(state.tip_height)).toBe(trustedHeight);
    lap("registered");
  });

  test(`the relayer follows the Hub for at least ${FOLLOW_BLOCKS} blocks; the client is Active at the Hub's app hash`, async () => {
    startRelayer();
    const reached = await until(`pegzone's client at ${trustedHeight + FOLLOW_BLOCKS}`, async () => ((await tip()) >= trustedHeight + FOLLOW_BLOCKS ? true : undefined), 90_000);
    expect(reached).toBe(true);
    const state = await clientState();
    const height = Number(state.tip_height);
    const node = await hub.rpc.commit(height);
    expect(state.status).toBe("Active");
    expect(state.details.chain_id).toBe(hub.chainId);
    expect(state.details.latest_height).toBe(`1-${height}`);
    // The light client's app hash at H is the one header H carries (the state after block H − 1).
    expect(state.details.app_hash).toBe(hex(node.header.appHash));
    expect(state.tip_hash).toBe(hex(node.commit.blockId.hash));
    console.log(`followed the Hub from ${trustedHeight} to ${height}`);
    lap("followed");
  });

  test("forged headers relayed by hand are refused with the peg's code 4 and change nothing; the real one is accepted", async () => {
    await stopRelayer();
    // A header the killed relayer had broadcast may still be in the mempool: two blocks flush it.
    await waitForHeight(url, (await latestHeight(url)) + 2, 30_000);
    const before = await tip();
    await hub.waitForHeight(BigInt(before + 2));
    const follower = new TendermintFollower({ rpc: hub.rpc, client: pegzoneTendermintClient(new RpcClient(url), MAINCHAIN), submit: async () => undefined });
    const real = (await follower.nextUpdate(BigInt(before + 2)))!;
    expect(real.trustedHeight).toBe(BigInt(before));
    const sh = real.signedHeader;
    const relayByHand = async (header: string) => runCliStatusAsync(["tx", "peg", "relay-headers", "--mainchain", MAINCHAIN, header, "--from", "operator", ...keyring(), "--node", url, "--output", "json"]);
    const forge = (signedHeader: HeaderUpdate["signedHeader"]) => encodeHeaderMessage({ ...real, signedHeader });

    // One byte of the validator's commit signature flipped, relayed as hex.
    const signatures = sh.commit.signatures.map((s, i) => (i === 0 ? { ...s, signature: Uint8Array.from(s.signature, (b, j) => (j === 0 ? b ^ 1 : b)) } : s));
    const badSignature = await relayByHand(hex(forge({ ...sh, commit: { ...sh.commit, signatures } })));
    expect(badSignature.status).toBe(1);
    expect(JSON.parse(badSignature.stdout)).toMatchObject({ code: 4, codespace: "peg" });

    // The app hash changed (the commit signs another block), relayed as @FILE.
    const appHash = Uint8Array.from(sh.header.appHash, (b, j) => (j === 0 ? b ^ 1 : b));
    const file = join(net.dir, "forged-header.bin");
    writeFileSync(file, forge({ ...sh, header: { ...sh.header, appHash } }));
    const badAppHash = await relayByHand(`@${file}`);
    expect(badAppHash.status).toBe(1);
    expect(JSON.parse(badAppHash.stdout)).toMatchObject({ code: 4, codespace: "peg" });
    console.log(`refused: ${JSON.parse(badSignature.stdout).raw_log} | ${JSON.parse(badAppHash.stdout).raw_log}`);
    expect(await tip()).toBe(before);

    const accepted = await relayByHand(hex(real.bytes));
    expect(JSON.parse(accepted.stdout)).toMatchObject({ code: 0 });
    expect(await tip()).toBe(before + 2);
    lap("forgeries");
  });

  test("the relayer, killed and restarted, carries on from pegzone's state", async () => {
    const before = await tip();
    startRelayer();
    await until("the restarted relayer's progress", async () => ((await tip()) >= before + 5 ? true : undefined), 60_000);
    await stopRelayer();
    expect((await clientState()).status).toBe("Active");
    expect(net.logFile("relayer.log")).toMatch(/"kind":"tendermint"/);
    lap("restarted");
  });
});
