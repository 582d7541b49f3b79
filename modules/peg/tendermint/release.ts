/**
 * Peg-out on a Cosmos Hub: the deterministic unsigned release, a tx of the federation's multisig
 * account (multisig.ts) paying withdrawals with one bank message, in the peg's generic shape
 * (kinds.ts `BuiltRelease`). Pure: no clock, no randomness, BigInt amounts, arrays in given order.
 * The sign doc and tx body: sign-doc.ts; signatures and the signed tx: multisig-tx.ts. Part of the
 * release protocol: changing a rule changes the release every node builds.
 *
 * The reserve on the Hub is one account balance, so a release spends every reserve entry it is
 *   given (at most MAX_HUB_RELEASE_INPUTS; they must all be entries of the `from` account): the
 *   Hub's gas does not depend on them, and the release consolidates them into its one change entry.
 *   `inputs` lists them by value descending, then id (hex) ascending.
 *
 * Which payments: greedily, in the order given, at most `maxPayments`: a payment joins when the
 *   entries still cover every payment in and each payment's output stays ≥ 1 after its fee share;
 *   otherwise it waits for a later release and the next is tried. So one unpayable request never
 *   blocks the others, and given exactly a release's inputs and the payments it pays, this rebuilds
 *   the same release. A payment to a malformed or foreign address (not lowercase bech32 of the Hub's
 *   prefix, 20 or 32 bytes), or to the federation's own account, is refused outright (the peg checks
 *   withdrawal addresses before they queue). None payable: error.
 *
 * Fee model: the payments pay the fee, as on bitcoin (utxo.ts). The fee is `fee.amount` of `denom`
 *   (the caller sizes it: gas limit × the Hub's gas price; `hubReleaseGasLimit` gives a limit);
 *   payment i pays fee / n, and the first fee mod n payments one more. So the reserve loses exactly
 *   the tokens the withdrawals burned (releaseCost 0), never the surplus; a withdrawal too small for
 *   its share waits. Output i = amount_i − share_i.
 *
 * Message: the paid outputs in payment order, then, when the change goes to another federation's
 *   account (`changeTo`, after a rotation) and is not 0, the change as a last output: one output is a
 *   MsgSend, several a MsgMultiSend (sign-doc.ts). Change kept in `from` needs no output on the Hub.
 *
 * Sweeps (no payments): the entries' sum less the fee, as a MsgSend from `from` to `changeTo` (which
 *   must differ: on the Hub a consolidation needs no tx). The sweep's fee is its cost to the reserve.
 *
 * Ids. The release's id (`txid`) is sha256 of its sign bytes, uppercase hex: the Hub's tx hash
 *   depends on which members' signatures the assembled tx carries, so it is unknown until assembly
 *   and not unique to the release; the sign doc is (it carries chain id, account number and
 *   sequence). A confirmation recomputes it from the included tx (multisig-tx.ts `hubReleaseIdOfTx`
 *   with the account's number), whatever signatures it carries. The change entry's id is
 *   sha256(sign bytes) ‖ 0xffffffff (36 bytes, the shape of a deposit id "TXHASH:index", with an
 *   index no tx has), its display id "RELEASEID:4294967295", its data the ReserveAccount it is in.
 *
 * So: Σ inputs = Σ outputs (payments and the change output) + fee, the change being Σ inputs −
 *   Σ amounts paid (for a sweep: Σ inputs − fee).
 */
import { bytesEqual } from "../../../chain/store/bytes";
import type { BuiltOutput, BuiltRelease, ReserveEntryView } from "../kinds";
import { decodeReserveAccount, reserveAccountData } from "./deposit-proof";
import { fail, hubAccountBytes, hubReleaseDigest, hubReleaseId, hubSignBytes, type HubSignDocFields, type HubTransfer, MAX_AMOUNT } from "./sign-doc";

/** Reserve entries one release spends at most. */
export const MAX_HUB_RELEASE_INPUTS = 250;
/** Payments one release makes at most: bounds the tx's size and gas. */
export const MAX_HUB_RELEASE_PAYMENTS = 100;
/** The change entry's index in its id, after the 32 bytes of the sign doc's hash. */
export const CHANGE_INDEX = 0xffffffff;

/** A withdrawal a Hub release pays: `amount` less its share of the fee. */
export interface HubPayment {
  /** Withdrawal id. */
  readonly id: number;
  /** Lowercase bech32 of the Hub (the prefix of `from`). */
  readonly address: string;
  readonly amount: bigint;
}

