/**
 * The gRPC server of a real node (`pegzone start`: CometBFT, the app, its gRPC and REST servers),
 * called with grpcurl (built from the Go module proxy into .bin/) through server reflection, and with
 * @grpc/grpc-js for metadata: the services are listed and described; bank Balance answers what the
 * REST route answers; a tx signed with CosmJS is simulated and broadcast over gRPC and lands; blocks
 * and node info come from CometBFT; bad requests get gRPC status codes, and the node goes on.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { DirectSecp256k1HdWallet, type EncodeObject } from "@cosmjs/proto-signing";
import { calculateFee, GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { DEV_MNEMONIC } from "../app/cli/devnet";
import { ADDRESS_PREFIX, toBech32 } from "../chain/crypto/address";
import { freePortBlock, Testnet, until, waitForHeight } from "./support/harness";

const GRPCURL = join(__dirname, "..", ".bin", "grpcurl");
const RECIPIENT = "peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56";
const SECOND_RECIPIENT = toBech32(ADDRESS_PREFIX, new Uint8Array(20).fill(7));
const gasPrice = GasPrice.fromString("0.0025upeg");
const run = promisify(execFile);

/**
 * grpcurl's answer to `grpcurl -plaintext [flags] address command...`: its JSON output (protojson:
 * camelCase names, defaults left out), or the status it printed as JSON (-format-error).
 */
async function grpcurl(address: string, command: string[], flags: string[] = []): Promise<{ ok: boolean; json: any; text: string }> {
  const parse = (text: string) => (text.trim().startsWith("{") ? JSON.parse(text) : undefined);
  try {
    const { stdout } = await run(GRPCURL, ["-plaintext", "-format-error", ...flags, address, ...command], { timeout: 30_000 });
    return { ok: true, json: parse(stdout), text: stdout };
  } catch (err) {
    const { stdout = "", stderr = "" } = err as { stdout?: string; stderr?: string };
    return { ok: false, json: parse(stdout) ?? parse(stderr), text: `${stdout}${stderr}` };
  }
}

