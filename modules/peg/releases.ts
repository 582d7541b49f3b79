/**
 * Peg-out, the chain's side: building releases from pending withdrawals (every `batch_interval`
 * blocks), rebuilding stale ones with a higher fee, collecting federation signatures and applying a
 * confirmed release to the reserve. Everything here is deterministic: withdrawals and reserve
 * outputs are read in key order and the kind's builder is a pure function of them.
 */
import type { Context } from "../../chain/app/context";
import { sdkErrors } from "../../chain/tx/errors";
import { pegzone } from "../../proto";
import { pegErrors } from "./errors";
import { peggedDenom, type MainChain, type PegKeeper, type Release, type ReserveUtxo } from "./keeper";
import { parseAddress } from "../bank/msgs";
import type { BuiltRelease, Federation, ReleasePayment, ReleaseUtxo } from "./kinds";

const v1 = pegzone.peg.v1;
const { ReleaseStatus, WithdrawalStatus } = v1;
/** Withdrawals paid by one release at most, which bounds its size. */
export const MAX_RELEASE_PAYMENTS = 100;

function toUtxo(u: { txid: string; vout: number; value: string; witnessScript: Uint8Array }): ReleaseUtxo {
  return { txid: u.txid, vout: u.vout, value: BigInt(u.value), witnessScript: u.witnessScript };
}

/** The kind's view of a stored release. */
export function builtFromRelease(r: Release): BuiltRelease {
  return {
    tx: r.unsignedTx,
    txid: r.txid,
    inputs: r.inputs.map((i) => toUtxo({ txid: i.txid!, vout: i.vout!, value: i.value!, witnessScript: i.witnessScript! })),
    outputs: r.outputs.map((o) => ({ paymentId: Number(o.withdrawalId) || undefined, script: o.script!, value: BigInt(o.value!) })),
    fee: BigInt(r.fee),
    feeShares: [],
    change: r.changeVout >= 0 ? { vout: r.changeVout, value: BigInt(r.outputs[r.changeVout].value!) } : undefined,
  };
}

/** The federation that must sign a release (the one it was built under). */
export function releaseFederation(chain: MainChain, release: Release): Federation {
  if (Number(chain.federation!.id) !== Number(release.federationId))
    throw pegErrors.ErrInvalidRelease.wrap(`release ${release.id} was built under federation ${release.federationId}, which is no longer known`);
  return chain.federation!;
}

/** Stores a freshly built release and points its withdrawals and inputs at it. */
async function recordRelease(ctx: Context, keeper: PegKeeper, chain: MainChain, built: BuiltRelease, payments: readonly ReleasePayment[], feeRate: bigint, replaces: number): Promise<Release> {
  const id = await keeper.nextReleaseId(ctx, chain.id);
  const kind = keeper.kind(chain);
  const release = v1.Release.create({
    id,
    mainchain: chain.id,
    federationId: chain.federation!.id,
    status: ReleaseStatus.RELEASE_STATUS_SIGNING,
    unsignedTx: built.tx,
    txid: built.txid,
    inputs: built.inputs.map((i) => ({ txid: i.txid, vout: i.vout, value: i.value.toString(), witnessScript: i.witnessScript })),
    outputs: built.outputs.map((o) => ({ withdrawalId: o.paymentId ?? 0, script: o.script, value: o.value.toString() })),
    withdrawalIds: payments.map((p) => p.id),
    fee: built.fee.toString(),
    feeRate: feeRate.toString(),
    changeVout: built.change?.vout ?? -1,
    changeWitnessScript: built.change ? kind.reserveWitnessScript(chain.federation!) : new Uint8Array(),
    builtAt: Number(ctx.header.height),
    replaces,
    amount: payments.reduce((sum, p) => sum + p.amount, 0n).toString(),
  });
  keeper.setRelease(ctx, release);
  for (const input of built.inputs) {
    const utxo = (await keeper.getReserveUtxo(ctx, chain.id, input.txid, input.vout))!;
    keeper.updateReserveUtxo(ctx, chain.id, v1.ReserveUtxo.create({ ...utxo, releaseId: id }));
  }
  for (const p of payments) {
    const w = (await keeper.getWithdrawal(ctx, chain.id, p.id))!;
    const paid = built.outputs.find((o) => o.paymentId === p.id)!.value;
    keeper.setWithdrawal(ctx, v1.Withdrawal.create({ ...w, status: WithdrawalStatus.WITHDRAWAL_STATUS_IN_RELEASE, releaseId: id, paid: paid.toString() }), owner(w.owner));
  }
  ctx.events.emit("release_built", [
    ["mainchain", chain.id],
    ["release_id", String(id)],
    ["txid", built.txid],
    ["withdrawals", payments.map((p) => p.id).join(",")],
    ["fee", built.fee.toString()],
    ["replaces", String(replaces)],
  ]);
  return release;
}

