import { addressFromPubkey, fromBech32, parseAddress, toBech32, ADDRESS_PREFIX } from "../../chain/crypto/address";
import type { GenesisDoc } from "../node/home";
import { addCoins, parseCoins, toProtoCoins, fromProtoCoins } from "../../chain/types/coins";
import type { AuthGenesis } from "../../modules/auth/module";
import type { BankGenesis } from "../../modules/bank/module";
import type { PegGenesis } from "../../modules/peg/module";
import { genesisCheckpoint } from "../../light-client/bitcoin/checkpoint";
import { bitcoinKind } from "../../modules/peg/bitcoin/kind";
import { mainChainFromJson, validateMainChain } from "../../modules/peg/module";

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

/** The devnet's settings of a bitcoin main chain: `genesis add-mainchain` and `testnet` start from these. */
export const BITCOIN_MAINCHAIN_DEFAULTS = {
  min_deposit: "10000",
  peg_in_fee: "1000",
  reserve_cap: "2100000000000000",
  prune_window: 4032,
  min_withdrawal: "100000",
  batch_interval: 10,
  fee_rate: "10",
  max_fee: "50000",
  release_timeout: 600,
  federation_grace: 14400,
} as const;

type MainChainSettings = { -readonly [K in keyof typeof BITCOIN_MAINCHAIN_DEFAULTS]: (typeof BITCOIN_MAINCHAIN_DEFAULTS)[K] extends string ? string : number };

export interface BitcoinMainChainOptions extends Partial<MainChainSettings> {
  id: string;
  network: string;
  /** The federation: each member's compressed public key, weight and pegzone account. */
  members: ReadonlyArray<{ pubkey: Uint8Array; weight: number; account: string }>;
  /** Default: a majority of the total weight. */
  threshold?: number;
  confirmations: number;
  /** Default: confirmations − 1. */
  reorg_limit?: number;
  authority: string;
}

/**
 * The pegzone account a federation member submits its signatures from: by default the address of
 * its signer key itself, so `pegzone signer` needs no second key. (Bitcoin signs BIP143 digests and
 * pegzone signs sign docs: one message can never pass for the other.)
 */
export function signerAccount(pubkey: Uint8Array): string {
  return toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey));
}

/** Federation members of weight 1 whose accounts are their signer keys' own addresses (`signerAccount`). */
export function signerMembers(signerPubkeys: readonly Uint8Array[]): BitcoinMainChainOptions["members"] {
  return signerPubkeys.map((pubkey) => ({ pubkey, weight: 1, account: signerAccount(pubkey) }));
}

/**
 * Registers a bitcoin main chain in the peg genesis, anchored at the network's genesis block, after
 * checking it exactly as InitChain will (so a bad setting fails here, not when the chain starts).
 */
export function addBitcoinMainChain(doc: GenesisDoc, o: BitcoinMainChainOptions): void {
  const peg = (doc.app_state.peg ??= { authority: "", mainchains: [] }) as Partial<PegGenesis>;
  peg.mainchains ??= [];
  if (peg.mainchains.some((m) => m.id === o.id)) throw new Error(`main chain ${o.id} is already in genesis`);
  // No authority ("") leaves nobody able to unfreeze the peg; InitChain accepts that too.
  if (o.authority !== "") parseAddress(o.authority, "authority");
  const totalWeight = o.members.reduce((sum, m) => sum + m.weight, 0);
  const { id, network, members, threshold, confirmations, reorg_limit, authority, ...settings } = o;
  const { prune_window, fee_rate, ...generic } = { ...BITCOIN_MAINCHAIN_DEFAULTS, ...settings };
  const entry = {
    id,
    client_type: "bitcoin",
    ...generic,
    federation: {
      id: "1",
      members: members.map((m) => ({ pubkey: Buffer.from(m.pubkey).toString("base64"), weight: m.weight, account: m.account })),
      threshold: threshold ?? Math.floor(totalWeight / 2) + 1,
    },
    params: { "@type": bitcoinKind.params.typeUrl, network, confirmations, reorg_limit: reorg_limit ?? confirmations - 1, prune_window, fee_rate },
  };
  validateMainChain(mainChainFromJson(entry, () => bitcoinKind), bitcoinKind);
  peg.authority = authority;
  peg.mainchains.push({ ...entry, checkpoint: genesisCheckpoint(network) });
}
