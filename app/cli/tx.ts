import type { Command } from "commander";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { parseCoins, toProtoCoins } from "../../chain/types/coins";
import { MSG_SEND_TYPE_URL } from "../../modules/bank/codecs";
import { signAndBroadcast, type BroadcastResult, type TxOptions } from "../../chain/client/tx";
import { rawKeySigner, type KeySigner } from "../../chain/keys/keyring";
import { Home, readSignerKey } from "../node/home";
import { SdkError } from "../../chain/tx/errors";
import { addKeyringOptions, asFormat, openKeyring, type KeyringFlags } from "./keys";
import { printOutput } from "./output";
import { RpcClient } from "../../chain/client/rpc";
import { DEFAULT_GAS_PRICES } from "../pegzone";

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
    .option("--gas-prices <prices>", "fee per unit of gas", DEFAULT_GAS_PRICES)
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
      await broadcastAndPrint(o, signer, [msg]);
    });
  return tx;
}

/** The client's tx options from the command's flags. */
export function txOptions(o: TxFlags): TxOptions {
  return { chainId: o.chainId, gas: o.gas === "auto" ? "auto" : BigInt(o.gas), gasAdjustment: o.gasAdjustment, gasPrices: o.gasPrices, memo: o.memo };
}

/**
 * Signs and broadcasts `messages` as the command's flags say, prints the result (with what `extra`
 * reads from a committed result), and sets a failing exit code if refused.
 */
export async function broadcastAndPrint(o: TxFlags, signer: KeySigner, messages: Any[], extra?: (res: BroadcastResult) => object): Promise<void> {
  const res = await signAndBroadcast(new RpcClient(o.node), signer, messages, txOptions(o)).catch((err: unknown) => {
    // Refused before broadcast (gas simulation, account query): the SDK's code and codespace, as after CheckTx.
    if (err instanceof SdkError) return { code: err.code, codespace: err.codespace, raw_log: err.message };
    throw err;
  });
  printOutput(res.code === 0 && extra && "txhash" in res ? { ...res, ...extra(res) } : res, asFormat(o.output));
  if (res.code !== 0) process.exitCode = 1;
}

/**
 * Tx options for a federation member or validator operator, whose account may be its node's signer
 * key rather than a keyring key: --signer-key signs with <home>/config/signer_key.json instead of --from.
 */
export function addSignerKeyOptions(cmd: Command): Command {
  return addTxOptions(cmd)
    .option("--from <key>", "key that signs and pays the fee")
    .option("--signer-key", "sign with the signer key in <home>/config/signer_key.json instead of --from");
}

export async function keyOrSignerKey(o: TxFlags & { from?: string; signerKey?: boolean; home?: string }): Promise<KeySigner> {
  // the account `pegzone signer` sends its signatures from
  if (o.signerKey) return rawKeySigner("signer", readSignerKey(Home.resolve(o.home)).privateKey);
  if (o.from === undefined) throw new Error("give --from <key> or --signer-key");
  return openKeyring(o).signer(o.from);
}
