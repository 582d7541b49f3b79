/**
 * A signer's part in federations following the validator set (modules/peg/follow.ts): it approves
 * the pending federation proposal of a main chain only when the proposal is exactly the federation
 * the on-chain validator set implies (keys, weights, accounts, threshold), read from pegzone's own
 * state, and it is a member of the current federation that has not approved yet. Any other
 * proposal is left to its operator (`pegzone tx peg approve-federation`).
 */
import type { Logger } from "../chain/log";
import type { KeySigner } from "../chain/keys/keyring";
import type { RpcClient } from "../chain/client/rpc";
import { anyMsg, queryProto } from "../chain/client/query";
import { signAndBroadcast, type TxOptions } from "../chain/client/tx";
import { pegQuery } from "../modules/peg/client";
import { federationOfValidators } from "../modules/peg/follow";
import type { Federation } from "../modules/peg/kinds";
import { pegTypeUrls } from "../modules/peg/msgs";
import { pegzone } from "../proto";

const v1 = pegzone.peg.v1;

export interface ApprovalContext {
  pegzone: RpcClient;
  /** The member's account: the signer key's own. */
  account: KeySigner;
  pubkey: Uint8Array;
  tx: Pick<TxOptions, "gasAdjustment" | "gasPrices" | "chainId">;
  logger: Logger;
}

/** Who controls a federation and who approves for it, in one comparable string. */
function membership(f: Federation): string {
  const members = (f.members ?? []).map((m) => `${Buffer.from(m.pubkey ?? []).toString("hex")}:${m.weight}:${m.account}`).sort();
  return `${members.join(",")}/${f.threshold}`;
}

/** Approves `mainchain`'s pending proposal if it is the validators' federation; says whether it did. */
export async function approveValidatorsFederation(c: ApprovalContext, mainchain: string, current: Federation): Promise<boolean> {
  const me = (current.members ?? []).find((m) => Buffer.from(c.pubkey).equals(Buffer.from(m.pubkey ?? [])));
  if (me === undefined || me.account !== c.account.address) return false;
  const { proposal } = await pegQuery(c.pegzone, "FederationProposal", v1.QueryFederationProposalRequest, { mainchain }, v1.QueryFederationProposalResponse);
  if (!proposal || (proposal.approvals ?? []).includes(me.account)) return false;
  const { validators } = await queryProto(c.pegzone, "/pegzone.validators.v1.Query/Validators", pegzone.validators.v1.QueryValidatorsRequest, {}, pegzone.validators.v1.QueryValidatorsResponse);
  const active = validators
    .filter((v) => v.status === pegzone.validators.v1.ValidatorStatus.VALIDATOR_STATUS_ACTIVE)
    .map((v) => ({ operator: v.operator ?? "", signerPubkey: v.signerPubkey ?? new Uint8Array(), power: Number(v.power) }));
  const expected = federationOfValidators(Number(current.id) + 1, active);
  if (Number(proposal.id) !== Number(expected.id) || membership(proposal.federation!) !== membership(expected)) return false;
  const msg = anyMsg(pegTypeUrls.approveFederation, v1.MsgApproveFederation, { approver: me.account, mainchain, proposalId: proposal.id, proposedAt: proposal.proposedAt });
  const res = await signAndBroadcast(c.pegzone, c.account, [msg], { ...c.tx, gas: "auto" });
  if (res.code !== 0) throw new Error(`pegzone refused the approval of federation ${proposal.id} of ${mainchain}: ${res.codespace}/${res.code} ${res.raw_log}`);
  c.logger.info({ mainchain, proposal: Number(proposal.id), members: expected.members!.length, threshold: expected.threshold }, "approved the validators' federation");
  return true;
}
