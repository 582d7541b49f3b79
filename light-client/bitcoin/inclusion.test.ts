/**
 * The bitcoin light client's inclusion proof (inclusion.ts): a merkleblock matching the block's coinbase
 * and the transaction, then the raw coinbase. Every proof that does not pin the Merkle tree's depth with
 * a real coinbase at position 0 is refused, and so is the CVE-2017-12842 forgery it exists for.
 */
import { concatBytes } from "../../chain/store/bytes";
import { toDisplayHex } from "./bytes";
import { sha256d } from "./hash";
import type { BlockHeader } from "./header";
import { decodeInclusionProof, encodeInclusionProof, verifyInclusionProof, verifyTxInclusion } from "./inclusion";
import { buildPartialMerkleTree, computeMerkleRoot, encodeMerkleBlock, type PartialMerkleTree, verifyMerkleBlock } from "./merkle";
import { reasonOf, sixtyFourByteCarrier } from "../../test/support/bitcoin";
import { encodeTx, parseTx, type Transaction, type TxInput } from "./tx";

const nullPrevout = { prevTxid: new Uint8Array(32), prevIndex: 0xffffffff };
const input = (fields: Partial<TxInput> = {}): TxInput => ({ prevTxid: sha256d(Uint8Array.of(7)), prevIndex: 1, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [], ...fields });
const tx = (fields: Partial<Transaction> = {}): Uint8Array =>
  encodeTx({ version: 2, inputs: [input()], outputs: [{ value: 1_000n, scriptPubKey: Uint8Array.of(0x00, 0x20, ...sha256d(Uint8Array.of(1))) }], locktime: 0, ...fields });

const COINBASE = tx({ inputs: [input({ ...nullPrevout, scriptSig: Uint8Array.of(3, 1, 2, 3, 0x51) })] });
const DEPOSIT = tx({ locktime: 1 });
const OTHER = tx({ locktime: 2 });
const TXS = [COINBASE, DEPOSIT, OTHER];
const TXIDS = TXS.map((t) => parseTx(t).txid);
const headerOver = (txids: readonly Uint8Array[]): BlockHeader => ({ version: 4, prevBlock: new Uint8Array(32), merkleRoot: computeMerkleRoot(txids).root, time: 0, bits: 0x207fffff, nonce: 0 });
const HEADER = headerOver(TXIDS);

/** A merkleblock of HEADER's block matching the positions `matched`. */
const merkleBlock = (matched: readonly number[], txids: readonly Uint8Array[] = TXIDS, header = HEADER) =>
  encodeMerkleBlock({ header, tree: buildPartialMerkleTree(txids, txids.map((_, i) => matched.includes(i))) });

describe("verifyInclusionProof", () => {
  test("proves a transaction with the coinbase matched at position 0, and the coinbase itself with one match", () => {
    const proof = encodeInclusionProof(merkleBlock([0, 1]), COINBASE);
    expect(proof).toEqual(concatBytes(merkleBlock([0, 1]), COINBASE));
    const inc = verifyInclusionProof(DEPOSIT, proof);
    expect(inc).toMatchObject({ index: 1, totalTransactions: 3 });
    expect(toDisplayHex(inc.tx.txid)).toBe(toDisplayHex(TXIDS[1]));
    expect(verifyInclusionProof(COINBASE, encodeInclusionProof(merkleBlock([0]), COINBASE)).index).toBe(0);
    expect(decodeInclusionProof(proof).coinbase.txid).toEqual(TXIDS[0]);
  });

  // A coinbase of 4 version + 1 + 43 input (2-byte scriptSig) + 1 + 11 output (2-byte script) + 4 locktime = 64 bytes, first in its block.
  const COINBASE64 = tx({ inputs: [input({ ...nullPrevout, scriptSig: Uint8Array.of(1, 9) })], outputs: [{ value: 50n, scriptPubKey: Uint8Array.of(0x51, 0x51) }] });
  const txids64 = [parseTx(COINBASE64).txid, TXIDS[1]];
  // The coinbase second: its block's first transaction is another one.
  const swapped = [TXIDS[1], TXIDS[0], TXIDS[2]];

  const cases: { name: string; tx?: Uint8Array; proof: () => Uint8Array; expErr: string }[] = [
    { name: "a bare merkleblock (gettxoutproof of the transaction alone)", proof: () => merkleBlock([1]), expErr: "no-coinbase" },
    { name: "a bare merkleblock matching the coinbase too", proof: () => merkleBlock([0, 1]), expErr: "no-coinbase" },
    { name: "a merkleblock not matching the coinbase, the coinbase after it", proof: () => encodeInclusionProof(merkleBlock([1]), COINBASE), expErr: "coinbase-not-in-proof" },
    { name: "another block's coinbase after the merkleblock", proof: () => encodeInclusionProof(merkleBlock([0, 1]), tx({ inputs: [input({ ...nullPrevout, scriptSig: Uint8Array.of(3, 9, 9, 9) })] })), expErr: "coinbase-not-in-proof" },
    {
      name: "the coinbase matched at position 1, not 0",
      proof: () => encodeInclusionProof(merkleBlock([0, 1], swapped, headerOver(swapped)), COINBASE),
      expErr: "coinbase-not-in-proof",
    },
    { name: "a 'coinbase' that spends a real output (the deposit itself)", proof: () => encodeInclusionProof(merkleBlock([0, 1]), DEPOSIT), expErr: "bad-coinbase" },
    { name: "a 'coinbase' spending output 0 of the null txid", proof: () => encodeInclusionProof(merkleBlock([0, 1]), tx({ inputs: [input({ prevTxid: new Uint8Array(32), prevIndex: 0 })] })), expErr: "bad-coinbase" },
    {
      name: "a 'coinbase' with the null prevout and a second input",
      proof: () => encodeInclusionProof(merkleBlock([0, 1]), tx({ inputs: [input(nullPrevout), input()] })),
      expErr: "bad-coinbase",
    },
    {
      name: "a 64-byte coinbase (it could be an inner node of a deeper real tree)",
      proof: () => encodeInclusionProof(merkleBlock([0, 1], txids64, headerOver(txids64)), COINBASE64),
      expErr: "bad-coinbase",
    },
    { name: "a byte after the coinbase", proof: () => concatBytes(encodeInclusionProof(merkleBlock([0, 1]), COINBASE), Uint8Array.of(0)), expErr: "trailing-bytes" },
    { name: "a truncated coinbase", proof: () => encodeInclusionProof(merkleBlock([0, 1]), COINBASE.subarray(0, COINBASE.length - 1)), expErr: "truncated" },
    { name: "the proof of another transaction", proof: () => encodeInclusionProof(merkleBlock([0, 2]), COINBASE), expErr: "tx-not-in-proof" },
    { name: "a partial tree whose root is not the header's", proof: () => encodeInclusionProof(merkleBlock([0, 1], swapped, HEADER), COINBASE), expErr: "merkle-mismatch" },
  ];
  test.each(cases)("refuses $name: $expErr", ({ tx: raw, proof, expErr }) => {
    expect(reasonOf(() => verifyInclusionProof(raw ?? DEPOSIT, proof()))).toBe(expErr);
  });

  test("the 64-byte coinbase above is one, and is 64 bytes without witness", () => {
    expect(COINBASE64.length).toBe(64);
    expect(parseTx(COINBASE64).inputs[0].prevIndex).toBe(0xffffffff);
  });
});

