import type { Context } from "../../chain/app/context";
import type { MsgHandler, ServiceRegistrar } from "../../chain/app/module";
import { sdkErrors } from "../../chain/tx/errors";
import { pegzone } from "../../proto";
import { parseAddress } from "../../chain/crypto/address";
import { pegErrors } from "./errors";
import { peggedDenom, type MainChain, type PegKeeper } from "./keeper";
import { addReleaseSignatures, applyConfirmedRelease } from "./releases";
import { asPegError, requireMainchainId, response } from "./msg-common";
import { registerClientMsgs, RELAY_HEADERS, REVIVE_CLIENT } from "./msgs-client";
import { approveFederation, checkMemberAccounts, depositFederations, inGrace, proposeFederation } from "./rotation";

const v1 = pegzone.peg.v1;
const HEX64 = /^[0-9a-f]{64}$/;

export const pegTypeUrls = {
  relayHeaders: RELAY_HEADERS,
  registerDepositAddress: "/pegzone.peg.v1.MsgRegisterDepositAddress",
  claimDeposit: "/pegzone.peg.v1.MsgClaimDeposit",
  unfreeze: "/pegzone.peg.v1.MsgUnfreeze",
  reviveClient: REVIVE_CLIENT,
  requestWithdrawal: "/pegzone.peg.v1.MsgRequestWithdrawal",
  cancelWithdrawal: "/pegzone.peg.v1.MsgCancelWithdrawal",
  submitReleaseSignatures: "/pegzone.peg.v1.MsgSubmitReleaseSignatures",
  confirmRelease: "/pegzone.peg.v1.MsgConfirmRelease",
  proposeFederation: "/pegzone.peg.v1.MsgProposeFederation",
  approveFederation: "/pegzone.peg.v1.MsgApproveFederation",
} as const;

const AMOUNT = /^[1-9][0-9]{0,30}$/;

/** A deposit recipient: a pegzone account address (20 bytes), the only kind a deposit script can name. */
export function recipientAddress(bech32: string): Uint8Array {
  const bytes = parseAddress(bech32, "recipient");
  if (bytes.length !== 20) throw sdkErrors.ErrInvalidAddress.wrap(`recipient ${bech32} is a ${bytes.length}-byte address; deposits name a 20-byte account address`);
  return bytes;
}

/**
 * What the federation created is the reserve's and never a deposit, whatever the kind: an output
 * already in the reserve, the change (or sweep output) of any release, or an output paying any
 * federation's reserve address, current or retired.
 */
async function refuseFederationOutput(ctx: Context, keeper: PegKeeper, chain: MainChain, txid: string, vout: number, pays: (script: Uint8Array) => boolean): Promise<void> {
  const outpoint = `${txid}:${vout}`;
  if (await keeper.getReserveUtxo(ctx, chain.id, txid, vout)) throw pegErrors.ErrFederationOutput.wrap(`${outpoint} is in the reserve of ${chain.id}`);
  const release = await keeper.releaseByTxid(ctx, chain.id, txid);
  if (release && release.changeVout === vout) throw pegErrors.ErrFederationOutput.wrap(`${outpoint} is the change of release ${release.id}`);
  const flow = keeper.utxo(chain);
  const federations = [chain.federation!, ...(await keeper.retiredFederations(ctx, chain.id)).map((r) => r.federation!)];
  for (const federation of federations)
    if (pays(flow.reserveAddress(chain, federation).script))
      throw pegErrors.ErrFederationOutput.wrap(`${outpoint} pays the reserve address of federation ${federation.id}`);
}

async function requireNotFrozen(ctx: Context, keeper: PegKeeper, chain: MainChain): Promise<void> {
  const freeze = await keeper.getFreeze(ctx, chain.id);
  if (freeze.frozen) throw pegErrors.ErrFrozen.wrap(`${chain.id} since height ${freeze.height}: ${freeze.reason}`);
}

