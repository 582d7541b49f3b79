/**
 * The bitcoin kind's `PegFlow` (kind.ts, peg-flow.ts): outpoint ids, proofs checked against a real
 * light-client store, and releases built, digested and assembled through the generic shapes exactly
 * as the bitcoin builders and signing code do on their own.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesEqual } from "../../../chain/store/bytes";
import { toDisplayHex } from "../../../light-client/bitcoin/bytes";
import { genesisCheckpoint } from "../../../light-client/bitcoin/checkpoint";
import { bitcoinLightClient } from "../../../light-client/bitcoin/client";
import { parseTx } from "../../../light-client/bitcoin/tx";
import { pegzone } from "../../../proto";
import { memoryStore } from "../../../test/support/store";
import { TestBitcoinChain, testTx } from "../../../test/support/peg";
import type { Federation, ReleasePayment, ReserveEntryView } from "../kinds";
import { parseWithdrawalAddress } from "./address";
import { bitcoinFlow, bitcoinKind } from "./kind";
import { bitcoinParamsAny } from "./params";
import {
  bitcoinDepositProof,
  bitcoinTxProof,
  decodeReserveOutput,
  displayIdOf,
  outpointId,
  parseDepositId,
  parseOutpointDisplayId,
  parseOutpointId,
  reserveOutputData,
  utxoEntry,
} from "./peg-flow";
import { buildRelease, buildSweep } from "./release";
import { depositWitnessScript, maxSignatures, p2wsh, reserveWitnessScript } from "./script";
import { assembleSignedRelease, releaseSighashes, signReleaseInput } from "./sign";
import type { ReleaseUtxo } from "./types";

const key = (i: number) => Uint8Array.from({ length: 32 }, (_, j) => (j === 31 ? i + 1 : 0));
const members = [0, 1, 2].map((i) => ({ privateKey: key(i), pubkey: secp256k1.getPublicKey(key(i), true) }));
const fedA: Federation = { id: 1, members: members.map((m) => ({ pubkey: m.pubkey, weight: 1 })), threshold: 2 };
const fedB: Federation = { id: 2, members: members.map((m, i) => ({ pubkey: m.pubkey, weight: i === 0 ? 2 : 1 })), threshold: 3 };
const CONFIRMATIONS = 3;
const CHAIN: pegzone.peg.v1.IMainChain = {
  id: "btc-regtest",
  clientType: "bitcoin",
  params: bitcoinParamsAny({ network: "regtest", confirmations: CONFIRMATIONS, reorgLimit: CONFIRMATIONS - 1, pruneWindow: 4032, feeRate: "10" }),
};
const RECIPIENT = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const TXID = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const DESTINATION = parseWithdrawalAddress("regtest", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080");

describe("outpoint ids", () => {
  test("an id is the txid as displayed ‖ vout u32 big-endian, and round-trips through its display id", () => {
    const id = outpointId(TXID, 0x01020304);
    expect(Buffer.from(id).toString("hex")).toBe(`${TXID}01020304`);
    expect(parseOutpointId(id)).toEqual({ txid: TXID, vout: 0x01020304 });
    expect(displayIdOf(id)).toBe(`${TXID}:16909060`);
    expect(bytesEqual(parseDepositId(`${TXID}:16909060`), id)).toBe(true);
    expect(bytesEqual(bitcoinFlow.parseDepositId(`${TXID.toUpperCase()}:16909060`), id)).toBe(true);
    expect(parseOutpointDisplayId(`${TXID}:4294967295`)).toEqual({ txid: TXID, vout: 0xffffffff });
    expect(parseOutpointId(outpointId(TXID, 0xffffffff)).vout).toBe(0xffffffff);
  });

  test.each([["nope"], [TXID], [`${TXID}:`], [`${TXID}:-1`], [`${TXID}:4294967296`], [`${TXID}:01`], [`${TXID.slice(2)}:0`], [`${TXID}:0:1`], [` ${TXID}:0`]])(
    "a malformed display id %j is refused with a clear error",
    (displayId) => {
      expect(() => bitcoinFlow.parseDepositId(displayId)).toThrow(/a bitcoin deposit id is "txid:vout"/);
    },
  );

  test("an id that is not 36 bytes is refused", () => {
    expect(() => parseOutpointId(new Uint8Array(35))).toThrow(/36 bytes, got 35/);
    expect(() => outpointId("XYZ", 0)).toThrow(/txid must be 64 lowercase hex/);
    expect(() => outpointId(TXID, -1)).toThrow(/vout must be an integer/);
  });
});

describe("proofs", () => {
  /** A light client at regtest's genesis, then a block holding `tx` and CONFIRMATIONS - 1 more. */
  async function provenChain(tx: Uint8Array, extra = CONFIRMATIONS - 1) {
    const store = memoryStore();
    const config = bitcoinKind.clientConfig(CHAIN) as Parameters<typeof bitcoinLightClient.initialize>[1];
    await bitcoinLightClient.initialize(store, config, genesisCheckpoint("regtest"));
    const btc = new TestBitcoinChain();
    const block = btc.mine([tx]);
    btc.mineEmpty(extra);
    await bitcoinLightClient.update(store, config, btc.headers(1), { blockTime: Math.floor(Date.now() / 1000) });
    return { store, block, proof: { tx, blockHash: block.hash, merkleProof: btc.proof(block, 1) } };
  }
  const txidOf = (tx: Uint8Array) => toDisplayHex(parseTx(tx).txid);

  test("a deposit to the recipient's address under a federation: its id, value, federation and spending data", async () => {
    const deposit = bitcoinFlow.depositAddress(CHAIN, fedB, RECIPIENT);
    const tx = testTx("deposit", [
      { value: 1234n, scriptPubKey: Uint8Array.of(0x51) },
      { value: 50_000n, scriptPubKey: deposit.script },
    ]);
    const { store, block, proof } = await provenChain(tx);
    const anyProof = bitcoinDepositProof({ ...proof, vout: 1 });
    expect(anyProof.type_url).toBe(bitcoinFlow.depositProofType);
    const proven = await bitcoinFlow.proveDeposit(store, CHAIN, anyProof.value!, RECIPIENT, [fedA, fedB], 0n);
    const txid = txidOf(tx);
    expect(proven).toMatchObject({
      displayId: `${txid}:1`,
      value: 50_000n,
      blockHash: block.hash,
      blockHeight: 1,
      confirmations: CONFIRMATIONS,
      required: CONFIRMATIONS,
      federationIndex: 1,
      reserveIndex: -1,
      pays: `script ${Buffer.from(deposit.script).toString("hex")}`,
    });
    expect(bytesEqual(proven.id, outpointId(txid, 1))).toBe(true);
    const data = decodeReserveOutput(proven.data);
    expect(bytesEqual(data.script, deposit.script)).toBe(true);
    expect(bytesEqual(data.witnessScript, depositWitnessScript(fedB, RECIPIENT))).toBe(true);

    // the other output pays no federation: no deposit, no reserve, and no witness script in its data
    const other = await bitcoinFlow.proveDeposit(store, CHAIN, bitcoinDepositProof({ ...proof, vout: 0 }).value!, RECIPIENT, [fedA, fedB], 0n);
    expect(other).toMatchObject({ displayId: `${txid}:0`, value: 1234n, federationIndex: -1, reserveIndex: -1, pays: "script 51" });
    expect(decodeReserveOutput(other.data).witnessScript).toHaveLength(0);
  });

  test("an output to a federation's reserve address is reported as such", async () => {
    const tx = testTx("to the reserve", [{ value: 70_000n, scriptPubKey: bitcoinFlow.reserveAddress(CHAIN, fedA).script }]);
    const { store, proof } = await provenChain(tx, 0);
    const proven = await bitcoinFlow.proveDeposit(store, CHAIN, bitcoinDepositProof({ ...proof, vout: 0 }).value!, RECIPIENT, [fedB, fedA], 0n);
    expect(proven).toMatchObject({ federationIndex: -1, reserveIndex: 1, confirmations: 1, required: CONFIRMATIONS });
  });

  test("malformed proofs, a missing output and a proof the light client refuses: errors with a reason", async () => {
    const tx = testTx("refused", [{ value: 70_000n, scriptPubKey: Uint8Array.of(0x51) }]);
    const { store, proof } = await provenChain(tx);
    const reason = async (p: Promise<unknown>) => {
      const err = (await p.then(
        () => undefined,
        (e: unknown) => e,
      )) as { reason?: unknown; message?: string } | undefined;
      expect(err).toBeInstanceOf(Error);
      expect(typeof err!.reason).toBe("string");
      return err!;
    };
    const prove = (value: Uint8Array) => bitcoinFlow.proveDeposit(store, CHAIN, value, RECIPIENT, [fedA], 0n);
    expect((await reason(prove(Uint8Array.of(0xff, 0xff)))).message).toMatch(/malformed-proof: DepositProof does not decode/);
    expect((await reason(prove(new Uint8Array()))).message).toMatch(/malformed-proof: DepositProof has no transaction proof/);
    expect((await reason(prove(bitcoinDepositProof({ ...proof, tx: new Uint8Array(), vout: 0 }).value!))).message).toMatch(/empty transaction/);
    expect((await reason(prove(bitcoinDepositProof({ ...proof, merkleProof: new Uint8Array(), vout: 0 }).value!))).message).toMatch(/empty merkle proof/);
    expect((await reason(prove(bitcoinDepositProof({ ...proof, blockHash: proof.blockHash.toUpperCase(), vout: 0 }).value!))).message).toMatch(/block hash must be 64 lowercase hex/);
    expect((await reason(prove(bitcoinDepositProof({ ...proof, vout: 1 }).value!))).message).toMatch(/no-such-output: transaction [0-9a-f]{64} has no output 1/);
    expect((await reason(prove(bitcoinDepositProof({ ...proof, blockHash: "00".repeat(32), vout: 0 }).value!))).reason).toBe("unknown-block");

    expect((await reason(bitcoinFlow.proveRelease({ client: store, state: store }, CHAIN, Uint8Array.of(0x0a, 0x05), 0n, [], []))).message).toMatch(/malformed-proof: TxProof does not decode/);
  });

  test("a release's proof: its txid and confirmations", async () => {
    const tx = testTx("release", [{ value: 70_000n, scriptPubKey: Uint8Array.of(0x51) }]);
    const { store, proof } = await provenChain(tx, 1);
    const anyProof = bitcoinTxProof(proof);
    expect(anyProof.type_url).toBe(bitcoinFlow.releaseProofType);
    expect(await bitcoinFlow.proveRelease({ client: store, state: store }, CHAIN, anyProof.value!, 0n, [], [])).toEqual([{ txid: txidOf(tx), outcome: "confirmed", confirmations: 2, required: CONFIRMATIONS }]);
  });
});

