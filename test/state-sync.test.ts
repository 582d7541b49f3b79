/**
 * State sync end to end with real CometBFT: three validators from `pegzone testnet` (snapshots
 * every 50 blocks) run past height 100 with funded accounts, bank sends and a peg deposit paid on
 * a real btcd (regtest), relayed and claimed; a new node made with
 * `pegzone init`, the network's genesis, `pegzone config peers` and `pegzone config state-sync`
 * restores the snapshot of height 100 instead of replaying from 1 (its block store starts above
 * 100, its log says so), then follows the chain with the same app hashes, the same balances and
 * the same reserve, also after a restart.
 */
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { DEV_MNEMONIC } from "../app/cli/devnet";
import { COINBASE_MATURITY, spendCoinbase } from "./support/btc-wallet";
import { type BtcdNode, BTCD_RPC_PASS, BTCD_RPC_USER, startBtcd } from "./support/btcd";
import { CLI, freePortBlock, header, latestHeight, Proc, rpc, runCli, Testnet, until, waitForHeight } from "./support/harness";

const FAUCET = "peg1m2wwszp0kq4480hl45lrtjdrt3ew4hn6rrqn7e";
const RELAYER = "peg15yk64u7zc9g9k2yr2wmzeva5qgwxps6yddjltc";
const RELAYER_MNEMONIC = "test test test test test test test test test test test junk";
const SNAPSHOT_HEIGHT = 100;
const BTC = "peg/btc-regtest";
const DEPOSIT = 100_000_000n;

