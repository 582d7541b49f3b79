/**
 * A release once built: its federation's signatures are collected until they reach the threshold,
 * then the main chain decides. Confirmed, it leaves the reserve and its change joins it; failed (a
 * sequential kind's proof), its withdrawals go back to pending and what the main chain charged is
 * borne by the surplus first. Building releases is releases.ts.
 */
import type { Context } from "../../chain/app/context";
import { sdkErrors } from "../../chain/tx/errors";
import { pegzone } from "../../proto";
import { pegErrors } from "./errors";
import { peggedDenom, type MainChain, type PegKeeper, type Release, type Withdrawal } from "./keeper";
import type { ReserveEntryView } from "./kinds";
import { builtFromRelease, changeFederationId, isSweep, owner, releaseFederation, storedEntry, surplus } from "./releases";

const v1 = pegzone.peg.v1;
const { ReleaseStatus, WithdrawalStatus } = v1;

/** Adds one member's signatures (one per input); completes the release when the signers' weight reaches the threshold. */
export async function addReleaseSignatures(ctx: Context, keeper: PegKeeper, chain: MainChain, release: Release, signerAccount: string, signatures: readonly Uint8Array[]): Promise<boolean> {
  if (release.status !== ReleaseStatus.RELEASE_STATUS_SIGNING)
    throw pegErrors.ErrInvalidRelease.wrap(`release ${release.id} is ${ReleaseStatus[release.status]}, not collecting signatures`);
  const federation = await releaseFederation(ctx, keeper, chain, release);
  const members = federation.members ?? [];
  const index = members.findIndex((m) => m.account === signerAccount);
  if (index < 0) throw sdkErrors.ErrUnauthorized.wrap(`${signerAccount} is not a member of federation ${federation.id} of ${chain.id}`);
  const member = members[index];
  if (release.signatures.some((s) => Buffer.from(s.pubkey!).equals(Buffer.from(member.pubkey!))))
    throw pegErrors.ErrDuplicateSignature.wrap(`member ${index} (${signerAccount}) has already signed release ${release.id}`);
  const kind = keeper.releases(chain);
  const built = builtFromRelease(release);
  const digests = kind.releaseDigests(built);
  if (signatures.length !== digests.length)
    throw pegErrors.ErrInvalidSignature.wrap(`release ${release.id} has ${digests.length} digests to sign (one per input), got ${signatures.length} signatures`);
  for (const [i, sig] of signatures.entries())
    if (!kind.verifySignature(member.pubkey!, digests[i], sig))
      throw pegErrors.ErrInvalidSignature.wrap(`signature ${i} is not member ${index}'s signature of digest ${i} (input ${i}) of release ${release.id}`);

  const all = [...release.signatures, { pubkey: member.pubkey!, signatures: [...signatures] }];
  const signerIndexes = all.map((s) => members.findIndex((m) => Buffer.from(m.pubkey!).equals(Buffer.from(s.pubkey!))));
  const weight = signerIndexes.reduce((sum, i) => sum + members[i].weight!, 0);
  const complete = weight >= federation.threshold!;
  const updated = v1.Release.create({ ...release, signatures: all });
  if (complete) {
    const perInput = digests.map((_, d) => new Map(all.map((s, k) => [signerIndexes[k], s.signatures![d]] as const)));
    updated.signedTx = kind.assembleRelease(built, federation, perInput);
    updated.status = ReleaseStatus.RELEASE_STATUS_SIGNED;
  }
  keeper.setRelease(ctx, updated);
  ctx.events.emit("release_signature", [["mainchain", chain.id], ["release_id", String(release.id)], ["member", signerAccount], ["weight", `${weight}/${federation.threshold}`]]);
  if (complete) ctx.events.emit("release_signed", [["mainchain", chain.id], ["release_id", String(release.id)], ["txid", release.txid]]);
  return complete;
}

/**
 * A release seen confirmed: its withdrawals are complete, its inputs leave the reserve and its change
 * joins it, as an output of the federation it pays (for a sweep: the newer federation). A sweep has no
 * withdrawals and burned nothing: the reserve drops by exactly its fee.
 */
export async function applyConfirmedRelease(ctx: Context, keeper: PegKeeper, chain: MainChain, release: Release): Promise<void> {
  const key = (id: Uint8Array | null | undefined) => Buffer.from(id ?? []).toString("hex");
  const spent = new Set(release.inputs.map((i) => key(i.id)));
  for (const input of release.inputs) {
    const entry = await keeper.getReserveEntry(ctx, chain.id, input.id!);
    if (entry) await keeper.removeReserveEntry(ctx, chain.id, entry);
  }
  if (release.change) await keeper.addReserveEntry(ctx, chain.id, v1.ReserveEntry.create({ ...release.change, federationId: changeFederationId(release), releaseId: 0 }));
  for (const id of release.withdrawalIds) {
    const w = (await keeper.getWithdrawal(ctx, chain.id, Number(id)))!;
    const paid = release.outputs.find((o) => Number(o.withdrawalId) === Number(id))!.value!;
    keeper.setWithdrawal(ctx, v1.Withdrawal.create({ ...w, status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, releaseId: release.id, paid }), owner(w.owner));
  }
  keeper.setInFlight(ctx, chain.id, (await keeper.inFlight(ctx, chain.id)) - BigInt(release.amount));
  keeper.setRelease(ctx, v1.Release.create({ ...release, status: ReleaseStatus.RELEASE_STATUS_CONFIRMED, confirmedAt: Number(ctx.header.height) }));
  // Every other version of this release spends the same inputs: it can never confirm now.
  for (const other of await keeper.liveReleases(ctx, chain.id)) {
    if (Number(other.id) === Number(release.id)) continue;
    if (other.inputs.some((i) => spent.has(key(i.id)))) keeper.setRelease(ctx, v1.Release.create({ ...other, status: ReleaseStatus.RELEASE_STATUS_REPLACED }));
  }
  ctx.events.emit("release_confirmed", [
    ["mainchain", chain.id],
    ["release_id", String(release.id)],
    ["txid", release.txid],
    ["amount", release.amount],
    ["fee", release.fee],
    ["sweep", String(isSweep(release))],
  ]);
}

