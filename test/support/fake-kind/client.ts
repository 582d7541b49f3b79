/**
 * The fake kind's light client, in the kind-agnostic shape of light-client/types.ts. Its main chain
 * has one block producer: every header is signed (ed25519) by one chain key, whose public key is in
 * the registration. Small, but it checks everything it is handed:
 *
 *   header      {height, parent (hex hash), time (unix ns, decimal string), txRoot (hex)}; its hash is
 *               sha256 of its canonical JSON, and the chain key signs SIGN_PREFIX ‖ that JSON.
 *   message     one header per MsgRelayHeaders entry, as UTF-8 JSON {header, signature (hex)}.
 *   register    { chain_key: hex, genesis: {height, hash, time} }
 *   export      the registration plus every header relayed since ({header, signature}, in height
 *               order) and the evidence if frozen; initialize re-verifies all of it.
 *
 * verifyClientMessage takes exactly one header signed by the chain key, either the next one (height =
 * latest + 1, parent = latest hash, later time, not from the future) or one at a stored height. A
 * header at a stored height with another hash is misbehaviour (the chain key signed two blocks at
 * one height): the client freezes and takes no more headers. Store layout (the KVStore the peg hands
 * over, prefixed per main chain):
 *
 *   0x00                  client state JSON {chain_key, genesis_height, latest_height}
 *   0x01 | height u64be   block JSON {hash, parent, time, txRoot, signature} (genesis: parent, txRoot, signature "")
 *   0x02                  evidence (UTF-8), present exactly when frozen
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { KVStore } from "../../../chain/store/types";
import type { ClientStatus, ClientUpdate, LightClient } from "../../../light-client/types";
import { arr, decimal, encodeUtf8, fail, hexBytes, jsonBytes, obj, parseJsonBytes, safeInt, toHex, type JsonObject } from "./json";

export const FAKE_CLIENT_TYPE = "fake";
/** Signed before a header's JSON, so that a chain-key signature of a header is never one of anything else. */
const SIGN_PREFIX = encodeUtf8("pegzone fake header\n");
/** How far after pegzone's block time a header's time may be. */
export const MAX_CLOCK_DRIFT = 600n * 1_000_000_000n;

const KEY_STATE = Uint8Array.of(0x00);
const P_BLOCK = 0x01;
const KEY_EVIDENCE = Uint8Array.of(0x02);

export interface FakeHeader {
  readonly height: number;
  readonly parent: string;
  readonly time: bigint;
  readonly txRoot: string;
}

/** A block as the client stores it. */
export interface StoredBlock {
  readonly height: number;
  readonly hash: string;
  readonly parent: string;
  readonly time: bigint;
  readonly txRoot: string;
  readonly signature: string;
}

interface ClientState {
  readonly chainKey: Uint8Array;
  readonly genesisHeight: number;
  readonly latestHeight: number;
}

/** What verifyClientMessage hands on: the header, and whether it extends the chain (else it is at a stored height). */
export interface FakeVerified {
  readonly header: FakeHeader;
  readonly hash: string;
  readonly signature: string;
  readonly next: boolean;
}

// ---- headers

function headerJson(h: FakeHeader): JsonObject {
  return { height: h.height, parent: h.parent, time: h.time.toString(), txRoot: h.txRoot };
}

/** The canonical bytes of a header: its hash's preimage. */
export function headerBytes(h: FakeHeader): Uint8Array {
  return jsonBytes(headerJson(h));
}

export const headerHash = (h: FakeHeader): string => toHex(sha256(headerBytes(h)));

/** What the chain key signs for a header. */
export function headerSignBytes(h: FakeHeader): Uint8Array {
  return Uint8Array.from(Buffer.concat([SIGN_PREFIX, headerBytes(h)]));
}

/** The relayed form of a header: UTF-8 JSON {header, signature}. */
export function headerMessage(h: FakeHeader, signature: Uint8Array): Uint8Array {
  return jsonBytes({ header: headerJson(h), signature: toHex(signature) });
}

function parseHeader(x: unknown, what: string): FakeHeader {
  const o = obj(x, what, ["height", "parent", "time", "txRoot"]);
  const parent = o.parent;
  hexBytes(parent, `${what}.parent`, 32);
  hexBytes(o.txRoot, `${what}.txRoot`, 32);
  return { height: safeInt(o.height, `${what}.height`), parent: parent as string, time: decimal(o.time, `${what}.time`), txRoot: o.txRoot as string };
}

function parseSigned(x: unknown, what: string): { header: FakeHeader; signature: Uint8Array } {
  const o = obj(x, what, ["header", "signature"]);
  return { header: parseHeader(o.header, `${what}.header`), signature: hexBytes(o.signature, `${what}.signature`, 64) };
}

export function decodeHeaderMessage(bytes: Uint8Array): { header: FakeHeader; signature: Uint8Array } {
  return parseSigned(parseJsonBytes(bytes, "header message"), "header message");
}

