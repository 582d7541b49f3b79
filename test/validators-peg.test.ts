/**
 * Issue 15's main acceptance, every component real: btcd (regtest), `pegzone testnet --validators 3`
 * behind CometBFT, `pegzone relayer`, a `pegzone signer` for each validator, CosmJS as the wallet.
 * With a deposit in the btc-regtest reserve, a fourth operator makes its node with `pegzone join`,
 * joins by state sync (`pegzone config state-sync`: its block store starts above a snapshot height),
 * is approved by the three validators and signs blocks. The btc-regtest federation follows: the
 * signers approve the four validators' keys (3 of 4), the old federation's signers sweep the reserve
 * to the new reserve script on btcd (once a second deposit's peg-in fee covers its miner fee, as the
 * surplus rule wants), and the next withdrawal is released with signatures of the new
 * federation and paid on btcd. The reserve covers supply + in flight at the end.
 */
import { DirectSecp256k1HdWallet, Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes, GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { sha256 } from "@noble/hashes/sha2.js";
import * as btc from "@scure/btc-signer";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEV_MNEMONIC } from "../app/cli/devnet";
import { publicKeyFromPrivate } from "../chain/crypto/secp256k1";
import { parseOutpointDisplayId, RESERVE_OUTPUT_TYPE } from "../modules/peg/bitcoin/peg-flow";
import { pegzone } from "../proto";
import { COINBASE_MATURITY, REGTEST_NETWORK, spendCoinbase } from "./support/btc-wallet";
import { type BtcdNode, BTCD_RPC_PASS, BTCD_RPC_USER, startBtcd } from "./support/btcd";
import { CLI, commitSigners, freePortBlock, header, latestHeight, Proc, rpc, runCli, runCliAsync, Testnet, until, validatorAddress, waitForHeight } from "./support/harness";

const v1 = pegzone.peg.v1;
const DENOM = "peg/btc-regtest";
const CONFIRMATIONS = 2;
const BATCH_INTERVAL = 5;
const SNAPSHOT_INTERVAL = 20;
const DEPOSIT = 100_000_000n;
const PEG_IN_FEE = 1000n;
const DEPOSIT2 = 10_000_000n;
const WITHDRAWAL = 30_000_000n;
const RELAYER_MNEMONIC = "test test test test test test test test test test test junk";
const gasPrice = GasPrice.fromString("0.0025upeg");

jest.setTimeout(300_000);

interface ReserveEntryJson {
  id: string;
  display_id: string;
  value: string;
  federation_id: string;
  release_id: string;
  data: { type_url: string; value: string };
}
interface ReserveJson {
  total: string;
  supply: string;
  pending: string;
  entries: ReserveEntryJson[];
  freeze?: { frozen?: boolean };
}
interface FederationJson {
  id: string;
  threshold: number;
  members: Array<{ pubkey: string; weight: number; account: string }>;
}
interface ReleaseJson {
  release: {
    id: string;
    federation_id: string;
    status: string;
    txid: string;
    fee: string;
    signatures?: Array<{ pubkey: string }>;
    inputs?: ReserveEntryJson[];
    outputs: Array<{ withdrawal_id: string; value: string }>;
    withdrawal_ids?: string[];
  };
  signed_weight: number;
}

/** A reserve entry's bitcoin output: outpoint, value and output script (hex). */
function reserveOutput(e: ReserveEntryJson): { txid: string; vout: number; value: bigint; script: string } {
  expect(e.data.type_url).toBe(RESERVE_OUTPUT_TYPE);
  const { script } = pegzone.peg.bitcoin.v1.ReserveOutput.decode(Buffer.from(e.data.value, "base64"));
  return { ...parseOutpointDisplayId(e.display_id), value: BigInt(e.value), script: Buffer.from(script).toString("hex") };
}

/**
 * The P2WSH output script of a federation's reserve, built here from the federation as queried and the
 * documented script (modules/peg/bitcoin/script.ts): <pk_1> CHECKSIG IF <w_1> ELSE 0 ENDIF, then
 * SWAP <pk_i> CHECKSIG IF <w_i> ELSE 0 ENDIF ADD for every other member, <threshold> GREATERTHANOREQUAL.
 */
