/**
 * MsgPropose and MsgApprove: thin handlers that validate, call the rules and the keeper, and emit
 * events. A proposal passes in the message whose approval takes it over 2/3 of the active power
 * (its change checked again against the state then); CometBFT hears of it at the end of the block.
 */
import type { Context } from "../../chain/app/context";
import type { MsgHandler, ServiceRegistrar } from "../../chain/app/module";
import { parseAddress } from "../../chain/crypto/address";
import { pegzone } from "../../proto";
import { validatorErrors } from "./errors";
import { ValidatorStatus, type Proposal, type ValidatorsKeeper } from "./keeper";
import { actionName, passes, planAction, validateAction } from "./rules";

const v1 = pegzone.validators.v1;
export const validatorTypeUrls = {
  propose: "/pegzone.validators.v1.MsgPropose",
  approve: "/pegzone.validators.v1.MsgApprove",
};

/** Throws unless `operator` is an active validator's. */
async function mustBeActive(ctx: Context, keeper: ValidatorsKeeper, operator: string): Promise<void> {
  const v = await keeper.getValidator(ctx, operator);
  if (v?.status !== ValidatorStatus.VALIDATOR_STATUS_ACTIVE) throw validatorErrors.ErrNotValidator.wrap(`${operator} is not an active validator's operator`);
}

/** Applies a proposal whose approvals pass it; says whether it did. */
async function applyIfPassed(ctx: Context, keeper: ValidatorsKeeper, proposal: Proposal): Promise<boolean> {
  if (!passes(proposal, await keeper.allValidators(ctx))) return false;
  const changed = await planAction(ctx, keeper, proposal.action!, proposal.override === true);
  for (const v of changed) {
    keeper.setValidator(ctx, v);
    ctx.events.emit("validator_changed", [["operator", v.operator ?? ""], ["status", ValidatorStatus[v.status ?? 0]], ["power", String(v.power)], ["proposal_id", String(proposal.id)]]);
  }
  keeper.deleteProposal(ctx, Number(proposal.id));
  ctx.events.emit("validator_proposal_applied", [["proposal_id", String(proposal.id)], ["action", actionName(proposal.action)]]);
  return true;
}

export function registerValidatorMsgs(registrar: ServiceRegistrar, keeper: ValidatorsKeeper): void {
  const propose: MsgHandler<pegzone.validators.v1.MsgPropose> = {
    signers: (msg) => [msg.proposer],
    validate(msg) {
      parseAddress(msg.proposer, "proposer");
      validateAction(msg.action);
    },
    async handle(ctx, msg) {
      await mustBeActive(ctx, keeper, msg.proposer);
      // refused now rather than when the last approval arrives
      await planAction(ctx, keeper, msg.action!, msg.override);
      const id = await keeper.nextProposalId(ctx);
      const proposal: Proposal = { id, proposer: msg.proposer, action: msg.action, override: msg.override, approvals: [msg.proposer], submittedHeight: Number(ctx.header.height) };
      ctx.events.emit("validator_proposal", [["proposal_id", String(id)], ["proposer", msg.proposer], ["action", actionName(msg.action)]]);
      keeper.setProposal(ctx, proposal);
      const applied = await applyIfPassed(ctx, keeper, proposal);
      return { typeUrl: "/pegzone.validators.v1.MsgProposeResponse", value: v1.MsgProposeResponse.encode({ proposalId: id, applied }).finish() };
    },
  };
  registrar.msg(validatorTypeUrls.propose, { decode: (b) => v1.MsgPropose.decode(b) }, propose);

  const approve: MsgHandler<pegzone.validators.v1.MsgApprove> = {
    signers: (msg) => [msg.approver],
    validate(msg) {
      parseAddress(msg.approver, "approver");
      if (!(Number(msg.proposalId) > 0)) throw validatorErrors.ErrUnknownProposal.wrap("proposal_id must be positive");
    },
    async handle(ctx, msg) {
      await mustBeActive(ctx, keeper, msg.approver);
      const proposal = await keeper.getProposal(ctx, Number(msg.proposalId));
      if (proposal === undefined) throw validatorErrors.ErrUnknownProposal.wrap(`proposal ${msg.proposalId} is not pending`);
      if ((proposal.approvals ?? []).includes(msg.approver)) throw validatorErrors.ErrAlreadyApproved.wrap(`${msg.approver} approved proposal ${msg.proposalId} already`);
      const approved = { ...proposal, approvals: [...(proposal.approvals ?? []), msg.approver] };
      keeper.setProposal(ctx, approved);
      ctx.events.emit("validator_approval", [["proposal_id", String(msg.proposalId)], ["approver", msg.approver]]);
      const applied = await applyIfPassed(ctx, keeper, approved);
      return { typeUrl: "/pegzone.validators.v1.MsgApproveResponse", value: v1.MsgApproveResponse.encode({ applied }).finish() };
    },
  };
  registrar.msg(validatorTypeUrls.approve, { decode: (b) => v1.MsgApprove.decode(b) }, approve);
}