export interface HubReleaseParams {
  readonly chainId: string;
  /** The federation account's number and its next sequence on the Hub. */
  readonly accountNumber: bigint;
  readonly sequence: bigint;
  /** The last Hub height that may include the release (≥ 1). */
  readonly timeoutHeight: bigint;
  /** The pegged denom; the fee is paid in it too. */
  readonly denom: string;
  /** The whole fee offered (the Hub deducts all of it) and the gas limit. */
  readonly fee: { readonly amount: bigint; readonly gasLimit: bigint };
  /** The federation's account (multisig.ts federationAccount().address): the coins leave it. */
  readonly from: string;
  /** In output order (the caller sorts them by withdrawal id); none: a sweep to `changeTo`. */
  readonly payments: readonly HubPayment[];
  /** The reserve entries of `from` the release spends, values in `denom`. */
  readonly entries: readonly ReserveEntryView[];
  /** At most this many payments (1 to MAX_HUB_RELEASE_PAYMENTS). */
  readonly maxPayments: number;
  /** The account the change goes to: `from` when absent (another federation's after a rotation). */
  readonly changeTo?: string;
  /** The tx's memo; "" when absent. Printable ASCII, at most 256 characters. */
  readonly memo?: string;
}

/** A Hub release in the generic shape, with what the Hub tx says. */
export interface HubRelease extends BuiltRelease {
  /** The sign bytes' fields: the tx body, fee and sequence the payload stands for. */
  readonly signDoc: HubSignDocFields;
  /** Per paid payment, in output order. */
  readonly feeShares: readonly bigint[];
}

