/**
 * Peg-out, the chain's side: building releases from pending withdrawals (every `batch_interval`
 * blocks), sweeping retired federations' outputs to the current federation, consolidating the
 * current federation's small outputs and rebuilding stale releases with a higher fee (what happens to
 * a release once built is release-outcomes.ts). Everything here is
 * deterministic: withdrawals and reserve outputs are read in key order and the kind's builder is a
 * pure function of them.
 *
 * Progress. A release pays what fits of the oldest pending withdrawals; what does not fit in one
 * main-chain transaction waits for a later release while the others are paid, so one unpayable
 * request (or an attacker's many) never blocks the queue. Each block reads a bounded amount: at most
 * MAX_RELEASE_PAYMENTS withdrawals, the kind's maxReleaseInputs reserve outputs through the
 * free-output index, and at most MAX_LIVE_RELEASES live releases.
 *
 * The surplus rule. A release's cost is what it takes from the reserve beyond the tokens it burned
 * (`releaseCost`: a sweep's fee, change below dust). A release is built only if its cost fits in
 * reserve − supply − in flight − the costs of the live releases, the surplus that peg-in fees build
 * up; otherwise it waits (event `release_failed`). So no release ever pays more than it burned plus
 * the surplus, and supply + in flight ≤ reserve holds after every confirmation.
 *
 * Sweeps. After a rotation the reserve outputs of the retired federation (and the change of its
 * releases still in flight, and deposits to its addresses claimed in the grace window) must move to
 * the current federation. At each batch height, before the withdrawals' release, every retired
 * federation with free outputs and no live sweep gets one: a release with no withdrawals spending
 * its free outputs (the kind caps the count, e.g. 100 for bitcoin) into one output to the current
 * federation's reserve address, signed by the retired federation's members. A consolidation is the
 * same from the current federation to itself, built when it holds many free outputs. A sweep burns
 * nothing (amount 0, nothing in flight); its fee is its cost. Releases that pay withdrawals spend
 * the current federation's outputs, or, when those cannot pay them (before a sweep has moved the
 * reserve), a retired federation's, with their change to the current federation.
 *
 * Sequential kinds (an account chain, kinds.ts ReleaseFlow.sequential): one release per signing
 * federation is live at a time, built with the kind's release context (stored in Release.context),
 * never replaced on a timer; a proof fails it instead (release-outcomes.ts) and its withdrawals wait
 * for the next one. Such kinds hold one balance per account and need no consolidation.
 */
import type { Context } from "../../chain/app/context";
import { pegzone } from "../../proto";
import { pegErrors } from "./errors";
import { peggedDenom, type MainChain, type PegKeeper, type Release, type ReserveEntry } from "./keeper";
import { parseAddress } from "../../chain/crypto/address";
import type { BuiltRelease, Federation, ReleasePayment, ReserveEntryView } from "./kinds";

const v1 = pegzone.peg.v1;
const { ReleaseStatus, WithdrawalStatus } = v1;
/** Withdrawals paid by one release at most, which bounds its size. */
export const MAX_RELEASE_PAYMENTS = 100;

/** A stored reserve entry as its kind sees it. */
export function entryView(e: pegzone.peg.v1.IReserveEntry): ReserveEntryView {
  return { id: e.id ?? new Uint8Array(), displayId: e.displayId ?? "", value: BigInt(e.value ?? "0"), data: e.data?.value ?? new Uint8Array() };
}

/** A kind's entry as stored, typed by the kind's reserveDataType. */
export function storedEntry(e: ReserveEntryView, dataType: string, federationId: number, releaseId: number): ReserveEntry {
  return v1.ReserveEntry.create({ id: e.id, displayId: e.displayId, value: e.value.toString(), federationId, releaseId, data: { type_url: dataType, value: e.data } });
}

/** A release that pays no withdrawals: it moves a retired federation's outputs to a newer federation, or consolidates the current one's. */
export function isSweep(release: Release): boolean {
  return release.withdrawalIds.length === 0;
}

/** The federation a release's change output (a sweep's output) belongs to. */
export function changeFederationId(release: Release): number {
  return Number(release.changeFederationId) || Number(release.federationId);
}

