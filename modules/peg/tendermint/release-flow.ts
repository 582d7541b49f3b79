/**
 * The tendermint kind's releases (a Cosmos Hub peg-out), in the peg's generic lifecycle
 * (releases.ts) as a *sequential* flow: the federation's multisig account (multisig.ts) signs with a
 * sequence, so one release per federation is live at a time, built with the account's number and
 * next sequence (release.ts builds the tx, sign-doc.ts its sign bytes, multisig-tx.ts the signed tx).
 *
 * Context (Release.context, a ReleaseContext): the chain id from the light client, the account
 *   number and sequence from the kind's state (account-state.ts), a timeout height of the client's
 *   tip + Params.release_timeout_blocks, and the gas price (Params.gas_price_micro, doubled after a
 *   release that timed out). Before the account's number is proven, no release is built: the batch
 *   waits (event release_failed saying so) until a relayer proves the account.
 * Fee: gas limit (hubReleaseGasLimit for the outputs and the federation's size) × gas price, rounded
 *   up, the price held to what MainChain.max_fee allows (never below Params.gas_price_micro: a chain
 *   price over the cap builds no release). The payments pay it (release.ts).
 *
 * Proofs (MsgConfirmRelease.proof, a ReleaseProof):
 *  - `tx`: a live release's tx in block H with its result (against headers H and H+1). Code 0: it is
 *    confirmed, and the account's next sequence is the release's + 1. A non-zero code is recorded:
 *    it may or may not have consumed the sequence (an ante failure inside a block does not), so an
 *    account proof decides.
 *  - `account`: a federation account's auth record after block h (ICS23, against header h+1). It
 *    teaches the account number (once) and its sequence q, and decides the account's live release
 *    at sequence s:
 *      q > s and the release was recorded failing at H ≤ h → it executed without paying: failed,
 *        its fee charged (its inputs become one remainder entry worth their sum − fee);
 *      q = s and h ≥ its timeout height → never executed and never can (also when it was recorded
 *        failing: refused inside a block, its tx stayed valid until then): failed, nothing charged,
 *        the next release offers twice the gas price (the usual cause is a fee below the Hub's), held
 *        to what max_fee allows;
 *      otherwise undecided (q > s with no record: its tx proof is still to come).
 *    A failed release's withdrawals wait for the next release, at the account's next sequence; at
 *    most one tx per sequence ever executes, so none is paid twice.
 * If the federation's keys ever signed a tx outside pegzone at a live release's sequence, that
 * release stays live (q > s, no tx of its own to prove): the authority must step in.
 */
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { bech32 } from "@scure/base";
import { bytesEqual } from "../../../chain/store/bytes";
import { clientState } from "../../../light-client/tendermint/client";
import { proveState, proveTransaction } from "../../../light-client/tendermint/prove";
import { google, pegzone } from "../../../proto";
import type { BuiltRelease, DepositAddress, Federation, KindStores, LiveReleaseView, ReleaseFlow, ReleaseOutcome, ReleaseParams, ReserveEntryView } from "../kinds";
import { deleteFailedInclusion, getAccountState, getFailedInclusion, setAccountState, setFailedInclusion } from "./account-state";
import { decodeReserveAccount, decodeTendermintDepositProof, reserveAccountData } from "./deposit-proof";
import { federationAccount } from "./multisig";
import { assembleHubRelease, hubReleaseIdOfTx, verifyHubSignature } from "./multisig-tx";
import { tendermintParams } from "./params";
import { buildHubRelease, type HubPayment, hubReleaseGasLimit, MAX_HUB_RELEASE_INPUTS, MAX_HUB_RELEASE_PAYMENTS } from "./release";
import { hubAccountBytes, HubReleaseError, hubReleaseDigest } from "./sign-doc";
import { moduleAccountName } from "./module-accounts";

const tmV1 = pegzone.peg.tendermint.v1;
type MainChain = pegzone.peg.v1.IMainChain;
export type ReleaseContext = pegzone.peg.tendermint.v1.ReleaseContext;

export const RELEASE_PROOF_TYPE = "/pegzone.peg.tendermint.v1.ReleaseProof";
const BASE_ACCOUNT_TYPE = "/cosmos.auth.v1beta1.BaseAccount";
/** Main-chain blocks a release stays valid past the client's tip when Params.release_timeout_blocks is 0. */
export const DEFAULT_RELEASE_TIMEOUT_BLOCKS = 100n;
/** The remainder entry's index in its id (after the release id's 32 bytes): one below the change's. */
export const REMAINDER_INDEX = 0xfffffffe;
/** The most a doubled gas price grows to (max_fee holds each release's fee anyway). */
const MAX_OFFERED_GAS_PRICE_MICRO = 1n << 50n;

