import { ed25519 } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { compareBytes } from "../../chain/store/bytes";
import { sha256 } from "../../chain/store/sha256";
import { makeKeys, reasonOfSync } from "../../test/support/tendermint";
import { describeWithVectors as describeVectors, readVectorJson as readJson, singleStepBlocks, toHex as hex } from "../../test/support/tendermint-vectors";
import { decodeGenesisValidators, decodeSignedHeader, decodeValidatorSet } from "./decode";
import { commitSignBytes } from "./sign-bytes";
import { BLOCK_ID_FLAG_ABSENT, BLOCK_ID_FLAG_COMMIT, BLOCK_ID_FLAG_NIL, type Commit, type CommitSig, type Validator, ZERO_TIME } from "./types";
import {
  makeValidatorSet,
  MAX_TOTAL_VOTING_POWER,
  simpleValidatorBytes,
  validatorSetHash,
  verifyCommitLight,
  verifyCommitLightTrusting,
} from "./validator-set";

const reasonOf = (f: () => unknown) => reasonOfSync(f, undefined);

describeVectors("validator-set hashes of published sets", () => {
  test("kvstore genesis: the SimpleValidator bytes and the hash CometBFT computes, which headers 1 and 10 commit to", () => {
    const v = readJson("cometbft-v0.38.26-derived.json").kvstore_v0_38_commit_h10;
    const set = decodeGenesisValidators(readJson("rpc_v0_38_kvstore/genesis.json").result.genesis);
    expect(set.validators).toHaveLength(1);
    expect(hex(set.validators[0].pubKey)).toBe(v.validator_pubkey);
    expect(set.totalVotingPower).toBe(BigInt(v.validator_power));
    expect(hex(simpleValidatorBytes(set.validators[0]))).toBe(v.simple_validator_bytes);
    expect(hex(validatorSetHash(set))).toBe(v.validators_hash);
    const { header } = decodeSignedHeader(readJson("rpc_v0_38_kvstore/commit_at_height_10.json").result.signed_header);
    expect(hex(header.validatorsHash)).toBe(v.validators_hash);
  });

  test("single-step files: every non-empty set hashes to its header's (next) validators hash once sorted; some are listed unsorted", () => {
    let sets = 0;
    let unsorted = 0;
    for (const [file, b] of singleStepBlocks()) {
      const { header } = decodeSignedHeader(b.signed_header);
      for (const [key, expected] of [["validator_set", header.validatorsHash], ["next_validator_set", header.nextValidatorsHash]] as const) {
        if (b[key] === undefined || b[key].validators.length === 0) continue;
        const set = decodeValidatorSet(b[key]);
        expect([file, key, hex(validatorSetHash(set))]).toEqual([file, key, hex(expected)]);
        const listed = b[key].validators.map((v: { address: string }) => v.address.toLowerCase()).join();
        if (listed !== set.validators.map((v) => hex(v.address)).join()) unsorted++;
        sets++;
      }
    }
    expect(sets).toBeGreaterThan(150);
    expect(unsorted).toBeGreaterThan(0);
  });
});

// Deterministic ed25519 keys: secret key i is sha256("validator-set.test " + i).
const KEYS = makeKeys("validator-set.test", 8);
const validator = (i: number, power: bigint): Validator => ({ ...KEYS[i], votingPower: power, proposerPriority: 0n });

