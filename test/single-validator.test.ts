import { calculateExistenceRoot, iavlSpec, ics23, tendermintSpec, verifyMembership, verifyNonMembership } from "@confio/ics23";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { fromBech32 } from "../chain/crypto/address";
import { freePortBlock, header, rpc, Testnet, waitForHeight } from "./support/harness";
import { DEV_MNEMONIC } from "../app/cli/devnet";


interface AbciQueryResult {
  response: { code: number; log: string; value: string | null; height: string; proofOps?: { ops: Array<{ type: string; key: string; data: string }> } };
}

describe("one real CometBFT validator", () => {
  let net: Testnet;
  let url: string;
  let faucet: string;
  let client: SigningStargateClient;

  beforeAll(async () => {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    faucet = (await wallet.getAccounts())[0].address;
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", accounts: [`${faucet}=1000000000000upeg`] });
    net.start(0);
    url = net.nodes[0].rpc;
    await waitForHeight(url, 1, 60_000);
    client = await SigningStargateClient.connectWithSigner(url, wallet, { gasPrice: GasPrice.fromString("0.0025upeg") });
  }, 120_000);

  afterAll(async () => {
    client?.disconnect();
    await net?.stopAll();
    net?.remove();
  });

  test("produces 20+ blocks whose headers carry the app hash the app committed at the previous height", async () => {
    // Change state in several blocks so that the app hash moves.
    for (let i = 0; i < 4; i++) {
      const res = await client.sendTokens(faucet, "peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56", [{ denom: "upeg", amount: String(1000 + i) }], "auto");
      expect(res.code).toBe(0);
    }
    const top = await waitForHeight(url, 22, 90_000);
    const committed = new Map<number, string>();
    for (const line of net.log(0).split("\n")) {
      if (!line.includes('"committed"')) continue;
      const entry = JSON.parse(line) as { height: number; appHash: string };
      committed.set(entry.height, entry.appHash);
    }
    const distinct = new Set<string>();
    for (let h = 2; h <= top; h++) {
      const appHash = (await header(url, h)).app_hash;
      expect(committed.get(h - 1)).toBe(appHash);
      expect(appHash).toMatch(/^[0-9A-F]{64}$/);
      distinct.add(appHash);
    }
    expect(distinct.size).toBeGreaterThan(1);
  }, 120_000);

  test("abci_query with prove=true returns ICS23 proofs that verify against the next header's app hash", async () => {
    const address = fromBech32(faucet, "peg");
    const key = Buffer.concat([Buffer.of(0x02, address.length), address, Buffer.from("upeg")]);
    const absent = Buffer.concat([Buffer.of(0x02, address.length), address, Buffer.from("zzzz")]);
    const height = (await waitForHeight(url, 3, 30_000)) - 1;
    const appHash = Buffer.from((await header(url, height + 1)).app_hash, "hex");

    const query = async (data: Buffer) =>
      (await rpc<AbciQueryResult>(url, "abci_query", { path: '"/store/bank/key"', data: `0x${data.toString("hex")}`, height: String(height), prove: "true" })).response;

    const present = await query(key);
    expect(present.code).toBe(0);
    expect(Number(present.height)).toBe(height);
    const value = Buffer.from(present.value!, "base64");
    expect(BigInt(value.toString())).toBeGreaterThan(0n);
    const [storeOp, rootOp] = present.proofOps!.ops;
    expect(storeOp.type).toBe("ics23:iavl");
    expect(rootOp.type).toBe("ics23:simple");
    const storeProof = ics23.CommitmentProof.decode(Buffer.from(storeOp.data, "base64"));
    const rootProof = ics23.CommitmentProof.decode(Buffer.from(rootOp.data, "base64"));
    const storeRoot = calculateExistenceRoot(storeProof.exist!);
    expect(verifyMembership(storeProof, iavlSpec, storeRoot, key, value)).toBe(true);
    expect(verifyMembership(rootProof, tendermintSpec, appHash, Buffer.from("bank"), storeRoot)).toBe(true);
    // The same proof must not vouch for another value.
    expect(verifyMembership(storeProof, iavlSpec, storeRoot, key, Buffer.from("1"))).toBe(false);

    const missing = await query(absent);
    expect(missing.code).toBe(0);
    expect(missing.value ?? "").toBe("");
    const nonExist = ics23.CommitmentProof.decode(Buffer.from(missing.proofOps!.ops[0].data, "base64"));
    const missingRoot = ics23.CommitmentProof.decode(Buffer.from(missing.proofOps!.ops[1].data, "base64"));
    const neighbour = nonExist.nonexist!.left ?? nonExist.nonexist!.right!;
    const root2 = calculateExistenceRoot(neighbour);
    expect(verifyNonMembership(nonExist, iavlSpec, root2, absent)).toBe(true);
    expect(verifyMembership(missingRoot, tendermintSpec, appHash, Buffer.from("bank"), root2)).toBe(true);
  }, 60_000);

  test("queries carry the height and refuse heights in the future", async () => {
    const latest = await waitForHeight(url, 2, 10_000);
    const res = await rpc<AbciQueryResult>(url, "abci_query", { path: '"/store/bank/key"', data: "0x01", height: String(latest + 1000) });
    expect(res.response.code).toBe(18);
    expect(res.response.log).toMatch(/height in the future/);
  });
});
