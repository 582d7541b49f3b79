/**
 * The tendermint kind's own state (the peg's kind store of the main chain), for releases:
 *
 *   0x01 | utf8(address) → FederationAccountState: a federation account's number (proven once by an
 *                           ICS23 proof of the Hub's auth account), the sequence its next release
 *                           signs with (then advanced by the peg as releases settle) and its gas price
 *   0x02 | utf8(txid)    → FailedInclusion: a live release proven included with a non-zero code,
 *                           until an account proof decides whether it consumed its sequence
 */
import type { KVStore } from "../../../chain/store/types";
import { pegzone } from "../../../proto";

const tmV1 = pegzone.peg.tendermint.v1;
export type FederationAccountState = pegzone.peg.tendermint.v1.FederationAccountState;
export type FailedInclusion = pegzone.peg.tendermint.v1.FailedInclusion;

const ACCOUNT = 0x01;
const FAILED = 0x02;
const utf8 = new TextEncoder();
const key = (prefix: number, text: string) => Uint8Array.of(prefix, ...utf8.encode(text));

export async function getAccountState(store: KVStore, address: string): Promise<FederationAccountState | undefined> {
  const raw = await store.get(key(ACCOUNT, address));
  return raw ? tmV1.FederationAccountState.decode(raw) : undefined;
}

export function setAccountState(store: KVStore, state: pegzone.peg.tendermint.v1.IFederationAccountState): void {
  store.set(key(ACCOUNT, state.address ?? ""), tmV1.FederationAccountState.encode(state).finish());
}

export async function getFailedInclusion(store: KVStore, txid: string): Promise<FailedInclusion | undefined> {
  const raw = await store.get(key(FAILED, txid));
  return raw ? tmV1.FailedInclusion.decode(raw) : undefined;
}

export function setFailedInclusion(store: KVStore, failed: pegzone.peg.tendermint.v1.IFailedInclusion): void {
  store.set(key(FAILED, failed.txid ?? ""), tmV1.FailedInclusion.encode(failed).finish());
}

export function deleteFailedInclusion(store: KVStore, txid: string): void {
  store.delete(key(FAILED, txid));
}
