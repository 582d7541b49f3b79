/**
 * The messages that prove something happened on a main chain, the same for every kind: the kind
 * checks the proof with its light client (PegFlow.proveDeposit / proveRelease) and says what it
 * shows; the peg decides.
 *
 * Both need the kind's light client Active (peg 27 otherwise). MsgClaimDeposit, in this order:
 *  1. the proof (the kind's Any, of its depositProofType) is valid against a stored block;
 *  2. the deposit id was never claimed;
 *  3. it is not the federation's own: an entry already in the reserve, the change of any release
 *     (an id a release will add), or a payment to any federation's reserve address;
 *  4. it has the confirmations the chain requires;
 *  5. it pays the recipient's deposit address under the current federation, or under a retired one
 *     within its grace window;
 *  6. amount ≥ min_deposit and reserve + amount ≤ reserve_cap.
 * Then amount − peg_in_fee is minted to the recipient and the deposit joins the reserve.
 *
 * MsgConfirmRelease: the kind decides live releases from the proof (ReleaseOutcome). Confirmed: the
 * release's transaction has the required confirmations and none of its inputs has left the reserve
 * (no other version of it confirmed); it is applied. Failed (sequential kinds: proven never to pay):
 * its withdrawals are queued again (releases.ts applyFailedRelease). A proof may decide nothing and
 * only teach the kind (tendermint: the federation account's number and sequence).
 */
import type { Context } from "../../chain/app/context";
import type { MsgHandler, ServiceRegistrar } from "../../chain/app/module";
import { parseAddress } from "../../chain/crypto/address";
import { pegzone } from "../../proto";
import { pegErrors } from "./errors";
import { peggedDenom, type MainChain, type PegKeeper, type RetiredFederation } from "./keeper";
import type { Federation, ProvenDeposit, ReleaseOutcome } from "./kinds";
import { asPegError, blockTimeNanos, recipientAddress, requireMainchainId, requireNotFrozen, response } from "./msg-common";
import { applyConfirmedRelease, applyFailedRelease } from "./release-outcomes";
import { entryView } from "./releases";
import { inGrace } from "./rotation";

const v1 = pegzone.peg.v1;
export const CLAIM_DEPOSIT = "/pegzone.peg.v1.MsgClaimDeposit";
export const CONFIRM_RELEASE = "/pegzone.peg.v1.MsgConfirmRelease";
/** The largest proof a message carries (a transaction and its block's Merkle branch; a Hub tx with its proofs). */
const MAX_PROOF_BYTES = 1 << 20;

/** The proof's bytes, if it is of the type the kind takes. */
function proofOf(proof: pegzone.peg.v1.MsgClaimDeposit["proof"], typeUrl: string, what: string): Uint8Array {
  if (proof == null || proof.type_url !== typeUrl)
    throw pegErrors.ErrInvalidProof.wrap(`${what} takes a proof of type ${typeUrl}, got ${JSON.stringify(proof?.type_url ?? "")}`);
  return proof.value ?? new Uint8Array();
}

function validateProof(proof: pegzone.peg.v1.MsgClaimDeposit["proof"]): void {
  const size = proof?.value?.length ?? 0;
  if (proof == null || proof.type_url === "" || size === 0) throw pegErrors.ErrInvalidProof.wrap("no proof");
  if (size > MAX_PROOF_BYTES) throw pegErrors.ErrInvalidProof.wrap(`a proof of ${size} bytes; at most ${MAX_PROOF_BYTES}`);
}

/** Proofs are checked only against an Active client: never a Frozen (misbehaving) or Expired one. */
async function requireActiveClient(ctx: Context, keeper: PegKeeper, chain: MainChain): Promise<void> {
  const kind = keeper.kind(chain);
  const status = await kind.lightClient.status(keeper.clientStore(ctx, chain.id), kind.clientConfig(chain), blockTimeNanos(ctx));
  if (status !== "Active") throw pegErrors.ErrClientNotActive.wrap(`the light client of ${chain.id} is ${status}`);
}

/** Step 3: what the federation created is the reserve's and never a deposit, whatever the kind. */
async function refuseFederationOwned(ctx: Context, keeper: PegKeeper, chain: MainChain, proven: ProvenDeposit, federations: readonly Federation[]): Promise<void> {
  const id = proven.displayId;
  if (await keeper.getReserveEntry(ctx, chain.id, proven.id)) throw pegErrors.ErrFederationOutput.wrap(`${id} is in the reserve of ${chain.id}`);
  const release = await keeper.releaseByChange(ctx, chain.id, proven.id);
  if (release) throw pegErrors.ErrFederationOutput.wrap(`${id} is the change of release ${release.id}`);
  if (proven.reserveIndex >= 0) throw pegErrors.ErrFederationOutput.wrap(`${id} pays the reserve address of federation ${federations[proven.reserveIndex].id}`);
}

