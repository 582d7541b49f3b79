import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import * as btc from "@scure/btc-signer";
import fc from "fast-check";
import { bytesEqual } from "../../../chain/store/bytes";
import { fromHex, toHex } from "../../../light-client/bitcoin/bytes";
import { parseTx } from "../../../light-client/bitcoin/tx";
import type { ReleasePayment } from "../kinds";
import type { ReleaseUtxo } from "./types";
import { parseWithdrawalAddress } from "./address";
import { ReleaseError } from "./errors";
import { DUST_LIMIT } from "./policy";
import { type BitcoinReleaseParams, type BitcoinSweepParams, buildRelease, buildSweep, MAX_SWEEP_INPUTS, RELEASE_SEQUENCE } from "./release";
import { depositWitnessScript, maxSignatures, parseDepositWitnessScript, witnessScriptMembers } from "./script";
import { assembleSignedRelease, releaseSighashes, signReleaseInput, verifyReleaseSignature, witnessSignature } from "./sign";

const N = secp256k1.Point.CURVE().n;
const enc = new TextEncoder();

function key(label: string) {
  const privateKey = sha256(enc.encode(`release test key ${label}`));
  return { privateKey, publicKey: secp256k1.getPublicKey(privateKey, true) };
}

const KEYS = [key("a"), key("b"), key("c")];
const PUBKEYS = KEYS.map((k) => k.publicKey);

function fedScript(weights: number[], threshold: number, recipient = new Uint8Array(20)): Uint8Array {
  return depositWitnessScript({ members: weights.map((weight, i) => ({ pubkey: PUBKEYS[i], weight })), threshold }, recipient);
}

