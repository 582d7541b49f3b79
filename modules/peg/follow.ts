/**
 * Federations follow the validator set. When the active validators change, every main chain's
 * federation should become theirs: each validator's signer key, weighted by its power (divided by
 * the powers' greatest common divisor, so equal powers weigh 1 each), with the validator's operator
 * as the member's account, and a threshold of more than 2/3 of the weight. The peg proposes that
 * federation (proposer: the validators module's account) and the existing rotation carries it out:
 * the current federation approves it by its own threshold (the signer daemons approve a proposal
 * only when it is exactly the one the on-chain validator set implies), deposits to the retired one
 * are honoured through the grace window, and its reserve is swept to the new one.
 *
 * A main chain whose kind cannot take that federation (weights or size beyond its rules) keeps its
 * own, with a `federation_not_followed` event saying why (and loses a proposal of ours made for an
 * earlier set). The validators' proposal replaces any
 * other pending one: the validator set is the authority.
 */
import type { Context } from "../../chain/app/context";
import { pegzone } from "../../proto";
import type { ActiveValidator } from "../validators/types";
import type { PegKeeper } from "./keeper";
import type { Federation } from "./kinds";
import { controlOf, validateProposedFederation } from "./rotation";

const v1 = pegzone.peg.v1;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The federation a validator set implies (members in operator order), with the id given. */
export function federationOfValidators(id: number, active: readonly ActiveValidator[]): Federation {
  const divisor = active.reduce((g, v) => gcd(g, v.power), 0) || 1;
  const members = [...active]
    .sort((a, b) => (a.operator < b.operator ? -1 : a.operator > b.operator ? 1 : 0))
    .map((v) => v1.FederationMember.create({ pubkey: v.signerPubkey, weight: v.power / divisor, account: v.operator }));
  const total = members.reduce((sum, m) => sum + m.weight, 0);
  return v1.Federation.create({ id, members, threshold: Math.floor((2 * total) / 3) + 1 });
}

/** Proposes, for every main chain whose federation is not the validators' yet, the validators' federation. */
export async function followValidators(ctx: Context, keeper: PegKeeper, active: readonly ActiveValidator[], proposer: string): Promise<void> {
  const height = Number(ctx.header.height);
  for (const chain of await keeper.allMainChains(ctx)) {
    const current = chain.federation!;
    const desired = federationOfValidators(Number(current.id) + 1, active);
    const pending = await keeper.getFederationProposal(ctx, chain.id);
    if (controlOf(desired) === controlOf(current)) {
      // the set came back to the current federation: a proposal of ours for another is moot
      if (pending?.proposer === proposer) keeper.deleteFederationProposal(ctx, chain.id);
      continue;
    }
    if (pending !== undefined && controlOf(pending.federation!) === controlOf(desired)) continue;
    try {
      validateProposedFederation(keeper.kind(chain), chain, desired);
    } catch (err) {
      // a proposal of ours for an earlier set is stale now
      if (pending?.proposer === proposer) keeper.deleteFederationProposal(ctx, chain.id);
      ctx.events.emit("federation_not_followed", [["mainchain", chain.id], ["reason", err instanceof Error ? err.message : String(err)]]);
      continue;
    }
    keeper.setFederationProposal(ctx, v1.FederationProposal.create({ id: desired.id, mainchain: chain.id, federation: desired, approvals: [], proposer, proposedAt: height }));
    ctx.events.emit("federation_proposed", [
      ["mainchain", chain.id],
      ["proposal_id", String(desired.id)],
      ["proposer", proposer],
      ["members", String(desired.members!.length)],
      ["threshold", String(desired.threshold)],
      ["replaces_pending", String(pending !== undefined)],
    ]);
  }
}