/**
 * A release proven never to pay (a sequential kind's ReleaseOutcome "failed": not included by its
 * timeout height, or included with a non-zero code). Its withdrawals wait for the next release again
 * (their tokens minted back into the redemption account, out of flight), and its inputs are free
 * again; if the main chain charged a fee for it anyway, the inputs leave the reserve and the kind's
 * `remainder` (their sum − charged) joins it. The charged fee comes out of the surplus as far as it
 * goes; any shortfall is shared by the release's withdrawals as a release's fee is (the first
 * `shortfall mod n` one unit more; one smaller than its share drops to 0, completed with nothing
 * paid, and the others share what it could not bear), so supply + in flight ≤ reserve still holds. No withdrawal is
 * lost (each is pending again) or paid twice (the release can never execute now).
 */
export async function applyFailedRelease(ctx: Context, keeper: PegKeeper, chain: MainChain, release: Release, reason: string, charged: bigint, remainder: ReserveEntryView | undefined): Promise<void> {
  const inputs = release.inputs.reduce((sum, i) => sum + BigInt(i.value!), 0n);
  if (charged < 0n || charged > inputs) throw pegErrors.ErrInvalidRelease.wrap(`release ${release.id}: a charged fee of ${charged} is not between 0 and its inputs' ${inputs}`);
  if (charged > 0n && (remainder?.value ?? 0n) !== inputs - charged)
    throw pegErrors.ErrInvalidRelease.wrap(`release ${release.id}: its remainder must be its inputs' ${inputs} less the ${charged} charged`);
  for (const input of release.inputs) {
    const entry = await keeper.getReserveEntry(ctx, chain.id, input.id!);
    if (entry === undefined) continue;
    if (charged > 0n) await keeper.removeReserveEntry(ctx, chain.id, entry);
    else await keeper.updateReserveEntry(ctx, chain.id, v1.ReserveEntry.create({ ...entry, releaseId: 0 }));
  }
  if (charged > 0n && remainder !== undefined && remainder.value > 0n)
    await keeper.addReserveEntry(ctx, chain.id, storedEntry(remainder, keeper.deposits(chain).reserveDataType, Number(release.federationId), 0));

  // What the surplus cannot absorb of the charge, the release's withdrawals bear.
  const live = await keeper.liveReleases(ctx, chain.id);
  const available = await surplus(ctx, keeper, chain, live, Number(release.id));
  const shortfall = available >= 0n ? 0n : -available < charged ? -available : charged;
  const withdrawals: Withdrawal[] = [];
  for (const id of release.withdrawalIds) withdrawals.push((await keeper.getWithdrawal(ctx, chain.id, Number(id)))!);
  // Shared in order (the first `rest mod n` one unit more); what a withdrawal smaller than its share
  // cannot bear (it drops to 0) is shared again among the others, so that they bear all of it.
  const amounts = withdrawals.map((w) => BigInt(w.amount));
  let rest = shortfall;
  for (let open = amounts.map((_, i) => i); rest > 0n && open.length > 0; open = open.filter((i) => amounts[i] > 0n)) {
    const n = BigInt(open.length);
    const [base, extra] = [rest / n, rest % n];
    for (const [k, i] of open.entries()) {
      const share = base + (BigInt(k) < extra ? 1n : 0n);
      const take = amounts[i] < share ? amounts[i] : share;
      amounts[i] -= take;
      rest -= take;
    }
  }
  let requeued = 0n;
  for (const [i, w] of withdrawals.entries()) {
    const amount = amounts[i];
    requeued += amount;
    const status = amount > 0n ? WithdrawalStatus.WITHDRAWAL_STATUS_PENDING : WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED;
    keeper.setWithdrawal(ctx, v1.Withdrawal.create({ ...w, status, amount: amount.toString(), releaseId: 0, paid: amount > 0n ? "" : "0" }), owner(w.owner));
  }
  if (requeued > 0n) await keeper.bank.mint(ctx, keeper.redemptionAccount, [{ denom: peggedDenom(chain.id), amount: requeued }]);
  keeper.setInFlight(ctx, chain.id, (await keeper.inFlight(ctx, chain.id)) - BigInt(release.amount));
  keeper.setRelease(ctx, v1.Release.create({ ...release, status: ReleaseStatus.RELEASE_STATUS_FAILED, failure: reason, charged: charged.toString() }));
  ctx.events.emit("release_voided", [
    ["mainchain", chain.id],
    ["release_id", String(release.id)],
    ["txid", release.txid],
    ["reason", reason],
    ["charged", charged.toString()],
    ["charged_to_withdrawals", (shortfall - rest).toString()],
    ["withdrawals", release.withdrawalIds.join(",")],
  ]);
}

