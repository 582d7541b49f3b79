/**
 * `npm run bench`: every benchmark in turn; copy the figures into docs/performance.md.
 * `npm run bench -- NAME...`: only those (names below, e.g. `npm run bench -- hub-peg`).
 */
import { cpus } from "node:os";
import { benchAbci } from "./abci";
import { benchHeaders } from "./headers";
import { benchHubClaims } from "./hub-claims";
import { benchHubPeg } from "./hub-peg";
import { benchLoad } from "./load";
import { benchPeg } from "./peg";
import { type BenchResult, printResults } from "./result";
import { benchSecp256k1 } from "./secp256k1";
import { benchStore } from "./store";
import { benchTendermint } from "./tendermint";

const BENCHES: ReadonlyArray<readonly [name: string, title: string, run: () => Promise<BenchResult[]>]> = [
  ["secp256k1", "secp256k1 signature verification (one core)", benchSecp256k1],
  ["store", "State store", benchStore],
  ["headers", "Bitcoin light client", benchHeaders],
  ["tendermint", "Tendermint light client (one core)", benchTendermint],
  ["peg", "Peg (in-process app)", benchPeg],
  ["hub-claims", "Cosmos Hub claims (in process)", benchHubClaims],
  ["abci", "ABCI through real CometBFT", benchAbci],
  ["load", "Load through one validator", benchLoad],
  ["hub-peg", "Cosmos Hub peg-in latency and peg-out time", benchHubPeg],
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !BENCHES.some(([name]) => name === w));
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(", ")}: choose from ${BENCHES.map(([name]) => name).join(", ")}`);
  console.log(`pegzone benchmarks — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}`);
  for (const [name, title, run] of BENCHES) if (wanted.length === 0 || wanted.includes(name)) printResults(title, await run());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
