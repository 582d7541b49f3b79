/**
 * Header-chain verification in the style of ibc-go's 07-tendermint: these functions only *verify* and
 * return the records the caller would store; they never store anything. Checks, in Bitcoin Core's
 * order (CheckBlockHeader, then ContextualCheckBlockHeader):
 *
 *   bad-length            the header is not 80 bytes
 *   unknown-parent        prevBlock is not prev.hash
 *   bad-pow               nBits negative/overflowing/zero/easier than powLimit, or hash > target
 *   bad-bits              nBits differs from GetNextWorkRequired (retarget, testnet 20-minute rule, BIP94)
 *   time-too-old          time <= median time past of the previous 11 headers
 *   time-timewarp-attack  BIP94 networks: first block of a period more than 600 s before its parent
 *   time-too-new          time > ctx.maxFutureTime (the caller passes its block time + 2 h)
 *   bad-version           nVersion < 2 / 3 / 4 from the BIP34 / BIP66 / BIP65 heights
 *   missing-ancestor      the lookup cannot supply an ancestor these rules need
 *
 * All of them run in verifyRawHeaderChain, one pass over the raw bytes that allocates nothing per
 * header (hashes go into one buffer, nBits is decoded once per distinct value, the median time past
 * is taken over a running array of times, the testnet walk end is carried along the batch);
 * verifyHeaderChain and verifyHeaderExtends wrap it and build the StoredHeader records.
 */
import { bytesEqual } from "../../chain/store/bytes";
import { toDisplayHex } from "./bytes";
import { fail, LightClientError } from "./errors";
import { sha256d, sha256dInto } from "./hash";
import { type BlockHeader, blockHash, decodeHeader, encodeHeader, HEADER_SIZE } from "./header";
import { MAX_TIMEWARP, MEDIAN_TIME_SPAN, type NetworkParams } from "./params";
import { blockWork, decodeCompact, hex32, proofOfWorkFailure } from "./pow";
import { calculateNextWorkRequired, type HeaderRef, minDifficultyWalkEnd, requireAncestor } from "./retarget";

/** What a header store keeps per header. `hash` is in internal byte order. */
export interface StoredHeader {
  readonly hash: Uint8Array;
  readonly height: number;
  /** Sum of blockWork over this header and all its ancestors (Core's nChainWork). */
  readonly chainWork: bigint;
  readonly header: BlockHeader;
}

/**
 * Ancestors on the branch being extended: `ancestor(h)` is the stored header at height h on the same
 * branch as the header passed as `prev` (see retarget.ts for which heights are asked for).
 */
export interface HeaderLookup {
  ancestor(height: number): HeaderRef | undefined;
  /** Optional, see AncestorLookup.walkEnd: a store may persist it per header to avoid testnet walks. */
  walkEnd?(height: number): number | undefined;
}

export interface VerifyContext {
  readonly params: NetworkParams;
  readonly lookup: HeaderLookup;
  /**
   * Latest acceptable header time, unix seconds: the pegzone block time + MAX_FUTURE_BLOCK_TIME (2 h).
   * Passed in so verification never reads a clock.
   */
  readonly maxFutureTime: number;
}

/** A header given as its 80 raw bytes (preferred: hashed as received) or decoded. */
export type HeaderInput = Uint8Array | BlockHeader;

/** The header a batch extends, as far as verification reads it: its hash, height, time and bits. */
export interface ChainAnchor extends HeaderRef {
  readonly hash: Uint8Array;
}

function toHeader(input: HeaderInput): { header: BlockHeader; hash: Uint8Array } {
  if (input instanceof Uint8Array) return { header: decodeHeader(input), hash: sha256d(input) };
  const raw = encodeHeader(input);
  return { header: decodeHeader(raw), hash: sha256d(raw) };
}

const ZERO_HASH = new Uint8Array(32);

