/**
 * Sending a tx the way every pegzone client does (the CLI, the relayer, the signer, the devnet):
 * read the account, simulate for gas unless a limit is given, sign in SIGN_MODE_DIRECT, broadcast
 * with broadcast_tx_sync and wait for the block that commits it.
 */
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { SimulateRequest, SimulateResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import type { Any } from "cosmjs-types/google/protobuf/any";
import type { KeySigner } from "../keys/keyring";
import { signDirect, simulationTx, type UnsignedTx } from "../tx/build";
import { toProtoCoins } from "../types/coins";
import { parseDecCoins, requiredFees } from "../types/fees";
import type { RpcClient } from "./rpc";

export interface TxOptions {
  /** Asked from the node when absent. */
  chainId?: string;
  /** A gas limit, or "auto" to simulate first and multiply by `gasAdjustment`. */
  gas: "auto" | bigint;
  /** A decimal factor, e.g. "1.4". */
  gasAdjustment: string;
  /** Fee per unit of gas, e.g. "0.0025upeg". */
  gasPrices: string;
  memo?: string;
}

/** What happened to the tx: CheckTx's refusal, or its result in a block. Field names as the SDK's TxResponse. */
export interface BroadcastResult {
  txhash: string;
  height?: string;
  code: number;
  codespace?: string;
  raw_log?: string;
  /** The messages' responses (TxMsgData), hex, as the SDK's TxResponse.data. */
  data?: string;
  gas_wanted?: string;
  gas_used?: string;
}

export async function signAndBroadcast(rpc: RpcClient, signer: KeySigner, messages: Any[], o: TxOptions): Promise<BroadcastResult> {
  const chainId = o.chainId ?? (await rpc.chainId());
  const account = BaseAccount.decode(
    QueryAccountResponse.decode(await rpc.query("/cosmos.auth.v1beta1.Query/Account", QueryAccountRequest.encode({ address: signer.address }).finish())).account!.value,
  );
  const prices = parseDecCoins(o.gasPrices);
  const unsigned = (gasLimit: bigint): UnsignedTx => ({
    messages,
    memo: o.memo ?? "",
    fee: { amount: toProtoCoins(requiredFees(prices, gasLimit)), gasLimit },
    sequence: account.sequence,
  });

  let gasLimit: bigint;
  if (o.gas === "auto") {
    const request = SimulateRequest.encode({ txBytes: simulationTx(unsigned(0n), signer.pubkey), tx: undefined }).finish();
    const sim = SimulateResponse.decode(await rpc.query("/cosmos.tx.v1beta1.Service/Simulate", request));
    // Gas is an integer; scale the decimal adjustment by 1000 to stay in integer arithmetic.
    gasLimit = (sim.gasInfo!.gasUsed * BigInt(Math.round(Number(o.gasAdjustment) * 1000)) + 999n) / 1000n;
  } else {
    gasLimit = o.gas;
  }
  const txBytes = signDirect(unsigned(gasLimit), { pubkey: signer.pubkey, sign: signer }, chainId, account.accountNumber);
  const checked = await rpc.broadcastSync(txBytes);
  if (checked.code !== 0) return { txhash: checked.hash, code: checked.code, codespace: checked.codespace, raw_log: checked.log };
  const committed = await rpc.waitForTx(checked.hash);
  return {
    txhash: committed.hash,
    height: committed.height,
    code: committed.tx_result.code,
    codespace: committed.tx_result.codespace,
    raw_log: committed.tx_result.log,
    data: Buffer.from(committed.tx_result.data ?? "", "base64").toString("hex").toUpperCase(),
    gas_wanted: committed.tx_result.gas_wanted,
    gas_used: committed.tx_result.gas_used,
  };
}
