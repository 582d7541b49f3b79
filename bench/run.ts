/** `npm run bench`: every benchmark in turn; copy the figures into docs/performance.md. */
import { cpus } from "node:os";
import { benchAbci } from "./abci";
import { benchHeaders } from "./headers";
import { benchHubClaims } from "./hub-claims";
import { benchLoad } from "./load";
import { benchPeg } from "./peg";
import { printResults } from "./result";
import { benchSecp256k1 } from "./secp256k1";
import { benchStore } from "./store";
import { benchTendermint } from "./tendermint";

async function main(): Promise<void> {
  console.log(`pegzone benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}`);
  printResults("secp256k1 signature verification (one core)", await benchSecp256k1());
  printResults("State store", await benchStore());
  printResults("Bitcoin light client", await benchHeaders());
  printResults("Tendermint light client (one core)", await benchTendermint());
  printResults("Peg (in-process app)", await benchPeg());
  printResults("Cosmos Hub claims (in process)", await benchHubClaims());
  printResults("ABCI through real CometBFT", await benchAbci());
  printResults("Load through one validator", await benchLoad());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
