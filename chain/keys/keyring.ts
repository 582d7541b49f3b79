/**
 * A local keyring in the manner of the Cosmos SDK's: BIP-39 mnemonics (24 English words unless
 * asked otherwise), BIP-32/44 derivation on m/44'/118'/0'/0/0 (coin type 118, as CosmJS and the
 * SDK use), secp256k1 keys, `peg` bech32 addresses.
 *
 * Backends:
 *  - `file`: one JSON file per key under `<home>/keyring-file/<name>.json`; the private key is
 *    encrypted with AES-256-GCM under a key derived from the passphrase with scrypt. Name, address
 *    and public key are stored in clear (so `list`/`show` need no passphrase) and bound to the
 *    ciphertext as GCM additional data, so they cannot be swapped between files unnoticed.
 *  - `test`: unencrypted, under `<home>/keyring-test/`, for scripts and tests only.
 *
 * The mnemonic itself is never stored: `add` returns it once.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type BinaryLike, type ScryptOptions } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { HDKey } from "@scure/bip32";
import { generateMnemonic, mnemonicToSeedSync, validateMnemonic } from "@scure/bip39";
import { wordlist as english } from "@scure/bip39/wordlists/english.js";
import { ADDRESS_PREFIX, addressFromPubkey, toBech32 } from "../crypto/address";
import { publicKeyFromPrivate, signSecp256k1 } from "../crypto/secp256k1";
import { sdkErrors } from "../tx/errors";
import { SECP256K1_PUBKEY_TYPE_URL } from "../tx/wire";

export type KeyringBackend = "file" | "test";

export const DEFAULT_HD_PATH = "m/44'/118'/0'/0/0";

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** 2^15 · 8 · 128 bytes = 32 MiB of memory and ~0.1 s per key operation: a slow guess, a tolerable wait. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 1 << 15, r: 8, p: 1 };

export interface KeyringOptions {
  backend: KeyringBackend;
  /** The node or client home directory. */
  home: string;
  /** Required by the `file` backend to add, recover and sign. */
  passphrase?: string;
  /** scrypt cost for newly written keys (`file` backend); files record their own parameters. */
  scrypt?: ScryptParams;
  /** Address prefix; `peg` by default. */
  prefix?: string;
}

export interface KeyInfo {
  name: string;
  type: "local";
  /** bech32 account address */
  address: string;
  /** Protobuf type URL of the public key. */
  pubkeyType: typeof SECP256K1_PUBKEY_TYPE_URL;
  /** base64 of the 33-byte compressed public key */
  pubkey: string;
  hdPath: string;
}

export interface DeriveOptions {
  /** BIP-39 passphrase ("25th word"); empty by default, as in the SDK and CosmJS. */
  bip39Passphrase?: string;
  /** Full derivation path; default m/44'/118'/<account>'/0/<index>. */
  hdPath?: string;
  account?: number;
  index?: number;
}

export interface AddOptions extends DeriveOptions {
  /** Mnemonic length: 12, 15, 18, 21 or 24 (default) words. */
  words?: 12 | 15 | 18 | 21 | 24;
}

/** Signs sign-bytes: sha256, ECDSA secp256k1, low-S, 64-byte r||s. */
export interface KeySigner {
  (signBytes: Uint8Array): Uint8Array;
  readonly name: string;
  readonly address: string;
  /** 33-byte compressed public key */
  readonly pubkey: Uint8Array;
}

/** A KeySigner over a raw secp256k1 private key held in memory (a federation member's signer key, a test key). */
export function rawKeySigner(name: string, privateKey: Uint8Array): KeySigner {
  const pubkey = publicKeyFromPrivate(privateKey);
  const sign = (signBytes: Uint8Array): Uint8Array => signSecp256k1(privateKey, signBytes);
  return Object.defineProperties(sign, {
    name: { value: name },
    address: { value: toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey)), enumerable: true },
    pubkey: { value: pubkey, enumerable: true },
  }) as KeySigner;
}

