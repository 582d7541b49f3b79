import * as authQuery from "cosmjs-types/cosmos/auth/v1beta1/query";
import * as bankQuery from "cosmjs-types/cosmos/bank/v1beta1/query";
import type { Logger } from "../chain/log";
import { AuthModule } from "../modules/auth/module";
import { moduleAddress, type ModuleAccountSpec } from "../modules/auth/keeper";
import { BURNER, MINTER } from "../modules/auth/types";
import { newAnteHandler } from "../modules/auth/ante";
import type { BankKeeper } from "../modules/bank/keeper";
import { BankModule } from "../modules/bank/module";
import { bitcoinKind } from "../modules/peg/bitcoin/kind";
import type { MainChainKind } from "../modules/peg/kinds";
import { tendermintKind } from "../modules/peg/tendermint/kind";
import type { PegBankKeeper } from "../modules/peg/expected-keepers";
import { PegModule } from "../modules/peg/module";
import { ValidatorsModule } from "../modules/validators/module";
import { VALIDATORS_STORE } from "../modules/validators/keeper";
import { followValidators } from "../modules/peg/follow";
import { pegzone } from "../proto";
import { parseDecCoins } from "../chain/types/fees";
import { sdkErrors } from "../chain/tx/errors";
import type { MsgRegistry } from "../chain/tx/registry";
import { ADDRESS_PREFIX, toBech32 } from "../chain/crypto/address";
import { BaseApp, type BlockPhase } from "../chain/app/baseapp";
import type { SnapshotOptions } from "../chain/snapshots/state-sync";

/** The fee (and staking) denom. */

/** The kinds of main chain this chain can peg, by client type: adding a kind is one line here. */
export const MAINCHAIN_KINDS: Readonly<Record<string, MainChainKind>> = { bitcoin: bitcoinKind, tendermint: tendermintKind };
export const FEE_DENOM = "upeg";
/** The gas price clients pay and a new node's app.toml asks for by default. */
export const DEFAULT_GAS_PRICES = `0.0025${FEE_DENOM}`;
export const FEE_COLLECTOR = "fee_collector";

export const PEG_REDEMPTION = "peg";

const moduleAccounts: ModuleAccountSpec[] = [
  { name: FEE_COLLECTOR, permissions: [] },
  // The peg mints what deposits back and burns what releases pay out.
  { name: PEG_REDEMPTION, permissions: [MINTER, BURNER] },
];

/**
 * The bank as the peg module sees it, bound to its module account: mint and burn by module name
 * with the account's permissions checked, and transfers only into or out of that account.
 */
export function pegBankKeeper(bank: BankKeeper, moduleName: string): PegBankKeeper {
  const account = Buffer.from(moduleAddress(moduleName));
  const isModule = (address: Uint8Array) => account.equals(address);
  const bech32 = (address: Uint8Array) => toBech32(ADDRESS_PREFIX, address);
  return {
    async mint(ctx, to, coins) {
      await bank.mintCoins(ctx, moduleName, coins);
      // Minted into the module account itself (a failed release's withdrawals, queued again): nothing to pay.
      if (!isModule(to)) await bank.sendCoinsFromModuleToAccount(ctx, moduleName, to, coins);
    },
    async burn(ctx, from, coins) {
      if (!isModule(from)) throw sdkErrors.ErrUnauthorized.wrap(`the ${moduleName} module burns only from its module account, not from ${bech32(from)}`);
      await bank.burnCoins(ctx, moduleName, coins);
    },
    async send(ctx, from, to, coins) {
      if (isModule(from)) await bank.sendCoinsFromModuleToAccount(ctx, moduleName, to, coins);
      else if (isModule(to)) await bank.sendCoinsFromAccountToModule(ctx, from, moduleName, coins);
      else throw sdkErrors.ErrUnauthorized.wrap(`the ${moduleName} module moves coins only into or out of its module account, not from ${bech32(from)} to ${bech32(to)}`);
    },
    supplyOf: (ctx, denom) => bank.supplyOf(ctx, denom),
    setDenomMetadata: (ctx, metadata) => bank.setDenomMetadata(ctx, metadata),
  };
}

export interface PegzoneAppConfig {
  dbDir: string;
  chainId: string;
  minimumGasPrices: string;
  pruningKeepRecent: number;
  minRetainBlocks: number;
  logger: Logger;
  /** State sync snapshots (app.toml [state-sync]). */
  snapshots?: SnapshotOptions;
  onPhase?: (phase: BlockPhase) => void;
  /** The kinds of main chain the peg knows; MAINCHAIN_KINDS unless a test adds its own. */
  kinds?: Readonly<Record<string, MainChainKind>>;
}

/** The module set of a pegzone chain, wired together: the one place that knows every module. */
export function openPegzoneApp(config: PegzoneAppConfig): Promise<BaseApp> {
  const blocked = new Set(moduleAccounts.map((m) => Buffer.from(moduleAddress(m.name)).toString("hex")));
  const auth = new AuthModule(moduleAccounts);
  const bank = new BankModule(auth.keeper, (address) => blocked.has(Buffer.from(address).toString("hex")));
  const peg = new PegModule(pegBankKeeper(bank.keeper, PEG_REDEMPTION), config.kinds ?? MAINCHAIN_KINDS, moduleAddress(PEG_REDEMPTION));
  // every federation follows the validator set; the validators module's account proposes it
  const validatorsAccount = toBech32(ADDRESS_PREFIX, moduleAddress(VALIDATORS_STORE));
  const validators = new ValidatorsModule({ validatorSetChanged: (ctx, active) => followValidators(ctx, peg.keeper, active, validatorsAccount) });
  const minGasPrices = parseDecCoins(config.minimumGasPrices);
  const ante = (registry: MsgRegistry) => newAnteHandler({ accounts: auth.keeper, bank: bank.keeper, feeCollector: FEE_COLLECTOR, minGasPrices, registry });
  return BaseApp.open({
    dbDir: config.dbDir,
    chainId: config.chainId,
    modules: [auth, bank, validators, peg],
    queryPackages: { "cosmos.auth.v1beta1": authQuery, "cosmos.bank.v1beta1": bankQuery, "pegzone.validators.v1": pegzone.validators.v1, "pegzone.peg.v1": pegzone.peg.v1 },
    ante,
    logger: config.logger,
    pruningKeepRecent: config.pruningKeepRecent,
    minRetainBlocks: config.minRetainBlocks,
    snapshots: config.snapshots,
    onPhase: config.onPhase,
  });
}
