/**
 * `pegzone genesis add-account` and `add-mainchain` (and the devnet and testnet genesis built from
 * them): entries written into genesis.json after being checked as InitChain will check them, so that
 * a bad setting fails when it is written, not when the chain starts.
 */
import { addressFromPubkey, fromBech32, parseAddress, toBech32, ADDRESS_PREFIX } from "../../chain/crypto/address";
import type { GenesisDoc, GenesisValidator } from "../node/home";
import { addCoins, parseCoins, toProtoCoins, fromProtoCoins } from "../../chain/types/coins";
import type { AuthGenesis } from "../../modules/auth/module";
import type { BankGenesis } from "../../modules/bank/module";
import type { PegGenesis } from "../../modules/peg/module";
import { genesisCheckpoint } from "../../light-client/bitcoin/checkpoint";
import { bitcoinKind } from "../../modules/peg/bitcoin/kind";
import { mainChainFromJson, validateMainChain } from "../../modules/peg/module";
import type { MainChainKind } from "../../modules/peg/kinds";
import { tendermintKind } from "../../modules/peg/tendermint/kind";
import { parseRegistration } from "../../light-client/tendermint/genesis";
import type { TendermintRegistrationJson } from "../../relayer/tendermint-registration";

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

/** The generic settings of a tendermint main chain (amounts in its base denom, e.g. uatom). */
export const TENDERMINT_MAINCHAIN_DEFAULTS = {
  min_deposit: "1000",
  peg_in_fee: "100",
  reserve_cap: "1000000000000000",
  min_withdrawal: "10000",
  batch_interval: 10,
  max_fee: "100000",
  release_timeout: 600,
  federation_grace: 14400,
} as const;

/** A tendermint main chain's release settings: the Cosmos Hub's usual gas price, about 10 minutes of its blocks. */
export const TENDERMINT_RELEASE_DEFAULTS = { gas_price: "0.005", release_timeout_blocks: 100 } as const;

/** A gas price written as a decimal ("0.005", "1") in millionths: the Params.gas_price_micro. */
export function parseGasPrice(text: string): number {
  const m = /^([0-9]{1,12})(?:\.([0-9]{1,6}))?$/.exec(text);
  if (!m) throw new Error(`gas price must be a decimal with at most 6 decimals, e.g. 0.005, got ${JSON.stringify(text)}`);
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? "").padEnd(6, "0"));
}

/** A trusting period of 14 days, well below the Cosmos Hub's 21-day unbonding period (ibc-go's usual two thirds). */
export const DEFAULT_TRUSTING_PERIOD_SECONDS = 14 * 86_400;
export const DEFAULT_MAX_CLOCK_DRIFT_SECONDS = 10;

/** A trust level written "n/d", e.g. "1/3" (the light client checks it lies in [1/3, 1]). */
export function parseTrustLevel(text: string): { numerator: number; denominator: number } {
  const m = /^\s*([0-9]+)\s*\/\s*([0-9]+)\s*$/.exec(text);
  if (!m || Number(m[2]) === 0) throw new Error(`trust level must be a fraction n/d such as 1/3, got ${JSON.stringify(text)}`);
  return { numerator: Number(m[1]), denominator: Number(m[2]) };
}

type Settings<T> = { -readonly [K in keyof T]: T[K] extends string ? string : number };
type MainChainSettings = Settings<typeof BITCOIN_MAINCHAIN_DEFAULTS>;
/** The settings every kind has: MainChain's own fields. */
export type GenericSettings = Settings<typeof TENDERMINT_MAINCHAIN_DEFAULTS>;

/** What every main chain registers besides its kind's settings. */
interface MainChainBase {
  id: string;
  /** The federation: each member's compressed public key, weight and pegzone account. */
  members: ReadonlyArray<{ pubkey: Uint8Array; weight: number; account: string }>;
  /** Default: a majority of the total weight. */
  threshold?: number;
  /** The peg authority (may unfreeze the peg); "" for nobody. */
  authority: string;
}

export interface BitcoinMainChainOptions extends MainChainBase, Partial<MainChainSettings> {
  network: string;
  confirmations: number;
  /** Default: confirmations − 1. */
  reorg_limit?: number;
}

export interface TendermintMainChainOptions extends MainChainBase, Partial<GenericSettings> {
  /** The main chain's token the peg holds, e.g. "uatom", and its display unit, e.g. "atom" with 6 decimals. */
  denom: string;
  display_denom?: string;
  decimals?: number;
  /** The chain's account address prefix, e.g. "cosmos" (the default). */
  bech32_prefix?: string;
  /** What a release offers per gas, a decimal in the denom (default TENDERMINT_RELEASE_DEFAULTS.gas_price). */
  gas_price?: string;
  release_timeout_blocks?: number;
  /** The light client's registration (light-client/tendermint/genesis.ts), e.g. from fetchTendermintRegistration. */
  registration: TendermintRegistrationJson;
}

/**
 * The pegzone account a federation member submits its signatures from: by default the address of
 * its signer key itself, so `pegzone signer` needs no second key. (Bitcoin signs BIP143 digests and
 * pegzone signs sign docs: one message can never pass for the other.)
 */
