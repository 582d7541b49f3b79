import { fromBech32, ADDRESS_PREFIX } from "../crypto/address";
import type { GenesisDoc } from "../node/home";
import { addCoins, parseCoins, toProtoCoins, fromProtoCoins } from "../../modules/bank/coins";
import type { AuthGenesis } from "../../modules/auth/module";
import type { BankGenesis } from "../../modules/bank/module";

/** `pegzone genesis add-account`: a BaseAccount plus its balance, merged into an existing entry. */
export function addGenesisAccount(doc: GenesisDoc, address: string, coinsText: string): void {
  fromBech32(address, ADDRESS_PREFIX);
  const coins = parseCoins(coinsText);
  if (coins.length === 0) throw new Error("add-account needs at least one coin");
  const auth = (doc.app_state.auth ??= { accounts: [] }) as Partial<AuthGenesis>;
  auth.accounts ??= [];
  if (!auth.accounts.some((a) => a.address === address)) {
    auth.accounts.push({ "@type": "/cosmos.auth.v1beta1.BaseAccount", address, account_number: String(auth.accounts.length), sequence: "0" });
  }
  const bank = (doc.app_state.bank ??= { balances: [] }) as Partial<BankGenesis>;
  bank.balances ??= [];
  const entry = bank.balances.find((b) => b.address === address);
  if (entry) entry.coins = toProtoCoins(addCoins(fromProtoCoins(entry.coins), coins));
  else bank.balances.push({ address, coins: toProtoCoins(coins) });
}
