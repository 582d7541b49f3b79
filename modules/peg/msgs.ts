/**
 * The peg module's user messages: deposit addresses, unfreezing, withdrawals (request, cancel),
 * release signatures and federation rotation. The light-client messages are in msgs-client.ts and
 * the main-chain proofs (claims, release confirmations) in msgs-proofs.ts; all are registered here.
 */
import type { MsgHandler, ServiceRegistrar } from "../../chain/app/module";
import { sdkErrors } from "../../chain/tx/errors";
import { pegzone } from "../../proto";
import { parseAddress } from "../../chain/crypto/address";
import { pegErrors } from "./errors";
import { peggedDenom, type PegKeeper } from "./keeper";
import { addReleaseSignatures } from "./release-outcomes";
import { recipientAddress, requireMainchainId, requireNotFrozen, response } from "./msg-common";
import { registerClientMsgs, RELAY_HEADERS, REVIVE_CLIENT } from "./msgs-client";
import { CLAIM_DEPOSIT, CONFIRM_RELEASE, registerProofMsgs } from "./msgs-proofs";
import { approveFederation, checkMemberAccounts, proposeFederation } from "./rotation";

const v1 = pegzone.peg.v1;

export const pegTypeUrls = {
  relayHeaders: RELAY_HEADERS,
  registerDepositAddress: "/pegzone.peg.v1.MsgRegisterDepositAddress",
  claimDeposit: CLAIM_DEPOSIT,
  unfreeze: "/pegzone.peg.v1.MsgUnfreeze",
  reviveClient: REVIVE_CLIENT,
  requestWithdrawal: "/pegzone.peg.v1.MsgRequestWithdrawal",
  cancelWithdrawal: "/pegzone.peg.v1.MsgCancelWithdrawal",
  submitReleaseSignatures: "/pegzone.peg.v1.MsgSubmitReleaseSignatures",
  confirmRelease: CONFIRM_RELEASE,
  proposeFederation: "/pegzone.peg.v1.MsgProposeFederation",
  approveFederation: "/pegzone.peg.v1.MsgApproveFederation",
} as const;

const AMOUNT = /^[1-9][0-9]{0,30}$/;

