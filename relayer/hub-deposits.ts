/**
 * Deposits of a Tendermint main chain (the Cosmos Hub): a `MsgSend` of the chain's denom to the
 * federation's multisig account, the pegzone recipient in the tx's memo. Each round the relayer
 * (tendermint-relayer.ts) asks the node's tx index for transfers to every account pegzone honours
 * deposits to — the current federation's, and retired ones' within their grace window — and claims
 * each MsgSend it finds that pegzone has not recorded as claimed:
 *
 *   find     `tx_search "transfer.recipient='<account>' AND tx.height>N"` with proofs, every page.
 *            A failed tx emits no transfer of its messages, so only included, successful ones match.
 *   decide   per MsgSend (or MsgMultiSend) of the tx paying the account in the chain's denom: the memo must be a
 *            pegzone address (else the deposit is skipped, with a log line: nobody can claim it), the
 *            amount at least min_deposit, and the Deposit query by its display id not claimed.
 *   headers  the claim is proven against header H (the tx in data_hash) and H+1 (its result in
 *            last_results_hash): the follower gives pegzone's client a consensus state at each,
 *            from the highest one it holds below. The relayer skips heights when following the
 *            chain, so H is usually relayed now, below the client's latest (ibc-go stores such a
 *            header between two stored ones, verified from the lower).
 *   claim    MsgClaimDeposit with a DepositProof built from the tx_search answer (its TxProof
 *            re-encoded as protobuf) and `/block_results?height=H` (the result's Merkle path).
 *
 * What was claimed is read back from pegzone, so the relayer is restart-safe and may run beside
 * another. The only memory is a scan position per account (every deposit at or below it is claimed
 * or skipped for good), which a restart loses: the next round reads the index from the start again
 * and finds everything claimed. A claim pegzone refuses is logged and tried again after a pause.
 */
import type { Any } from "cosmjs-types/google/protobuf/any";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Logger } from "../chain/log";
import type { KeySigner } from "../chain/keys/keyring";
import type { RpcClient } from "../chain/client/rpc";
import { ADDRESS_PREFIX, fromBech32, isValidAddress, toBech32 } from "../chain/crypto/address";
import { anyMsg } from "../chain/client/query";
import { signAndBroadcast, type BroadcastResult, type TxOptions } from "../chain/client/tx";
import { SdkError } from "../chain/tx/errors";
import { buildResultProof } from "../light-client/tendermint/proof-results-build";
import { txProofToBytes } from "../light-client/tendermint/proof-tx";
import { pegQuery } from "../modules/peg/client";
import { pegTypeUrls } from "../modules/peg/msgs";
import { tendermintParams } from "../modules/peg/tendermint/params";
import { federationAccountAddress, TendermintDepositError, tendermintDepositDisplayId, tendermintDepositProof } from "../modules/peg/tendermint/deposit-flow";
import { accountBytes, decodeTransfer, type Transfer } from "../modules/peg/tendermint/transfer";
import { google, pegzone } from "../proto";
import type { CometRpcClient, TxAnswer } from "./cometbft-rpc";
import type { RelayerMetrics } from "./metrics";

const v1 = pegzone.peg.v1;
/** The peg's ErrAlreadyClaimed. */
const PEG_ALREADY_CLAIMED = 10;
/** After pegzone refuses a claim, the relayer tries it again no sooner than this. */
export const REFUSED_RETRY_MS = 30_000;

/** One MsgSend (or MsgMultiSend) of a tx paying an account. */
export interface HubDeposit {
  /** sha256 of the tx, uppercase hex. */
  readonly txHash: string;
  readonly height: bigint;
  /** Index of the message in the tx body's messages. */
  readonly msgIndex: number;
  /** The tx's memo: the pegzone recipient when it is a pegzone address. */
  readonly memo: string;
  /** Of the chain's denom (0 when the send pays only other denoms). */
  readonly amount: bigint;
}

/**
 * The messages of a raw tx (TxRaw bytes) paying `account` — MsgSends to it, MsgMultiSends with
 * outputs to it (summed) — with what each pays in `denom`, read as pegzone reads them
 * (modules/peg/tendermint/transfer.ts: canonical encodings only, addresses compared as account
 * bytes). Throws for bytes that are not a canonical Cosmos tx.
 */
