/**
 * Peg-out: the deterministic unsigned Bitcoin release transaction, paying withdrawals (`buildRelease`)
 * or moving a federation's outputs (`buildSweep`). Coin selection, fee and change: utxo.ts; signing:
 * sign.ts. Part of the release protocol: changing a rule changes the transaction every node builds.
 *
 * Transaction shape: version 2; locktime `locktime ?? 0`; every input has an empty scriptSig and
 *   sequence 0xfffffffd (opt-in RBF, BIP125; also enables the locktime); outputs are the payments in
 *   the order given (the caller sorts them by withdrawal id), then the change output, if any.
 *
 * Which payments: greedily, in the order given, a payment joins the release if the release paying it
 *   and the ones already in can be built under every rule (enough inputs, at most MAX_RELEASE_INPUTS
 *   of them, standard weight, no payment output below dust); otherwise it is left for a later release
 *   and the next payment is tried. So one unpayable request never blocks the others, and the same
 *   state always gives the same release. Given exactly a release's inputs and the payments it pays,
 *   this rebuilds the same release (a signer's and a fee bump's rebuild). Not even one payable: error.
 *
 * Sweeps (`buildSweep`: no payments; moving a retired federation's outputs to the current
 *   federation after a rotation): the UTXOs sorted as in coin selection, the first `maxInputs`
 *   (at most MAX_SWEEP_INPUTS = 100) taken in that order; while the estimated weight is over the
 *   standard limit the last one is left out. Same transaction shape, one output paying the P2WSH of
 *   `changeWitnessScript` Σ inputs − fee, with fee = min(feeRate × vsize, maxFee) estimated as for a
 *   release (`signersPerInput` being that of the inputs' federation). That output below DUST_LIMIT:
 *   error. No payments, no fee shares; the output is the change (vout 0); actual fee = fee exactly.
 */
import { fromDisplayHex, toDisplayHex } from "../../../light-client/bitcoin/bytes";
import { sha256d } from "../../../light-client/bitcoin/hash";
import { encodeTx, MAX_MONEY, type Transaction } from "../../../light-client/bitcoin/tx";
import type { BuiltOutput, ReleasePayment } from "../kinds";
import type { BitcoinBuiltRelease, ReleaseUtxo } from "./types";
import { fail } from "./errors";
import { DUST_LIMIT, MAX_STANDARD_TX_WEIGHT } from "./policy";
import { p2wsh, parseDepositWitnessScript } from "./script";
import { checkUtxos, compareUtxos, estimateSize, inputWitnessSizes, isUint32, type Plan, planRelease } from "./utxo";

export const RELEASE_VERSION = 2;
/** Opt-in replace-by-fee (BIP125): below 0xfffffffe. */
export const RELEASE_SEQUENCE = 0xfffffffd;
/** Inputs of one sweep at most. */
export const MAX_SWEEP_INPUTS = 100;

/** What `buildRelease` takes: the kind's `ReleaseParams` with the federations as scripts and signature counts. */
export interface BitcoinReleaseParams {
  readonly utxos: readonly ReleaseUtxo[];
  /** In output order (the caller sorts them by id). */
  readonly payments: readonly ReleasePayment[];
  /** Sats per vbyte. */
  readonly feeRate: bigint;
  readonly maxFee: bigint;
  readonly changeWitnessScript: Uint8Array;
  /** How many signatures a spending witness carries, for the size estimate. */
  readonly signersPerInput: number;
  readonly locktime?: number;
}

/** What `buildSweep` takes. */
export interface BitcoinSweepParams {
  /** Outputs of one (retired) federation. */
  readonly utxos: readonly ReleaseUtxo[];
  /** Sats per vbyte. */
  readonly feeRate: bigint;
  readonly maxFee: bigint;
  /** The witness script the single output pays (the receiving federation's reserve script). */
  readonly changeWitnessScript: Uint8Array;
  /** How many signatures a spending witness carries (from the inputs' federation), for the size estimate. */
  readonly signersPerInput: number;
  readonly locktime?: number;
  /** Inputs at most: 1 to MAX_SWEEP_INPUTS (the default). */
  readonly maxInputs?: number;
}

/**
 * A release as the bitcoin kind builds it: a `BitcoinBuiltRelease` (txid in display hex; `fee` is feeRate ×
 * the estimated vsize, capped at maxFee, and the miner also gets any sub-dust change) with its size estimate.
 */
export interface BitcoinRelease extends BitcoinBuiltRelease {
  /** Estimated virtual size of the fully signed transaction. */
  readonly vsize: number;
}

/** The checks shared by releases and sweeps; returns the locktime. */
function checkBuildParams(params: { feeRate: bigint; maxFee: bigint; changeWitnessScript: Uint8Array; signersPerInput: number; locktime?: number }): number {
  const { feeRate, maxFee, changeWitnessScript, signersPerInput } = params;
  const locktime = params.locktime ?? 0;
  if (!isUint32(locktime)) fail(`locktime must be an integer from 0 to 2^32-1, got ${locktime}`);
  if (typeof feeRate !== "bigint" || feeRate < 0n) fail(`feeRate must be a non-negative bigint, got ${String(feeRate)}`);
  if (typeof maxFee !== "bigint" || maxFee < 0n) fail(`maxFee must be a non-negative bigint, got ${String(maxFee)}`);
  if (!Number.isInteger(signersPerInput) || signersPerInput < 1) fail(`signersPerInput must be a positive integer, got ${signersPerInput}`);
  parseDepositWitnessScript(changeWitnessScript);
  return locktime;
}