/** Step 5: the federation whose deposit address it pays, if deposits to it are accepted at `height`; else why not. */
function acceptingFederation(keeper: PegKeeper, chain: MainChain, retired: readonly RetiredFederation[], proven: ProvenDeposit, recipientText: string, recipient: Uint8Array, height: number): Federation {
  if (proven.federationIndex === 0) return chain.federation!;
  const flow = keeper.deposits(chain);
  if (proven.federationIndex > 0) {
    const r = retired[proven.federationIndex - 1];
    if (inGrace(chain, Number(r.retiredAt), height)) return r.federation!;
    const old = flow.depositAddress(chain, r.federation!, recipient);
    const why =
      chain.federationGrace > 0
        ? `${old.address}, the address of ${recipientText} under federation ${r.federation!.id}, retired at height ${r.retiredAt}: its grace window of ${chain.federationGrace} blocks ended at height ${Number(r.retiredAt) + chain.federationGrace}`
        : `${old.address}, the address of ${recipientText} under federation ${r.federation!.id}, retired at height ${r.retiredAt} (${chain.id} has no grace window)`;
    throw pegErrors.ErrNotDepositScript.wrap(`${proven.displayId} pays ${proven.pays}, ${why}`);
  }
  const current = flow.depositAddress(chain, chain.federation!, recipient);
  throw pegErrors.ErrNotDepositScript.wrap(`${proven.displayId} pays ${proven.pays}, not ${current.address} (${recipientText} under federation ${chain.federation!.id})`);
}