export function depositsInTx(tx: Pick<TxAnswer, "hash" | "height" | "tx">, account: string, denom: string): HubDeposit[] {
  const target = accountBytes(account);
  if (target === undefined) throw new Error(`${account} is not a bech32 account address`);
  const count = TxBody.decode(TxRaw.decode(tx.tx).bodyBytes).messages.length;
  const out: HubDeposit[] = [];
  for (let msgIndex = 0; msgIndex < count; msgIndex++) {
    let transfer: Transfer;
    try {
      transfer = decodeTransfer(tx.tx, msgIndex, denom);
    } catch (err) {
      if (err instanceof TendermintDepositError && err.reason === "not-a-transfer") continue;
      throw err;
    }
    const outputs = transfer.outputs.filter((o) => o.account !== undefined && Buffer.compare(o.account, target) === 0);
    if (outputs.length === 0) continue;
    out.push({ txHash: tx.hash, height: tx.height, msgIndex, memo: transfer.memo, amount: outputs.reduce((sum, o) => sum + o.amount, 0n) });
  }
  return out;
}

/** Whether a memo names a pegzone account exactly as pegzone writes it (bech32 "peg1...", lowercase): what a claim's recipient must equal. */
export function isPegzoneRecipient(memo: string): boolean {
  if (!isValidAddress(memo)) return false;
  return toBech32(ADDRESS_PREFIX, fromBech32(memo)) === memo;
}

/**
 * The DepositProof of one MsgSend of `tx` (an answer with its proof): the tx and its proof under
 * header H's data_hash, its result and the result's path under H+1's last_results_hash.
 */
export async function hubDepositProof(comet: Pick<CometRpcClient, "blockResults">, tx: TxAnswer, msgIndex: number): Promise<google.protobuf.IAny> {
  if (tx.proof === undefined) throw new Error(`tx ${tx.hash}: the node sent no inclusion proof`);
  const results = await comet.blockResults(tx.height);
  const index = tx.proof.proof.index;
  if (index !== tx.index) throw new Error(`tx ${tx.hash}: the proof is for position ${index}, the node says ${tx.index}`);
  if (index < 0 || index >= results.length) throw new Error(`tx ${tx.hash}: position ${index} in block ${tx.height}, which has ${results.length} results`);
  const { result, proof } = buildResultProof(results, index);
  return tendermintDepositProof({
    height: tx.height,
    tx: tx.tx,
    txProof: txProofToBytes(tx.proof),
    result: { code: result.code, data: result.data, gasWanted: result.gasWanted, gasUsed: result.gasUsed },
    resultProof: { total: proof.total, index: proof.index, aunts: [...proof.aunts] },
    msgIndex,
  });
}

/** The MsgClaimDeposit of a deposit, as an Any for a tx. */
export function claimDepositMsg(claimer: string, mainchain: string, recipient: string, proof: google.protobuf.IAny): Any {
  return anyMsg(pegTypeUrls.claimDeposit, v1.MsgClaimDeposit, { claimer, mainchain, recipient, proof });
}

/** Whether pegzone has recorded the deposit `displayId` as claimed. */
export async function depositClaimed(rpc: RpcClient, mainchain: string, displayId: string): Promise<boolean> {
  return (await pegQuery(rpc, "Deposit", v1.QueryDepositRequest, { mainchain, displayId }, v1.QueryDepositResponse)).claimed;
}

/** pegzone's latest block height (its CometBFT /status). */
async function pegzoneHeight(rpc: RpcClient): Promise<number> {
  const res = await fetch(`${rpc.url}/status`);
  const body = (await res.json()) as { result?: { sync_info?: { latest_block_height?: string } } };
  const h = Number(body.result?.sync_info?.latest_block_height);
  if (!Number.isSafeInteger(h)) throw new Error(`pegzone at ${rpc.url} answered /status without a height`);
  return h;
}

/** A federation account pegzone honours deposits to. */
export interface DepositAccount {
  readonly address: string;
  readonly federationId: number;
  readonly retired: boolean;
}

/**
 * The accounts deposits may be claimed to at pegzone's next block: the current federation's, then
 * retired ones' whose grace window covers it (modules/peg/rotation.ts `depositFederations`).
 */
