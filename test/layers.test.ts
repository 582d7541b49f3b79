/**
 * The tree's layers, enforced: every relative import of every production file (not tests, test
 * support or benches) must point down or sideways, never up, and production files form no import
 * cycle. docs/architecture.md draws the same picture.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");

/** Each top-level layer and the layers its production files may import (itself included). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  chain: ["chain"],
  "light-client": ["light-client", "chain"],
  proto: ["proto"],
  modules: ["modules", "light-client", "chain", "proto"],
  relayer: ["relayer", "modules", "light-client", "chain", "proto"],
  app: ["app", "relayer", "modules", "light-client", "chain", "proto"],
};

/** A module may use another module only through that module's public types (the SDK's x/<m>/types). */
const CROSS_MODULE_OK = /^modules\/[^/]+\/types\.ts$/;

/** Above this many lines a production file must say in its header which single concept it holds. */
const MAX_LINES = 500;

function isProduction(file: string): boolean {
  return !/\.test\.ts$/.test(file) && !file.startsWith("proto/gen/");
}

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? walk(path) : /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [path] : [];
  });
}

const files = Object.keys(MAY_IMPORT).flatMap(walk).filter(isProduction);

/** The repository files `file` imports by relative path. */
function importsOf(file: string): string[] {
  const source = readFileSync(join(ROOT, file), "utf8");
  const specs = [...source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)["'](\.{1,2}\/[^"']*)["']/g)].map((m) => m[1]);
  return specs.map((spec) => {
    const base = relative(ROOT, resolve(ROOT, dirname(file), spec));
    for (const candidate of [`${base}.ts`, join(base, "index.ts"), `${base}.d.ts`, base]) {
      try {
        if (statSync(join(ROOT, candidate)).isFile()) return candidate;
      } catch {
        // try the next form
      }
    }
    throw new Error(`${file}: cannot resolve import ${spec}`);
  });
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));
const layerOf = (file: string) => file.split("/")[0];

describe("the tree's layers", () => {
  test("production code imports only its own layer and the layers below it, and never test support or benches", () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        if (dep.startsWith("proto/gen/")) continue;
        const allowed = MAY_IMPORT[layerOf(file)].includes(layerOf(dep));
        if (!allowed) wrong.push(`${file} imports ${dep}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("a module reaches into another module only through its types.ts", () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      if (layerOf(file) !== "modules") continue;
      const own = file.split("/")[1];
      for (const dep of deps) {
        if (layerOf(dep) === "modules" && dep.split("/")[1] !== own && !CROSS_MODULE_OK.test(dep)) wrong.push(`${file} imports ${dep}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("production files form no import cycle", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "open");
      for (const dep of graph.get(file) ?? []) if (graph.has(dep)) visit(dep, [...path, file]);
      state.set(file, "done");
    };
    for (const file of [...graph.keys()].sort()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  test(`a production file over ${MAX_LINES} lines says in its header that it is one concept`, () => {
    const long = files.filter((f) => {
      const text = readFileSync(join(ROOT, f), "utf8");
      return text.split("\n").length > MAX_LINES && !/one concept/i.test(text.slice(0, 1500));
    });
    expect(long).toEqual([]);
  });

  test("the checks see the whole tree (a wrong import would not slip past an empty graph)", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get("app/pegzone.ts")).toContain("chain/app/baseapp.ts");
    expect(MAY_IMPORT.chain).not.toContain("modules");
  });
});