describe("makeValidatorSet", () => {
  test("sorts by power descending, then address ascending, and sums the power", () => {
    const set = makeValidatorSet([validator(0, 5n), validator(1, 7n), validator(2, 5n), validator(3, 1n)]);
    const powers = set.validators.map((v) => v.votingPower);
    expect(powers).toEqual([7n, 5n, 5n, 1n]);
    expect(compareBytes(set.validators[1].address, set.validators[2].address)).toBeLessThan(0);
    expect(set.totalVotingPower).toBe(18n);
  });

  test.each([
    { name: "no validators", vals: () => [], expErr: "invalid-validator-set" },
    { name: "an address not derived from the key", vals: () => [{ ...validator(0, 1n), address: KEYS[1].address }], expErr: "invalid-validator-set" },
    { name: "a key of 33 bytes", vals: () => [{ ...validator(0, 1n), pubKey: new Uint8Array(33) }], expErr: "invalid-validator-set" },
    { name: "negative power", vals: () => [validator(0, -1n)], expErr: "invalid-validator-set" },
    { name: "the same validator twice", vals: () => [validator(0, 1n), validator(1, 1n), validator(0, 1n)], expErr: "invalid-validator-set" },
    { name: "total power above MaxTotalVotingPower", vals: () => [validator(0, MAX_TOTAL_VOTING_POWER), validator(1, 1n)], expErr: "invalid-validator-set" },
    { name: "total power exactly MaxTotalVotingPower", vals: () => [validator(0, MAX_TOTAL_VOTING_POWER - 1n), validator(1, 1n)], expErr: undefined },
    { name: "a zero-power member (as CometBFT's ValidateBasic allows)", vals: () => [validator(0, 0n), validator(1, 1n)], expErr: undefined },
  ])("$name → $expErr", ({ vals, expErr }) => {
    expect(reasonOf(() => makeValidatorSet(vals()))).toBe(expErr);
  });

  test("a proposer must be a member", () => {
    expect(reasonOf(() => makeValidatorSet([validator(0, 1n)], validator(1, 1n)))).toBe("invalid-validator-set");
    expect(makeValidatorSet([validator(0, 1n)], validator(0, 1n)).proposer?.address).toEqual(KEYS[0].address);
  });

  test("property: the hash does not depend on the order the members are given in", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7], { minLength: 1 }), fc.array(fc.bigInt({ min: 0n, max: 3n }), { minLength: 8, maxLength: 8 }), (order, powers) => {
        const given = order.map((i) => validator(i, powers[i]));
        const canonical = [...given].sort((a, b) => compareBytes(a.address, b.address));
        expect(validatorSetHash(makeValidatorSet(given))).toEqual(validatorSetHash(makeValidatorSet(canonical)));
      }),
      { numRuns: 100 },
    );
  });
});

// Commits over a fixed block id, signed once per key: the tally functions do not look at the header.
const CHAIN = "tally-chain";
const BLOCK_ID = { hash: sha256(Uint8Array.of(1)), partSetHeader: { total: 1, hash: sha256(Uint8Array.of(2)) } };
const sigTime = (i: number) => 1_700_000_000_000_000_000n + BigInt(i);
const SIGNATURES = KEYS.map((k, i) => {
  const probe: Commit = { height: 9n, round: 0, blockId: BLOCK_ID, signatures: [{ blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: k.address, timestamp: sigTime(i), signature: new Uint8Array(64) }] };
  return ed25519.sign(commitSignBytes(CHAIN, probe, 0), k.secret);
});
const keyIndex = (v: Validator) => KEYS.findIndex((k) => hex(k.address) === hex(v.address));
const signed = (i: number): CommitSig => ({ blockIdFlag: BLOCK_ID_FLAG_COMMIT, validatorAddress: KEYS[i].address, timestamp: sigTime(i), signature: SIGNATURES[i] });
const absent: CommitSig = { blockIdFlag: BLOCK_ID_FLAG_ABSENT, validatorAddress: new Uint8Array(0), timestamp: ZERO_TIME, signature: new Uint8Array(0) };
const commitOf = (signatures: CommitSig[]): Commit => ({ height: 9n, round: 0, blockId: BLOCK_ID, signatures });

