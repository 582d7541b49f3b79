import fc from "fast-check";
import { bytesEqual, concatBytes } from "../../chain/store/bytes";
import { fromHex, toDisplayHex, Writer } from "./bytes";
import { parseBlock, verifyBlockMerkleRoot } from "./block";
import { sha256d } from "./hash";
import { computeMerkleRoot } from "./merkle";
import { encodeHeader } from "./header";
import { assertNotSixtyFourBytes, encodeTx, MAX_MONEY, parseTx, type Transaction, txid, wtxid } from "./tx";
import { describeVectors, readmeBlocks, readVector, reasonOf } from "../../test/support/bitcoin";

describeVectors("transactions of the real blocks", () => {
  test.each(readmeBlocks().map((r) => [r.file, r] as const))("%s: every transaction parses and re-encodes to the block's bytes", (_f, row) => {
    const raw = readVector(row.file);
    const block = parseBlock(raw);
    expect(block.transactions).toHaveLength(row.transactions);
    expect(toDisplayHex(block.hash)).toBe(row.hash);
    const w = new Writer().bytes(encodeHeader(block.header)).compactSize(block.transactions.length);
    for (const tx of block.transactions) w.bytes(encodeTx(tx));
    const reencoded = w.finish();
    expect(reencoded.length).toBe(raw.length);
    expect(bytesEqual(reencoded, raw)).toBe(true); // (jest's toEqual takes seconds on megabytes)
    for (const tx of block.transactions) {
      expect(tx.txid).toEqual(sha256d(encodeTx(tx, false)));
      expect(tx.wtxid).toEqual(sha256d(encodeTx(tx)));
      expect(tx.strippedSize).toBe(encodeTx(tx, false).length);
    }
    verifyBlockMerkleRoot(block);
  });

  test("block 1: one coinbase whose txid is the merkle root", () => {
    const [cb] = parseBlock(readVector("block1.raw")).transactions;
    expect(toDisplayHex(cb.txid)).toBe("0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098");
    expect(cb.outputs).toHaveLength(1);
    expect(cb.outputs[0].value).toBe(50n * 100_000_000n);
    expect(cb.inputs[0].prevTxid).toEqual(new Uint8Array(32));
    expect(cb.inputs[0].prevIndex).toBe(0xffffffff);
  });

  describe("segwit block 482683", () => {
    const block = parseBlock(readVector("block482683.raw"));
    const txs = block.transactions;

    test("two transactions carry witness data (the coinbase's reserved value, and tx 10); only theirs txid != wtxid", () => {
      expect(txs.flatMap((t, i) => (t.hasWitness ? [i] : []))).toEqual([0, 10]);
      for (const t of txs) expect(bytesEqual(t.txid, t.wtxid)).toBe(!t.hasWitness);
    });

    test("the header commits to txids: the root of the wtxids is different", () => {
      expect(computeMerkleRoot(txs.map((t) => t.txid)).root).toEqual(block.header.merkleRoot);
      expect(computeMerkleRoot(txs.map((t) => t.wtxid)).root).not.toEqual(block.header.merkleRoot);
    });

    test("the coinbase's BIP141 witness commitment matches the wtxids computed here", () => {
      const cb = txs[0];
      const prefix = fromHex("6a24aa21a9ed");
      const out = [...cb.outputs].reverse().find((o) => o.scriptPubKey.length >= 38 && bytesEqual(o.scriptPubKey.subarray(0, 6), prefix));
      expect(out).toBeDefined();
      const witnessRoot = computeMerkleRoot([new Uint8Array(32), ...txs.slice(1).map((t) => t.wtxid)]).root;
      expect(cb.inputs[0].witness).toHaveLength(1);
      expect(sha256d(concatBytes(witnessRoot, cb.inputs[0].witness[0]))).toEqual(out!.scriptPubKey.subarray(6, 38));
    });
  });
});

