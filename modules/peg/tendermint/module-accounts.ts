/**
 * The Cosmos Hub's module accounts that may not receive funds (the bank's blocked addresses): a
 * MsgSend or MsgMultiSend paying one fails after it is included, consuming the federation account's
 * sequence and fee, so a withdrawal to one is refused when it is requested. A module account's
 * address is sha256(name)[:20] (the SDK's NewModuleAddress). The names are the module accounts
 * gaia v25.1.1 refuses sends to (gov and consumer_rewards_pool may receive funds):
 * module-accounts-gaiad.test.ts checks the list against a real gaiad, both ways. A Hub upgrade that adds one is still safe: the release fails by proof and is rebuilt.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual } from "../../../chain/store/bytes";

export const BLOCKED_MODULE_ACCOUNTS = [
  "fee_collector",
  "distribution",
  "mint",
  "bonded_tokens_pool",
  "not_bonded_tokens_pool",
  "transfer",
  "interchainaccounts",
  "wasm",
  "feemarket",
  "feemarket-fee-collector",
] as const;

const ADDRESSES = BLOCKED_MODULE_ACCOUNTS.map((name) => ({ name, address: sha256(new TextEncoder().encode(name)).subarray(0, 20) }));

/** The blocked module account at `address` (account bytes), if it is one. */
export function moduleAccountName(address: Uint8Array): string | undefined {
  return ADDRESSES.find((m) => bytesEqual(m.address, address))?.name;
}
