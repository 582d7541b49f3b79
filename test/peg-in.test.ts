/**
 * Peg-in end to end, every component real: btcd in regtest is the main chain, one pegzone validator
 * runs behind CometBFT, `pegzone relayer` follows btcd, and CosmJS 0.39 is the user's wallet.
 * A deposit paid by an ordinary signed Bitcoin transaction to a user's deposit address is claimed by
 * the relayer once confirmed and shows up as `peg/btc-regtest` in CosmJS; the user then trades it.
 */
import { DirectSecp256k1HdWallet, Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes, GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEV_MNEMONIC } from "../app/cli/devnet";
import { pegzone } from "../proto";
import { COINBASE_MATURITY, spendCoinbase } from "./support/btc-wallet";
import { type BtcdNode, BTCD_RPC_PASS, BTCD_RPC_USER, startBtcd } from "./support/btcd";
import { CLI, freePortBlock, Proc, runCli, runCliAsync, runCliStatus, sleep, Testnet, waitForHeight, until } from "./support/harness";

const v1 = pegzone.peg.v1;
const DENOM = "peg/btc-regtest";
const CONFIRMATIONS = 3;
const RELAYER_MNEMONIC = "test test test test test test test test test test test junk";
const USER_B_MNEMONIC = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
const gasPrice = GasPrice.fromString("0.0025upeg");

jest.setTimeout(240_000);

