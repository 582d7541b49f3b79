import { createHash, generateKeyPairSync } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";

/** An ed25519 key in CometBFT's JSON key-file form (node key and validator key). */
export interface Ed25519Key {
  /** 32-byte seed followed by the 32-byte public key, as CometBFT stores it. */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export function generateEd25519(): Ed25519Key {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = privateKey.export({ format: "jwk" }).d!;
  const pub = publicKey.export({ format: "jwk" }).x!;
  const pubBytes = Buffer.from(pub, "base64url");
  return { privateKey: Buffer.concat([Buffer.from(seed, "base64url"), pubBytes]), publicKey: pubBytes };
}

/** CometBFT's address of an ed25519 key: the first 20 bytes of sha256(pubkey). */
export function cometAddress(publicKey: Uint8Array): Uint8Array {
  return createHash("sha256").update(publicKey).digest().subarray(0, 20);
}

/** The node ID peers are addressed by: lower-case hex of the address of the node key. */
export function nodeId(nodeKey: Ed25519Key): string {
  return Buffer.from(cometAddress(nodeKey.publicKey)).toString("hex");
}

export function privValidatorKeyJson(key: Ed25519Key): object {
  return {
    address: Buffer.from(cometAddress(key.publicKey)).toString("hex").toUpperCase(),
    pub_key: { type: "tendermint/PubKeyEd25519", value: Buffer.from(key.publicKey).toString("base64") },
    priv_key: { type: "tendermint/PrivKeyEd25519", value: Buffer.from(key.privateKey).toString("base64") },
  };
}

export function nodeKeyJson(key: Ed25519Key): object {
  return { priv_key: { type: "tendermint/PrivKeyEd25519", value: Buffer.from(key.privateKey).toString("base64") } };
}

/** A federation member's main-chain signing key (secp256k1), kept in the node's home apart from CometBFT's keys. */
export interface SignerKey {
  privateKey: Uint8Array;
  /** 33-byte compressed public key: what genesis lists in the federation. */
  publicKey: Uint8Array;
}

export function generateSignerKey(): SignerKey {
  const privateKey = secp256k1.utils.randomSecretKey();
  return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, true) };
}

export function signerKeyJson(key: SignerKey): object {
  return { type: "secp256k1", pub_key: Buffer.from(key.publicKey).toString("hex"), priv_key: Buffer.from(key.privateKey).toString("hex") };
}

export function parseSignerKeyFile(json: { type?: string; priv_key?: string }): SignerKey {
  if (json.type !== "secp256k1" || typeof json.priv_key !== "string" || !/^[0-9a-f]{64}$/.test(json.priv_key))
    throw new Error("signer key file must hold a hex secp256k1 priv_key");
  const privateKey = Uint8Array.from(Buffer.from(json.priv_key, "hex"));
  return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, true) };
}