describe("the gRPC server of a real node, called with grpcurl", () => {
  let net: Testnet;
  let address: string;
  let api: string;
  let faucet: string;
  let signer: SigningStargateClient;
  const call = (command: string[], flags: string[] = []) => grpcurl(address, command, flags);
  /** A unary call with a JSON request. */
  const invoke = (method: string, request: object = {}, flags: string[] = []) => grpcurl(address, [method], ["-d", JSON.stringify(request), ...flags]);
  const rest = async (path: string) => (await fetch(`${api}${path}`)).json() as Promise<any>;

  /** A bank send by the faucet, signed with CosmJS (account number and sequence asked over gRPC). */
  const signSend = async (amount: string, gas: number, to = RECIPIENT): Promise<string> => {
    const { json } = await invoke("cosmos.auth.v1beta1.Query/Account", { address: faucet });
    const send: EncodeObject = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: faucet, toAddress: to, amount: [{ denom: "upeg", amount }] } };
    const raw = await signer.sign(faucet, [send], calculateFee(gas, gasPrice), "", { accountNumber: BigInt(json.account.accountNumber ?? 0), sequence: Number(json.account.sequence ?? 0), chainId: "pegzone-test" });
    return Buffer.from(TxRaw.encode(raw).finish()).toString("base64");
  };

  beforeAll(async () => {
    expect(existsSync(GRPCURL)).toBe(true);
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    faucet = (await wallet.getAccounts())[0].address;
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", accounts: [`${faucet}=1000000000000upeg`] });
    net.start(0);
    address = `127.0.0.1:${net.nodes[0].ports.grpc}`;
    api = `http://127.0.0.1:${net.nodes[0].ports.api}`;
    await waitForHeight(net.nodes[0].rpc, 2, 60_000);
    signer = await SigningStargateClient.offline(wallet);
  }, 90_000);

  afterAll(async () => {
    await net?.stopAll();
    net?.remove();
  });

  test("reflection lists the SDK's services and the peg's, and describes them", async () => {
    const listed = await call(["list"]);
    expect(listed.ok).toBe(true);
    const services = listed.text.trim().split("\n");
    expect(services).toEqual(
      expect.arrayContaining([
        "cosmos.auth.v1beta1.Query",
        "cosmos.bank.v1beta1.Query",
        "cosmos.tx.v1beta1.Service",
        "cosmos.base.tendermint.v1beta1.Service",
        "cosmos.base.node.v1beta1.Service",
        "pegzone.peg.v1.Query",
        "pegzone.peg.v1.Msg",
        "pegzone.validators.v1.Query",
      ]),
    );
    // only what pegzone serves or describes on purpose: not the ABCI service of an imported file
    expect(services).not.toContain("tendermint.abci.ABCI");
    const bank = await call(["describe", "cosmos.bank.v1beta1.Query"]);
    expect(bank.text).toMatch(/rpc Balance \( \.cosmos\.bank\.v1beta1\.QueryBalanceRequest \) returns \( \.cosmos\.bank\.v1beta1\.QueryBalanceResponse \)/);
    const peg = await call(["describe", "pegzone.peg.v1.Query"]);
    expect(peg.text).toMatch(/rpc Reserve/);
    // a message reached through several files (Tx → AuthInfo → Fee → Coin)
    expect((await call(["describe", "cosmos.tx.v1beta1.GetTxResponse"])).ok).toBe(true);
  });

  test("bank Balance over gRPC answers what the REST route answers, field for field", async () => {
    const byGrpc = await invoke("cosmos.bank.v1beta1.Query/Balance", { address: faucet, denom: "upeg" });
    expect(byGrpc.ok).toBe(true);
    expect(byGrpc.json).toEqual({ balance: { denom: "upeg", amount: expect.stringMatching(/^\d+$/) } });
    expect(await rest(`/cosmos/bank/v1beta1/balances/${faucet}/by_denom?denom=upeg`)).toEqual(byGrpc.json);
  });

  test("the validator set over gRPC and REST: the same validator", async () => {
    const byGrpc = await invoke("pegzone.validators.v1.Query/Validators");
    const byRest = await rest("/pegzone/validators/v1/validators");
    expect(byGrpc.json.validators).toHaveLength(1);
    expect(byRest.validators).toHaveLength(1);
    expect(byRest.validators[0]).toMatchObject({ operator: byGrpc.json.validators[0].operator, status: "VALIDATOR_STATUS_ACTIVE", power: "10", consensus_pubkey: byGrpc.json.validators[0].consensusPubkey });
  });

  test("a tx signed with CosmJS: simulated and broadcast over gRPC, it lands", async () => {
    const simulated = await invoke("cosmos.tx.v1beta1.Service/Simulate", { tx_bytes: await signSend("777", 1_000_000) });
    expect(simulated.ok).toBe(true);
    const gasUsed = Number(simulated.json.gasInfo.gasUsed);
    expect(gasUsed).toBeGreaterThan(0);

    const sent = await invoke("cosmos.tx.v1beta1.Service/BroadcastTx", { tx_bytes: await signSend("777", Math.ceil(gasUsed * 1.5)), mode: "BROADCAST_MODE_SYNC" });
    expect(sent.ok).toBe(true);
    expect(sent.json.txResponse.code ?? 0).toBe(0);
    const hash: string = sent.json.txResponse.txhash;
    const found = await until(`tx ${hash} found over gRPC`, async () => {
      const res = await invoke("cosmos.tx.v1beta1.Service/GetTx", { hash });
      return res.ok ? res.json : undefined;
    }, 30_000);
    expect(Number(found.txResponse.height)).toBeGreaterThan(0);
    expect(found.tx.body.messages[0]).toMatchObject({ "@type": "/cosmos.bank.v1beta1.MsgSend", toAddress: RECIPIENT, amount: [{ denom: "upeg", amount: "777" }] });
    expect((await invoke("cosmos.bank.v1beta1.Query/Balance", { address: RECIPIENT, denom: "upeg" })).json.balance.amount).toBe("777");
  }, 60_000);

  test("CometBFT's side: node info, the latest block, a block by height, the validator set", async () => {
    const info = await invoke("cosmos.base.tendermint.v1beta1.Service/GetNodeInfo");
    expect(info.json).toMatchObject({ defaultNodeInfo: { network: "pegzone-test" }, applicationVersion: { name: "pegzone", appName: "pegzone" } });
    const latest = await invoke("cosmos.base.tendermint.v1beta1.Service/GetLatestBlock");
    expect(latest.json.sdkBlock.header.proposerAddress).toMatch(/^pegvalcons1/);
    const second = await invoke("cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight", { height: "2" });
    expect(second.json.block.header.height).toBe("2");
    expect(second.json.blockId.hash).toBe((await rest("/cosmos/base/tendermint/v1beta1/blocks/2")).block_id.hash);
    const set = await invoke("cosmos.base.tendermint.v1beta1.Service/GetLatestValidatorSet");
    expect(set.json.validators).toHaveLength(1);
    expect(set.json.validators[0].pubKey["@type"]).toBe("/cosmos.crypto.ed25519.PubKey");
  });

  test("bad requests get gRPC status codes, and the node goes on", async () => {
    const status = async (method: string, request: object, flags: string[] = []) => {
      const res = await invoke(method, request, flags);
      expect({ ok: res.ok, text: res.text }).toEqual({ ok: false, text: expect.stringContaining('"code"') });
      return res.json as { code: number; message: string };
    };
    expect(await status("cosmos.bank.v1beta1.Query/Balance", { address: "peg1notbech32", denom: "upeg" })).toMatchObject({ code: 3 });
    expect(await status("pegzone.peg.v1.Query/Reserve", { mainchain: "nowhere" })).toMatchObject({ code: 5 });
    expect(await status("cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight", { height: "999999999" })).toMatchObject({ code: 3 });
    expect(await status("cosmos.tx.v1beta1.Service/BroadcastTx", { tx_bytes: "AAAA", mode: "BROADCAST_MODE_BLOCK" })).toMatchObject({ code: 3 });
    expect(await status("pegzone.peg.v1.Msg/RegisterDepositAddress", {})).toMatchObject({ code: 12, message: expect.stringMatching(/BroadcastTx/) });
    expect(await status("cosmos.bank.v1beta1.Query/Balance", { address: faucet, denom: "upeg" }, ["-H", "x-cosmos-block-height: yesterday"])).toMatchObject({ code: 3 });
    // a method no service has, called without reflection
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      const unknown = await new Promise<grpc.ServiceError>((resolve) =>
        client.makeUnaryRequest("/cosmos.nothing.v1.Query/Here", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (err) => resolve(err as grpc.ServiceError)),
      );
      expect(unknown.code).toBe(grpc.status.UNIMPLEMENTED);
      // garbage where a request message belongs
      const garbage = await new Promise<grpc.ServiceError>((resolve) =>
        client.makeUnaryRequest("/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight", (b: Buffer) => b, (b: Buffer) => b, Buffer.from([0xff, 0xff, 0xff]), (err) => resolve(err as grpc.ServiceError)),
      );
      expect(garbage.code).toBe(grpc.status.INVALID_ARGUMENT);
    } finally {
      client.close();
    }
    expect((await invoke("cosmos.base.tendermint.v1beta1.Service/GetSyncing")).ok).toBe(true);
  });

  test("x-cosmos-block-height: a query reads the height asked, and the answer says which it read", async () => {
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    const balance = (height?: number) =>
      new Promise<{ amount: string; header: number }>((resolve, reject) => {
        const metadata = new grpc.Metadata();
        if (height !== undefined) metadata.set("x-cosmos-block-height", String(height));
        let header = 0;
        const request = QueryBalanceRequest.encode({ address: SECOND_RECIPIENT, denom: "upeg" }).finish();
        const call = client.makeUnaryRequest("/cosmos.bank.v1beta1.Query/Balance", (b: Uint8Array) => Buffer.from(b), (b: Buffer) => QueryBalanceResponse.decode(b), request, metadata, (err, res) =>
          err ? reject(err) : resolve({ amount: res?.balance?.amount ?? "", header }),
        );
        call.on("metadata", (m) => (header = Number(m.get("x-cosmos-block-height")[0])));
      });
    try {
      const before = await balance();
      expect(before.amount).toBe("0");
      expect(before.header).toBeGreaterThan(1);
      const sent = await invoke("cosmos.tx.v1beta1.Service/BroadcastTx", { tx_bytes: await signSend("555", 200_000, SECOND_RECIPIENT), mode: "BROADCAST_MODE_SYNC" });
      expect(sent.json.txResponse.code ?? 0).toBe(0);
      const after = await until("the send committed", async () => {
        const now = await balance();
        return now.amount === "555" ? now : undefined;
      }, 30_000);
      expect(after.header).toBeGreaterThan(before.header);
      // the state as it was at the earlier height
      expect(await balance(before.header)).toEqual({ amount: "0", header: before.header });
    } finally {
      client.close();
    }
  }, 60_000);
});