function checkSignature(chainKey: Uint8Array, header: FakeHeader, signature: Uint8Array): void {
  let ok = false;
  try {
    ok = ed25519.verify(signature, headerSignBytes(header), chainKey);
  } catch {
    ok = false;
  }
  if (!ok) fail("bad-signature", `header ${header.height} is not signed by the chain key ${toHex(chainKey)}`);
}

/** The rules of a header extending `prev` (all but the signature and the clock). */
function checkNext(prev: StoredBlock, header: FakeHeader): void {
  if (header.parent !== prev.hash) fail("unknown-parent", `header ${header.height} has parent ${header.parent}, the client's block ${prev.height} is ${prev.hash}`);
  if (header.time <= prev.time) fail("non-monotonic-time", `header ${header.height} at ${header.time} is not after block ${prev.height} at ${prev.time}`);
}

// ---- store

function blockKey(height: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = P_BLOCK;
  new DataView(key.buffer).setBigUint64(1, BigInt(height));
  return key;
}

async function loadState(store: KVStore): Promise<ClientState> {
  const raw = await store.get(KEY_STATE);
  if (raw === undefined) fail("not-initialized", "no fake light client in this store");
  const o = obj(parseJsonBytes(raw, "client state"), "client state", ["chain_key", "genesis_height", "latest_height"]);
  return { chainKey: hexBytes(o.chain_key, "chain_key", 32), genesisHeight: safeInt(o.genesis_height, "genesis_height"), latestHeight: safeInt(o.latest_height, "latest_height") };
}

function saveState(store: KVStore, s: ClientState): void {
  store.set(KEY_STATE, jsonBytes({ chain_key: toHex(s.chainKey), genesis_height: s.genesisHeight, latest_height: s.latestHeight }));
}

/** The stored block at a height, if any. */
export async function storedBlock(store: KVStore, height: number): Promise<StoredBlock | undefined> {
  if (!Number.isSafeInteger(height) || height < 0) return undefined;
  const raw = await store.get(blockKey(height));
  if (raw === undefined) return undefined;
  const o = obj(parseJsonBytes(raw, "stored block"), "stored block", ["hash", "parent", "time", "txRoot", "signature"]);
  return { height, hash: o.hash as string, parent: o.parent as string, time: decimal(o.time, "time"), txRoot: o.txRoot as string, signature: o.signature as string };
}

function setBlock(store: KVStore, b: StoredBlock): void {
  store.set(blockKey(b.height), jsonBytes({ hash: b.hash, parent: b.parent, time: b.time.toString(), txRoot: b.txRoot, signature: b.signature }));
}

/** The latest stored height (the tip), for confirmations. */
export async function latestHeight(store: KVStore): Promise<number> {
  return (await loadState(store)).latestHeight;
}

async function evidenceOf(store: KVStore): Promise<string | undefined> {
  const raw = await store.get(KEY_EVIDENCE);
  return raw === undefined ? undefined : Buffer.from(raw).toString("utf8");
}

async function mustBlock(store: KVStore, height: number): Promise<StoredBlock> {
  const b = await storedBlock(store, height);
  if (b === undefined) throw new Error(`internal: the fake client has no block at its height ${height}`);
  return b;
}

// ---- registration and export

function parseGenesis(x: unknown): { height: number; hash: string; time: bigint } {
  const g = obj(x, "genesis", ["height", "hash", "time"], "bad-registration");
  hexBytes(g.hash, "genesis.hash", 32, "bad-registration");
  return { height: safeInt(g.height, "genesis.height", "bad-registration"), hash: g.hash as string, time: decimal(g.time, "genesis.time", "bad-registration") };
}

async function initialize(store: KVStore, json: unknown): Promise<void> {
  if ((await store.get(KEY_STATE)) !== undefined) fail("already-initialized", "the store already holds a fake light client");
  const isExport = typeof json === "object" && json !== null && Object.hasOwn(json, "headers");
  const o = obj(json, "registration", isExport ? ["chain_key", "genesis", "headers"] : ["chain_key", "genesis"], "bad-registration", isExport ? ["evidence"] : []);
  const chainKey = hexBytes(o.chain_key, "chain_key", 32, "bad-registration");
  try {
    ed25519.Point.fromBytes(chainKey);
  } catch {
    fail("bad-registration", `chain_key ${toHex(chainKey)} is not an ed25519 public key`);
  }
  const genesis = parseGenesis(o.genesis);
  let prev: StoredBlock = { height: genesis.height, hash: genesis.hash, parent: "", time: genesis.time, txRoot: "", signature: "" };
  // Everything is checked before the first write: a refused registration leaves the store untouched.
  const blocks = [prev];
  for (const [i, raw] of (isExport ? arr(o.headers, "headers", "bad-registration") : []).entries()) {
    const { header, signature } = parseSigned(raw, `headers[${i}]`);
    if (header.height !== prev.height + 1) fail("bad-registration", `headers[${i}] is at height ${header.height}, not ${prev.height + 1}`);
    checkSignature(chainKey, header, signature);
    checkNext(prev, header);
    prev = { height: header.height, hash: headerHash(header), parent: header.parent, time: header.time, txRoot: header.txRoot, signature: toHex(signature) };
    blocks.push(prev);
  }
  const evidence = isExport && o.evidence !== undefined ? o.evidence : undefined;
  if (evidence !== undefined && (typeof evidence !== "string" || evidence === "")) fail("bad-registration", "evidence must be a non-empty string");
  for (const b of blocks) setBlock(store, b);
  if (evidence !== undefined) store.set(KEY_EVIDENCE, encodeUtf8(evidence));
  saveState(store, { chainKey, genesisHeight: genesis.height, latestHeight: prev.height });
}

