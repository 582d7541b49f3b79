/**
 * What a proposal may change, and when it passes. Every change is checked against the state it
 * applies to (when proposed, and again when the last approval arrives):
 *   add          a new operator (or one removed before) with an unused ed25519 consensus key and a
 *                valid secp256k1 signer key no other validator holds; power 1..MAX_POWER
 *   remove       for good (power 0); a removed validator's keys are never accepted again
 *   set_power    1..MAX_POWER (a jailed validator keeps it for its return)
 *   replace_key  a new, unused consensus key (the old one leaves CometBFT's set in the same block)
 *   unjail       a jailed validator back with its power
 * Safety: the active set never falls below `min_validators`, nor to no power at all, and one change
 * takes at most 1/3 of the active power away unless the proposal says `override`.
 * Passing: the approvals of active operators hold more than 2/3 of the active power.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import type { Context } from "../../chain/app/context";
import { isValidCompressedPubkey } from "../../chain/crypto/secp256k1";
import { parseAddress } from "../../chain/crypto/address";
import { pegzone } from "../../proto";
import { validatorErrors } from "./errors";
import { ValidatorStatus, type Params, type Proposal, type Validator, type ValidatorsKeeper } from "./keeper";

type Action = pegzone.validators.v1.IProposalAction;

/** CometBFT caps the total at MaxInt64/8; pegzone keeps powers small enough for exact arithmetic. */
export const MAX_POWER = 1_000_000_000;

const isActive = (v: Validator) => v.status === ValidatorStatus.VALIDATOR_STATUS_ACTIVE;
const activePower = (set: readonly Validator[]) => set.filter(isActive).reduce((sum, v) => sum + Number(v.power), 0);

/** The action's one member, and a short name for events. */
export function actionName(action: Action | null | undefined): string {
  if (action?.add) return "add";
  if (action?.remove) return "remove";
  if (action?.setPower) return "set_power";
  if (action?.replaceKey) return "replace_key";
  if (action?.unjail) return "unjail";
  return "";
}

/** Stateless checks of an action (the SDK's ValidateBasic). */
export function validateAction(action: Action | null | undefined): void {
  const set = [action?.add, action?.remove, action?.setPower, action?.replaceKey, action?.unjail].filter((a) => a !== null && a !== undefined);
  if (set.length !== 1) throw validatorErrors.ErrInvalidProposal.wrap("a proposal holds exactly one action");
  if (action!.add) {
    const v = action!.add.validator;
    if (!v) throw validatorErrors.ErrInvalidProposal.wrap("add: no validator");
    parseAddress(v.operator ?? "", "operator");
    checkConsensusKey(v.consensusPubkey);
    checkSignerKey(v.signerPubkey);
    checkPower(Number(v.power));
  }
  if (action!.remove) parseAddress(action!.remove.operator ?? "", "operator");
  if (action!.setPower) {
    parseAddress(action!.setPower.operator ?? "", "operator");
    checkPower(Number(action!.setPower.power));
  }
  if (action!.replaceKey) {
    parseAddress(action!.replaceKey.operator ?? "", "operator");
    checkConsensusKey(action!.replaceKey.consensusPubkey);
  }
  if (action!.unjail) parseAddress(action!.unjail.operator ?? "", "operator");
}

function checkConsensusKey(key: Uint8Array | null | undefined): void {
  if (!key || key.length !== 32) throw validatorErrors.ErrInvalidKey.wrap(`consensus key must be a 32-byte ed25519 key, got ${key?.length ?? 0} bytes`);
  try {
    ed25519.Point.fromBytes(key);
  } catch {
    throw validatorErrors.ErrInvalidKey.wrap(`consensus key ${Buffer.from(key).toString("hex")} is not an ed25519 point`);
  }
}

function checkSignerKey(key: Uint8Array | null | undefined): void {
  if (!isValidCompressedPubkey(key)) throw validatorErrors.ErrInvalidKey.wrap("signer key must be a compressed secp256k1 public key on the curve (33 bytes)");
}

function checkPower(power: number): void {
  if (!Number.isInteger(power) || power < 1 || power > MAX_POWER) throw validatorErrors.ErrInvalidProposal.wrap(`power must be an integer from 1 to ${MAX_POWER}, got ${power}`);
}

/**
 * The validator records an action leaves (only those it changes), after checking it against the
 * state and the safety rules. Throws an SdkError saying what is wrong.
 */
