/** Prints a command's result: one line of JSON for scripts (`--output json`), indented JSON for people. */
export function printOutput(value: unknown, format: "json" | "text" = "text"): void {
  console.log(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), format === "json" ? undefined : 2));
}

/** Ends the command with a one-line error on stderr and exit code 1. */
export function fail(message: string): never {
  console.error(`Error: ${message}`);
  process.exit(1);
}
