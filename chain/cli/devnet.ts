import { deriveKeyFromMnemonic } from "../keys/keyring";
import { ADDRESS_PREFIX, pubkeyToBech32Address } from "../crypto/address";

/** A public mnemonic for the development account `npm start` funds: for development only. */
export const DEV_MNEMONIC =
  "sure lobster father harbor ivory eye urban cattle panel debate such depend push satoshi year sun exhaust marriage edit sock claw ugly loud rare";

/** The dev account's address on the Cosmos HD path m/44'/118'/0'/0/0, as every Cosmos wallet derives it. */
export function devAccountAddress(): string {
  return pubkeyToBech32Address(deriveKeyFromMnemonic(DEV_MNEMONIC).publicKey, ADDRESS_PREFIX);
}
