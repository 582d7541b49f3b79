/**
 * Codecs of the bank module's tx messages (cosmos.bank.v1beta1 MsgSend and MsgMultiSend), with
 * their legacy amino JSON forms as the SDK v0.50 aminojson encoder writes them:
 *  - fields are named as in the proto (snake_case);
 *  - empty strings are omitted (amino omitempty), but coin lists are always written, `[]` when
 *    empty (amino.dont_omitempty + "legacy_coins"), and so are the inputs/outputs lists;
 *  - a coin is {"amount", "denom"}, amount always present (dont_omitempty), denom omitted if empty.
 */
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import type { Coin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import type { MsgCodec, MsgRegistry } from "../../chain/tx/registry";
import { CoinSchema, type MessageSchema } from "../../chain/tx/wire";

export const MSG_SEND_TYPE_URL = "/cosmos.bank.v1beta1.MsgSend";
export const MSG_MULTI_SEND_TYPE_URL = "/cosmos.bank.v1beta1.MsgMultiSend";

export const MsgSendSchema: MessageSchema = {
  name: "cosmos.bank.v1beta1.MsgSend",
  fields: {
    1: { name: "from_address", kind: "string" },
    2: { name: "to_address", kind: "string" },
    3: { name: "amount", kind: "message", repeated: true, message: () => CoinSchema },
  },
};

const IOSchema = (name: string): MessageSchema => ({
  name,
  fields: {
    1: { name: "address", kind: "string" },
    2: { name: "coins", kind: "message", repeated: true, message: () => CoinSchema },
  },
});
export const InputSchema = IOSchema("cosmos.bank.v1beta1.Input");
export const OutputSchema = IOSchema("cosmos.bank.v1beta1.Output");

export const MsgMultiSendSchema: MessageSchema = {
  name: "cosmos.bank.v1beta1.MsgMultiSend",
  fields: {
    1: { name: "inputs", kind: "message", repeated: true, message: () => InputSchema },
    2: { name: "outputs", kind: "message", repeated: true, message: () => OutputSchema },
  },
};

/** Amino JSON of a coin list ("legacy_coins": never null, `[]` when empty). */
export function coinsToAmino(coins: readonly Coin[]): Array<Record<string, string>> {
  return coins.map((c) => {
    const out: Record<string, string> = { amount: c.amount === "" ? "0" : c.amount };
    if (c.denom !== "") out.denom = c.denom;
    return out;
  });
}

/** Sets `key` to `value` unless it is the empty string (amino omitempty for strings). */
function putString(obj: Record<string, unknown>, key: string, value: string): void {
  if (value !== "") obj[key] = value;
}

export const msgSendCodec: MsgCodec<MsgSend> = {
  decode: (bytes) => MsgSend.decode(bytes),
  aminoType: "cosmos-sdk/MsgSend",
  toAmino(msg) {
    const out: Record<string, unknown> = {};
    putString(out, "from_address", msg.fromAddress);
    putString(out, "to_address", msg.toAddress);
    out.amount = coinsToAmino(msg.amount);
    return out;
  },
  schema: MsgSendSchema,
};

export const msgMultiSendCodec: MsgCodec<MsgMultiSend> = {
  decode: (bytes) => MsgMultiSend.decode(bytes),
  aminoType: "cosmos-sdk/MsgMultiSend",
  toAmino(msg) {
    const io = (x: { address: string; coins: Coin[] }): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      putString(out, "address", x.address);
      out.coins = coinsToAmino(x.coins);
      return out;
    };
    return { inputs: msg.inputs.map(io), outputs: msg.outputs.map(io) };
  },
  schema: MsgMultiSendSchema,
};

/** Registers MsgSend and MsgMultiSend. */
export function registerBankMsgs(registry: MsgRegistry): MsgRegistry {
  registry.register(MSG_SEND_TYPE_URL, msgSendCodec);
  registry.register(MSG_MULTI_SEND_TYPE_URL, msgMultiSendCodec);
  return registry;
}
