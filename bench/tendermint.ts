/**
 * Tendermint light-client benchmark (one core): signed headers verified per second by
 * light-client/tendermint `verify`, adjacent and non-adjacent, with 4 and with 100 validators, next
 * to the raw ed25519 verification rate (@noble/curves, ZIP-215, the verifier's own) over vote sign
 * bytes of the same size, measured in the same run. A header costs its signatures: adjacent, those
 * of just over 2/3 of the power; non-adjacent, just over 1/3 (trusted set) plus just over 2/3 (new
 * set), as CometBFT stops each tally once it is enough. Also timed: the relayer's wire form, protobuf
 * SignedHeader + ValidatorSet bytes decoded then verified.
 *
 * Workload: equal powers, every validator signs, the trusted set is the untrusted one (the usual case
 * between two close heights), deterministic keys; headers are built and signed once before timing.
 *
 *   npx tsc -p tsconfig.bench.json && node .bench-build/bench/tendermint.js
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { verifyEd25519 } from "../light-client/tendermint/ed25519";
import { sha256 } from "../chain/store/sha256";
import { signedHeaderFromBytes, signedHeaderToBytes, validatorSetFromBytes, validatorSetToBytes } from "../light-client/tendermint/decode";
import { headerHash } from "../light-client/tendermint/header-hash";
import { commitSignBytes } from "../light-client/tendermint/sign-bytes";
import { BLOCK_ID_FLAG_COMMIT, DEFAULT_TRUST_LEVEL, type Header, type SignedHeader, type ValidatorSet, type VerifyOptions } from "../light-client/tendermint/types";
import { makeValidatorSet, validatorAddress, validatorSetHash } from "../light-client/tendermint/validator-set";
import { trustedStateOf, verify } from "../light-client/tendermint/verify";
import { type BenchResult, opsPerSecond, printResults } from "./result";

const SECOND = 1_000_000_000n;
const T0 = 1_700_000_000n * SECOND;
const CHAIN = "bench-1";
const OPTIONS: VerifyOptions = { now: T0 + 3600n * SECOND, trustingPeriod: 14n * 86_400n * SECOND, maxClockDrift: 10n * SECOND, trustLevel: DEFAULT_TRUST_LEVEL };
const digest = (s: string): Uint8Array => sha256(new TextEncoder().encode(s));

interface Fixture {
  keys: { secret: Uint8Array; pubKey: Uint8Array; address: Uint8Array }[];
  vals: ValidatorSet;
}

function fixture(n: number): Fixture {
  const keys = Array.from({ length: n }, (_, i) => {
    const secret = digest(`bench/tendermint key ${i}`);
    const pubKey = ed25519.getPublicKey(secret);
    return { secret, pubKey, address: validatorAddress(pubKey) };
  });
  const vals = makeValidatorSet(keys.map((k) => ({ address: k.address, pubKey: k.pubKey, votingPower: 10n, proposerPriority: 0n })));
  return { keys, vals };
}

/** A header at `height` signed by every validator. */
function signedHeader(f: Fixture, height: bigint): SignedHeader {
  const time = T0 + height * SECOND;
  const empty = sha256(new Uint8Array(0));
  const header: Header = {
    version: { block: 11n, app: 1n },
    chainId: CHAIN,
    height,
    time,
    lastBlockId: { hash: digest(`block ${height - 1n}`), partSetHeader: { total: 1, hash: digest(`parts ${height - 1n}`) } },
    lastCommitHash: digest("last commit"),
    dataHash: empty,
    validatorsHash: validatorSetHash(f.vals),
    nextValidatorsHash: validatorSetHash(f.vals),
    consensusHash: digest("consensus params"),
    appHash: digest("app"),
    lastResultsHash: empty,
    evidenceHash: empty,
    proposerAddress: f.vals.validators[0].address,
  };
  const blockId = { hash: headerHash(header), partSetHeader: { total: 1, hash: digest(`parts ${height}`) } };
  const unsigned = f.vals.validators.map((v, i) => ({ blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: v.address, timestamp: time + BigInt(i), signature: new Uint8Array(0) }) as const);
  const commit = { height, round: 0, blockId, signatures: unsigned };
  const secretOf = new Map(f.keys.map((k) => [Buffer.from(k.address).toString("hex"), k.secret]));
  const signatures = unsigned.map((s, i) => ({ ...s, signature: ed25519.sign(commitSignBytes(CHAIN, commit, i), secretOf.get(Buffer.from(s.validatorAddress).toString("hex"))!) }));
  return { header, commit: { ...commit, signatures } };
}

