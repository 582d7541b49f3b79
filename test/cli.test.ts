import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { fromBech32 } from "../chain/crypto/address";
import { CLI, freePortBlock, Proc, runCli, runCliStatus, Testnet, waitForHeight } from "./support/harness";
import { BTCCTL, BTCD_RPC_PASS, BTCD_RPC_USER, startBtcd, type BtcdNode } from "./support/btcd";
import { DEV_MNEMONIC } from "../app/cli/devnet";
import { depositAddressAnswer } from "../app/cli/peg";
import { btcctlArgs, btcctlConfig, writeBtcctlConfig } from "../app/node/btcctl";

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

  test("chain-info prints Keplr's suggest-chain JSON and the chain-registry's chain.json and assetlist.json from the node", () => {
    const info = JSON.parse(runCli(["chain-info", "--node", node, "--rest", "http://127.0.0.1:1317"])) as {
      keplr: { chainId: string; rpc: string; bip44: { coinType: number }; bech32Config: Record<string, string>; currencies: Array<{ coinMinimalDenom: string; coinDecimals: number }>; feeCurrencies: Array<{ coinMinimalDenom: string; gasPriceStep: { average: number } }> };
      chain: { chain_id: string; bech32_prefix: string; slip44: number; fees: { fee_tokens: Array<{ denom: string }> } };
      assetlist: { assets: Array<{ base: string; display: string; denom_units: Array<{ denom: string; exponent: number }> }> };
    };
    expect(info.keplr).toMatchObject({ chainId: "pegzone-test", rpc: node, bip44: { coinType: 118 } });
    expect(info.keplr.bech32Config).toMatchObject({ bech32PrefixAccAddr: "peg", bech32PrefixValAddr: "pegvaloper", bech32PrefixConsPub: "pegvalconspub" });
    expect(info.keplr.feeCurrencies).toEqual([expect.objectContaining({ coinMinimalDenom: "upeg", gasPriceStep: expect.objectContaining({ average: 0.0025 }) })]);
    // the pegged bitcoin, in satoshi with 8 decimals to its display unit, as the bitcoin kind registered it in genesis
    expect(info.keplr.currencies).toContainEqual(expect.objectContaining({ coinMinimalDenom: "peg/btc-regtest", coinDecimals: 8 }));
    expect(info.chain).toMatchObject({ chain_id: "pegzone-test", bech32_prefix: "peg", slip44: 118, fees: { fee_tokens: [{ denom: "upeg" }] } });
    const btc = info.assetlist.assets.find((a) => a.base === "peg/btc-regtest")!;
    expect(btc.denom_units).toContainEqual({ denom: btc.display, exponent: 8 });
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

  test("query peg deposit-address: scripts in hex, whether relayers watch it, the register and claim commands; registered once the printed command runs", async () => {
    const keyring = ["--home", home, "--keyring-backend", "test", "--output", "json"];
    const keys = JSON.parse(runCli(["keys", "list", ...keyring])) as Array<{ name: string }>;
    if (!keys.some((k) => k.name === "faucet")) runCli(["keys", "add", "faucet", "--recover", ...keyring], { PEGZONE_MNEMONIC: DEV_MNEMONIC });
    const carol = (JSON.parse(runCli(["keys", "add", "carol", ...keyring])) as { address: string }).address;
    const carolBytes = Buffer.from(fromBech32(carol)).toString("hex");
    const query = (args: string[]) => JSON.parse(runCli(["query", "peg", ...args, "--node", node, "--output", "json"])) as Record<string, string | boolean>;

    const before = query(["deposit-address", carol]);
    // P2WSH: OP_0 <sha256(witness script)>; the witness script starts with the recipient's 20 bytes and OP_DROP.
    expect(before.address).toMatch(/^bcrt1q[0-9a-z]{58}$/);
    expect(before.script).toMatch(/^0020[0-9a-f]{64}$/);
    expect(before.witness_script).toMatch(/^([0-9a-f]{2})+$/);
    expect(String(before.witness_script).startsWith(`14${carolBytes}75`)).toBe(true);
    expect(String(before.script).slice(4)).toBe(createHash("sha256").update(Buffer.from(String(before.witness_script), "hex")).digest("hex"));
    expect(before).toMatchObject({ federation_id: "1", registered: false, watched: false });
    expect(before.memo).toBeUndefined();
    expect(before.note).toMatch(/NOT registered/);
    expect(before.register_command).toBe(`pegzone tx peg register-address --from KEY --recipient ${carol} --mainchain btc-regtest --node ${node}`);
    expect(before.claim_command).toBe(`pegzone tx peg claim --from KEY --recipient ${carol} --btc-txid TXID --btc-rpc BITCOIN_RPC_URL --mainchain btc-regtest --node ${node}`);
    // The text output says the same (indented), scripts in hex too.
    const text = runCli(["query", "peg", "deposit-address", carol, "--node", node]);
    expect(text).toContain(`"script": "${before.script}"`);
    expect(text).toContain(`"registered": false`);

    // The printed command, as a user would run it (KEY: a key that pays the fee; carol has no upeg).
    const register = String(before.register_command).split(" ").slice(1).map((w) => (w === "KEY" ? "faucet" : w));
    expect(JSON.parse(runCli([...register, ...keyring])).code).toBe(0);

    const after = query(["deposit-address", carol]);
    expect(after).toMatchObject({ address: before.address, script: before.script, witness_script: before.witness_script, registered: true, watched: true });
    expect(after.register_command).toBeUndefined();
    expect(after.claim_command).toBeUndefined();
    // Another account is still unregistered (the check looks up this recipient, not any registration).
    expect(query(["deposit-address", FAUCET])).toMatchObject({ registered: false, watched: false });

    const listed = JSON.parse(runCli(["query", "peg", "registered-addresses", "--node", node, "--output", "json"])) as { addresses: Array<{ recipient: string; script: string; address: string }> };
    expect(listed.addresses.filter((a) => a.recipient === carol)).toEqual([expect.objectContaining({ address: before.address, script: before.script })]);
  }, 90_000);
});

