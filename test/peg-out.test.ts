/**
 * Peg-out end to end, every component real: btcd regtest, three pegzone validators from
 * `pegzone testnet --validators 3` (a 2-of-3 federation, one signer key per validator), their
 * `pegzone signer` daemons, `pegzone relayer`, and CosmJS wallets. A deposit is claimed, half of it
 * changes hands on pegzone, and the new holder redeems it for bitcoin at a fresh regtest address.
 * Then the federation rotates to three new keys (proposed and approved from the CLI by two
 * validators' signer keys): the old signers sweep the reserve to the new federation, whose signers
 * pay the next withdrawal.
 */
import { DirectSecp256k1HdWallet, Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes, GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import * as btc from "@scure/btc-signer";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEV_MNEMONIC } from "../app/cli/devnet";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../chain/crypto/address";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { signerKeyJson } from "../chain/keys/key-files";
import { parseOutpointDisplayId, RESERVE_OUTPUT_TYPE } from "../modules/peg/bitcoin/peg-flow";
import { pegzone } from "../proto";
import { COINBASE_MATURITY, REGTEST_NETWORK, spendCoinbase } from "./support/btc-wallet";
import { type BtcdNode, BTCD_RPC_PASS, BTCD_RPC_USER, startBtcd } from "./support/btcd";
import { CLI, freePortBlock, Proc, runCli, runCliAsync, Testnet, waitForHeight, until } from "./support/harness";

const v1 = pegzone.peg.v1;
const DENOM = "peg/btc-regtest";
const CONFIRMATIONS = 2;
const BATCH_INTERVAL = 5;
const RELAYER_MNEMONIC = "test test test test test test test test test test test junk";
const USER_B_MNEMONIC = "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong";
const gasPrice = GasPrice.fromString("0.0025upeg");

/** A reserve entry as `query peg reserve --output json` prints it. */
interface ReserveEntryJson {
  id: string;
  display_id: string;
  value: string;
  federation_id: string;
  release_id: string;
  data: { type_url: string; value: string };
}

/** The bitcoin output a reserve entry is: its outpoint (the display id "txid:vout"), value and output script (hex, from its ReserveOutput data). */
function reserveOutput(e: ReserveEntryJson): { txid: string; vout: number; value: bigint; script: string } {
  expect(e.data.type_url).toBe(RESERVE_OUTPUT_TYPE);
  const { script } = pegzone.peg.bitcoin.v1.ReserveOutput.decode(Buffer.from(e.data.value, "base64"));
  return { ...parseOutpointDisplayId(e.display_id), value: BigInt(e.value), script: Buffer.from(script).toString("hex") };
}

jest.setTimeout(300_000);