function owner(bech32: string): Uint8Array {
  return parseAddress(bech32, "withdrawal owner");
}

/** Every batch interval: one release paying the oldest pending withdrawals. Never throws for a bad batch; it says why in an event. */
export async function buildPendingRelease(ctx: Context, keeper: PegKeeper, chain: MainChain): Promise<void> {
  if (chain.batchInterval === 0 || Number(ctx.header.height) % chain.batchInterval !== 0) return;
  const pending = (await keeper.allWithdrawals(ctx, chain.id)).filter((w) => w.status === WithdrawalStatus.WITHDRAWAL_STATUS_PENDING).slice(0, MAX_RELEASE_PAYMENTS);
  if (pending.length === 0) return;
  const payments: ReleasePayment[] = pending.map((w) => ({ id: Number(w.id), script: w.script, amount: BigInt(w.amount) }));
  const free = (await keeper.reserveUtxos(ctx, chain.id)).filter((u) => Number(u.releaseId) === 0);
  const feeRate = BigInt(chain.feeRate);
  let built: BuiltRelease;
  try {
    built = keeper.kind(chain).buildRelease({ utxos: free.map(fromReserve), payments, feeRate, maxFee: BigInt(chain.maxFee), federation: chain.federation! });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    ctx.events.emit("release_failed", [["mainchain", chain.id], ["reason", reason]]);
    ctx.logger.warn({ mainchain: chain.id, reason }, "could not build a release");
    return;
  }
  const amount = payments.reduce((sum, p) => sum + p.amount, 0n);
  await keeper.bank.burn(ctx, keeper.redemptionAccount, [{ denom: peggedDenom(chain.id), amount }]);
  keeper.setInFlight(ctx, chain.id, (await keeper.inFlight(ctx, chain.id)) + amount);
  await recordRelease(ctx, keeper, chain, built, payments, feeRate, 0);
}

function fromReserve(u: ReserveUtxo): ReleaseUtxo {
  return toUtxo({ txid: u.txid, vout: u.vout, value: u.value, witnessScript: u.witnessScript });
}

/** Releases unconfirmed after `release_timeout` blocks are rebuilt from the same inputs at twice the fee rate (BIP125 replacement). */
export async function replaceStaleReleases(ctx: Context, keeper: PegKeeper, chain: MainChain): Promise<void> {
  if (chain.releaseTimeout === 0) return;
  const height = Number(ctx.header.height);
  for (const old of await keeper.allReleases(ctx, chain.id)) {
    const live = old.status === ReleaseStatus.RELEASE_STATUS_SIGNING || old.status === ReleaseStatus.RELEASE_STATUS_SIGNED;
    if (!live || height < Number(old.builtAt) + chain.releaseTimeout) continue;
    const maxFee = BigInt(chain.maxFee);
    if (BigInt(old.fee) >= maxFee) continue; // nothing left to bump: wait
    const payments: ReleasePayment[] = [];
    for (const id of old.withdrawalIds) {
      const w = (await keeper.getWithdrawal(ctx, chain.id, Number(id)))!;
      payments.push({ id: Number(w.id), script: w.script, amount: BigInt(w.amount) });
    }
    const feeRate = BigInt(old.feeRate) * 2n;
    let built: BuiltRelease;
    try {
      built = keeper.kind(chain).buildRelease({ utxos: builtFromRelease(old).inputs, payments, feeRate, maxFee, federation: releaseFederation(chain, old) });
    } catch (err) {
      ctx.events.emit("release_failed", [["mainchain", chain.id], ["reason", err instanceof Error ? err.message : String(err)]]);
      continue;
    }
    if (built.fee <= BigInt(old.fee)) continue;
    keeper.setRelease(ctx, v1.Release.create({ ...old, status: ReleaseStatus.RELEASE_STATUS_REPLACED }));
    await recordRelease(ctx, keeper, chain, built, payments, feeRate, Number(old.id));
  }
}

