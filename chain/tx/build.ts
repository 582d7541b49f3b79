import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import type { Coin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { AuthInfo, SignDoc, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { SECP256K1_PUBKEY_TYPE_URL } from "./wire";

export interface TxSigner {
  pubkey: Uint8Array;
  /** Signs sign-bytes: sha256, ECDSA secp256k1, low-S, 64-byte r||s. */
  sign(signBytes: Uint8Array): Uint8Array;
}

export interface UnsignedTx {
  messages: Any[];
  memo?: string;
  timeoutHeight?: bigint;
  fee: { amount: Coin[]; gasLimit: bigint; payer?: string; granter?: string };
  sequence: bigint;
}

function encodeParts(tx: UnsignedTx, pubkey: Uint8Array, mode: SignMode): { bodyBytes: Uint8Array; authInfoBytes: Uint8Array } {
  const bodyBytes = TxBody.encode(TxBody.fromPartial({ messages: tx.messages, memo: tx.memo ?? "", timeoutHeight: tx.timeoutHeight ?? 0n })).finish();
  const authInfoBytes = AuthInfo.encode(
    AuthInfo.fromPartial({
      signerInfos: [{ publicKey: { typeUrl: SECP256K1_PUBKEY_TYPE_URL, value: PubKey.encode({ key: pubkey }).finish() }, modeInfo: { single: { mode } }, sequence: tx.sequence }],
      fee: tx.fee,
    }),
  ).finish();
  return { bodyBytes, authInfoBytes };
}

/** A single-signer tx signed in SIGN_MODE_DIRECT, as TxRaw bytes ready to broadcast. */
export function signDirect(tx: UnsignedTx, signer: TxSigner, chainId: string, accountNumber: bigint): Uint8Array {
  const { bodyBytes, authInfoBytes } = encodeParts(tx, signer.pubkey, SignMode.SIGN_MODE_DIRECT);
  const signature = signer.sign(SignDoc.encode({ bodyBytes, authInfoBytes, chainId, accountNumber }).finish());
  return TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [signature] }).finish();
}

/** The unsigned form wallets simulate to estimate gas: SIGN_MODE_UNSPECIFIED and an empty signature. */
export function simulationTx(tx: UnsignedTx, pubkey: Uint8Array): Uint8Array {
  const { bodyBytes, authInfoBytes } = encodeParts(tx, pubkey, SignMode.SIGN_MODE_UNSPECIFIED);
  return TxRaw.encode({ bodyBytes, authInfoBytes, signatures: [new Uint8Array()] }).finish();
}
