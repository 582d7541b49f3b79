/**
 * Federation rotation: the current federation approves its successor, and the reserve follows.
 *
 *   Proposing  A member of the current federation (by its pegzone `account`) proposes members,
 *              weights and a threshold with MsgProposeFederation. The proposal's id is the id the
 *              new federation takes: the current id + 1. It must pass the kind's federation rules,
 *              name valid and distinct member accounts, and differ from the current federation.
 *              Proposing counts as the proposer's approval.
 *   Replacing  One proposal at a time per main chain. A new proposal replaces the pending one only
 *              when it comes from the pending one's proposer (a correction), or when the pending one
 *              is FEDERATION_PROPOSAL_LIFETIME pegzone blocks old (so a proposal nobody approves
 *              cannot block rotation for ever); anything else gets ErrProposalPending. A replacement
 *              starts over: its approvals are its proposer's alone, its `proposed_at` the new height.
 *              An approval may name the `proposed_at` it read, so it can never count for a proposal
 *              that replaced that one.
 *   Approving  Members of the current federation approve with MsgApproveFederation; approvals are
 *              weighted by the current federation's weights. When they reach its threshold the
 *              rotation happens in that message: the current federation is kept as retired (with
 *              the height), the proposal becomes `chain.federation`, event `federation_rotated`.
 *              Proposing and approving go on while the peg is frozen (a rotation mints nothing).
 *   Grace      Deposits to a retired federation's addresses are claimed while
 *              retired_at + federation_grace >= the claim's height (0: not at all).
 *   The reserve  A retired federation keeps signing the releases built under it; at each batch its
 *              free outputs are swept to the current federation (releases.ts), and until then they
 *              pay the withdrawals the current federation's outputs cannot, change to the current one.
 */
import type { Context } from "../../chain/app/context";
import { pegzone } from "../../proto";
import { parseAddress } from "../../chain/crypto/address";
import { pegErrors } from "./errors";
import type { FederationProposal, MainChain, PegKeeper } from "./keeper";
import type { Federation, MainChainKind } from "./kinds";

const v1 = pegzone.peg.v1;

/** pegzone blocks after which any member may replace a pending proposal. */
export const FEDERATION_PROPOSAL_LIFETIME = 1000;

/** The member accounts must be pegzone addresses and distinct (an account approves and signs for one member). */
export function checkMemberAccounts(federation: Federation): string | undefined {
  const seen = new Set<string>();
  for (const [i, m] of (federation.members ?? []).entries()) {
    try {
      parseAddress(m.account ?? "", "member");
    } catch {
      return `member ${i}: account ${JSON.stringify(m.account ?? "")} is not a pegzone address`;
    }
    if (seen.has(m.account!)) return `member ${i}: account ${m.account} is listed twice`;
    seen.add(m.account!);
  }
  return undefined;
}

/** Who controls a federation's reserve, whatever the kind: its keys with their weights (in any order), and the threshold. */
export function controlOf(federation: Federation): string {
  const keys = (federation.members ?? []).map((m) => `${Buffer.from(m.pubkey ?? []).toString("hex")}:${m.weight}`).sort();
  return `${keys.join(",")}/${federation.threshold}`;
}

/** Throws ErrInvalidFederation saying what is wrong with a proposed successor of `chain.federation`. */
export function validateProposedFederation(kind: MainChainKind, chain: MainChain, federation: Federation): void {
  try {
    kind.validateFederation(chain, federation);
  } catch (e) {
    throw pegErrors.ErrInvalidFederation.wrap(e instanceof Error ? e.message : String(e));
  }
  const accounts = checkMemberAccounts(federation);
  if (accounts !== undefined) throw pegErrors.ErrInvalidFederation.wrap(accounts);
  const current = chain.federation!;
  if (controlOf(federation) === controlOf(current))
    throw pegErrors.ErrInvalidFederation.wrap(`the same keys, weights and threshold as the current federation ${current.id}`);
}

function memberOf(federation: Federation, account: string) {
  return (federation.members ?? []).find((m) => m.account === account);
}

/** Weight of `approvals` (accounts) in `federation`. */
export function approvalWeight(federation: Federation, approvals: readonly string[]): number {
  return (federation.members ?? []).reduce((sum, m) => sum + (approvals.includes(m.account ?? "") ? m.weight! : 0), 0);
}

function requireMember(chain: MainChain, account: string): void {
  if (memberOf(chain.federation!, account) === undefined)
    throw pegErrors.ErrNotFederationMember.wrap(`${account} is not a member of federation ${chain.federation!.id} of ${chain.id}`);
}

