/**
 * Signature checks of a decoded tx, in the order and with the errors of the SDK's ante chain
 * (ValidateBasic's signer count, SetPubKeyDecorator, SigVerificationDecorator):
 *  - no signatures → ErrNoSignatures (sdk/15); signature / signer info / signer counts differ →
 *    ErrUnauthorized (sdk/4);
 *  - the key is the signer info's, else the account's; none → ErrInvalidPubKey (sdk/8); a key that
 *    does not hash to the signer's address, or differs from the key the account already has →
 *    ErrInvalidPubKey;
 *  - signer info sequence ≠ account sequence → ErrWrongSequence (sdk/32);
 *  - a signature that does not verify over the mode's sign bytes → ErrUnauthorized.
 */
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { addressFromPubkey, toBech32, ADDRESS_PREFIX } from "../crypto/address";
import { verifySignature, type Secp256k1Verifier } from "../crypto/secp256k1";
import { bytesEqual } from "../store/bytes";
import { SdkError, sdkErrors } from "./errors";
import type { DecodedTx } from "./decode";
import type { MsgRegistry } from "./registry";
import { aminoJsonSignBytes, directSignBytes, type SignerData } from "./sign-doc";

export { txHash } from "./decode";

/** What the state says about one required signer, in GetSigners order. */
export interface SignerAccount {
  /** The signer's address (from the messages / fee payer); when given, the key must hash to it. */
  address?: Uint8Array;
  accountNumber: bigint;
  sequence: bigint;
  /** The key stored on the account, if it has one. */
  pubkey?: Uint8Array | null;
}

export interface VerifyOptions {
  /** Needed when any signer uses SIGN_MODE_LEGACY_AMINO_JSON. */
  registry?: MsgRegistry;
  /** Signature verifier; defaults to the production one. */
  verifier?: Secp256k1Verifier;
  /**
   * False for simulations (their signatures are empty) and RECHECK (already verified), as the
   * SDK's SigVerificationDecorator skips them; keys and sequences are still checked.
   */
  verifySignatures?: boolean;
}

/** The key each signer signed with, as resolved by verifyTxSignatures. */
export interface VerifiedSigner {
  pubkey: Uint8Array;
  /** True if the key came from the tx and the account had none yet (the ante chain stores it). */
  pubkeyIsNew: boolean;
}

/**
 * Checks every signature of `tx` for `chainId`. `signers[i]` describes the account of the i-th
 * required signer. Throws SdkError on the first failure; returns the resolved keys.
 */
export function verifyTxSignatures(tx: DecodedTx, chainId: string, signers: readonly SignerAccount[], options: VerifyOptions = {}): VerifiedSigner[] {
  const verifier = options.verifier ?? verifySignature;
  const sigs = tx.signatures;
  if (sigs.length === 0) throw sdkErrors.ErrNoSignatures.error();
  if (sigs.length !== signers.length) {
    throw sdkErrors.ErrUnauthorized.wrap(`wrong number of signers; expected ${signers.length}, got ${sigs.length}`);
  }
  if (tx.signerInfos.length !== sigs.length) {
    throw sdkErrors.ErrUnauthorized.wrap(`invalid number of signer infos; expected ${sigs.length}, got ${tx.signerInfos.length}`);
  }

  // SetPubKeyDecorator
  const keys: VerifiedSigner[] = signers.map((acc, i) => {
    const fromTx = tx.signerInfos[i]!.pubkey;
    const stored = acc.pubkey ?? null;
    const pubkey = fromTx ?? stored;
    if (pubkey === null) throw sdkErrors.ErrInvalidPubKey.wrap(`pubkey on account is not set (signer index ${i})`);
    if (acc.address !== undefined && !bytesEqual(addressFromPubkey(pubkey), acc.address)) {
      throw sdkErrors.ErrInvalidPubKey.wrap(`pubKey does not match signer address ${safeBech32(acc.address)} with signer index: ${i}`);
    }
    if (fromTx !== null && stored !== null && !bytesEqual(fromTx, stored)) {
      throw sdkErrors.ErrInvalidPubKey.wrap(`pubKey does not match the key of the account with signer index: ${i}`);
    }
    return { pubkey, pubkeyIsNew: fromTx !== null && stored === null };
  });

  // SigVerificationDecorator
  signers.forEach((acc, i) => {
    const info = tx.signerInfos[i]!;
    if (info.sequence !== acc.sequence) {
      throw sdkErrors.ErrWrongSequence.wrap(`account sequence mismatch, expected ${acc.sequence}, got ${info.sequence}`);
    }
    if (options.verifySignatures === false) return;
    const signer: SignerData = { chainId, accountNumber: acc.accountNumber, sequence: acc.sequence };
    let ok: boolean;
    let reason = "unable to verify single signer signature";
    try {
      ok = verifyOne(tx, i, signer, keys[i]!.pubkey, sigs[i]!, verifier, options.registry);
    } catch (e) {
      if (!(e instanceof SdkError)) throw e;
      ok = false;
      reason = e.message;
    }
    if (!ok) {
      const msg =
        info.mode === SignMode.SIGN_MODE_LEGACY_AMINO_JSON
          ? `signature verification failed; please verify account number (${acc.accountNumber}), sequence (${acc.sequence}) and chain-id (${chainId})`
          : `signature verification failed; please verify account number (${acc.accountNumber}) and chain-id (${chainId}): (${reason})`;
      throw sdkErrors.ErrUnauthorized.wrap(msg);
    }
  });
  return keys;
}

function verifyOne(
  tx: DecodedTx,
  index: number,
  signer: SignerData,
  pubkey: Uint8Array,
  signature: Uint8Array,
  verifier: Secp256k1Verifier,
  registry: MsgRegistry | undefined,
): boolean {
  const mode = tx.signerInfos[index]!.mode;
  if (mode === SignMode.SIGN_MODE_UNSPECIFIED) throw sdkErrors.ErrUnauthorized.wrap("unsupported sign mode SIGN_MODE_UNSPECIFIED");
  if (mode === SignMode.SIGN_MODE_DIRECT) {
    return verifier(pubkey, signature, directSignBytes(tx, signer.chainId, signer.accountNumber));
  }
  if (!registry) throw sdkErrors.ErrLogic.wrap("verifying a LEGACY_AMINO_JSON signature needs the message registry");
  const canonical = aminoJsonSignBytes(tx, registry, signer);
  if (verifier(pubkey, signature, canonical)) return true;
  // CosmJS serialises with JSON.stringify, which leaves U+2028/U+2029 unescaped where Go escapes
  // them; accept that rendering of the same document too (both encode the same sign doc).
  const cosmjs = aminoJsonSignBytes(tx, registry, signer, { escapeLineSeparators: false });
  return !bytesEqual(cosmjs, canonical) && verifier(pubkey, signature, cosmjs);
}

function safeBech32(addr: Uint8Array): string {
  try {
    return toBech32(ADDRESS_PREFIX, addr);
  } catch {
    return Buffer.from(addr).toString("hex");
  }
}
