/**
 * What one message of a Hub tx transfers: the tx (cosmos.tx.v1beta1 TxRaw → TxBody) decoded, its
 * message at an index read as a bank transfer (`MsgSend`, or `MsgMultiSend` whose outputs are
 * counted one by one), with the amount of one denom each output receives (other denoms in the same
 * coin list are ignored) and the tx's memo.
 *
 * Every protobuf layer must be in its canonical encoding (the one Go's gogoproto and cosmjs-types
 * write, and what every wallet produces): bytes that re-encode differently — unknown fields,
 * duplicated fields that Go would merge and JavaScript would replace, non-minimal varints — are
 * refused ("bad-tx") rather than read in a way the Hub may not have read them. The tx was already
 * executed successfully by the Hub, so its addresses are valid bech32 and its coins valid; they
 * are compared as account bytes (an address written in uppercase pays the same account).
 */
import { bech32 } from "@scure/base";
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import type { Coin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { bytesEqual } from "../../../chain/store/bytes";
import { refuse } from "./deposit-proof";

export const MSG_SEND = "/cosmos.bank.v1beta1.MsgSend";
export const MSG_MULTI_SEND = "/cosmos.bank.v1beta1.MsgMultiSend";

/** An address of the message: as written, and its account bytes (undefined if it is no bech32 account address). */
export interface TransferParty {
  readonly address: string;
  readonly account: Uint8Array | undefined;
}

export interface TransferOutput extends TransferParty {
  /** How much of the denom asked for it receives (0 when none). */
  readonly amount: bigint;
}

export interface Transfer {
  readonly typeUrl: string;
  /** TxBody.memo, exactly as signed. */
  readonly memo: string;
  /** from_address, or MsgMultiSend's inputs. */
  readonly senders: readonly TransferParty[];
  /** to_address, or MsgMultiSend's outputs, in order. */
  readonly outputs: readonly TransferOutput[];
}

interface Codec<T> {
  decode(b: Uint8Array): T;
  encode(m: T): { finish(): Uint8Array };
}

function canonical<T>(bytes: Uint8Array, codec: Codec<T>, what: string): T {
  let m: T;
  try {
    m = codec.decode(bytes);
  } catch (e) {
    refuse("bad-tx", `${what} does not decode: ${(e as Error).message}`);
  }
  if (!bytesEqual(codec.encode(m).finish(), bytes)) refuse("bad-tx", `${what} is not canonically encoded (unknown or repeated fields, or a non-minimal encoding)`);
  return m;
}

/** The account bytes of a bech32 address of any prefix (20 or 32 bytes), or undefined. */
export function accountBytes(address: string): Uint8Array | undefined {
  try {
    const { words } = bech32.decode(address as `${string}1${string}`, 1023);
    const bytes = bech32.fromWords(words);
    return bytes.length === 20 || bytes.length === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

const AMOUNT = /^[0-9]{1,78}$/;

/** The total of `denom` in `coins`; the other denoms are not looked at. */
function amountOf(coins: readonly Coin[], denom: string, what: string): bigint {
  let total = 0n;
  for (const c of coins) {
    if (c.denom !== denom) continue;
    if (!AMOUNT.test(c.amount)) refuse("bad-amount", `${what}: amount ${JSON.stringify(c.amount)} of ${denom} is not a decimal integer`);
    total += BigInt(c.amount);
  }
  return total;
}

const party = (address: string): TransferParty => ({ address, account: accountBytes(address) });

/** Message `msgIndex` of `tx` as a transfer of `denom`; throws a TendermintDepositError for anything else. */
export function decodeTransfer(tx: Uint8Array, msgIndex: number, denom: string): Transfer {
  const raw = canonical(tx, TxRaw, "TxRaw");
  const body = canonical(raw.bodyBytes, TxBody, "TxBody");
  const msg = body.messages[msgIndex];
  if (msg === undefined) refuse("no-such-message", `the tx has ${body.messages.length} message(s), no message ${msgIndex}`);
  const what = `message ${msgIndex} (${msg.typeUrl})`;
  if (msg.typeUrl === MSG_SEND) {
    const send = canonical(msg.value, MsgSend, what);
    return { typeUrl: msg.typeUrl, memo: body.memo, senders: [party(send.fromAddress)], outputs: [{ ...party(send.toAddress), amount: amountOf(send.amount, denom, what) }] };
  }
  if (msg.typeUrl === MSG_MULTI_SEND) {
    const multi = canonical(msg.value, MsgMultiSend, what);
    return {
      typeUrl: msg.typeUrl,
      memo: body.memo,
      senders: multi.inputs.map((i) => party(i.address)),
      outputs: multi.outputs.map((o, j) => ({ ...party(o.address), amount: amountOf(o.coins, denom, `${what} output ${j}`) })),
    };
  }
  refuse("not-a-transfer", `${what} is not a ${MSG_SEND} or ${MSG_MULTI_SEND}`);
}
