import { Secp256k1HdWallet } from "@cosmjs/amino";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { calculateFee, GasPrice, QueryClient, setupTxExtension, SigningStargateClient, StargateClient, type MsgSendEncodeObject } from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { SECP256K1_N } from "../chain/crypto/secp256k1";
import { freePortBlock, Testnet, waitForHeight } from "./support/harness";
import { DEV_MNEMONIC } from "../app/cli/devnet";

const AMINO_MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const gasPrice = GasPrice.fromString("0.0025upeg");

describe("unmodified CosmJS 0.39 against a real pegzone node", () => {
  let net: Testnet;
  let url: string;
  let faucet: string;
  let aminoAddress: string;
  let direct: SigningStargateClient;
  let reader: StargateClient;

  beforeAll(async () => {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    faucet = (await wallet.getAccounts())[0].address;
    aminoAddress = (await (await Secp256k1HdWallet.fromMnemonic(AMINO_MNEMONIC, { prefix: "peg" })).getAccounts())[0].address;
    net = Testnet.create({ validators: 1, basePort: await freePortBlock(10), timeoutCommit: "200ms", accounts: [`${faucet}=1000000000000upeg`, `${aminoAddress}=5000000upeg`] });
    net.start(0);
    url = net.nodes[0].rpc;
    await waitForHeight(url, 1, 60_000);
    direct = await SigningStargateClient.connectWithSigner(url, wallet, { gasPrice });
    reader = await StargateClient.connect(url);
  }, 90_000);

  afterAll(async () => {
    direct?.disconnect();
    reader?.disconnect();
    await net?.stopAll();
    net?.remove();
  });

  test("StargateClient reads chain id, height, accounts, balances and blocks", async () => {
    expect(await reader.getChainId()).toBe("pegzone-test");
    expect(await reader.getHeight()).toBeGreaterThan(0);
    expect(await reader.getAccount("peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56")).toBeNull();
    const account = await reader.getAccount(faucet);
    expect(account?.address).toBe(faucet);
    expect(await reader.getBalance("peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56", "upeg")).toEqual({ denom: "upeg", amount: "0" });
    expect(await reader.getAllBalances(aminoAddress)).toEqual([{ denom: "upeg", amount: "5000000" }]);
    const block = await reader.getBlock(1);
    expect(block.header.chainId).toBe("pegzone-test");
  });

  test("DIRECT signing: sendTokens with gas auto, two messages in one tx, searchTx and getTx", async () => {
    const to = "peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56";
    const sent = await direct.sendTokens(faucet, to, [{ denom: "upeg", amount: "1234" }], "auto", "first <payment> & more");
    expect(sent.code).toBe(0);
    expect(await direct.getBalance(to, "upeg")).toEqual({ denom: "upeg", amount: "1234" });

    const msg = (amount: string): MsgSendEncodeObject => ({
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: faucet, toAddress: to, amount: [{ denom: "upeg", amount }] },
    });
    const two = await direct.signAndBroadcast(faucet, [msg("10"), msg("20")], "auto");
    expect(two.code).toBe(0);
    expect(two.msgResponses).toHaveLength(2);
    expect(await direct.getBalance(to, "upeg")).toEqual({ denom: "upeg", amount: "1264" });

    const found = await direct.searchTx(`message.sender='${faucet}'`);
    expect(found.map((t) => t.hash)).toEqual(expect.arrayContaining([sent.transactionHash, two.transactionHash]));
    const tx = await direct.getTx(two.transactionHash);
    expect(tx?.height).toBe(two.height);
    expect(tx?.code).toBe(0);

    // The SDK's tx service, as CosmJS's tx query extension calls it over ABCI.
    const comet = await Comet38Client.connect(url);
    const service = QueryClient.withExtensions(comet, setupTxExtension);
    const viaService = await service.tx.getTx(two.transactionHash);
    expect(viaService.txResponse?.height).toBe(BigInt(two.height));
    expect(viaService.tx?.body?.messages).toHaveLength(2);
    comet.disconnect();
  });

  test("LEGACY_AMINO_JSON signing with Secp256k1HdWallet", async () => {
    const wallet = await Secp256k1HdWallet.fromMnemonic(AMINO_MNEMONIC, { prefix: "peg" });
    const amino = await SigningStargateClient.connectWithSigner(url, wallet, { gasPrice });
    const res = await amino.sendTokens(aminoAddress, faucet, [{ denom: "upeg", amount: "777" }], "auto", "amino <memo> & unicode ✓");
    expect(res.code).toBe(0);
    const balance = BigInt((await amino.getBalance(aminoAddress, "upeg")).amount);
    expect(balance).toBeLessThan(5_000_000n - 777n); // the fee was paid too
    amino.disconnect();
  });

  test("rejections carry the SDK codes and change neither balances nor sequences", async () => {
    const to = "peg1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc55a3w56";
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: "peg" });
    const offline = await SigningStargateClient.offline(wallet);
    const account = (await reader.getAccount(faucet))!;
    const fee = calculateFee(200_000, gasPrice);
    const msg: MsgSendEncodeObject = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: faucet, toAddress: to, amount: [{ denom: "upeg", amount: "5" }] } };
    const signed = async (o: { sequence?: number; chainId?: string; memo?: string; fee?: typeof fee; msgs?: MsgSendEncodeObject[] } = {}) =>
      TxRaw.encode(
        await offline.sign(faucet, o.msgs ?? [msg], o.fee ?? fee, o.memo ?? "", {
          accountNumber: account.accountNumber,
          sequence: o.sequence ?? account.sequence,
          chainId: o.chainId ?? "pegzone-test",
        }),
      ).finish();
    const highS = async () => {
      const raw = TxRaw.decode(await signed());
      const sig = raw.signatures[0];
      const s = BigInt("0x" + Buffer.from(sig.subarray(32)).toString("hex"));
      raw.signatures[0] = Buffer.concat([sig.subarray(0, 32), Buffer.from((SECP256K1_N - s).toString(16).padStart(64, "0"), "hex")]);
      return TxRaw.encode(raw).finish();
    };
    const badSignature = async () => {
      const raw = TxRaw.decode(await signed());
      raw.signatures[0] = Uint8Array.from(raw.signatures[0]).map((b, i) => (i === 10 ? b ^ 1 : b));
      return TxRaw.encode(raw).finish();
    };
    const unknownMsg = async () => {
      const raw = TxRaw.decode(await signed());
      // Re-sign would need a registry entry; a body naming an unknown type fails decoding before any signature check.
      const { TxBody } = await import("cosmjs-types/cosmos/tx/v1beta1/tx");
      const body = TxBody.decode(raw.bodyBytes);
      body.messages[0].typeUrl = "/pegzone.nothing.v1.MsgNothing";
      raw.bodyBytes = TxBody.encode(body).finish();
      return TxRaw.encode(raw).finish();
    };

    const cases: Array<{ name: string; tx: () => Promise<Uint8Array>; code: number }> = [
      { name: "wrong sequence", tx: () => signed({ sequence: account.sequence + 5 }), code: 32 },
      { name: "insufficient funds for the fee", tx: () => signed({ fee: { amount: [{ denom: "upeg", amount: "999999999999999" }], gas: "200000" } }), code: 5 },
      { name: "fee below the minimum gas price", tx: () => signed({ fee: { amount: [{ denom: "upeg", amount: "1" }], gas: "200000" } }), code: 13 },
      { name: "bad signature", tx: badSignature, code: 4 },
      { name: "high-S signature", tx: highS, code: 4 },
      { name: "wrong chain id", tx: () => signed({ chainId: "other-chain" }), code: 4 },
      { name: "unknown message type", tx: unknownMsg, code: 2 },
      { name: "memo over the limit", tx: () => signed({ memo: "m".repeat(300) }), code: 12 },
      { name: "bytes that are not a tx", tx: async () => Buffer.from("definitely not protobuf"), code: 2 },
    ];
    const before = { balance: await reader.getBalance(faucet, "upeg"), sequence: (await reader.getAccount(faucet))!.sequence };
    for (const c of cases) {
      await expect(direct.broadcastTx(await c.tx())).rejects.toMatchObject({ code: c.code, codespace: "sdk" });
    }
    expect(await reader.getBalance(faucet, "upeg")).toEqual(before.balance);
    expect((await reader.getAccount(faucet))!.sequence).toBe(before.sequence);

    // Insufficient funds for the transfer itself passes CheckTx and fails in the block with code 5.
    const broke = await direct.sendTokens(faucet, to, [{ denom: "upeg", amount: "999999999999999" }], fee);
    expect(broke.code).toBe(5);

    // The same signed tx twice: accepted once, refused the second time (CometBFT's cache or sequence 32).
    const once = await signed({ sequence: (await reader.getAccount(faucet))!.sequence });
    const first = await direct.broadcastTx(once);
    expect(first.code).toBe(0);
    await expect(direct.broadcastTx(once)).rejects.toThrow(/already exists in cache|incorrect account sequence/);
  }, 90_000);
});
