/**
 * The one error of the bitcoin release code (addresses, witness scripts, coin selection, building,
 * signing): every bad input throws a `ReleaseError` saying what is wrong.
 */
export class ReleaseError extends Error {
  override readonly name = "ReleaseError";
}

export function fail(message: string): never {
  throw new ReleaseError(message);
}