export async function depositAccounts(rpc: RpcClient, chain: pegzone.peg.v1.IMainChain): Promise<DepositAccount[]> {
  const id = chain.id ?? "";
  const feds = await pegQuery(rpc, "Federations", v1.QueryFederationsRequest, { mainchain: id }, v1.QueryFederationsResponse);
  const current = feds.current ?? chain.federation;
  if (!current) throw new Error(`${id} has no federation`);
  const out: DepositAccount[] = [{ address: federationAccountAddress(chain, current), federationId: Number(current.id ?? 0), retired: false }];
  if (feds.grace === 0 || feds.retired.length === 0) return out;
  const height = await pegzoneHeight(rpc);
  for (const r of [...feds.retired].reverse()) {
    if (Number(r.retiredAt) + feds.grace >= height + 1 && r.federation)
      out.push({ address: federationAccountAddress(chain, r.federation), federationId: Number(r.federation.id ?? 0), retired: true });
  }
  return out;
}

/** Why pegzone refused a tx: its codespace, code and log. */
export interface Refusal {
  readonly codespace: string;
  readonly code: number;
  readonly log: string;
}

/** pegzone's refusal of a tx, or undefined for success. */
function refusal(res: BroadcastResult): Refusal | undefined {
  return res.code === 0 ? undefined : { codespace: res.codespace ?? "", code: res.code, log: res.raw_log ?? "" };
}

/** Sends one claim; resolves to pegzone's refusal (a simulation's or the block's), undefined when it minted. */
export async function sendClaim(rpc: RpcClient, signer: KeySigner, msg: Any, tx: Pick<TxOptions, "gasAdjustment" | "gasPrices" | "chainId">): Promise<Refusal | undefined> {
  try {
    return refusal(await signAndBroadcast(rpc, signer, [msg], { ...tx, gas: "auto" }));
  } catch (err) {
    if (err instanceof SdkError) return { codespace: err.codespace, code: err.code, log: err.message };
    throw err;
  }
}

export interface HubDepositsOptions {
  readonly mainchain: string;
  readonly comet: CometRpcClient;
  readonly pegzone: RpcClient;
  readonly signer: KeySigner;
  readonly tx: Pick<TxOptions, "gasAdjustment" | "gasPrices" | "chainId">;
  readonly logger: Logger;
  /** Gives pegzone's light client a consensus state at exactly `height` (the relayer's follower). */
  readonly ensureHeight: (height: bigint) => Promise<void>;
  /** The highest height at or below `height` where pegzone's client holds a consensus state (none: undefined). */
  readonly heldAtOrBelow: (height: bigint) => Promise<bigint | undefined>;
  /** For tests: the clock of the retry pause. */
  readonly now?: () => number;
  /** For tests: sends a claim (default `sendClaim` with the signer and fee settings). */
  readonly send?: (msg: Any) => Promise<Refusal | undefined>;
  /** Counts the claims pegzone took. */
  readonly metrics?: RelayerMetrics;
}

/** What a round of deposits did. */
export interface DepositRound {
  /** Deposits claimed now. */
  readonly claimed: number;
  /** Deposits no claim can mint (memo not a pegzone address, below the minimum, older than the client), first seen now. */
  readonly skipped: number;
  /** Deposits left for a later round (their H+1 not made yet, or refused and waiting to be retried). */
  readonly pending: number;
}

export class HubDeposits {
  /** Per account: every deposit at or below this Hub height is claimed or skipped for good. */
  private readonly scanned = new Map<string, bigint>();
  /** Display ids pegzone refused, and when they may be tried again. */
  private readonly refused = new Map<string, number>();
  /** Display ids skipped for good, logged once. */
  private readonly skippedIds = new Set<string>();

  constructor(private readonly o: HubDepositsOptions) {}

