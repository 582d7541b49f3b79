/**
 * Raw transaction parsing, legacy and segwit (BIP144), following the rules of Bitcoin Core's
 * UnserializeTransaction plus the context-free checks of CheckTransaction that matter to a peg
 * (at least one input and output, amounts within MAX_MONEY, size). Strict: truncated input,
 * trailing bytes, non-canonical CompactSizes and counts the remaining bytes cannot hold are errors.
 *
 *   version   int32
 *   [marker 0x00, flag 0x01]                 segwit only
 *   inputs    CompactSize n, n x { prevTxid 32, prevIndex uint32, scriptSig varbytes, sequence uint32 }
 *   outputs   CompactSize n, n x { value int64, scriptPubKey varbytes }
 *   [witness] per input: CompactSize k, k x varbytes      segwit only
 *   locktime  uint32
 *
 * txid = sha256d(serialization without marker, flag and witness); wtxid = sha256d(all of it).
 */
import { Reader, Writer } from "./bytes";
import { fail } from "./errors";
import { sha256d, sha256dParts } from "./hash";

/** 21 million bitcoin in satoshis. */
export const MAX_MONEY = 21_000_000n * 100_000_000n;
/** Core's MAX_BLOCK_WEIGHT: no transaction (with witness) is larger, nor weighs more. */
export const MAX_BLOCK_WEIGHT = 4_000_000;
/** Smallest possible input, output, transaction (for bounding counts). */
const MIN_INPUT_SIZE = 32 + 4 + 1 + 4;
const MIN_OUTPUT_SIZE = 8 + 1;
export const MIN_TX_SIZE = 4 + 1 + MIN_INPUT_SIZE + 1 + MIN_OUTPUT_SIZE + 4;

export interface TxInput {
  /** Internal byte order. */
  readonly prevTxid: Uint8Array;
  readonly prevIndex: number;
  readonly scriptSig: Uint8Array;
  readonly sequence: number;
  readonly witness: readonly Uint8Array[];
}

export interface TxOutput {
  /** Satoshis. */
  readonly value: bigint;
  readonly scriptPubKey: Uint8Array;
}

export interface Transaction {
  readonly version: number;
  readonly inputs: readonly TxInput[];
  readonly outputs: readonly TxOutput[];
  readonly locktime: number;
}

export interface ParsedTx extends Transaction {
  /** Internal byte order; the form Merkle trees and outpoints use. */
  readonly txid: Uint8Array;
  readonly wtxid: Uint8Array;
  /** Whether it was serialized with BIP144 witness data. */
  readonly hasWitness: boolean;
  /** Serialized size with witness (the bytes read). */
  readonly size: number;
  /** Serialized size without witness (what the txid hashes). */
  readonly strippedSize: number;
}

function readInput(r: Reader): Omit<TxInput, "witness"> {
  return {
    prevTxid: r.bytes(32, "input prevTxid"),
    prevIndex: r.u32("input prevIndex"),
    scriptSig: r.varBytes("input scriptSig"),
    sequence: r.u32("input sequence"),
  };
}

function readOutput(r: Reader): TxOutput {
  const value = r.u64("output value");
  if (value > MAX_MONEY) fail("bad-tx", `output value ${value} is negative or above MAX_MONEY`);
  return { value, scriptPubKey: r.varBytes("output scriptPubKey") };
}

function readWitness(r: Reader): Uint8Array[] {
  const n = r.count("witness items", 1);
  const items: Uint8Array[] = [];
  for (let i = 0; i < n; i++) items.push(r.varBytes("witness item"));
  return items;
}

