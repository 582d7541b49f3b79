/**
 * `pegzone genesis`: edits genesis.json before the chain starts (add-account, add-validator, add-mainchain). Apart
 * from main.ts (the command's entry) because add-mainchain's many per-kind flags are a command of
 * their own.
 */
import { Command, Option } from "commander";
import { Home, readGenesis, writeGenesis } from "../node/home";
import { CometRpcClient } from "../../relayer/cometbft-rpc";
import { fetchTendermintRegistration } from "../../relayer/tendermint-registration";
import {
  addBitcoinMainChain,
  addGenesisAccount,
  addGenesisValidator,
  addTendermintMainChain,
  BITCOIN_MAINCHAIN_DEFAULTS,
  DEFAULT_MAX_CLOCK_DRIFT_SECONDS,
  DEFAULT_TRUSTING_PERIOD_SECONDS,
  parseTrustLevel,
  signerAccount,
  TENDERMINT_MAINCHAIN_DEFAULTS,
  TENDERMINT_RELEASE_DEFAULTS,
  type GenericSettings,
} from "./genesis";
import { homeOption, intArg } from "./flags";
import { printOutput } from "./output";
import { parseFederationMembers } from "./peg";
import { candidateOf } from "./validators";
import { cometAddress } from "../../chain/keys/key-files";
import { validateAction } from "../../modules/validators/rules";

const kindDefault = (setting: keyof GenericSettings) => {
  const [bitcoin, tendermint] = [BITCOIN_MAINCHAIN_DEFAULTS[setting], TENDERMINT_MAINCHAIN_DEFAULTS[setting]];
  return bitcoin === tendermint ? `(default: ${bitcoin})` : `(default: ${bitcoin} for bitcoin, ${tendermint} for tendermint)`;
};
/** Flags of one kind only, by their option keys: given with the other kind, they are refused. */
const BITCOIN_ONLY_FLAGS = ["network", "confirmations", "reorgLimit", "pruneWindow", "feeRate"] as const;
const TENDERMINT_ONLY_FLAGS = ["trustedRpc", "trustedHeight", "denom", "displayDenom", "decimals", "bech32Prefix", "trustLevel", "trustingPeriod", "maxClockDrift", "gasPrice", "releaseTimeoutBlocks"] as const;

interface AddMainChainFlags {
  home?: string;
  gasPrice?: string;
  releaseTimeoutBlocks?: number;
  kind: "bitcoin" | "tendermint";
  members: string;
  authority: string;
  threshold?: number;
  minDeposit?: string;
  pegInFee?: string;
  reserveCap?: string;
  minWithdrawal?: string;
  batchInterval?: number;
  maxFee?: string;
  releaseTimeout?: number;
  federationGrace?: number;
  network?: string;
  confirmations?: number;
  reorgLimit?: number;
  pruneWindow?: number;
  feeRate?: string;
  trustedRpc?: string;
  trustedHeight?: number;
  denom?: string;
  displayDenom?: string;
  decimals?: number;
  bech32Prefix?: string;
  trustLevel: string;
  trustingPeriod?: number;
  maxClockDrift?: number;
}

