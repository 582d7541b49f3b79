/**
 * Validators on chain, with real CometBFT processes: a `pegzone testnet --validators 3` network; a
 * fourth operator creates its node with `pegzone join`, syncs, is proposed and approved with the CLI
 * and then signs blocks (its address in the commits); a validator is removed by approval and the
 * others go on without it. The btc-regtest federation follows both changes: the validators' signer
 * daemons approve the federation the peg proposes from the new set (4 keys, 3 of 4; then 3 of 3).
 * At every height the validators module's set (as of height h) equals CometBFT's /validators at
 * h + 2, where its updates take effect. Bad proposals are refused with their codes and change nothing.
 */
import { join } from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { DEV_MNEMONIC } from "../app/cli/devnet";
import { pegzone } from "../proto";
import { CLI, commitSigners, freePortBlock, latestHeight, Proc, rpc, runCliAsync, runCliStatusAsync, Testnet, until, validatorAddress, waitForHeight } from "./support/harness";

jest.setTimeout(240_000);

interface CometValidator {
  address: string;
  voting_power: string;
}

describe("validators join and leave a running network", () => {
  let net: Testnet;
  let basePort: number;
  let joiner: Proc | undefined;
  let joinerHome: string;
  let joinerRpc: string;
  let fund: (to: string) => Promise<void>;
  const signers: Proc[] = [];
  const startSigner = (home: string, name: string) => signers.push(new Proc(process.execPath, [CLI, "signer", "--home", home, "--node", url(), "--poll-interval", "300"], join(net.dir, `${name}.log`)));
  const federation = async () => (await cli(["query", "peg", "federations", "--mainchain", "btc-regtest"])).current as { id: string; threshold: number; members: Array<{ account: string }> };
  const url = () => net.nodes[0].rpc;
  const cli = async (args: string[]) => JSON.parse(await runCliAsync([...args, "--node", url(), "--output", "json"])) as any;
  /** A tx as validator i's operator (its node's signer key). */
  const asOperator = (i: number | string, args: string[]) => cli([...args, "--signer-key", "--home", typeof i === "number" ? net.nodes[i].home : i]);
  const refused = async (home: string, args: string[]) => {
    const res = await runCliStatusAsync([...args, "--signer-key", "--home", home, "--node", url(), "--output", "json"]);
    expect(res.status).not.toBe(0);
    return JSON.parse(res.stdout) as { code: number; codespace: string; raw_log?: string; message?: string };
  };
  const moduleSet = async (height?: number) => {
    const res = await cli(["query", "validators", "list", ...(height === undefined ? [] : ["--height", String(height)])]);
    return (res.validators as Array<{ operator: string; consensus_pubkey: string; signer_pubkey: string; power: string; status: string; moniker: string; reason: string }>) ?? [];
  };
  /** The module's active set as of a height ("ADDRESS:power", sorted), over ABCI query. */
  const activeAt = async (height: number) => {
    const res = await rpc<{ response: { code: number; log: string; value: string | null } }>(url(), "abci_query", { path: '"/pegzone.validators.v1.Query/Validators"', height: String(height) });
    if (res.response.code !== 0) throw new Error(`validators at ${height}: ${res.response.log}`);
    const { validators } = pegzone.validators.v1.QueryValidatorsResponse.decode(Buffer.from(res.response.value ?? "", "base64"));
    return validators.filter((v) => v.status === pegzone.validators.v1.ValidatorStatus.VALIDATOR_STATUS_ACTIVE).map((v) => `${validatorAddress(v.consensusPubkey!)}:${v.power}`).sort();
  };
  // Every height's set, read as soon as the height is committed (before pruning can take it).
  const sampled = new Map<number, string[]>();
  const samplingErrors: string[] = [];
  let sampling = true;
  let sampler: Promise<void> | undefined;
  const sample = async () => {
    let next = 1;
    while (sampling) {
      try {
        // CometBFT stores block H before the app commits it: H − 1 is surely committed
        const top = (await latestHeight(url())) - 1;
        for (; next <= top; next++) sampled.set(next, await activeAt(next));
      } catch (err) {
        samplingErrors.push(String(err));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const signersOf = (height: number) => commitSigners(url(), height);

  beforeAll(async () => {
    basePort = await freePortBlock(40);
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    const faucet = (await wallet.getAccounts())[0].address;
    net = Testnet.create({ validators: 3, basePort, timeoutCommit: "300ms", accounts: [`${faucet}=1000000000000upeg`] });
    fund = async (to: string) => {
      const client = await SigningStargateClient.connectWithSigner(url(), wallet, { gasPrice: GasPrice.fromString("0.0025upeg") });
      expect((await client.sendTokens(faucet, to, [{ denom: "upeg", amount: "100000000" }], "auto")).code).toBe(0);
      client.disconnect();
    };
    for (let i = 0; i < 3; i++) net.start(i);
    await waitForHeight(url(), 3, 60_000);
    sampler = sample();
    for (let i = 0; i < 3; i++) startSigner(net.nodes[i].home, `signer${i}`);
  }, 90_000);

  afterAll(async () => {
    sampling = false;
    await sampler;
    await Promise.all(signers.map((p) => p.kill("SIGTERM")));
    await joiner?.kill("SIGTERM");
    await net?.stopAll();
    net?.remove();
  });

  test("the genesis validators are the module's, and CometBFT's", async () => {
    const set = await moduleSet();
    expect(set.map((v) => v.moniker).sort()).toEqual(["node0", "node1", "node2"]);
    expect(set.every((v) => v.status === "VALIDATOR_STATUS_ACTIVE" && v.power === "10")).toBe(true);
    const comet = await rpc<{ validators: CometValidator[] }>(url(), "validators");
    expect(comet.validators.map((v) => v.address).sort()).toEqual(set.map((v) => validatorAddress(v.consensus_pubkey)).sort());
  });

  test("refused with a clear error, and nothing changes", async () => {
    const before = await moduleSet();
    const self = before.find((v) => v.moniker === "node0")!;
    const signerKey = Buffer.from(secp256k1.getPublicKey(new Uint8Array(32).fill(9), true)).toString("hex");
    const candidate = ["tx", "validators", "propose-add", "--operator", "peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56", "--signer-pubkey", signerKey];
    // node0's own consensus key again
    expect(await refused(net.nodes[1].home, [...candidate, "--consensus-pubkey", self.consensus_pubkey])).toMatchObject({ codespace: "validators", code: 4 });
    // a key of 31 bytes
    expect(await refused(net.nodes[1].home, [...candidate, "--consensus-pubkey", Buffer.alloc(31, 7).toString("base64")])).toMatchObject({ codespace: "validators", code: 5 });
    // a proposal and an approval by a funded account that is no validator's operator (a fresh home's signer key)
    const stranger = join(net.dir, "stranger");
    await runCliAsync(["init", "stranger", "--chain-id", "pegzone-test", "--home", stranger, "--base-port", String(basePort + 35)]);
    await fund(JSON.parse(await runCliAsync(["show-validator", "--home", stranger])).operator);
    expect(await refused(stranger, ["tx", "validators", "propose-remove", self.operator])).toMatchObject({ codespace: "validators", code: 2 });
    expect(await refused(stranger, ["tx", "validators", "approve", "1"])).toMatchObject({ codespace: "validators", code: 2 });
    expect(await moduleSet()).toEqual(before);
    expect((await cli(["query", "validators", "proposals"])).proposals ?? []).toEqual([]);
  });

  test("the signers approve no federation but the validators': a hand-made proposal stays the proposer's alone", async () => {
    const members = (await moduleSet()).filter((v) => v.moniker !== "node2").map((v) => `${Buffer.from(v.signer_pubkey, "base64").toString("hex")}:1:${v.operator}`).join(",");
    expect((await asOperator(0, ["tx", "peg", "propose-federation", "--members", members, "--threshold", "2", "--mainchain", "btc-regtest"])).code).toBe(0);
    const start = await latestHeight(url());
    // the signers poll every 300 ms: ten blocks are many rounds
    await waitForHeight(url(), start + 10, 30_000);
    const { proposal } = await cli(["query", "peg", "federation-proposal", "--mainchain", "btc-regtest"]);
    expect(proposal.approvals).toHaveLength(1);
    expect((await federation()).id).toBe("1");
  });

  test("a fourth operator joins with `pegzone join`, is approved by the validators, and signs blocks", async () => {
    joinerHome = join(net.dir, "node3");
    const joined = await runCliAsync(["join", "node3", "--rpc", url(), "--home", joinerHome, "--base-port", String(basePort + 30), "--timeout-commit", "300ms"]);
    const info = JSON.parse(joined) as { chain_id: string; candidate: { operator: string; consensus_pubkey: string; signer_pubkey: string } };
    expect(info.chain_id).toBe("pegzone-test");
    joiner = new Proc(process.execPath, [CLI, "start", "--home", joinerHome], join(net.dir, "node3.log"));
    joinerRpc = `http://127.0.0.1:${basePort + 31}`;
    // it syncs the chain from its peer
    await waitForHeight(joinerRpc, await latestHeight(url()), 90_000);

    const proposed = await asOperator(0, ["tx", "validators", "propose-add", "--candidate-home", joinerHome]);
    expect(proposed.code).toBe(0);
    const { proposals } = await cli(["query", "validators", "proposals"]);
    expect(proposals).toHaveLength(1);
    const id = proposals[0].id;
    // 20 of 30 is not more than 2/3: still pending
    expect((await asOperator(1, ["tx", "validators", "approve", id])).code).toBe(0);
    expect((await moduleSet()).some((v) => v.operator === info.candidate.operator)).toBe(false);
    const passed = await asOperator(2, ["tx", "validators", "approve", id]);
    expect(passed.code).toBe(0);
    // its operator pays fees from now on
    await fund(info.candidate.operator);
    const added = (await moduleSet()).find((v) => v.operator === info.candidate.operator)!;
    expect(added).toMatchObject({ status: "VALIDATOR_STATUS_ACTIVE", power: "10", moniker: "node3" });

    const address = validatorAddress(info.candidate.consensus_pubkey);
    const signedAt = await until("node3 signs a block", async () => {
      const h = await latestHeight(url());
      return (await signersOf(h)).includes(address) ? h : undefined;
    }, 60_000);
    expect((await rpc<{ validators: CometValidator[] }>(url(), "validators", { height: String(signedAt) })).validators.map((v) => v.address)).toContain(address);

    // the federation follows: the three signers approve the four keys the peg proposed
    const rotated = await until("btc-regtest's federation rotated to the four validators", async () => {
      const f = await federation();
      return f.id === "2" ? f : undefined;
    }, 60_000);
    expect(rotated.threshold).toBe(3);
    expect(rotated.members.map((m) => m.account).sort()).toEqual([...(await moduleSet()).filter((v) => v.status === "VALIDATOR_STATUS_ACTIVE").map((v) => v.operator)].sort());
    startSigner(joinerHome, "signer3");
  });

  test("a validator removed by approval leaves CometBFT's set; the other three go on without it", async () => {
    const set = await moduleSet();
    const node2 = set.find((v) => v.moniker === "node2")!;
    const proposed = await asOperator(0, ["tx", "validators", "propose-remove", node2.operator]);
    const id = (await cli(["query", "validators", "proposals"])).proposals[0].id;
    expect(proposed.code).toBe(0);
    // 10 + 10 + 10 of 40: more than 2/3 with node3's approval
    expect((await asOperator(1, ["tx", "validators", "approve", id])).code).toBe(0);
    expect((await asOperator(joinerHome, ["tx", "validators", "approve", id])).code).toBe(0);
    expect((await moduleSet()).find((v) => v.moniker === "node2")).toMatchObject({ status: "VALIDATOR_STATUS_REMOVED", reason: "removed by approval" });
    const gone = validatorAddress(node2.consensus_pubkey);
    const removedAt = await until("node2 out of CometBFT's set", async () => {
      const h = await latestHeight(url());
      const { validators } = await rpc<{ validators: CometValidator[] }>(url(), "validators", { height: String(h) });
      return validators.some((v) => v.address === gone) ? undefined : h;
    }, 30_000);
    await net.stop(2);
    await waitForHeight(url(), removedAt + 5, 30_000);
    expect(await signersOf(removedAt + 4)).not.toContain(gone);

    // and the federation follows again, to the three left (3 of 3)
    const rotated = await until("btc-regtest's federation rotated to the three validators left", async () => {
      const f = await federation();
      return f.id === "3" ? f : undefined;
    }, 60_000);
    expect({ members: rotated.members.length, threshold: rotated.threshold }).toEqual({ members: 3, threshold: 3 });
    expect(rotated.members.map((m) => m.account)).not.toContain(node2.operator);
  });

  test("at every height, the module's set is CometBFT's two heights later", async () => {
    const top = (await latestHeight(url())) - 2;
    await until("every height sampled", async () => (sampled.has(top) ? true : undefined), 30_000);
    sampling = false;
    await sampler;
    const mismatches: string[] = [];
    for (let h = 1; h <= top; h++) {
      const ours = sampled.get(h);
      const { validators } = await rpc<{ validators: CometValidator[] }>(url(), "validators", { height: String(h + 2), per_page: "100" });
      const comet = validators.map((v) => `${v.address}:${v.voting_power}`).sort();
      if (ours === undefined || ours.join() !== comet.join()) mismatches.push(`height ${h}: module ${ours?.join() ?? "(not sampled)"} / CometBFT at ${h + 2} ${comet.join()}`);
    }
    expect({ mismatches, samplingErrors }).toEqual({ mismatches: [], samplingErrors: [] });
    // the set changed twice over the heights compared
    expect(new Set([...sampled.values()].map((s) => s.join())).size).toBeGreaterThanOrEqual(3);
  });
});