describe("CVE-2017-12842: a merkleblock with a forged transaction count passing a 64-byte transaction's half off as a leaf", () => {
  // The attacker's transaction, never mined: it pays a deposit script. A mined 64-byte carrier has sha256d(FAKE) as its first half.
  const { fake: FAKE, carrier: CARRIER } = sixtyFourByteCarrier((n) =>
    tx({ inputs: [input({ prevTxid: sha256d(Uint8Array.of(0xfa, n & 255, n >> 8)) })], outputs: [{ value: 500_000n, scriptPubKey: Uint8Array.of(0x00, 0x20, ...sha256d(Uint8Array.of(42))) }] }),
  );
  const block = [COINBASE, CARRIER];
  const txids = block.map((t) => parseTx(t).txid);
  const header = headerOver(txids);
  // The real tree is H(coinbase, carrier); claimed with 4 transactions, the carrier's halves become leaves 2 and 3.
  const forged: PartialMerkleTree = { totalTransactions: 4, hashes: [txids[0], CARRIER.subarray(0, 32), CARRIER.subarray(32, 64)], flags: Uint8Array.of(0b01101) };

  test("the carrier is a valid 64-byte transaction whose txid is the inner node over sha256d(FAKE)", () => {
    expect(CARRIER.length).toBe(64);
    expect(parseTx(CARRIER).strippedSize).toBe(64);
    expect(CARRIER.subarray(0, 32)).toEqual(sha256d(FAKE));
  });

  test("the bare merkleblock proves FAKE (what a client without the coinbase rule accepts)", () => {
    const v = verifyMerkleBlock({ header, tree: forged });
    expect(v.matched).toEqual([{ txid: sha256d(FAKE), index: 2 }]);
    expect(verifyTxInclusion(FAKE, { header, tree: forged }).index).toBe(2);
  });

  test("refused in every form the proof format allows", () => {
    const bare = encodeMerkleBlock({ header, tree: forged });
    expect(reasonOf(() => verifyInclusionProof(FAKE, bare))).toBe("no-coinbase");
    // the coinbase is inside the pruned left half: it cannot be matched at position 0 of the deeper tree
    expect(reasonOf(() => verifyInclusionProof(FAKE, encodeInclusionProof(bare, COINBASE)))).toBe("coinbase-not-in-proof");
    // at the real depth, the leaf is the carrier, which is 64 bytes
    const honest = encodeInclusionProof({ header, tree: buildPartialMerkleTree(txids, [true, true]) }, COINBASE);
    expect(reasonOf(() => verifyInclusionProof(FAKE, honest))).toBe("tx-not-in-proof");
    expect(reasonOf(() => verifyInclusionProof(CARRIER, honest))).toBe("tx-64-bytes");
  });
});