describe("depositAddressAnswer (query peg deposit-address) for each kind", () => {
  const recipient = FAUCET;
  const node = "http://127.0.0.1:26657";

  test("tendermint: the federation's account and the memo; relayers watch it, no registration needed", () => {
    const answer = depositAddressAnswer(
      { address: "cosmos1fed", script: Uint8Array.of(0xab, 0x01), witnessScript: Uint8Array.of(0x22, 0xc1), federationId: 3, memo: recipient },
      { kind: "tendermint", registered: false, mainchain: "cosmoshub", recipient, node },
    );
    expect(answer).toMatchObject({ address: "cosmos1fed", script: "ab01", witness_script: "22c1", federation_id: "3", memo: recipient, registered: false, watched: true });
    expect(answer.note).toMatch(/no registration needed/);
    expect(answer.register_command).toBeUndefined();
    // the default --node is left out of the printed command
    expect(answer.claim_command).toBe("pegzone tx peg claim --from KEY --tx-hash HASH --rpc MAINCHAIN_RPC --mainchain cosmoshub");
  });

  test("another kind: registration needed, no bitcoin claim command", () => {
    const answer = depositAddressAnswer({ address: "x", script: new Uint8Array(), witnessScript: new Uint8Array(), federationId: 1 }, { kind: "other", registered: false, mainchain: "m", recipient, node });
    expect(answer).toMatchObject({ script: "", witness_script: "", registered: false, watched: false, register_command: `pegzone tx peg register-address --from KEY --recipient ${recipient} --mainchain m` });
    expect(answer.claim_command).toBeUndefined();
  });
});