/** The kind's view of a stored release. */
export function builtFromRelease(r: Release): BuiltRelease {
  return {
    payload: r.payload,
    txid: r.txid,
    inputs: r.inputs.map(entryView),
    outputs: r.outputs.map((o) => ({ paymentId: Number(o.withdrawalId) || undefined, script: o.script!, value: BigInt(o.value!) })),
    fee: BigInt(r.fee),
    change: r.change ? entryView(r.change) : undefined,
  };
}

/** The federation that must sign a release: the one it was built under, current or retired. */
export async function releaseFederation(ctx: Context, keeper: PegKeeper, chain: MainChain, release: Release): Promise<Federation> {
  const federation = await keeper.federationById(ctx, chain, Number(release.federationId));
  if (federation === undefined) throw pegErrors.ErrInvalidRelease.wrap(`release ${release.id} was built under federation ${release.federationId}, which is not known`);
  return federation;
}

/** The federation a release's change (a sweep's output) goes to. */
async function changeFederation(ctx: Context, keeper: PegKeeper, chain: MainChain, release: Release): Promise<Federation> {
  const federation = await keeper.federationById(ctx, chain, changeFederationId(release));
  if (federation === undefined) throw pegErrors.ErrInvalidRelease.wrap(`the change of release ${release.id} goes to federation ${changeFederationId(release)}, which is not known`);
  return federation;
}

/** Releases live at once at most (signing or signed, not yet confirmed): bounds every block's peg-out work. */
export const MAX_LIVE_RELEASES = 16;

/**
 * What a release takes from the reserve beyond the tokens it burned: inputs − change − amount. For a
 * withdrawal release that is the change below dust left to the miner (usually 0: the payments pay
 * the fee); for a sweep or a consolidation, its fee.
 */
export function releaseCost(release: Pick<Release, "inputs" | "change" | "amount">): bigint {
  const inputs = release.inputs.reduce((sum, i) => sum + BigInt(i.value!), 0n);
  const change = release.change ? BigInt(release.change.value!) : 0n;
  return inputs - change - BigInt(release.amount);
}

function builtCost(built: BuiltRelease, amount: bigint): bigint {
  return built.inputs.reduce((sum, i) => sum + i.value, 0n) - (built.change?.value ?? 0n) - amount;
}

/**
 * What a new release may take from the reserve beyond what it burns: reserve − supply − in flight −
 * the cost of every live release but `excluding` (the one being replaced). Building only releases
 * whose cost fits keeps supply + in flight ≤ reserve true after every confirmation: no release ever
 * pays more than the tokens it burned plus the surplus the peg-in fees built up.
 */
export async function surplus(ctx: Context, keeper: PegKeeper, chain: MainChain, live: readonly Release[], excluding: number): Promise<bigint> {
  const reserve = await keeper.reserveTotal(ctx, chain.id);
  const supply = await keeper.bank.supplyOf(ctx, peggedDenom(chain.id));
  const inFlight = await keeper.inFlight(ctx, chain.id);
  let pending = 0n;
  for (const r of live) if (Number(r.id) !== excluding) pending += releaseCost(r);
  return reserve - supply - inFlight - pending;
}

/**
 * What the peg checks of any kind's release before recording it: the inputs cover outputs + fee,
 * the change (if any) is an output of its value, and every payment output names a withdrawal
 * that was offered. A kind that got this wrong would move value the reserve does not account for.
 */
export function checkBuilt(built: BuiltRelease, payments: readonly ReleasePayment[]): BuiltRelease {
  const inputs = built.inputs.reduce((sum, i) => sum + i.value, 0n);
  const outputs = built.outputs.reduce((sum, o) => sum + o.value, 0n);
  // More than outputs + fee is change too small to keep, left to the miner (bitcoin's dust): the surplus rule prices it.
  if (built.fee < 0n || inputs < outputs + built.fee) throw new Error(`internal: the kind built a release whose inputs ${inputs} do not cover its outputs ${outputs} + fee ${built.fee}`);
  const changeOutputs = built.outputs.filter((o) => o.paymentId === undefined);
  if (changeOutputs.length > 1 || (built.change?.value ?? 0n) !== (changeOutputs[0]?.value ?? 0n))
    throw new Error("internal: the kind built a release whose change entry is not its one change output");
  const offered = new Set(payments.map((p) => p.id));
  if (built.outputs.some((o) => o.paymentId !== undefined && !offered.has(o.paymentId))) throw new Error("internal: the kind built a release paying a withdrawal it was not given");
  return built;
}

