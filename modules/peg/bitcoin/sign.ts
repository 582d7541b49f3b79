/**
 * Signing a release: the digests federation members sign, their signatures, and the signed
 * transaction assembled from them. Part of the release protocol:
 *
 * Signatures: BIP143 SIGHASH_ALL digests (scriptCode = the input's witness script, amount = its
 *   value). Members sign with ECDSA over secp256k1, RFC6979 deterministic nonces, low S; they submit
 *   64-byte compact r || s; high-S signatures are refused. The spending witness is
 *   [sig_n | <>, ..., sig_1 | <>, witnessScript] with sig = DER(r, s) || 0x01.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { verifyDigest } from "../../../chain/crypto/secp256k1";
import { bytesEqual, concatBytes } from "../../../chain/store/bytes";
import { toDisplayHex, Writer } from "../../../light-client/bitcoin/bytes";
import { sha256d } from "../../../light-client/bitcoin/hash";
import { encodeTx, parseTx } from "../../../light-client/bitcoin/tx";
import type { BitcoinBuiltRelease } from "./types";
import { fail } from "./errors";
import { parseDepositWitnessScript } from "./script";

export const SIGHASH_ALL = 1;

/** What signing needs of a release (a `BitcoinBuiltRelease` or anything with these fields). */
export type ReleaseTx = Pick<BitcoinBuiltRelease, "tx" | "txid" | "inputs">;
/** The release's transaction, checked against its inputs (same outpoints, in order). */
function releaseTx(release: ReleaseTx) {
  let tx: ReturnType<typeof parseTx>;
  try {
    tx = parseTx(release.tx);
  } catch (e) {
    fail(`release transaction does not parse: ${(e as Error).message}`);
  }
  if (tx.hasWitness) fail("release transaction must be unsigned (no witness)");
  if (toDisplayHex(tx.txid) !== release.txid) fail(`release txid ${release.txid} does not match its transaction (${toDisplayHex(tx.txid)})`);
  if (tx.inputs.length !== release.inputs.length) fail(`release lists ${release.inputs.length} inputs, its transaction has ${tx.inputs.length}`);
  tx.inputs.forEach((ti, i) => {
    const u = release.inputs[i];
    if (toDisplayHex(ti.prevTxid) !== u.txid || ti.prevIndex !== u.vout) fail(`release input ${i} is ${u.txid}:${u.vout}, its transaction spends something else`);
  });
  return tx;
}

/** BIP143 SIGHASH_ALL digest of each input (scriptCode = its witness script, amount = its value). */
export function releaseSighashes(release: ReleaseTx): Uint8Array[] {
  const tx = releaseTx(release);
  const prevouts = new Writer();
  const sequences = new Writer();
  for (const i of tx.inputs) {
    prevouts.bytes(i.prevTxid).u32(i.prevIndex);
    sequences.u32(i.sequence);
  }
  const outs = new Writer();
  for (const o of tx.outputs) outs.u64(o.value).varBytes(o.scriptPubKey);
  const hashPrevouts = sha256d(prevouts.finish());
  const hashSequence = sha256d(sequences.finish());
  const hashOutputs = sha256d(outs.finish());
  return tx.inputs.map((ti, idx) => {
    const u = release.inputs[idx];
    const preimage = new Writer()
      .u32(tx.version >>> 0)
      .bytes(hashPrevouts)
      .bytes(hashSequence)
      .bytes(ti.prevTxid)
      .u32(ti.prevIndex)
      .varBytes(u.witnessScript)
      .u64(u.value)
      .u32(ti.sequence)
      .bytes(hashOutputs)
      .u32(tx.locktime)
      .u32(SIGHASH_ALL)
      .finish();
    return sha256d(preimage);
  });
}

function checkLength(b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) fail(`${what} must be ${n} bytes, got ${b instanceof Uint8Array ? b.length : typeof b}`);
}

