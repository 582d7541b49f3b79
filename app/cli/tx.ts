import type { Command } from "commander";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { SimulateRequest, SimulateResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { parseCoins, toProtoCoins } from "../../chain/types/coins";
import { parseDecCoins, requiredFees } from "../../chain/types/fees";
import { MSG_SEND_TYPE_URL } from "../../modules/bank/codecs";
import { signDirect, simulationTx, type UnsignedTx } from "../../chain/tx/build";
import type { KeySigner } from "../../chain/keys/keyring";
import { addKeyringOptions, asFormat, openKeyring, type KeyringFlags } from "./keys";
import { printOutput } from "./output";
import { RpcClient } from "../../chain/client/rpc";

export interface TxFlags extends KeyringFlags {
  node: string;
  chainId?: string;
  gas: string;
  gasAdjustment: string;
  gasPrices: string;
  memo: string;
  output: string;
}

export function addTxOptions(cmd: Command): Command {
  return addKeyringOptions(cmd)
    .option("--node <url>", "CometBFT RPC address", "http://127.0.0.1:26657")
    .option("--chain-id <id>", "chain id (default: asked from the node)")
    .option("--gas <gas>", "gas limit, or 'auto' to simulate first", "auto")
    .option("--gas-adjustment <factor>", "multiplies the simulated gas", "1.4")
    .option("--gas-prices <prices>", "fee per unit of gas", "0.0025upeg")
    .option("--memo <memo>", "tx memo", "");
}

/** Registers `tx` and its bank commands; returns `tx` for other modules' commands. */
export function registerTxCommands(program: Command): Command {
  const tx = program.command("tx").description("sign and broadcast transactions");
  const bank = tx.command("bank").description("bank transactions");
  addTxOptions(bank.command("send <from_key> <to_address> <coins>").description("send coins, e.g. 'send alice peg1... 1000upeg'"))
    .action(async (fromKey: string, to: string, coins: string, o: TxFlags) => {
      const signer = await openKeyring(o).signer(fromKey);
      const msg: Any = {
        typeUrl: MSG_SEND_TYPE_URL,
        value: MsgSend.encode({ fromAddress: signer.address, toAddress: to, amount: toProtoCoins(parseCoins(coins)) }).finish(),
      };
      const res = await signAndBroadcast(new RpcClient(o.node), signer, [msg], o);
      printOutput(res, asFormat(o.output));
      if (res.code !== 0) process.exitCode = 1;
    });
  return tx;
}

/** Builds, (simulates,) signs in SIGN_MODE_DIRECT and broadcasts one tx, then waits for its block. */
export async function signAndBroadcast(rpc: RpcClient, signer: KeySigner, messages: Any[], o: TxFlags) {
  const chainId = o.chainId ?? (await rpc.chainId());
  const account = BaseAccount.decode(
    QueryAccountResponse.decode(await rpc.query("/cosmos.auth.v1beta1.Query/Account", QueryAccountRequest.encode({ address: signer.address }).finish())).account!.value,
  );
  const prices = parseDecCoins(o.gasPrices);
  const unsigned = (gasLimit: bigint): UnsignedTx => ({
    messages,
    memo: o.memo,
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
    gasLimit = BigInt(o.gas);
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
    gas_wanted: committed.tx_result.gas_wanted,
    gas_used: committed.tx_result.gas_used,
  };
}
