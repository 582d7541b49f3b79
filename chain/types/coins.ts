import type { Coin as ProtoCoin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import { sdkErrors } from "../tx/errors";

/** A coin with an exact integer amount; amounts never go through floating point. */
export interface Coin {
  denom: string;
  amount: bigint;
}

// The SDK's default denom pattern (types/coin.go reDnmString).
const denomPattern = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;
const coinPattern = /^([0-9]+)([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$/;
const maxAmount = (1n << 256n) - 1n;

export function validateDenom(denom: string): void {
  if (!denomPattern.test(denom)) throw sdkErrors.ErrInvalidCoins.wrap(`invalid denom: ${denom}`);
}

export function parseAmount(amount: string): bigint {
  if (!/^[0-9]+$/.test(amount)) throw sdkErrors.ErrInvalidCoins.wrap(`invalid amount: ${JSON.stringify(amount)}`);
  const value = BigInt(amount);
  if (value > maxAmount) throw sdkErrors.ErrInvalidCoins.wrap(`amount overflows 256 bits: ${amount}`);
  return value;
}

/** Protobuf coins from a tx or genesis → checked domain coins: valid denoms, positive, sorted, unique. */
export function fromProtoCoins(coins: readonly ProtoCoin[]): Coin[] {
  const out = coins.map((c) => {
    validateDenom(c.denom);
    return { denom: c.denom, amount: parseAmount(c.amount) };
  });
  validateCoins(out);
  return out;
}

export function toProtoCoins(coins: readonly Coin[]): ProtoCoin[] {
  return coins.map((c) => ({ denom: c.denom, amount: c.amount.toString() }));
}

/** The SDK's Coins.Validate: every amount positive, denoms strictly ascending. */
export function validateCoins(coins: readonly Coin[]): void {
  for (let i = 0; i < coins.length; i++) {
    if (coins[i].amount <= 0n) throw sdkErrors.ErrInvalidCoins.wrap(`coin ${coins[i].amount}${coins[i].denom} amount is not positive`);
    if (i > 0 && !(coins[i - 1].denom < coins[i].denom)) {
      throw sdkErrors.ErrInvalidCoins.wrap(`denomination ${coins[i].denom} is not sorted or repeated`);
    }
  }
}

/** The SDK's Coins.IsValid: valid denoms, every amount positive, denoms strictly ascending (none repeated). */
export function areValidCoins(coins: readonly Coin[]): boolean {
  return coins.every((c, i) => denomPattern.test(c.denom) && c.amount > 0n && (i === 0 || coins[i - 1].denom < c.denom));
}

/** "10upeg,5peg/btc-regtest" → sorted coins; how the CLI and genesis commands read amounts. */
export function parseCoins(text: string): Coin[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const coins = trimmed.split(",").map((part) => {
    const m = coinPattern.exec(part.trim());
    if (!m) throw sdkErrors.ErrInvalidCoins.wrap(`invalid coin expression: ${part}`);
    return { denom: m[2], amount: parseAmount(m[1]) };
  });
  coins.sort((a, b) => (a.denom < b.denom ? -1 : a.denom > b.denom ? 1 : 0));
  validateCoins(coins);
  return coins;
}

export function formatCoins(coins: readonly Coin[]): string {
  return coins.map((c) => `${c.amount}${c.denom}`).join(",");
}

/** Sum of two sorted coin lists, sorted. */
export function addCoins(a: readonly Coin[], b: readonly Coin[]): Coin[] {
  const sums = new Map<string, bigint>();
  for (const c of [...a, ...b]) sums.set(c.denom, (sums.get(c.denom) ?? 0n) + c.amount);
  return [...sums.entries()]
    .filter(([, amount]) => amount !== 0n)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([denom, amount]) => ({ denom, amount }));
}
