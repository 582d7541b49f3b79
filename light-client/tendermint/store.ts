/**
 * The Tendermint client's store layout and its reads and writes (the KVStore is the one the peg
 * module hands over, already prefixed per main chain). Integers are big-endian, so key order is
 * height order and every iteration is ordered.
 *
 *   key                                  value
 *   0x00                                 client state: 0x01 (layout version) | trust numerator u64 | trust denominator u64 |
 *                                        trusting period ns u64 | max clock drift ns u64 | pruning window ns u64 |
 *                                        latest revision u64 | latest height u64 | frozen u8 (0/1) | frozen revision u64 |
 *                                        frozen height u64 | chain id (UTF-8, the rest)
 *   0x01 | revision u64 | height u64     consensus state: 0x01 | time seconds i64 | time nanos u32 | then, each as
 *                                        length u32 | bytes: header hash, next_validators_hash, root (app hash),
 *                                        data_hash, last_results_hash
 *   0x02                                 frozen evidence (UTF-8), present exactly when the client state is frozen
 *
 * Times are stored as a protobuf Timestamp's (seconds, nanos): nanoseconds in an int64 would not
 * cover CometBFT's whole time range. A value that does not decode exactly is "store-corrupt".
 */
import type { KVStore } from "../../chain/store/types";
import type { ClientState, ConsensusState, Height } from "./client-state";
import { formatHeight } from "./client-state";
import { fail } from "./errors";
import { timestampToTime, timeToTimestamp } from "./types";

const LAYOUT_VERSION = 1;
export const KEY_CLIENT_STATE = Uint8Array.of(0x00);
const P_CONSENSUS = 0x01;
export const KEY_FROZEN_EVIDENCE = Uint8Array.of(0x02);
const CONSENSUS_START = Uint8Array.of(P_CONSENSUS);
const CONSENSUS_END = Uint8Array.of(P_CONSENSUS + 1);

class Writer {
  private readonly parts: Uint8Array[] = [];
  u8(n: number): this {
    this.parts.push(Uint8Array.of(n));
    return this;
  }
  u32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    this.parts.push(b);
    return this;
  }
  u64(n: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, n);
    this.parts.push(b);
    return this;
  }
  i64(n: bigint): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, n);
    this.parts.push(b);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  sized(b: Uint8Array): this {
    return this.u32(b.length).bytes(b);
  }
  finish(): Uint8Array {
    return Uint8Array.from(Buffer.concat(this.parts));
  }
}