export function registerProofMsgs(registrar: ServiceRegistrar, keeper: PegKeeper): void {
  const claim: MsgHandler<pegzone.peg.v1.MsgClaimDeposit> = {
    signers: (msg) => [msg.claimer],
    validate(msg) {
      parseAddress(msg.claimer, "claimer");
      recipientAddress(msg.recipient);
      requireMainchainId(msg.mainchain);
      validateProof(msg.proof);
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      await requireNotFrozen(ctx, keeper, chain);
      const flow = keeper.deposits(chain);
      await requireActiveClient(ctx, keeper, chain);
      const recipient = recipientAddress(msg.recipient);
      const retired = await keeper.retiredFederations(ctx, chain.id);
      const federations = [chain.federation!, ...retired.map((r) => r.federation!)];
      let proven: ProvenDeposit;
      try {
        proven = await flow.proveDeposit(keeper.clientStore(ctx, chain.id), chain, proofOf(msg.proof, flow.depositProofType, "a deposit claim"), recipient, federations, blockTimeNanos(ctx));
      } catch (e) {
        return asPegError(e, pegErrors.ErrInvalidProof);
      }
      if (await keeper.getDeposit(ctx, chain.id, proven.id)) throw pegErrors.ErrAlreadyClaimed.wrap(proven.displayId);
      await refuseFederationOwned(ctx, keeper, chain, proven, federations);
      if (proven.confirmations < proven.required)
        throw pegErrors.ErrNotEnoughConfirmations.wrap(`${proven.displayId} has ${proven.confirmations} of the ${proven.required} confirmations ${chain.id} requires`);
      const federation = acceptingFederation(keeper, chain, retired, proven, msg.recipient, recipient, Number(ctx.header.height));
      const minDeposit = BigInt(chain.minDeposit);
      if (proven.value < minDeposit) throw pegErrors.ErrBelowMinimum.wrap(`${proven.displayId} pays ${proven.value}, the minimum deposit is ${minDeposit}`);
      const reserve = await keeper.reserveTotal(ctx, chain.id);
      if (reserve + proven.value > BigInt(chain.reserveCap))
        throw pegErrors.ErrCapExceeded.wrap(`reserve ${reserve} + ${proven.value} would exceed the cap of ${chain.reserveCap}`);

      const minted = proven.value - BigInt(chain.pegInFee);
      keeper.setDeposit(
        ctx,
        v1.Deposit.create({
          mainchain: chain.id,
          id: proven.id,
          displayId: proven.displayId,
          amount: proven.value.toString(),
          recipient: msg.recipient,
          minted: minted.toString(),
          blockHash: proven.blockHash,
          blockHeight: proven.blockHeight,
          claimedAt: Number(ctx.header.height),
          federationId: federation.id,
        }),
      );
      await keeper.addReserveEntry(
        ctx,
        chain.id,
        v1.ReserveEntry.create({
          id: proven.id,
          displayId: proven.displayId,
          value: proven.value.toString(),
          federationId: federation.id,
          data: { type_url: flow.reserveDataType, value: proven.data },
        }),
      );
      const denom = peggedDenom(chain.id);
      await keeper.bank.mint(ctx, recipient, [{ denom, amount: minted }]);
      ctx.events.emit("claim_deposit", [
        ["mainchain", chain.id],
        ["deposit_id", proven.displayId],
        ["recipient", msg.recipient],
        ["amount", proven.value.toString()],
        ["minted", `${minted}${denom}`],
        ["block_hash", proven.blockHash],
        ["federation_id", String(federation.id)],
      ]);
      return response(CLAIM_DEPOSIT, v1.MsgClaimDepositResponse.encode({ minted: minted.toString() }).finish());
    },
  };
  registrar.msg(CLAIM_DEPOSIT, { decode: (b) => v1.MsgClaimDeposit.decode(b) }, claim);

  const confirm: MsgHandler<pegzone.peg.v1.MsgConfirmRelease> = {
    signers: (msg) => [msg.relayer],
    validate(msg) {
      parseAddress(msg.relayer, "relayer");
      requireMainchainId(msg.mainchain);
      validateProof(msg.proof);
    },
    async handle(ctx, msg) {
      const chain = await keeper.mustGetMainChain(ctx, msg.mainchain);
      const flow = keeper.releases(chain);
      await requireActiveClient(ctx, keeper, chain);
      const live = await keeper.liveReleases(ctx, chain.id);
      const federations = [chain.federation!, ...(await keeper.retiredFederations(ctx, chain.id)).map((r) => r.federation!)];
      let outcomes: ReleaseOutcome[];
      try {
        const views = live.map((r) => ({ id: Number(r.id), txid: r.txid, federationId: Number(r.federationId), context: r.context, fee: BigInt(r.fee), inputs: r.inputs.map(entryView) }));
        outcomes = await flow.proveRelease(keeper.kindStores(ctx, chain.id), chain, proofOf(msg.proof, flow.releaseProofType, "a release confirmation"), blockTimeNanos(ctx), views, federations);
      } catch (e) {
        return asPegError(e, pegErrors.ErrInvalidProof);
      }
      let decided = 0;
      for (const outcome of outcomes) {
        const release = await keeper.releaseByTxid(ctx, chain.id, outcome.txid);
        if (!release) throw pegErrors.ErrUnknownRelease.wrap(`transaction ${outcome.txid} is not a release of ${chain.id}`);
        if (release.status === v1.ReleaseStatus.RELEASE_STATUS_CONFIRMED) throw pegErrors.ErrInvalidRelease.wrap(`release ${release.id} is already confirmed`);
        if (outcome.outcome === "failed") {
          if (release.status !== v1.ReleaseStatus.RELEASE_STATUS_SIGNING && release.status !== v1.ReleaseStatus.RELEASE_STATUS_SIGNED)
            throw pegErrors.ErrInvalidRelease.wrap(`release ${release.id} is ${v1.ReleaseStatus[release.status]}, not live`);
          await applyFailedRelease(ctx, keeper, chain, release, outcome.reason, outcome.charged, outcome.remainder);
        } else {
          // Every version of a release spends the same inputs; one missing means another version was confirmed.
          for (const input of release.inputs)
            if (!(await keeper.getReserveEntry(ctx, chain.id, input.id ?? new Uint8Array())))
              throw pegErrors.ErrInvalidRelease.wrap(`input ${input.displayId} of release ${release.id} is no longer in the reserve: another confirmed release spent it`);
          if (outcome.confirmations < outcome.required)
            throw pegErrors.ErrNotEnoughConfirmations.wrap(`release ${release.id} (${outcome.txid}) has ${outcome.confirmations} of the ${outcome.required} confirmations ${chain.id} requires`);
          await applyConfirmedRelease(ctx, keeper, chain, release);
        }
        decided = Number(release.id);
      }
      return response(CONFIRM_RELEASE, v1.MsgConfirmReleaseResponse.encode({ releaseId: decided }).finish());
    },
  };
  registrar.msg(CONFIRM_RELEASE, { decode: (b) => v1.MsgConfirmRelease.decode(b) }, confirm);
}