/** A small legacy transaction and a segwit one, built here field by field. */
const legacy: Transaction = {
  version: 1,
  inputs: [{ prevTxid: sha256d(Uint8Array.of(1)), prevIndex: 3, scriptSig: fromHex("51"), sequence: 0xfffffffe, witness: [] }],
  outputs: [
    { value: 5_000n, scriptPubKey: fromHex("0014" + "11".repeat(20)) },
    { value: 7n, scriptPubKey: fromHex("6a") },
  ],
  locktime: 500_000,
};
const segwit: Transaction = {
  ...legacy,
  version: 2,
  inputs: [
    { ...legacy.inputs[0], scriptSig: new Uint8Array(0), witness: [fromHex("3044"), fromHex("02" + "22".repeat(32))] },
    { ...legacy.inputs[0], prevIndex: 4, scriptSig: new Uint8Array(0), witness: [] },
  ],
};

describe("transaction parser", () => {
  test("legacy: txid = wtxid = sha256d(bytes); segwit: txid skips marker, flag and witness", () => {
    const l = encodeTx(legacy);
    expect(txid(l)).toEqual(sha256d(l));
    expect(wtxid(l)).toEqual(sha256d(l));
    const s = encodeTx(segwit);
    expect(s.subarray(4, 6)).toEqual(Uint8Array.of(0, 1));
    expect(txid(s)).toEqual(sha256d(encodeTx(segwit, false)));
    expect(wtxid(s)).toEqual(sha256d(s));
    expect(parseTx(s)).toMatchObject({ hasWitness: true, size: s.length, strippedSize: encodeTx(segwit, false).length, locktime: 500_000 });
  });

  const mutate = (raw: Uint8Array, at: number, del: number, ins: number[]) => concatBytes(raw.subarray(0, at), Uint8Array.from(ins), raw.subarray(at + del));
  const L = encodeTx(legacy);
  const S = encodeTx(segwit);
  const outCountAt = 4 + 1 + 32 + 4 + 2 + 4; // legacy: version, input count, input(prevTxid, index, scriptSig of 1, sequence)
  test.each([
    { name: "unchanged legacy", malleate: () => L, expErr: undefined },
    { name: "unchanged segwit", malleate: () => S, expErr: undefined },
    { name: "trailing byte", malleate: () => concatBytes(L, Uint8Array.of(0)), expErr: "trailing-bytes" },
    { name: "missing locktime byte", malleate: () => L.subarray(0, L.length - 1), expErr: "truncated" },
    { name: "non-canonical input count (0xfd 0x0001)", malleate: () => mutate(L, 4, 1, [0xfd, 0x01, 0x00]), expErr: "bad-varint" },
    { name: "input count above MAX_SIZE", malleate: () => mutate(L, 4, 1, [0xfe, 0xff, 0xff, 0xff, 0xff]), expErr: "bad-varint" },
    { name: "64-bit input count", malleate: () => mutate(L, 4, 1, [0xff, 0, 0, 0, 0, 1, 0, 0, 0]), expErr: "bad-varint" },
    { name: "input count the bytes cannot hold", malleate: () => mutate(L, 4, 1, [0xfe, 0x00, 0x00, 0x01, 0x00]), expErr: "bad-count" },
    { name: "output count the bytes cannot hold", malleate: () => mutate(L, outCountAt, 1, [0xfd, 0xff, 0x00]), expErr: "bad-count" },
    { name: "no inputs and no outputs (0x00 0x00)", malleate: () => mutate(L, 4, L.length - 8, [0, 0]), expErr: "bad-tx" },
    { name: "no outputs", malleate: () => mutate(L, outCountAt, L.length - 4 - outCountAt, [0]), expErr: "bad-tx" },
    { name: "segwit flag 0x02 (unknown optional data)", malleate: () => mutate(S, 5, 1, [2]), expErr: "bad-tx" },
    { name: "segwit flag 0x03", malleate: () => mutate(S, 5, 1, [3]), expErr: "bad-tx" },
    { name: "segwit with every witness stack empty", malleate: () => encodeTxForcedWitness({ ...segwit, inputs: segwit.inputs.map((i) => ({ ...i, witness: [] })) }), expErr: "bad-tx" },
    { name: "output value above MAX_MONEY", malleate: () => encodeTx({ ...legacy, outputs: [{ value: MAX_MONEY + 1n, scriptPubKey: fromHex("6a") }] }), expErr: "bad-tx" },
    { name: "output value 2^64 - 1 (negative int64)", malleate: () => encodeTx({ ...legacy, outputs: [{ value: (1n << 64n) - 1n, scriptPubKey: fromHex("6a") }] }), expErr: "bad-tx" },
    { name: "outputs adding up above MAX_MONEY", malleate: () => encodeTx({ ...legacy, outputs: [{ value: MAX_MONEY, scriptPubKey: fromHex("6a") }, { value: 1n, scriptPubKey: fromHex("6a") }] }), expErr: "bad-tx" },
    { name: "exactly MAX_MONEY", malleate: () => encodeTx({ ...legacy, outputs: [{ value: MAX_MONEY, scriptPubKey: fromHex("6a") }] }), expErr: undefined },
  ])("$name: $expErr", ({ malleate, expErr }) => {
    expect(reasonOf(() => parseTx(malleate()))).toBe(expErr);
  });

  test("every strict prefix of a transaction is refused", () => {
    for (const raw of [L, S]) for (let n = 0; n < raw.length; n++) expect(reasonOf(() => parseTx(raw.subarray(0, n)))).toMatch(/^(truncated|bad-count|bad-tx)$/);
  });

  test("round-trips random transactions, txid over the stripped form", () => {
    const bytes = (max: number) => fc.uint8Array({ maxLength: max });
    const input = fc.record({
      prevTxid: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      prevIndex: fc.nat({ max: 0xffffffff }),
      scriptSig: bytes(300),
      sequence: fc.nat({ max: 0xffffffff }),
      witness: fc.array(bytes(80), { maxLength: 4 }),
    });
    const output = fc.record({ value: fc.bigInt({ min: 0n, max: MAX_MONEY / 300n }), scriptPubKey: bytes(260) });
    const tx = fc.record({
      version: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      inputs: fc.array(input, { minLength: 1, maxLength: 5 }),
      outputs: fc.array(output, { minLength: 1, maxLength: 300 }),
      locktime: fc.nat({ max: 0xffffffff }),
    });
    fc.assert(
      fc.property(tx, (t) => {
        const raw = encodeTx(t);
        const p = parseTx(raw);
        expect({ version: p.version, inputs: p.inputs, outputs: p.outputs, locktime: p.locktime }).toEqual(t);
        expect(p.txid).toEqual(sha256d(encodeTx(t, false)));
        expect(p.wtxid).toEqual(sha256d(raw));
        expect(p.hasWitness).toBe(t.inputs.some((i) => i.witness.length > 0));
      }),
      { numRuns: 200 },
    );
  });
});

