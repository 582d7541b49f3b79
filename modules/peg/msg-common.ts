/** What every peg message handler and query shares: responses, id checks, time and the light clients' refusals. */
import type { Any } from "cosmjs-types/google/protobuf/any";
import type { Context } from "../../chain/app/context";
import type { RegisteredError } from "../../chain/tx/errors";
import { parseAddress } from "../../chain/crypto/address";
import { sdkErrors } from "../../chain/tx/errors";
import { pegErrors } from "./errors";
import type { MainChain, PegKeeper } from "./keeper";

export function response(typeUrl: string, value: Uint8Array): Any {
  return { typeUrl: `${typeUrl}Response`, value };
}

export function requireMainchainId(id: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(id)) throw pegErrors.ErrUnknownMainChain.wrap(`invalid main-chain id ${JSON.stringify(id)}`);
}

/** Pegzone's block time in unix nanoseconds: the light clients' only "now". */
export function blockTimeNanos(ctx: Context): bigint {
  return BigInt(ctx.header.time.seconds) * 1_000_000_000n + BigInt(ctx.header.time.nanos);
}

/** A light client's refusal (an Error with a `reason`) as a peg error; anything else is rethrown as it is. */
export function asPegError(err: unknown, as: RegisteredError): never {
  if (err instanceof Error && typeof (err as { reason?: unknown }).reason === "string") throw as.wrap(err.message, err);
  throw err;
}

/** A deposit recipient: a pegzone account address (20 bytes), the only kind a deposit script can name. */
export function recipientAddress(bech32: string): Uint8Array {
  const bytes = parseAddress(bech32, "recipient");
  if (bytes.length !== 20) throw sdkErrors.ErrInvalidAddress.wrap(`recipient ${bech32} is a ${bytes.length}-byte address; deposits name a 20-byte account address`);
  return bytes;
}

export async function requireNotFrozen(ctx: Context, keeper: PegKeeper, chain: MainChain): Promise<void> {
  const freeze = await keeper.getFreeze(ctx, chain.id);
  if (freeze.frozen) throw pegErrors.ErrFrozen.wrap(`${chain.id} since height ${freeze.height}: ${freeze.reason}`);
}

