/**
 * The tendermint kind's deposits (a Cosmos Hub peg-in): a user sends the chain's denom to the
 * federation's multisig account (multisig.ts) with a `MsgSend` (or a `MsgMultiSend` output) in a tx
 * whose memo is the recipient's pegzone address, exactly ("peg1…"); anyone then claims it with the
 * tx, its proof against header H's data_hash and its result's proof against header H+1's
 * last_results_hash (both verified by pegzone's light client). Every deposit shares the one account:
 * the memo tells them apart, and each message of a tx is its own deposit ("TXHASH:index").
 *
 * What `proveDeposit` reports, for the generic peg to decide (msgs-proofs.ts):
 *  - a tx that failed (code ≠ 0), a message that is not a bank transfer, or one paying the federation
 *    none of the chain's denom: refused here (ErrInvalidProof, peg 5);
 *  - a transfer FROM a federation's account (its own payouts and moves): `reserveIndex` (peg 24);
 *  - a transfer to a federation with the recipient's address as memo: `federationIndex`;
 *  - anything else — a transfer to someone else, or to a federation with another memo (none, a typo,
 *    another recipient, not a pegzone address): federationIndex −1, which the peg refuses with
 *    ErrNotDepositScript (peg 7), as a bitcoin output to another script. Coins that reached the
 *    federation's account that way (or in another denom) are in no reserve entry and no claim can
 *    ever mint them: they stay in the account beyond the reserve's total until a release (a multisig
 *    tx of the federation, once this kind has releases) pays them back to their sender.
 * A deposit needs one confirmation: the Hub's blocks are final, and the result proof already needs
 * header H+1.
 */
import { ADDRESS_PREFIX, toBech32 } from "../../../chain/crypto/address";
import { bytesEqual } from "../../../chain/store/bytes";
import { proveTransaction, requireTxSuccess } from "../../../light-client/tendermint/prove";
import type { DepositAddress, DepositFlow, ProvenDeposit } from "../kinds";
import {
  DEPOSIT_PROOF_TYPE,
  decodeTendermintDepositProof,
  parseTendermintDepositId,
  refuse,
  RESERVE_ACCOUNT_TYPE,
  reserveAccountData,
  tendermintDepositDisplayId,
  tendermintDepositId,
} from "./deposit-proof";
import { federationAccount } from "./multisig";
import { tendermintParams } from "./params";
import { decodeTransfer, type TransferOutput } from "./transfer";

export { federationAccount, federationAccountAddress, federationMultisigPubkey, type FederationAccount } from "./multisig";
export {
  DEPOSIT_PROOF_TYPE,
  RESERVE_ACCOUNT_TYPE,
  TendermintDepositError,
  type TendermintDepositProofFields,
  type TendermintDepositReason,
  decodeReserveAccount,
  parseTendermintDepositId,
  tendermintDepositDisplayId,
  tendermintDepositId,
  tendermintDepositProof,
} from "./deposit-proof";

const paysAccount = (o: TransferOutput, account: Uint8Array) => o.account !== undefined && bytesEqual(o.account, account);

export const tendermintDeposits: DepositFlow = {
  depositProofType: DEPOSIT_PROOF_TYPE,
  reserveDataType: RESERVE_ACCOUNT_TYPE,

  async proveDeposit(store, chain, proof, recipient, federations, now): Promise<ProvenDeposit> {
    const { denom } = tendermintParams(chain);
    const { msgIndex, ...claim } = decodeTendermintDepositProof(proof);
    const proven = requireTxSuccess(await proveTransaction(store, claim, now));
    const transfer = decodeTransfer(claim.tx, msgIndex, denom);
    const accounts = federations.map((f) => federationAccount(chain, f));

    // The first federation (current first) any output pays; only its outputs count.
    const paid = accounts.findIndex((a) => transfer.outputs.some((o) => paysAccount(o, a.rawAddress)));
    const outputs = paid >= 0 ? transfer.outputs.filter((o) => paysAccount(o, accounts[paid].rawAddress)) : transfer.outputs;
    const value = outputs.reduce((sum, o) => sum + o.amount, 0n);
    const displayId = tendermintDepositDisplayId(proven.txHash, msgIndex);
    if (value === 0n) refuse("wrong-denom", `${displayId} pays ${paid >= 0 ? accounts[paid].address : "its outputs"} no ${denom}`);
    // The federation's own transfers (releases, moves between federations) are never deposits.
    const reserveIndex = accounts.findIndex((a) => transfer.senders.some((s) => s.account !== undefined && bytesEqual(s.account, a.rawAddress)));
    const memoOk = transfer.memo === toBech32(ADDRESS_PREFIX, recipient);
    const to = paid >= 0 ? outputs[0].address : transfer.outputs.map((o) => o.address).join(", ");

    return {
      id: tendermintDepositId(Buffer.from(proven.txHash, "hex"), msgIndex),
      displayId,
      value,
      blockHash: proven.blockHash,
      blockHeight: Number(proven.height.revisionHeight),
      confirmations: 1,
      required: 1,
      federationIndex: paid >= 0 && memoOk ? paid : -1,
      reserveIndex,
      pays: `${to} with memo ${JSON.stringify(transfer.memo)}`,
      data: reserveAccountData(paid >= 0 ? accounts[paid].address : (transfer.outputs[0]?.address ?? "")),
    };
  },

  parseDepositId: parseTendermintDepositId,

  depositAddress(chain, federation, recipient): DepositAddress {
    const account = federationAccount(chain, federation);
    return { address: account.address, script: account.rawAddress, witnessScript: account.aminoPubkey, memo: toBech32(ADDRESS_PREFIX, recipient) };
  },
};