/** The unsigned transaction (see "Transaction shape") and its txid. */
function unsignedTx(inputs: readonly ReleaseUtxo[], outputs: readonly BuiltOutput[], locktime: number, strippedSize: number): { raw: Uint8Array; txid: string } {
  const tx: Transaction = {
    version: RELEASE_VERSION,
    inputs: inputs.map((u) => ({ prevTxid: fromDisplayHex(u.txid), prevIndex: u.vout, scriptSig: new Uint8Array(0), sequence: RELEASE_SEQUENCE, witness: [] })),
    outputs: outputs.map((o) => ({ value: o.value, scriptPubKey: o.script })),
    locktime,
  };
  const raw = encodeTx(tx, false);
  if (raw.length !== strippedSize) throw new Error(`internal: size estimate ${strippedSize} != ${raw.length}`);
  return { raw, txid: toDisplayHex(sha256d(raw)) };
}

/**
 * The unsigned release paying as many of `payments` as fit, in their order, from `utxos` (see the
 * rules at the top and in utxo.ts). Deterministic. Throws only when not even one payment can be paid.
 */
export function buildRelease(params: BitcoinReleaseParams): BitcoinRelease {
  const { utxos, payments, feeRate, maxFee, changeWitnessScript, signersPerInput } = params;
  const locktime = checkBuildParams(params);

  if (payments.length === 0) fail("no payments");
  payments.forEach((pm, i) => {
    if (!Number.isSafeInteger(pm.id) || pm.id < 0) fail(`payment ${i}: id must be a non-negative integer, got ${pm.id}`);
    if (!(pm.script instanceof Uint8Array) || pm.script.length === 0 || pm.script.length > 10_000)
      fail(`payment ${i} (withdrawal ${pm.id}): output script must be 1 to 10000 bytes`);
    if (typeof pm.amount !== "bigint" || pm.amount <= 0n || pm.amount > MAX_MONEY)
      fail(`payment ${i} (withdrawal ${pm.id}): amount must be a bigint from 1 to ${MAX_MONEY}, got ${String(pm.amount)}`);
  });
  checkUtxos(utxos);

  const sorted = [...utxos].sort(compareUtxos);
  const witnessBytes = inputWitnessSizes(sorted, signersPerInput);
  const changeScript = p2wsh(changeWitnessScript);

  // Greedy, in order: a payment joins if the release with it can still be built; otherwise it waits
  // for a later release, and the ones after it still get their chance.
  const paid: ReleasePayment[] = [];
  let plan: Plan | undefined;
  let firstRefusal: string | undefined;
  let total = 0n;
  for (const pm of payments) {
    if (total + pm.amount > MAX_MONEY) continue;
    const next = planRelease(sorted, witnessBytes, [...paid, pm], changeScript, feeRate, maxFee);
    if (typeof next === "string") {
      firstRefusal ??= next;
      continue;
    }
    paid.push(pm);
    total += pm.amount;
    plan = next;
  }
  if (plan === undefined) fail(firstRefusal ?? "no payment fits");

  const selected = sorted.slice(0, plan.inputs);
  const { raw, txid } = unsignedTx(selected, plan.outputs, locktime, plan.strippedSize);
  return {
    tx: raw,
    txid,
    inputs: selected,
    outputs: plan.outputs,
    fee: plan.fee,
    feeShares: plan.feeShares,
    ...(plan.hasChange ? { change: { vout: paid.length, value: plan.changeValue } } : {}),
    vsize: plan.vsize,
  };
}

/** The unsigned sweep moving `utxos` to the P2WSH of `changeWitnessScript` (see "Sweeps" at the top). Deterministic. */
export function buildSweep(params: BitcoinSweepParams): BitcoinRelease {
  const { utxos, feeRate, maxFee, changeWitnessScript, signersPerInput } = params;
  const locktime = checkBuildParams(params);
  const maxInputs = params.maxInputs ?? MAX_SWEEP_INPUTS;
  if (!Number.isInteger(maxInputs) || maxInputs < 1 || maxInputs > MAX_SWEEP_INPUTS) fail(`maxInputs must be an integer from 1 to ${MAX_SWEEP_INPUTS}, got ${maxInputs}`);
  checkUtxos(utxos);
  if (utxos.length === 0) fail("nothing to sweep: no UTXOs");

  const selected = [...utxos].sort(compareUtxos).slice(0, maxInputs);
  const changeScript = p2wsh(changeWitnessScript);
  let size = estimateSize(selected, [changeScript], signersPerInput);
  while (size.weight > MAX_STANDARD_TX_WEIGHT && selected.length > 1) {
    selected.pop();
    size = estimateSize(selected, [changeScript], signersPerInput);
  }
  if (size.weight > MAX_STANDARD_TX_WEIGHT) fail(`a sweep of one UTXO would weigh about ${size.weight} weight units, over the standard limit ${MAX_STANDARD_TX_WEIGHT}`);
  const vsize = Math.ceil(size.weight / 4);
  const totalIn = selected.reduce((sum, u) => sum + u.value, 0n);

  const byRate = feeRate * BigInt(vsize);
  const fee = byRate < maxFee ? byRate : maxFee;
  const value = totalIn - fee;
  if (value < DUST_LIMIT) fail(`the sweep's ${selected.length} inputs hold ${totalIn} sats; less the fee ${fee} that leaves ${value}, below the dust limit ${DUST_LIMIT}`);
  const outputs: BuiltOutput[] = [{ script: changeScript, value }];

  const { raw, txid } = unsignedTx(selected, outputs, locktime, size.strippedSize);
  return { tx: raw, txid, inputs: selected, outputs, fee, feeShares: [], change: { vout: 0, value }, vsize };
}
