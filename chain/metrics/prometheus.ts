/**
 * A small Prometheus registry written by hand (no client library in the dependencies): counters,
 * gauges and histograms with labels, rendered in the text exposition format 0.0.4. Gauges whose
 * value is read at scrape time are filled by collectors the registry awaits before rendering.
 */

export type Labels = Readonly<Record<string, string>>;

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name ${name}`);
  }

  abstract samples(): string[];

  render(): string[] {
    const samples = this.samples();
    return [`# HELP ${this.name} ${this.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${this.name} ${this.type}`, ...samples];
  }
}

class Series<V> {
  private readonly series = new Map<string, { labels: Labels; value: V }>();

  get(labels: Labels, init: () => V): { labels: Labels; value: V } {
    const key = labelText(labels);
    let entry = this.series.get(key);
    if (entry === undefined) this.series.set(key, (entry = { labels, value: init() }));
    return entry;
  }

  entries(): Array<{ labels: Labels; value: V }> {
    return [...this.series.values()];
  }

  clear(): void {
    this.series.clear();
  }
}

export class Counter extends Metric {
  private readonly values = new Series<number>();

  constructor(name: string, help: string) {
    super(name, help, "counter");
  }

  inc(labels: Labels = {}, by = 1): void {
    this.values.get(labels, () => 0).value += by;
  }

  samples(): string[] {
    return this.values.entries().map((e) => `${this.name}${labelText(e.labels)} ${numberText(e.value)}`);
  }
}

export class Gauge extends Metric {
  private readonly values = new Series<number>();

  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }

  set(value: number, labels: Labels = {}): void {
    this.values.get(labels, () => 0).value = value;
  }

  /** Forgets every series (a collector refilling the gauge drops what no longer exists). */
  reset(): void {
    this.values.clear();
  }

  samples(): string[] {
    return this.values.entries().map((e) => `${this.name}${labelText(e.labels)} ${numberText(e.value)}`);
  }
}

export class Histogram extends Metric {
  private readonly values = new Series<{ counts: number[]; sum: number; count: number }>();

  constructor(
    name: string,
    help: string,
    private readonly buckets: readonly number[],
  ) {
    super(name, help, "histogram");
  }

  observe(value: number, labels: Labels = {}): void {
    const v = this.values.get(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 })).value;
    this.buckets.forEach((le, i) => {
      if (value <= le) v.counts[i]++;
    });
    v.sum += value;
    v.count++;
  }

  samples(): string[] {
    return this.values.entries().flatMap(({ labels, value }) => [
      ...this.buckets.map((le, i) => `${this.name}_bucket${labelText({ ...labels, le: numberText(le) })} ${value.counts[i]}`),
      `${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${value.count}`,
      `${this.name}_sum${labelText(labels)} ${numberText(value.sum)}`,
      `${this.name}_count${labelText(labels)} ${value.count}`,
    ]);
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];
  private readonly collectors: Array<() => Promise<void>> = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  /** Runs before every scrape, e.g. to set gauges read from state. */
  onScrape(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  async render(): Promise<string> {
    for (const collect of this.collectors) await collect();
    return this.metrics.flatMap((m) => m.render()).join("\n") + "\n";
  }

  private add<M extends Metric>(metric: M): M {
    if (this.metrics.some((m) => m.name === metric.name)) throw new Error(`metric ${metric.name} registered twice`);
    this.metrics.push(metric);
    return metric;
  }
}

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

function labelText(labels: Labels): string {
  const keys = Object.keys(labels).sort((a, b) => (a === "le" ? 1 : b === "le" ? -1 : a.localeCompare(b)));
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${labels[k].replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