describe("btcctl always gets --configfile (never the passwd home's ~/.btcctl/btcctl.conf)", () => {
  let btcd: BtcdNode | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pegzone-btcctl-test-"));
  });
  afterAll(async () => {
    await btcd?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test("btcctlArgs puts --configfile first and refuses a missing file (btcctl would write one from ~/.btcd/btcd.conf)", () => {
    const file = join(dir, "btcctl.conf");
    expect(() => btcctlArgs(file, ["getblockcount"])).toThrow(/does not exist/);
    writeBtcctlConfig(file, { rpcServer: "127.0.0.1:1", rpcUser: "u", rpcPassword: "p" });
    expect(btcctlArgs(file, ["getblockcount"])).toEqual([`--configfile=${file}`, "getblockcount"]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(() => btcctlConfig({ rpcServer: "127.0.0.1:1", rpcUser: "u", rpcPassword: "p\nrpcserver=evil:1" })).toThrow(/one line/);
  });

  test("`pegzone dev btcctl` spawns btcctl with --configfile holding --btc-rpc's server and credentials, then deletes it", () => {
    // A stand-in btcctl that prints its argv and the config file it was given.
    const fake = join(dir, "fake-btcctl");
    writeFileSync(fake, '#!/bin/sh\nfor a in "$@"; do echo "ARG $a"; done\ncat "${1#--configfile=}"\nexit 7\n', { mode: 0o755 });
    const res = runCliStatus(["dev", "btcctl", "--btc-rpc", "http://alice:s%40cret@127.0.0.1:19999", "getblockhash", "5", "--wallet"], { BTCCTL_BIN: fake });
    expect(res.status).toBe(7); // btcctl's own exit status
    const lines = res.stdout.split("\n");
    const configFile = /^ARG --configfile=(.+)$/.exec(lines[0])?.[1];
    expect(configFile).toBeDefined();
    expect(lines.slice(1, 4)).toEqual(["ARG getblockhash", "ARG 5", "ARG --wallet"]);
    expect(res.stdout).toContain("[Application Options]\nregtest=1\nnotls=1\nrpcserver=127.0.0.1:19999\nrpcuser=alice\nrpcpass=s@cret\n");
    expect(existsSync(configFile!)).toBe(false);
  });

  test("real btcctl reaches a test btcd through the config file alone, whatever $HOME holds", async () => {
    btcd = await startBtcd();
    await btcd.mine(3);
    expect(readFileSync(btcd.btcctlConfigFile, "utf8")).toContain(`rpcserver=127.0.0.1:${btcd.rpcPort}`);
    expect(btcd.btcctl(["getblockcount"])).toBe("3");
    // A HOME with a btcctl.conf that would send btcctl elsewhere (btcctl reads the passwd home's anyway; --configfile wins over both).
    const badHome = join(dir, "home");
    mkdirSync(join(badHome, ".btcctl"), { recursive: true });
    writeFileSync(join(badHome, ".btcctl", "btcctl.conf"), "rpcserver=127.0.0.1:1\nrpcuser=wrong\nnot-an-option=1\n");
    const url = `http://${BTCD_RPC_USER}:${BTCD_RPC_PASS}@127.0.0.1:${btcd.rpcPort}`;
    const res = runCliStatus(["dev", "btcctl", "--btc-rpc", url, "getblockcount"], { HOME: badHome, BTCCTL_BIN: BTCCTL });
    expect(res.stderr).toBe("");
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe("3");
    expect(JSON.parse(runCli(["dev", "btcctl", "--btc-rpc", url, "getblockchaininfo"], { HOME: badHome, BTCCTL_BIN: BTCCTL }))).toMatchObject({ chain: "regtest", blocks: 3 });
  }, 60_000);
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

describe("`pegzone genesis add-validator`: a two-validator network built by hand, as with gaiad", () => {
  const procs: Proc[] = [];
  let dir: string | undefined;
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill("SIGTERM")));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("init twice, add the second to the first's genesis, share it, peer them: both sign, both are the module's", async () => {
    dir = mkdtempSync(join(tmpdir(), "pegzone-byhand-"));
    const base = await freePortBlock(20);
    const [a, b] = [join(dir, "a"), join(dir, "b")];
    const idA = (JSON.parse(runCli(["init", "a", "--chain-id", "byhand", "--home", a, "--base-port", String(base)])) as { node_id: string }).node_id;
    const idB = (JSON.parse(runCli(["init", "b", "--chain-id", "byhand", "--home", b, "--base-port", String(base + 10)])) as { node_id: string }).node_id;
    // a malformed key is refused and genesis is untouched
    const before = readFileSync(join(a, "config", "genesis.json"), "utf8");
    expect(runCliStatus(["genesis", "add-validator", "--home", a, "--consensus-pubkey", Buffer.alloc(31).toString("base64"), "--signer-pubkey", "02".padEnd(66, "1")]).status).not.toBe(0);
    expect(readFileSync(join(a, "config", "genesis.json"), "utf8")).toBe(before);
    runCli(["genesis", "add-validator", "--home", a, "--candidate-home", b]);
    expect(runCliStatus(["genesis", "add-validator", "--home", a, "--candidate-home", b]).stderr).toMatch(/in genesis already/);
    copyFileSync(join(a, "config", "genesis.json"), join(b, "config", "genesis.json"));
    runCli(["config", "peers", `${idB}@127.0.0.1:${base + 10}`, "--home", a]);
    runCli(["config", "peers", `${idA}@127.0.0.1:${base}`, "--home", b]);
    for (const home of [a, b]) procs.push(new Proc(process.execPath, [CLI, "start", "--home", home], join(dir, `${home.slice(-1)}.log`)));
    const rpcA = `http://127.0.0.1:${base + 1}`;
    await waitForHeight(rpcA, 3, 60_000);
    const listed = JSON.parse(runCli(["query", "validators", "list", "--node", rpcA, "--output", "json"])) as { validators: Array<{ moniker: string; status: string }> };
    expect(listed.validators.map((v) => [v.moniker, v.status]).sort()).toEqual([["a", "VALIDATOR_STATUS_ACTIVE"], ["b", "VALIDATOR_STATUS_ACTIVE"]]);
    const commit = (await (await fetch(`${rpcA}/commit?height=2`)).json()) as { result: { signed_header: { commit: { signatures: Array<{ block_id_flag: number }> } } } };
    expect(commit.result.signed_header.commit.signatures.filter((s) => s.block_id_flag === 2)).toHaveLength(2);
  }, 120_000);
});