export function registerPegMsgs(registrar: ServiceRegistrar, keeper: PegKeeper): void {
  registerClientMsgs(registrar, keeper);
  registerProofMsgs(registrar, keeper);

  const register: MsgHandler<pegzone.peg.v1.MsgRegisterDepositAddress> = {
    signers: (msg) => [msg.sender],
    validate(msg) {
      parseAddress(msg.sender, "sender");
      recipientAddress(msg.recipient === "" ? msg.sender : msg.recipient);
      requireMainchainId(msg.mainchain);
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const recipientText = msg.recipient === "" ? msg.sender : msg.recipient;
      const recipient = recipientAddress(recipientText);
      const deposit = keeper.deposits(chain).depositAddress(chain, chain.federation!, recipient);
      keeper.setRegisteredAddress(
        ctx,
        v1.RegisteredAddress.create({ mainchain: chain.id, recipient: recipientText, address: deposit.address, script: deposit.script, federationId: chain.federation!.id }),
        recipient,
      );
      ctx.events.emit("register_deposit_address", [["mainchain", chain.id], ["recipient", recipientText], ["address", deposit.address]]);
      return response(pegTypeUrls.registerDepositAddress, v1.MsgRegisterDepositAddressResponse.encode({ address: deposit.address }).finish());
    },
  };
  registrar.msg(pegTypeUrls.registerDepositAddress, { decode: (b) => v1.MsgRegisterDepositAddress.decode(b) }, register);


  const unfreeze: MsgHandler<pegzone.peg.v1.MsgUnfreeze> = {
    signers: (msg) => [msg.authority],
    validate(msg) {
      parseAddress(msg.authority, "authority");
      requireMainchainId(msg.mainchain);
    },
    async handle(ctx, msg) {
      const authority = await keeper.getAuthority(ctx);
      if (authority === "" || msg.authority !== authority)
        throw sdkErrors.ErrUnauthorized.wrap(`only the peg authority ${authority || "(none set)"} may unfreeze`);
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const freeze = await keeper.getFreeze(ctx, chain.id);
      if (!freeze.frozen) throw pegErrors.ErrNotFrozen.wrap(chain.id);
      keeper.unfreeze(ctx, chain.id);
      ctx.events.emit("peg_unfrozen", [["mainchain", chain.id], ["previous_reason", freeze.reason]]);
      return response(pegTypeUrls.unfreeze, v1.MsgUnfreezeResponse.encode({}).finish());
    },
  };
  registrar.msg(pegTypeUrls.unfreeze, { decode: (b) => v1.MsgUnfreeze.decode(b) }, unfreeze);

  const withdraw: MsgHandler<pegzone.peg.v1.MsgRequestWithdrawal> = {
    signers: (msg) => [msg.owner],
    validate(msg) {
      parseAddress(msg.owner, "owner");
      requireMainchainId(msg.mainchain);
      if (!AMOUNT.test(msg.amount)) throw sdkErrors.ErrInvalidCoins.wrap(`amount must be a positive integer, got ${JSON.stringify(msg.amount)}`);
      if (msg.destination === "") throw pegErrors.ErrInvalidAddress.wrap("empty destination");
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      await requireNotFrozen(ctx, keeper, chain);
      let script: Uint8Array;
      try {
        script = keeper.releases(chain).withdrawalScript(chain, msg.destination);
      } catch (e) {
        if (e instanceof Error && "codespace" in e) throw e;
        throw pegErrors.ErrInvalidAddress.wrap(`${JSON.stringify(msg.destination)} is not an address of ${chain.id}: ${e instanceof Error ? e.message : String(e)}`);
      }
      // Paid to a federation's own reserve address, current or retired, the coins would stay locked and
      // count nowhere (such an output is never claimable as a deposit).
      const federations = [chain.federation!, ...(await keeper.retiredFederations(ctx, chain.id)).map((r) => r.federation!)];
      for (const federation of federations)
        if (Buffer.from(script).equals(Buffer.from(keeper.releases(chain).reserveAddress(chain, federation).script)))
          throw pegErrors.ErrInvalidAddress.wrap(`${msg.destination} is the reserve address of federation ${federation.id}`);
      const amount = BigInt(msg.amount);
      if (amount < BigInt(chain.minWithdrawal)) throw pegErrors.ErrBelowMinimum.wrap(`withdrawal of ${amount}, the minimum is ${chain.minWithdrawal}`);
      const owner = parseAddress(msg.owner, "owner");
      const denom = peggedDenom(chain.id);
      await keeper.bank.send(ctx, owner, keeper.redemptionAccount, [{ denom, amount }]);
      const id = await keeper.nextWithdrawalId(ctx, chain.id);
      keeper.setWithdrawal(
        ctx,
        v1.Withdrawal.create({ id, mainchain: chain.id, owner: msg.owner, amount: msg.amount, destination: msg.destination, script, status: v1.WithdrawalStatus.WITHDRAWAL_STATUS_PENDING, requestedAt: Number(ctx.header.height) }),
        owner,
      );
      ctx.events.emit("request_withdrawal", [["mainchain", chain.id], ["withdrawal_id", String(id)], ["owner", msg.owner], ["amount", `${amount}${denom}`], ["destination", msg.destination]]);
      return response(pegTypeUrls.requestWithdrawal, v1.MsgRequestWithdrawalResponse.encode({ id }).finish());
    },
  };
  registrar.msg(pegTypeUrls.requestWithdrawal, { decode: (b) => v1.MsgRequestWithdrawal.decode(b) }, withdraw);

  const cancel: MsgHandler<pegzone.peg.v1.MsgCancelWithdrawal> = {
    signers: (msg) => [msg.owner],
    validate(msg) {
      parseAddress(msg.owner, "owner");
      requireMainchainId(msg.mainchain);
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const w = await keeper.getWithdrawal(ctx, chain.id, Number(msg.id));
      if (!w || w.owner !== msg.owner) throw pegErrors.ErrUnknownWithdrawal.wrap(`${msg.owner} has no withdrawal ${msg.id} on ${chain.id}`);
      if (w.status !== v1.WithdrawalStatus.WITHDRAWAL_STATUS_PENDING)
        throw pegErrors.ErrUnknownWithdrawal.wrap(`withdrawal ${msg.id} is already in release ${w.releaseId}; it can no longer be cancelled`);
      const owner = parseAddress(msg.owner, "owner");
      await keeper.bank.send(ctx, keeper.redemptionAccount, owner, [{ denom: peggedDenom(chain.id), amount: BigInt(w.amount) }]);
      keeper.deleteWithdrawal(ctx, w, owner);
      ctx.events.emit("cancel_withdrawal", [["mainchain", chain.id], ["withdrawal_id", String(msg.id)], ["owner", msg.owner]]);
      return response(pegTypeUrls.cancelWithdrawal, v1.MsgCancelWithdrawalResponse.encode({}).finish());
    },
  };
  registrar.msg(pegTypeUrls.cancelWithdrawal, { decode: (b) => v1.MsgCancelWithdrawal.decode(b) }, cancel);

  const sign: MsgHandler<pegzone.peg.v1.MsgSubmitReleaseSignatures> = {
    signers: (msg) => [msg.signer],
    validate(msg) {
      parseAddress(msg.signer, "signer");
      requireMainchainId(msg.mainchain);
      if (msg.signatures.length === 0) throw pegErrors.ErrInvalidSignature.wrap("no signatures");
      for (const [i, sig] of msg.signatures.entries()) if (sig.length !== 64) throw pegErrors.ErrInvalidSignature.wrap(`signature ${i} is ${sig.length} bytes, not 64 (r||s)`);
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const release = await keeper.getRelease(ctx, chain.id, Number(msg.releaseId));
      if (!release) throw pegErrors.ErrUnknownRelease.wrap(`no release ${msg.releaseId} on ${chain.id}`);
      const complete = await addReleaseSignatures(ctx, keeper, chain, release, msg.signer, msg.signatures);
      return response(pegTypeUrls.submitReleaseSignatures, v1.MsgSubmitReleaseSignaturesResponse.encode({ complete }).finish());
    },
  };
  registrar.msg(pegTypeUrls.submitReleaseSignatures, { decode: (b) => v1.MsgSubmitReleaseSignatures.decode(b) }, sign);


  const propose: MsgHandler<pegzone.peg.v1.MsgProposeFederation> = {
    signers: (msg) => [msg.proposer],
    validate(msg) {
      parseAddress(msg.proposer, "proposer");
      requireMainchainId(msg.mainchain);
      if (msg.members.length === 0) throw pegErrors.ErrInvalidFederation.wrap("no members");
      const accounts = checkMemberAccounts({ members: msg.members });
      if (accounts !== undefined) throw pegErrors.ErrInvalidFederation.wrap(accounts);
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const result = await proposeFederation(ctx, keeper, chain, msg.proposer, msg.members, msg.threshold);
      return response(pegTypeUrls.proposeFederation, v1.MsgProposeFederationResponse.encode(result).finish());
    },
  };
  registrar.msg(pegTypeUrls.proposeFederation, { decode: (b) => v1.MsgProposeFederation.decode(b) }, propose);

  const approve: MsgHandler<pegzone.peg.v1.MsgApproveFederation> = {
    signers: (msg) => [msg.approver],
    validate(msg) {
      parseAddress(msg.approver, "approver");
      requireMainchainId(msg.mainchain);
      if (Number(msg.proposalId) < 1) throw pegErrors.ErrUnknownProposal.wrap("proposal id must be positive");
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const result = await approveFederation(ctx, keeper, chain, msg.approver, Number(msg.proposalId), Number(msg.proposedAt));
      return response(pegTypeUrls.approveFederation, v1.MsgApproveFederationResponse.encode(result).finish());
    },
  };
  registrar.msg(pegTypeUrls.approveFederation, { decode: (b) => v1.MsgApproveFederation.decode(b) }, approve);
}