const round = (x: number): number => (x >= 100 ? Math.round(x) : Math.round(x * 10) / 10);

export async function benchTendermint(durationMs = 2_000): Promise<BenchResult[]> {
  const results: BenchResult[] = [];

  // Raw ed25519: 100 distinct keys, each with its signature over real vote sign bytes.
  const f100 = fixture(100);
  const sample = signedHeader(f100, 2n);
  const votes = sample.commit.signatures.map((s, i) => ({ msg: commitSignBytes(CHAIN, sample.commit, i), sig: s.signature, pub: f100.vals.validators[i].pubKey }));
  let next = 0;
  const noble = opsPerSecond(() => {
    const v = votes[next++ % votes.length];
    if (!ed25519.verify(v.sig, v.msg, v.pub, { zip215: true })) throw new Error("bench: a valid signature did not verify");
  }, durationMs);
  results.push({ name: "ed25519 verify: @noble/curves, ZIP-215 only", value: Math.round(noble), unit: "verifications/s", note: `${votes[0].msg.length}-byte vote sign bytes, 100 keys` });
  const raw = opsPerSecond(() => {
    const v = votes[next++ % votes.length];
    if (!verifyEd25519(v.sig, v.msg, v.pub)) throw new Error("bench: a valid signature did not verify");
  }, durationMs);
  results.push({ name: "ed25519 verify: the client's (OpenSSL, then ZIP-215 on refusal)", value: Math.round(raw), unit: "verifications/s", note: `${votes[0].msg.length}-byte vote sign bytes, 100 keys` });

  for (const n of [4, 100]) {
    const f = n === 100 ? f100 : fixture(n);
    const trusted = signedHeader(f, 1n);
    const state = trustedStateOf(trusted.header);
    // Signatures each check verifies: just over 2/3 (and just over 1/3) of n equal powers.
    const twoThirds = Math.floor((2 * n) / 3) + 1;
    const oneThird = Math.floor(n / 3) + 1;
    for (const [kind, height, sigs] of [["adjacent", 2n, twoThirds], ["non-adjacent", 11n, oneThird + twoThirds]] as const) {
      const untrusted = signedHeader(f, height);
      const perSecond = opsPerSecond(() => verify(state, f.vals, untrusted, f.vals, OPTIONS), durationMs);
      results.push({
        name: `Tendermint header verify: ${kind}, ${n} validators`,
        value: round(perSecond),
        unit: "headers/s",
        note: `${sigs} signatures each; ${Math.round((100 * perSecond * sigs) / raw)}% of the raw ed25519 rate`,
      });
    }
    const wire = { header: signedHeaderToBytes(signedHeader(f, 2n)), vals: validatorSetToBytes(f.vals) };
    const decoded = opsPerSecond(() => verify(state, f.vals, signedHeaderFromBytes(wire.header), validatorSetFromBytes(wire.vals), OPTIONS), durationMs);
    results.push({
      name: `Tendermint header decode + verify: adjacent, ${n} validators`,
      value: round(decoded),
      unit: "headers/s",
      note: `protobuf SignedHeader ${wire.header.length} B + ValidatorSet ${wire.vals.length} B`,
    });
  }
  return results;
}

if (require.main === module) {
  benchTendermint()
    .then((results) => printResults("Tendermint light client (one core)", results))
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