/** Segwit serialization even when no input has a witness (encodeTx would fall back to legacy). */
function encodeTxForcedWitness(tx: Transaction): Uint8Array {
  const stripped = encodeTx(tx, false);
  const w = new Writer().bytes(stripped.subarray(0, 4)).u8(0).u8(1).bytes(stripped.subarray(4, stripped.length - 4));
  for (const i of tx.inputs) w.compactSize(i.witness.length);
  return w.bytes(stripped.subarray(stripped.length - 4)).finish();
}

describe("64-byte transactions (Merkle inner-node ambiguity)", () => {
  const sized = (scriptLen: number, witness: Uint8Array[] = []): Transaction => ({
    version: 2,
    inputs: [{ prevTxid: sha256d(Uint8Array.of(9)), prevIndex: 0, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness }],
    outputs: [{ value: 1000n, scriptPubKey: new Uint8Array(scriptLen).fill(0x51) }],
    locktime: 0,
  });

  test.each([
    { name: "63 bytes", tx: sized(3), size: 63, expErr: undefined },
    { name: "64 bytes", tx: sized(4), size: 64, expErr: "tx-64-bytes" },
    { name: "65 bytes", tx: sized(5), size: 65, expErr: undefined },
    { name: "64 bytes without witness, 100 with", tx: sized(4, [new Uint8Array(33)]), size: 64, expErr: "tx-64-bytes" },
  ])("$name: $expErr", ({ tx, size, expErr }) => {
    const raw = encodeTx(tx);
    expect(parseTx(raw).strippedSize).toBe(size);
    expect(reasonOf(() => assertNotSixtyFourBytes(raw))).toBe(expErr);
    expect(reasonOf(() => assertNotSixtyFourBytes(parseTx(raw)))).toBe(expErr);
  });
});
