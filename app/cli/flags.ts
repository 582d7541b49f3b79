/**
 * Options and argument parsers several `pegzone` commands share (main.ts, genesis-command.ts,
 * devnet-command.ts), so that each command file need not repeat them.
 */
import { Option } from "commander";
import { parseAbciTransport } from "../node/home";

export const homeOption = () => new Option("--home <dir>", "node home folder (default $PEGZONE_HOME or ~/.pegzone)");
export const abciOption = (tcpPort: string) =>
  new Option("--abci <transport>", `how the app and CometBFT talk ABCI, written to config.toml's proxy_app: 'unix' (a socket only this user can open, in <home>/data) or 'tcp' (127.0.0.1:${tcpPort}, open to every local process)`)
    .argParser(parseAbciTransport)
    .default("unix");

/** A whole number of 0 or more, or an error naming the value. */
export function intArg(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`expected a whole number, got ${JSON.stringify(value)}`);
  return n;
}