export function registerPegMsgs(registrar: ServiceRegistrar, keeper: PegKeeper): void {
  registerClientMsgs(registrar, keeper);

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
      const deposit = keeper.utxo(chain).depositAddress(chain, chain.federation!, recipient);
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

  const claim: MsgHandler<pegzone.peg.v1.MsgClaimDeposit> = {
    signers: (msg) => [msg.claimer],
    validate(msg) {
      parseAddress(msg.claimer, "claimer");
      recipientAddress(msg.recipient);
      requireMainchainId(msg.mainchain);
      if (msg.tx.length === 0) throw pegErrors.ErrInvalidProof.wrap("empty transaction");
      if (msg.merkleProof.length === 0) throw pegErrors.ErrInvalidProof.wrap("empty merkle proof");
      if (!HEX64.test(msg.blockHash)) throw pegErrors.ErrInvalidProof.wrap(`block hash must be 64 lowercase hex digits, got ${JSON.stringify(msg.blockHash)}`);
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      await requireNotFrozen(ctx, keeper, chain);
      const kind = keeper.utxo(chain);
      const proven = await kind
        .proveTransaction(keeper.clientStore(ctx, chain.id), chain, { tx: msg.tx, blockHash: msg.blockHash, proof: msg.merkleProof })
        .catch((e: unknown) => asPegError(e, pegErrors.ErrInvalidProof));
      const outpoint = `${proven.txid}:${msg.vout}`;
      if (await keeper.getDeposit(ctx, chain.id, proven.txid, msg.vout)) throw pegErrors.ErrAlreadyClaimed.wrap(outpoint);
      const output = proven.outputs[msg.vout];
      if (output === undefined) throw pegErrors.ErrInvalidProof.wrap(`transaction ${proven.txid} has no output ${msg.vout}`);
      const pays = (script: Uint8Array) => Buffer.compare(Buffer.from(output.script), Buffer.from(script)) === 0;
      await refuseFederationOutput(ctx, keeper, chain, proven.txid, msg.vout, pays);
      if (proven.confirmations < proven.required)
        throw pegErrors.ErrNotEnoughConfirmations.wrap(`${outpoint} has ${proven.confirmations} of the ${proven.required} confirmations ${chain.id} requires`);
      const recipient = recipientAddress(msg.recipient);
      // The recipient's address under the current federation, or under a retired one within the grace window.
      const height = Number(ctx.header.height);
      let deposit: ReturnType<typeof kind.depositAddress> | undefined;
      let federationId = 0;
      for (const federation of await depositFederations(ctx, keeper, chain, height)) {
        const candidate = kind.depositAddress(chain, federation, recipient);
        if (pays(candidate.script)) {
          deposit = candidate;
          federationId = Number(federation.id);
          break;
        }
      }
      if (deposit === undefined) {
        const current = kind.depositAddress(chain, chain.federation!, recipient);
        let why = `not ${current.address} (${msg.recipient} under federation ${chain.federation!.id})`;
        for (const r of await keeper.retiredFederations(ctx, chain.id)) {
          const old = kind.depositAddress(chain, r.federation!, recipient);
          if (!pays(old.script) || inGrace(chain, Number(r.retiredAt), height)) continue;
          why =
            chain.federationGrace > 0
              ? `${old.address}, the address of ${msg.recipient} under federation ${r.federation!.id}, retired at height ${r.retiredAt}: its grace window of ${chain.federationGrace} blocks ended at height ${Number(r.retiredAt) + chain.federationGrace}`
              : `${old.address}, the address of ${msg.recipient} under federation ${r.federation!.id}, retired at height ${r.retiredAt} (${chain.id} has no grace window)`;
        }
        throw pegErrors.ErrNotDepositScript.wrap(`${outpoint} pays script ${Buffer.from(output.script).toString("hex")}, ${why}`);
      }
      const minDeposit = BigInt(chain.minDeposit);
      if (output.value < minDeposit) throw pegErrors.ErrBelowMinimum.wrap(`${outpoint} pays ${output.value}, the minimum deposit is ${minDeposit}`);
      const reserve = await keeper.reserveTotal(ctx, chain.id);
      if (reserve + output.value > BigInt(chain.reserveCap))
        throw pegErrors.ErrCapExceeded.wrap(`reserve ${reserve} + ${output.value} would exceed the cap of ${chain.reserveCap}`);

      const minted = output.value - BigInt(chain.pegInFee);
      keeper.setDeposit(
        ctx,
        v1.Deposit.create({
          mainchain: chain.id,
          txid: proven.txid,
          vout: msg.vout,
          amount: output.value.toString(),
          recipient: msg.recipient,
          minted: minted.toString(),
          blockHash: proven.blockHash,
          blockHeight: proven.height,
          claimedAt: Number(ctx.header.height),
        }),
      );
      await keeper.addReserveUtxo(
        ctx,
        chain.id,
        v1.ReserveUtxo.create({ txid: proven.txid, vout: msg.vout, value: output.value.toString(), script: deposit.script, witnessScript: deposit.witnessScript, federationId }),
      );
      const denom = peggedDenom(chain.id);
      await keeper.bank.mint(ctx, recipient, [{ denom, amount: minted }]);
      ctx.events.emit("claim_deposit", [
        ["mainchain", chain.id],
        ["outpoint", outpoint],
        ["recipient", msg.recipient],
        ["amount", output.value.toString()],
        ["minted", `${minted}${denom}`],
        ["block_hash", proven.blockHash],
        ["federation_id", String(federationId)],
      ]);
      return response(pegTypeUrls.claimDeposit, v1.MsgClaimDepositResponse.encode({ minted: minted.toString() }).finish());
    },
  };
  registrar.msg(pegTypeUrls.claimDeposit, { decode: (b) => v1.MsgClaimDeposit.decode(b) }, claim);

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
        script = keeper.utxo(chain).withdrawalScript(chain, msg.destination);
      } catch (e) {
        if (e instanceof Error && "codespace" in e) throw e;
        throw pegErrors.ErrInvalidAddress.wrap(`${JSON.stringify(msg.destination)} is not an address of ${chain.id}: ${e instanceof Error ? e.message : String(e)}`);
      }
      // Paid to the federation's own reserve address, the coins would stay locked and count nowhere.
      if (Buffer.from(script).equals(Buffer.from(keeper.utxo(chain).reserveAddress(chain, chain.federation!).script)))
        throw pegErrors.ErrInvalidAddress.wrap(`${msg.destination} is the federation's reserve address`);
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

  const confirm: MsgHandler<pegzone.peg.v1.MsgConfirmRelease> = {
    signers: (msg) => [msg.relayer],
    validate(msg) {
      parseAddress(msg.relayer, "relayer");
      requireMainchainId(msg.mainchain);
      if (msg.tx.length === 0 || msg.merkleProof.length === 0) throw pegErrors.ErrInvalidProof.wrap("empty transaction or merkle proof");
      if (!HEX64.test(msg.blockHash)) throw pegErrors.ErrInvalidProof.wrap(`block hash must be 64 lowercase hex digits, got ${JSON.stringify(msg.blockHash)}`);
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const proven = await keeper
        .utxo(chain)
        .proveTransaction(keeper.clientStore(ctx, chain.id), chain, { tx: msg.tx, blockHash: msg.blockHash, proof: msg.merkleProof })
        .catch((e: unknown) => asPegError(e, pegErrors.ErrInvalidProof));
      const release = await keeper.releaseByTxid(ctx, chain.id, proven.txid);
      if (!release) throw pegErrors.ErrUnknownRelease.wrap(`transaction ${proven.txid} is not a release of ${chain.id}`);
      if (release.status === v1.ReleaseStatus.RELEASE_STATUS_CONFIRMED) throw pegErrors.ErrInvalidRelease.wrap(`release ${release.id} is already confirmed`);
      // Every version of a release spends the same inputs; one missing means another version was confirmed.
      for (const input of release.inputs)
        if (!(await keeper.getReserveUtxo(ctx, chain.id, input.txid!, input.vout!)))
          throw pegErrors.ErrInvalidRelease.wrap(`input ${input.txid}:${input.vout} of release ${release.id} is no longer in the reserve: another confirmed release spent it`);
      if (proven.confirmations < proven.required)
        throw pegErrors.ErrNotEnoughConfirmations.wrap(`release ${release.id} (${proven.txid}) has ${proven.confirmations} of the ${proven.required} confirmations ${chain.id} requires`);
      await applyConfirmedRelease(ctx, keeper, chain, release);
      return response(pegTypeUrls.confirmRelease, v1.MsgConfirmReleaseResponse.encode({ releaseId: release.id }).finish());
    },
  };
  registrar.msg(pegTypeUrls.confirmRelease, { decode: (b) => v1.MsgConfirmRelease.decode(b) }, confirm);

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
