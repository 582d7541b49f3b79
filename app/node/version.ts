/**
 * What the node says it is (GetNodeInfo's application_version, as gaiad fills it from its build):
 * the app's name and version, the commit of the checkout it runs from, the runtime in place of Go's
 * version, and its npm dependencies with the versions installed in place of Go's build deps.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { VersionInfo } from "cosmjs-types/cosmos/base/tendermint/v1beta1/query";
import { APP_NAME, APP_VERSION } from "../../chain/app/baseapp";
import { repoRoot } from "./cometbft";

export function versionInfo(root = repoRoot()): VersionInfo {
  const pkg = readJson(join(root, "package.json")) as { dependencies?: Record<string, string> } | undefined;
  const buildDeps = Object.keys(pkg?.dependencies ?? {})
    .sort()
    .map((name) => ({ path: name, version: String((readJson(join(root, "node_modules", name, "package.json")) as { version?: string } | undefined)?.version ?? ""), sum: "" }));
  return {
    name: APP_NAME,
    appName: APP_NAME,
    version: APP_VERSION,
    gitCommit: gitCommit(root),
    buildTags: "",
    goVersion: `node ${process.version} ${process.platform}/${process.arch}`,
    buildDeps,
    cosmosSdkVersion: "",
  };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/** The checkout's commit, or "" outside a git checkout. */
function gitCommit(root: string): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).trim();
  } catch {
    return "";
  }
}