function releaseFailed(ctx: Context, chain: MainChain, reason: string): void {
  ctx.events.emit("release_failed", [["mainchain", chain.id], ["reason", reason]]);
  ctx.logger.warn({ mainchain: chain.id, reason }, "could not build a release");
}

/** Stores a freshly built release and points its withdrawals and inputs at it. */
async function recordRelease(
  ctx: Context,
  keeper: PegKeeper,
  chain: MainChain,
  built: BuiltRelease,
  payments: readonly ReleasePayment[],
  feeRate: bigint,
  replaces: number,
  federation: Federation,
  changeTo: Federation,
  context: Uint8Array,
): Promise<Release> {
  const id = await keeper.nextReleaseId(ctx, chain.id);
  const dataType = keeper.deposits(chain).reserveDataType;
  const release = v1.Release.create({
    id,
    mainchain: chain.id,
    federationId: federation.id,
    changeFederationId: changeTo.id,
    status: ReleaseStatus.RELEASE_STATUS_SIGNING,
    payload: built.payload,
    txid: built.txid,
    inputs: built.inputs.map((i) => storedEntry(i, dataType, Number(federation.id), 0)),
    outputs: built.outputs.map((o) => ({ withdrawalId: o.paymentId ?? 0, script: o.script, value: o.value.toString() })),
    withdrawalIds: payments.map((p) => p.id),
    fee: built.fee.toString(),
    feeRate: feeRate.toString(),
    change: built.change ? storedEntry(built.change, dataType, Number(changeTo.id), 0) : undefined,
    builtAt: Number(ctx.header.height),
    replaces,
    amount: payments.reduce((sum, p) => sum + p.amount, 0n).toString(),
    context,
  });
  keeper.setRelease(ctx, release);
  for (const input of built.inputs) {
    const entry = (await keeper.getReserveEntry(ctx, chain.id, input.id))!;
    await keeper.updateReserveEntry(ctx, chain.id, v1.ReserveEntry.create({ ...entry, releaseId: id }));
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
    ["federation_id", String(federation.id)],
    ["change_federation_id", String(changeTo.id)],
    ["sweep", String(payments.length === 0)],
  ]);
  return release;
}

export function owner(bech32: string): Uint8Array {
  return parseAddress(bech32, "withdrawal owner");
}

function isBatchHeight(ctx: Context, chain: MainChain): boolean {
  return chain.batchInterval > 0 && Number(ctx.header.height) % chain.batchInterval === 0;
}

/**
 * Every batch interval: one release paying what fits of the oldest pending withdrawals (the kind
 * leaves out, for a later release, what cannot be paid in one transaction, and goes on with the
 * rest). Reads at most MAX_RELEASE_PAYMENTS withdrawals and the kind's maxReleaseInputs largest free
 * outputs. Never throws for a bad batch; it says why in an event.
 */