async function exportState(store: KVStore): Promise<unknown> {
  const s = await loadState(store);
  const genesis = await mustBlock(store, s.genesisHeight);
  const headers: unknown[] = [];
  for (let h = s.genesisHeight + 1; h <= s.latestHeight; h++) {
    const b = await mustBlock(store, h);
    headers.push({ header: headerJson({ height: h, parent: b.parent, time: b.time, txRoot: b.txRoot }), signature: b.signature });
  }
  const evidence = await evidenceOf(store);
  return {
    chain_key: toHex(s.chainKey),
    genesis: { height: genesis.height, hash: genesis.hash, time: genesis.time.toString() },
    headers,
    ...(evidence === undefined ? {} : { evidence }),
  };
}

// ---- the LightClient

async function verify(store: KVStore, message: readonly Uint8Array[], now: bigint): Promise<FakeVerified> {
  const s = await loadState(store);
  if ((await evidenceOf(store)) !== undefined) fail("frozen", "the client is frozen after misbehaviour");
  if (message.length !== 1) fail("bad-encoding", `a fake client message is one header, got ${message.length}`);
  const { header, signature } = decodeHeaderMessage(message[0]);
  checkSignature(s.chainKey, header, signature);
  const hash = headerHash(header);
  const verified = { header, hash, signature: toHex(signature) };
  if (header.height < s.genesisHeight) fail("too-old", `header ${header.height} is below the client's genesis ${s.genesisHeight}`);
  if (header.height <= s.latestHeight) return { ...verified, next: false };
  if (header.height !== s.latestHeight + 1) fail("not-next", `header ${header.height}: the client's next height is ${s.latestHeight + 1}`);
  checkNext(await mustBlock(store, s.latestHeight), header);
  if (header.time > now + MAX_CLOCK_DRIFT) fail("future-header", `header ${header.height} at ${header.time} is more than the clock drift after ${now}`);
  return { ...verified, next: true };
}

async function summaryUpdate(store: KVStore, added: number, attributes: ReadonlyArray<readonly [string, string]>): Promise<ClientUpdate> {
  const s = await loadState(store);
  return { latestHeight: BigInt(s.latestHeight), latestHash: (await mustBlock(store, s.latestHeight)).hash, added, attributes };
}

async function status(store: KVStore): Promise<ClientStatus> {
  await loadState(store);
  return (await evidenceOf(store)) === undefined ? "Active" : "Frozen";
}

export const fakeLightClient: LightClient<unknown, FakeVerified> = {
  type: FAKE_CLIENT_TYPE,
  initialize: (store, _config, registration) => initialize(store, registration),
  verifyClientMessage: (store, _config, message, now) => verify(store, message, now),

  async checkForMisbehaviour(store, _config, v) {
    if (v.next) return undefined;
    const stored = await mustBlock(store, v.header.height);
    return stored.hash === v.hash ? undefined : `the chain key signed two headers at height ${v.header.height}: ${stored.hash} and ${v.hash}`;
  },

  async updateState(store, _config, v) {
    if (!v.next) {
      // A header the client already has: nothing new (a different one is misbehaviour, never applied here).
      if ((await mustBlock(store, v.header.height)).hash !== v.hash) throw new Error(`internal: updateState with a conflicting header at ${v.header.height}`);
      return summaryUpdate(store, 0, [["height", String(v.header.height)]]);
    }
    const s = await loadState(store);
    const { height, parent, time, txRoot } = v.header;
    setBlock(store, { height, hash: v.hash, parent, time, txRoot, signature: v.signature });
    saveState(store, { ...s, latestHeight: height });
    return summaryUpdate(store, 1, [["height", String(height)]]);
  },

  async updateStateOnMisbehaviour(store, _config, v, evidence) {
    store.set(KEY_EVIDENCE, encodeUtf8(evidence));
    return summaryUpdate(store, 0, [["frozen_height", String(v.header.height)]]);
  },

  status: (store) => status(store),

  async summary(store) {
    const s = await loadState(store);
    const latest = await mustBlock(store, s.latestHeight);
    const evidence = await evidenceOf(store);
    return {
      status: await status(store),
      latestHeight: BigInt(s.latestHeight),
      latestHash: latest.hash,
      details: {
        chain_key: toHex(s.chainKey),
        genesis_height: String(s.genesisHeight),
        latest_time: latest.time.toString(),
        latest_tx_root: latest.txRoot,
        ...(evidence === undefined ? {} : { evidence }),
      },
    };
  },

  exportState,
};
