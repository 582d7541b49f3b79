/**
 * `pegzone chain-info`: what wallets and registries need to know about a running pegzone, so that
 * a user can add it to Keplr (`window.keplr.experimentalSuggestChain(info)`) or publish it in the
 * cosmos chain-registry (chain.json, assetlist.json). Everything comes from the node: its chain id
 * from CometBFT, its denoms from the bank's metadata (upeg, and each pegged `peg/<main chain>` with
 * the display unit and decimals its kind registered in genesis).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { Metadata } from "cosmjs-types/cosmos/bank/v1beta1/bank";
import { QueryDenomsMetadataRequest, QueryDenomsMetadataResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { ADDRESS_PREFIX } from "../../chain/crypto/address";
import { RpcClient } from "../../chain/client/rpc";
import { DEFAULT_GAS_PRICES, FEE_DENOM } from "../pegzone";
import { printOutput } from "./output";

/** The Cosmos HD path's coin type (m/44'/118'/...), as every Cosmos SDK chain's wallets derive keys. */
export const COIN_TYPE = 118;
/** upeg's display unit: 1 PEG = 10^6 upeg. */
const FEE_DISPLAY = { denom: "PEG", decimals: 6 };

export interface ChainInfoInput {
  chainId: string;
  rpc: string;
  rest: string;
  /** The bank's denom metadata (every pegged denom's). */
  metadata: readonly Metadata[];
}

interface Currency {
  coinDenom: string;
  coinMinimalDenom: string;
  coinDecimals: number;
}

/** A denom's display unit and its exponent, from its metadata (the base itself, 0, when none is larger). */
function displayOf(m: Metadata): { display: string; exponent: number } {
  const unit = m.denomUnits.find((u) => u.denom === m.display) ?? m.denomUnits.reduce((a, b) => (b.exponent > a.exponent ? b : a), m.denomUnits[0] ?? { denom: m.base, exponent: 0, aliases: [] });
  return { display: unit.denom, exponent: unit.exponent };
}

function gasPrice(): number {
  return Number(DEFAULT_GAS_PRICES.slice(0, -FEE_DENOM.length));
}

/** Keplr's ChainInfo and the chain-registry's chain.json and assetlist.json. */
export function chainInfo(o: ChainInfoInput): { keplr: Record<string, unknown>; chain: Record<string, unknown>; assetlist: Record<string, unknown> } {
  const pegged = o.metadata.filter((m) => m.base !== FEE_DENOM);
  const fee: Currency = { coinDenom: FEE_DISPLAY.denom, coinMinimalDenom: FEE_DENOM, coinDecimals: FEE_DISPLAY.decimals };
  const currencies: Currency[] = [fee, ...pegged.map((m) => ({ coinDenom: m.symbol || displayOf(m).display, coinMinimalDenom: m.base, coinDecimals: displayOf(m).exponent }))];
  const price = gasPrice();
  const p = ADDRESS_PREFIX;
  const keplr = {
    chainId: o.chainId,
    chainName: `pegzone (${o.chainId})`,
    rpc: o.rpc,
    rest: o.rest,
    bip44: { coinType: COIN_TYPE },
    bech32Config: {
      bech32PrefixAccAddr: p,
      bech32PrefixAccPub: `${p}pub`,
      bech32PrefixValAddr: `${p}valoper`,
      bech32PrefixValPub: `${p}valoperpub`,
      bech32PrefixConsAddr: `${p}valcons`,
      bech32PrefixConsPub: `${p}valconspub`,
    },
    currencies,
    feeCurrencies: [{ ...fee, gasPriceStep: { low: price, average: price, high: price * 2 } }],
    stakeCurrency: fee,
    features: [],
  };
  const chain = {
    $schema: "../chain.schema.json",
    chain_name: "pegzone",
    chain_id: o.chainId,
    pretty_name: "pegzone",
    network_type: "devnet",
    bech32_prefix: p,
    slip44: COIN_TYPE,
    fees: { fee_tokens: [{ denom: FEE_DENOM, fixed_min_gas_price: price, low_gas_price: price, average_gas_price: price, high_gas_price: price * 2 }] },
    staking: { staking_tokens: [{ denom: FEE_DENOM }] },
    apis: { rpc: [{ address: o.rpc }], rest: [{ address: o.rest }] },
  };
  const asset = (m: { base: string; display: string; name: string; symbol: string; description: string; units: Array<{ denom: string; exponent: number }> }) => ({
    description: m.description,
    denom_units: m.units,
    base: m.base,
    name: m.name,
    display: m.display,
    symbol: m.symbol,
    type_asset: "sdk.coin",
  });
  const assetlist = {
    $schema: "../assetlist.schema.json",
    chain_name: "pegzone",
    assets: [
      asset({ base: FEE_DENOM, display: "peg", name: "pegzone", symbol: FEE_DISPLAY.denom, description: "pegzone's fee token", units: [{ denom: FEE_DENOM, exponent: 0 }, { denom: "peg", exponent: FEE_DISPLAY.decimals }] }),
      ...pegged.map((m) =>
        asset({ base: m.base, display: m.display || m.base, name: m.name, symbol: m.symbol, description: m.description, units: m.denomUnits.map((u) => ({ denom: u.denom, exponent: u.exponent })) }),
      ),
    ],
  };
  return { keplr, chain, assetlist };
}

export function registerChainInfoCommand(program: Command): void {
  program
    .command("chain-info")
    .description("print a running node's chain metadata for wallets: Keplr's experimentalSuggestChain JSON and the chain-registry's chain.json and assetlist.json")
    .option("--node <url>", "CometBFT RPC address", "http://127.0.0.1:26657")
    .option("--rpc <url>", "the RPC address wallets should use (default: --node)")
    .option("--rest <url>", "the REST API address wallets should use", "http://127.0.0.1:1317")
    .option("--output-dir <dir>", "write keplr.json, chain.json and assetlist.json there instead of printing")
    .action(async (o: { node: string; rpc?: string; rest: string; outputDir?: string }) => {
      const rpc = new RpcClient(o.node);
      const { metadatas } = QueryDenomsMetadataResponse.decode(await rpc.query("/cosmos.bank.v1beta1.Query/DenomsMetadata", QueryDenomsMetadataRequest.encode({}).finish()));
      const info = chainInfo({ chainId: await rpc.chainId(), rpc: o.rpc ?? o.node, rest: o.rest, metadata: metadatas });
      if (o.outputDir === undefined) return printOutput(info, "json");
      for (const [name, doc] of [["keplr.json", info.keplr], ["chain.json", info.chain], ["assetlist.json", info.assetlist]] as const) writeFileSync(join(o.outputDir, name), `${JSON.stringify(doc, null, 2)}\n`);
      printOutput({ written: ["keplr.json", "chain.json", "assetlist.json"].map((n) => join(o.outputDir!, n)) }, "json");
    });
}
