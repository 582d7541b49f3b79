import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { Slip10RawIndex } from "@cosmjs/crypto";
import { DirectSecp256k1HdWallet, makeAuthInfoBytes, makeSignDoc, encodePubkey, Registry } from "@cosmjs/proto-signing";
import { encodeSecp256k1Pubkey } from "@cosmjs/amino";
import { defaultRegistryTypes } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { fromBech32 } from "../crypto/address";
import { verifySignature } from "../crypto/secp256k1";
import { registerBankMsgs } from "../../modules/bank/codecs";
import { decodeTx } from "../tx/decode";
import { SdkError } from "../tx/errors";
import { MsgRegistry } from "../tx/registry";
import { directSignBytes } from "../tx/sign-doc";
import { verifyTxSignatures } from "../tx/verify";
import { cosmosHdPath, DEFAULT_HD_PATH, deriveKeyFromMnemonic, Keyring, normalizeMnemonic, validateKeyName, type ScryptParams } from "./keyring";

const MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";
/** Cheap scrypt for the tests that are not about scrypt's cost. */
const FAST: ScryptParams = { N: 1 << 10, r: 8, p: 1 };

let home: string;
beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), "pegzone-keyring-"));
});
afterEach(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

async function cosmjsAddress(mnemonic: string, account = 0, index = 0): Promise<{ address: string; pubkey: Uint8Array }> {
  const hdPath = [Slip10RawIndex.hardened(44), Slip10RawIndex.hardened(118), Slip10RawIndex.hardened(account), Slip10RawIndex.normal(0), Slip10RawIndex.normal(index)];
  const [acc] = await (await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "peg", hdPaths: [hdPath] })).getAccounts();
  return { address: acc!.address, pubkey: acc!.pubkey };
}

async function expectRejects(p: Promise<unknown>, check: { code?: number; text: RegExp }): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Error);
  expect((caught as Error).message).toMatch(check.text);
  if (check.code !== undefined) {
    expect(caught).toBeInstanceOf(SdkError);
    expect((caught as SdkError).code).toBe(check.code);
  }
}