/** Why the kind refuses a release proof (the peg maps a `reason` to ErrInvalidProof). */
export type TendermintReleaseReason = "malformed-proof" | "not-a-release" | "not-a-federation-account" | "bad-account" | "account-number-changed";

export class TendermintReleaseError extends Error {
  override readonly name = "TendermintReleaseError";
  constructor(
    readonly reason: TendermintReleaseReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

function refuse(reason: TendermintReleaseReason, detail: string): never {
  throw new TendermintReleaseError(reason, detail);
}

export function encodeReleaseContext(context: pegzone.peg.tendermint.v1.IReleaseContext): Uint8Array {
  return tmV1.ReleaseContext.encode(context).finish();
}

export function decodeReleaseContext(bytes: Uint8Array | null | undefined): ReleaseContext {
  if (!bytes || bytes.length === 0) throw new HubReleaseError("a tendermint release needs its context (account number, sequence, timeout height)");
  return tmV1.ReleaseContext.decode(bytes);
}

const u64 = (v: number | Long | bigint | null | undefined) => BigInt(String(v ?? 0));
type Long = { toString(): string };

/**
 * The fee of a release with `outputs` outputs signed by `federation`: gas limit × price (millionths
 * per gas), rounded up. A price raised after timeouts is held to what max_fee allows (never below
 * the chain's own price), so raising it can never stop peg-out; the chain's price over the cap can.
 */
function hubFee(chain: MainChain, federation: Federation, outputs: number, offered: bigint, maxFee: bigint): { amount: bigint; gasLimit: bigint } {
  const gasLimit = hubReleaseGasLimit(outputs, federation.threshold ?? 0, (federation.members ?? []).length);
  const base = u64(tendermintParams(chain).gasPriceMicro);
  const affordable = (maxFee * 1_000_000n) / gasLimit;
  const price = offered <= affordable ? offered : affordable > base ? affordable : base;
  const amount = (gasLimit * price + 999_999n) / 1_000_000n;
  if (amount > maxFee) throw new HubReleaseError(`its fee ${amount}${tendermintParams(chain).denom} (${gasLimit} gas at ${price} millionths per gas) is over the cap ${maxFee}`);
  return { amount, gasLimit };
}

/**
 * The Hub release for `params`: as release.ts builds it, paying the payments that fit. Fewer outputs
 * cost less gas, so a release that leaves some payments out is rebuilt from exactly the ones it
 * pays until it pays all it is given: the same payments always give the same release (the signer
 * rebuilds it from them).
 */
function buildRelease(params: ReleaseParams): BuiltRelease {
  const { chain, federation, maxFee } = params;
  const context = decodeReleaseContext(params.context);
  const { denom, bech32Prefix } = tendermintParams(chain);
  const from = federationAccount(chain, federation).address;
  const changeTo = params.changeFederation ? federationAccount(chain, params.changeFederation).address : from;
  const price = u64(context.gasPriceMicro);
  let payments: HubPayment[] = params.payments.map((p) => ({ id: p.id, address: bech32.encode(bech32Prefix, bech32.toWords(p.script), 1023), amount: p.amount }));
  for (;;) {
    const outputs = payments.length === 0 ? 1 : Math.min(payments.length, MAX_HUB_RELEASE_PAYMENTS) + (changeTo === from ? 0 : 1);
    const fee = hubFee(chain, federation, outputs, price, maxFee);
    const release = buildHubRelease({
      chainId: context.chainId,
      accountNumber: u64(context.accountNumber),
      sequence: u64(context.sequence),
      timeoutHeight: u64(context.timeoutHeight),
      denom,
      fee,
      from,
      payments,
      entries: params.entries,
      maxPayments: MAX_HUB_RELEASE_PAYMENTS,
      ...(changeTo === from ? {} : { changeTo }),
    });
    const paid = new Set(release.outputs.map((o) => o.paymentId).filter((id) => id !== undefined));
    if (paid.size === payments.length) return release;
    payments = payments.filter((p) => paid.has(p.id));
  }
}

/** The remainder of a release that was charged its fee without paying: its inputs' sum − fee, in its account. */
function remainderEntry(release: LiveReleaseView, address: string): ReserveEntryView {
  const id = new Uint8Array(36);
  id.set(Buffer.from(release.txid, "hex"), 0);
  new DataView(id.buffer).setUint32(32, REMAINDER_INDEX, false);
  const inputs = release.inputs.reduce((sum, i) => sum + i.value, 0n);
  return { id, displayId: `${release.txid}:${REMAINDER_INDEX}`, value: inputs - release.fee, data: reserveAccountData(address) };
}

function decodeReleaseProof(bytes: Uint8Array): pegzone.peg.tendermint.v1.ReleaseProof {
  try {
    return tmV1.ReleaseProof.decode(bytes);
  } catch (e) {
    refuse("malformed-proof", `ReleaseProof does not decode: ${(e as Error).message}`);
  }
}

/** The account a live release spends from: its inputs' ReserveAccount. */
function releaseAccount(release: LiveReleaseView): string {
  return release.inputs.length === 0 ? "" : decodeReserveAccount(release.inputs[0].data);
}

/** A release's tx and result: confirms it (code 0) or records its failure for an account proof to decide. */
async function proveReleaseTx(stores: KindStores, chain: MainChain, proof: pegzone.peg.tendermint.v1.IDepositProof, now: bigint, live: readonly LiveReleaseView[]): Promise<ReleaseOutcome[]> {
  const { msgIndex, ...claim } = decodeTendermintDepositProof(tmV1.DepositProof.encode(proof).finish());
  if (msgIndex !== 0) refuse("malformed-proof", "a release proof's msg_index is 0");
  const proven = await proveTransaction(stores.client, claim, now);
  // The release id is its sign doc's hash: rebuilt from the tx with each live release's account number.
  const release = live.find((r) => {
    const context = decodeReleaseContext(r.context);
    try {
      return hubReleaseIdOfTx(claim.tx, context.chainId, u64(context.accountNumber)) === r.txid;
    } catch {
      return false;
    }
  });
  if (release === undefined) refuse("not-a-release", `tx ${proven.txHash} is no live release of ${chain.id}`);
  const address = releaseAccount(release);
  if (proven.code !== 0) {
    setFailedInclusion(stores.state, { txid: release.txid, height: Number(proven.height.revisionHeight), code: proven.code });
    return [];
  }
  const state = (await getAccountState(stores.state, address))!;
  const next = u64(decodeReleaseContext(release.context).sequence) + 1n;
  setAccountState(stores.state, { ...state, sequence: Number(u64(state.sequence) > next ? u64(state.sequence) : next), gasPriceMicro: 0 });
  deleteFailedInclusion(stores.state, release.txid);
  return [{ txid: release.txid, outcome: "confirmed", confirmations: 1, required: 1 }];
}

/** A federation account's auth record: learns its number and sequence; decides its live release (see the top). */
async function proveAccount(
  stores: KindStores,
  chain: MainChain,
  proof: pegzone.peg.tendermint.v1.IAccountProof,
  now: bigint,
  live: readonly LiveReleaseView[],
  federations: readonly Federation[],
): Promise<ReleaseOutcome[]> {
  const height = u64(proof.height);
  if (height < 1n) refuse("malformed-proof", "an account proof's height is at least 1");
  const account = federations.map((f) => federationAccount(chain, f)).find((a) => a.address === proof.address);
  if (account === undefined) refuse("not-a-federation-account", `${JSON.stringify(proof.address)} is no federation's account on ${chain.id}`);
  const value = proof.account ?? new Uint8Array();
  await proveState(stores.client, { height, storeName: "acc", key: Uint8Array.of(0x01, ...account.rawAddress), value, proofOps: proof.proofOps ?? new Uint8Array() }, now);
  let record: BaseAccount;
  try {
    const any = google.protobuf.Any.decode(value);
    if (any.type_url !== BASE_ACCOUNT_TYPE) refuse("bad-account", `the account is a ${any.type_url}, not a ${BASE_ACCOUNT_TYPE}`);
    record = BaseAccount.decode(any.value);
  } catch (e) {
    if (e instanceof TendermintReleaseError) throw e;
    refuse("bad-account", `the stored account does not decode: ${(e as Error).message}`);
  }
  if (!bytesEqual(hubAccountBytes(record.address, undefined, "the stored account").bytes, account.rawAddress)) refuse("bad-account", `the stored account is ${record.address}, not ${account.address}`);
  const known = await getAccountState(stores.state, account.address);
  if (known && u64(known.accountNumber) !== record.accountNumber)
    refuse("account-number-changed", `${account.address} was account ${known.accountNumber}; this proof says ${record.accountNumber}`);
  const q = record.sequence;
  let sequence = known ? (u64(known.sequence) > q ? u64(known.sequence) : q) : q;
  let gasPriceMicro = u64(known?.gasPriceMicro);

  const outcomes: ReleaseOutcome[] = [];
  for (const release of live.filter((r) => releaseAccount(r) === account.address)) {
    const context = decodeReleaseContext(release.context);
    const s = u64(context.sequence);
    const failed = await getFailedInclusion(stores.state, release.txid);
    const failedBy = failed !== undefined && u64(failed.height) <= height ? failed : undefined;
    let outcome: ReleaseOutcome | undefined;
    if (q > s && failedBy) {
      outcome = { txid: release.txid, outcome: "failed", reason: `included at ${failedBy.height} with code ${failedBy.code}; it consumed sequence ${s} and its fee`, charged: release.fee, remainder: remainderEntry(release, account.address) };
    } else if (q === s && height >= u64(context.timeoutHeight)) {
      // Only past its timeout: a tx refused inside a block (its sequence unused) stays valid until then.
      const why = failedBy ? `included at ${failedBy.height} with code ${failedBy.code} without executing, then ` : "";
      outcome = { txid: release.txid, outcome: "failed", reason: `${why}not included by its timeout height ${context.timeoutHeight}: the account's sequence at ${height} is still ${s}`, charged: 0n };
      const doubled = 2n * (u64(context.gasPriceMicro) > 0n ? u64(context.gasPriceMicro) : 1n);
      gasPriceMicro = doubled < MAX_OFFERED_GAS_PRICE_MICRO ? doubled : MAX_OFFERED_GAS_PRICE_MICRO;
    }
    if (outcome === undefined) continue;
    if (q > s && s + 1n > sequence) sequence = s + 1n;
    deleteFailedInclusion(stores.state, release.txid);
    outcomes.push(outcome);
  }
  const provenHeight = known && u64(known.provenHeight) > height ? u64(known.provenHeight) : height;
  setAccountState(stores.state, { address: account.address, accountNumber: Number(record.accountNumber), sequence: Number(sequence), gasPriceMicro: Number(gasPriceMicro), provenHeight: Number(provenHeight) });
  return outcomes;
}

export const tendermintReleases: ReleaseFlow = {
  maxReleaseInputs: MAX_HUB_RELEASE_INPUTS,
  sequential: true,
  consolidates: false,
  releaseProofType: RELEASE_PROOF_TYPE,

  async releaseContext(stores, chain, federation) {
    const { address } = federationAccount(chain, federation);
    const state = await getAccountState(stores.state, address);
    if (state === undefined)
      throw new Error(`the number of federation ${federation.id}'s account ${address} on ${chain.id} is not proven yet: a relayer proves it (MsgConfirmRelease with an account proof; pegzone relayer does while withdrawals wait)`);
    const client = await clientState(stores.client);
    const p = tendermintParams(chain);
    const timeout = p.releaseTimeoutBlocks > 0 ? u64(p.releaseTimeoutBlocks) : DEFAULT_RELEASE_TIMEOUT_BLOCKS;
    const gasPriceMicro = u64(state.gasPriceMicro) > 0n ? u64(state.gasPriceMicro) : u64(p.gasPriceMicro);
    return encodeReleaseContext({
      chainId: client.chainId,
      accountNumber: state.accountNumber,
      sequence: state.sequence,
      timeoutHeight: Number(client.latestHeight.revisionHeight + timeout),
      gasPriceMicro: Number(gasPriceMicro),
    });
  },

  async proveRelease(stores, chain, bytes, now, live, federations) {
    const proof = decodeReleaseProof(bytes);
    if (proof.tx) return proveReleaseTx(stores, chain, proof.tx, now, live);
    if (proof.account) return proveAccount(stores, chain, proof.account, now, live, federations);
    refuse("malformed-proof", "a ReleaseProof holds a tx or an account");
  },

  feeRate: (chain) => u64(tendermintParams(chain).gasPriceMicro),

  withdrawalScript(chain, address) {
    const { bech32Prefix } = tendermintParams(chain);
    const { bytes } = hubAccountBytes(address, bech32Prefix, "withdrawal address");
    const module = moduleAccountName(bytes);
    if (module !== undefined) throw new Error(`${address} is the Hub's ${module} module account, which may not receive funds: the release would fail`);
    return bytes;
  },

  reserveAddress(chain, federation): DepositAddress {
    const account = federationAccount(chain, federation);
    return { address: account.address, script: account.rawAddress, witnessScript: account.aminoPubkey };
  },

  buildRelease,
  releaseDigests: (release) => [hubReleaseDigest(release.payload)],
  verifySignature: verifyHubSignature,
  assembleRelease: (release, federation, signatures) =>
    assembleHubRelease(
      release,
      (federation.members ?? []).map((m) => m.pubkey!),
      signatures[0],
      federation.threshold ?? 0,
    ),
};