class Reader {
  private pos = 0;
  private readonly view: DataView;
  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): number {
    if (this.pos + n > this.buf.length) fail("store-corrupt", `${this.what} ends early`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8 = (): number => this.view.getUint8(this.need(1));
  u32 = (): number => this.view.getUint32(this.need(4));
  u64 = (): bigint => this.view.getBigUint64(this.need(8));
  i64 = (): bigint => this.view.getBigInt64(this.need(8));
  sized = (): Uint8Array => {
    const n = this.u32();
    return this.buf.slice(this.need(n), this.pos);
  };
  rest = (): Uint8Array => this.buf.slice(this.need(this.buf.length - this.pos), this.buf.length);
  end(): void {
    if (this.pos !== this.buf.length) fail("store-corrupt", `${this.what} has ${this.buf.length - this.pos} bytes left over`);
  }
}

export function encodeClientState(s: ClientState): Uint8Array {
  const frozen = s.frozenHeight ?? { revisionNumber: 0n, revisionHeight: 0n };
  return new Writer()
    .u8(LAYOUT_VERSION)
    .u64(s.trustLevel.numerator)
    .u64(s.trustLevel.denominator)
    .u64(s.trustingPeriod)
    .u64(s.maxClockDrift)
    .u64(s.pruningWindow)
    .u64(s.latestHeight.revisionNumber)
    .u64(s.latestHeight.revisionHeight)
    .u8(s.frozenHeight === undefined ? 0 : 1)
    .u64(frozen.revisionNumber)
    .u64(frozen.revisionHeight)
    .bytes(Buffer.from(s.chainId, "utf8"))
    .finish();
}

export function decodeClientState(b: Uint8Array): ClientState {
  const r = new Reader(b, "client state");
  if (r.u8() !== LAYOUT_VERSION) fail("store-corrupt", "client state of an unknown layout version");
  const trustLevel = { numerator: r.u64(), denominator: r.u64() };
  const [trustingPeriod, maxClockDrift, pruningWindow] = [r.u64(), r.u64(), r.u64()];
  const latestHeight = { revisionNumber: r.u64(), revisionHeight: r.u64() };
  const isFrozen = r.u8();
  const frozen = { revisionNumber: r.u64(), revisionHeight: r.u64() };
  if (isFrozen > 1) fail("store-corrupt", "client state frozen flag");
  const chainId = Buffer.from(r.rest()).toString("utf8");
  return { chainId, trustLevel, trustingPeriod, maxClockDrift, pruningWindow, latestHeight, frozenHeight: isFrozen === 1 ? frozen : undefined };
}

export function consensusKey(h: Height): Uint8Array {
  return new Writer().u8(P_CONSENSUS).u64(h.revisionNumber).u64(h.revisionHeight).finish();
}

function heightOfKey(k: Uint8Array): Height {
  if (k.length !== 17 || k[0] !== P_CONSENSUS) fail("store-corrupt", "a consensus state key of the wrong shape");
  const r = new Reader(k.subarray(1), "consensus key");
  return { revisionNumber: r.u64(), revisionHeight: r.u64() };
}

export function encodeConsensusState(c: ConsensusState): Uint8Array {
  const { seconds, nanos } = timeToTimestamp(c.time);
  return new Writer()
    .u8(LAYOUT_VERSION)
    .i64(seconds)
    .u32(nanos)
    .sized(c.headerHash)
    .sized(c.nextValidatorsHash)
    .sized(c.root)
    .sized(c.dataHash)
    .sized(c.lastResultsHash)
    .finish();
}

export function decodeConsensusState(b: Uint8Array): ConsensusState {
  const r = new Reader(b, "consensus state");
  if (r.u8() !== LAYOUT_VERSION) fail("store-corrupt", "consensus state of an unknown layout version");
  const seconds = r.i64();
  const nanos = r.u32();
  if (nanos > 999_999_999) fail("store-corrupt", "consensus state time nanos");
  const c = { time: timestampToTime(seconds, nanos), headerHash: r.sized(), nextValidatorsHash: r.sized(), root: r.sized(), dataHash: r.sized(), lastResultsHash: r.sized() };
  r.end();
  return c;
}

// ---------------------------------------------------------------------------------------------
// Reads and writes

/** The client state; "not-initialized" when the store holds none. */
export async function loadClientState(store: KVStore): Promise<ClientState> {
  const v = await store.get(KEY_CLIENT_STATE);
  if (v === undefined) fail("not-initialized", "the Tendermint light client has no state in this store");
  return decodeClientState(v);
}

export const saveClientState = (store: KVStore, s: ClientState): void => store.set(KEY_CLIENT_STATE, encodeClientState(s));

export async function getConsensusState(store: KVStore, h: Height): Promise<ConsensusState | undefined> {
  const v = await store.get(consensusKey(h));
  return v === undefined ? undefined : decodeConsensusState(v);
}

/** The latest height's consensus state, which is never pruned. */
export async function latestConsensusState(store: KVStore, s: ClientState): Promise<ConsensusState> {
  const c = await getConsensusState(store, s.latestHeight);
  if (c === undefined) fail("store-corrupt", `no consensus state at the latest height ${formatHeight(s.latestHeight)}`);
  return c;
}

export const setConsensusState = (store: KVStore, h: Height, c: ConsensusState): void => store.set(consensusKey(h), encodeConsensusState(c));
export const deleteConsensusState = (store: KVStore, h: Height): void => store.delete(consensusKey(h));

export interface StoredConsensusState {
  readonly height: Height;
  readonly state: ConsensusState;
}

/** Consensus states in ascending height order, read as the caller goes (break to stop). */
export async function* consensusStatesAscending(store: KVStore): AsyncGenerator<StoredConsensusState> {
  for await (const [k, v] of store.iterate({ start: CONSENSUS_START, end: CONSENSUS_END })) yield { height: heightOfKey(k), state: decodeConsensusState(v) };
}

/** Every consensus state, in ascending height order. */
export async function consensusStates(store: KVStore): Promise<StoredConsensusState[]> {
  const out: StoredConsensusState[] = [];
  for await (const c of consensusStatesAscending(store)) out.push(c);
  return out;
}

/** The nearest stored consensus states strictly below and strictly above `h`. */
export async function neighbours(store: KVStore, h: Height): Promise<{ lower?: StoredConsensusState; higher?: StoredConsensusState }> {
  const key = consensusKey(h);
  const after = Uint8Array.from([...key, 0]); // the smallest key above `key`
  const first = async (it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<StoredConsensusState | undefined> => {
    for await (const [k, v] of it) return { height: heightOfKey(k), state: decodeConsensusState(v) };
    return undefined;
  };
  const lower = await first(store.iterate({ start: CONSENSUS_START, end: key, reverse: true, limit: 1 }));
  const higher = await first(store.iterate({ start: after, end: CONSENSUS_END, limit: 1 }));
  return { ...(lower === undefined ? {} : { lower }), ...(higher === undefined ? {} : { higher }) };
}

export async function frozenEvidence(store: KVStore): Promise<string | undefined> {
  const v = await store.get(KEY_FROZEN_EVIDENCE);
  return v === undefined ? undefined : Buffer.from(v).toString("utf8");
}

export const setFrozenEvidence = (store: KVStore, evidence: string): void => store.set(KEY_FROZEN_EVIDENCE, Buffer.from(evidence, "utf8"));
