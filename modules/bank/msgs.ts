import { MsgMultiSendResponse, MsgSendResponse, type MsgMultiSend, type MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { MSG_MULTI_SEND_TYPE_URL, MSG_SEND_TYPE_URL, msgMultiSendCodec, msgSendCodec } from "./codecs";
import type { MsgHandler, ServiceRegistrar } from "../../chain/app/module";
import { parseAddress } from "../../chain/crypto/address";
import { sdkErrors } from "../../chain/tx/errors";
import { addCoins, fromProtoCoins, type Coin } from "../../chain/types/coins";
import { bankErrors } from "./errors";
import type { BankKeeper } from "./keeper";

/** Bech32 address of this chain → bytes, or ErrInvalidAddress. */
function nonEmptyCoins(coins: Parameters<typeof fromProtoCoins>[0]): Coin[] {
  const parsed = fromProtoCoins(coins);
  if (parsed.length === 0) throw sdkErrors.ErrInvalidCoins.wrap("must send at least one coin");
  return parsed;
}

export function registerBankMsgs(registrar: ServiceRegistrar, keeper: BankKeeper): void {
  const send: MsgHandler<MsgSend> = {
    signers: (msg) => [msg.fromAddress],
    validate(msg) {
      parseAddress(msg.fromAddress, "from");
      parseAddress(msg.toAddress, "to");
      nonEmptyCoins(msg.amount);
    },
    async handle(ctx, msg) {
      const coins = nonEmptyCoins(msg.amount);
      const to = parseAddress(msg.toAddress, "to");
      await keeper.checkSendEnabled(ctx, coins);
      if (keeper.blockedAddr(to)) throw sdkErrors.ErrUnauthorized.wrap(`${msg.toAddress} is not allowed to receive funds`);
      await keeper.sendCoins(ctx, parseAddress(msg.fromAddress, "from"), to, coins);
      return { typeUrl: "/cosmos.bank.v1beta1.MsgSendResponse", value: MsgSendResponse.encode({}).finish() };
    },
  };
  registrar.msg(MSG_SEND_TYPE_URL, msgSendCodec, send);

  const multiSend: MsgHandler<MsgMultiSend> = {
    signers: (msg) => msg.inputs.map((i) => i.address),
    validate(msg) {
      if (msg.inputs.length === 0) throw bankErrors.ErrNoInputs.error();
      if (msg.inputs.length > 1) throw bankErrors.ErrMultipleSenders.wrap("only one input is allowed");
      if (msg.outputs.length === 0) throw bankErrors.ErrNoOutputs.error();
      let inSum: Coin[] = [];
      for (const i of msg.inputs) {
        parseAddress(i.address, "input");
        inSum = addCoins(inSum, nonEmptyCoins(i.coins));
      }
      let outSum: Coin[] = [];
      for (const o of msg.outputs) {
        parseAddress(o.address, "output");
        outSum = addCoins(outSum, nonEmptyCoins(o.coins));
      }
      const same = inSum.length === outSum.length && inSum.every((c, k) => c.denom === outSum[k].denom && c.amount === outSum[k].amount);
      if (!same) throw bankErrors.ErrInputOutputMismatch.error();
    },
    async handle(ctx, msg) {
      const input = msg.inputs[0];
      const inCoins = fromProtoCoins(input.coins);
      await keeper.checkSendEnabled(ctx, inCoins);
      const outputs = msg.outputs.map((o) => {
        const address = parseAddress(o.address, "output");
        if (keeper.blockedAddr(address)) throw sdkErrors.ErrUnauthorized.wrap(`${o.address} is not allowed to receive funds`);
        return { address, coins: fromProtoCoins(o.coins) };
      });
      await keeper.inputOutputCoins(ctx, { address: parseAddress(input.address, "input"), coins: inCoins }, outputs);
      return { typeUrl: "/cosmos.bank.v1beta1.MsgMultiSendResponse", value: MsgMultiSendResponse.encode({}).finish() };
    },
  };
  registrar.msg(MSG_MULTI_SEND_TYPE_URL, msgMultiSendCodec, multiSend);
}

