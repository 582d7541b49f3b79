/**
 * Signing a Hub release and the signed tx: members' signatures of the release's digest, and the
 * multisigned tx (TxRaw) the Hub accepts from the federation's account. Part of the release protocol:
 *
 * Signatures: every member signs the same digest, sha256 of the release's sign bytes (sign-doc.ts),
 *   with ECDSA over secp256k1, RFC6979 deterministic nonces, low S, as 64-byte compact r ‖ s; a
 *   high-S signature is refused (the SDK refuses it too).
 * The signed tx (CosmJS `makeMultisignedTxBytes` is the reference, and the tests hold it to it):
 *   TxRaw{body_bytes: TxBody{[message], memo, timeout_height}, auth_info_bytes: AuthInfo{
 *   signer_infos: [{public_key: Any(LegacyAminoPubKey{threshold, keys sorted by address}),
 *   mode_info.multi{bitarray: CompactBitArray over the sorted keys, mode_infos: one
 *   LEGACY_AMINO_JSON per signature}, sequence}], fee{amount, gas_limit}}, signatures:
 *   [MultiSignature{the signatures in sorted-key order}]}.
 *   Which signatures: the first `threshold` valid ones in sorted-key order (the Hub needs no more;
 *   fewer bytes, less gas). Members are given in federation order and mapped to their sorted
 *   position by their keys.
 * A release's id from its tx (`hubReleaseIdOfTx`): the sign doc rebuilt from the tx's body, fee and
 *   sequence with the chain id and account number, hashed: the same id whatever signatures the tx
 *   carries, for matching a confirmed tx to its release.
 */