/**
 * Whether `signature64` (compact r || s) is a valid low-S ECDSA signature of the 32-byte digest
 * `sighash` (used as is, not hashed again) by the compressed key `pubkey33`. Wrong lengths throw;
 * an invalid, high-S or out-of-range signature or an invalid key gives false.
 */
export function verifyReleaseSignature(pubkey33: Uint8Array, sighash: Uint8Array, signature64: Uint8Array): boolean {
  checkLength(pubkey33, 33, "public key");
  checkLength(sighash, 32, "sighash");
  checkLength(signature64, 64, "signature");
  if (pubkey33[0] !== 2 && pubkey33[0] !== 3) return false;
  // libsecp256k1, the verifier chosen by measurement for transactions (bench/secp256k1.ts)
  return verifyDigest(pubkey33, signature64, sighash);
}

/** Sign a release digest: 64-byte compact r || s, low S, RFC6979 deterministic nonce. */
export function signReleaseInput(privateKey: Uint8Array, sighash: Uint8Array): Uint8Array {
  checkLength(privateKey, 32, "private key");
  checkLength(sighash, 32, "sighash");
  return secp256k1.sign(sighash, privateKey, { prehash: false, lowS: true, format: "compact", extraEntropy: false });
}

/** DER(r, s) || SIGHASH_ALL, as a witness carries it. */
export function witnessSignature(signature64: Uint8Array): Uint8Array {
  checkLength(signature64, 64, "signature");
  const der = secp256k1.Signature.fromBytes(signature64, "compact").toBytes("der");
  return concatBytes(der, Uint8Array.of(SIGHASH_ALL));
}

/**
 * The fully signed release. `members` are the federation's public keys in witness-script order and
 * must be exactly those of every input's script; `signatures[i]` maps member index (0 = member 1) to
 * that member's 64-byte signature of input i's digest. Every signature is verified. Signatures are
 * used in member order until their weights reach the script's threshold; the later ones are left
 * out (smaller transaction, never above the size estimate). Below the threshold: error.
 */
export function assembleSignedRelease(
  release: ReleaseTx,
  members: readonly Uint8Array[],
  signatures: ReadonlyArray<ReadonlyMap<number, Uint8Array>>,
): Uint8Array {
  const tx = releaseTx(release);
  if (signatures.length !== tx.inputs.length) fail(`${signatures.length} signature sets for ${tx.inputs.length} inputs`);
  const sighashes = releaseSighashes(release);
  const inputs = tx.inputs.map((ti, i) => {
    const u = release.inputs[i];
    const info = parseDepositWitnessScript(u.witnessScript);
    if (info.members.length !== members.length || info.members.some((m, j) => !bytesEqual(m.pubkey, members[j])))
      fail(`input ${i} (${u.txid}:${u.vout}): its witness script's members are not the given federation members`);
    const sigs = signatures[i];
    for (const k of sigs.keys())
      if (!Number.isInteger(k) || k < 0 || k >= members.length) fail(`input ${i}: signature for unknown member index ${k}`);
    const chosen: Array<Uint8Array | undefined> = members.map(() => undefined);
    let weight = 0;
    for (let j = 0; j < members.length && weight < info.threshold; j++) {
      const sig = sigs.get(j);
      if (sig === undefined) continue;
      if (!verifyReleaseSignature(members[j], sighashes[i], sig)) fail(`input ${i}: the signature of member ${j} is invalid`);
      chosen[j] = witnessSignature(sig);
      weight += info.members[j].weight;
    }
    if (weight < info.threshold) fail(`input ${i}: signatures worth ${weight}, below the threshold ${info.threshold}`);
    // [sig_n | <>, ..., sig_1 | <>, witnessScript]
    const witness = [...chosen].reverse().map((s) => s ?? new Uint8Array(0));
    witness.push(u.witnessScript);
    return { ...ti, witness };
  });
  return encodeTx({ version: tx.version, inputs, outputs: tx.outputs, locktime: tx.locktime }, true);
}
