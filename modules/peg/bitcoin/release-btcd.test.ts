/**
 * Releases checked by a real Bitcoin node: deposits to federation P2WSH scripts on a btcd regtest
 * chain, spent by releases built, signed and assembled by ./release. btcd runs the witness scripts
 * (consensus and standardness: MINIMALIF, NULLFAIL, low S, clean stack) when it accepts them into its
 * mempool. btcd must have been built by `npm run deps`.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import * as btc from "@scure/btc-signer";
import { fromHex, toHex } from "../../../light-client/bitcoin/bytes";
import { encodeTx, parseTx } from "../../../light-client/bitcoin/tx";
import { REGTEST_NETWORK, spendCoinbase, TEST_ADDRESS, testKey } from "../../../test/support/btc-wallet";
import { type BtcdNode, startBtcd } from "../../../test/support/btcd";
import type { ReleaseUtxo } from "./types";
import { parseWithdrawalAddress } from "./address";
import { type BitcoinRelease, buildRelease, buildSweep } from "./release";
import { depositWitnessScript, maxSignatures } from "./script";
import { assembleSignedRelease, releaseSighashes, signReleaseInput, witnessSignature } from "./sign";

jest.setTimeout(120_000);

const keysA = [0, 1, 2].map((i) => testKey(`release fed A ${i}`));
const keysB = [0, 1, 2].map((i) => testKey(`release fed B ${i}`));
const fedA = { members: keysA.map((k) => ({ pubkey: k.publicKey, weight: 1 })), threshold: 2 };
const fedB = { members: keysB.map((k, i) => ({ pubkey: k.publicKey, weight: i === 0 ? 2 : 1 })), threshold: 3 };
const recipient = (n: number) => new Uint8Array(20).fill(n);
const ZERO = new Uint8Array(20);

function p2wsh(ws: Uint8Array): Uint8Array {
  return btc.OutScript.encode({ type: "wsh", hash: sha256(ws) });
}

function sign(release: BitcoinRelease, keys: { privateKey: Uint8Array }[], who: number[]) {
  return releaseSighashes(release).map((h) => new Map(who.map((j) => [j, signReleaseInput(keys[j].privateKey, h)] as [number, Uint8Array])));
}

/** A witness with the given members' signatures and no threshold check (what assembleSignedRelease refuses to build). */
function forge(release: BitcoinRelease, keys: { privateKey: Uint8Array }[], who: number[]): Uint8Array {
  const tx = parseTx(release.tx);
  const hashes = releaseSighashes(release);
  const inputs = tx.inputs.map((ti, i) => {
    const items = keys.map((k, j) => (who.includes(j) ? witnessSignature(signReleaseInput(k.privateKey, hashes[i])) : new Uint8Array()));
    return { ...ti, witness: [...items.reverse(), release.inputs[i].witnessScript] };
  });
  return encodeTx({ ...tx, inputs });
}

