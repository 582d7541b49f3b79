/**
 * The tendermint-rs single-step model-based cases (shared/vectors/tendermint/single_step) through the
 * stateful client: initialize from each case's trusted header, then send every step as a relayer
 * would (an ibc Header from the latest height, with that header's next validator set as trusted
 * validators) at the step's `now`. A SUCCESS must be stored and become the latest height; any other
 * verdict must be refused with a reason of its class ("not-enough-trust" for NOT_ENOUGH_TRUST) and
 * leave the store as it was. The cases carry no validator set for their trusted header, so the
 * client starts from the export form (the consensus state only); where one of the file's sets does
 * hash to it, the registration form must give the same store.
 */
import { Header as HeaderProto } from "cosmjs-types/ibc/lightclients/tendermint/v1/tendermint";
import type { ValidatorSet as ValidatorSetProto } from "cosmjs-types/tendermint/types/validator";
import { memoryStore } from "../../test/support/store";
import { reasonOf, snapshot, verdictOfReason } from "../../test/support/tendermint";
import { describeWithVectors, fromBase64, fromHex, readSingleStep, singleStepFiles, toHexUpper as hex } from "../../test/support/tendermint-vectors";
import { initialize, latestHeight, updateClient } from "./client";
import { decodeSignedHeader, decodeValidatorSet, parseTime, signedHeaderToProto } from "./decode";
import { headerHash } from "./header-hash";
import { formatTime } from "./types";
import { validatorSetHash } from "./validator-set";

interface Block {
  signed_header: unknown;
  validator_set: { validators: { address: string; pub_key: { value: string }; voting_power: string; proposer_priority?: string }[] };
  next_validator_set: Block["validator_set"];
}
interface Case {
  initial: { signed_header: unknown; next_validator_set: Block["validator_set"]; trusting_period: string };
  input: { block: Block; now: string; verdict: string }[];
}

/** A set as the relayer would send it, unchecked: the client's decoder must refuse what is wrong. */
const rawSet = (x: Block["validator_set"]): ValidatorSetProto => ({
  validators: x.validators.map((v) => ({
    address: fromHex(v.address),
    pubKey: { ed25519: fromBase64(v.pub_key.value) },
    votingPower: BigInt(v.voting_power),
    proposerPriority: BigInt(v.proposer_priority ?? "0"),
  })),
  totalVotingPower: 0n,
});

function exportForm(d: Case): unknown {
  const h = decodeSignedHeader(d.initial.signed_header).header;
  return {
    chain_id: h.chainId,
    trust_level: { numerator: "1", denominator: "3" },
    trusting_period_ns: d.initial.trusting_period,
    max_clock_drift_ns: "0",
    pruning_window_ns: d.initial.trusting_period,
    latest_height: { revision_number: "0", revision_height: String(h.height) },
    frozen: null,
    consensus_states: [
      {
        height: { revision_number: "0", revision_height: String(h.height) },
        time: formatTime(h.time),
        root: hex(h.appHash),
        next_validators_hash: hex(h.nextValidatorsHash),
        header_hash: hex(headerHash(h)),
        data_hash: hex(h.dataHash),
        last_results_hash: hex(h.lastResultsHash),
      },
    ],
  };
}

/** One of the file's validator sets that hashes to the trusted header's validators_hash, if any. */
function initialValidatorSet(d: Case): Block["validator_set"] | undefined {
  const want = hex(decodeSignedHeader(d.initial.signed_header).header.validatorsHash);
  const sets = [d.initial.next_validator_set, ...d.input.flatMap((s) => [s.block.validator_set, s.block.next_validator_set])];
  return sets.find((s) => {
    try {
      return hex(validatorSetHash(decodeValidatorSet(s))) === want;
    } catch {
      return false;
    }
  });
}

const verdictOf = verdictOfReason;

describeWithVectors("single-step vectors through the client", () => {
  const files = singleStepFiles();
  test("30 cases", () => expect(files).toHaveLength(30));

  test.each(files)("%s", async (file) => {
    const d: Case = readSingleStep(file);
    const store = memoryStore();
    await initialize(store, exportForm(d));
    const vals = initialValidatorSet(d);
    if (vals !== undefined) {
      const viaRegistration = memoryStore();
      await initialize(viaRegistration, {
        chain_id: "test-chain",
        trust_level: { numerator: 1, denominator: 3 },
        trusting_period_seconds: String(BigInt(d.initial.trusting_period) / 1_000_000_000n),
        max_clock_drift_seconds: 0,
        trusted: { signed_header: d.initial.signed_header, validator_set: vals, next_validator_set: d.initial.next_validator_set },
      });
      expect(await snapshot(viaRegistration)).toEqual(await snapshot(store));
    }
    let trustedVals = d.initial.next_validator_set;
    const got: string[] = [];
    for (const step of d.input) {
      const trustedHeight = await latestHeight(store);
      const bytes = HeaderProto.encode({
        signedHeader: signedHeaderToProto(decodeSignedHeader(step.block.signed_header)),
        validatorSet: rawSet(step.block.validator_set),
        trustedHeight,
        trustedValidators: rawSet(trustedVals),
      }).finish();
      const before = await snapshot(store);
      let outcome: { misbehaviour?: string } = {};
      const reason = await reasonOf(async () => {
        outcome = await updateClient(store, bytes, parseTime(step.now, "now"));
      });
      got.push(verdictOf(reason));
      if (reason === "accepted") {
        expect(outcome.misbehaviour).toBeUndefined();
        expect((await latestHeight(store)).revisionHeight).toBe(decodeSignedHeader(step.block.signed_header).header.height);
        trustedVals = step.block.next_validator_set;
      } else {
        expect(await snapshot(store)).toEqual(before);
      }
    }
    expect(got).toEqual(d.input.map((s) => s.verdict));
  });
}, "single_step");