describe.each(["test", "file"] as const)("%s backend", (backend) => {
  const open = (passphrase = "correct horse battery staple"): Keyring => new Keyring({ backend, home, passphrase, scrypt: FAST });

  it("recovers the address CosmJS derives from the same mnemonic (m/44'/118'/0'/0/0)", async () => {
    const kr = open();
    const info = await kr.recover("alice", MNEMONIC);
    const expected = await cosmjsAddress(MNEMONIC);
    expect(info).toEqual({
      name: "alice",
      type: "local",
      address: expected.address,
      pubkeyType: "/cosmos.crypto.secp256k1.PubKey",
      pubkey: Buffer.from(expected.pubkey).toString("base64"),
      hdPath: DEFAULT_HD_PATH,
    });
    expect(await kr.show("alice")).toEqual(info);
    // the same wallet in amino form agrees too
    const [amino] = await (await Secp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: "peg" })).getAccounts();
    expect(info.address).toBe(amino!.address);
  });

  it("adds a key with a fresh 24-word mnemonic that CosmJS maps to the same address", async () => {
    const kr = open();
    const { info, mnemonic } = await kr.add("bob");
    expect(mnemonic.split(" ")).toHaveLength(24);
    expect(info.address).toBe((await cosmjsAddress(mnemonic)).address);
    // the mnemonic is not stored anywhere
    const files = await fs.readdir(path.join(home, `keyring-${backend}`));
    for (const f of files) expect(await fs.readFile(path.join(home, `keyring-${backend}`, f), "utf8")).not.toContain(mnemonic.split(" ")[0] + " " + mnemonic.split(" ")[1]);
    const { mnemonic: m12 } = await kr.add("carol", { words: 12 });
    expect(m12.split(" ")).toHaveLength(12);
  });

  it("derives other accounts and indexes like CosmJS", async () => {
    const kr = open();
    const info = await kr.recover("acct2", MNEMONIC, { account: 2, index: 5 });
    expect(info.hdPath).toBe("m/44'/118'/2'/0/5");
    expect(info.address).toBe((await cosmjsAddress(MNEMONIC, 2, 5)).address);
  });

  it("lists, shows and deletes", async () => {
    const kr = open();
    await kr.recover("zed", MNEMONIC);
    await kr.add("amy");
    expect((await kr.list()).map((k) => k.name)).toEqual(["amy", "zed"]);
    await kr.delete("zed");
    expect((await kr.list()).map((k) => k.name)).toEqual(["amy"]);
    await expectRejects(kr.show("zed"), { code: 22, text: /key "zed" not found: key not found/ });
    await expectRejects(kr.delete("zed"), { code: 22, text: /not found/ });
    await expectRejects(kr.signer("zed"), { code: 22, text: /not found/ });
  });

  it("signs sign bytes exactly as the CosmJS wallet does, and the signature verifies", async () => {
    const kr = open();
    await kr.recover("alice", MNEMONIC);
    const sign = await kr.signer("alice");
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: "peg" });
    const [acc] = await wallet.getAccounts();
    expect(sign.address).toBe(acc!.address);
    expect(sign.pubkey).toEqual(acc!.pubkey);

    const registry = registerBankMsgs(new MsgRegistry());
    const protoRegistry = new Registry(defaultRegistryTypes);
    const bodyBytes = protoRegistry.encode({
      typeUrl: "/cosmos.tx.v1beta1.TxBody",
      value: { messages: [{ typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: acc!.address, toAddress: acc!.address, amount: [{ denom: "upeg", amount: "1" }] } }], memo: "keyring" },
    });
    const authInfoBytes = makeAuthInfoBytes([{ pubkey: encodePubkey(encodeSecp256k1Pubkey(acc!.pubkey)), sequence: 0 }], [{ denom: "upeg", amount: "1" }], 100000, undefined, undefined);
    const signBytes = directSignBytes({ bodyBytes, authInfoBytes }, "pegzone-1", 4n);
    const ours = sign(signBytes);
    const theirs = await wallet.signDirect(acc!.address, makeSignDoc(bodyBytes, authInfoBytes, "pegzone-1", 4));
    expect(Buffer.from(ours).toString("base64")).toBe(theirs.signature.signature);
    expect(verifySignature(sign.pubkey, ours, signBytes)).toBe(true);

    const tx = decodeTx(TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [ours] }).finish(), registry);
    expect(verifyTxSignatures(tx, "pegzone-1", [{ address: fromBech32(sign.address), accountNumber: 4n, sequence: 0n }], { registry })).toHaveLength(1);
  });

  it("refuses duplicate names and duplicate keys", async () => {
    const kr = open();
    await kr.recover("alice", MNEMONIC);
    await expectRejects(kr.recover("alice", MNEMONIC, { index: 1 }), { text: /key "alice" already exists/ });
    await expectRejects(kr.recover("alice2", MNEMONIC), { text: /already exists in the keyring as "alice"/ });
  });

  it.each(["Alice", "a b", "", "x".repeat(65), "../evil", "a/b", "é", "a.json"])("rejects the key name %j", async (name) => {
    await expectRejects(open().recover(name, MNEMONIC), { text: /invalid key name/ });
  });

  it("rejects invalid mnemonics", async () => {
    const kr = open();
    await expectRejects(kr.recover("x", MNEMONIC.replace(/art$/, "abandon")), { text: /invalid mnemonic/ });
    await expectRejects(kr.recover("x", "hello world"), { text: /invalid mnemonic/ });
    await expectRejects(kr.recover("x", MNEMONIC, { hdPath: "m/44'/118'/x" }), { text: /invalid HD path/ });
  });
});

