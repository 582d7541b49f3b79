/**
 * Consensus parameters of the Bitcoin networks, as in Bitcoin Core's kernel/chainparams.cpp.
 * Objects are frozen; derive a variant (e.g. regtest with BIP94, as Core's `-test=bip94`) with
 * `defineNetwork({ ...REGTEST, enforceBIP94: true })`.
 */
import { fromDisplayHex } from "./bytes";
import type { BlockHeader } from "./header";
import { encodeCompact } from "./pow";

/** Core's MAX_FUTURE_BLOCK_TIME: a header may be at most 2 hours ahead of the verifier's clock. */
export const MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60;
/** Core's MAX_TIMEWARP (BIP94): the first block of a period may be at most 600 s before its parent. */
export const MAX_TIMEWARP = 600;
/** Median time past is taken over this many blocks (BIP113, Core's nMedianTimeSpan). */
export const MEDIAN_TIME_SPAN = 11;

export interface NetworkSpec {
  readonly name: string;
  /** Easiest allowed target. */
  readonly powLimit: bigint;
  /** nPowTargetTimespan, seconds (two weeks). */
  readonly targetTimespan: number;
  /** nPowTargetSpacing, seconds (ten minutes). */
  readonly targetSpacing: number;
  /** Testnet rule: a block more than 2 * targetSpacing after its parent may use powLimit. */
  readonly allowMinDifficultyBlocks: boolean;
  /** Regtest: the difficulty never changes at period boundaries. */
  readonly noRetargeting: boolean;
  /** BIP94 (testnet4): timewarp rule, and retargets start from the first block of the period's nBits. */
  readonly enforceBIP94: boolean;
  /** Heights from which nVersion must be >= 2, >= 3 and >= 4 (BIP34, BIP66, BIP65 buried deployments). */
  readonly bip34Height: number;
  readonly bip66Height: number;
  readonly bip65Height: number;
  readonly genesis: BlockHeader;
  /** Display (byte-reversed) hex of the genesis block hash. */
  readonly genesisHash: string;
}

export interface NetworkParams extends NetworkSpec {
  /** Core's DifficultyAdjustmentInterval(): targetTimespan / targetSpacing (2016). */
  readonly retargetInterval: number;
  /** powLimit as compact bits (Core's nProofOfWorkLimit in GetNextWorkRequired). */
  readonly powLimitBits: number;
}

export function defineNetwork(spec: NetworkSpec): NetworkParams {
  const { targetTimespan, targetSpacing } = spec;
  if (!Number.isSafeInteger(targetTimespan) || !Number.isSafeInteger(targetSpacing) || targetSpacing <= 0 || targetTimespan < targetSpacing)
    throw new RangeError(`bad timespan/spacing for ${spec.name}`);
  const retargetInterval = (targetTimespan - (targetTimespan % targetSpacing)) / targetSpacing;
  if (spec.powLimit <= 0n || spec.powLimit >= 1n << 256n) throw new RangeError(`bad powLimit for ${spec.name}`);
  return Object.freeze({
    ...spec,
    genesis: Object.freeze({ ...spec.genesis }),
    retargetInterval,
    powLimitBits: encodeCompact(spec.powLimit),
  });
}

const TWO_WEEKS = 14 * 24 * 60 * 60;
const TEN_MINUTES = 10 * 60;
const ZERO_HASH = new Uint8Array(32);
const SATOSHI_MERKLE_ROOT = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b";

function genesis(merkleRoot: string, time: number, bits: number, nonce: number): BlockHeader {
  return { version: 1, prevBlock: ZERO_HASH, merkleRoot: fromDisplayHex(merkleRoot), time, bits, nonce };
}

export const MAINNET: NetworkParams = defineNetwork({
  name: "mainnet",
  powLimit: 0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
  targetTimespan: TWO_WEEKS,
  targetSpacing: TEN_MINUTES,
  allowMinDifficultyBlocks: false,
  noRetargeting: false,
  enforceBIP94: false,
  bip34Height: 227931,
  bip66Height: 363725,
  bip65Height: 388381,
  genesis: genesis(SATOSHI_MERKLE_ROOT, 1231006505, 0x1d00ffff, 2083236893),
  genesisHash: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
});

export const TESTNET3: NetworkParams = defineNetwork({
  name: "testnet3",
  powLimit: 0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
  targetTimespan: TWO_WEEKS,
  targetSpacing: TEN_MINUTES,
  allowMinDifficultyBlocks: true,
  noRetargeting: false,
  enforceBIP94: false,
  bip34Height: 21111,
  bip66Height: 330776,
  bip65Height: 581885,
  genesis: genesis(SATOSHI_MERKLE_ROOT, 1296688602, 0x1d00ffff, 414098458),
  genesisHash: "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
});

export const TESTNET4: NetworkParams = defineNetwork({
  name: "testnet4",
  powLimit: 0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
  targetTimespan: TWO_WEEKS,
  targetSpacing: TEN_MINUTES,
  allowMinDifficultyBlocks: true,
  noRetargeting: false,
  enforceBIP94: true,
  bip34Height: 1,
  bip66Height: 1,
  bip65Height: 1,
  genesis: genesis("7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e", 1714777860, 0x1d00ffff, 393743547),
  genesisHash: "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043",
});

export const REGTEST: NetworkParams = defineNetwork({
  name: "regtest",
  powLimit: 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
  targetTimespan: TWO_WEEKS,
  targetSpacing: TEN_MINUTES,
  allowMinDifficultyBlocks: true,
  noRetargeting: true,
  enforceBIP94: false,
  bip34Height: 1,
  bip66Height: 1,
  bip65Height: 1,
  genesis: genesis(SATOSHI_MERKLE_ROOT, 1296688602, 0x207fffff, 2),
  genesisHash: "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
});

export const NETWORKS: readonly NetworkParams[] = Object.freeze([MAINNET, TESTNET3, TESTNET4, REGTEST]);