/** btcd's refusal without the witness dump: "RPC error -25: TX rejected: ... - <script error>". */
function reason(err: unknown): string {
  expect(err).toBeInstanceOf(Error);
  const m = (err as Error).message;
  const code = /RPC error -?\d+: TX rejected/.exec(m)?.[0] ?? m.slice(0, 80);
  const why = / - ([^(]+) \(input witness/.exec(m)?.[1] ?? m;
  return `${code}: ${why}`;
}

describe("releases on btcd regtest", () => {
  let node: BtcdNode;
  const results: string[] = [];

  beforeAll(async () => {
    node = await startBtcd({ miningAddress: TEST_ADDRESS });
    // 104 blocks: the coinbases of heights 1..5 can be spent in the next block.
    await node.mine(104);
  });

  afterAll(async () => {
    await node?.remove();
    // eslint-disable-next-line no-console
    if (results.length > 0) console.log(results.join("\n"));
  });

  async function deposit(ws: Uint8Array, amount: bigint): Promise<ReleaseUtxo> {
    const sp = await spendCoinbase({ rpc: node.rpc, toScript: p2wsh(ws), amount });
    return { txid: sp.txid, vout: sp.vout, value: amount, witnessScript: ws };
  }

  async function sats(txid: string, vout: number): Promise<{ value: bigint; script: string } | null> {
    const o = await node.rpc.getTxOut(txid, vout);
    return o === null ? null : { value: BigInt(Math.round(o.value * 1e8)), script: o.scriptPubKey.hex };
  }

  async function accepted(raw: Uint8Array, release: BitcoinRelease, label: string): Promise<void> {
    const txid = await node.rpc.sendRawTransaction(raw);
    expect(txid).toBe(release.txid);
    const verbose = await node.rpc.call<{ vsize: number; size: number; weight?: number }>("getrawtransaction", [txid, 1]);
    const tx = parseTx(raw);
    const computed = Math.ceil((tx.strippedSize * 3 + tx.size) / 4);
    expect(verbose.vsize).toBe(computed);
    expect(verbose.vsize).toBeLessThanOrEqual(release.vsize);
    results.push(`${label}: accepted ${txid}, estimated vsize ${release.vsize}, btcd vsize ${verbose.vsize}, fee ${release.fee} sats`);
  }

  test("a 2-of-3 federation releases two deposits to a P2WPKH and a P2TR address, with change", async () => {
    const wsA1 = depositWitnessScript(fedA, recipient(1));
    const wsA2 = depositWitnessScript(fedA, recipient(2));
    const d1 = await deposit(wsA1, 30_000_000n);
    const d2 = await deposit(wsA2, 20_000_000n);
    await node.mine(1);

    const payKeys = [testKey("withdrawer 1"), testKey("withdrawer 2")];
    const addr1 = btc.p2wpkh(payKeys[0].publicKey, REGTEST_NETWORK).address!;
    const addr2 = btc.p2tr(payKeys[1].publicKey.subarray(1), undefined, REGTEST_NETWORK).address!;
    expect(addr1).toMatch(/^bcrt1q/);
    expect(addr2).toMatch(/^bcrt1p/);
    const changeWs = depositWitnessScript(fedA, ZERO);
    const release = buildRelease({
      utxos: [d2, d1],
      payments: [
        { id: 1, script: parseWithdrawalAddress("regtest", addr1), amount: 25_000_000n },
        { id: 2, script: parseWithdrawalAddress("regtest", addr2), amount: 15_000_000n },
      ],
      feeRate: 5n,
      maxFee: 100_000n,
      changeWitnessScript: changeWs,
      signersPerInput: maxSignatures(wsA1),
    });
    expect(release.inputs.map((u) => u.txid)).toEqual([d1.txid, d2.txid]);
    expect(release.change).toEqual({ vout: 2, value: 10_000_000n });

    // Below the threshold: one signature of three. btcd runs the script and refuses.
    for (const who of [[0], [2], []]) {
      const err = await node.rpc.sendRawTransaction(forge(release, keysA, who)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      results.push(`2-of-3 with members ${JSON.stringify(who)} only: refused, ${reason(err)}`);
      expect(reason(err)).toMatch(/TX rejected.*false stack entry at end of script execution/);
    }
    // Two signatures in swapped slots: the CHECKSIG fails with a non-empty signature (NULLFAIL).
    const swapped = forge(release, keysA, [0, 1]);
    const stx = parseTx(swapped);
    const bad = encodeTx({ ...stx, inputs: stx.inputs.map((i) => ({ ...i, witness: [i.witness[0], i.witness[2], i.witness[1], i.witness[3]] })) });
    const badErr = await node.rpc.sendRawTransaction(bad).catch((e: unknown) => e);
    results.push(`2-of-3 with signatures in swapped slots: refused, ${reason(badErr)}`);
    expect(reason(badErr)).toMatch(/TX rejected.*signature not empty on failed checksig/);

    // Exactly the threshold: members 1 and 3.
    const raw = assembleSignedRelease(release, keysA.map((k) => k.publicKey), sign(release, keysA, [0, 2]));
    await accepted(raw, release, "2-of-3 (members 1, 3)");
    const [block] = await node.mine(1);
    const v = await node.rpc.getRawTransactionVerbose(release.txid);
    expect(v.blockhash).toBe(block);
    expect(v.confirmations).toBe(1);
    expect(toHex(v.raw)).toBe(toHex(raw));

    expect(await sats(release.txid, 0)).toEqual({ value: release.outputs[0].value, script: toHex(btc.p2wpkh(payKeys[0].publicKey).script) });
    expect(await sats(release.txid, 1)).toEqual({ value: release.outputs[1].value, script: toHex(parseWithdrawalAddress("regtest", addr2)) });
    expect(await sats(release.txid, 2)).toEqual({ value: 10_000_000n, script: toHex(p2wsh(changeWs)) });
    expect(release.outputs[0].value + release.outputs[1].value + 10_000_000n + release.fee).toBe(50_000_000n);
    expect(await sats(d1.txid, d1.vout)).toBeNull();
    expect(await sats(d2.txid, d2.vout)).toBeNull();
  });

  test("a weighted federation (2,1,1, threshold 3) releases with the weight-2 member plus one other, to a P2PKH address", async () => {
    const wsB = depositWitnessScript(fedB, recipient(3));
    const d = await deposit(wsB, 40_000_000n);
    await node.mine(1);
    const payTo = btc.p2pkh(testKey("withdrawer 3").publicKey, REGTEST_NETWORK).address!;
    expect(payTo).toMatch(/^[mn]/);
    const changeWs = depositWitnessScript(fedB, ZERO);
    const release = buildRelease({
      utxos: [d],
      payments: [{ id: 7, script: parseWithdrawalAddress("regtest", payTo), amount: 12_345_678n }],
      feeRate: 3n,
      maxFee: 50_000n,
      changeWitnessScript: changeWs,
      signersPerInput: 2,
      locktime: 100,
    });
    const members = keysB.map((k) => k.publicKey);

    // Weight 2 alone, and the two weight-1 members together: 2 < 3, refused by btcd.
    for (const who of [[0], [1, 2]]) {
      const err = await node.rpc.sendRawTransaction(forge(release, keysB, who)).catch((e: unknown) => e);
      results.push(`weighted with members ${JSON.stringify(who)} only: refused, ${reason(err)}`);
      expect(reason(err)).toMatch(/TX rejected.*false stack entry at end of script execution/);
    }
    expect(() => assembleSignedRelease(release, members, sign(release, keysB, [1, 2]))).toThrow(/below the threshold 3/);

    const raw = assembleSignedRelease(release, members, sign(release, keysB, [0, 2]));
    await accepted(raw, release, "weighted 2,1,1 / 3 (members 1 (w2), 3)");
    await node.mine(1);
    expect((await node.rpc.getRawTransactionVerbose(release.txid)).confirmations).toBe(1);
    const out = await sats(release.txid, 0);
    expect(out).toEqual({ value: 12_345_678n - release.fee, script: toHex(parseWithdrawalAddress("regtest", payTo)) });
    expect(out!.script).toMatch(/^76a914[0-9a-f]{40}88ac$/);
    expect(await sats(release.txid, 1)).toEqual({ value: 40_000_000n - 12_345_678n, script: toHex(p2wsh(changeWs)) });
    expect(await sats(d.txid, d.vout)).toBeNull();
    expect(fromHex(release.txid)).toHaveLength(32);
  });

  test("a sweep moves federation A's deposits to federation B's reserve script, and B spends it", async () => {
    const d1 = await deposit(depositWitnessScript(fedA, recipient(4)), 3_000_000n);
    const d2 = await deposit(depositWitnessScript(fedA, recipient(5)), 2_000_000n);
    await node.mine(1);
    const reserveB = depositWitnessScript(fedB, ZERO);
    const sweep = buildSweep({ utxos: [d1, d2], feeRate: 5n, maxFee: 100_000n, changeWitnessScript: reserveB, signersPerInput: maxSignatures(depositWitnessScript(fedA, ZERO)) });
    // B's members cannot sign A's outputs
    expect(() => assembleSignedRelease(sweep, keysB.map((k) => k.publicKey), sign(sweep, keysB, [0, 1]))).toThrow(/not the given federation members/);
    await accepted(assembleSignedRelease(sweep, keysA.map((k) => k.publicKey), sign(sweep, keysA, [1, 2])), sweep, "sweep of 2 inputs from 2-of-3 A to weighted B");
    await node.mine(1);
    expect(await sats(sweep.txid, 0)).toEqual({ value: 5_000_000n - sweep.fee, script: toHex(p2wsh(reserveB)) });
    expect(await sats(d1.txid, d1.vout)).toBeNull();

    const moved: ReleaseUtxo = { txid: sweep.txid, vout: 0, value: 5_000_000n - sweep.fee, witnessScript: reserveB };
    const payTo = btc.p2wpkh(testKey("withdrawer 4").publicKey, REGTEST_NETWORK).address!;
    const release = buildRelease({ utxos: [moved], payments: [{ id: 9, script: parseWithdrawalAddress("regtest", payTo), amount: 1_000_000n }], feeRate: 5n, maxFee: 100_000n, changeWitnessScript: reserveB, signersPerInput: maxSignatures(reserveB) });
    await accepted(assembleSignedRelease(release, keysB.map((k) => k.publicKey), sign(release, keysB, [0, 1])), release, "release from the swept output by B");
  });
});