/** nBits decoded once per distinct value in a batch: why it fails CheckProofOfWork, or its target. */
interface TargetInfo {
  readonly error: string | undefined;
  /** The target as 32 little-endian bytes (the byte order of a hash in internal order). */
  readonly target: Uint8Array;
}

function targetInfo(bits: number, powLimit: bigint): TargetInfo {
  // the nBits checks of CheckProofOfWork (a zero hash is never above a valid target)
  const error = proofOfWorkFailure(ZERO_HASH, bits, powLimit);
  const target = new Uint8Array(32);
  if (error === undefined) {
    let t = decodeCompact(bits).target;
    for (let j = 0; j < 32; j++, t >>= 8n) target[j] = Number(t & 0xffn);
  }
  return { error, target };
}

function readU32LE(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

/**
 * The checks of verifyHeaderChain (see the file comment, in that order) over `inputs` on top of
 * `anchor`, without building any per-header object: returns the headers' hashes, 32 bytes each
 * (header i at 32 * i), in one buffer. Throws LightClientError, with "header i of n: " before the
 * detail when `batchContext`; nothing is returned for a batch with any bad header.
 *
 * `hashes`, when given, must already hold sha256d of every raw input (a caller that hashed the batch
 * to look it up passes them so that no header is hashed twice); it is returned.
 */
export function verifyRawHeaderChain(
  anchor: ChainAnchor,
  inputs: readonly HeaderInput[],
  ctx: VerifyContext,
  hashes?: Uint8Array,
  batchContext = true,
): Uint8Array {
  const n = inputs.length;
  const { params, lookup } = ctx;
  if (n > 0 && !Number.isSafeInteger(ctx.maxFutureTime)) throw new TypeError(`maxFutureTime must be an integer, got ${ctx.maxFutureTime}`);
  const out = hashes ?? new Uint8Array(32 * n);
  if (out.length < 32 * n) throw new RangeError(`${out.length} bytes of hashes for ${n} headers`);
  const A = anchor.height;
  const interval = params.retargetInterval;
  const spacing2 = params.targetSpacing * 2;
  const minDifficulty = params.allowMinDifficultyBlocks;
  const powLimitBits = params.powLimitBits;
  // the raw bytes of decoded inputs (raw inputs are used as they are)
  let encoded: Uint8Array[] | undefined;
  const rawAt = (i: number): Uint8Array => {
    const x = inputs[i];
    return x instanceof Uint8Array ? x : encoded![i];
  };
  // times of heights lo..A + n (median time past); the anchor's ancestors are read with the first header
  const lo = Math.max(0, A - (MEDIAN_TIME_SPAN - 1));
  const times = new Float64Array(A - lo + 1 + n);
  times[A - lo] = anchor.header.time;
  let ancestorsRead = false;
  const sorted = new Float64Array(MEDIAN_TIME_SPAN);
  // an ancestor's time and bits, from the batch, the anchor, or the caller's lookup
  const ancestor = (h: number, why: string): { readonly time: number; readonly bits: number } => {
    if (h > A) {
      const r = rawAt(h - A - 1);
      return { time: readU32LE(r, 68), bits: readU32LE(r, 72) };
    }
    if (h === A) return anchor.header;
    return requireAncestor(lookup, h, why).header;
  };
  // the testnet walk end from the previous header (-1: the anchor's, looked up when first needed)
  let walkEnd = -1;
  let anchorWalkEnd = -1;
  // nBits decoded per distinct value (one or two per batch on real chains)
  const targets = new Map<number, TargetInfo>();
  let lastBits = -1;
  let lastTarget: TargetInfo | undefined;

  let prevHash = anchor.hash;
  let prevOff = 0;
  let prevTime = anchor.header.time;
  let prevBits = anchor.header.bits;
  let i = 0;
  try {
    for (; i < n; i++) {
      const input = inputs[i];
      let raw: Uint8Array;
      if (input instanceof Uint8Array) {
        raw = input;
        if (raw.length !== HEADER_SIZE) fail("bad-length", `block header must be ${HEADER_SIZE} bytes, got ${raw.length}`);
      } else {
        raw = encodeHeader(input);
        (encoded ??= new Array<Uint8Array>(n))[i] = raw;
      }
      const o = 32 * i;
      if (hashes === undefined) sha256dInto(raw, out, o);
      const height = A + 1 + i;

      let diff = 0;
      for (let j = 0; j < 32; j += 4) diff |= readU32LE(raw, 4 + j) ^ readU32LE(prevHash, prevOff + j);
      if (diff !== 0)
        fail("unknown-parent", `prevBlock ${toDisplayHex(raw.subarray(4, 36))} is not ${toDisplayHex(prevHash.subarray(prevOff, prevOff + 32))} (height ${height - 1})`);

      const version = readU32LE(raw, 0) | 0;
      const time = readU32LE(raw, 68);
      const bits = readU32LE(raw, 72);

      // CheckProofOfWork: valid nBits, hash <= target (both little-endian 256-bit numbers)
      let info: TargetInfo;
      if (bits === lastBits) info = lastTarget!;
      else {
        let cached = targets.get(bits);
        if (cached === undefined) targets.set(bits, (cached = targetInfo(bits, params.powLimit)));
        info = cached;
        lastBits = bits;
        lastTarget = cached;
      }
      if (info.error !== undefined) fail("bad-pow", `${toDisplayHex(out.subarray(o, o + 32))}: ${info.error}`);
      const target = info.target;
      for (let j = 31; j >= 0; j--) {
        const hb = out[o + j];
        const tb = target[j];
        if (hb === tb) continue;
        if (hb > tb) fail("bad-pow", `${toDisplayHex(out.subarray(o, o + 32))}: hash is above the target of nBits 0x${hex32(bits)}`);
        break;
      }

      // GetNextWorkRequired (retarget.ts: nextWorkRequired, with the walk end carried along the batch)
      let expected: number;
      if (height % interval !== 0) {
        if (!minDifficulty) expected = prevBits;
        else if (time > prevTime + spacing2) expected = powLimitBits;
        else if (walkEnd !== -1) expected = walkEnd;
        else {
          if (anchorWalkEnd === -1) anchorWalkEnd = lookup.walkEnd?.(A) ?? minDifficultyWalkEnd(anchor, params, lookup);
          expected = anchorWalkEnd;
        }
      } else {
        const first = ancestor(height - interval, "the retarget (first block of the period)");
        expected = calculateNextWorkRequired({ time: prevTime, bits: prevBits }, first, params);
      }
      if (bits !== expected) fail("bad-bits", `height ${height}: nBits 0x${hex32(bits)}, the difficulty rules require 0x${hex32(expected)}`);

      // median time past of the previous (up to) 11 headers
      if (!ancestorsRead) {
        for (let h = A - 1; h >= lo; h--) times[h - lo] = requireAncestor(lookup, h, "median time past").header.time;
        ancestorsRead = true;
      }
      const from = Math.max(lo, height - MEDIAN_TIME_SPAN) - lo;
      const count = height - lo - from;
      for (let k = 0; k < count; k++) {
        const t = times[from + k];
        let j = k - 1;
        for (; j >= 0 && sorted[j] > t; j--) sorted[j + 1] = sorted[j];
        sorted[j + 1] = t;
      }
      const mtp = sorted[count >>> 1];
      if (time <= mtp) fail("time-too-old", `height ${height}: time ${time} is not after the median time past ${mtp}`);

      if (params.enforceBIP94 && height % interval === 0 && time < prevTime - MAX_TIMEWARP)
        fail("time-timewarp-attack", `height ${height}: time ${time} is more than ${MAX_TIMEWARP} s before its parent's ${prevTime}`);

      if (time > ctx.maxFutureTime) fail("time-too-new", `height ${height}: time ${time} is after ${ctx.maxFutureTime}`);

      if ((version < 2 && height >= params.bip34Height) || (version < 3 && height >= params.bip66Height) || (version < 4 && height >= params.bip65Height))
        fail("bad-version", `height ${height}: nVersion 0x${hex32(version)} is obsolete (BIP34/66/65)`);

      times[height - lo] = time;
      prevHash = out;
      prevOff = o;
      prevTime = time;
      prevBits = bits;
      // stopsMinDifficultyWalk (height > 0 here)
      if (height % interval === 0 || bits !== powLimitBits) walkEnd = bits;
    }
  } catch (e) {
    if (batchContext && e instanceof LightClientError) throw new LightClientError(e.reason, `header ${i} of ${n}: ${e.detail}`);
    throw e;
  }
  return out;
}

/** The records of `inputs` once verified: decoded copies, hashes and cumulative work. */
function recordsOf(anchor: StoredHeader, inputs: readonly HeaderInput[], hashes: Uint8Array): StoredHeader[] {
  const records = new Array<StoredHeader>(inputs.length);
  let chainWork = anchor.chainWork;
  let lastBits = -1;
  let lastWork = 0n;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    const header = decodeHeader(input instanceof Uint8Array ? input : encodeHeader(input));
    if (header.bits !== lastBits) {
      lastBits = header.bits;
      lastWork = blockWork(header.bits);
    }
    chainWork += lastWork;
    records[i] = Object.freeze({ hash: hashes.subarray(32 * i, 32 * i + 32), height: anchor.height + 1 + i, chainWork, header });
  }
  return records;
}

