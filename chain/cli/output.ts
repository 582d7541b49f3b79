/** Prints a command's result: JSON for scripts (`--output json`), indented text for people. */
export function printOutput(value: unknown, format: "json" | "text" = "text"): void {
  const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), format === "json" ? 2 : 2);
  console.log(json);
}

/** Ends the command with a one-line error on stderr and exit code 1. */
export function fail(message: string): never {
  console.error(`Error: ${message}`);
  process.exit(1);
}