import { encodeSecp256k1Pubkey, type MultisigThresholdPubkey, pubkeyToRawAddress } from "@cosmjs/amino";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import type { Coin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import { LegacyAminoPubKey } from "cosmjs-types/cosmos/crypto/multisig/keys";
import { CompactBitArray, MultiSignature } from "cosmjs-types/cosmos/crypto/multisig/v1beta1/multisig";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { AuthInfo, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { isValidCompressedPubkey, verifyDigest } from "../../../chain/crypto/secp256k1";
import { bytesEqual } from "../../../chain/store/bytes";
import type { BuiltRelease } from "../kinds";
import { federationMultisigPubkey } from "./multisig";
import {
  fail,
  hubAccountBytes,
  hubReleaseDigest,
  hubReleaseId,
  hubSignBytes,
  type HubSignDocFields,
  type HubTransfer,
  hubTxBodyBytes,
  parseHubSignDoc,
} from "./sign-doc";
import { MSG_MULTI_SEND, MSG_SEND } from "./transfer";

export const LEGACY_AMINO_PUBKEY_TYPE = "/cosmos.crypto.multisig.LegacyAminoPubKey";
export const SECP256K1_PUBKEY_TYPE = "/cosmos.crypto.secp256k1.PubKey";

/**
 * Whether `signature64` (compact r ‖ s) is a valid low-S signature of the 32-byte `digest` (used as
 * is) by the compressed key `pubkey33`. Never throws: anything malformed is simply not valid.
 */
export function verifyHubSignature(pubkey33: Uint8Array, digest: Uint8Array, signature64: Uint8Array): boolean {
  return verifyDigest(pubkey33, signature64, digest);
}

/** A member's signature of a release digest: 64-byte compact r ‖ s, low S, RFC6979 nonce. */
export function signHubDigest(privateKey32: Uint8Array, digest: Uint8Array): Uint8Array {
  if (!(privateKey32 instanceof Uint8Array) || privateKey32.length !== 32) fail("a private key is 32 bytes");
  if (!(digest instanceof Uint8Array) || digest.length !== 32) fail("a release digest is 32 bytes");
  return secp256k1.sign(digest, privateKey32, { prehash: false, lowS: true, format: "compact", extraEntropy: false });
}

/** The federation's LegacyAminoPubKey from its members' keys (federation order) and threshold: multisig.ts's, keys sorted by address. */
export function hubMultisigPubkey(federationPubkeys: readonly Uint8Array[], threshold: number): MultisigThresholdPubkey {
  const seen = new Set<string>();
  federationPubkeys.forEach((k, i) => {
    if (!isValidCompressedPubkey(k)) fail(`member ${i}: pubkey must be a 33-byte compressed secp256k1 key on the curve`);
    const hex = Buffer.from(k).toString("hex");
    if (seen.has(hex)) fail(`member ${i}: pubkey ${hex} is listed twice`);
    seen.add(hex);
  });
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > federationPubkeys.length)
    fail(`threshold ${threshold} must be an integer from 1 to the ${federationPubkeys.length} members`);
  try {
    return federationMultisigPubkey({ id: 0, threshold, members: federationPubkeys.map((pubkey) => ({ pubkey, weight: 1 })) });
  } catch (e) {
    fail((e as Error).message);
  }
}

/** The multisig key as a tx carries it: Any(LegacyAminoPubKey{threshold, Any(secp256k1 PubKey)...}). */
function multisigPubkeyAny(multisig: MultisigThresholdPubkey) {
  const publicKeys = multisig.value.pubkeys.map((k) => ({ typeUrl: SECP256K1_PUBKEY_TYPE, value: PubKey.encode({ key: Buffer.from(k.value, "base64") }).finish() }));
  return { typeUrl: LEGACY_AMINO_PUBKEY_TYPE, value: LegacyAminoPubKey.encode({ threshold: Number(multisig.value.threshold), publicKeys }).finish() };
}

/** CometBFT/SDK CompactBitArray: bit i is the top bit first of byte i/8; extra_bits_stored = n mod 8. */
function compactBitArray(bits: readonly boolean[]): CompactBitArray {
  const elems = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((on, i) => {
    if (on) elems[i >> 3] |= 0x80 >> (i & 7);
  });
  return { elems, extraBitsStored: bits.length % 8 };
}

const feeCoins = (f: HubSignDocFields): Coin[] => (f.fee.amount === 0n ? [] : [{ denom: f.denom, amount: f.fee.amount.toString() }]);

/** The signed tx: `chosen[p]` is the signature of the key at sorted position p, or undefined. */
function encodeSignedTx(f: HubSignDocFields, multisig: MultisigThresholdPubkey, chosen: ReadonlyArray<Uint8Array | undefined>): Uint8Array {
  const signatures = chosen.filter((s): s is Uint8Array => s !== undefined);
  const authInfo = AuthInfo.fromPartial({
    signerInfos: [
      {
        publicKey: multisigPubkeyAny(multisig),
        modeInfo: { multi: { bitarray: compactBitArray(chosen.map((s) => s !== undefined)), modeInfos: signatures.map(() => ({ single: { mode: SignMode.SIGN_MODE_LEGACY_AMINO_JSON } })) } },
        sequence: f.sequence,
      },
    ],
    fee: { amount: feeCoins(f), gasLimit: f.fee.gasLimit },
  });
  return TxRaw.encode(
    TxRaw.fromPartial({
      bodyBytes: hubTxBodyBytes(f),
      authInfoBytes: AuthInfo.encode(authInfo).finish(),
      signatures: [MultiSignature.encode({ signatures }).finish()],
    }),
  ).finish();
}

/**
 * The multisigned tx (TxRaw bytes) of `release`, ready for `broadcast_tx_sync`.
 * `federationPubkeys` are the members' keys in federation order; `signaturesByMember` maps a member
 * index (in that order) to its 64-byte signature of the release's digest. Every signature given is
 * verified; the keys must make the account the release spends from. Below `threshold` valid
 * signatures: error.
 */
export function assembleHubRelease(
  release: Pick<BuiltRelease, "payload">,
  federationPubkeys: readonly Uint8Array[],
  signaturesByMember: ReadonlyMap<number, Uint8Array>,
  threshold: number,
): Uint8Array {
  const fields = parseHubSignDoc(release.payload);
  const multisig = hubMultisigPubkey(federationPubkeys, threshold);
  const from = hubAccountBytes(fields.from, undefined, "from").bytes;
  if (!bytesEqual(pubkeyToRawAddress(multisig), from)) fail(`the federation's keys (threshold ${threshold}) make another account than ${fields.from}, which the release spends from`);

  for (const k of signaturesByMember.keys())
    if (!Number.isInteger(k) || k < 0 || k >= federationPubkeys.length) fail(`a signature for unknown member index ${k}`);
  const digest = hubReleaseDigest(release.payload);
  // Member index (federation order) at each sorted position.
  const sorted = multisig.value.pubkeys.map((k) => k.value);
  const memberAt = sorted.map((b64) => federationPubkeys.findIndex((pk) => encodeSecp256k1Pubkey(pk).value === b64));
  if (memberAt.some((m) => m < 0)) throw new Error("internal: a sorted multisig key is no member's");
  for (let i = 0; i < federationPubkeys.length; i++) {
    const sig = signaturesByMember.get(i);
    if (sig !== undefined && !verifyHubSignature(federationPubkeys[i], digest, sig)) fail(`the signature of member ${i} is not a valid low-S signature of release ${hubReleaseId(release.payload)}`);
  }
  let count = 0;
  const chosen = memberAt.map((m) => {
    const sig = count < threshold ? signaturesByMember.get(m) : undefined;
    if (sig !== undefined) count++;
    return sig;
  });
  if (count < threshold) fail(`${count} valid signature(s), below the threshold ${threshold}`);
  return encodeSignedTx(fields, multisig, chosen);
}

// ---- reading a tx back

function canonical<T>(bytes: Uint8Array, codec: { decode(b: Uint8Array): T; encode(m: T): { finish(): Uint8Array } }, what: string): T {
  let m: T;
  try {
    m = codec.decode(bytes);
  } catch (e) {
    fail(`${what} does not decode: ${(e as Error).message}`);
  }
  if (!bytesEqual(codec.encode(m).finish(), bytes)) fail(`${what} is not canonically encoded`);
  return m;
}

function oneCoin(list: readonly Coin[], what: string): { denom: string; amount: bigint } {
  if (list.length !== 1 || !/^[0-9]{1,78}$/.test(list[0].amount)) fail(`${what} must be one coin`);
  return { denom: list[0].denom, amount: BigInt(list[0].amount) };
}

/**
 * The sign doc fields of a release tx (TxRaw bytes) of the account numbered `accountNumber` on
 * `chainId`: what its members signed. Throws a HubReleaseError for a tx that is not exactly a
 * release tx as `assembleHubRelease` writes them (one bank message, one coin denom, one signer).
 */
export function hubSignDocOfTx(tx: Uint8Array, chainId: string, accountNumber: bigint): HubSignDocFields {
  const raw = canonical(tx, TxRaw, "TxRaw");
  const body = canonical(raw.bodyBytes, TxBody, "TxBody");
  const auth = canonical(raw.authInfoBytes, AuthInfo, "AuthInfo");
  if (body.messages.length !== 1) fail(`a release tx has one message, this one ${body.messages.length}`);
  if (auth.signerInfos.length !== 1 || raw.signatures.length !== 1) fail("a release tx has one signer");
  const msg = body.messages[0];
  let from: string;
  let denom: string;
  let outputs: HubTransfer[];
  if (msg.typeUrl === MSG_SEND) {
    const send = canonical(msg.value, MsgSend, "the MsgSend");
    const coin = oneCoin(send.amount, "the MsgSend amount");
    from = send.fromAddress;
    denom = coin.denom;
    outputs = [{ address: send.toAddress, amount: coin.amount }];
  } else if (msg.typeUrl === MSG_MULTI_SEND) {
    const multi = canonical(msg.value, MsgMultiSend, "the MsgMultiSend");
    if (multi.inputs.length !== 1) fail("a MsgMultiSend release has one input");
    from = multi.inputs[0].address;
    denom = oneCoin(multi.inputs[0].coins, "the input").denom;
    outputs = multi.outputs.map((o, i) => ({ address: o.address, amount: oneCoin(o.coins, `output ${i}`).amount }));
  } else fail(`the message is a ${msg.typeUrl}, not a ${MSG_SEND} or ${MSG_MULTI_SEND}`);
  const fee = auth.fee;
  if (fee === undefined || fee.payer !== "" || fee.granter !== "") fail("a release tx's fee has no payer or granter");
  const feeAmount = fee.amount.length === 0 ? 0n : oneCoin(fee.amount, "the fee").amount;
  if (fee.amount.length === 1 && fee.amount[0].denom !== denom) fail(`the fee is in ${fee.amount[0].denom}, the release in ${denom}`);
  const fields: HubSignDocFields = {
    chainId,
    accountNumber,
    sequence: auth.signerInfos[0].sequence,
    timeoutHeight: body.timeoutHeight,
    memo: body.memo,
    denom,
    fee: { amount: feeAmount, gasLimit: fee.gasLimit },
    from,
    outputs,
  };
  // The body must be exactly the one the fields make (no other field set, outputs as written).
  if (!bytesEqual(hubTxBodyBytes(fields), raw.bodyBytes)) fail("the tx body is not the body of a release");
  return fields;
}

/** The release id (sign doc hash, hub-release ids) of a release tx; see `hubSignDocOfTx`. */
export function hubReleaseIdOfTx(tx: Uint8Array, chainId: string, accountNumber: bigint): string {
  return hubReleaseId(hubSignBytes(hubSignDocOfTx(tx, chainId, accountNumber)));
}
