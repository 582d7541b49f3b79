// Child process of chain/store/crash.test.ts: commits the deterministic workload block after block, printing
// each committed version, until it is killed. TypeScript sources are compiled on the fly by swc.
const { readFileSync } = require("node:fs");
const swc = require("@swc/core");

require.extensions[".ts"] = (module, filename) => {
  const { code } = swc.transformSync(readFileSync(filename, "utf8"), {
    filename,
    module: { type: "commonjs" },
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
  });
  module._compile(code, filename);
};

const { CommitMultiStore } = require("../../chain/store/commit-multistore.ts");
const { workloadBlock, WORKLOAD_STORES } = require("./store.ts");

(async () => {
  const [dir, writes, keySpace, keepRecent] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a)));
  const ms = await CommitMultiStore.open(dir, WORKLOAD_STORES, { keepRecent });
  process.stdout.write(`open ${ms.lastVersion}\n`);
  for (;;) {
    const v = ms.workingVersion;
    workloadBlock(ms, v, writes, keySpace);
    await ms.commit();
    process.stdout.write(`${v}\n`);
  }
})().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