/** Read one transaction from `r` (e.g. inside a block), leaving `r` after its locktime. */
export function readTx(r: Reader): ParsedTx {
  const start = r.pos;
  const version = r.i32("version");
  let ioStart = r.pos;
  let nIn = r.count("inputs", MIN_INPUT_SIZE);
  let flags = 0;
  if (nIn === 0) {
    // Either an empty input list or the segwit marker; the next byte is the flag.
    flags = r.u8("segwit flag");
    if (flags === 0) fail("bad-tx", "no inputs");
    ioStart = r.pos;
    nIn = r.count("inputs", MIN_INPUT_SIZE);
    if (nIn === 0) fail("bad-tx", "no inputs");
  }
  const ins: Omit<TxInput, "witness">[] = [];
  for (let i = 0; i < nIn; i++) ins.push(readInput(r));
  const nOut = r.count("outputs", MIN_OUTPUT_SIZE);
  if (nOut === 0) fail("bad-tx", "no outputs");
  const outputs: TxOutput[] = [];
  let total = 0n;
  for (let i = 0; i < nOut; i++) {
    const o = readOutput(r);
    total += o.value;
    if (total > MAX_MONEY) fail("bad-tx", "outputs add up to more than MAX_MONEY");
    outputs.push(o);
  }
  const ioEnd = r.pos;
  const witnesses: Uint8Array[][] = ins.map(() => []);
  if (flags & 1) {
    flags ^= 1;
    for (let i = 0; i < nIn; i++) witnesses[i] = readWitness(r);
    if (witnesses.every((w) => w.length === 0)) fail("bad-tx", "superfluous witness record (every witness stack is empty)");
  }
  if (flags !== 0) fail("bad-tx", `unknown transaction optional data (flag 0x${flags.toString(16)})`);
  const locktimeAt = r.pos;
  const locktime = r.u32("locktime");
  const end = r.pos;

  const buf = r.buf;
  const hasWitness = ioStart !== start + 4;
  const strippedSize = 4 + (ioEnd - ioStart) + 4;
  if (strippedSize * 4 > MAX_BLOCK_WEIGHT) fail("bad-tx", `${strippedSize} bytes without witness is over the block weight limit`);
  const wtxid = sha256d(buf.subarray(start, end));
  const txid = hasWitness
    ? sha256dParts(buf.subarray(start, start + 4), buf.subarray(ioStart, ioEnd), buf.subarray(locktimeAt, end))
    : wtxid;
  return {
    version,
    inputs: ins.map((input, i) => ({ ...input, witness: witnesses[i] })),
    outputs,
    locktime,
    txid,
    wtxid,
    hasWitness,
    size: end - start,
    strippedSize,
  };
}

/** Parse exactly one raw transaction. */
export function parseTx(raw: Uint8Array): ParsedTx {
  if (!(raw instanceof Uint8Array)) throw new TypeError("raw transaction must be a Uint8Array");
  if (raw.length > MAX_BLOCK_WEIGHT) fail("bad-tx", `${raw.length} bytes is larger than a block`);
  const r = new Reader(raw, "transaction");
  const tx = readTx(r);
  r.end();
  return tx;
}

/** Serialize; with witness data (BIP144) only if `withWitness` and some input has a witness. */
export function encodeTx(tx: Transaction, withWitness = true): Uint8Array {
  const segwit = withWitness && tx.inputs.some((i) => i.witness.length > 0);
  const w = new Writer().u32(tx.version >>> 0);
  if (segwit) w.u8(0).u8(1);
  w.compactSize(tx.inputs.length);
  for (const i of tx.inputs) w.bytes(i.prevTxid).u32(i.prevIndex).varBytes(i.scriptSig).u32(i.sequence);
  w.compactSize(tx.outputs.length);
  for (const o of tx.outputs) w.u64(o.value).varBytes(o.scriptPubKey);
  if (segwit)
    for (const i of tx.inputs) {
      w.compactSize(i.witness.length);
      for (const item of i.witness) w.varBytes(item);
    }
  return w.u32(tx.locktime).finish();
}

/** txid of a raw transaction (internal byte order). */
export function txid(raw: Uint8Array): Uint8Array {
  return parseTx(raw).txid;
}

/** wtxid of a raw transaction (internal byte order). */
export function wtxid(raw: Uint8Array): Uint8Array {
  return parseTx(raw).wtxid;
}

/**
 * Refuse a transaction whose non-witness serialization is 64 bytes: its txid is sha256d of 64 bytes,
 * exactly like a Merkle inner node, so it could be confused with one (BIP54; Core's policy minimum
 * is 65 bytes). An inclusion proof for such a transaction is never accepted.
 */
export function assertNotSixtyFourBytes(tx: ParsedTx | Uint8Array): void {
  const stripped = tx instanceof Uint8Array ? parseTx(tx).strippedSize : tx.strippedSize;
  if (stripped === 64) fail("tx-64-bytes", "a transaction of 64 bytes without witness is indistinguishable from a Merkle inner node");
}