describe("verifyCommitLight / verifyCommitLightTrusting", () => {
  test("property: the light check passes exactly when 3 × signed > 2 × total (integer arithmetic, no rounding gap)", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ power: fc.bigInt({ min: 1n, max: 10n }), signs: fc.boolean() }), { minLength: 1, maxLength: 8 }), (members) => {
        const set = makeValidatorSet(members.map((m, i) => validator(i, m.power)));
        const signs = (v: Validator) => members[keyIndex(v)].signs;
        const commit = commitOf(set.validators.map((v) => (signs(v) ? signed(keyIndex(v)) : absent)));
        const signedPower = set.validators.filter(signs).reduce((s, v) => s + v.votingPower, 0n);
        const reason = reasonOf(() => verifyCommitLight(CHAIN, set, commit));
        expect(reason).toBe(3n * signedPower > 2n * set.totalVotingPower ? undefined : "not-enough-power");
      }),
      { numRuns: 60 },
    );
  });

  test("property: the trusting check passes exactly when signed × denominator > total × numerator, whatever the signers' order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ power: fc.bigInt({ min: 1n, max: 10n }), signs: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom([1n, 3n], [1n, 2n], [2n, 3n], [1n, 1n]),
        (members, [numerator, denominator]) => {
          const set = makeValidatorSet(members.map((m, i) => validator(i, m.power)));
          // A commit of another set: the signers in reverse key order, plus a stranger (key 7 is never a member here).
          const signers = members.map((m, i) => (m.signs ? i : -1)).filter((i) => i >= 0).reverse();
          const commit = commitOf([...signers.map(signed), ...(members.length < 8 ? [signed(7)] : [])]);
          const signedPower = signers.reduce((s, i) => s + members[i].power, 0n);
          const reason = reasonOf(() => verifyCommitLightTrusting(CHAIN, set, commit, { numerator, denominator }));
          expect(reason).toBe(signedPower * denominator > set.totalVotingPower * numerator ? undefined : "not-enough-trust");
        },
      ),
      { numRuns: 60 },
    );
  });

  const set3 = makeValidatorSet([validator(0, 10n), validator(1, 10n), validator(2, 10n)]);
  const inSetOrder = (f: (i: number) => CommitSig) => commitOf(set3.validators.map((v) => f(keyIndex(v))));
  const corrupt = (s: CommitSig): CommitSig => ({ ...s, signature: Uint8Array.from(s.signature, (b, j) => (j === 0 ? b ^ 1 : b)) });

  test("nil votes are not counted (only flag COMMIT is)", () => {
    const nil = (i: number): CommitSig => ({ ...signed(i), blockIdFlag: BLOCK_ID_FLAG_NIL });
    expect(reasonOf(() => verifyCommitLight(CHAIN, set3, inSetOrder((i) => (i === keyIndex(set3.validators[0]) ? signed(i) : nil(i)))))).toBe("not-enough-power");
  });

  test("the walk stops once the tally is enough: a bad signature after that is not looked at (as in CometBFT)", () => {
    const set4 = makeValidatorSet([validator(0, 10n), validator(1, 10n), validator(2, 10n), validator(3, 10n)]);
    const withBad = (bad: number) => commitOf(set4.validators.map((v, at) => (at === bad ? corrupt(signed(keyIndex(v))) : signed(keyIndex(v)))));
    expect(reasonOf(() => verifyCommitLight(CHAIN, set4, withBad(3)))).toBe(undefined);
    expect(reasonOf(() => verifyCommitLight(CHAIN, set4, withBad(0)))).toBe("bad-signature");
  });

  test("batch order (two or more signatures): a short tally is reported before a bad signature; one signature is checked first", () => {
    const [a, b] = set3.validators.map(keyIndex);
    const twoSigs = commitOf([corrupt(signed(a)), signed(b)]);
    expect(reasonOf(() => verifyCommitLightTrusting(CHAIN, set3, twoSigs, { numerator: 2n, denominator: 3n }))).toBe("not-enough-trust");
    expect(reasonOf(() => verifyCommitLightTrusting(CHAIN, set3, twoSigs, { numerator: 1n, denominator: 3n }))).toBe("bad-signature");
    const oneSig = commitOf([corrupt(signed(a))]);
    expect(reasonOf(() => verifyCommitLightTrusting(CHAIN, set3, oneSig, { numerator: 1n, denominator: 3n }))).toBe("bad-signature");
  });

  test("by index: another validator's signature at an index, a short or long commit", () => {
    const [a, b] = set3.validators.map(keyIndex);
    expect(reasonOf(() => verifyCommitLight(CHAIN, set3, inSetOrder((i) => (i === b ? signed(a) : signed(i)))))).toBe("validator-mismatch");
    expect(reasonOf(() => verifyCommitLight(CHAIN, set3, commitOf([signed(a), signed(b)])))).toBe("signature-count");
    expect(reasonOf(() => verifyCommitLight(CHAIN, set3, commitOf([...set3.validators.map((v) => signed(keyIndex(v))), absent])))).toBe("signature-count");
  });

  test("by address: the same validator twice is refused, a signature of 63 bytes does not verify", () => {
    const [a, b] = set3.validators.map(keyIndex);
    expect(reasonOf(() => verifyCommitLightTrusting(CHAIN, set3, commitOf([signed(a), signed(a), signed(b)]), { numerator: 2n, denominator: 3n }))).toBe("duplicate-signature");
    const short = { ...signed(a), signature: SIGNATURES[a].subarray(0, 63) };
    expect(reasonOf(() => verifyCommitLightTrusting(CHAIN, set3, commitOf([short]), { numerator: 1n, denominator: 3n }))).toBe("bad-signature");
    // In batch order too, a signature of the wrong length is refused while collecting, before the tally (BatchVerifier.Add).
    expect(reasonOf(() => verifyCommitLightTrusting(CHAIN, set3, commitOf([short, signed(b)]), { numerator: 2n, denominator: 3n }))).toBe("bad-signature");
  });
});
