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
 */
import { bytesEqual, toDisplayHex } from "./bytes";
import { fail, LightClientError } from "./errors";
import { sha256d } from "./hash";
import { type BlockHeader, blockHash, decodeHeader, encodeHeader } from "./header";
import { MAX_TIMEWARP, type NetworkParams } from "./params";
import { blockWork, hex32, proofOfWorkFailure } from "./pow";
import { medianTimePastOf, minDifficultyWalkEnd, nextWorkRequired, stopsMinDifficultyWalk } from "./retarget";

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
  ancestor(height: number): StoredHeader | undefined;
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

function toHeader(input: HeaderInput): { header: BlockHeader; hash: Uint8Array } {
  if (input instanceof Uint8Array) return { header: decodeHeader(input), hash: sha256d(input) };
  const raw = encodeHeader(input);
  return { header: decodeHeader(raw), hash: sha256d(raw) };
}

/** Verify that `next` extends `prev` under ctx.params; return the record to store. Throws LightClientError. */
export function verifyHeaderExtends(prev: StoredHeader, next: HeaderInput, ctx: VerifyContext): StoredHeader {
  const { params, lookup } = ctx;
  if (!Number.isSafeInteger(ctx.maxFutureTime)) throw new TypeError(`maxFutureTime must be an integer, got ${ctx.maxFutureTime}`);
  const { header, hash } = toHeader(next);
  const height = prev.height + 1;

  if (!bytesEqual(header.prevBlock, prev.hash))
    fail("unknown-parent", `prevBlock ${toDisplayHex(header.prevBlock)} is not ${toDisplayHex(prev.hash)} (height ${prev.height})`);

  const powError = proofOfWorkFailure(hash, header.bits, params.powLimit);
  if (powError !== undefined) fail("bad-pow", `${toDisplayHex(hash)}: ${powError}`);

  const expectedBits = nextWorkRequired(prev, header.time, params, lookup);
  if (header.bits !== expectedBits)
    fail("bad-bits", `height ${height}: nBits 0x${hex32(header.bits)}, the difficulty rules require 0x${hex32(expectedBits)}`);

  const mtp = medianTimePastOf(prev, lookup);
  if (header.time <= mtp) fail("time-too-old", `height ${height}: time ${header.time} is not after the median time past ${mtp}`);

  if (params.enforceBIP94 && height % params.retargetInterval === 0 && header.time < prev.header.time - MAX_TIMEWARP)
    fail("time-timewarp-attack", `height ${height}: time ${header.time} is more than ${MAX_TIMEWARP} s before its parent's ${prev.header.time}`);

  if (header.time > ctx.maxFutureTime) fail("time-too-new", `height ${height}: time ${header.time} is after ${ctx.maxFutureTime}`);

  if (
    (header.version < 2 && height >= params.bip34Height) ||
    (header.version < 3 && height >= params.bip66Height) ||
    (header.version < 4 && height >= params.bip65Height)
  )
    fail("bad-version", `height ${height}: nVersion 0x${hex32(header.version)} is obsolete (BIP34/66/65)`);

  return Object.freeze({ hash, height, chainWork: prev.chainWork + blockWork(header.bits), header });
}

/**
 * Verify `headers` as a chain on top of `anchor` (headers[0].prevBlock == anchor.hash, and so on).
 * Every header is checked before anything is returned, so a caller that stores the result only
 * after this returns can never apply part of a bad batch. Returns one record per header.
 */
export function verifyHeaderChain(anchor: StoredHeader, headers: readonly HeaderInput[], ctx: VerifyContext): StoredHeader[] {
  if (!Number.isSafeInteger(anchor.height) || anchor.height < 0) fail("bad-anchor", `anchor height ${anchor.height} is not a height`);
  if (!bytesEqual(blockHash(anchor.header), anchor.hash)) fail("bad-anchor", `anchor hash ${toDisplayHex(anchor.hash)} is not the hash of its header`);
  const { params } = ctx;
  const records: StoredHeader[] = [];
  // Where the testnet minimum-difficulty walk from each batch header ends (undefined: where the walk
  // from the anchor ends, computed only if needed, since it may need ancestors the caller lacks).
  const walkEnds: (number | undefined)[] = [];
  let anchorWalkEnd: number | undefined;
  // Ancestors inside the batch come from the batch itself; older ones from the caller's store.
  const lookup: HeaderLookup = {
    ancestor(h) {
      if (h > anchor.height) return records[h - anchor.height - 1];
      if (h === anchor.height) return anchor;
      return ctx.lookup.ancestor(h);
    },
    walkEnd(h) {
      if (h < anchor.height) return ctx.lookup.walkEnd?.(h);
      const own = h === anchor.height ? undefined : walkEnds[h - anchor.height - 1];
      if (own !== undefined) return own;
      anchorWalkEnd ??= ctx.lookup.walkEnd?.(anchor.height) ?? minDifficultyWalkEnd(anchor, params, ctx.lookup);
      return anchorWalkEnd;
    },
  };
  const batchCtx: VerifyContext = { params, maxFutureTime: ctx.maxFutureTime, lookup };
  let prev = anchor;
  for (let i = 0; i < headers.length; i++) {
    try {
      prev = verifyHeaderExtends(prev, headers[i], batchCtx);
    } catch (e) {
      if (e instanceof LightClientError) throw new LightClientError(e.reason, `header ${i} of ${headers.length}: ${e.detail}`);
      throw e;
    }
    records.push(prev);
    walkEnds.push(stopsMinDifficultyWalk(prev, params) ? prev.header.bits : walkEnds[walkEnds.length - 1]);
  }
  return records;
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
