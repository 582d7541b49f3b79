/**
 * The fake kind's PegFlow: deposits, addresses and releases of a made-up account-less main chain.
 *
 * - Addresses: control(federation) = u32 member count ‖ (u8 len ‖ pubkey ‖ u32 weight) per member,
 *   sorted by pubkey ‖ u32 threshold. A recipient's deposit address is "fake1" + hex(sha256(control ‖
 *   recipient)); the federation's reserve address the same over "reserve" (7 bytes, never a 20-byte
 *   recipient). An address is the whole `to` of a transaction; an output script is its UTF-8.
 * - Deposits: a block transaction {to, amount, nonce} (UTF-8 JSON); its id is sha256(tx). A block's
 *   txRoot is sha256 of its transactions' sha256 hashes concatenated; a proof is {height, txs (hex, all
 *   the block's), index} so that the root can be recomputed against the light client's stored block.
 * - Reserve data: {address, control, tag} (hex): the holding address and what it is derived from.
 * - Releases: payload {inputs (entry ids hex), outputs [{to, value}], fee, signer (the signing
 *   federation's control, hex)} as canonical JSON; txid = hex(sha256(payload)), the one digest each
 *   member signs (secp256k1, 64-byte r||s, low S). Payments pay the fee, split evenly. The signed
 *   transaction is {payload (hex), federation, signatures}; a release proof shows such a transaction
 *   in a block, its signatures reaching the threshold of the federation whose control the payload
 *   names: only a signed release confirms.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { verifyDigest } from "../../../chain/crypto/secp256k1";
import { bytesEqual, compareBytes } from "../../../chain/store/bytes";
import type { KVStore } from "../../../chain/store/types";
import type { BuiltOutput, BuiltRelease, DepositAddress, Federation, PegFlow, ProvenDeposit, ReleasePayment, ReserveEntryView } from "../../../modules/peg/kinds";
import { latestHeight, storedBlock, fakeLightClient } from "./client";
import { arr, decimal, encodeUtf8, fail, hexBytes, jsonBytes, obj, parseJsonBytes, safeInt, toHex } from "./json";
import { fakeParams } from "./params";

export const DEPOSIT_PROOF_TYPE = "/pegzone.test.fake.DepositProof";
export const RELEASE_PROOF_TYPE = "/pegzone.test.fake.ReleaseProof";
export const RESERVE_DATA_TYPE = "/pegzone.test.fake.ReserveData";
export const MAX_RELEASE_INPUTS = 8;
/** The fee rate of a new release; its fee is rate × FEE_UNITS, capped at max_fee. */
export const FAKE_FEE_RATE = 10n;
const FEE_UNITS = 10n;
const ADDRESS = /^fake1[0-9a-f]{64}$/;
const RESERVE_TAG = encodeUtf8("reserve");

// ---- addresses

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** The federation's control bytes: its members (sorted by key) with their weights, and its threshold. */
export function control(f: Federation): Uint8Array {
  const members = (f.members ?? []).map((m) => ({ pubkey: m.pubkey ?? new Uint8Array(), weight: m.weight ?? 0 })).sort((a, b) => compareBytes(a.pubkey, b.pubkey));
  return concat(u32(members.length), ...members.flatMap((m) => [Uint8Array.of(m.pubkey.length), m.pubkey, u32(m.weight)]), u32(f.threshold ?? 0));
}

export function fakeAddress(controlBytes: Uint8Array, tag: Uint8Array): string {
  return `fake1${toHex(sha256(concat(controlBytes, tag)))}`;
}

function addressOf(controlBytes: Uint8Array, tag: Uint8Array): DepositAddress {
  const address = fakeAddress(controlBytes, tag);
  return { address, script: encodeUtf8(address), witnessScript: concat(controlBytes, tag) };
}

export const depositAddressOf = (f: Federation, recipient: Uint8Array): DepositAddress => addressOf(control(f), recipient);
export const reserveAddressOf = (f: Federation): DepositAddress => addressOf(control(f), RESERVE_TAG);