/** The order `inputs` lists entries in: value descending, then id (hex) ascending. */
export function compareHubEntries(a: ReserveEntryView, b: ReserveEntryView): number {
  if (a.value !== b.value) return a.value > b.value ? -1 : 1;
  const x = Buffer.from(a.id).toString("hex");
  const y = Buffer.from(b.id).toString("hex");
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The change entry's id: sha256(sign bytes) ‖ u32be(0xffffffff). */
export function hubChangeEntryId(signBytes: Uint8Array): Uint8Array {
  const id = new Uint8Array(36);
  id.set(hubReleaseDigest(signBytes), 0);
  new DataView(id.buffer).setUint32(32, CHANGE_INDEX, false);
  return id;
}

function checkEntries(entries: readonly ReserveEntryView[], from: string): bigint {
  if (!Array.isArray(entries)) fail("entries must be an array");
  if (entries.length > MAX_HUB_RELEASE_INPUTS) fail(`${entries.length} reserve entries, more than the ${MAX_HUB_RELEASE_INPUTS} one release spends`);
  const seen = new Set<string>();
  let sum = 0n;
  entries.forEach((e, i) => {
    if (!(e.id instanceof Uint8Array) || e.id.length === 0) fail(`entry ${i}: id must be non-empty bytes`);
    const key = Buffer.from(e.id).toString("hex");
    if (seen.has(key)) fail(`entry ${e.displayId} is listed twice`);
    seen.add(key);
    if (typeof e.value !== "bigint" || e.value < 1n || e.value > MAX_AMOUNT) fail(`entry ${e.displayId}: value must be a bigint from 1 to ${MAX_AMOUNT}, got ${String(e.value)}`);
    let account: string;
    try {
      account = decodeReserveAccount(e.data);
    } catch (err) {
      fail(`entry ${e.displayId}: ${(err as Error).message}`);
    }
    if (account !== from) fail(`entry ${e.displayId} is held by ${JSON.stringify(account)}, not by the releasing account ${from}`);
    sum += e.value;
  });
  return sum;
}

/** The outputs of paying `paid` from `available` with `fee` shared among them, or why not. */
function plan(paid: readonly HubPayment[], available: bigint, fee: bigint): { shares: bigint[]; values: bigint[] } | string {
  const amount = paid.reduce((sum, p) => sum + p.amount, 0n);
  if (amount > available) return `insufficient reserve: the payments need ${amount}, the entries hold ${available}`;
  const n = BigInt(paid.length);
  const shares = paid.map((_, i) => fee / n + (BigInt(i) < fee % n ? 1n : 0n));
  const values: bigint[] = [];
  for (const [i, p] of paid.entries()) {
    const value = p.amount - shares[i];
    if (value < 1n) return `withdrawal ${p.id}: ${p.amount} minus its fee share ${shares[i]} leaves nothing to send`;
    values.push(value);
  }
  return { shares, values };
}

/**
 * The unsigned Hub release paying as many of `payments` as fit, in their order, from all of
 * `entries` (see the rules at the top), or, with no payments, the sweep of `entries` to
 * `changeTo`. Deterministic. Throws a HubReleaseError for bad parameters or when nothing can be paid.
 */
export function buildHubRelease(params: HubReleaseParams): HubRelease {
  const { from, payments, entries, maxPayments, fee } = params;
  const { prefix, bytes: fromBytes } = hubAccountBytes(from, undefined, "from");
  const changeTo = params.changeTo ?? from;
  const changeBytes = hubAccountBytes(changeTo, prefix, "changeTo").bytes;
  if (!Number.isInteger(maxPayments) || maxPayments < 1 || maxPayments > MAX_HUB_RELEASE_PAYMENTS)
    fail(`maxPayments must be an integer from 1 to ${MAX_HUB_RELEASE_PAYMENTS}, got ${maxPayments}`);
  if (typeof fee?.amount !== "bigint" || fee.amount < 0n) fail(`fee.amount must be a non-negative bigint, got ${String(fee?.amount)}`);
  if (!Array.isArray(payments)) fail("payments must be an array");
  const ids = new Set<number>();
  const scripts = payments.map((p, i) => {
    const what = `payment ${i} (withdrawal ${p.id})`;
    if (!Number.isSafeInteger(p.id) || p.id < 0) fail(`payment ${i}: id must be a non-negative integer, got ${p.id}`);
    if (ids.has(p.id)) fail(`${what} is listed twice`);
    ids.add(p.id);
    const bytes = hubAccountBytes(p.address, prefix, what).bytes;
    if (bytesEqual(bytes, fromBytes) || bytesEqual(bytes, changeBytes)) fail(`${what} pays ${p.address}, a federation's own account`);
    if (typeof p.amount !== "bigint" || p.amount < 1n || p.amount > MAX_AMOUNT) fail(`${what}: amount must be a bigint from 1 to ${MAX_AMOUNT}, got ${String(p.amount)}`);
    return bytes;
  });
  const available = checkEntries(entries, from);
  if (entries.length === 0) fail("no reserve entries to spend");
  const inputs = [...entries].sort(compareHubEntries);

  let outputs: BuiltOutput[];
  let transfers: HubTransfer[];
  let feeShares: bigint[] = [];
  let change: bigint;
  if (payments.length === 0) {
    if (changeTo === from) fail("nothing to release: no payments, and the change stays in the same account (a Hub account needs no consolidation)");
    change = available - fee.amount;
    if (change < 1n) fail(`the sweep's entries hold ${available}; less the fee ${fee.amount} that leaves nothing to send`);
    outputs = [];
    transfers = [];
  } else {
    // Greedy, in order: a payment joins if the release with it can still be built.
    const paid: number[] = [];
    let best: { shares: bigint[]; values: bigint[] } | undefined;
    let firstRefusal: string | undefined;
    for (let i = 0; i < payments.length && paid.length < maxPayments; i++) {
      const next = plan([...paid, i].map((j) => payments[j]), available, fee.amount);
      if (typeof next === "string") {
        firstRefusal ??= next;
        continue;
      }
      paid.push(i);
      best = next;
    }
    if (best === undefined) fail(firstRefusal ?? "no payment fits");
    const { shares, values } = best;
    feeShares = shares;
    outputs = paid.map((j, k) => ({ paymentId: payments[j].id, script: scripts[j], value: values[k] }));
    transfers = paid.map((j, k) => ({ address: payments[j].address, amount: values[k] }));
    change = available - paid.reduce((sum, j) => sum + payments[j].amount, 0n);
  }
  if (change > 0n) {
    outputs.push({ script: changeBytes, value: change });
    if (changeTo !== from) transfers.push({ address: changeTo, amount: change });
  }

  const signDoc: HubSignDocFields = {
    chainId: params.chainId,
    accountNumber: params.accountNumber,
    sequence: params.sequence,
    timeoutHeight: params.timeoutHeight,
    memo: params.memo ?? "",
    denom: params.denom,
    fee: { amount: fee.amount, gasLimit: fee.gasLimit },
    from,
    outputs: transfers,
  };
  const payload = hubSignBytes(signDoc);
  const txid = hubReleaseId(payload);
  return {
    payload,
    txid,
    inputs,
    outputs,
    fee: fee.amount,
    ...(change > 0n ? { change: { id: hubChangeEntryId(payload), displayId: `${txid}:${CHANGE_INDEX}`, value: change, data: reserveAccountData(changeTo) } } : {}),
    signDoc,
    feeShares,
  };
}

/**
 * A gas limit for a release of `outputs` Hub outputs (the change output to another account
 * included) signed by `threshold` of `members` keys: 110,000 + 10,000 per signature + 5,000 per key
 * + 25,000 per output. Measured on gaiad v25.1.1 (1 stake per gas, release-gaiad.test.ts checks a
 * release stays within it): an output to an account the Hub does not know yet costs about 22,400
 * gas (8,700 to a known one), a signature with its two keys about 15,000, the account's first tx
 * about 19,000 more (it stores the multisig key); a 2-of-3 MsgSend to a new account used 150,832 as
 * the first tx (limit 170,000), a 2-of-3 MsgMultiSend to 40 new accounts 1,005,146 (1,145,000),
 * a 4-of-7 one 1,028,284 (1,185,000). The memo's bytes (10 gas each, at most 2,560) fit the margin.
 * The caller pays fee = limit × the Hub's gas price: the Hub deducts the whole fee offered.
 */
export function hubReleaseGasLimit(outputs: number, threshold: number, members: number): bigint {
  if (!Number.isInteger(outputs) || outputs < 1 || outputs > MAX_HUB_RELEASE_PAYMENTS + 1) fail(`outputs must be an integer from 1 to ${MAX_HUB_RELEASE_PAYMENTS + 1}, got ${outputs}`);
  if (!Number.isInteger(members) || members < 1 || members > 100) fail(`members must be an integer from 1 to 100, got ${members}`);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > members) fail(`threshold must be an integer from 1 to the ${members} members, got ${threshold}`);
  return 110_000n + 10_000n * BigInt(threshold) + 5_000n * BigInt(members) + 25_000n * BigInt(outputs);
}
