/**
 * The recorded REST answers of a real gaiad v25 (shared/vectors/gaiad-rest, outside this repository):
 * where they are, a describe that is skipped with a message when they are absent, their index, and
 * `shapeOf`/`shapeDiff` to compare an answer with a recording field for field (same keys, same JSON
 * types, same nesting) when the values naturally differ.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export const REST_VECTORS_DIR = path.resolve(__dirname, "../../../shared/vectors/gaiad-rest");

export const haveRestVectors = (): boolean => existsSync(path.join(REST_VECTORS_DIR, "INDEX.txt"));

/** A describe block that runs only when the vectors are there; otherwise one skipped test says why. */
export function describeWithRestVectors(name: string, body: () => void): void {
  if (haveRestVectors()) describe(name, body);
  else describe.skip(name, () => test.skip(`needs the recorded gaiad REST answers in ${REST_VECTORS_DIR}, absent here`, () => undefined));
}

/** A recorded answer (`name` without .json). */
export function restVector(name: string): any {
  return JSON.parse(readFileSync(path.join(REST_VECTORS_DIR, `${name}.json`), "utf8"));
}

/** INDEX.txt: each recording's name, HTTP status and the request that produced it. */
export function restVectorIndex(): Array<{ name: string; status: number; request: string }> {
  return readFileSync(path.join(REST_VECTORS_DIR, "INDEX.txt"), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [name, status, ...request] = l.split(" ");
      return { name, status: Number(status), request: request.join(" ") };
    });
}

export type Shape = "string" | "number" | "boolean" | "null" | Shape[] | { [key: string]: Shape };

/** The JSON types of a value, nested as it is; an array by its first element's shape (none when empty). */
export function shapeOf(json: unknown): Shape {
  if (json === null) return "null";
  if (Array.isArray(json)) return json.length === 0 ? [] : [shapeOf(json[0])];
  if (typeof json === "object") return Object.fromEntries(Object.entries(json as object).map(([k, v]) => [k, shapeOf(v)]));
  return typeof json as "string" | "number" | "boolean";
}

/**
 * Where `actual` does not have the shape of `expected`: a missing or extra key, another JSON type,
 * another nesting. Every element of an array is held to the other side's first element; an empty
 * array on either side matches any array (there is nothing to compare). Two Anys ("@type") of
 * different types are different messages: only their "@type" is compared.
 */
export function shapeDiff(actual: unknown, expected: unknown, at = "$"): string[] {
  const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
  if (kind(actual) !== kind(expected)) return [`${at}: ${kind(actual)}, recorded ${kind(expected)}`];
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length === 0 || expected.length === 0) return [];
    return actual.flatMap((a, i) => shapeDiff(a, expected[0], `${at}[${i}]`));
  }
  if (kind(actual) !== "object") return [];
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  if ("@type" in a && "@type" in e && a["@type"] !== e["@type"]) return [];
  const out: string[] = [];
  for (const k of Object.keys(e)) if (!(k in a)) out.push(`${at}.${k}: missing`);
  for (const k of Object.keys(a)) {
    if (!(k in e)) out.push(`${at}.${k}: not in the recording`);
    else out.push(...shapeDiff(a[k], e[k], `${at}.${k}`));
  }
  return out;
}