describe("file backend encryption", () => {
  it("stores only ciphertext, with 0600 permissions, and a wrong passphrase is a clear error", async () => {
    const kr = new Keyring({ backend: "file", home, passphrase: "s3cret passphrase" });
    const info = await kr.recover("alice", MNEMONIC); // default scrypt cost
    const file = path.join(home, "keyring-file", "alice.json");
    const stored = JSON.parse(await fs.readFile(file, "utf8"));
    expect(stored.crypto).toMatchObject({ cipher: "aes-256-gcm", kdf: "scrypt", kdfparams: { N: 32768, r: 8, p: 1, dklen: 32 } });
    const { privateKey } = deriveKeyFromMnemonic(MNEMONIC);
    const fileText = await fs.readFile(file, "utf8");
    expect(fileText).not.toContain(Buffer.from(privateKey).toString("hex"));
    expect(fileText).not.toContain(Buffer.from(privateKey).toString("base64"));
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.join(home, "keyring-file"))).mode & 0o777).toBe(0o700);

    // listing needs no passphrase
    expect(await new Keyring({ backend: "file", home }).list()).toEqual([info]);
    await expectRejects(new Keyring({ backend: "file", home, passphrase: "wrong" }).signer("alice"), {
      code: 23,
      text: /cannot decrypt key "alice": wrong passphrase or tampered key file: invalid account password/,
    });
    await expectRejects(new Keyring({ backend: "file", home }).signer("alice"), { text: /needs a passphrase/ });
    const sign = await kr.signer("alice");
    expect(sign(new Uint8Array([1, 2, 3]))).toHaveLength(64);
  });

  it("detects metadata swapped between key files (the ciphertext is bound to name and key)", async () => {
    const kr = new Keyring({ backend: "file", home, passphrase: "pw", scrypt: FAST });
    await kr.recover("alice", MNEMONIC);
    await kr.add("bob");
    const dir = path.join(home, "keyring-file");
    const alice = JSON.parse(await fs.readFile(path.join(dir, "alice.json"), "utf8"));
    const bob = JSON.parse(await fs.readFile(path.join(dir, "bob.json"), "utf8"));
    // bob's file now carries alice's ciphertext
    await fs.writeFile(path.join(dir, "bob.json"), JSON.stringify({ ...bob, crypto: alice.crypto }));
    await expectRejects(kr.signer("bob"), { code: 23, text: /tampered/ });
    // a flipped ciphertext byte
    const c = alice.crypto.ciphertext as string;
    alice.crypto.ciphertext = (c[0] === "0" ? "1" : "0") + c.slice(1);
    await fs.writeFile(path.join(dir, "alice.json"), JSON.stringify(alice));
    await expectRejects(kr.signer("alice"), { code: 23, text: /tampered/ });
  });

  it("test and file backends live in separate directories", async () => {
    await new Keyring({ backend: "test", home }).recover("alice", MNEMONIC);
    expect(await new Keyring({ backend: "file", home }).list()).toEqual([]);
    const stored = JSON.parse(await fs.readFile(path.join(home, "keyring-test", "alice.json"), "utf8"));
    expect(stored.privateKey).toBe(Buffer.from(deriveKeyFromMnemonic(MNEMONIC).privateKey).toString("hex"));
  });
});

describe("helpers", () => {
  it("normalises mnemonics like CosmJS (case, surrounding and repeated whitespace)", () => {
    expect(normalizeMnemonic(`  ${MNEMONIC.toUpperCase().replace(/ /g, "  \n")}  `)).toBe(MNEMONIC);
  });

  it("builds HD paths and validates names", () => {
    expect(cosmosHdPath()).toBe(DEFAULT_HD_PATH);
    expect(cosmosHdPath(1, 2)).toBe("m/44'/118'/1'/0/2");
    expect(() => cosmosHdPath(-1)).toThrow(/invalid HD account/);
    expect(() => cosmosHdPath(0, 2 ** 31)).toThrow(/invalid HD index/);
    expect(() => validateKeyName("ok_name-1")).not.toThrow();
    expect(() => validateKeyName("NotOk")).toThrow(/invalid key name/);
  });

  it("a BIP-39 passphrase yields a different key", async () => {
    const plain = deriveKeyFromMnemonic(MNEMONIC);
    const withPass = deriveKeyFromMnemonic(MNEMONIC, { bip39Passphrase: "extra" });
    expect(withPass.publicKey).not.toEqual(plain.publicKey);
    const [acc] = await (await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: "peg", bip39Password: "extra" })).getAccounts();
    expect(withPass.publicKey).toEqual(acc!.pubkey);
  });
});
