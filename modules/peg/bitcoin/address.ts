/**
 * Bitcoin addresses: the networks' address encodings, and the output script a withdrawal pays.
 *
 * Withdrawal addresses (`parseWithdrawalAddress`): P2PKH, P2SH (base58check, version bytes
 *   0x00/0x05 on mainnet, 0x6f/0xc4 on testnet3, testnet4 and regtest, which therefore accept each
 *   other's base58 addresses, as Bitcoin Core does), P2WPKH, P2WSH (segwit v0, bech32, program 20 or
 *   32 bytes) and P2TR (segwit v1, bech32m, program 32 bytes), bech32 prefix bc / tb / bcrt. Any other
 *   network, witness version (including v1 programs that are not 32 bytes, e.g. P2A), checksum
 *   variant, padding, length or mixed case is refused. An all-uppercase bech32 address is valid
 *   (BIP173) and gives the same script. Changing a rule changes which withdrawals every node accepts.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32, bech32m, createBase58check } from "@scure/base";
import { concatBytes } from "../../../chain/store/bytes";
import { fail } from "./errors";

export type BitcoinNetwork = "mainnet" | "testnet3" | "testnet4" | "regtest";

/** Address encodings of the networks the light client knows (Bitcoin Core's chainparams). */
export const ADDRESS_NETWORKS: Readonly<Record<BitcoinNetwork, { bech32: string; pubKeyHash: number; scriptHash: number; wif: number }>> = {
  mainnet: { bech32: "bc", pubKeyHash: 0x00, scriptHash: 0x05, wif: 0x80 },
  testnet3: { bech32: "tb", pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
  testnet4: { bech32: "tb", pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
  regtest: { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef },
};

export function addressNetwork(network: string) {
  // Own keys only: "constructor" or "__proto__" must not find Object's.
  const n = Object.hasOwn(ADDRESS_NETWORKS, network) ? ADDRESS_NETWORKS[network as BitcoinNetwork] : undefined;
  if (n === undefined) throw new Error(`unknown bitcoin network ${JSON.stringify(network)} (known: ${Object.keys(ADDRESS_NETWORKS).join(", ")})`);
  return n;
}

const NETWORKS: readonly string[] = Object.keys(ADDRESS_NETWORKS);
const BECH32_PREFIXES: Record<string, string> = { bc: "mainnet", tb: "testnet3/testnet4", bcrt: "regtest" };
const base58check = createBase58check(sha256);

/** The output script of a withdrawal address of exactly `network` (see the rules at the top). */
export function parseWithdrawalAddress(network: BitcoinNetwork, address: string): Uint8Array {
  if (!NETWORKS.includes(network)) fail(`unknown bitcoin network ${JSON.stringify(network)} (known: ${NETWORKS.join(", ")})`);
  const net = addressNetwork(network);
  if (typeof address !== "string") fail("address must be a string");
  // Longest valid form: a bech32 address of 90 characters; base58 ones are at most 35.
  if (address.length < 14 || address.length > 90) fail(`address must be 14 to 90 characters, got ${address.length}`);
  const lower = address.toLowerCase();
  const sep = lower.lastIndexOf("1");
  const hrp = sep > 0 ? lower.slice(0, sep) : "";
  if (Object.hasOwn(BECH32_PREFIXES, hrp)) {
    if (hrp !== net.bech32) fail(`${address} is a ${BECH32_PREFIXES[hrp]} address, not ${network}`);
    return segwitScript(address);
  }
  return base58Script(network, net, address);
}

function segwitScript(address: string): Uint8Array {
  let words: number[];
  let variant: "bech32" | "bech32m";
  try {
    words = bech32.decode(address as `${string}1${string}`, 90).words;
    variant = "bech32";
  } catch (e1) {
    try {
      words = bech32m.decode(address as `${string}1${string}`, 90).words;
      variant = "bech32m";
    } catch {
      fail(`${address} is not a valid bech32 address: ${(e1 as Error).message}`);
    }
  }
  if (words.length === 0) fail(`${address} has an empty data part`);
  const version = words[0];
  if (version > 16) fail(`${address}: invalid witness version ${version}`);
  if (version === 0 && variant !== "bech32") fail(`${address}: a witness v0 address must use the bech32 checksum, not bech32m`);
  if (version !== 0 && variant !== "bech32m") fail(`${address}: a witness v${version} address must use the bech32m checksum, not bech32`);
  let program: Uint8Array;
  try {
    program = bech32.fromWords(words.slice(1));
  } catch (e) {
    fail(`${address}: invalid witness program encoding (${(e as Error).message})`);
  }
  if (program.length < 2 || program.length > 40) fail(`${address}: witness program of ${program.length} bytes (must be 2 to 40)`);
  if (version === 0) {
    if (program.length !== 20 && program.length !== 32) fail(`${address}: a witness v0 program must be 20 or 32 bytes, got ${program.length}`);
    return concatBytes(Uint8Array.of(0x00, program.length), program);
  }
  if (version === 1) {
    if (program.length !== 32) fail(`${address}: only 32-byte witness v1 programs (P2TR) are accepted, got ${program.length} bytes`);
    return concatBytes(Uint8Array.of(0x51, 0x20), program);
  }
  fail(`${address}: witness version ${version} is not accepted (only v0 and v1)`);
}

function base58Script(network: string, net: { pubKeyHash: number; scriptHash: number }, address: string): Uint8Array {
  let data: Uint8Array;
  try {
    data = base58check.decode(address);
  } catch (e) {
    fail(`${address} is not a valid ${network} address (neither its bech32 nor base58check): ${(e as Error).message}`);
  }
  if (data.length !== 21) fail(`${address}: base58check payload of ${data.length} bytes, must be 21`);
  const hash = data.subarray(1);
  if (data[0] === net.pubKeyHash) return concatBytes(Uint8Array.of(0x76, 0xa9, 0x14), hash, Uint8Array.of(0x88, 0xac));
  if (data[0] === net.scriptHash) return concatBytes(Uint8Array.of(0xa9, 0x14), hash, Uint8Array.of(0x87));
  const other = [0x00, 0x05].includes(data[0]) ? "mainnet" : [0x6f, 0xc4].includes(data[0]) ? "testnet/regtest" : undefined;
  fail(other ? `${address} is a ${other} address, not ${network}` : `${address}: unknown base58 version byte 0x${data[0].toString(16).padStart(2, "0")}`);
}