describe("a new node joins by state sync", () => {
  let net: Testnet;
  let btcd: BtcdNode;
  let joiner: Proc | undefined;

  beforeAll(async () => {
    const base = await freePortBlock(40);
    net = Testnet.create({
      validators: 3,
      basePort: base,
      timeoutCommit: "100ms",
      accounts: [`${FAUCET}=1000000000upeg`, `${RELAYER}=1000000000upeg`],
      extraArgs: ["--snapshot-interval", "50", "--btc-confirmations", "2"],
    });
    for (let i = 0; i < 3; i++) net.start(i);
    btcd = await startBtcd();
  });

  afterAll(async () => {
    await joiner?.kill();
    await net?.stopAll();
    await btcd?.remove();
    net?.remove();
  });

  test("restores the snapshot of height 100 and then agrees with the validators", async () => {
    const node0 = net.nodes[0];
    await waitForHeight(node0.rpc, 2, 60_000);
    const keyring = ["--home", join(net.dir, "client"), "--keyring-backend", "test", "--output", "json"];
    runCli(["keys", "add", "faucet", "--recover", ...keyring], { PEGZONE_MNEMONIC: DEV_MNEMONIC });
    const recipients: string[] = [];
    for (let i = 0; i < 3; i++) {
      const to = (JSON.parse(runCli(["keys", "add", `user${i}`, ...keyring])) as { address: string }).address;
      const sent = JSON.parse(runCli(["tx", "bank", "send", "faucet", to, `${1000 + i}upeg`, "--node", net.nodes[i].rpc, ...keyring])) as { code: number };
      expect(sent.code).toBe(0);
      recipients.push(to);
    }

    // A peg deposit to user0, paid on btcd, its headers relayed and the deposit claimed.
    runCli(["keys", "add", "relayer", "--recover", ...keyring], { PEGZONE_MNEMONIC: RELAYER_MNEMONIC });
    expect((JSON.parse(runCli(["keys", "show", "relayer", ...keyring])) as { address: string }).address).toBe(RELAYER);
    const btcRpc = `http://${BTCD_RPC_USER}:${BTCD_RPC_PASS}@127.0.0.1:${btcd.rpcPort}`;
    await btcd.mine(COINBASE_MATURITY + 1);
    const depositAddress = JSON.parse(runCli(["query", "peg", "deposit-address", recipients[0], "--mainchain", "btc-regtest", "--node", node0.rpc, "--output", "json"])) as { script: string };
    const paid = await spendCoinbase({ rpc: btcd.rpc, toScript: Buffer.from(depositAddress.script, "hex"), amount: DEPOSIT, feeSats: 10_000n });
    await btcd.mine(2);
    const btcArgs = ["--mainchain", "btc-regtest", "--btc-rpc", btcRpc, "--node", node0.rpc, ...keyring];
    runCli(["relayer", "--once", "--from", "relayer", ...btcArgs]);
    const claimed = JSON.parse(runCli(["tx", "peg", "claim", "--from", "faucet", "--recipient", recipients[0], "--btc-txid", paid.txid, ...btcArgs])) as { code: number };
    expect(claimed.code).toBe(0);
    const reserve = runCli(["query", "peg", "reserve", "--mainchain", "btc-regtest", "--node", node0.rpc, "--output", "json"]);
    expect(JSON.parse(reserve)).toMatchObject({ total: DEPOSIT.toString() });

    // The snapshot of 100 is written on every validator; the light client needs the headers of 101 and 102.
    await waitForHeight(node0.rpc, SNAPSHOT_HEIGHT + 3, 120_000);
    await until("the snapshot of height 100", async () => (existsSync(join(node0.home, "data", "snapshots", `${SNAPSHOT_HEIGHT}-1`, "snapshot.json")) ? true : undefined), 30_000);

    // The operator's steps (docs/state-sync.md).
    const home = join(net.dir, "joiner");
    const ports = await freePortBlock(10);
    runCli(["init", "joiner", "--chain-id", "pegzone-test", "--home", home, "--base-port", String(ports)]);
    copyFileSync(join(node0.home, "config", "genesis.json"), join(home, "config", "genesis.json"));
    runCli(["config", "peers", net.nodes.map((n) => `${n.node_id}@127.0.0.1:${n.p2p}`).join(","), "--home", home]);
    const trusted = JSON.parse(runCli(["config", "state-sync", "--rpc", node0.rpc, "--rpc", net.nodes[1].rpc, "--discovery-time", "5s", "--home", home])) as { trust_height: number };
    expect(trusted.trust_height).toBeGreaterThan(0);
    expect(trusted.trust_height).toBeLessThan(SNAPSHOT_HEIGHT);

    joiner = new Proc(process.execPath, [CLI, "start", "--home", home], join(net.dir, "joiner.log"));
    const restored = joiner.waitForLine(/snapshot restored/, 60_000);
    const joinerRpc = `http://127.0.0.1:${ports + 1}`;
    expect(JSON.parse(await restored)).toMatchObject({ height: SNAPSHOT_HEIGHT });

    // It follows the chain from there: same app hash at the next heights, and it never had blocks 1..100.
    const target = (await latestHeight(node0.rpc)) + 2;
    await waitForHeight(joinerRpc, target, 60_000);
    for (const h of [SNAPSHOT_HEIGHT + 1, SNAPSHOT_HEIGHT + 2, target]) {
      const [mine, theirs] = await Promise.all([header(joinerRpc, h), header(node0.rpc, h)]);
      expect(mine.app_hash).toBe(theirs.app_hash);
    }
    const status = await rpc<{ sync_info: { earliest_block_height: string } }>(joinerRpc, "status");
    expect(Number(status.sync_info.earliest_block_height)).toBeGreaterThan(SNAPSHOT_HEIGHT);
    for (const [i, address] of recipients.entries()) {
      const balances = JSON.parse(runCli(["query", "bank", "balances", address, "--node", joinerRpc, "--output", "json"])) as { balances: Array<{ denom: string; amount: string }> };
      expect(balances.balances).toContainEqual({ denom: "upeg", amount: String(1000 + i) });
      if (i === 0) expect(balances.balances).toContainEqual({ denom: BTC, amount: String(DEPOSIT - 1000n) }); // less the peg's fee, as in peg-in.test.ts
    }
    const height = String(target);
    const reserveAt = (url: string) => runCli(["query", "peg", "reserve", "--mainchain", "btc-regtest", "--node", url, "--height", height, "--output", "json"]);
    expect(JSON.parse(reserveAt(joinerRpc))).toEqual(JSON.parse(reserveAt(node0.rpc)));

    // Restarted, it carries on from its own state (CometBFT's state sync is done; no second restore).
    await joiner.kill();
    joiner = new Proc(process.execPath, [CLI, "start", "--home", home], join(net.dir, "joiner.log"));
    const next = (await latestHeight(node0.rpc)) + 2;
    await waitForHeight(joinerRpc, next, 60_000);
    const [mine, theirs] = await Promise.all([header(joinerRpc, next), header(node0.rpc, next)]);
    expect(mine.app_hash).toBe(theirs.app_hash);
  }, 150_000);
});