describe("peg-out against real btcd, three validators, their signers and CosmJS", () => {
  let btcd: BtcdNode;
  let net: Testnet;
  let url: string;
  const signers: Array<Proc | undefined> = [];
  let relayer: Proc | undefined;
  let userA: string;
  let userB: string;
  let walletA: SigningStargateClient;
  let walletB: SigningStargateClient;
  let reader: StargateClient;
  let btcRpcUrl: string;
  const destination = btc.p2wpkh(publicKeyFromPrivate(createHash("sha256").update("peg-out e2e destination").digest()), REGTEST_NETWORK);

  const cli = async (args: string[]) => JSON.parse(await runCliAsync([...args, "--node", url, "--output", "json"])) as Record<string, unknown>;
  const balanceOf = async (address: string) => BigInt((await reader.getBalance(address, DENOM)).amount);
  const reserve = async () => (await cli(["query", "peg", "reserve", "--mainchain", "btc-regtest"])) as { total: string; supply: string; pending: string; entries: ReserveEntryJson[]; freeze?: { frozen?: boolean } };
  const release = async (id: number) => (await cli(["query", "peg", "release", String(id), "--mainchain", "btc-regtest"])) as { release: { status: string; txid: string; signatures: unknown[]; fee: string; outputs: Array<{ withdrawal_id: string; value: string }> }; signed_weight: number };

  const startSigner = (i: number, home = net.nodes[i].home, node = net.nodes[i].rpc) => {
    signers[i] = new Proc(process.execPath, [CLI, "signer", "--home", home, "--node", node, "--poll-interval", "300"], join(net.dir, `signer${i}.log`));
  };
  const stopSigner = async (i: number) => {
    await signers[i]?.kill("SIGTERM");
    signers[i] = undefined;
  };

  beforeAll(async () => {
    btcd = await startBtcd();
    btcRpcUrl = `http://${BTCD_RPC_USER}:${BTCD_RPC_PASS}@127.0.0.1:${btcd.rpcPort}`;
    await btcd.mine(COINBASE_MATURITY + 3);

    const direct = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    const directB = await DirectSecp256k1HdWallet.fromMnemonic(USER_B_MNEMONIC, { prefix: "peg" });
    userA = (await direct.getAccounts())[0].address;
    userB = (await directB.getAccounts())[0].address;
    const relayerAddress = (await (await DirectSecp256k1HdWallet.fromMnemonic(RELAYER_MNEMONIC, { prefix: "peg" })).getAccounts())[0].address;

    net = Testnet.create({
      validators: 3,
      basePort: await freePortBlock(30),
      timeoutCommit: "200ms",
      accounts: [`${userA}=1000000000upeg`, `${relayerAddress}=1000000000upeg`, `${userB}=1000000000upeg`],
      extraArgs: ["--btc-confirmations", String(CONFIRMATIONS), "--batch-interval", String(BATCH_INTERVAL)],
    });
    for (let i = 0; i < 3; i++) net.start(i);
    url = net.nodes[0].rpc;
    await waitForHeight(url, 2, 90_000);

    runCli(["keys", "add", "relayer", "--recover", "--keyring-backend", "test", "--home", net.dir], { PEGZONE_MNEMONIC: RELAYER_MNEMONIC });
    relayer = new Proc(
      process.execPath,
      [CLI, "relayer", "--mainchain", "btc-regtest", "--btc-rpc", btcRpcUrl, "--from", "relayer", "--keyring-backend", "test", "--home", net.dir, "--node", url, "--poll-interval", "300"],
      join(net.dir, "relayer.log"),
    );
    // Two of the three members sign from the start; the third stays off (2 of 3 suffices).
    startSigner(0);
    startSigner(1);

    const registry = new Registry([
      ...defaultRegistryTypes,
      ["/pegzone.peg.v1.MsgRegisterDepositAddress", v1.MsgRegisterDepositAddress],
      ["/pegzone.peg.v1.MsgRequestWithdrawal", v1.MsgRequestWithdrawal],
    ]);
    walletA = await SigningStargateClient.connectWithSigner(url, direct, { gasPrice, registry });
    walletB = await SigningStargateClient.connectWithSigner(net.nodes[1].rpc, directB, { gasPrice, registry });
    reader = await StargateClient.connect(url);
  }, 240_000);

  afterAll(async () => {
    await relayer?.kill("SIGKILL");
    for (let i = 0; i < signers.length; i++) await stopSigner(i);
    walletA?.disconnect();
    walletB?.disconnect();
    reader?.disconnect();
    await net?.stopAll();
    await btcd?.remove();
    if (!process.env.PEGZONE_KEEP_E2E) net?.remove();
  });

  const withdraw = (client: SigningStargateClient, owner: string, amount: string, to: string) =>
    client.signAndBroadcast(owner, [{ typeUrl: "/pegzone.peg.v1.MsgRequestWithdrawal", value: { owner, mainchain: "btc-regtest", amount, destination: to } }], "auto");

  test("deposit 1 BTC to A, A sends half to B, B redeems it to a fresh regtest address through 2 of 3 signers", async () => {
    const registered = await walletA.signAndBroadcast(userA, [{ typeUrl: "/pegzone.peg.v1.MsgRegisterDepositAddress", value: { sender: userA, mainchain: "btc-regtest", recipient: "" } }], "auto");
    expect(registered.code).toBe(0);
    const deposit = (await cli(["query", "peg", "deposit-address", userA, "--mainchain", "btc-regtest"])) as { script: string };
    await spendCoinbase({ rpc: btcd.rpc, toScript: Buffer.from(deposit.script, "hex"), amount: 100_000_000n, feeSats: 10_000n });
    await btcd.mine(CONFIRMATIONS);
    await until("the deposit to be minted", async () => ((await balanceOf(userA)) === 100_000_000n - 1000n ? true : undefined));

    expect((await walletA.sendTokens(userA, userB, [{ denom: DENOM, amount: "50000000" }], "auto")).code).toBe(0);
    expect(await balanceOf(userB)).toBe(50_000_000n);
    const supplyBefore = BigInt((await reserve()).supply);

    const requested = Date.now();
    const res = await withdraw(walletB, userB, "50000000", destination.address!);
    expect(res.code).toBe(0);
    expect(await balanceOf(userB)).toBe(0n);

    // the chain builds the release at the next batch height; two signers sign; the relayer broadcasts it
    const releaseId = 1;
    const inMempool = await until("the release to reach btcd's mempool", async () => {
      const r = (await release(releaseId)).release;
      if (r.status !== "RELEASE_STATUS_SIGNED") return undefined;
      return (await btcd.rpc.getRawTransactionVerbose(r.txid).catch(() => undefined)) ? r : undefined;
    });
    const broadcastMs = Date.now() - requested;
    expect(inMempool.signatures).toHaveLength(2);

    const mined = Date.now();
    await btcd.mine(CONFIRMATIONS);
    await until("the confirmation proof on pegzone", async () => ((await release(releaseId)).release.status === "RELEASE_STATUS_CONFIRMED" ? true : undefined));
    const confirmMs = Date.now() - mined;
    console.log(`peg-out: withdrawal request → release broadcast ${broadcastMs} ms; ${CONFIRMATIONS} blocks mined → confirmation proven on pegzone ${confirmMs} ms`);

    // btcd: the fresh address holds the amount minus the fee share
    const r = (await release(releaseId)).release;
    const paidOut = r.outputs.findIndex((o) => o.withdrawal_id === "1");
    const out = await btcd.rpc.getTxOut(r.txid, paidOut, false);
    expect(out?.scriptPubKey.hex).toBe(Buffer.from(destination.script).toString("hex"));
    expect(BigInt(Math.round(out!.value * 1e8))).toBe(50_000_000n - BigInt(r.fee));
    const withdrawal = ((await cli(["query", "peg", "withdrawals", userB, "--mainchain", "btc-regtest"])) as { withdrawals: Array<{ status: string; paid: string }> }).withdrawals[0];
    expect(withdrawal).toMatchObject({ status: "WITHDRAWAL_STATUS_COMPLETED", paid: (50_000_000n - BigInt(r.fee)).toString() });

    // pegzone: the supply dropped by the amount; the reserve is exactly the federation's unspent outputs on btcd
    const after = await reserve();
    expect(BigInt(after.supply)).toBe(supplyBefore - 50_000_000n);
    expect(after.pending).toBe("0");
    expect(after.freeze?.frozen ?? false).toBe(false);
    let onBtcd = 0n;
    for (const u of after.entries.map(reserveOutput)) {
      const txout = await btcd.rpc.getTxOut(u.txid, u.vout, false);
      expect(txout).not.toBeNull();
      expect(txout!.scriptPubKey.hex).toBe(u.script);
      expect(BigInt(Math.round(txout!.value * 1e8))).toBe(u.value);
      onBtcd += u.value;
    }
    expect(onBtcd).toBe(BigInt(after.total));
    expect(BigInt(after.total)).toBe(100_000_000n - 50_000_000n);
    expect(BigInt(after.supply) + BigInt(after.pending)).toBeLessThanOrEqual(BigInt(after.total));
  });

  test("with two signers stopped the release waits, and completes when one returns", async () => {
    await stopSigner(1);
    const res = await withdraw(walletA, userA, "20000000", destination.address!);
    expect(res.code).toBe(0);
    const releaseId = 2;
    await until("release 2 to be built and signed once", async () => ((await release(releaseId)).release.signatures?.length === 1 ? true : undefined));
    // a few batch intervals later it still waits for a second member
    const height = (await reader.getHeight()) + 3 * BATCH_INTERVAL;
    await until("three more batch intervals", async () => ((await reader.getHeight()) >= height ? true : undefined));
    expect((await release(releaseId)).release.status).toBe("RELEASE_STATUS_SIGNING");
    startSigner(2);
    const signed = await until("release 2 to be signed by 2 of 3", async () => ((await release(releaseId)).release.status === "RELEASE_STATUS_SIGNED" ? await release(releaseId) : undefined));
    expect(signed.signed_weight).toBe(2);
    await until("release 2 in btcd's mempool", async () => btcd.rpc.getRawTransactionVerbose(signed.release.txid).catch(() => undefined));
    await btcd.mine(CONFIRMATIONS);
    await until("release 2 confirmed on pegzone", async () => ((await release(releaseId)).release.status === "RELEASE_STATUS_CONFIRMED" ? true : undefined));
    expect((await reserve()).total).toBe((100_000_000n - 50_000_000n - 20_000_000n).toString());
  });

  test("refuses a withdrawal to a mainnet address and one larger than the balance, changing nothing", async () => {
    const before = await balanceOf(userA);
    const mainnet = btc.p2wpkh(publicKeyFromPrivate(createHash("sha256").update("a mainnet key").digest()), btc.NETWORK).address!;
    const wrongNetwork = await withdraw(walletA, userA, "20000000", mainnet).catch((e: Error) => e);
    expect(String(wrongNetwork instanceof Error ? wrongNetwork.message : wrongNetwork.rawLog)).toMatch(/is a mainnet address, not regtest/);
    const tooMuch = await withdraw(walletA, userA, (before + 1n).toString(), destination.address!).catch((e: Error) => e);
    expect(String(tooMuch instanceof Error ? tooMuch.message : tooMuch.rawLog)).toMatch(/insufficient funds/);
    expect(await balanceOf(userA)).toBe(before);
  });

  test("a rotation approved by 2 of 3: the old signers sweep the reserve to the new federation, whose signers pay the next withdrawal", async () => {
    // three new member keys, each in a home of its own for `pegzone signer`, with upeg for fees
    const next = [0, 1, 2].map((i) => {
      const privateKey = Uint8Array.from(createHash("sha256").update(`peg-out e2e next member ${i}`).digest());
      const publicKey = publicKeyFromPrivate(privateKey);
      const home = join(net.dir, `next-member${i}`);
      mkdirSync(join(home, "config"), { recursive: true });
      writeFileSync(join(home, "config", "signer_key.json"), JSON.stringify(signerKeyJson({ privateKey, publicKey })), { mode: 0o600 });
      return { publicKey, home, account: toBech32(ADDRESS_PREFIX, addressFromPubkey(publicKey)) };
    });
    const funded = await walletA.signAndBroadcast(
      userA,
      next.map((m) => ({ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: userA, toAddress: m.account, amount: [{ denom: "upeg", amount: "10000000" }] } })),
      "auto",
    );
    expect(funded.code).toBe(0);

    // validator 1's member proposes, validator 0's approves: 2 of 3, the federation rotates
    const members = next.map((m) => `${Buffer.from(m.publicKey).toString("hex")}:1:${m.account}`).join(",");
    const proposed = await cli(["tx", "peg", "propose-federation", "--members", members, "--threshold", "2", "--signer-key", "--home", net.nodes[1].home, "--mainchain", "btc-regtest"]);
    expect(proposed.code).toBe(0);
    expect(await cli(["query", "peg", "federation-proposal", "--mainchain", "btc-regtest"])).toMatchObject({ proposal: { id: "2" }, approved_weight: 1, threshold: 2 });
    const approved = await cli(["tx", "peg", "approve-federation", "2", "--signer-key", "--home", net.nodes[0].home, "--mainchain", "btc-regtest"]);
    expect(approved.code).toBe(0);
    const feds = (await cli(["query", "peg", "federations", "--mainchain", "btc-regtest"])) as { current: { id: string; members: Array<{ account: string }> }; retired: Array<{ federation: { id: string } }> };
    expect(feds.current.id).toBe("2");
    expect(feds.current.members.map((m) => m.account)).toEqual(next.map((m) => m.account));
    expect(feds.retired.map((r) => r.federation.id)).toEqual(["1"]);

    // a deposit to A's address under the new federation (the relayer watches it without a new
    // registration) adds its peg-in fee to the surplus that pays the sweep's miner fee
    const before = await reserve();
    expect(before.entries).toHaveLength(1);
    const address = (await cli(["query", "peg", "deposit-address", userA, "--mainchain", "btc-regtest"])) as { script: string; federation_id: string };
    expect(address.federation_id).toBe("2");
    const balanceA = await balanceOf(userA);
    await spendCoinbase({ rpc: btcd.rpc, toScript: Buffer.from(address.script, "hex"), amount: 10_000_000n, feeSats: 10_000n });
    await btcd.mine(CONFIRMATIONS);
    await until("the deposit to the new federation to be minted", async () => ((await balanceOf(userA)) === balanceA + 10_000_000n - 1000n ? true : undefined));

    // the old federation's running signers (0 and 2) sign the sweep; the relayer broadcasts it
    const sweepId = 3;
    const sweep = await until("the sweep in btcd's mempool", async () => {
      const r = await release(sweepId);
      if (r.release.status !== "RELEASE_STATUS_SIGNED") return undefined;
      return (await btcd.rpc.getRawTransactionVerbose(r.release.txid).catch(() => undefined)) ? r : undefined;
    });
    expect(sweep.release.outputs).toHaveLength(1);
    expect(sweep.signed_weight).toBe(2);
    await btcd.mine(CONFIRMATIONS);
    await until("the sweep confirmed on pegzone", async () => ((await release(sweepId)).release.status === "RELEASE_STATUS_CONFIRMED" ? true : undefined));
    const fee = BigInt(sweep.release.fee);
    const swept = await reserve();
    expect(swept.entries.map((u) => u.federation_id)).toEqual(["2", "2"]);
    expect(BigInt(swept.total)).toBe(BigInt(before.total) + 10_000_000n - fee);
    expect(BigInt(swept.supply) + BigInt(swept.pending)).toBeLessThanOrEqual(BigInt(swept.total));
    let onBtcd = 0n;
    for (const u of swept.entries.map(reserveOutput)) {
      const txout = await btcd.rpc.getTxOut(u.txid, u.vout, false);
      expect(txout!.scriptPubKey.hex).toBe(u.script);
      onBtcd += BigInt(Math.round(txout!.value * 1e8));
    }
    expect(onBtcd).toBe(BigInt(swept.total));

    // the next withdrawal is the new federation's to sign: two of its signers do
    for (let i = 0; i < 2; i++) startSigner(3 + i, next[i].home, net.nodes[i].rpc);
    const res = await withdraw(walletA, userA, "5000000", destination.address!);
    expect(res.code).toBe(0);
    const payoutId = 4;
    const payout = await until("the new federation's release in btcd's mempool", async () => {
      const r = await release(payoutId);
      if (r.release.status !== "RELEASE_STATUS_SIGNED") return undefined;
      return (await btcd.rpc.getRawTransactionVerbose(r.release.txid).catch(() => undefined)) ? r : undefined;
    });
    const signedBy = (payout.release.signatures as Array<{ pubkey: string }>).map((s) => Buffer.from(s.pubkey, "base64").toString("hex")).sort();
    expect(signedBy).toEqual(next.slice(0, 2).map((m) => Buffer.from(m.publicKey).toString("hex")).sort());
    await btcd.mine(CONFIRMATIONS);
    await until("the new federation's release confirmed on pegzone", async () => ((await release(payoutId)).release.status === "RELEASE_STATUS_CONFIRMED" ? true : undefined));
    const paidOut = payout.release.outputs.findIndex((o) => o.withdrawal_id !== "0");
    const out = await btcd.rpc.getTxOut(payout.release.txid, paidOut, false);
    expect(BigInt(Math.round(out!.value * 1e8))).toBe(5_000_000n - BigInt(payout.release.fee));
    expect(BigInt((await reserve()).total)).toBe(BigInt(swept.total) - 5_000_000n);
  });
});
