/**
 * The published Tendermint vectors (shared/vectors/tendermint, outside this repository) for the light
 * client's tests: where they are, a describe/test that is skipped with a message when they are absent,
 * readers for their JSON files (the derived file, the kvstore node's RPC answers, the tendermint-rs
 * single-step cases), and the hex/base64 conversions the tests compare with.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const VECTORS_DIR = path.resolve(__dirname, "../../../shared/vectors/tendermint");
/** The real CometBFT v0.38 kvstore node's RPC answers (tendermint-rs fixtures). */
export const RPC_DIR = path.join(VECTORS_DIR, "rpc_v0_38_kvstore");
/** The tendermint-rs single-step model-based cases. */
export const SINGLE_STEP_DIR = path.join(VECTORS_DIR, "single_step");
export const DERIVED_FILE = "cometbft-v0.38.26-derived.json";

/** Whether every one of `files` (relative to VECTORS_DIR; the README by default) is present. */
export const haveVectors = (...files: string[]): boolean => (files.length === 0 ? ["README.md"] : files).every((f) => existsSync(path.join(VECTORS_DIR, f)));

const absentMessage = (files: string[]) => `needs the published vectors in ${VECTORS_DIR} (${files.length === 0 ? "README.md" : files.join(", ")}), absent here`;

/** A describe block that runs only when `needs` (the README by default) are in VECTORS_DIR; otherwise one skipped test says why. */
export function describeWithVectors(name: string, body: () => void, ...needs: string[]): void {
  if (haveVectors(...needs)) describe(name, body);
  else describe.skip(name, () => test.skip(absentMessage(needs), () => undefined));
}

/** A single test that runs only when `needs` are in VECTORS_DIR; otherwise it is skipped and its name says why. */
export function testWithVectors(name: string, fn: () => unknown, ...needs: string[]): void {
  if (haveVectors(...needs)) test(name, fn as () => Promise<unknown>);
  else test.skip(`${name}: ${absentMessage(needs)}`, () => undefined);
}

type Json = any;

/** A JSON file of VECTORS_DIR (path relative to it). */
export const readVectorJson = (file: string): Json => JSON.parse(readFileSync(path.join(VECTORS_DIR, file), "utf8"));
/** The `result` of one of the kvstore node's RPC answers. */
export const rpcResult = (file: string): Json => readVectorJson(path.join("rpc_v0_38_kvstore", file)).result;

/** The single-step case files, by name. */
export const singleStepFiles = (): string[] => readdirSync(SINGLE_STEP_DIR).filter((f) => f.endsWith(".json")).sort();
export const readSingleStep = (file: string): Json => readVectorJson(path.join("single_step", file));
/** Every block of every single-step file: [file, block JSON] (the initial one, then each step's). */
export function singleStepBlocks(): [string, Record<string, Json>][] {
  return singleStepFiles().flatMap((f) => {
    const d = readSingleStep(f);
    return [d.initial, ...d.input.map((s: { block: unknown }) => s.block)].map((b) => [f, b] as [string, Record<string, Json>]);
  });
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** Hex as CometBFT's RPC writes hashes and addresses. */
export const toHexUpper = (b: Uint8Array): string => toHex(b).toUpperCase();
export const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
export const fromBase64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "base64"));
