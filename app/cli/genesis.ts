import { addressFromPubkey, fromBech32, toBech32, ADDRESS_PREFIX } from "../../chain/crypto/address";
import type { GenesisDoc } from "../node/home";
import { addCoins, parseCoins, toProtoCoins, fromProtoCoins } from "../../chain/types/coins";
import type { AuthGenesis } from "../../modules/auth/module";
import type { BankGenesis } from "../../modules/bank/module";
import type { PegGenesis } from "../../modules/peg/module";
import { genesisCheckpoint } from "../../light-client/bitcoin/checkpoint";

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

export interface BitcoinMainChainOptions {
  id: string;
  network: string;
  /** The federation: each member's compressed public key, weight 1 each; the threshold is a majority (2 of 3). */
  signerPubkeys: Uint8Array[];
  confirmations: number;
  authority: string;
  /** pegzone blocks between releases (default 10). */
  batchInterval?: number;
}

/**
 * The pegzone account a federation member submits its signatures from: by default the address of
 * its signer key itself, so `pegzone signer` needs no second key. (Bitcoin signs BIP143 digests and
 * pegzone signs sign docs: one message can never pass for the other.)
 */
export function signerAccount(pubkey: Uint8Array): string {
  return toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey));
}

/** Registers a bitcoin main chain in the peg genesis, anchored at the network's genesis block. */
export function addBitcoinMainChain(doc: GenesisDoc, o: BitcoinMainChainOptions): void {
  const peg = (doc.app_state.peg ??= { authority: "", mainchains: [] }) as Partial<PegGenesis>;
  peg.authority = o.authority;
  peg.mainchains ??= [];
  if (peg.mainchains.some((m) => m.id === o.id)) throw new Error(`main chain ${o.id} is already in genesis`);
  const n = o.signerPubkeys.length;
  peg.mainchains.push({
    id: o.id,
    client_type: "bitcoin",
    network: o.network,
    confirmations: o.confirmations,
    min_deposit: "10000",
    peg_in_fee: "1000",
    reserve_cap: "2100000000000000",
    reorg_limit: o.confirmations - 1,
    prune_window: 4032,
    min_withdrawal: "100000",
    batch_interval: o.batchInterval ?? 10,
    fee_rate: "10",
    max_fee: "50000",
    release_timeout: 600,
    federation_grace: 14400,
    federation: {
      id: "1",
      members: o.signerPubkeys.map((pubkey) => ({ pubkey: Buffer.from(pubkey).toString("base64"), weight: 1, account: signerAccount(pubkey) })),
      threshold: Math.floor(n / 2) + 1,
    },
    checkpoint: genesisCheckpoint(o.network),
  });
}