export function signerAccount(pubkey: Uint8Array): string {
  return toBech32(ADDRESS_PREFIX, addressFromPubkey(pubkey));
}

/**
 * A genesis validator in the validators module (and so in InitChain's answer to CometBFT): its
 * CometBFT key and power, its signer key, and its operator (by default the signer key's account).
 */
export function addGenesisValidator(doc: GenesisDoc, validator: GenesisValidator, signerPubkey: Uint8Array, operator = signerAccount(signerPubkey)): void {
  const section = (doc.app_state.validators ??= { validators: [] }) as { validators: Array<Record<string, unknown>> };
  section.validators.push({
    operator,
    consensus_pubkey: validator.pub_key.value,
    power: validator.power,
    signer_pubkey: Buffer.from(signerPubkey).toString("base64"),
    moniker: validator.name,
  });
}

/** Sets some of the validators module's parameters (snake_case, as in genesis); the others keep their defaults. */
export function setValidatorParams(doc: GenesisDoc, params: Record<string, string>): void {
  const section = (doc.app_state.validators ??= { validators: [] }) as { params?: Record<string, string> };
  section.params = { ...section.params, ...params };
}

/** Federation members of weight 1 whose accounts are their signer keys' own addresses (`signerAccount`). */
export function signerMembers(signerPubkeys: readonly Uint8Array[]): MainChainBase["members"] {
  return signerPubkeys.map((pubkey) => ({ pubkey, weight: 1, account: signerAccount(pubkey) }));
}

/**
 * Registers a bitcoin main chain in the peg genesis, anchored at the network's genesis block, after
 * checking it exactly as InitChain will (so a bad setting fails here, not when the chain starts).
 */
export function addBitcoinMainChain(doc: GenesisDoc, o: BitcoinMainChainOptions): void {
  const { id, network, members, threshold, confirmations, reorg_limit, authority, ...settings } = o;
  const { prune_window, fee_rate, ...generic } = { ...BITCOIN_MAINCHAIN_DEFAULTS, ...definedOnly(settings) };
  const params = { "@type": bitcoinKind.params.typeUrl, network, confirmations, reorg_limit: reorg_limit ?? confirmations - 1, prune_window, fee_rate };
  addMainChain(doc, bitcoinKind, o, generic, params, genesisCheckpoint(network));
}

/**
 * Registers a tendermint main chain in the peg genesis, its light client anchored at the registration's
 * trusted header, after checking the entry as InitChain will: the settings by the peg's own rules,
 * the registration by the light client's (well formed, signed by more than 2/3 of its validator set).
 */
export function addTendermintMainChain(doc: GenesisDoc, o: TendermintMainChainOptions): void {
  const { id, members, threshold, authority, denom, display_denom, decimals, bech32_prefix, gas_price, release_timeout_blocks, registration, ...settings } = o;
  const generic = { ...TENDERMINT_MAINCHAIN_DEFAULTS, ...definedOnly(settings) };
  try {
    parseRegistration(registration);
  } catch (e) {
    throw new Error(`main chain ${JSON.stringify(id)}: checkpoint: ${e instanceof Error ? e.message : String(e)}`);
  }
  const params = {
    "@type": tendermintKind.params.typeUrl,
    denom,
    display_denom: display_denom ?? "",
    decimals: decimals ?? 0,
    bech32_prefix: bech32_prefix ?? "cosmos",
    gas_price_micro: parseGasPrice(gas_price ?? TENDERMINT_RELEASE_DEFAULTS.gas_price),
    release_timeout_blocks: release_timeout_blocks ?? TENDERMINT_RELEASE_DEFAULTS.release_timeout_blocks,
  };
  addMainChain(doc, tendermintKind, o, generic, params, registration);
}

/** Checks the entry as InitChain will (validateMainChain), then adds it to the peg genesis with the authority. */
function addMainChain(doc: GenesisDoc, kind: MainChainKind, base: MainChainBase, generic: GenericSettings, params: Record<string, unknown>, checkpoint: unknown): void {
  const peg = (doc.app_state.peg ??= { authority: "", mainchains: [] }) as Partial<PegGenesis>;
  peg.mainchains ??= [];
  if (peg.mainchains.some((m) => m.id === base.id)) throw new Error(`main chain ${base.id} is already in genesis`);
  // No authority ("") leaves nobody able to unfreeze the peg; InitChain accepts that too.
  if (base.authority !== "") parseAddress(base.authority, "authority");
  const totalWeight = base.members.reduce((sum, m) => sum + m.weight, 0);
  const entry = {
    id: base.id,
    client_type: kind.type,
    ...generic,
    federation: {
      id: "1",
      members: base.members.map((m) => ({ pubkey: Buffer.from(m.pubkey).toString("base64"), weight: m.weight, account: m.account })),
      threshold: base.threshold ?? Math.floor(totalWeight / 2) + 1,
    },
    params,
  };
  validateMainChain(mainChainFromJson(entry, () => kind), kind);
  peg.authority = base.authority;
  peg.mainchains.push({ ...entry, checkpoint });
}

/** `o` without its undefined fields, so that spreading it over defaults keeps the defaults. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
