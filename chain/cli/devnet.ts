import { HDKey } from "@scure/bip32";
import { mnemonicToSeedSync } from "@scure/bip39";
import { ADDRESS_PREFIX, pubkeyToBech32Address } from "../crypto/address";

/** A public mnemonic for the development account `npm start` funds: for development only. */
export const DEV_MNEMONIC =
  "sure lobster father harbor ivory eye urban cattle panel debate such depend push satoshi year sun exhaust marriage edit sock claw ugly loud rare";

/** The dev account's address: the Cosmos HD path m/44'/118'/0'/0/0, as every Cosmos wallet derives it. */
export function devAccountAddress(): string {
  const key = HDKey.fromMasterSeed(mnemonicToSeedSync(DEV_MNEMONIC)).derive("m/44'/118'/0'/0/0");
  return pubkeyToBech32Address(key.publicKey!, ADDRESS_PREFIX);
}