export async function buildPendingRelease(ctx: Context, keeper: PegKeeper, chain: MainChain): Promise<void> {
  if (!isBatchHeight(ctx, chain)) return;
  const pending = await keeper.pendingWithdrawals(ctx, chain.id, MAX_RELEASE_PAYMENTS);
  if (pending.length === 0) return;
  const live = await keeper.liveReleases(ctx, chain.id);
  if (live.length >= MAX_LIVE_RELEASES) return releaseFailed(ctx, chain, `${live.length} releases await signatures or confirmation; the next waits until one settles`);
  const candidates: ReleasePayment[] = pending.map((w) => ({ id: Number(w.id), script: w.script, amount: BigInt(w.amount) }));
  const current = chain.federation!;
  const kind = keeper.releases(chain);
  const feeRate = kind.feeRate(chain);
  // The current federation's outputs pay first. When they cannot (after a rotation, before the sweep
  // has moved the reserve, which waits for surplus to pay its fee), a retired federation's outputs
  // pay, newest first, their change going to the current federation: the withdrawals pay that fee.
  const retired = (await keeper.retiredFederations(ctx, chain.id)).map((r) => r.federation!).reverse();
  let chosen: { built: BuiltRelease; context: Uint8Array; federation: Federation } | undefined;
  let refusal: string | undefined;
  for (const federation of [current, ...retired]) {
    // a sequential kind's next release of a federation waits for its live one's sequence to settle
    if (kind.sequential && live.some((r) => Number(r.federationId) === Number(federation.id))) continue;
    const free = await keeper.freeReserveEntries(ctx, chain.id, Number(federation.id), kind.maxReleaseInputs);
    if (federation !== current && free.length === 0) continue;
    try {
      const context = await releaseContext(ctx, keeper, chain, federation);
      const built = checkBuilt(kind.buildRelease({ chain, context, entries: free.map(entryView), payments: candidates, feeRate, maxFee: BigInt(chain.maxFee), federation, changeFederation: current }), candidates);
      chosen = { built, context, federation };
      break;
    } catch (err) {
      refusal ??= err instanceof Error ? err.message : String(err);
    }
  }
  if (chosen === undefined) return refusal === undefined ? undefined : releaseFailed(ctx, chain, refusal);
  const { built, context, federation } = chosen;
  const paidIds = new Set(built.outputs.map((o) => o.paymentId).filter((id) => id !== undefined));
  const payments = candidates.filter((p) => paidIds.has(p.id));
  const amount = payments.reduce((sum, p) => sum + p.amount, 0n);
  const cost = builtCost(built, amount);
  const available = await surplus(ctx, keeper, chain, live, 0);
  if (cost > available)
    return releaseFailed(ctx, chain, `the release would take ${cost} from the reserve beyond the ${amount} it burns (change below dust), more than the surplus ${available}; waiting`);
  await keeper.bank.burn(ctx, keeper.redemptionAccount, [{ denom: peggedDenom(chain.id), amount }]);
  keeper.setInFlight(ctx, chain.id, (await keeper.inFlight(ctx, chain.id)) + amount);
  await recordRelease(ctx, keeper, chain, built, payments, feeRate, 0, federation, current, context);
}

/** The kind's context for the next release `federation` signs (sequential kinds); empty otherwise. Throws saying what is missing. */
async function releaseContext(ctx: Context, keeper: PegKeeper, chain: MainChain, federation: Federation): Promise<Uint8Array> {
  const kind = keeper.releases(chain);
  return kind.releaseContext ? kind.releaseContext(keeper.kindStores(ctx, chain.id), chain, federation) : new Uint8Array();
}

