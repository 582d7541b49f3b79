/**
 * Prometheus' text exposition format (0.0.4), checked line by line for the metrics tests: every
 * line is a `# HELP`, a `# TYPE`, another comment, or a sample `name{label="value",...} value
 * [timestamp]`; samples are read back by name and labels.
 */

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const VALUE = "(?:[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?|NaN|[-+]Inf)";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`);
const HELP = new RegExp(`^# HELP ${NAME}( .*)?$`);
const TYPE = new RegExp(`^# TYPE ${NAME} (counter|gauge|histogram|summary|untyped)$`);

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a scrape, and the lines that are not in the format (none, for a valid scrape). */
export function parsePrometheusText(text: string): { samples: Sample[]; invalid: string[] } {
  const samples: Sample[] = [];
  const invalid: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      if ((line.startsWith("# HELP") && !HELP.test(line)) || (line.startsWith("# TYPE") && !TYPE.test(line))) invalid.push(line);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) {
      invalid.push(line);
      continue;
    }
    const labels = Object.fromEntries([...(m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2].replace(/\\n/g, "\n").replace(/\\(.)/g, "$1")]));
    samples.push({ name: m[1], labels, value: m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]) });
  }
  return { samples, invalid };
}

/** The value of the sample named `name` whose labels include `labels`, or undefined. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