function reserveScriptOf(f: FederationJson): string {
  const ops: btc.ScriptType = [];
  f.members.forEach((m, i) => {
    if (i > 0) ops.push("SWAP");
    ops.push(Buffer.from(m.pubkey, "base64"), "CHECKSIG", "IF", m.weight, "ELSE", 0, "ENDIF");
    if (i > 0) ops.push("ADD");
  });
  ops.push(f.threshold, "GREATERTHANOREQUAL");
  return Buffer.concat([Buffer.from([0x00, 0x20]), sha256(btc.Script.encode(ops))]).toString("hex");
}

describe("a fourth operator joins by state sync, and the btc-regtest federation and reserve follow it", () => {
  let btcd: BtcdNode;
  let net: Testnet;
  let basePort: number;
  let url: string;
  let relayer: Proc | undefined;
  let joiner: Proc | undefined;
  const signers: Proc[] = [];
  let user: string;
  let wallet: SigningStargateClient;
  let reader: StargateClient;
  const destination = btc.p2wpkh(publicKeyFromPrivate(createHash("sha256").update("validators-peg e2e destination").digest()), REGTEST_NETWORK);

  const cli = async (args: string[], node = url) => JSON.parse(await runCliAsync([...args, "--node", node, "--output", "json"])) as any;
  const asOperator = (home: string, args: string[]) => cli([...args, "--signer-key", "--home", home]);
  const reserve = async (node = url, height?: number) =>
    (await cli(["query", "peg", "reserve", "--mainchain", "btc-regtest", ...(height === undefined ? [] : ["--height", String(height)])], node)) as ReserveJson;
  const federations = async () => (await cli(["query", "peg", "federations", "--mainchain", "btc-regtest"])) as { current: FederationJson; retired?: Array<{ federation: FederationJson }> };
  const release = async (id: number | string) => (await cli(["query", "peg", "release", String(id), "--mainchain", "btc-regtest"])) as ReleaseJson;
  const balanceOf = async (address: string) => BigInt((await reader.getBalance(address, DENOM)).amount);
  const startSigner = (home: string, node: string, name: string) =>
    signers.push(new Proc(process.execPath, [CLI, "signer", "--home", home, "--node", node, "--poll-interval", "300"], join(net.dir, `${name}.log`)));
  const signersOf = (height: number) => commitSigners(url, height);
  /** A release signed and in btcd's mempool (or already mined). */
  const broadcast = (id: number | string, what: string) =>
    until(what, async () => {
      const r = await release(id);
      if (r.release.status !== "RELEASE_STATUS_SIGNED") return undefined;
      return (await btcd.rpc.getRawTransactionVerbose(r.release.txid).catch(() => undefined)) ? r : undefined;
    }, 60_000);
  const confirmed = (id: number | string, what: string) =>
    until(what, async () => ((await release(id)).release.status === "RELEASE_STATUS_CONFIRMED" ? true : undefined), 60_000);
  /** A transaction as btcd has it: its inputs' outpoints ("txid:vout"), its outputs' scripts (hex), addresses and values. */
  const btcTx = async (txid: string) => {
    const tx = btc.Transaction.fromRaw((await btcd.rpc.getRawTransactionVerbose(txid)).raw, { allowUnknownOutputs: true });
    const inputs = Array.from({ length: tx.inputsLength }, (_, i) => tx.getInput(i)).map((i) => `${Buffer.from(i.txid!).toString("hex")}:${i.index}`);
    const outputs = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i)).map((o) => ({
      script: Buffer.from(o.script!).toString("hex"),
      address: btc.Address(REGTEST_NETWORK).encode(btc.OutScript.decode(o.script!)),
      value: o.amount!,
    }));
    return { inputs, outputs };
  };
  /** Every reserve entry is an unspent output on btcd with its value and script; returns their sum. */
  const onBtcd = async (entries: ReserveEntryJson[]) => {
    let sum = 0n;
    for (const u of entries.map(reserveOutput)) {
      const txout = await btcd.rpc.getTxOut(u.txid, u.vout, false);
      expect(txout).not.toBeNull();
      expect(txout!.scriptPubKey.hex).toBe(u.script);
      expect(BigInt(Math.round(txout!.value * 1e8))).toBe(u.value);
      sum += u.value;
    }
    return sum;
  };

  beforeAll(async () => {
    btcd = await startBtcd();
    const btcRpcUrl = `http://${BTCD_RPC_USER}:${BTCD_RPC_PASS}@127.0.0.1:${btcd.rpcPort}`;
    await btcd.mine(COINBASE_MATURITY + 1);

    const direct = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    user = (await direct.getAccounts())[0].address;
    const relayerAddress = (await (await DirectSecp256k1HdWallet.fromMnemonic(RELAYER_MNEMONIC, { prefix: "peg" })).getAccounts())[0].address;

    // nodes 0..2 at basePort + 10·i, the joiner at basePort + 30
    basePort = await freePortBlock(40);
    net = Testnet.create({
      validators: 3,
      basePort,
      timeoutCommit: "200ms",
      accounts: [`${user}=1000000000upeg`, `${relayerAddress}=1000000000upeg`],
      extraArgs: ["--btc-confirmations", String(CONFIRMATIONS), "--batch-interval", String(BATCH_INTERVAL), "--snapshot-interval", String(SNAPSHOT_INTERVAL)],
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
    for (let i = 0; i < 3; i++) startSigner(net.nodes[i].home, net.nodes[i].rpc, `signer${i}`);

    const registry = new Registry([
      ...defaultRegistryTypes,
      ["/pegzone.peg.v1.MsgRegisterDepositAddress", v1.MsgRegisterDepositAddress],
      ["/pegzone.peg.v1.MsgRequestWithdrawal", v1.MsgRequestWithdrawal],
    ]);
    wallet = await SigningStargateClient.connectWithSigner(url, direct, { gasPrice, registry });
    reader = await StargateClient.connect(url);
  }, 120_000);

  afterAll(async () => {
    await relayer?.kill("SIGKILL");
    await Promise.all(signers.map((p) => p.kill("SIGTERM")));
    await joiner?.kill("SIGTERM");
    wallet?.disconnect();
    reader?.disconnect();
    await net?.stopAll();
    await btcd?.remove();
    if (!process.env.PEGZONE_KEEP_E2E) net?.remove();
  });

  test("join by state sync, approval, federation rotation, sweep on btcd, and a withdrawal paid by the new federation", async () => {
    const started = Date.now();
    const mark = (what: string) => console.log(`validators-peg: ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // 1. A deposit to the user's address, paid on btcd; the relayer relays its headers and claims it.
    const registered = await wallet.signAndBroadcast(user, [{ typeUrl: "/pegzone.peg.v1.MsgRegisterDepositAddress", value: { sender: user, mainchain: "btc-regtest", recipient: "" } }], "auto");
    expect(registered.code).toBe(0);
    const address = (await cli(["query", "peg", "deposit-address", user, "--mainchain", "btc-regtest"])) as { script: string; federation_id: string };
    expect(address.federation_id).toBe("1");
    const paid = await spendCoinbase({ rpc: btcd.rpc, toScript: Buffer.from(address.script, "hex"), amount: DEPOSIT, feeSats: 10_000n });
    await btcd.mine(CONFIRMATIONS);
    await until("the deposit to be minted", async () => ((await balanceOf(user)) === DEPOSIT - PEG_IN_FEE ? true : undefined), 60_000);
    expect(await cli(["query", "peg", "deposit", `${paid.txid}:0`, "--mainchain", "btc-regtest"])).toMatchObject({ claimed: true });
    const deposited = await reserve();
    expect(deposited.total).toBe(DEPOSIT.toString());
    expect(deposited.entries.map((e) => e.federation_id)).toEqual(["1"]);
    const fed1 = (await federations()).current;
    expect({ id: fed1.id, members: fed1.members.length, threshold: fed1.threshold }).toEqual({ id: "1", members: 3, threshold: 2 });
    mark("deposit claimed");

    // 2. The network runs past a snapshot height that holds the deposit (and the light client's two next headers).
    const snapshotHeight = Math.ceil(((await latestHeight(url)) + 1) / SNAPSHOT_INTERVAL) * SNAPSHOT_INTERVAL;
    await waitForHeight(url, snapshotHeight + 3, 90_000);
    await until(`the snapshot of height ${snapshotHeight}`, async () => (existsSync(join(net.nodes[0].home, "data", "snapshots", `${snapshotHeight}-1`, "snapshot.json")) ? true : undefined), 30_000);
    mark(`snapshot ${snapshotHeight}`);

    // 3. A fourth operator: `pegzone join`, then state sync trusting the snapshot's height.
    const joinerHome = join(net.dir, "node3");
    const joined = JSON.parse(await runCliAsync(["join", "node3", "--rpc", url, "--home", joinerHome, "--base-port", String(basePort + 30), "--timeout-commit", "200ms"])) as {
      chain_id: string;
      candidate: { operator: string; consensus_pubkey: string; signer_pubkey: string };
    };
    expect(joined.chain_id).toBe("pegzone-test");
    const trusted = JSON.parse(
      await runCliAsync(["config", "state-sync", "--rpc", url, "--rpc", net.nodes[1].rpc, "--trust-height", String(snapshotHeight), "--discovery-time", "5s", "--home", joinerHome]),
    ) as { trust_height: number };
    expect(trusted.trust_height).toBe(snapshotHeight);
    joiner = new Proc(process.execPath, [CLI, "start", "--home", joinerHome], join(net.dir, "node3.log"));
    const restoredLine = joiner.waitForLine(/snapshot restored/, 90_000);
    const joinerRpc = `http://127.0.0.1:${basePort + 31}`;
    const restored = JSON.parse(await restoredLine) as { height: number };
    expect(restored.height).toBeGreaterThanOrEqual(snapshotHeight);
    expect(restored.height % SNAPSHOT_INTERVAL).toBe(0);
    const caughtUp = await waitForHeight(joinerRpc, await latestHeight(url), 60_000);
    const status = await rpc<{ sync_info: { earliest_block_height: string } }>(joinerRpc, "status");
    // it never had the blocks below the snapshot
    expect(Number(status.sync_info.earliest_block_height)).toBeGreaterThan(restored.height);
    // CometBFT stores a block before the app commits it: the height below is surely committed on both
    expect((await header(joinerRpc, caughtUp)).app_hash).toBe((await header(url, caughtUp)).app_hash);
    expect(await reserve(joinerRpc, caughtUp - 1)).toEqual(await reserve(url, caughtUp - 1));
    mark(`node3 restored snapshot ${restored.height} and caught up`);

    // 4. The three validators approve it (20 of 30 is not more than 2/3: all three are needed); it signs blocks.
    const funded = await wallet.sendTokens(user, joined.candidate.operator, [{ denom: "upeg", amount: "100000000" }], "auto");
    expect(funded.code).toBe(0);
    expect((await asOperator(net.nodes[0].home, ["tx", "validators", "propose-add", "--candidate-home", joinerHome])).code).toBe(0);
    const { proposals } = await cli(["query", "validators", "proposals"]);
    expect(proposals).toHaveLength(1);
    expect((await asOperator(net.nodes[1].home, ["tx", "validators", "approve", proposals[0].id])).code).toBe(0);
    expect(((await cli(["query", "validators", "list"])).validators as Array<{ operator: string }>).some((v) => v.operator === joined.candidate.operator)).toBe(false);
    expect((await asOperator(net.nodes[2].home, ["tx", "validators", "approve", proposals[0].id])).code).toBe(0);
    const validators = (await cli(["query", "validators", "list"])).validators as Array<{ operator: string; signer_pubkey: string; power: string; status: string; moniker: string }>;
    expect(validators.find((v) => v.operator === joined.candidate.operator)).toMatchObject({ status: "VALIDATOR_STATUS_ACTIVE", power: "10", moniker: "node3" });
    const node3Address = validatorAddress(joined.candidate.consensus_pubkey);
    const signedAt = await until("node3's signature in a commit", async () => {
      const h = await latestHeight(url);
      return (await signersOf(h)).includes(node3Address) ? h : undefined;
    }, 60_000);
    mark(`node3 signed block ${signedAt}`);

    // 5. The btc-regtest federation rotates to the four signer keys, 3 of 4, by the signers' approvals.
    startSigner(joinerHome, joinerRpc, "signer3");
    const rotated = await until("btc-regtest's federation rotated to the four validators", async () => {
      const f = await federations();
      return f.current.id === "2" ? f : undefined;
    }, 60_000);
    const fed2 = rotated.current;
    expect(fed2.threshold).toBe(3);
    expect(fed2.members.map((m) => Buffer.from(m.pubkey, "base64").toString("hex")).sort()).toEqual(validators.map((v) => Buffer.from(v.signer_pubkey, "base64").toString("hex")).sort());
    expect(fed2.members.map((m) => Buffer.from(m.pubkey, "base64").toString("hex"))).toContain(joined.candidate.signer_pubkey);
    expect(fed2.members.map((m) => m.account).sort()).toEqual(validators.map((v) => v.operator).sort());
    expect(fed2.members.every((m) => m.weight === 1)).toBe(true);
    expect((rotated.retired ?? []).map((r) => r.federation.id)).toContain("1");
    mark("federation 2");

    // 6. The retired federation's reserve is swept to federation 2's reserve script on btcd. The sweep's
    // miner fee comes out of the surplus the peg-in fees built (docs/peg.md, "Moving the reserve"): one
    // deposit's fee does not cover it, so the sweep waits, and a deposit to the user's address under
    // federation 2 (the relayer watches it without a new registration) adds the fee that does.
    const fed2Script = reserveScriptOf(fed2);
    const fed2Address = btc.Address(REGTEST_NETWORK).encode(btc.OutScript.decode(Buffer.from(fed2Script, "hex")));
    const oldEntries = (await reserve()).entries.filter((e) => e.federation_id === "1").map((e) => e.display_id);
    expect(oldEntries).toEqual([`${paid.txid}:0`]);
    await until("the sweep waiting for the surplus", async () => (/sweep of retired federation 1: its fee \d+ is more than the reserve's surplus 1000/.test(net.log(0)) ? true : undefined), 30_000);
    const address2 = (await cli(["query", "peg", "deposit-address", user, "--mainchain", "btc-regtest"])) as { script: string; federation_id: string };
    expect(address2.federation_id).toBe("2");
    const balance = await balanceOf(user);
    const paid2 = await spendCoinbase({ rpc: btcd.rpc, toScript: Buffer.from(address2.script, "hex"), amount: DEPOSIT2, feeSats: 10_000n });
    await btcd.mine(CONFIRMATIONS);
    await until("the deposit to federation 2 to be minted", async () => ((await balanceOf(user)) === balance + DEPOSIT2 - PEG_IN_FEE ? true : undefined), 60_000);
    // no withdrawal was made yet: the first release of btc-regtest is the sweep
    const sweepId = 1;
    const sweep = await broadcast(sweepId, "the sweep in btcd's mempool");
    expect(sweep.release.federation_id).toBe("1");
    expect(sweep.release.withdrawal_ids ?? []).toEqual([]);
    expect((sweep.release.inputs ?? []).map((e) => e.display_id)).toEqual(oldEntries);
    expect(sweep.release.outputs).toHaveLength(1);
    expect(sweep.signed_weight).toBeGreaterThanOrEqual(fed1.threshold);
    const sweepTx = await btcTx(sweep.release.txid);
    expect(sweepTx.inputs).toEqual(oldEntries);
    expect(sweepTx.outputs).toEqual([{ script: fed2Script, address: fed2Address, value: DEPOSIT - BigInt(sweep.release.fee) }]);
    await btcd.mine(CONFIRMATIONS);
    await confirmed(sweepId, "the sweep confirmed on pegzone");
    const swept = await reserve();
    // every entry is federation 2's: the sweep's output (its reserve script) and the new deposit (its deposit script for the user)
    expect(swept.entries.map((e) => e.federation_id)).toEqual(["2", "2"]);
    expect(swept.entries.map((e) => [e.display_id, reserveOutput(e).script]).sort()).toEqual(
      [[`${sweep.release.txid}:0`, fed2Script], [`${paid2.txid}:0`, address2.script]].sort(),
    );
    expect(await onBtcd(swept.entries)).toBe(BigInt(swept.total));
    expect(BigInt(swept.total)).toBe(DEPOSIT + DEPOSIT2 - BigInt(sweep.release.fee));
    for (const id of oldEntries) {
      const [txid, vout] = id.split(":");
      expect(await btcd.rpc.getTxOut(txid, Number(vout), false)).toBeNull();
    }
    expect(BigInt(swept.supply) + BigInt(swept.pending)).toBeLessThanOrEqual(BigInt(swept.total));
    mark("swept");

    // 7. A withdrawal, released with signatures of federation 2 (3 of its 4 members) and paid on btcd.
    // node2's signer stops first, so that the release needs node3's signer too.
    await signers[2].kill("SIGTERM");
    const supplyBefore = BigInt(swept.supply);
    const requested = await wallet.signAndBroadcast(
      user,
      [{ typeUrl: "/pegzone.peg.v1.MsgRequestWithdrawal", value: { owner: user, mainchain: "btc-regtest", amount: WITHDRAWAL.toString(), destination: destination.address! } }],
      "auto",
    );
    expect(requested.code).toBe(0);
    const payoutId = Number(sweepId) + 1;
    const payout = await broadcast(payoutId, "the withdrawal's release in btcd's mempool");
    expect(payout.release.federation_id).toBe("2");
    expect(payout.release.withdrawal_ids).toHaveLength(1);
    const fed2Keys = fed2.members.map((m) => Buffer.from(m.pubkey, "base64").toString("hex"));
    const signedBy = (payout.release.signatures ?? []).map((s) => Buffer.from(s.pubkey, "base64").toString("hex"));
    expect(signedBy.length).toBeGreaterThanOrEqual(3);
    expect(new Set(signedBy).size).toBe(signedBy.length);
    for (const k of signedBy) expect(fed2Keys).toContain(k);
    expect(signedBy).toContain(joined.candidate.signer_pubkey);
    expect(payout.signed_weight).toBeGreaterThanOrEqual(fed2.threshold);
    const payoutTx = await btcTx(payout.release.txid);
    for (const input of payoutTx.inputs) expect(swept.entries.map((e) => e.display_id)).toContain(input);
    // its change, if any, goes back to federation 2's reserve script
    for (const o of payoutTx.outputs) expect([Buffer.from(destination.script).toString("hex"), fed2Script]).toContain(o.script);
    await btcd.mine(CONFIRMATIONS);
    await confirmed(payoutId, "the withdrawal's release confirmed on pegzone");
    const paidOut = payout.release.outputs.findIndex((o) => o.withdrawal_id !== "0");
    const out = await btcd.rpc.getTxOut(payout.release.txid, paidOut, false);
    expect(out?.scriptPubKey.hex).toBe(Buffer.from(destination.script).toString("hex"));
    expect(BigInt(Math.round(out!.value * 1e8))).toBe(WITHDRAWAL - BigInt(payout.release.fee));
    const withdrawal = (await cli(["query", "peg", "withdrawals", user, "--mainchain", "btc-regtest"])).withdrawals[0];
    expect(withdrawal).toMatchObject({ status: "WITHDRAWAL_STATUS_COMPLETED", paid: (WITHDRAWAL - BigInt(payout.release.fee)).toString() });
    mark("withdrawal paid");

    // 8. The invariant: the reserve is federation 2's unspent outputs on btcd and covers supply + in flight.
    const after = await reserve();
    expect(after.entries.every((e) => e.federation_id === "2")).toBe(true);
    for (const e of after.entries) expect([fed2Script, address2.script]).toContain(reserveOutput(e).script);
    expect(await onBtcd(after.entries)).toBe(BigInt(after.total));
    expect(BigInt(after.total)).toBe(BigInt(swept.total) - WITHDRAWAL);
    expect(BigInt(after.supply)).toBe(supplyBefore - WITHDRAWAL);
    expect(after.pending).toBe("0");
    expect(after.freeze?.frozen ?? false).toBe(false);
    expect(BigInt(after.supply) + BigInt(after.pending)).toBeLessThanOrEqual(BigInt(after.total));
    // and node3, a validator now, agrees with the others
    const h = await latestHeight(url);
    await waitForHeight(joinerRpc, h, 30_000);
    expect((await header(joinerRpc, h)).app_hash).toBe((await header(url, h)).app_hash);
    mark("done");
  });
});