/** A sweep or consolidation built from `entries` of `federation` into one output of `changeTo`, if the surplus pays its fee. Never throws. */
async function buildSweep(ctx: Context, keeper: PegKeeper, chain: MainChain, live: Release[], entries: readonly ReserveEntry[], federation: Federation, changeTo: Federation, what: string): Promise<void> {
  const feeRate = keeper.releases(chain).feeRate(chain);
  let built: BuiltRelease;
  let context: Uint8Array;
  try {
    context = await releaseContext(ctx, keeper, chain, federation);
    built = checkBuilt(keeper.releases(chain).buildRelease({ chain, context, entries: entries.map(entryView), payments: [], feeRate, maxFee: BigInt(chain.maxFee), federation, changeFederation: changeTo }), []);
  } catch (err) {
    return releaseFailed(ctx, chain, `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const available = await surplus(ctx, keeper, chain, live, 0);
  if (builtCost(built, 0n) > available)
    return releaseFailed(ctx, chain, `${what}: its fee ${built.fee} is more than the reserve's surplus ${available} (reserve − supply − in flight − live releases' costs); waiting for peg-in fees to cover it`);
  live.push(await recordRelease(ctx, keeper, chain, built, [], feeRate, 0, federation, changeTo, context));
}

/**
 * Every batch interval, before the withdrawals' release: one sweep per retired federation that has
 * free outputs and no live sweep, then, when the current federation holds more than half the kind's
 * maxReleaseInputs free outputs and has no live consolidation, one consolidation of its smallest
 * outputs into one (so that many small deposits never leave a withdrawal needing more inputs than a
 * release may have). Never throws.
 */
export async function buildSweeps(ctx: Context, keeper: PegKeeper, chain: MainChain): Promise<void> {
  if (!isBatchHeight(ctx, chain)) return;
  const live = await keeper.liveReleases(ctx, chain.id);
  const current = chain.federation!;
  const kind = keeper.releases(chain);
  const limit = kind.maxReleaseInputs;
  for (const { federation } of await keeper.retiredFederations(ctx, chain.id)) {
    const id = Number(federation!.id);
    if (live.some((r) => (kind.sequential || isSweep(r)) && Number(r.federationId) === id)) continue;
    const free = await keeper.freeReserveEntries(ctx, chain.id, id, limit);
    if (free.length === 0) continue;
    if (live.length >= MAX_LIVE_RELEASES) return releaseFailed(ctx, chain, `sweep of retired federation ${id}: ${live.length} releases are live; waiting`);
    await buildSweep(ctx, keeper, chain, live, free, federation!, current, `sweep of retired federation ${id}`);
  }
  if (!kind.consolidates || live.some((r) => isSweep(r) && Number(r.federationId) === Number(current.id))) return;
  const smallest = await keeper.freeReserveEntries(ctx, chain.id, Number(current.id), limit, true);
  if (smallest.length <= limit / 2 || live.length >= MAX_LIVE_RELEASES) return;
  await buildSweep(ctx, keeper, chain, live, smallest, current, current, `consolidation of federation ${current.id}'s ${smallest.length} smallest outputs`);
}

/**
 * Releases unconfirmed after `release_timeout` blocks are rebuilt from the same inputs and the same
 * withdrawals at twice the fee rate (BIP125 replacement), if the surplus still covers the new one's
 * cost and it still pays every one of those withdrawals.
 */
export async function replaceStaleReleases(ctx: Context, keeper: PegKeeper, chain: MainChain): Promise<void> {
  // A sequential kind's release is never replaced on a timer: a proof of the main chain fails it.
  if (chain.releaseTimeout === 0 || keeper.releases(chain).sequential) return;
  const height = Number(ctx.header.height);
  const live = await keeper.liveReleases(ctx, chain.id);
  for (const old of [...live]) {
    if (height < Number(old.builtAt) + chain.releaseTimeout) continue;
    const maxFee = BigInt(chain.maxFee);
    if (BigInt(old.fee) >= maxFee) continue; // nothing left to bump: wait
    const payments: ReleasePayment[] = [];
    for (const id of old.withdrawalIds) {
      const w = (await keeper.getWithdrawal(ctx, chain.id, Number(id)))!;
      payments.push({ id: Number(w.id), script: w.script, amount: BigInt(w.amount) });
    }
    const feeRate = BigInt(old.feeRate) * 2n;
    let built: BuiltRelease;
    let federation: Federation;
    let changeTo: Federation;
    try {
      federation = await releaseFederation(ctx, keeper, chain, old);
      changeTo = await changeFederation(ctx, keeper, chain, old);
      built = checkBuilt(keeper.releases(chain).buildRelease({ chain, context: old.context, entries: builtFromRelease(old).inputs, payments, feeRate, maxFee, federation, changeFederation: changeTo }), payments);
    } catch (err) {
      releaseFailed(ctx, chain, `replacing release ${old.id}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (built.fee <= BigInt(old.fee)) continue;
    if (built.outputs.filter((o) => o.paymentId !== undefined).length !== payments.length) {
      releaseFailed(ctx, chain, `replacing release ${old.id}: at the higher fee it would no longer pay all its withdrawals; it keeps its fee`);
      continue;
    }
    const cost = builtCost(built, BigInt(old.amount));
    const available = await surplus(ctx, keeper, chain, live, Number(old.id));
    if (cost > available) {
      releaseFailed(
        ctx,
        chain,
        isSweep(old)
          ? `replacing sweep ${old.id}: the higher fee ${built.fee} is more than the reserve's surplus ${available}; the sweep keeps its fee`
          : `replacing release ${old.id}: the new version would take ${cost} from the reserve beyond what it burned, more than the surplus ${available}; it keeps its fee`,
      );
      continue;
    }
    keeper.setRelease(ctx, v1.Release.create({ ...old, status: ReleaseStatus.RELEASE_STATUS_REPLACED }));
    const replacement = await recordRelease(ctx, keeper, chain, built, payments, feeRate, Number(old.id), federation, changeTo, old.context);
    live.splice(live.indexOf(old), 1, replacement);
  }
}