/** A proposal from a member of the current federation; rotates at once if the proposer's weight reaches the threshold. */
export async function proposeFederation(
  ctx: Context,
  keeper: PegKeeper,
  chain: MainChain,
  proposer: string,
  members: pegzone.peg.v1.IFederationMember[],
  threshold: number,
): Promise<{ proposalId: number; rotated: boolean }> {
  requireMember(chain, proposer);
  const current = chain.federation!;
  const id = Number(current.id) + 1;
  const federation = v1.Federation.create({ id, members: members.map((m) => v1.FederationMember.create(m)), threshold });
  validateProposedFederation(keeper.kind(chain), chain, federation);
  const height = Number(ctx.header.height);
  const pending = await keeper.getFederationProposal(ctx, chain.id);
  if (pending && pending.proposer !== proposer && height < Number(pending.proposedAt) + FEDERATION_PROPOSAL_LIFETIME)
    throw pegErrors.ErrProposalPending.wrap(
      `proposal ${pending.id} by ${pending.proposer} is pending since height ${pending.proposedAt}; only its proposer may replace it before height ${Number(pending.proposedAt) + FEDERATION_PROPOSAL_LIFETIME}`,
    );
  const proposal = v1.FederationProposal.create({ id, mainchain: chain.id, federation, approvals: [proposer], proposer, proposedAt: height });
  ctx.events.emit("federation_proposed", [
    ["mainchain", chain.id],
    ["proposal_id", String(id)],
    ["proposer", proposer],
    ["members", String(federation.members.length)],
    ["threshold", String(threshold)],
    ["replaces_pending", String(pending !== undefined)],
  ]);
  if (approvalWeight(current, proposal.approvals) >= current.threshold!) {
    await rotate(ctx, keeper, chain, proposal);
    return { proposalId: id, rotated: true };
  }
  keeper.setFederationProposal(ctx, proposal);
  return { proposalId: id, rotated: false };
}

/** An approval of the pending proposal by a member of the current federation; rotates when the approvals reach its threshold. */
export async function approveFederation(
  ctx: Context,
  keeper: PegKeeper,
  chain: MainChain,
  approver: string,
  proposalId: number,
  proposedAt: number,
): Promise<{ approvedWeight: number; rotated: boolean }> {
  requireMember(chain, approver);
  const proposal = await keeper.getFederationProposal(ctx, chain.id);
  if (!proposal || Number(proposal.id) !== proposalId) throw pegErrors.ErrUnknownProposal.wrap(`${chain.id} has no pending proposal ${proposalId}`);
  if (proposedAt !== 0 && Number(proposal.proposedAt) !== proposedAt)
    throw pegErrors.ErrUnknownProposal.wrap(`proposal ${proposalId} of height ${proposedAt} was replaced by the one of height ${proposal.proposedAt}`);
  if (proposal.approvals.includes(approver)) throw pegErrors.ErrAlreadyApproved.wrap(`${approver} has already approved proposal ${proposalId}`);
  const current = chain.federation!;
  const updated = v1.FederationProposal.create({ ...proposal, approvals: [...proposal.approvals, approver] });
  const weight = approvalWeight(current, updated.approvals);
  ctx.events.emit("federation_approved", [["mainchain", chain.id], ["proposal_id", String(proposalId)], ["approver", approver], ["weight", `${weight}/${current.threshold}`]]);
  if (weight >= current.threshold!) {
    await rotate(ctx, keeper, chain, updated);
    return { approvedWeight: weight, rotated: true };
  }
  keeper.setFederationProposal(ctx, updated);
  return { approvedWeight: weight, rotated: false };
}

/** The proposal becomes the federation; the current one is kept as retired at this height. */
async function rotate(ctx: Context, keeper: PegKeeper, chain: MainChain, proposal: FederationProposal): Promise<void> {
  const height = Number(ctx.header.height);
  const old = chain.federation!;
  keeper.setRetiredFederation(ctx, chain.id, v1.RetiredFederation.create({ federation: old, retiredAt: height }));
  keeper.setMainChain(ctx, v1.MainChain.create({ ...chain, federation: proposal.federation }));
  keeper.deleteFederationProposal(ctx, chain.id);
  ctx.events.emit("federation_rotated", [
    ["mainchain", chain.id],
    ["old_federation_id", String(old.id)],
    ["new_federation_id", String(proposal.id)],
    ["retired_at", String(height)],
    ["approvals", proposal.approvals.join(",")],
    ["deposits_accepted_until", chain.federationGrace > 0 ? String(height + chain.federationGrace) : "none"],
  ]);
  ctx.logger.info({ mainchain: chain.id, old: Number(old.id), new: Number(proposal.id) }, "federation rotated");
}

/** Whether deposits to a federation retired at `retiredAt` are still claimed at `height`. */
export function inGrace(chain: MainChain, retiredAt: number, height: number): boolean {
  return chain.federationGrace > 0 && retiredAt + chain.federationGrace >= height;
}

/** The federations whose deposit addresses are honoured at `height`: the current one, then retired ones in their grace window, newest first. */
export async function depositFederations(ctx: Context, keeper: PegKeeper, chain: MainChain, height: number): Promise<Federation[]> {
  const retired = (await keeper.retiredFederations(ctx, chain.id)).filter((r) => inGrace(chain, Number(r.retiredAt), height));
  return [chain.federation!, ...retired.reverse().map((r) => r.federation!)];
}
