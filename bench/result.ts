/** One measured figure, as printed by `npm run bench` and copied into docs/performance.md. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export function printResults(title: string, results: BenchResult[]): void {
  console.log(`\n## ${title}`);
  for (const r of results) {
    console.log(`${r.name.padEnd(58)} ${formatValue(r.value).padStart(14)} ${r.unit}${r.note ? `  (${r.note})` : ""}`);
  }
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

/** Operations per second of `op`, run until `durationMs` has passed (after one untimed warm-up call). */
export function opsPerSecond(op: () => void, durationMs: number): number {
  op();
  let ops = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(durationMs) * 1_000_000n;
  let elapsed = 0n;
  do {
    op();
    ops++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  return ops / (Number(elapsed) / 1e9);
}