describe("peg-in against real btcd, CometBFT and CosmJS", () => {
  let btcd: BtcdNode;
  let net: Testnet;
  let url: string;
  let relayerHome: string;
  let relayer: Proc | undefined;
  let userA: string;
  let userB: string;
  let relayerAddress: string;
  let walletA: SigningStargateClient;
  let reader: StargateClient;
  let btcRpcUrl: string;

  const startRelayer = () => {
    relayer = new Proc(
      process.execPath,
      [CLI, "relayer", "--mainchain", "btc-regtest", "--btc-rpc", btcRpcUrl, "--from", "relayer", "--keyring-backend", "test", "--home", relayerHome, "--node", url, "--poll-interval", "300"],
      join(net.dir, "relayer.log"),
    );
    return relayer;
  };

  const cli = async (args: string[]) => JSON.parse(await runCliAsync([...args, "--node", url, "--output", "json"])) as Record<string, unknown>;
  const clientTip = async () => Number(((await cli(["query", "peg", "client-state", "--mainchain", "btc-regtest"])) as { tip_height: string }).tip_height);
  const balanceOf = async (address: string) => BigInt((await reader.getBalance(address, DENOM)).amount);

  beforeAll(async () => {
    btcd = await startBtcd();
    btcRpcUrl = `http://${BTCD_RPC_USER}:${BTCD_RPC_PASS}@127.0.0.1:${btcd.rpcPort}`;
    await btcd.mine(COINBASE_MATURITY + 5);

    const walletDirect = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    userA = (await walletDirect.getAccounts())[0].address;
    userB = (await (await DirectSecp256k1HdWallet.fromMnemonic(USER_B_MNEMONIC, { prefix: "peg" })).getAccounts())[0].address;
    relayerAddress = (await (await DirectSecp256k1HdWallet.fromMnemonic(RELAYER_MNEMONIC, { prefix: "peg" })).getAccounts())[0].address;

    relayerHome = mkdtempSync(join(tmpdir(), "pegzone-relayer-"));
    runCli(["keys", "add", "relayer", "--recover", "--keyring-backend", "test", "--home", relayerHome], { PEGZONE_MNEMONIC: RELAYER_MNEMONIC });
    runCli(["keys", "add", "alice", "--recover", "--keyring-backend", "test", "--home", relayerHome], { PEGZONE_MNEMONIC: DEV_MNEMONIC });

    net = Testnet.create({
      validators: 1,
      basePort: await freePortBlock(10),
      timeoutCommit: "200ms",
      accounts: [`${userA}=1000000000upeg`, `${relayerAddress}=1000000000upeg`, `${userB}=1000000upeg`],
      extraArgs: ["--btc-confirmations", String(CONFIRMATIONS)],
    });
    net.start(0);
    url = net.nodes[0].rpc;
    await waitForHeight(url, 1, 60_000);

    const registry = new Registry([...defaultRegistryTypes, ["/pegzone.peg.v1.MsgRegisterDepositAddress", v1.MsgRegisterDepositAddress]]);
    walletA = await SigningStargateClient.connectWithSigner(url, walletDirect, { gasPrice, registry });
    reader = await StargateClient.connect(url);
  }, 180_000);

  afterAll(async () => {
    await relayer?.kill("SIGKILL");
    walletA?.disconnect();
    reader?.disconnect();
    await net?.stopAll();
    await btcd?.remove();
    net?.remove();
    if (relayerHome) rmSync(relayerHome, { recursive: true, force: true });
  });

  test("the relayer syncs pegzone's light client with btcd's best chain", async () => {
    startRelayer();
    const btcTip = await btcd.rpc.getBlockCount();
    await until("the light client to reach btcd's tip", async () => ((await clientTip()) === btcTip ? true : undefined));
    const header = (await cli(["query", "peg", "header", String(btcTip), "--mainchain", "btc-regtest"])) as { hash: string; on_best_chain: boolean };
    expect(header.hash).toBe(await btcd.rpc.getBlockHash(btcTip));
    expect(header.on_best_chain).toBe(true);
  });

  test("a deposit paid from a matured coinbase is claimed by the relayer after the confirmations; CosmJS sees it and trades it", async () => {
    // the user registers the deposit address with CosmJS, so relayers watch it
    const registered = await walletA.signAndBroadcast(
      userA,
      [{ typeUrl: "/pegzone.peg.v1.MsgRegisterDepositAddress", value: { sender: userA, mainchain: "btc-regtest", recipient: "" } }],
      "auto",
    );
    expect(registered).toMatchObject({ code: 0 });
    const deposit = (await cli(["query", "peg", "deposit-address", userA, "--mainchain", "btc-regtest"])) as { address: string; script: string };
    expect(deposit.address).toMatch(/^bcrt1q[0-9a-z]{58}$/);

    const amount = 100_000_000n; // 1 BTC
    const paid = await spendCoinbase({ rpc: btcd.rpc, toScript: Buffer.from(deposit.script, "hex"), amount, feeSats: 10_000n });
    await btcd.mine(CONFIRMATIONS - 1);
    await sleep(1500);
    expect(await balanceOf(userA)).toBe(0n); // one confirmation short: nothing minted yet
    const confirmedAt = Date.now();
    await btcd.mine(1);
    const minted = await until("the deposit to be minted", async () => ((await balanceOf(userA)) > 0n ? balanceOf(userA) : undefined));
    const latencyMs = Date.now() - confirmedAt;
    console.log(`peg-in latency from the confirming block to the minted balance: ${latencyMs} ms`);
    expect(minted).toBe(amount - 1000n);

    const status = (await cli(["query", "peg", "deposit", `${paid.txid}:0`, "--mainchain", "btc-regtest"])) as { claimed: boolean; deposit: { amount: string; display_id: string } };
    expect(status.claimed).toBe(true);
    expect(status.deposit).toMatchObject({ amount: amount.toString(), display_id: `${paid.txid}:0` });
    const reserve = (await cli(["query", "peg", "reserve", "--mainchain", "btc-regtest"])) as { total: string; supply: string };
    expect(reserve).toMatchObject({ total: amount.toString(), supply: (amount - 1000n).toString() });

    const sent = await walletA.sendTokens(userA, userB, [{ denom: DENOM, amount: "40000000" }], "auto");
    expect(sent.code).toBe(0);
    expect(await balanceOf(userB)).toBe(40_000_000n);
    expect(await balanceOf(userA)).toBe(amount - 1000n - 40_000_000n);
  });

  test("`pegzone tx peg claim` claims a deposit without the relayer, and a second claim of it is refused", async () => {
    await relayer?.kill("SIGKILL");
    relayer = undefined;
    const deposit = (await cli(["query", "peg", "deposit-address", userB, "--mainchain", "btc-regtest"])) as { script: string };
    const paid = await spendCoinbase({ rpc: btcd.rpc, toScript: Buffer.from(deposit.script, "hex"), amount: 25_000_000n, feeSats: 10_000n });
    await btcd.mine(CONFIRMATIONS);
    // headers still have to reach pegzone: relay one round with --once
    runCli(["relayer", "--once", "--mainchain", "btc-regtest", "--btc-rpc", btcRpcUrl, "--from", "relayer", "--keyring-backend", "test", "--home", relayerHome, "--node", url, "--output", "json"]);
    const before = await balanceOf(userB);
    const claimArgs = ["tx", "peg", "claim", "--from", "alice", "--recipient", userB, "--btc-txid", paid.txid, "--btc-rpc", btcRpcUrl, "--mainchain", "btc-regtest", "--keyring-backend", "test", "--home", relayerHome, "--node", url, "--output", "json"];
    const res = JSON.parse(runCli(claimArgs)) as { code: number };
    expect(res.code).toBe(0);
    expect(await balanceOf(userB)).toBe(before + 25_000_000n - 1000n);
    // the second claim fails already in gas simulation, with the peg's error, printed as JSON like a CheckTx refusal
    const again = runCliStatus(claimArgs);
    expect(again.status).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ codespace: "peg", code: 10 });
    expect(JSON.parse(again.stdout).raw_log).toMatch(/deposit already claimed/);
  });

  test("relayer, btcd and pegzone restarts: the relayer resumes and never claims twice", async () => {
    startRelayer();
    await btcd.restart(); // btcd wipes regtest data on start; the harness replays the same blocks
    await btcd.mine(2);
    await relayer!.kill("SIGKILL");
    startRelayer();
    await net.stop(0);
    net.start(0);
    await waitForHeight(url, 1, 60_000);
    const btcTip = await btcd.rpc.getBlockCount();
    await until("the light client to follow btcd after the restarts", async () => ((await clientTip()) === btcTip ? true : undefined), 90_000);
    const reserve = (await cli(["query", "peg", "reserve", "--mainchain", "btc-regtest"])) as { total: string; entries: Array<{ display_id: string; value: string }> };
    expect(reserve.total).toBe((100_000_000n + 25_000_000n).toString());
    expect(reserve.entries.map((e) => e.value).sort()).toEqual(["100000000", "25000000"]);
    for (const e of reserve.entries) expect(e.display_id).toMatch(/^[0-9a-f]{64}:[0-9]+$/);
  });
});
