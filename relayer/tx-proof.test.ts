/**
 * The relayer's inclusion proofs, built from a raw block: the merkleblock of the coinbase and the
 * transaction, then the coinbase, as the bitcoin light client requires.
 */
import { bytesEqual, concatBytes } from "../chain/store/bytes";
import { Writer, toDisplayHex } from "../light-client/bitcoin/bytes";
import { encodeHeader } from "../light-client/bitcoin/header";
import { decodeInclusionProof, verifyInclusionProof } from "../light-client/bitcoin/inclusion";
import { computeMerkleRoot } from "../light-client/bitcoin/merkle";
import { encodeTx, parseTx } from "../light-client/bitcoin/tx";
import { buildInclusionProof, buildTxOutProof } from "./tx-proof";

const tx = (seed: number, coinbase = false) =>
  encodeTx({
    version: 2,
    inputs: [
      coinbase
        ? { prevTxid: new Uint8Array(32), prevIndex: 0xffffffff, scriptSig: Uint8Array.of(3, seed, 0, 0, 0x51), sequence: 0xffffffff, witness: [new Uint8Array(32)] }
        : { prevTxid: new Uint8Array(32).fill(seed), prevIndex: 0, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [new Uint8Array(72).fill(seed)] },
    ],
    outputs: [{ value: BigInt(1000 * seed), scriptPubKey: Uint8Array.of(0x00, 0x20, ...new Uint8Array(32).fill(seed)) }],
    locktime: 0,
  });
// a segwit coinbase (witness reserved value) and four transactions
const TXS = [tx(1, true), tx(2), tx(3), tx(4), tx(5)];
const TXIDS = TXS.map((t) => parseTx(t).txid);
const header = { version: 0x20000000, prevBlock: new Uint8Array(32), merkleRoot: computeMerkleRoot(TXIDS).root, time: 1, bits: 0x207fffff, nonce: 0 };
const RAW_BLOCK = concatBytes(encodeHeader(header), new Writer().compactSize(TXS.length).finish(), ...TXS);

test("proves a transaction with the coinbase: Core's gettxoutproof of both, then the raw coinbase with its witness", () => {
  const txid = toDisplayHex(TXIDS[3]);
  const proof = buildInclusionProof(RAW_BLOCK, txid);
  expect(proof).toEqual(concatBytes(buildTxOutProof(RAW_BLOCK, [toDisplayHex(TXIDS[0]), txid]), TXS[0]));
  expect(bytesEqual(decodeInclusionProof(proof).coinbase.wtxid, parseTx(TXS[0]).wtxid)).toBe(true);
  expect(verifyInclusionProof(TXS[3], proof).index).toBe(3);
});

test("proves the coinbase itself with one match", () => {
  const proof = buildInclusionProof(RAW_BLOCK, toDisplayHex(TXIDS[0]));
  expect(proof).toEqual(concatBytes(buildTxOutProof(RAW_BLOCK, toDisplayHex(TXIDS[0])), TXS[0]));
  expect(verifyInclusionProof(TXS[0], proof).index).toBe(0);
});

test("refuses a txid that is not in the block, and a block whose Merkle root does not match", () => {
  expect(() => buildInclusionProof(RAW_BLOCK, "00".repeat(32))).toThrow(/not in block/);
  const forged = RAW_BLOCK.slice();
  forged[40] ^= 1; // inside the header's merkle root
  expect(() => buildInclusionProof(forged, toDisplayHex(TXIDS[1]))).toThrow(/merkle-mismatch/);
});
