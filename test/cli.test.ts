import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { freePortBlock, runCli, runCliStatus, Testnet, waitForHeight } from "./support/harness";
import { DEV_MNEMONIC } from "../app/cli/devnet";

const FAUCET = "peg1m2wwszp0kq4480hl45lrtjdrt3ew4hn6rrqn7e";

describe("the pegzone CLI against a real node", () => {
  let net: Testnet;
  let node: string;
  let home: string;

  beforeAll(async () => {
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", accounts: [`${FAUCET}=1000000000upeg`] });
    net.start(0);
    node = net.nodes[0].rpc;
    home = `${net.dir}/client`;
    await waitForHeight(node, 1, 60_000);
  }, 90_000);

  afterAll(async () => {
    await net?.stopAll();
    net?.remove();
  });

  test("keys add, tx bank send, query bank balances, query tx, query auth account", async () => {
    const keyring = ["--home", home, "--keyring-backend", "test", "--output", "json"];
    const faucet = JSON.parse(runCli(["keys", "add", "faucet", "--recover", ...keyring], { PEGZONE_MNEMONIC: DEV_MNEMONIC }));
    expect(faucet.address).toBe(FAUCET);
    const bob = JSON.parse(runCli(["keys", "add", "bob", ...keyring]));
    expect(bob.mnemonic.split(" ")).toHaveLength(24);
    expect(JSON.parse(runCli(["keys", "list", ...keyring])).map((k: { name: string }) => k.name).sort()).toEqual(["bob", "faucet"]);

    const sent = JSON.parse(runCli(["tx", "bank", "send", "faucet", bob.address, "12345upeg", "--node", node, ...keyring]));
    expect(sent.code).toBe(0);
    expect(Number(sent.gas_used)).toBeGreaterThan(0);

    const balances = JSON.parse(runCli(["query", "bank", "balances", bob.address, "--node", node, "--output", "json"]));
    expect(balances.balances).toEqual([{ denom: "upeg", amount: "12345" }]);
    const tx = JSON.parse(runCli(["query", "tx", sent.txhash, "--node", node, "--output", "json"]));
    expect(tx.code).toBe(0);
    const account = JSON.parse(runCli(["query", "auth", "account", FAUCET, "--node", node, "--output", "json"]));
    expect(account.sequence).toBe("1");

    // Insufficient funds fails in the block with the SDK's code 5: the transfer is reverted, the fee (200000 × 0.0025) is still paid.
    const failed = runCliStatus(["tx", "bank", "send", "bob", FAUCET, "999999999upeg", "--gas", "200000", "--node", node, ...keyring]);
    expect(failed.status).toBe(1);
    const tooMuch = JSON.parse(failed.stdout);
    expect(tooMuch.code).toBe(5);
    expect(JSON.parse(runCli(["query", "bank", "balances", bob.address, "--node", node, "--output", "json"])).balances).toEqual([{ denom: "upeg", amount: "11845" }]);

    // The same failure found by the gas simulation, before anything is broadcast: the SDK's code as JSON, exit status 1.
    const simulated = runCliStatus(["tx", "bank", "send", "bob", FAUCET, "999999999upeg", "--node", node, ...keyring]);
    expect(simulated.status).toBe(1);
    expect(JSON.parse(simulated.stdout)).toMatchObject({ code: 5, codespace: "sdk" });
    expect(JSON.parse(simulated.stdout).raw_log).toMatch(/insufficient funds/);

    // Supply: all denoms, or one; the fees paid above stay in the supply (the fee collector holds them).
    const total = JSON.parse(runCli(["query", "bank", "total", "--node", node, "--output", "json"])) as { supply: Array<{ denom: string; amount: string }> };
    const upeg = JSON.parse(runCli(["query", "bank", "total", "--denom", "upeg", "--node", node, "--output", "json"])) as { amount: { denom: string; amount: string } };
    expect(upeg.amount.denom).toBe("upeg");
    expect(BigInt(upeg.amount.amount)).toBeGreaterThan(0n);
    expect(total.supply.find((c) => c.denom === "upeg")).toEqual(upeg.amount);
  }, 90_000);
});

describe("`pegzone genesis add-mainchain`", () => {
  let net: Testnet | undefined;
  afterAll(async () => {
    await net?.stopAll();
    net?.remove();
  });

  test("registers a bitcoin main chain with every setting, refuses one InitChain would refuse without writing, and the chain starts with it", async () => {
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms" });
    const home = net.nodes[0].home;
    const genesisFile = `${home}/config/genesis.json`;
    const key = Buffer.from(publicKeyFromPrivate(createHash("sha256").update("add-mainchain member").digest())).toString("hex");
    const members = `${key}:2:${FAUCET}`;
    const add = (extra: string[]) => runCliStatus(["genesis", "add-mainchain", "btc-testnet4", "--home", home, "--network", "testnet4", "--members", members, "--authority", FAUCET, ...extra]);

    // a threshold above the federation's weight, and a reorg limit not below the confirmations: refused, genesis untouched
    const before = readFileSync(genesisFile, "utf8");
    const heavy = add(["--threshold", "3"]);
    expect(heavy.status).not.toBe(0);
    expect(heavy.stderr).toMatch(/threshold/);
    const deep = add(["--confirmations", "3", "--reorg-limit", "3"]);
    expect(deep.status).not.toBe(0);
    expect(deep.stderr).toMatch(/reorg_limit/);
    expect(readFileSync(genesisFile, "utf8")).toBe(before);

    expect(add(["--confirmations", "3", "--min-withdrawal", "200000", "--fee-rate", "2"]).status).toBe(0);
    const peg = JSON.parse(readFileSync(genesisFile, "utf8")).app_state.peg as { mainchains: Array<Record<string, unknown>> };
    expect(peg.mainchains.map((m) => m.id)).toEqual(["btc-regtest", "btc-testnet4"]);
    expect(peg.mainchains[1]).toMatchObject({
      client_type: "bitcoin",
      params: { "@type": "/pegzone.peg.bitcoin.v1.Params", network: "testnet4", confirmations: 3, reorg_limit: 2, fee_rate: "2" },
      min_withdrawal: "200000",
      peg_in_fee: "1000",
      federation: { threshold: 2, members: [{ weight: 2, account: FAUCET }] },
    });
    expect(add([]).stderr).toMatch(/already in genesis/);

    // InitChain takes it: the running chain lists both main chains
    net.start(0);
    await waitForHeight(net.nodes[0].rpc, 2, 60_000);
    const listed = JSON.parse(runCli(["query", "peg", "mainchains", "--node", net.nodes[0].rpc, "--output", "json"])) as { mainchains: Array<{ id: string; params: { network: string } }> };
    expect(listed.mainchains.map((m) => [m.id, m.params.network])).toEqual([["btc-regtest", "regtest"], ["btc-testnet4", "testnet4"]]);
  }, 120_000);
});
