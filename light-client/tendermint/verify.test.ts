import { ed25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "../../chain/store/sha256";
import { makeKeys, reasonOfSync, SECOND, T0, validatorSetOf } from "../../test/support/tendermint";
import { describeWithVectors as describeVectors, readSingleStep, readVectorJson as readJson, singleStepFiles } from "../../test/support/tendermint-vectors";
import { decodeGenesisValidators, decodeHeader, decodeSignedHeader, decodeValidatorSet, parseTime } from "./decode";
import { verdictOf } from "./errors";
import { headerHash } from "./header-hash";
import { commitSignBytes } from "./sign-bytes";
import {
  BLOCK_ID_FLAG_ABSENT,
  BLOCK_ID_FLAG_COMMIT,
  type Commit,
  type CommitSig,
  DEFAULT_TRUST_LEVEL,
  type Header,
  type SignedHeader,
  type Time,
  type TrustedState,
  type ValidatorSet,
  type VerifyOptions,
  ZERO_TIME,
} from "./types";
import { validatorSetHash, verifyCommitLight } from "./validator-set";
import { trustedStateOf, verify } from "./verify";

const reasonOf = (f: () => unknown) => reasonOfSync(f, undefined);

interface Step {
  block: { signed_header: unknown; validator_set: unknown; next_validator_set: unknown };
  now: string;
  verdict: string;
}

describeVectors("tendermint-rs single-step model-based cases (trust level 1/3, max clock drift 0)", () => {
  const files = singleStepFiles();

  test("there are 30 files", () => expect(files).toHaveLength(30));

  test.each(files)("%s: every step gets its verdict; a SUCCESS becomes the trusted state", (file) => {
    const d = readSingleStep(file);
    let trusted = trustedStateOf(decodeSignedHeader(d.initial.signed_header).header);
    let trustedVals = decodeValidatorSet(d.initial.next_validator_set);
    const trustingPeriod = BigInt(d.initial.trusting_period);
    const got = (d.input as Step[]).map((step) =>
      verdictOf(() => {
        // Decoding is part of the verdict: the faulty steps include empty validator sets, refused at the edge.
        const next = verify(trusted, trustedVals, decodeSignedHeader(step.block.signed_header), decodeValidatorSet(step.block.validator_set), {
          now: parseTime(step.now, "now"),
          trustingPeriod,
          maxClockDrift: 0n,
          trustLevel: DEFAULT_TRUST_LEVEL,
        });
        trustedVals = decodeValidatorSet(step.block.next_validator_set);
        trusted = next;
      }),
    );
    expect(got).toEqual(d.input.map((s: Step) => s.verdict));
  });
});

describeVectors("the real kvstore chain (CometBFT v0.38, one validator)", () => {
  const genesis = () => decodeGenesisValidators(readJson("rpc_v0_38_kvstore/genesis.json").result.genesis);
  const h10 = () => decodeSignedHeader(readJson("rpc_v0_38_kvstore/commit_at_height_10.json").result.signed_header);
  const h1 = () => decodeHeader(readJson("rpc_v0_38_kvstore/block_at_height_1.json").result.block.header);
  const options = (now: Time): VerifyOptions => ({ now, trustingPeriod: 14n * 86_400n * 10n ** 9n, maxClockDrift: 10n ** 10n, trustLevel: DEFAULT_TRUST_LEVEL });

  test("the commit at height 10 carries more than 2/3 of the genesis set", () => {
    expect(() => verifyCommitLight("dockerchain", genesis(), h10().commit)).not.toThrow();
  });

  test("header 10 verifies from header 1 (non-adjacent), a second after its time; not once header 1 has expired", () => {
    const sh = h10();
    const trusted = trustedStateOf(h1());
    expect(verify(trusted, genesis(), sh, genesis(), options(sh.header.time + 10n ** 9n))).toEqual(trustedStateOf(sh.header));
    const expiry = trusted.time + options(0n).trustingPeriod;
    expect(reasonOf(() => verify(trusted, genesis(), sh, genesis(), options(expiry)))).toBe("expired");
    const drift = options(0n).maxClockDrift;
    expect(reasonOf(() => verify(trusted, genesis(), sh, genesis(), options(sh.header.time - drift)))).toBe("future-header");
  });
});

// ---------------------------------------------------------------------------------------------
// Forged cases on valid, freshly signed bases

// Deterministic ed25519 keys: secret key i is sha256("verify.test " + i).
const KEYS = makeKeys("verify.test", 8);
const keyOf = (address: Uint8Array) => KEYS.find((k) => Buffer.compare(k.address, address) === 0)!;
const set = (members: [key: number, power: bigint][]): ValidatorSet => validatorSetOf(members.map(([i]) => KEYS[i]), members.map(([, power]) => power));

const CHAIN = "forged-1";
const h = (s: string) => sha256(new TextEncoder().encode(s));

interface BlockSpec {
  chainId?: string;
  height: bigint;
  time: Time;
  vals: ValidatorSet;
  next?: ValidatorSet;
  /** Which members sign (by key index); all by default. */
  signs?: (key: number) => boolean;
  /** The chain id the signatures are made over. */
  signChainId?: string;
  version?: bigint;
}

/** A header and a commit whose COMMIT signatures are all valid over it. */
function block(spec: BlockSpec): SignedHeader {
  const header: Header = {
    version: { block: spec.version ?? 11n, app: 1n },
    chainId: spec.chainId ?? CHAIN,
    height: spec.height,
    time: spec.time,
    lastBlockId: { hash: h(`block ${spec.height - 1n}`), partSetHeader: { total: 1, hash: h(`parts ${spec.height - 1n}`) } },
    lastCommitHash: h("last commit"),
    dataHash: sha256(new Uint8Array(0)),
    validatorsHash: validatorSetHash(spec.vals),
    nextValidatorsHash: validatorSetHash(spec.next ?? spec.vals),
    consensusHash: h("consensus params"),
    appHash: h("app").subarray(0, 8),
    lastResultsHash: sha256(new Uint8Array(0)),
    evidenceHash: sha256(new Uint8Array(0)),
    proposerAddress: spec.vals.validators[0].address,
  };
  const unsigned: Commit = {
    height: spec.height,
    round: 1,
    blockId: { hash: headerHash(header), partSetHeader: { total: 1, hash: h(`parts ${spec.height}`) } },
    signatures: spec.vals.validators.map(
      (v, i): CommitSig => ({ blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: v.address, timestamp: spec.time + BigInt(i + 1) * 1_000_000n, signature: new Uint8Array(0) }),
    ),
  };
  const signs = spec.signs ?? (() => true);
  const signatures = unsigned.signatures.map((s, i): CommitSig => {
    const key = keyOf(s.validatorAddress);
    if (!signs(KEYS.indexOf(key))) return { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(0), timestamp: ZERO_TIME, signature: new Uint8Array(0) };
    return { ...s, signature: ed25519.sign(commitSignBytes(spec.signChainId ?? CHAIN, unsigned, i), key.secret) };
  });
  return { header, commit: { ...unsigned, signatures } };
}

interface Input {
  trusted: TrustedState;
  trustedVals: ValidatorSet;
  untrusted: SignedHeader;
  untrustedVals: ValidatorSet;
  options: VerifyOptions;
}

const A = set([[0, 10n], [1, 10n], [2, 10n], [3, 10n]]);
const B = set([[0, 10n], [1, 10n], [4, 10n], [5, 10n]]); // half of A's power stays
const TRUSTED = block({ height: 10n, time: T0, vals: A });
const OPTIONS: VerifyOptions = { now: T0 + 60n * SECOND, trustingPeriod: 3600n * SECOND, maxClockDrift: 10n * SECOND, trustLevel: DEFAULT_TRUST_LEVEL };

/** A trusted state at height 10 whose next set is `next`, and an untrusted block signed as `spec` says. */
function input(spec: Partial<BlockSpec> & { height: bigint }, trustedNext: ValidatorSet = A): Input {
  const trusted = block({ height: 10n, time: T0, vals: A, next: trustedNext });
  const vals = spec.vals ?? (spec.height === 11n ? trustedNext : B);
  return { trusted: trustedStateOf(trusted.header), trustedVals: trustedNext, untrusted: block({ time: T0 + 5n * SECOND, ...spec, vals }), untrustedVals: vals, options: OPTIONS };
}
const adjacent = (spec: Partial<BlockSpec> = {}) => input({ height: 11n, ...spec });
const nonAdjacent = (spec: Partial<BlockSpec> = {}) => input({ height: 15n, ...spec });

const withCommit = (i: Input, f: (c: Commit) => Commit): Input => ({ ...i, untrusted: { ...i.untrusted, commit: f(i.untrusted.commit) } });
const withSignatures = (i: Input, f: (s: readonly CommitSig[]) => CommitSig[]): Input => withCommit(i, (c) => ({ ...c, signatures: f(c.signatures) }));
const withOptions = (i: Input, o: Partial<VerifyOptions>): Input => ({ ...i, options: { ...i.options, ...o } });
/** Copies the first signature by a member of A over the next signature, so one trusted validator appears twice. */
const duplicateFirstTrusted = (sigs: readonly CommitSig[]): CommitSig[] => {
  const first = sigs.findIndex((s) => A.validators.some((v) => Buffer.compare(v.address, s.validatorAddress) === 0));
  return sigs.map((s, i) => (i === first + 1 ? sigs[first] : s));
};
const C3 = set([[0, 10n], [1, 10n], [2, 10n]]);
const C3plus = set([[0, 11n], [1, 10n], [2, 10n]]);
const STRANGERS = set([[0, 10n], [6, 10n], [7, 10n]]);

describe("forged headers", () => {
  test("the bases verify", () => {
    expect(TRUSTED.header.height).toBe(10n);
    for (const i of [adjacent(), nonAdjacent()]) expect(verify(i.trusted, i.trustedVals, i.untrusted, i.untrustedVals, i.options)).toEqual(trustedStateOf(i.untrusted.header));
  });

  test.each<{ name: string; malleate: () => Input; expErr: string | undefined }>([
    { name: "signatures over another chain id (adjacent)", malleate: () => adjacent({ signChainId: "forged-2" }), expErr: "bad-signature" },
    { name: "signatures over another chain id (non-adjacent)", malleate: () => nonAdjacent({ signChainId: "forged-2" }), expErr: "bad-signature" },
    { name: "a header of another chain, signed for it", malleate: () => adjacent({ chainId: "forged-2", signChainId: "forged-2" }), expErr: "wrong-chain" },
    { name: "a validator set that does not hash to the header", malleate: () => ({ ...nonAdjacent(), untrustedVals: A }), expErr: "validators-mismatch" },
    { name: "adjacent, but validators_hash is not the trusted next_validators_hash", malleate: () => adjacent({ vals: B }), expErr: "next-validators-mismatch" },
    { name: "non-adjacent, a trusted set other than the trusted next_validators_hash", malleate: () => ({ ...nonAdjacent(), trustedVals: B }), expErr: "trusted-validators-mismatch" },
    { name: "exactly 1/3 of the trusted power signed (10 of 30)", malleate: () => input({ height: 15n, vals: STRANGERS }, C3), expErr: "not-enough-trust" },
    { name: "just over 1/3 of the trusted power signed (11 of 31)", malleate: () => input({ height: 15n, vals: STRANGERS }, C3plus), expErr: undefined },
    { name: "exactly 2/3 of the new set signed (20 of 30)", malleate: () => input({ height: 11n, signs: (k) => k !== 2 }, C3), expErr: "not-enough-power" },
    { name: "just over 2/3 of the new set signed (21 of 31)", malleate: () => input({ height: 11n, signs: (k) => k !== 2 }, C3plus), expErr: undefined },
    { name: "enough trust, but not more than 2/3 of the new set (20 of 40)", malleate: () => nonAdjacent({ signs: (k) => k <= 1 }), expErr: "not-enough-power" },
    { name: "a header from the future: time = now + max clock drift", malleate: () => adjacent({ time: OPTIONS.now + OPTIONS.maxClockDrift }), expErr: "future-header" },
    { name: "time 1 ns before now + max clock drift", malleate: () => adjacent({ time: OPTIONS.now + OPTIONS.maxClockDrift - 1n }), expErr: undefined },
    { name: "non-monotonic time: the trusted header's time", malleate: () => adjacent({ time: T0 }), expErr: "non-monotonic-time" },
    { name: "non-monotonic time: before the trusted header", malleate: () => nonAdjacent({ time: T0 - 1n }), expErr: "non-monotonic-time" },
    { name: "non-increasing height: the trusted height", malleate: () => nonAdjacent({ height: 10n }), expErr: "non-increasing-height" },
    { name: "non-increasing height: below it", malleate: () => nonAdjacent({ height: 9n }), expErr: "non-increasing-height" },
    { name: "expired trusted state: now = trusted time + trusting period", malleate: () => withOptions(nonAdjacent(), { now: T0 + OPTIONS.trustingPeriod }), expErr: "expired" },
    { name: "trusted state 1 ns before expiry", malleate: () => withOptions(nonAdjacent(), { now: T0 + OPTIONS.trustingPeriod - 1n }), expErr: undefined },
    { name: "a duplicated signature: one trusted validator twice (non-adjacent)", malleate: () => withSignatures(nonAdjacent(), duplicateFirstTrusted), expErr: "duplicate-signature" },
    { name: "a duplicated signature (adjacent: signature i must be validator i's)", malleate: () => withSignatures(adjacent(), duplicateFirstTrusted), expErr: "validator-mismatch" },
    { name: "a commit for another block id", malleate: () => withCommit(adjacent(), (c) => ({ ...c, blockId: { ...c.blockId, hash: h("another block") } })), expErr: "block-id-mismatch" },
    { name: "a commit with another part set header: the signatures no longer match", malleate: () => withCommit(adjacent(), (c) => ({ ...c, blockId: { ...c.blockId, partSetHeader: { total: 2, hash: c.blockId.partSetHeader.hash } } })), expErr: "bad-signature" },
    { name: "a commit at another height", malleate: () => withCommit(adjacent(), (c) => ({ ...c, height: c.height + 1n })), expErr: "commit-height-mismatch" },
    { name: "a commit in another round: the signatures no longer match", malleate: () => withCommit(adjacent(), (c) => ({ ...c, round: 0 })), expErr: "bad-signature" },
    { name: "absent signatures only (adjacent)", malleate: () => adjacent({ signs: () => false }), expErr: "not-enough-power" },
    { name: "absent signatures only (non-adjacent)", malleate: () => nonAdjacent({ signs: () => false }), expErr: "not-enough-trust" },
    { name: "no signatures at all", malleate: () => withSignatures(adjacent(), () => []), expErr: "invalid-header" },
    { name: "one signature more than the set has members", malleate: () => withSignatures(adjacent(), (s) => [...s, { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(0), timestamp: ZERO_TIME, signature: new Uint8Array(0) }]), expErr: "signature-count" },
    { name: "one flipped signature bit", malleate: () => withSignatures(adjacent(), (s) => s.map((x, i) => (i === 0 ? { ...x, signature: x.signature.map((b, j) => (j === 10 ? b ^ 4 : b)) } : x))), expErr: "bad-signature" },
    { name: "an absent signature that carries a time (CommitSig.ValidateBasic)", malleate: () => withSignatures(adjacent({ signs: (k) => k !== 3 }), (s) => s.map((x) => (x.blockIdFlag === BLOCK_ID_FLAG_ABSENT ? { ...x, timestamp: T0 } : x))), expErr: "invalid-header" },
    { name: "a signature of 65 bytes", malleate: () => withSignatures(adjacent(), (s) => s.map((x, i) => (i === 0 ? { ...x, signature: new Uint8Array(65) } : x))), expErr: "invalid-header" },
    { name: "block protocol 10", malleate: () => adjacent({ version: 10n }), expErr: "invalid-header" },
    { name: "a chain id of 50 bytes", malleate: () => input({ height: 11n, chainId: "é".repeat(25), signChainId: "é".repeat(25) }), expErr: "wrong-chain" },
    { name: "a chain id of 51 bytes (26 characters)", malleate: () => input({ height: 11n, chainId: "é".repeat(25) + "x", signChainId: "é".repeat(25) + "x" }), expErr: "invalid-header" },
    { name: "trust level 1/4", malleate: () => withOptions(nonAdjacent(), { trustLevel: { numerator: 1n, denominator: 4n } }), expErr: "bad-options" },
    { name: "trust level 4/3", malleate: () => withOptions(nonAdjacent(), { trustLevel: { numerator: 4n, denominator: 3n } }), expErr: "bad-options" },
    { name: "trust level 0/0", malleate: () => withOptions(nonAdjacent(), { trustLevel: { numerator: 0n, denominator: 0n } }), expErr: "bad-options" },
    { name: "a zero trusting period", malleate: () => withOptions(adjacent(), { trustingPeriod: 0n }), expErr: "bad-options" },
    { name: "a negative clock drift", malleate: () => withOptions(adjacent(), { maxClockDrift: -1n }), expErr: "bad-options" },
  ])("$name → $expErr", ({ malleate, expErr }) => {
    const i = malleate();
    expect(reasonOf(() => verify(i.trusted, i.trustedVals, i.untrusted, i.untrustedVals, i.options))).toBe(expErr);
  });

  test("verdicts: only not-enough-trust asks for a closer height", () => {
    const run = (i: Input) => () => verify(i.trusted, i.trustedVals, i.untrusted, i.untrustedVals, i.options);
    expect(verdictOf(run(nonAdjacent()))).toBe("SUCCESS");
    expect(verdictOf(run(nonAdjacent({ signs: () => false })))).toBe("NOT_ENOUGH_TRUST");
    expect(verdictOf(run(withOptions(nonAdjacent(), { now: T0 + OPTIONS.trustingPeriod })))).toBe("INVALID");
    expect(() => verdictOf(() => JSON.parse("{"))).toThrow(SyntaxError);
  });
});
