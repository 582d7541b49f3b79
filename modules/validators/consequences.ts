/**
 * Consequences CometBFT's own reports bring, at the start of each block (FinalizeBlock's
 * decided_last_commit and misbehavior), as the SDK's slashing and evidence modules do, without tokens:
 *   downtime     each active validator's last `signed_blocks_window` blocks are counted; one that
 *                missed more than the window less `min_signed_per_mille` of it is jailed (power 0)
 *                until an approved unjail. Never one whose jailing would leave fewer than
 *                `min_validators` active: that is recorded in an event instead.
 *   misbehaviour evidence of double-signing (or a light-client attack) removes the validator for good,
 *                with the reason, unless it is the last active one.
 */
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import { MisbehaviorType } from "cosmjs-types/tendermint/abci/types";
import type { Context } from "../../chain/app/context";
import { operatorBytes, ValidatorStatus, type Validator, type ValidatorsKeeper } from "./keeper";

export async function applyConsequences(ctx: Context, keeper: ValidatorsKeeper): Promise<void> {
  if (ctx.comet === undefined) return;
  for (const evidence of ctx.comet.misbehavior) {
    const operator = await keeper.operatorOfConsensusAddress(ctx, evidence.validator?.address ?? new Uint8Array());
    const validator = operator === undefined ? undefined : await keeper.getValidator(ctx, operator);
    if (validator === undefined || validator.status === ValidatorStatus.VALIDATOR_STATUS_REMOVED) continue;
    const what = evidence.type === MisbehaviorType.DUPLICATE_VOTE ? "double-signed" : "took part in a light-client attack";
    await setInactive(ctx, keeper, validator, ValidatorStatus.VALIDATOR_STATUS_REMOVED, `${what} at height ${evidence.height}`, 1);
  }
  const params = await keeper.getParams(ctx);
  const window = Number(params.signedBlocksWindow ?? 0);
  if (window <= 0) return;
  const maxMissed = window - Math.ceil((window * Number(params.minSignedPerMille ?? 0)) / 1000);
  for (const vote of ctx.comet.lastCommit) {
    const operator = await keeper.operatorOfConsensusAddress(ctx, vote.validator?.address ?? new Uint8Array());
    const validator = operator === undefined ? undefined : await keeper.getValidator(ctx, operator);
    if (validator === undefined || validator.status !== ValidatorStatus.VALIDATOR_STATUS_ACTIVE) continue;
    const address = operatorBytes(operator!);
    const count = await keeper.windowCount(ctx, address);
    const missedNow = vote.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_ABSENT;
    keeper.setMissed(ctx, address, count % window, missedNow);
    keeper.setWindowCount(ctx, address, count + 1);
    // judged when the window first fills, then only on a new miss (nothing else raises the count)
    if (count + 1 < window || (count + 1 > window && !missedNow)) continue;
    const missed = await keeper.missedCount(ctx, address);
    if (missed > maxMissed) await setInactive(ctx, keeper, validator, ValidatorStatus.VALIDATOR_STATUS_JAILED, `missed ${missed} of the last ${window} blocks`, Number(params.minValidators ?? 1));
  }
}

/** Jails or removes a validator, unless that would leave fewer than `floor` active ones. */
async function setInactive(ctx: Context, keeper: ValidatorsKeeper, validator: Validator, status: number, reason: string, floor: number): Promise<void> {
  const active = (await keeper.activeValidators(ctx)).length;
  const wasActive = validator.status === ValidatorStatus.VALIDATOR_STATUS_ACTIVE;
  const event = status === ValidatorStatus.VALIDATOR_STATUS_JAILED ? "validator_jailed" : "validator_removed";
  if (wasActive && active - 1 < Math.max(1, floor)) {
    ctx.events.emit(`${event}_skipped`, [["operator", validator.operator ?? ""], ["reason", reason], ["active", String(active)]]);
    return;
  }
  keeper.setValidator(ctx, { ...validator, status, reason, statusHeight: Number(ctx.header.height) });
  await keeper.resetWindow(ctx, operatorBytes(validator.operator ?? ""));
  ctx.events.emit(event, [["operator", validator.operator ?? ""], ["reason", reason]]);
}