const WS_2OF3 = fedScript([1, 1, 1], 2, new Uint8Array(20).fill(7));
const CHANGE_WS = fedScript([1, 1, 1], 2);
const P2WPKH = fromHex("0014751e76e8199196d454941c45d1b3a323f1433bd6");
const P2TR = fromHex("512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
const P2PKH = fromHex("76a914a31c06bd463e3923bc1aadbde48b16976c08071788ac");

function txidOf(n: number): string {
  return toHex(sha256(enc.encode(`utxo ${n}`)));
}

function utxo(n: number, value: bigint, vout = 0, witnessScript = WS_2OF3): ReleaseUtxo {
  return { txid: txidOf(n), vout, value, witnessScript };
}

function input(over: Partial<BitcoinReleaseParams> = {}): BitcoinReleaseParams {
  return {
    utxos: [utxo(1, 1_000_000n), utxo(2, 500_000n)],
    payments: [
      { id: 1, script: P2WPKH, amount: 300_000n },
      { id: 2, script: P2TR, amount: 200_000n },
    ],
    feeRate: 10n,
    maxFee: 100_000n,
    changeWitnessScript: CHANGE_WS,
    signersPerInput: 2,
    ...over,
  };
}

// ------------------------------------------------------------------------------------------------
// Addresses

describe("parseWithdrawalAddress", () => {
  // BIP350 (https://github.com/bitcoin/bips/blob/master/bip-0350.mediawiki) and Bitcoin Core's
  // src/test/data/key_io_valid.json.
  const valid: Array<[string, string, string]> = [
    ["mainnet", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"],
    ["mainnet", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"],
    ["testnet3", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"],
    ["testnet4", "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy", "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"],
    ["testnet3", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"],
    ["mainnet", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"],
    ["mainnet", "1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo", "76a914a31c06bd463e3923bc1aadbde48b16976c08071788ac"],
    ["mainnet", "36j4NfKv6Akva9amjWrLG6MuSQym1GuEmm", "a914373b819a068f32b7a6b38b6b38729647cfde01c287"],
    ["testnet4", "mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", "76a914ce28b26c57472737f5c3561a1761185bd8589a4388ac"],
    ["testnet4", "2NC2hEhe28ULKAJkW5MjZ3jtTMJdvXmByvK", "a914ce0bba75891ff9ec60148d4bd4a09ee2dc5c933187"],
    ["regtest", "n4fajahJrAuKbN7uNsKjLjQkz9Qn5ewJXQ", "76a914fdeca3b08e38af53d7c4c60e3ad208ce5066441088ac"],
    ["regtest", "2MxFajLApXpYk4VodBSZSt7rw8y4ryABkfA", "a91436e9f191e0b75036a77f65e2eaa4752443233fbe87"],
    ["regtest", "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", "00146f58bac9506f9bfb821d62e69330410bb56f0085"],
    ["regtest", "BCRT1QDAVT4J2SD7DLHQSAVTNFXVZPPW6K7QY97TMNU9", "00146f58bac9506f9bfb821d62e69330410bb56f0085"],
    ["regtest", "bcrt1qan8gntac7z7me2ejt4hpru42ad2f759fmy0m3ejvs98656znv7eqga4uhv", "0020ecce89afb8f0bdbcab325d6e11f2aaeb549f50a9d91fb8e64c814faa685367b2"],
    ["regtest", "bcrt1pfwxjqvtt4tcxrtdluukfmy2dv7xd2qzdfy6kajv5nwn4yam3wxkq3553uh", "51204b8d20316baaf061adbfe72c9d914d678cd5004d49356ec9949ba752777171ac"],
    // Base58 testnet addresses are the same on testnet3, testnet4 and regtest.
    ["regtest", "mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", "76a914ce28b26c57472737f5c3561a1761185bd8589a4388ac"],
  ];
  test.each(valid)("%s %s", (network, address, script) => {
    expect(toHex(parseWithdrawalAddress(network as "mainnet", address))).toBe(script);
  });

  const invalid: Array<[string, string, RegExp]> = [
    // BIP350 invalid segwit addresses
    ["testnet3", "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", /not a valid testnet3 address/],
    ["mainnet", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", /must use the bech32m checksum/],
    ["testnet3", "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", /must use the bech32m checksum/],
    ["mainnet", "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", /must use the bech32m checksum/],
    ["mainnet", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", /must use the bech32 checksum/],
    ["testnet3", "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", /must use the bech32 checksum/],
    ["mainnet", "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", /not a valid bech32 address/],
    ["mainnet", "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", /invalid witness version 17/],
    ["mainnet", "bc1pw5dgrnzv", /14 to 90 characters/],
    ["mainnet", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", /41 bytes/],
    ["mainnet", "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", /v0 program must be 20 or 32 bytes/],
    ["testnet3", "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", /mixed-case/],
    ["mainnet", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", /invalid witness program encoding/],
    ["testnet3", "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", /invalid witness program encoding/],
    // Valid BIP350 addresses this peg does not pay: v1 not 32 bytes, v16, v2.
    ["mainnet", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", /only 32-byte witness v1/],
    ["mainnet", "BC1SW50QGDZ25J", /witness version 16 is not accepted/],
    ["mainnet", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", /witness version 2 is not accepted/],
    ["regtest", "bcrt1sx6p8njlx7h9mc2agz4yg82dzne23050ncq72cneeecez2pst8mahn8xecsf8g6hzx94420", /witness version 16 is not accepted/],
    // P2A (bc1pfeessrawgf): a 2-byte v1 program.
    ["mainnet", "bc1pfeessrawgf", /14 to 90|only 32-byte witness v1/],
    // Other networks.
    ["regtest", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", /mainnet address, not regtest/],
    ["regtest", "1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mo", /mainnet address, not regtest/],
    ["regtest", "36j4NfKv6Akva9amjWrLG6MuSQym1GuEmm", /mainnet address, not regtest/],
    ["regtest", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", /testnet3\/testnet4 address, not regtest/],
    ["mainnet", "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", /regtest address, not mainnet/],
    ["mainnet", "mzK2FFDEhxqHcmrJw1ysqFkVyhUULo45hZ", /testnet\/regtest address, not mainnet/],
    ["testnet4", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", /mainnet address, not testnet4/],
    // Corrupted checksums, garbage.
    ["mainnet", "1FsSia9rv4NeEwvJ2GvXrX7LyxYspbN2mp", /not a valid mainnet address/],
    ["regtest", "bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu8", /not a valid bech32 address/],
    ["regtest", "bcrt1QDAVT4J2SD7DLHQSAVTNFXVZPPW6K7QY97TMNU9", /mixed-case/],
    ["regtest", " bcrt1qdavt4j2sd7dlhqsavtnfxvzppw6k7qy97tmnu9", /not a valid regtest address/],
    ["regtest", "", /14 to 90 characters/],
    ["regtest", "x".repeat(91), /14 to 90 characters/],
    ["signet", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", /unknown bitcoin network/],
    ["__proto__", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", /unknown bitcoin network/],
    ["mainnet", "constructor1qw508d6qejxtdg4y5r3zarvary0c5xw7k", /not a valid mainnet address/],
  ];
  test.each(invalid)("refuses %s %s", (network, address, why) => {
    expect(() => parseWithdrawalAddress(network as "mainnet", address)).toThrow(ReleaseError);
    expect(() => parseWithdrawalAddress(network as "mainnet", address)).toThrow(why);
  });

  test("agrees with @scure/btc-signer on the addresses it makes", () => {
    const net = { bech32: "bcrt", pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
    const pk = PUBKEYS[0];
    for (const p of [btc.p2wpkh(pk, net), btc.p2pkh(pk, net), btc.p2wsh(btc.p2pk(pk), net), btc.p2sh(btc.p2pk(pk), net), btc.p2tr(pk.subarray(1), undefined, net)])
      expect(toHex(parseWithdrawalAddress("regtest", p.address!))).toBe(toHex(p.script));
  });
});

// ------------------------------------------------------------------------------------------------
// Witness scripts

describe("deposit witness scripts", () => {
  test("parse back the federation, weights over 16 and all", () => {
    const recipient = new Uint8Array(20).fill(9);
    const ws = fedScript([1000, 17, 2], 1010, recipient);
    const info = parseDepositWitnessScript(ws);
    expect(bytesEqual(info.recipient!, recipient)).toBe(true);
    expect(info.members.map((m) => m.weight)).toEqual([1000, 17, 2]);
    expect(info.threshold).toBe(1010);
    expect(witnessScriptMembers(ws).map(toHex)).toEqual(PUBKEYS.map(toHex));
    expect(witnessScriptMembers(depositWitnessScript({ members: [{ pubkey: PUBKEYS[1], weight: 1 }], threshold: 1 }, recipient))).toHaveLength(1);
  });

  test("refuse anything else", () => {
    const ws = WS_2OF3;
    expect(() => parseDepositWitnessScript(ws.subarray(0, ws.length - 1))).toThrow(/not a federation witness script/);
    expect(() => parseDepositWitnessScript(Uint8Array.of(...ws, 0x75))).toThrow(/trailing bytes/);
    const changed = ws.slice();
    changed[22] ^= 1; // first byte after DROP: the 0x21 push of pk_1
    expect(() => parseDepositWitnessScript(changed)).toThrow(/public key/);
    expect(() => parseDepositWitnessScript(btc.p2ms(2, PUBKEYS).script)).toThrow(/not a federation witness script/);
    expect(() => parseDepositWitnessScript(new Uint8Array())).toThrow(/1 to 3600/);
    // A non-minimal weight (push of 0x01 instead of OP_1).
    const hex = toHex(ws).replace("ac6351670068", "ac630101670068");
    expect(() => parseDepositWitnessScript(fromHex(hex))).toThrow(/canonical/);
  });

  test("maxSignatures: a bound on the signatures a minimal-prefix witness carries", () => {
    expect(maxSignatures(fedScript([1, 1, 1], 2))).toBe(2);
    // Order-independent upper bound: were the weight-2 member last, 1 + 1 + 2 could all be needed.
    expect(maxSignatures(fedScript([2, 1, 1], 3))).toBe(3);
    expect(maxSignatures(fedScript([2, 2, 1], 3))).toBe(2);
    expect(maxSignatures(fedScript([5, 1, 1], 5))).toBe(3);
    expect(maxSignatures(fedScript([1, 1, 1], 3))).toBe(3);
  });
});

// ------------------------------------------------------------------------------------------------
// Building

describe("buildRelease", () => {
  test("the transaction: version 2, RBF sequences, locktime, payments then change", () => {
    const r = buildRelease(input({ locktime: 800_000 }));
    const tx = parseTx(r.tx);
    expect(tx.hasWitness).toBe(false);
    expect(tx.version).toBe(2);
    expect(tx.locktime).toBe(800_000);
    expect(tx.inputs.every((i) => i.sequence === RELEASE_SEQUENCE && i.scriptSig.length === 0)).toBe(true);
    expect(r.inputs.map((u) => u.txid)).toEqual([txidOf(1)]);
    expect(tx.outputs.map((o) => toHex(o.scriptPubKey))).toEqual([toHex(P2WPKH), toHex(P2TR), toHex(btc.OutScript.encode({ type: "wsh", hash: sha256(CHANGE_WS) }))]);
    expect(r.outputs.map((o) => o.paymentId)).toEqual([1, 2, undefined]);
    expect(r.change).toEqual({ vout: 2, value: 500_000n });
    expect(r.fee).toBe(10n * BigInt(r.vsize));
    expect(r.feeShares[0] + r.feeShares[1]).toBe(r.fee);
    expect(tx.outputs[0].value).toBe(300_000n - r.feeShares[0]);
    expect(tx.outputs[1].value).toBe(200_000n - r.feeShares[1]);
    expect(r.txid).toBe(btc.Transaction.fromRaw(r.tx, { allowUnknownOutputs: true }).id);
    expect(parseTx(buildRelease(input()).tx).locktime).toBe(0);
  });

  test("is deterministic: same input, byte-identical release, whatever the UTXO order", () => {
    const utxos = [utxo(1, 70_000n), utxo(2, 90_000n, 1), utxo(3, 90_000n, 0), utxo(4, 500_000n), utxo(2, 90_000n, 0)];
    const a = buildRelease(input({ utxos, payments: [{ id: 5, script: P2PKH, amount: 700_000n }] }));
    const b = buildRelease(input({ utxos: [...utxos].reverse(), payments: [{ id: 5, script: P2PKH, amount: 700_000n }] }));
    expect(toHex(b.tx)).toBe(toHex(a.tx));
    expect(b).toEqual(a);
    expect(toHex(buildRelease(input()).tx)).toBe(toHex(buildRelease(input()).tx));
  });

  // Value descending, then txid ascending (display hex), then vout ascending; stop once the amounts are covered.
  const t = [txidOf(1), txidOf(2), txidOf(3)].sort();
  const u = (txid: string, vout: number, value: bigint): ReleaseUtxo => ({ txid, vout, value, witnessScript: WS_2OF3 });
  test.each<[string, ReleaseUtxo[], bigint, string[]]>([
    ["largest first", [u(t[0], 0, 10_000n), u(t[1], 0, 50_000n), u(t[2], 0, 20_000n)], 40_000n, [`${t[1]}:0`]],
    ["then the next largest", [u(t[0], 0, 10_000n), u(t[1], 0, 50_000n), u(t[2], 0, 20_000n)], 60_000n, [`${t[1]}:0`, `${t[2]}:0`]],
    ["all of them", [u(t[0], 0, 10_000n), u(t[1], 0, 50_000n), u(t[2], 0, 20_000n)], 80_000n, [`${t[1]}:0`, `${t[2]}:0`, `${t[0]}:0`]],
    ["equal values: txid ascending", [u(t[2], 0, 30_000n), u(t[0], 0, 30_000n), u(t[1], 0, 30_000n)], 60_000n, [`${t[0]}:0`, `${t[1]}:0`]],
    ["same txid: vout ascending", [u(t[1], 3, 30_000n), u(t[1], 1, 30_000n), u(t[0], 9, 30_000n)], 60_000n, [`${t[0]}:9`, `${t[1]}:1`]],
    ["exact amount, no change", [u(t[0], 0, 10_000n), u(t[1], 0, 20_000n)], 20_000n, [`${t[1]}:0`]],
  ])("coin selection: %s", (_, utxos, amount, want) => {
    const r = buildRelease(input({ utxos, payments: [{ id: 1, script: P2WPKH, amount }], feeRate: 1n }));
    expect(r.inputs.map((x) => `${x.txid}:${x.vout}`)).toEqual(want);
    const tx = parseTx(r.tx);
    expect(tx.inputs.map((i) => `${toHex(i.prevTxid.slice().reverse())}:${i.prevIndex}`)).toEqual(want);
  });

  test("not enough funds", () => {
    expect(() => buildRelease(input({ payments: [{ id: 1, script: P2WPKH, amount: 1_500_001n }] }))).toThrow(/insufficient reserve: the payments need 1500001 sats, the 2 UTXOs hold 1500000/);
    expect(() => buildRelease(input({ utxos: [] }))).toThrow(/insufficient reserve/);
    // Exactly enough is enough: the payments pay the fee.
    const r = buildRelease(input({ payments: [{ id: 1, script: P2WPKH, amount: 1_500_000n }] }));
    expect(r.change).toBeUndefined();
    expect(r.outputs).toHaveLength(1);
    expect(r.outputs[0].value).toBe(1_500_000n - r.fee);
  });

  test("the fee is feeRate × estimated vsize, capped at maxFee", () => {
    const free = buildRelease(input({ feeRate: 1n }));
    expect(free.fee).toBe(BigInt(free.vsize));
    const capped = buildRelease(input({ feeRate: 1000n, maxFee: 12_345n }));
    expect(capped.fee).toBe(12_345n);
    expect(capped.feeShares).toEqual([6_173n, 6_172n]);
    expect(toHex(capped.tx)).not.toBe(toHex(free.tx));
    expect(buildRelease(input({ feeRate: 0n })).fee).toBe(0n);
    expect(buildRelease(input({ maxFee: 0n })).fee).toBe(0n);
  });

  test("fee shares: equal, the remainder one sat each to the first payments", () => {
    const payments: ReleasePayment[] = [1, 2, 3, 4].map((id) => ({ id, script: P2WPKH, amount: 10_000n }));
    const r = buildRelease(input({ payments, feeRate: 1000n, maxFee: 1003n }));
    expect(r.feeShares).toEqual([251n, 251n, 251n, 250n]);
    expect(r.outputs.slice(0, 4).map((o) => o.value)).toEqual([9_749n, 9_749n, 9_749n, 9_750n]);
    const tiny = buildRelease(input({ payments, feeRate: 1000n, maxFee: 2n }));
    expect(tiny.feeShares).toEqual([1n, 1n, 0n, 0n]);
  });

  test("refuses a payment that would fall below the dust limit after its fee share", () => {
    const ok = buildRelease(input({ payments: [{ id: 7, script: P2WPKH, amount: 1_546n }], feeRate: 1000n, maxFee: 1_000n }));
    expect(ok.outputs[0].value).toBe(DUST_LIMIT);
    expect(() => buildRelease(input({ payments: [{ id: 7, script: P2WPKH, amount: 1_545n }], feeRate: 1000n, maxFee: 1_000n }))).toThrow(
      /withdrawal 7: 1545 sats minus its fee share 1000 leaves 545, below the dust limit 546/,
    );
    expect(() => buildRelease(input({ payments: [{ id: 8, script: P2WPKH, amount: 545n }], feeRate: 0n }))).toThrow(/withdrawal 8/);
  });

  test("pays what fits in one standard transaction, in order, and leaves the rest for later", () => {
    const payments = Array.from({ length: 4000 }, (_, i) => ({ id: i, script: P2WPKH, amount: 100_000n }));
    const r = buildRelease(input({ payments, utxos: [utxo(1, 10n ** 9n)], feeRate: 1n }));
    const paid = r.outputs.flatMap((o) => (o.paymentId === undefined ? [] : [o.paymentId]));
    expect(paid.length).toBeGreaterThan(100);
    expect(paid.length).toBeLessThan(4000);
    expect(paid).toEqual(paid.map((_, i) => i));
    expect(r.vsize * 4).toBeLessThanOrEqual(400_000);
  });

  test("skips a payment the reserve cannot cover and pays the ones after it", () => {
    const payments = [
      { id: 1, script: P2WPKH, amount: 5_000_000n },
      { id: 2, script: P2WPKH, amount: 200_000n },
    ];
    const r = buildRelease(input({ payments, utxos: [utxo(1, 300_000n)], feeRate: 1n }));
    expect(r.outputs.map((o) => o.paymentId)).toEqual([2, undefined]);
  });

  test("takes one more input rather than give change below dust to the miner", () => {
    const r = buildRelease(input({ payments: [{ id: 1, script: P2WPKH, amount: 100_000n }], utxos: [utxo(1, 100_300n), utxo(2, 50_000n)], feeRate: 1n }));
    expect(r.inputs).toHaveLength(2);
    expect(r.change).toEqual({ vout: 1, value: 50_300n });
  });

  test("change below the dust limit goes to the miner when no input is left; at the limit it is an output", () => {
    const payments = (amount: bigint) => [{ id: 1, script: P2WPKH, amount }];
    const noChange = buildRelease(input({ utxos: [utxo(1, 100_545n)], payments: payments(100_000n), feeRate: 2n }));
    expect(noChange.change).toBeUndefined();
    expect(noChange.outputs).toHaveLength(1);
    const tx = parseTx(noChange.tx);
    expect(100_545n - tx.outputs[0].value).toBe(noChange.fee + 545n);
    const change = buildRelease(input({ utxos: [utxo(1, 100_546n)], payments: payments(100_000n), feeRate: 2n }));
    expect(change.change).toEqual({ vout: 1, value: 546n });
    // The change output makes the transaction bigger, hence a larger fee.
    expect(change.vsize).toBe(noChange.vsize + 43);
    expect(change.fee).toBe(noChange.fee + 86n);
  });

  test.each<[string, Partial<BitcoinReleaseParams>, RegExp]>([
    ["no payments", { payments: [] }, /no payments/],
    ["zero amount", { payments: [{ id: 1, script: P2WPKH, amount: 0n }] }, /amount must be/],
    ["negative id", { payments: [{ id: -1, script: P2WPKH, amount: 1000n }] }, /id must be/],
    ["empty script", { payments: [{ id: 1, script: new Uint8Array(), amount: 1000n }] }, /output script/],
    ["number amount", { payments: [{ id: 1, script: P2WPKH, amount: 1000 as unknown as bigint }] }, /amount must be a bigint/],
    ["negative fee rate", { feeRate: -1n }, /feeRate/],
    ["negative max fee", { maxFee: -1n }, /maxFee/],
    ["no signers", { signersPerInput: 0 }, /signersPerInput must be/],
    ["more signers than members", { signersPerInput: 4 }, /signersPerInput 4 is more than the 3 members/],
    ["bad locktime", { locktime: 2 ** 32 }, /locktime/],
    ["uppercase txid", { utxos: [{ ...utxo(1, 1_000_000n), txid: txidOf(1).toUpperCase() }] }, /txid must be 64 lowercase hex/],
    ["duplicate utxo", { utxos: [utxo(1, 1_000_000n), utxo(1, 1_000_000n)] }, /listed twice/],
    ["zero-value utxo", { utxos: [utxo(1, 0n)] }, /value must be/],
    ["foreign witness script", { utxos: [utxo(1, 1_000_000n, 0, btc.p2ms(2, PUBKEYS).script)] }, /not a federation witness script/],
    ["bad change script", { changeWitnessScript: Uint8Array.of(0x51) }, /not a federation witness script/],
    ["a payment needing more than 250 inputs", { payments: [{ id: 1, script: P2WPKH, amount: 260_000n }], utxos: Array.from({ length: 300 }, (_, i) => utxo(i + 1, 1_000n)) }, /needs? 26\d inputs, more than 250/],
  ])("refuses: %s", (_, over, why) => {
    expect(() => buildRelease(input(over))).toThrow(why);
  });

  test("property: balanced, payments above dust, fee within maxFee plus sub-dust change, deterministic", () => {
    let built = 0;
    const arbUtxo = fc.record({ n: fc.integer({ min: 0, max: 30 }), vout: fc.integer({ min: 0, max: 3 }), value: fc.bigInt({ min: 1n, max: 50_000_000n }) });
    fc.assert(
      fc.property(
        fc.uniqueArray(arbUtxo, { minLength: 0, maxLength: 8, selector: (x) => `${x.n}:${x.vout}` }),
        fc.array(fc.record({ amount: fc.bigInt({ min: 1n, max: 20_000_000n }), kind: fc.constantFrom(P2WPKH, P2TR, P2PKH) }), { minLength: 1, maxLength: 6 }),
        fc.bigInt({ min: 0n, max: 200n }),
        fc.bigInt({ min: 0n, max: 300_000n }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (us, ps, feeRate, maxFee, signersPerInput, locktime) => {
          const ri: BitcoinReleaseParams = {
            utxos: us.map((x) => utxo(x.n, x.value, x.vout)),
            payments: ps.map((p, i) => ({ id: i, script: p.kind, amount: p.amount })),
            feeRate,
            maxFee,
            changeWitnessScript: CHANGE_WS,
            signersPerInput,
            locktime,
          };
          let r;
          try {
            r = buildRelease(ri);
          } catch (e) {
            expect(e).toBeInstanceOf(ReleaseError);
            expect((e as Error).message).toMatch(/insufficient reserve|below the dust limit|more than 250/);
            return;
          }
          built++;
          const tx = parseTx(r.tx);
          // The payments it pays: a subsequence of those given, in their order.
          const paidIds = r.outputs.flatMap((o) => (o.paymentId === undefined ? [] : [o.paymentId]));
          const payments = ri.payments.filter((p) => paidIds.includes(p.id));
          expect(payments.map((p) => p.id)).toEqual(paidIds);
          expect(payments.length).toBeGreaterThan(0);
          const inSum = r.inputs.reduce((s, x) => s + x.value, 0n);
          const outSum = tx.outputs.reduce((s, o) => s + o.value, 0n);
          const paid = payments.reduce((s, p) => s + p.amount, 0n);
          const changeLeft = inSum - paid;
          const actualFee = inSum - outSum;
          expect(actualFee).toBe(r.fee + (r.change === undefined ? changeLeft : 0n));
          expect(actualFee <= maxFee + DUST_LIMIT - 1n).toBe(true);
          expect(r.fee <= maxFee && r.fee <= feeRate * BigInt(r.vsize)).toBe(true);
          expect(r.feeShares.reduce((s, x) => s + x, 0n)).toBe(r.fee);
          payments.forEach((p, i) => {
            expect(tx.outputs[i].value).toBe(p.amount - r.feeShares[i]);
            expect(tx.outputs[i].value >= DUST_LIMIT).toBe(true);
          });
          expect(tx.outputs.length).toBe(payments.length + (r.change ? 1 : 0));
          if (r.change) expect(r.change.value).toBe(changeLeft);
          // Minimal selection: without the last input the payments would not be covered, or it was
          // taken only to keep the change from falling below dust.
          const withoutLast = inSum - r.inputs[r.inputs.length - 1].value;
          expect(withoutLast < paid || (withoutLast - paid > 0n && withoutLast - paid < DUST_LIMIT)).toBe(true);
          expect(toHex(buildRelease({ ...ri, utxos: [...ri.utxos].reverse() }).tx)).toBe(toHex(r.tx));
          // A signer's rebuild from exactly its inputs and the payments it pays gives the same bytes.
          expect(toHex(buildRelease({ ...ri, utxos: r.inputs, payments }).tx)).toBe(toHex(r.tx));
        },
      ),
      { numRuns: 300, seed: 20240601 },
    );
    // Most cases build (the others are refused for the two legitimate reasons).
    expect(built).toBeGreaterThan(150);
  });
});

// ------------------------------------------------------------------------------------------------
// Sweeps

/** The next federation's reserve script: other keys, weights 2, 1, 1, threshold 3. */
const NEXT_WS = depositWitnessScript({ members: [key("x"), key("y"), key("z")].map((k, i) => ({ pubkey: k.publicKey, weight: i === 0 ? 2 : 1 })), threshold: 3 }, new Uint8Array(20));

function sweepInput(over: Partial<BitcoinSweepParams> = {}): BitcoinSweepParams {
  return { utxos: [utxo(1, 200_000n), utxo(2, 600_000n), utxo(3, 200_000n, 1)], feeRate: 10n, maxFee: 100_000n, changeWitnessScript: NEXT_WS, signersPerInput: 2, ...over };
}

describe("buildSweep", () => {
  test("one output to the next federation worth Σ inputs − fee, inputs in coin-selection order", () => {
    const r = buildSweep(sweepInput());
    expect(r.inputs.map((u) => [u.txid, u.vout, u.value])).toEqual([
      [txidOf(2), 0, 600_000n],
      ...[[txidOf(1), 0, 200_000n] as const, [txidOf(3), 1, 200_000n] as const].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    ]);
    expect(r.outputs).toHaveLength(1);
    expect(toHex(r.outputs[0].script)).toBe(toHex(btc.OutScript.encode({ type: "wsh", hash: sha256(NEXT_WS) })));
    expect(r.outputs[0].value + r.fee).toBe(1_000_000n);
    expect(r.fee).toBe(10n * BigInt(r.vsize));
    expect(r.change).toEqual({ vout: 0, value: r.outputs[0].value });
    expect(r.feeShares).toEqual([]);
    const tx = parseTx(r.tx);
    expect(tx.inputs.every((i) => i.sequence === RELEASE_SEQUENCE)).toBe(true);
    expect(tx.outputs).toHaveLength(1);
    // deterministic whatever the order given
    expect(toHex(buildSweep(sweepInput({ utxos: [...sweepInput().utxos].reverse() })).tx)).toBe(toHex(r.tx));
  });

  test("the fee is capped at maxFee; an output below dust after the fee is refused", () => {
    expect(buildSweep(sweepInput({ feeRate: 1000n, maxFee: 5_000n })).fee).toBe(5_000n);
    const one = buildSweep(sweepInput({ utxos: [utxo(1, 100_000n)] }));
    const value = BigInt(one.vsize) * 10n + DUST_LIMIT;
    expect(buildSweep(sweepInput({ utxos: [utxo(1, value)] })).outputs[0].value).toBe(DUST_LIMIT);
    expect(() => buildSweep(sweepInput({ utxos: [utxo(1, value - 1n)] }))).toThrow(/below the dust limit 546/);
  });

  test(`at most ${MAX_SWEEP_INPUTS} inputs (the largest), fewer while over the standard weight`, () => {
    const many = Array.from({ length: 150 }, (_, i) => utxo(100 + i, 10_000n + BigInt(i)));
    const r = buildSweep(sweepInput({ utxos: many }));
    expect(r.inputs).toHaveLength(MAX_SWEEP_INPUTS);
    expect(r.inputs[0].value).toBe(10_149n);
    expect(r.inputs[MAX_SWEEP_INPUTS - 1].value).toBe(10_050n);
    expect(buildSweep(sweepInput({ utxos: many, maxInputs: 7 })).inputs).toHaveLength(7);
    // a federation with a large script: 100 of its inputs would weigh more than 400,000
    const big = Array.from({ length: 70 }, (_, i) => key(`big ${i}`).publicKey);
    const bigWs = depositWitnessScript({ members: big.map((pubkey) => ({ pubkey, weight: 1 })), threshold: 36 }, new Uint8Array(20));
    const heavy = buildSweep(sweepInput({ utxos: many.map((u) => ({ ...u, witnessScript: bigWs })), signersPerInput: 36 }));
    expect(heavy.inputs.length).toBeLessThan(MAX_SWEEP_INPUTS);
    expect(heavy.vsize * 4).toBeLessThanOrEqual(400_000);
    expect(heavy.inputs.map((u) => u.value)).toEqual(many.map((u) => u.value).sort((a, b) => (a > b ? -1 : 1)).slice(0, heavy.inputs.length));
  });

  test.each<[string, Partial<BitcoinSweepParams>, RegExp]>([
    ["no utxos", { utxos: [] }, /nothing to sweep/],
    ["maxInputs over the cap", { maxInputs: MAX_SWEEP_INPUTS + 1 }, /maxInputs must be/],
    ["duplicate utxo", { utxos: [utxo(1, 1_000_000n), utxo(1, 1_000_000n)] }, /listed twice/],
    ["bad change script", { changeWitnessScript: Uint8Array.of(0x51) }, /not a federation witness script/],
    ["more signers than members", { signersPerInput: 4 }, /signersPerInput 4 is more than the 3 members/],
  ])("refuses: %s", (_, over, why) => {
    expect(() => buildSweep(sweepInput(over))).toThrow(why);
  });

  test("signed by the old federation, assembled like any release", () => {
    const r = buildSweep(sweepInput());
    const sigs = releaseSighashes(r).map((h) => new Map([0, 2].map((j) => [j, signReleaseInput(KEYS[j].privateKey, h)] as [number, Uint8Array])));
    const raw = assembleSignedRelease(r, PUBKEYS, sigs);
    expect(parseTx(raw).inputs.every((i) => i.witness.length === 4)).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------
// Sighashes and signatures

describe("sighashes and signatures", () => {
  test("BIP143 digests equal @scure/btc-signer's preimageWitnessV0", () => {
    const r = buildRelease(
      input({
        utxos: [utxo(1, 300_000n, 2), utxo(2, 300_000n, 0), utxo(3, 123_456n, 5, fedScript([2, 1, 1], 3))],
        payments: [{ id: 9, script: P2PKH, amount: 650_000n }],
        locktime: 1234,
      }),
    );
    expect(r.inputs).toHaveLength(3);
    const hashes = releaseSighashes(r);
    const scure = btc.Transaction.fromRaw(r.tx, { allowUnknownOutputs: true });
    r.inputs.forEach((u, i) => {
      expect(toHex(hashes[i])).toBe(toHex(scure.preimageWitnessV0(i, u.witnessScript, btc.SigHash.ALL, u.value)));
    });
    // Each input's digest commits to its own script and amount.
    expect(new Set(hashes.map(toHex)).size).toBe(3);
  });

  test("releaseSighashes checks the release against its transaction", () => {
    const r = buildRelease(input());
    expect(() => releaseSighashes({ ...r, txid: "00".repeat(32) })).toThrow(/does not match/);
    expect(() => releaseSighashes({ ...r, inputs: [utxo(2, 1_000_000n)] })).toThrow(/spends something else/);
    expect(() => releaseSighashes({ ...r, inputs: [] })).toThrow(/lists 0 inputs/);
    expect(() => releaseSighashes({ ...r, tx: r.tx.subarray(1) })).toThrow(/release transaction does not parse/);
  });

  test("sign: 64-byte compact, low-S, deterministic; verify refuses high-S, other keys, other digests", () => {
    const digest = sha256(enc.encode("digest"));
    for (const k of KEYS) {
      const sig = signReleaseInput(k.privateKey, digest);
      expect(sig).toHaveLength(64);
      expect(toHex(signReleaseInput(k.privateKey, digest))).toBe(toHex(sig));
      const s = BigInt("0x" + toHex(sig.subarray(32)));
      expect(s <= N / 2n).toBe(true);
      expect(verifyReleaseSignature(k.publicKey, digest, sig)).toBe(true);
      // The same signature with S negated: valid ECDSA, refused as malleable.
      const high = sig.slice();
      high.set(fromHex((N - s).toString(16).padStart(64, "0")), 32);
      expect(secp256k1.verify(high, digest, k.publicKey, { prehash: false, lowS: false })).toBe(true);
      expect(verifyReleaseSignature(k.publicKey, digest, high)).toBe(false);
      // Not a hash of the digest: the digest is the message hash itself.
      expect(secp256k1.verify(sig, digest, k.publicKey, { prehash: false })).toBe(true);
      expect(secp256k1.verify(sig, digest, k.publicKey, { prehash: true })).toBe(false);
    }
    const sig = signReleaseInput(KEYS[0].privateKey, digest);
    expect(verifyReleaseSignature(KEYS[1].publicKey, digest, sig)).toBe(false);
    expect(verifyReleaseSignature(KEYS[0].publicKey, sha256(digest), sig)).toBe(false);
    expect(verifyReleaseSignature(KEYS[0].publicKey, digest, new Uint8Array(64))).toBe(false);
    expect(verifyReleaseSignature(KEYS[0].publicKey, digest, new Uint8Array(64).fill(0xff))).toBe(false);
    const badKey = KEYS[0].publicKey.slice();
    badKey[0] = 4;
    expect(verifyReleaseSignature(badKey, digest, sig)).toBe(false);
    expect(() => verifyReleaseSignature(KEYS[0].publicKey, digest, sig.subarray(1))).toThrow(/signature must be 64 bytes/);
    expect(() => verifyReleaseSignature(KEYS[0].publicKey.subarray(1), digest, sig)).toThrow(/public key must be 33 bytes/);
    expect(() => verifyReleaseSignature(KEYS[0].publicKey, digest.subarray(1), sig)).toThrow(/sighash must be 32 bytes/);
    expect(() => signReleaseInput(KEYS[0].privateKey, digest.subarray(1))).toThrow(/sighash must be 32 bytes/);
  });

  test("witnessSignature: strict DER plus SIGHASH_ALL", () => {
    const sig = signReleaseInput(KEYS[0].privateKey, sha256(enc.encode("x")));
    const w = witnessSignature(sig);
    expect(w[w.length - 1]).toBe(1);
    expect(w[0]).toBe(0x30);
    expect(w[1]).toBe(w.length - 3);
    expect(toHex(secp256k1.Signature.fromBytes(w.subarray(0, -1), "der").toBytes("compact"))).toBe(toHex(sig));
  });
});

// ------------------------------------------------------------------------------------------------
// Assembling, and running the script

/**
 * A tiny interpreter for exactly the opcodes of the deposit script, with segwit v0 rules that matter
 * here (MINIMALIF, NULLFAIL, clean stack, low-S strict DER). The btcd test runs the real thing.
 */
function runWitness(witness: readonly Uint8Array[], sighash: Uint8Array): boolean {
  const script = witness[witness.length - 1];
  const stack: Uint8Array[] = witness.slice(0, -1).map((x) => x.slice());
  const exec: boolean[] = [];
  const num = (b: Uint8Array): number => {
    if (b.length === 0) return 0;
    let v = 0;
    for (let i = b.length - 1; i >= 0; i--) v = v * 256 + (i === b.length - 1 ? b[i] & 0x7f : b[i]);
    return b[b.length - 1] & 0x80 ? -v : v;
  };
  const scriptNum = (n: number): Uint8Array => (n === 0 ? new Uint8Array() : n < 128 ? Uint8Array.of(n) : n < 32768 ? Uint8Array.of(n & 255, n >> 8) : Uint8Array.of(n & 255, (n >> 8) & 255, n >> 16));
  const pop = () => {
    const x = stack.pop();
    if (x === undefined) throw new Error("stack underflow");
    return x;
  };
  let p = 0;
  while (p < script.length) {
    const op = script[p++];
    const active = exec.every((e) => e);
    if (op >= 1 && op <= 75) {
      if (active) stack.push(script.slice(p, p + op));
      p += op;
      continue;
    }
    if (op === 0x63 /* IF */) {
      let v = false;
      if (active) {
        const c = pop();
        if (c.length > 1 || (c.length === 1 && c[0] !== 1)) throw new Error("MINIMALIF");
        v = c.length === 1;
      }
      exec.push(v);
      continue;
    }
    if (op === 0x67 /* ELSE */) {
      exec[exec.length - 1] = !exec[exec.length - 1];
      continue;
    }
    if (op === 0x68 /* ENDIF */) {
      exec.pop();
      continue;
    }
    if (!active) continue;
    if (op === 0x00) stack.push(new Uint8Array());
    else if (op >= 0x51 && op <= 0x60) stack.push(Uint8Array.of(op - 0x50));
    else if (op === 0x75) pop();
    else if (op === 0x7c) {
      const a = pop(), b = pop();
      stack.push(a, b);
    } else if (op === 0x93) stack.push(scriptNum(num(pop()) + num(pop())));
    else if (op === 0xa2) {
      const b = num(pop()), a = num(pop());
      stack.push(a >= b ? Uint8Array.of(1) : new Uint8Array());
    } else if (op === 0xac) {
      const pk = pop(), sig = pop();
      let ok = false;
      if (sig.length > 0) {
        if (sig[sig.length - 1] !== 1) throw new Error("sighash type");
        const s = secp256k1.Signature.fromBytes(sig.subarray(0, -1), "der");
        ok = verifyReleaseSignature(pk, sighash, s.toBytes("compact"));
        if (!ok) throw new Error("NULLFAIL");
      }
      stack.push(ok ? Uint8Array.of(1) : new Uint8Array());
    } else throw new Error(`opcode 0x${op.toString(16)}`);
  }
  return stack.length === 1 && stack[0].some((b) => b !== 0);
}

describe("assembleSignedRelease", () => {
  const sigs = (r: ReturnType<typeof buildRelease>, who: number[], keys = KEYS) =>
    releaseSighashes(r).map((h) => new Map(who.map((j) => [j, signReleaseInput(keys[j].privateKey, h)] as [number, Uint8Array])));

  test.each<[string, number[], number, boolean]>([
    ["2-of-3: members 1 and 2", [0, 1], 2, true],
    ["2-of-3: members 1 and 3", [0, 2], 2, true],
    ["2-of-3: members 2 and 3", [1, 2], 2, true],
    ["2-of-3: all three (the third is left out)", [0, 1, 2], 2, true],
  ])("%s", (_, who, used) => {
    const r = buildRelease(input({ utxos: [utxo(1, 200_000n), utxo(2, 400_000n, 3)] }));
    expect(r.inputs).toHaveLength(2);
    const raw = assembleSignedRelease(r, PUBKEYS, sigs(r, who));
    const tx = parseTx(raw);
    expect(tx.hasWitness).toBe(true);
    const bare = parseTx(r.tx);
    expect(toHex(tx.txid)).toBe(toHex(bare.txid));
    const hashes = releaseSighashes(r);
    tx.inputs.forEach((ti, i) => {
      expect(ti.witness).toHaveLength(4);
      expect(toHex(ti.witness[3])).toBe(toHex(r.inputs[i].witnessScript));
      // [sig_3|<>, sig_2|<>, sig_1|<>, script]
      const present = [2, 1, 0].filter((j) => ti.witness[2 - j].length > 0);
      expect(present.length).toBe(used);
      expect(runWitness(ti.witness, hashes[i])).toBe(true);
    });
    // vsize estimated with 2 worst-case signatures: never below the real one, close to it.
    const weight = tx.strippedSize * 3 + tx.size;
    const real = Math.ceil(weight / 4);
    expect(real).toBeLessThanOrEqual(r.vsize);
    expect(r.vsize - real).toBeLessThanOrEqual(4);
    // And @scure/btc-signer reads it with the same txid.
    expect(btc.Transaction.fromRaw(raw, { allowUnknownOutputs: true }).id).toBe(r.txid);
  });

  test("the script refuses one signature, or signatures in the wrong slots", () => {
    const r = buildRelease(input());
    const [h] = releaseSighashes(r);
    const s0 = witnessSignature(signReleaseInput(KEYS[0].privateKey, h));
    const s1 = witnessSignature(signReleaseInput(KEYS[1].privateKey, h));
    const ws = r.inputs[0].witnessScript;
    const empty = new Uint8Array();
    expect(runWitness([empty, s1, s0, ws], h)).toBe(true);
    expect(runWitness([empty, empty, s0, ws], h)).toBe(false);
    expect(runWitness([empty, empty, empty, ws], h)).toBe(false);
    expect(() => runWitness([empty, s0, s1, ws], h)).toThrow(/NULLFAIL/);
  });

  test("weighted 2,1,1 threshold 3: the weight-2 member and one other", () => {
    const ws = fedScript([2, 1, 1], 3);
    const r = buildRelease(input({ utxos: [utxo(1, 1_000_000n, 0, ws)], changeWitnessScript: ws, signersPerInput: maxSignatures(ws) }));
    for (const who of [[0, 1], [0, 2], [1, 2, 0]]) {
      const raw = assembleSignedRelease(r, PUBKEYS, sigs(r, who));
      expect(runWitness(parseTx(raw).inputs[0].witness, releaseSighashes(r)[0])).toBe(true);
    }
    expect(() => assembleSignedRelease(r, PUBKEYS, sigs(r, [1, 2]))).toThrow(/signatures worth 2, below the threshold 3/);
  });

  test("refuses below threshold, invalid signatures, unknown members, other federations", () => {
    const r = buildRelease(input());
    expect(() => assembleSignedRelease(r, PUBKEYS, sigs(r, [1]))).toThrow(/input 0: signatures worth 1, below the threshold 2/);
    expect(() => assembleSignedRelease(r, PUBKEYS, sigs(r, []))).toThrow(/below the threshold/);
    const swapped = sigs(r, [0, 1]);
    const m = swapped[0];
    const a = m.get(0)!, b = m.get(1)!;
    m.set(0, b).set(1, a);
    expect(() => assembleSignedRelease(r, PUBKEYS, swapped)).toThrow(/the signature of member 0 is invalid/);
    const extra = sigs(r, [0, 1]);
    extra[0].set(3, new Uint8Array(64));
    expect(() => assembleSignedRelease(r, PUBKEYS, extra)).toThrow(/unknown member index 3/);
    expect(() => assembleSignedRelease(r, [PUBKEYS[1], PUBKEYS[0], PUBKEYS[2]], sigs(r, [0, 1]))).toThrow(/not the given federation members/);
    expect(() => assembleSignedRelease(r, PUBKEYS, [])).toThrow(/0 signature sets for 1 inputs/);
    // A high-S signature is refused.
    const high = sigs(r, [0, 1]);
    const sig = high[0].get(0)!.slice();
    const s = BigInt("0x" + toHex(sig.subarray(32)));
    sig.set(fromHex((N - s).toString(16).padStart(64, "0")), 32);
    high[0].set(0, sig);
    expect(() => assembleSignedRelease(r, PUBKEYS, high)).toThrow(/member 0 is invalid/);
  });
});