  async step(): Promise<DepositRound> {
    const id = this.o.mainchain;
    const [{ mainchains }, client] = await Promise.all([
      pegQuery(this.o.pegzone, "MainChains", v1.QueryMainChainsRequest, {}, v1.QueryMainChainsResponse),
      pegQuery(this.o.pegzone, "ClientState", v1.QueryClientStateRequest, { mainchain: id }, v1.QueryClientStateResponse),
    ]);
    const chain = mainchains.find((m) => m.id === id);
    if (!chain) throw new Error(`pegzone has no main chain ${id}`);
    if (client.freeze?.frozen) {
      this.o.logger.warn({ mainchain: id, reason: client.freeze.reason }, "peg is frozen; not claiming");
      return { claimed: 0, skipped: 0, pending: 0 };
    }
    const denom = tendermintParams(chain).denom;
    const minDeposit = BigInt(chain.minDeposit || "0");
    const latest = (await this.o.comet.status()).latestHeight;
    let claimed = 0;
    let skipped = 0;
    let pending = 0;
    for (const account of await depositAccounts(this.o.pegzone, chain)) {
      const from = this.scanned.get(account.address) ?? 0n;
      const txs = await this.o.comet.txSearchAll(`transfer.recipient='${account.address}' AND tx.height>${from}`, true);
      // Heights with a deposit left for later: the scan position stays below the lowest.
      let lowestOpen: bigint | undefined;
      let highestSeen = from;
      for (const tx of txs) {
        if (tx.height > highestSeen) highestSeen = tx.height;
        const open = () => (lowestOpen = lowestOpen === undefined || tx.height < lowestOpen ? tx.height : lowestOpen);
        let deposits: HubDeposit[];
        try {
          deposits = depositsInTx(tx, account.address, denom);
        } catch (err) {
          if (this.skipOnce(tx.hash, { mainchain: id, txhash: tx.hash, height: String(tx.height), err: (err as Error).message }, "skipping a tx to the federation that pegzone cannot read (not a canonical Cosmos tx)")) skipped++;
          continue;
        }
        for (const d of deposits) {
          const displayId = tendermintDepositDisplayId(d.txHash, d.msgIndex);
          const log = { mainchain: id, deposit: displayId, height: String(d.height), amount: `${d.amount}${denom}`, memo: d.memo, federation: account.federationId };
          if (tx.result.code !== 0) {
            if (this.skipOnce(displayId, log, "skipping a deposit tx that failed on the main chain")) skipped++;
            continue;
          }
          if (!isPegzoneRecipient(d.memo)) {
            if (this.skipOnce(displayId, log, "skipping a deposit whose memo is not a pegzone address: nobody can claim it")) skipped++;
            continue;
          }
          if (d.amount < minDeposit || d.amount === 0n) {
            if (this.skipOnce(displayId, { ...log, minDeposit: String(minDeposit) }, "skipping a deposit below the minimum")) skipped++;
            continue;
          }
          if (await depositClaimed(this.o.pegzone, id, displayId)) continue;
          // Its result is in header H+1: wait for the block after.
          if (d.height + 1n > latest) {
            open();
            pending++;
            continue;
          }
          // Below every header the client holds (before its registration, or pruned): no proof can reach it.
          if ((await this.o.heldAtOrBelow(d.height)) === undefined) {
            if (this.skipOnce(displayId, log, "skipping a deposit below the light client's oldest header: it cannot be proven")) skipped++;
            continue;
          }
          const retryAt = this.refused.get(displayId);
          if (retryAt !== undefined && this.now() < retryAt) {
            open();
            pending++;
            continue;
          }
          try {
            await this.o.ensureHeight(d.height);
            await this.o.ensureHeight(d.height + 1n);
            const msg = claimDepositMsg(this.o.signer.address, id, d.memo, await hubDepositProof(this.o.comet, tx, d.msgIndex));
            const refused = await (this.o.send ?? ((m: Any) => sendClaim(this.o.pegzone, this.o.signer, m, this.o.tx)))(msg);
            if (refused === undefined || (refused.codespace === "peg" && refused.code === PEG_ALREADY_CLAIMED)) {
              this.refused.delete(displayId);
              if (refused === undefined) {
                claimed++;
                this.o.metrics?.submitted("claim");
                this.o.logger.info({ ...log, recipient: d.memo }, "claimed deposit");
              }
              continue;
            }
            this.refused.set(displayId, this.now() + REFUSED_RETRY_MS);
            this.o.logger.warn({ ...log, codespace: refused.codespace, code: refused.code, refusal: refused.log }, "pegzone refused the claim; trying again later");
          } catch (err) {
            this.o.logger.warn({ ...log, err: err instanceof Error ? err.message : String(err) }, "cannot claim the deposit now; trying again next round");
          }
          open();
          pending++;
        }
      }
      this.scanned.set(account.address, lowestOpen === undefined ? highestSeen : lowestOpen - 1n);
    }
    return { claimed, skipped, pending };
  }

  /** Logs a skipped deposit the first time it is seen; true then. */
  private skipOnce(key: string, fields: object, message: string): boolean {
    if (this.skippedIds.has(key)) return false;
    this.skippedIds.add(key);
    this.o.logger.info(fields, message);
    return true;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }
}