describe("releases through the generic shapes", () => {
  const reserveA = reserveWitnessScript(fedA);
  const utxos: ReleaseUtxo[] = [300_000n, 500_000n, 200_000n, 500_000n].map((value, i) => ({ txid: i.toString(16).padStart(64, "0"), vout: i, value, witnessScript: reserveA }));
  const entries: ReserveEntryView[] = utxos.map((u) => utxoEntry(u, p2wsh(u.witnessScript)));
  const payments: ReleasePayment[] = [
    { id: 7, script: DESTINATION, amount: 600_000n },
    { id: 9, script: DESTINATION, amount: 150_000n },
  ];
  const common = { feeRate: 10n, maxFee: 50_000n, changeWitnessScript: reserveA, signersPerInput: maxSignatures(reserveA) };

  test("a release: the bitcoin builder's transaction, its inputs as the entries given, its change an entry of the federation", () => {
    const built = bitcoinFlow.buildRelease({ chain: CHAIN, entries, payments, feeRate: 10n, maxFee: 50_000n, federation: fedA });
    const direct = buildRelease({ utxos, payments, ...common });
    expect(Buffer.from(built.payload).toString("hex")).toBe(Buffer.from(direct.tx).toString("hex"));
    expect(built).toMatchObject({ txid: direct.txid, fee: direct.fee, outputs: direct.outputs });
    // the entries themselves, in the builder's input order (value descending, then txid)
    expect(built.inputs.map((e) => entries.indexOf(e))).toEqual(direct.inputs.map((u) => utxos.indexOf(u)));
    expect(direct.change).toBeDefined();
    const change = built.change!;
    expect(change.displayId).toBe(`${direct.txid}:${direct.change!.vout}`);
    expect(bytesEqual(change.id, outpointId(direct.txid, direct.change!.vout))).toBe(true);
    expect(change.value).toBe(direct.change!.value);
    const data = decodeReserveOutput(change.data);
    expect(bytesEqual(data.script, bitcoinFlow.reserveAddress(CHAIN, fedA).script)).toBe(true);
    expect(bytesEqual(data.witnessScript, reserveA)).toBe(true);

    // rebuilt from exactly its inputs and the payments it pays: the same release
    const again = bitcoinFlow.buildRelease({ chain: CHAIN, entries: [...built.inputs].reverse(), payments, feeRate: 10n, maxFee: 50_000n, federation: fedA });
    expect(Buffer.from(again.payload).equals(Buffer.from(built.payload))).toBe(true);

    // digests and the signed transaction are the bitcoin signing code's
    const digests = bitcoinFlow.releaseDigests(built);
    expect(digests.map((d) => Buffer.from(d).toString("hex"))).toEqual(releaseSighashes(direct).map((d) => Buffer.from(d).toString("hex")));
    const signatures = digests.map((d) => new Map([0, 2].map((j) => [j, signReleaseInput(members[j].privateKey, d)] as const)));
    for (const [i, d] of digests.entries()) for (const [j, sig] of signatures[i]) expect(bitcoinFlow.verifySignature(members[j].pubkey, d, sig)).toBe(true);
    const signed = bitcoinFlow.assembleRelease(built, fedA, signatures);
    const pubkeys = members.map((m) => m.pubkey);
    expect(Buffer.from(signed).equals(Buffer.from(assembleSignedRelease(direct, pubkeys, signatures)))).toBe(true);
  });

  test("a sweep to another federation: one output, the change entry holds the new federation's reserve script", () => {
    const built = bitcoinFlow.buildRelease({ chain: CHAIN, entries, payments: [], feeRate: 10n, maxFee: 50_000n, federation: fedA, changeFederation: fedB });
    const direct = buildSweep({ utxos, ...common, changeWitnessScript: reserveWitnessScript(fedB) });
    expect(Buffer.from(built.payload).equals(Buffer.from(direct.tx))).toBe(true);
    expect(built.outputs).toHaveLength(1);
    expect(built.change!.displayId).toBe(`${direct.txid}:0`);
    expect(built.change!.value).toBe(1_500_000n - direct.fee);
    expect(bytesEqual(decodeReserveOutput(built.change!.data).witnessScript, reserveWitnessScript(fedB))).toBe(true);
    expect(bytesEqual(decodeReserveOutput(built.change!.data).script, bitcoinFlow.reserveAddress(CHAIN, fedB).script)).toBe(true);
  });

  test("entries whose id, display id or data do not match are refused", () => {
    const build = (e: ReserveEntryView[]) => () => bitcoinFlow.buildRelease({ chain: CHAIN, entries: e, payments, feeRate: 10n, maxFee: 50_000n, federation: fedA });
    expect(build([{ ...entries[0], displayId: `${utxos[1].txid}:1` }, ...entries.slice(1)])).toThrow(/its id is the outpoint/);
    expect(build([{ ...entries[0], id: new Uint8Array(3) }, ...entries.slice(1)])).toThrow(/36 bytes/);
    expect(build([{ ...entries[0], data: Uint8Array.of(0xff) }, ...entries.slice(1)])).toThrow(/not a ReserveOutput/);
    expect(build([{ ...entries[0], data: reserveOutputData(p2wsh(reserveA), new Uint8Array()) }, ...entries.slice(1)])).toThrow();
  });

  test("a tampered payload or input is refused by the digests", () => {
    const built = bitcoinFlow.buildRelease({ chain: CHAIN, entries, payments, feeRate: 10n, maxFee: 50_000n, federation: fedA });
    expect(() => bitcoinFlow.releaseDigests({ ...built, inputs: [...built.inputs].reverse() })).toThrow(/its transaction spends something else/);
    expect(() => bitcoinFlow.releaseDigests({ ...built, payload: built.payload.subarray(1) })).toThrow(/does not parse/);
  });
});