/** Verify that `next` extends `prev` under ctx.params; return the record to store. Throws LightClientError. */
export function verifyHeaderExtends(prev: StoredHeader, next: HeaderInput, ctx: VerifyContext): StoredHeader {
  return recordsOf(prev, [next], verifyRawHeaderChain(prev, [next], ctx, undefined, false))[0];
}

/**
 * Verify `headers` as a chain on top of `anchor` (headers[0].prevBlock == anchor.hash, and so on).
 * Every header is checked before anything is returned, so a caller that stores the result only
 * after this returns can never apply part of a bad batch. Returns one record per header.
 */
export function verifyHeaderChain(anchor: StoredHeader, headers: readonly HeaderInput[], ctx: VerifyContext): StoredHeader[] {
  if (!Number.isSafeInteger(anchor.height) || anchor.height < 0) fail("bad-anchor", `anchor height ${anchor.height} is not a height`);
  if (!bytesEqual(blockHash(anchor.header), anchor.hash)) fail("bad-anchor", `anchor hash ${toDisplayHex(anchor.hash)} is not the hash of its header`);
  return recordsOf(anchor, headers, verifyRawHeaderChain(anchor, headers, ctx));
}

/** The stored record of a network's genesis block (chainWork = its own work, as Core). */
export function genesisRecord(params: NetworkParams): StoredHeader {
  const hash = blockHash(params.genesis);
  if (toDisplayHex(hash) !== params.genesisHash) throw new Error(`${params.name}: genesis header does not hash to ${params.genesisHash}`);
  return Object.freeze({ hash, height: 0, chainWork: blockWork(params.genesis.bits), header: params.genesis });
}

/**
 * A record for a trusted checkpoint (e.g. set by governance): height and cumulative chain work are
 * taken on trust. Headers after it need the ancestors listed in retarget.ts in the caller's store.
 */
export function trustedRecord(header: HeaderInput, height: number, chainWork: bigint): StoredHeader {
  if (!Number.isSafeInteger(height) || height < 0) fail("bad-anchor", `height ${height} is not a height`);
  if (chainWork < 0n) fail("bad-anchor", `negative chain work`);
  const { header: h, hash } = toHeader(header);
  return Object.freeze({ hash, height, chainWork, header: h });
}