export function registerGenesisCommand(program: Command): void {
  const genesis = program.command("genesis").description("edit the genesis file before the chain starts");
  genesis
    .command("add-account <address> <coins>")
    .description("add an account with a balance to genesis.json, e.g. 'add-account peg1... 1000000upeg'")
    .addOption(homeOption())
    .action((address: string, coins: string, o: { home?: string }) => {
      const home = Home.resolve(o.home);
      const doc = readGenesis(home);
      addGenesisAccount(doc, address, coins);
      writeGenesis(home, doc);
    });
  genesis
    .command("add-validator")
    .description("add a validator to genesis.json, in CometBFT's list and the validators module's (give --candidate-home, or --operator, --consensus-pubkey and --signer-pubkey)")
    .addOption(homeOption())
    .option("--candidate-home <dir>", "the validator's node home: its keys and moniker, as `pegzone show-validator` prints them")
    .option("--operator <address>", "its operator account (default: its signer key's account)")
    .option("--consensus-pubkey <base64>", "its CometBFT ed25519 key")
    .option("--signer-pubkey <hex>", "its federation signer key (compressed secp256k1)")
    .option("--moniker <name>", "its name")
    .option("--power <n>", "its voting power", "10")
    .action((o: { home?: string; candidateHome?: string; operator?: string; consensusPubkey?: string; signerPubkey?: string; moniker?: string; power: string }) => {
      const c = o.candidateHome === undefined ? undefined : candidateOf(new Home(o.candidateHome));
      const consensus = o.consensusPubkey ?? c?.consensus_pubkey;
      const signer = o.signerPubkey ?? c?.signer_pubkey;
      if (consensus === undefined || signer === undefined) throw new Error("give --candidate-home, or --consensus-pubkey and --signer-pubkey");
      const key = Buffer.from(consensus, "base64");
      if (key.length !== 32) throw new Error(`--consensus-pubkey must be a base64 ed25519 key of 32 bytes, got ${key.length}`);
      if (!/^[1-9]\d{0,9}$/.test(o.power)) throw new Error(`--power must be a positive integer, got ${JSON.stringify(o.power)}`);
      const home = Home.resolve(o.home);
      const doc = readGenesis(home);
      const address = Buffer.from(cometAddress(key)).toString("hex").toUpperCase();
      if (doc.validators.some((v) => v.address === address)) throw new Error(`a validator with consensus key ${consensus} is in genesis already`);
      const validator = { address, pub_key: { type: "tendermint/PubKeyEd25519", value: consensus }, power: o.power, name: o.moniker ?? c?.moniker ?? "" };
      const signerKey = Buffer.from(signer, "hex");
      const operator = o.operator ?? c?.operator ?? signerAccount(signerKey);
      // as InitChain will check it
      validateAction({ add: { validator: { operator, consensusPubkey: key, signerPubkey: signerKey, power: Number(o.power) } } });
      addGenesisValidator(doc, validator, signerKey, operator);
      doc.validators.push(validator);
      writeGenesis(home, doc);
    });
  genesis
    .command("add-mainchain <id>")
    .description("register a main chain to peg, checked as InitChain will check it, e.g. 'add-mainchain btc-regtest --members 02ab...:1:peg1... --authority peg1...' or 'add-mainchain cosmoshub --kind tendermint --trusted-rpc http://hub:26657 --denom uatom --members ... --authority ...'")
    .addOption(homeOption())
    .addOption(new Option("--kind <kind>", "the main chain's kind").choices(["bitcoin", "tendermint"]).default("bitcoin"))
    .requiredOption("--members <list>", "the federation: comma-separated PUBKEYHEX:WEIGHT:ACCOUNT (33-byte compressed key, weight, the member's pegzone account; tendermint: weight 1)")
    .requiredOption("--authority <address>", "the peg authority (may unfreeze the peg)")
    .option("--threshold <weight>", "signing weight a release needs (default: a majority of the total weight)", intArg)
    .option("--min-deposit <amount>", `smallest deposit minted ${kindDefault("min_deposit")}`)
    .option("--peg-in-fee <amount>", `kept from every deposit ${kindDefault("peg_in_fee")}`)
    .option("--reserve-cap <amount>", `the most the reserve may hold ${kindDefault("reserve_cap")}`)
    .option("--min-withdrawal <amount>", `smallest withdrawal ${kindDefault("min_withdrawal")}`)
    .option("--batch-interval <blocks>", `pegzone blocks between releases ${kindDefault("batch_interval")}`, intArg)
    .option("--max-fee <amount>", `the most one release may pay in fees ${kindDefault("max_fee")}`)
    .option("--release-timeout <blocks>", `pegzone blocks before an unconfirmed release is fee-bumped ${kindDefault("release_timeout")}`, intArg)
    .option("--federation-grace <blocks>", `how long a retired federation may still sign ${kindDefault("federation_grace")}`, intArg)
    .option("--network <name>", "bitcoin: mainnet, testnet3, testnet4 or regtest (default: regtest)")
    .option("--confirmations <n>", "bitcoin: blocks a deposit must be buried (default: 6)", intArg)
    .option("--reorg-limit <n>", "bitcoin: the deepest reorg followed without freezing (default: confirmations − 1)", intArg)
    .option("--prune-window <headers>", `bitcoin: headers the light client keeps below its tip (default: ${BITCOIN_MAINCHAIN_DEFAULTS.prune_window})`, intArg)
    .option("--fee-rate <sat/vB>", `bitcoin: release fee rate (default: ${BITCOIN_MAINCHAIN_DEFAULTS.fee_rate})`)
    .option("--trusted-rpc <url>", "tendermint (required): a CometBFT RPC of the main chain you trust, e.g. http://127.0.0.1:26657; the light client starts from its header")
    .option("--trusted-height <h>", "tendermint: the height of the header to trust (default: the node's latest)", intArg)
    .option("--denom <denom>", "tendermint (required): the main chain's token the peg holds, e.g. uatom")
    .option("--display-denom <denom>", "tendermint: its display unit, e.g. atom")
    .option("--decimals <n>", "tendermint: decimals of the display unit, e.g. 6", intArg)
    .option("--bech32-prefix <prefix>", "tendermint: the chain's account address prefix (the federation's multisig account, withdrawal addresses)", "cosmos")
    .option("--trust-level <n/d>", "tendermint: the share of a trusted validator set that must sign a header skipped to (1/3 to 1)", "1/3")
    .option("--trusting-period <seconds>", "tendermint: how long a verified header is trusted; must be below the chain's unbonding period (default: 14 days)", intArg)
    .option("--max-clock-drift <seconds>", "tendermint: how far a header's time may be ahead of pegzone's (default: 10)", intArg)
    .option("--gas-price <price>", `tendermint: what a release offers per unit of gas, in the denom, e.g. 0.005 (default: ${TENDERMINT_RELEASE_DEFAULTS.gas_price})`)
    .option("--release-timeout-blocks <n>", `tendermint: main-chain blocks a release stays valid (its timeout height past the light client's tip; default: ${TENDERMINT_RELEASE_DEFAULTS.release_timeout_blocks})`, intArg)
    .action(async (id: string, o: AddMainChainFlags, cmd: Command) => {
      const home = Home.resolve(o.home);
      const doc = readGenesis(home);
      const foreign = (o.kind === "bitcoin" ? TENDERMINT_ONLY_FLAGS : BITCOIN_ONLY_FLAGS).filter((k) => cmd.getOptionValueSource(k) === "cli");
      if (foreign.length > 0) throw new Error(`${foreign.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")} ${foreign.length === 1 ? "is not a setting" : "are not settings"} of a ${o.kind} main chain`);
      const base = {
        id,
        members: parseFederationMembers(o.members).map((m) => ({ pubkey: m.pubkey as Uint8Array, weight: m.weight as number, account: m.account as string })),
        threshold: o.threshold,
        authority: o.authority,
        min_deposit: o.minDeposit,
        peg_in_fee: o.pegInFee,
        reserve_cap: o.reserveCap,
        min_withdrawal: o.minWithdrawal,
        batch_interval: o.batchInterval,
        max_fee: o.maxFee,
        release_timeout: o.releaseTimeout,
        federation_grace: o.federationGrace,
      };
      if (o.kind === "bitcoin") {
        const confirmations = o.confirmations ?? 6;
        addBitcoinMainChain(doc, { ...base, network: o.network ?? "regtest", confirmations, reorg_limit: o.reorgLimit, prune_window: o.pruneWindow, fee_rate: o.feeRate });
        writeGenesis(home, doc);
        return;
      }
      if (o.trustedRpc === undefined || o.denom === undefined) throw new Error("a tendermint main chain needs --trusted-rpc <url> and --denom <denom>");
      const fetched = await fetchTendermintRegistration(new CometRpcClient(o.trustedRpc), {
        height: o.trustedHeight === undefined ? undefined : BigInt(o.trustedHeight),
        trustLevel: parseTrustLevel(o.trustLevel),
        trustingPeriodSeconds: o.trustingPeriod ?? DEFAULT_TRUSTING_PERIOD_SECONDS,
        maxClockDriftSeconds: o.maxClockDrift ?? DEFAULT_MAX_CLOCK_DRIFT_SECONDS,
      });
      addTendermintMainChain(doc, {
        ...base,
        denom: o.denom,
        display_denom: o.displayDenom,
        decimals: o.decimals,
        bech32_prefix: o.bech32Prefix,
        gas_price: o.gasPrice,
        release_timeout_blocks: o.releaseTimeoutBlocks,
        registration: fetched.registration,
      });
      writeGenesis(home, doc);
      // The trusted block, to compare with a source the operator trusts (an explorer, another node).
      printOutput({ mainchain: id, chain_id: fetched.registration.chain_id, trusted_height: String(fetched.height), trusted_hash: fetched.blockHash, unbonding_period_seconds: String(fetched.unbondingPeriodSeconds) }, "json");
    });
}
