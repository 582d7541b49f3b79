import { sdkErrors } from "../tx/errors";
import { validateDenom, type Coin } from "./coins";

/** A gas price as an exact decimal: `amount / 10^18` per unit of gas, like the SDK's DecCoin. */
export interface DecCoin {
  denom: string;
  amount18: bigint;
}

const PRECISION = 18;
const ONE = 10n ** BigInt(PRECISION);

/** "0.0025upeg,1stake" → exact decimal prices; empty means no minimum. */
export function parseDecCoins(text: string): DecCoin[] {
  if (text.trim() === "") return [];
  return text.split(",").map((part) => {
    const m = /^([0-9]+)(?:\.([0-9]{1,18}))?([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$/.exec(part.trim());
    if (!m) throw sdkErrors.ErrInvalidCoins.wrap(`invalid decimal coin expression: ${part}`);
    validateDenom(m[3]);
    const fraction = (m[2] ?? "").padEnd(PRECISION, "0");
    return { denom: m[3], amount18: BigInt(m[1]) * ONE + BigInt(fraction) };
  });
}

/** The fee each gas price demands for `gasLimit`, rounded up, as the SDK's mempool fee check computes it. */
export function requiredFees(prices: readonly DecCoin[], gasLimit: bigint): Coin[] {
  return prices
    .filter((p) => p.amount18 > 0n)
    .map((p) => ({ denom: p.denom, amount: (p.amount18 * gasLimit + ONE - 1n) / ONE }));
}

/** True when the fee covers at least one of the required amounts (the SDK's IsAnyGTE). */
export function coversAny(fee: readonly Coin[], required: readonly Coin[]): boolean {
  if (required.length === 0) return true;
  return required.some((r) => fee.some((f) => f.denom === r.denom && f.amount >= r.amount));
}