export async function planAction(ctx: Context, keeper: ValidatorsKeeper, action: Action, override: boolean): Promise<Validator[]> {
  const height = Number(ctx.header.height);
  const existing = async (operator: string, what: string) => {
    const v = await keeper.getValidator(ctx, operator);
    if (v === undefined || v.status === ValidatorStatus.VALIDATOR_STATUS_REMOVED) throw validatorErrors.ErrUnknownValidator.wrap(`${what}: ${operator} is not a validator`);
    return v;
  };
  const unusedKey = async (key: Uint8Array) => {
    if (await keeper.consensusKeyInUse(ctx, key)) throw validatorErrors.ErrDuplicateKey.wrap(`consensus key ${Buffer.from(key).toString("base64")} is or was a validator's`);
  };
  let changed: Validator;
  if (action.add) {
    const v = action.add.validator!;
    const prior = await keeper.getValidator(ctx, v.operator!);
    if (prior !== undefined && prior.status !== ValidatorStatus.VALIDATOR_STATUS_REMOVED) throw validatorErrors.ErrDuplicateKey.wrap(`${v.operator} is a validator already`);
    await unusedKey(v.consensusPubkey!);
    const signer = Buffer.from(v.signerPubkey!);
    const holder = (await keeper.allValidators(ctx)).find((o) => o.status !== ValidatorStatus.VALIDATOR_STATUS_REMOVED && signer.equals(o.signerPubkey ?? new Uint8Array()));
    if (holder) throw validatorErrors.ErrDuplicateKey.wrap(`signer key ${signer.toString("hex")} is ${holder.operator}'s`);
    changed = { operator: v.operator, consensusPubkey: v.consensusPubkey, power: Number(v.power), signerPubkey: v.signerPubkey, moniker: v.moniker ?? "", status: ValidatorStatus.VALIDATOR_STATUS_ACTIVE, reason: "", statusHeight: height };
  } else if (action.remove) {
    changed = { ...(await existing(action.remove.operator!, "remove")), status: ValidatorStatus.VALIDATOR_STATUS_REMOVED, reason: "removed by approval", statusHeight: height };
  } else if (action.setPower) {
    changed = { ...(await existing(action.setPower.operator!, "set_power")), power: Number(action.setPower.power) };
  } else if (action.replaceKey) {
    await unusedKey(action.replaceKey.consensusPubkey!);
    changed = { ...(await existing(action.replaceKey.operator!, "replace_key")), consensusPubkey: action.replaceKey.consensusPubkey };
  } else {
    const v = await existing(action.unjail!.operator!, "unjail");
    if (v.status !== ValidatorStatus.VALIDATOR_STATUS_JAILED) throw validatorErrors.ErrInvalidProposal.wrap(`unjail: ${v.operator} is not jailed`);
    changed = { ...v, status: ValidatorStatus.VALIDATOR_STATUS_ACTIVE, reason: "", statusHeight: height };
  }
  await checkSafety(ctx, keeper, [changed], override);
  return [changed];
}

/** Refuses a change that empties the set, shrinks it below min_validators, or (without override) takes more than 1/3 of its power. */
async function checkSafety(ctx: Context, keeper: ValidatorsKeeper, changed: readonly Validator[], override: boolean): Promise<void> {
  const before = await keeper.allValidators(ctx);
  const replaced = new Map(changed.map((v) => [v.operator, v]));
  const after = [...before.filter((v) => !replaced.has(v.operator)), ...changed];
  const params = await keeper.getParams(ctx);
  const total = activePower(before);
  let lost = 0;
  for (const v of before) {
    const next = replaced.get(v.operator);
    const was = isActive(v) ? Number(v.power) : 0;
    const now = next === undefined ? was : isActive(next) ? Number(next.power) : 0;
    if (now < was) lost += was - now;
  }
  const remaining = after.filter(isActive).length;
  if (remaining < Math.max(1, Number(params.minValidators ?? 1))) throw validatorErrors.ErrUnsafeChange.wrap(`it would leave ${remaining} active validators, below the minimum ${Math.max(1, Number(params.minValidators ?? 1))}`);
  if (!override && 3 * lost > total) throw validatorErrors.ErrUnsafeChange.wrap(`it takes ${lost} of the active power ${total} away at once, more than 1/3; propose it with override to allow that`);
}

/** The power of a proposal's approvals that are active operators now. */
function approvedPower(proposal: Proposal, validators: readonly Validator[]): number {
  const approvers = new Set(proposal.approvals ?? []);
  return validators.filter((v) => isActive(v) && approvers.has(v.operator ?? "")).reduce((sum, v) => sum + Number(v.power), 0);
}

/** More than 2/3 of the active power. */
export function passes(proposal: Proposal, validators: readonly Validator[]): boolean {
  return 3 * approvedPower(proposal, validators) > 2 * activePower(validators);
}

export const DEFAULT_PARAMS: Params = { signedBlocksWindow: 100, minSignedPerMille: 500, minValidators: 1, proposalLifetime: 1000 };