// ---- reserve data

function entryData(address: string, controlBytes: Uint8Array, tag: Uint8Array): Uint8Array {
  return jsonBytes({ address, control: toHex(controlBytes), tag: toHex(tag) });
}

/** An entry's data, checked: its address is the one its control and tag make. Throws a plain Error. */
export function decodeEntryData(data: Uint8Array): { address: string; control: Uint8Array; tag: Uint8Array } {
  try {
    const o = obj(parseJsonBytes(data, "reserve data"), "reserve data", ["address", "control", "tag"]);
    const c = hexBytes(o.control, "control");
    const tag = hexBytes(o.tag, "tag");
    if (o.address !== fakeAddress(c, tag)) throw new Error(`address ${String(o.address)} is not the one its control and tag make`);
    return { address: o.address, control: c, tag };
  } catch (e) {
    throw new Error(`reserve data: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// ---- transactions and block proofs

/** sha256 of the concatenated sha256 hashes of a block's transactions. */
export function txRoot(txs: readonly Uint8Array[]): string {
  return toHex(sha256(concat(...txs.map((t) => sha256(t)))));
}

export function depositTx(to: string, amount: bigint, nonce: string): Uint8Array {
  return jsonBytes({ to, amount: amount.toString(), nonce });
}

function parseDeposit(tx: Uint8Array): { to: string; amount: bigint } {
  const o = obj(parseJsonBytes(tx, "deposit", "not-a-deposit"), "deposit", ["to", "amount", "nonce"], "not-a-deposit");
  if (typeof o.to !== "string" || o.to === "") fail("not-a-deposit", "deposit.to is not an address string");
  if (typeof o.nonce !== "string") fail("not-a-deposit", "deposit.nonce is not a string");
  const amount = decimal(o.amount, "deposit.amount", "not-a-deposit", 31);
  if (amount === 0n) fail("not-a-deposit", "a deposit of 0");
  return { to: o.to, amount };
}

export function blockProof(height: number, txs: readonly Uint8Array[], index: number): Uint8Array {
  return jsonBytes({ height, txs: txs.map(toHex), index });
}

/** The transaction a block proof shows, checked against the client's stored block, and its confirmations. */
async function provenTx(store: KVStore, value: Uint8Array): Promise<{ tx: Uint8Array; hash: string; height: number; confirmations: number }> {
  const o = obj(parseJsonBytes(value, "block proof"), "block proof", ["height", "txs", "index"]);
  const height = safeInt(o.height, "height");
  const txs = arr(o.txs, "txs").map((t, i) => hexBytes(t, `txs[${i}]`));
  const index = safeInt(o.index, "index");
  // Proofs against an Active client only, as the other kinds' clients do: a frozen one's blocks may be a forged history.
  if ((await fakeLightClient.status(store, undefined, 0n)) !== "Active") fail("frozen", "the client is frozen: it proves nothing");
  const block = await storedBlock(store, height);
  if (block === undefined || block.signature === "") fail("unknown-block", `the client has no relayed block at height ${height}`);
  if (txRoot(txs) !== block.txRoot) fail("root-mismatch", `the ${txs.length} transactions do not hash to block ${height}'s txRoot ${block.txRoot}`);
  if (index >= txs.length) fail("bad-encoding", `index ${index} is past the block's ${txs.length} transactions`);
  return { tx: txs[index], hash: block.hash, height, confirmations: (await latestHeight(store)) - height + 1 };
}

// ---- releases

interface Payload {
  readonly inputs: string[];
  readonly outputs: Array<{ to: string; value: string }>;
  readonly fee: string;
  readonly signer: string;
}

function payloadBytes(p: Payload): Uint8Array {
  return jsonBytes({ inputs: p.inputs, outputs: p.outputs.map((o) => ({ to: o.to, value: o.value })), fee: p.fee, signer: p.signer });
}

function parsePayload(bytes: Uint8Array): Payload {
  const o = obj(parseJsonBytes(bytes, "release payload", "not-a-release"), "release payload", ["inputs", "outputs", "fee", "signer"], "not-a-release");
  const p: Payload = {
    inputs: arr(o.inputs, "inputs", "not-a-release").map((x, i) => toHex(hexBytes(x, `inputs[${i}]`, 32, "not-a-release"))),
    outputs: arr(o.outputs, "outputs", "not-a-release").map((x, i) => {
      const out = obj(x, `outputs[${i}]`, ["to", "value"], "not-a-release");
      if (typeof out.to !== "string" || !ADDRESS.test(out.to)) fail("not-a-release", `outputs[${i}].to is not a fake address`);
      return { to: out.to, value: decimal(out.value, `outputs[${i}].value`, "not-a-release", 31).toString() };
    }),
    fee: decimal(o.fee, "fee", "not-a-release", 31).toString(),
    signer: toHex(hexBytes(o.signer, "signer", undefined, "not-a-release")),
  };
  if (!Buffer.from(payloadBytes(p)).equals(Buffer.from(bytes))) fail("not-a-release", "the payload is not in its canonical encoding");
  return p;
}

/** The id of a release's change entry: never a deposit's (a deposit id hashes a JSON object). */
const changeId = (txid: string): Uint8Array => sha256(encodeUtf8(`change:${txid}`));

const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** The shortest prefix of `entries` worth at least `need`, within the input cap; undefined if none. */
function cover(entries: readonly ReserveEntryView[], need: bigint): ReserveEntryView[] | undefined {
  let total = 0n;
  for (let i = 0; i < entries.length && i < MAX_RELEASE_INPUTS; i++) {
    total += entries[i].value;
    if (total >= need) return entries.slice(0, i + 1);
  }
  return undefined;
}

/** Each payment's share of `fee`, split evenly (the first ones pay the remainder). */
function shares(fee: bigint, n: number): bigint[] {
  const base = fee / BigInt(n);
  const rest = Number(fee % BigInt(n));
  return Array.from({ length: n }, (_, i) => base + (i < rest ? 1n : 0n));
}

function scriptAddress(script: Uint8Array): string | undefined {
  const to = Buffer.from(script).toString("utf8");
  return ADDRESS.test(to) && bytesEqual(encodeUtf8(to), script) ? to : undefined;
}

function built(inputs: readonly ReserveEntryView[], outputs: BuiltOutput[], fee: bigint, signer: Uint8Array, changeTo: Federation | undefined, changeValue: bigint): BuiltRelease {
  const change = changeTo !== undefined && changeValue > 0n ? reserveAddressOf(changeTo) : undefined;
  const all = change === undefined ? outputs : [...outputs, { script: change.script, value: changeValue }];
  const payload = payloadBytes({
    inputs: inputs.map((e) => toHex(e.id)),
    outputs: all.map((o) => ({ to: Buffer.from(o.script).toString("utf8"), value: o.value.toString() })),
    fee: fee.toString(),
    signer: toHex(signer),
  });
  const txid = toHex(sha256(payload));
  const id = changeId(txid);
  return {
    payload,
    txid,
    inputs,
    outputs: all,
    fee,
    ...(change === undefined ? {} : { change: { id, displayId: toHex(id), value: changeValue, data: entryData(change.address, control(changeTo!), RESERVE_TAG) } }),
  };
}

function buildRelease({ entries, payments, feeRate, maxFee, federation, changeFederation }: Parameters<PegFlow["buildRelease"]>[0]): BuiltRelease {
  const signer = control(federation);
  for (const e of entries) {
    if (e.id.length !== 32 || e.displayId !== toHex(e.id)) throw new Error(`reserve entry ${e.displayId} does not have a fake id`);
    if (!bytesEqual(decodeEntryData(e.data).control, signer)) throw new Error(`reserve entry ${e.displayId} is not held by federation ${federation.id}`);
  }
  const fee = feeRate * FEE_UNITS < maxFee ? feeRate * FEE_UNITS : maxFee;
  const changeTo = changeFederation ?? federation;
  if (payments.length === 0) {
    const inputs = [...entries].sort((a, b) => compareBytes(a.id, b.id)).slice(0, MAX_RELEASE_INPUTS);
    const total = sum(inputs.map((e) => e.value));
    if (inputs.length === 0 || total <= fee) throw new Error(`a sweep of ${inputs.length} entries worth ${total} cannot pay the fee ${fee}`);
    return built(inputs, [], fee, signer, changeTo, total - fee);
  }
  // Greedily, in the order given: a payment joins if the inputs can still cover every accepted one.
  const accepted: ReleasePayment[] = [];
  for (const p of payments) {
    if (scriptAddress(p.script) === undefined) continue;
    const candidate = [...accepted, p];
    const split = shares(fee, candidate.length);
    if (candidate.some((c, i) => c.amount <= split[i])) continue;
    if (cover(entries, sum(candidate.map((c) => c.amount))) === undefined) continue;
    accepted.push(p);
  }
  if (accepted.length === 0) throw new Error(`none of the ${payments.length} withdrawals fits in a release of at most ${MAX_RELEASE_INPUTS} of the ${entries.length} entries`);
  const amount = sum(accepted.map((p) => p.amount));
  const inputs = cover(entries, amount)!;
  const split = shares(fee, accepted.length);
  const outputs = accepted.map((p, i) => ({ paymentId: p.id, script: p.script, value: p.amount - split[i] }));
  return built(inputs, outputs, fee, signer, changeTo, sum(inputs.map((e) => e.value)) - amount);
}

// ---- signed releases

/** A member's signature of a release digest: secp256k1, RFC 6979, 64-byte r||s, low S (what verifySignature takes). */
export function fakeSign(privateKey: Uint8Array, digest: Uint8Array): Uint8Array {
  return secp256k1.sign(digest, privateKey, { prehash: false, lowS: true, format: "compact" });
}

function assembleRelease(release: BuiltRelease, federation: Federation, signatures: ReadonlyArray<ReadonlyMap<number, Uint8Array>>): Uint8Array {
  const members = federation.members ?? [];
  if (signatures.length !== 1) throw new Error(`a fake release has one digest, got signatures for ${signatures.length}`);
  const digest = sha256(release.payload);
  const sigs = [...signatures[0]].sort(([a], [b]) => a - b);
  let weight = 0;
  for (const [i, sig] of sigs) {
    if (members[i] === undefined || !verifyDigest(members[i].pubkey!, sig, digest)) throw new Error(`signature of member ${i} does not verify`);
    weight += members[i].weight ?? 0;
  }
  if (weight < (federation.threshold ?? 0)) throw new Error(`signatures of weight ${weight}, below the threshold ${federation.threshold}`);
  return jsonBytes({
    payload: toHex(release.payload),
    federation: { members: members.map((m) => ({ pubkey: toHex(m.pubkey!), weight: m.weight ?? 0 })), threshold: federation.threshold ?? 0 },
    signatures: sigs.map(([member, sig]) => ({ member, signature: toHex(sig) })),
  });
}

/** A signed release transaction's txid, once its signatures are checked against the federation its payload names. */
function signedReleaseTxid(tx: Uint8Array): string {
  const o = obj(parseJsonBytes(tx, "release", "not-a-release"), "release", ["payload", "federation", "signatures"], "not-a-release");
  const payload = hexBytes(o.payload, "payload", undefined, "not-a-release");
  const p = parsePayload(payload);
  const f = obj(o.federation, "federation", ["members", "threshold"], "not-a-release");
  const members = arr(f.members, "members", "not-a-release").map((x, i) => {
    const m = obj(x, `members[${i}]`, ["pubkey", "weight"], "not-a-release");
    return { pubkey: hexBytes(m.pubkey, `members[${i}].pubkey`, 33, "not-a-release"), weight: safeInt(m.weight, `members[${i}].weight`, "not-a-release") };
  });
  const federation: Federation = { members, threshold: safeInt(f.threshold, "threshold", "not-a-release") };
  if (toHex(control(federation)) !== p.signer) fail("unsigned-release", "the transaction's federation is not the one its payload names");
  const digest = sha256(payload);
  const seen = new Set<number>();
  let weight = 0;
  for (const [i, x] of arr(o.signatures, "signatures", "not-a-release").entries()) {
    const s = obj(x, `signatures[${i}]`, ["member", "signature"], "not-a-release");
    const member = safeInt(s.member, `signatures[${i}].member`, "not-a-release");
    const sig = hexBytes(s.signature, `signatures[${i}].signature`, 64, "not-a-release");
    if (member >= members.length || seen.has(member)) fail("unsigned-release", `signatures[${i}] names member ${member} twice or out of range`);
    if (!verifyDigest(members[member].pubkey, sig, digest)) fail("unsigned-release", `signatures[${i}] is not member ${member}'s signature of the payload`);
    seen.add(member);
    weight += members[member].weight;
  }
  if (weight < (federation.threshold ?? 0)) fail("unsigned-release", `signatures of weight ${weight}, below the threshold ${federation.threshold}`);
  return toHex(digest);
}

// ---- the flow

export const fakeFlow: PegFlow = {
  maxReleaseInputs: MAX_RELEASE_INPUTS,
  sequential: false,
  consolidates: true,
  depositProofType: DEPOSIT_PROOF_TYPE,
  releaseProofType: RELEASE_PROOF_TYPE,
  reserveDataType: RESERVE_DATA_TYPE,

  async proveDeposit(store, chain, proof, recipient, federations): Promise<ProvenDeposit> {
    const { tx, hash, height, confirmations } = await provenTx(store, proof);
    const { to, amount } = parseDeposit(tx);
    const federationIndex = federations.findIndex((f) => depositAddressOf(f, recipient).address === to);
    const reserveIndex = federations.findIndex((f) => reserveAddressOf(f).address === to);
    const id = sha256(tx);
    return {
      id,
      displayId: toHex(id),
      value: amount,
      blockHash: hash,
      blockHeight: height,
      confirmations,
      required: fakeParams(chain).confirmations,
      federationIndex,
      reserveIndex,
      pays: `address ${to}`,
      data:
        federationIndex >= 0
          ? entryData(to, control(federations[federationIndex]), recipient)
          : reserveIndex >= 0
            ? entryData(to, control(federations[reserveIndex]), RESERVE_TAG)
            : new Uint8Array(),
    };
  },

  async proveRelease(stores, chain, proof) {
    const { tx, confirmations } = await provenTx(stores.client, proof);
    return [{ txid: signedReleaseTxid(tx), outcome: "confirmed", confirmations, required: fakeParams(chain).confirmations }];
  },

  parseDepositId(displayId) {
    if (!/^[0-9a-f]{64}$/.test(displayId)) throw new Error(`a fake deposit id is 64 lowercase hex digits, got ${JSON.stringify(displayId)}`);
    return Uint8Array.from(Buffer.from(displayId, "hex"));
  },

  feeRate: () => FAKE_FEE_RATE,
  depositAddress: (_chain, federation, recipient) => depositAddressOf(federation, recipient),
  reserveAddress: (_chain, federation) => reserveAddressOf(federation),

  withdrawalScript(chain, address) {
    fakeParams(chain);
    if (!ADDRESS.test(address)) throw new Error(`a fake address is "fake1" and 64 lowercase hex digits, got ${JSON.stringify(address)}`);
    return encodeUtf8(address);
  },

  buildRelease,
  releaseDigests: (release) => [sha256(release.payload)],
  verifySignature: (pubkey, digest, signature) => verifyDigest(pubkey, signature, digest),
  assembleRelease,
};