const NAME_RE = /^[a-z0-9_-]{1,64}$/;
const HD_PATH_RE = /^m(\/[0-9]+'?)+$/;
const FILE_VERSION = 1;

/** Throws if `name` is not 1–64 characters of lowercase letters, digits, `-` and `_`. */
export function validateKeyName(name: string): void {
  if (typeof name !== "string" || !NAME_RE.test(name)) {
    throw new Error(`invalid key name ${JSON.stringify(name)}: use 1-64 lowercase letters, digits, '-' or '_'`);
  }
}

/** The path m/44'/118'/account'/0/index. */
export function cosmosHdPath(account = 0, index = 0): string {
  for (const [what, v] of [["account", account], ["index", index]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** 31) throw new Error(`invalid HD ${what} ${v}`);
  }
  return `m/44'/118'/${account}'/0/${index}`;
}

/** Trims, collapses whitespace and lowercases a mnemonic; throws if it is not a valid English BIP-39 mnemonic. */
export function normalizeMnemonic(mnemonic: string): string {
  const m = mnemonic.trim().split(/\s+/).join(" ").toLowerCase();
  if (!validateMnemonic(m, english)) throw new Error("invalid mnemonic: not a valid English BIP-39 phrase (checksum or word list)");
  return m;
}

/** Derives the secp256k1 key pair of a mnemonic. */
export function deriveKeyFromMnemonic(mnemonic: string, opts: DeriveOptions = {}): { privateKey: Uint8Array; publicKey: Uint8Array; hdPath: string } {
  const hdPath = opts.hdPath ?? cosmosHdPath(opts.account ?? 0, opts.index ?? 0);
  if (!HD_PATH_RE.test(hdPath)) throw new Error(`invalid HD path ${JSON.stringify(hdPath)}`);
  const seed = mnemonicToSeedSync(normalizeMnemonic(mnemonic), opts.bip39Passphrase ?? "");
  const node = HDKey.fromMasterSeed(seed).derive(hdPath);
  seed.fill(0);
  if (!node.privateKey) throw new Error("internal: derived key has no private key");
  const privateKey = Uint8Array.from(node.privateKey);
  node.wipePrivateData();
  return { privateKey, publicKey: publicKeyFromPrivate(privateKey), hdPath };
}

interface StoredKeyBase extends KeyInfo {
  version: number;
}

interface StoredTestKey extends StoredKeyBase {
  /** hex, unencrypted */
  privateKey: string;
}

interface StoredFileKey extends StoredKeyBase {
  crypto: {
    cipher: "aes-256-gcm";
    kdf: "scrypt";
    kdfparams: ScryptParams & { dklen: 32; salt: string };
    iv: string;
    ciphertext: string;
    tag: string;
  };
}

type StoredKey = StoredTestKey | StoredFileKey;

function scrypt(password: BinaryLike, salt: BinaryLike, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export class Keyring {
  readonly backend: KeyringBackend;
  readonly dir: string;
  private readonly passphrase: string | undefined;
  private readonly scryptParams: ScryptParams;
  private readonly prefix: string;

  constructor(opts: KeyringOptions) {
    if (opts.backend !== "file" && opts.backend !== "test") throw new Error(`unknown keyring backend ${JSON.stringify(opts.backend)}`);
    this.backend = opts.backend;
    this.dir = path.join(opts.home, `keyring-${opts.backend}`);
    this.passphrase = opts.passphrase;
    this.scryptParams = opts.scrypt ?? DEFAULT_SCRYPT;
    const { N, r, p } = this.scryptParams;
    if (!Number.isInteger(N) || N < 2 || (N & (N - 1)) !== 0 || !Number.isInteger(r) || r < 1 || !Number.isInteger(p) || p < 1) {
      throw new Error("invalid scrypt parameters");
    }
    this.prefix = opts.prefix ?? ADDRESS_PREFIX;
  }

  /** Creates a key from a fresh mnemonic. The mnemonic is returned once and not stored. */
  async add(name: string, opts: AddOptions = {}): Promise<{ info: KeyInfo; mnemonic: string }> {
    const words = opts.words ?? 24;
    if (![12, 15, 18, 21, 24].includes(words)) throw new Error(`invalid mnemonic length ${words}: use 12, 15, 18, 21 or 24 words`);
    const mnemonic = generateMnemonic(english, (words / 3) * 32);
    const info = await this.recover(name, mnemonic, opts);
    return { info, mnemonic };
  }

  /** Stores the key derived from `mnemonic` under `name`. */
  async recover(name: string, mnemonic: string, opts: DeriveOptions = {}): Promise<KeyInfo> {
    validateKeyName(name);
    this.requirePassphrase();
    const { privateKey, publicKey, hdPath } = deriveKeyFromMnemonic(mnemonic, opts);
    try {
      const info = this.infoOf(name, publicKey, hdPath);
      if (await this.exists(name)) throw new Error(`key ${JSON.stringify(name)} already exists`);
      const dup = (await this.list()).find((k) => k.pubkey === info.pubkey);
      if (dup) throw new Error(`public key ${info.pubkey} already exists in the keyring as ${JSON.stringify(dup.name)}`);
      const stored = this.backend === "test" ? this.storeTest(info, privateKey) : await this.storeFile(info, privateKey);
      await this.writeAtomic(name, stored);
      return info;
    } finally {
      privateKey.fill(0);
    }
  }

  /** All keys, sorted by name. */
  async list(): Promise<KeyInfo[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const names = entries
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5))
      .filter((n) => NAME_RE.test(n))
      .sort();
    const out: KeyInfo[] = [];
    for (const n of names) out.push(toInfo(await this.read(n)));
    return out;
  }

  /** Name, address and public key of one key; ErrKeyNotFound (sdk/22) if there is none. */
  async show(name: string): Promise<KeyInfo> {
    validateKeyName(name);
    return toInfo(await this.read(name));
  }

  /** Deletes a key; ErrKeyNotFound (sdk/22) if there is none. */
  async delete(name: string): Promise<void> {
    validateKeyName(name);
    try {
      await fs.unlink(this.file(name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw sdkErrors.ErrKeyNotFound.wrap(`key ${JSON.stringify(name)} not found`);
      throw e;
    }
  }

  /**
   * A function that signs sign-bytes with key `name` (sha256, ECDSA, low-S, 64-byte r||s). For the
   * `file` backend the key is decrypted here, once; a wrong passphrase is ErrWrongPassword (sdk/23).
   */
  async signer(name: string): Promise<KeySigner> {
    validateKeyName(name);
    const stored = await this.read(name);
    const privateKey = "crypto" in stored ? await this.decrypt(stored) : Uint8Array.from(Buffer.from(stored.privateKey, "hex"));
    const pubkey = publicKeyFromPrivate(privateKey);
    if (Buffer.from(pubkey).toString("base64") !== stored.pubkey) {
      privateKey.fill(0);
      throw new Error(`key file for ${JSON.stringify(name)} is corrupt: its private key does not match its public key`);
    }
    return rawKeySigner(name, privateKey);
  }

  // ---- storage ----

  private file(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  private async exists(name: string): Promise<boolean> {
    try {
      await fs.access(this.file(name));
      return true;
    } catch {
      return false;
    }
  }

  private async read(name: string): Promise<StoredKey> {
    let text: string;
    try {
      text = await fs.readFile(this.file(name), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw sdkErrors.ErrKeyNotFound.wrap(`key ${JSON.stringify(name)} not found`);
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`key file ${this.file(name)} is not valid JSON`);
    }
    return this.checkStored(name, parsed);
  }

  private checkStored(name: string, v: unknown): StoredKey {
    const bad = (why: string): Error => new Error(`key file ${this.file(name)} is invalid: ${why}`);
    if (typeof v !== "object" || v === null) throw bad("not an object");
    const o = v as Record<string, unknown>;
    if (o.version !== FILE_VERSION) throw bad(`unsupported version ${String(o.version)}`);
    if (o.name !== name) throw bad(`it names key ${JSON.stringify(o.name)}`);
    for (const k of ["address", "pubkey", "hdPath"]) if (typeof o[k] !== "string") throw bad(`missing ${k}`);
    if (o.type !== "local" || o.pubkeyType !== SECP256K1_PUBKEY_TYPE_URL) throw bad("unsupported key type");
    const pubkey = Buffer.from(o.pubkey as string, "base64");
    if (pubkey.length !== 33 || toBech32(this.prefix, addressFromPubkey(pubkey)) !== o.address) throw bad("address does not match public key");
    if (this.backend === "test") {
      if (typeof o.privateKey !== "string" || !/^[0-9a-f]{64}$/.test(o.privateKey)) throw bad("missing private key");
    } else {
      const c = o.crypto as StoredFileKey["crypto"] | undefined;
      if (!c || c.cipher !== "aes-256-gcm" || c.kdf !== "scrypt" || !c.kdfparams) throw bad("missing or unsupported crypto section");
      for (const k of ["iv", "ciphertext", "tag"] as const) if (typeof c[k] !== "string") throw bad(`missing crypto.${k}`);
    }
    return o as unknown as StoredKey;
  }

  private async writeAtomic(name: string, stored: StoredKey): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(this.dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
    await fs.writeFile(tmp, JSON.stringify(stored, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    try {
      await fs.rename(tmp, this.file(name));
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
  }

  private infoOf(name: string, publicKey: Uint8Array, hdPath: string): KeyInfo {
    return {
      name,
      type: "local",
      address: toBech32(this.prefix, addressFromPubkey(publicKey)),
      pubkeyType: SECP256K1_PUBKEY_TYPE_URL,
      pubkey: Buffer.from(publicKey).toString("base64"),
      hdPath,
    };
  }

  private storeTest(info: KeyInfo, privateKey: Uint8Array): StoredTestKey {
    return { version: FILE_VERSION, ...info, privateKey: Buffer.from(privateKey).toString("hex") };
  }

  private requirePassphrase(): string {
    if (this.backend !== "file") return "";
    if (this.passphrase === undefined || this.passphrase.length === 0) {
      throw new Error("the file keyring backend needs a passphrase");
    }
    return this.passphrase;
  }

  private async storeFile(info: KeyInfo, privateKey: Uint8Array): Promise<StoredFileKey> {
    const passphrase = this.requirePassphrase();
    const salt = randomBytes(32);
    const iv = randomBytes(12);
    const { N, r, p } = this.scryptParams;
    const key = await scrypt(passphrase.normalize("NFKC"), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    const base: StoredKeyBase = { version: FILE_VERSION, ...info };
    cipher.setAAD(aad(base));
    const ciphertext = Buffer.concat([cipher.update(privateKey), cipher.final()]);
    key.fill(0);
    return {
      ...base,
      crypto: {
        cipher: "aes-256-gcm",
        kdf: "scrypt",
        kdfparams: { N, r, p, dklen: 32, salt: salt.toString("hex") },
        iv: iv.toString("hex"),
        ciphertext: ciphertext.toString("hex"),
        tag: cipher.getAuthTag().toString("hex"),
      },
    };
  }

  private async decrypt(stored: StoredFileKey): Promise<Uint8Array> {
    const passphrase = this.requirePassphrase();
    const { kdfparams, iv, ciphertext, tag } = stored.crypto;
    const { N, r, p } = kdfparams;
    const key = await scrypt(passphrase.normalize("NFKC"), Buffer.from(kdfparams.salt, "hex"), 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "hex"));
    decipher.setAAD(aad(stored));
    decipher.setAuthTag(Buffer.from(tag, "hex"));
    try {
      const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, "hex")), decipher.final()]);
      const out = Uint8Array.from(plain);
      plain.fill(0);
      return out;
    } catch (e) {
      throw sdkErrors.ErrWrongPassword.wrap(`cannot decrypt key ${JSON.stringify(stored.name)}: wrong passphrase or tampered key file`, e);
    } finally {
      key.fill(0);
    }
  }
}

/** The clear-text metadata the ciphertext is bound to. */
function aad(k: StoredKeyBase): Buffer {
  return Buffer.from(JSON.stringify([k.version, k.name, k.type, k.address, k.pubkeyType, k.pubkey, k.hdPath]), "utf8");
}

function toInfo(s: StoredKey): KeyInfo {
  return { name: s.name, type: s.type, address: s.address, pubkeyType: s.pubkeyType, pubkey: s.pubkey, hdPath: s.hdPath };
}