/** Adds one member's signatures (one per input); completes the release when the signers' weight reaches the threshold. */
export async function addReleaseSignatures(ctx: Context, keeper: PegKeeper, chain: MainChain, release: Release, signerAccount: string, signatures: readonly Uint8Array[]): Promise<boolean> {
  if (release.status !== ReleaseStatus.RELEASE_STATUS_SIGNING)
    throw pegErrors.ErrInvalidRelease.wrap(`release ${release.id} is ${ReleaseStatus[release.status]}, not collecting signatures`);
  const federation = releaseFederation(chain, release);
  const members = federation.members ?? [];
  const index = members.findIndex((m) => m.account === signerAccount);
  if (index < 0) throw sdkErrors.ErrUnauthorized.wrap(`${signerAccount} is not a member of federation ${federation.id} of ${chain.id}`);
  const member = members[index];
  if (release.signatures.some((s) => Buffer.from(s.pubkey!).equals(Buffer.from(member.pubkey!))))
    throw pegErrors.ErrDuplicateSignature.wrap(`member ${index} (${signerAccount}) has already signed release ${release.id}`);
  const kind = keeper.kind(chain);
  const built = builtFromRelease(release);
  if (signatures.length !== built.inputs.length)
    throw pegErrors.ErrInvalidSignature.wrap(`release ${release.id} has ${built.inputs.length} inputs, got ${signatures.length} signatures`);
  const digests = kind.releaseDigests(built);
  for (const [i, sig] of signatures.entries())
    if (!kind.verifySignature(member.pubkey!, digests[i], sig))
      throw pegErrors.ErrInvalidSignature.wrap(`signature ${i} is not member ${index}'s signature of input ${i} of release ${release.id}`);

  const all = [...release.signatures, { pubkey: member.pubkey!, signatures: [...signatures] }];
  const signerIndexes = all.map((s) => members.findIndex((m) => Buffer.from(m.pubkey!).equals(Buffer.from(s.pubkey!))));
  const weight = signerIndexes.reduce((sum, i) => sum + members[i].weight!, 0);
  const complete = weight >= federation.threshold!;
  const updated = v1.Release.create({ ...release, signatures: all });
  if (complete) {
    const perInput = built.inputs.map((_, input) => new Map(all.map((s, k) => [signerIndexes[k], s.signatures![input]] as const)));
    updated.signedTx = kind.assembleRelease(built, federation, perInput);
    updated.status = ReleaseStatus.RELEASE_STATUS_SIGNED;
  }
  keeper.setRelease(ctx, updated);
  ctx.events.emit("release_signature", [["mainchain", chain.id], ["release_id", String(release.id)], ["member", signerAccount], ["weight", `${weight}/${federation.threshold}`]]);
  if (complete) ctx.events.emit("release_signed", [["mainchain", chain.id], ["release_id", String(release.id)], ["txid", release.txid]]);
  return complete;
}

/** A release seen confirmed: its withdrawals are complete, its inputs leave the reserve and its change joins it. */
export async function applyConfirmedRelease(ctx: Context, keeper: PegKeeper, chain: MainChain, release: Release): Promise<void> {
  const spent = new Set(release.inputs.map((i) => `${i.txid}:${i.vout}`));
  for (const input of release.inputs) {
    const utxo = await keeper.getReserveUtxo(ctx, chain.id, input.txid!, input.vout!);
    if (utxo) await keeper.removeReserveUtxo(ctx, chain.id, utxo);
  }
  if (release.changeVout >= 0) {
    const out = release.outputs[release.changeVout];
    await keeper.addReserveUtxo(
      ctx,
      chain.id,
      v1.ReserveUtxo.create({ txid: release.txid, vout: release.changeVout, value: out.value!, script: out.script!, witnessScript: release.changeWitnessScript, federationId: release.federationId, releaseId: 0 }),
    );
  }
  for (const id of release.withdrawalIds) {
    const w = (await keeper.getWithdrawal(ctx, chain.id, Number(id)))!;
    const paid = release.outputs.find((o) => Number(o.withdrawalId) === Number(id))!.value!;
    keeper.setWithdrawal(ctx, v1.Withdrawal.create({ ...w, status: WithdrawalStatus.WITHDRAWAL_STATUS_COMPLETED, releaseId: release.id, paid }), owner(w.owner));
  }
  keeper.setInFlight(ctx, chain.id, (await keeper.inFlight(ctx, chain.id)) - BigInt(release.amount));
  keeper.setRelease(ctx, v1.Release.create({ ...release, status: ReleaseStatus.RELEASE_STATUS_CONFIRMED, confirmedAt: Number(ctx.header.height) }));
  // Every other version of this release spends the same inputs: it can never confirm now.
  for (const other of await keeper.allReleases(ctx, chain.id)) {
    if (Number(other.id) === Number(release.id) || other.status === ReleaseStatus.RELEASE_STATUS_REPLACED) continue;
    if (other.inputs.some((i) => spent.has(`${i.txid}:${i.vout}`))) keeper.setRelease(ctx, v1.Release.create({ ...other, status: ReleaseStatus.RELEASE_STATUS_REPLACED }));
  }
  ctx.events.emit("release_confirmed", [["mainchain", chain.id], ["release_id", String(release.id)], ["txid", release.txid], ["amount", release.amount]]);
}
