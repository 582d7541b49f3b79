import type { Logger } from "../log";
import { AuthModule } from "../../modules/auth/module";
import { moduleAddress } from "../../modules/auth/keeper";
import { newAnteHandler } from "../../modules/auth/ante";
import { BankModule } from "../../modules/bank/module";
import { bitcoinKind } from "../../modules/peg/bitcoin/kind";
import { PegModule } from "../../modules/peg/module";
import { parseDecCoins } from "../../modules/auth/fees";
import type { MsgRegistry } from "../tx/registry";
import { cachedVerifier, verifySignature } from "../crypto/secp256k1";
import { PegzoneApp, type BlockPhase } from "./app";

export const FEE_DENOM = "upeg";
export const FEE_COLLECTOR = "fee_collector";

export const PEG_REDEMPTION = "peg";

const moduleAccounts = [
  { name: FEE_COLLECTOR, permissions: [] as string[] },
  { name: PEG_REDEMPTION, permissions: ["burner"] },
];

export interface PegzoneAppConfig {
  dbDir: string;
  chainId: string;
  minimumGasPrices: string;
  pruningKeepRecent: number;
  minRetainBlocks: number;
  logger: Logger;
  onPhase?: (phase: BlockPhase) => void;
}

/** The module set of a pegzone chain, wired together: the one place that knows every module. */
export function openPegzoneApp(config: PegzoneAppConfig): Promise<PegzoneApp> {
  const blocked = new Set(moduleAccounts.map((m) => Buffer.from(moduleAddress(m.name)).toString("hex")));
  const auth = new AuthModule(moduleAccounts);
  const bank = new BankModule(auth.keeper, (address) => blocked.has(Buffer.from(address).toString("hex")));
  const peg = new PegModule(bank.keeper, { bitcoin: bitcoinKind }, moduleAddress(PEG_REDEMPTION));
  const minGasPrices = parseDecCoins(config.minimumGasPrices);
  // Big enough for a full mempool (CometBFT's default holds 5,000 txs) and the blocks in flight.
  const verifier = cachedVerifier(verifySignature, 20_000);
  const ante = (registry: MsgRegistry) =>
    newAnteHandler({ accounts: auth.keeper, bank: bank.keeper, feeCollector: moduleAddress(FEE_COLLECTOR), minGasPrices, registry, verifier });
  return PegzoneApp.open({
    dbDir: config.dbDir,
    chainId: config.chainId,
    modules: [auth, bank, peg],
    ante,
    logger: config.logger,
    pruningKeepRecent: config.pruningKeepRecent,
    minRetainBlocks: config.minRetainBlocks,
    onPhase: config.onPhase,
  });
}
