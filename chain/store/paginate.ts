import type { PageRequest, PageResponse } from "cosmjs-types/cosmos/base/query/v1beta1/pagination";
import { sdkErrors } from "../tx/errors";
import { prefixEnd, PrefixStore } from "./prefix";
import type { KVStore } from "./types";

/** Entries per page when a request gives no limit, as the SDK's query.DefaultLimit. */
export const DEFAULT_PAGE_LIMIT = 100;

export interface Page {
  /** The page's entries in iteration order, keys relative to the collection and `within`. */
  entries: Array<[Uint8Array, Uint8Array]>;
  pagination: PageResponse;
}

/**
 * One page of a collection — the keys of `store` under `base`, restricted to those under `within`
 * (relative to base, e.g. one account's balances) — with the SDK's PageRequest semantics:
 * - `key` (a previous page's `next_key`) or `offset` (entries to skip), not both;
 * - `limit` entries, 100 when 0 (and then `count_total` is implied, as in the SDK);
 * - `reverse`: descending key order, a `key` being then the first (highest) key of the page;
 * - `next_key`: the key of the entry after the page (empty when there is none), relative to `base`
 *   as the SDK's collections encode a key, so it can be sent back as `key`;
 * - `total`: the number of entries, with `count_total` and no `key` (0 otherwise).
 * Reads stop after limit+1 entries unless a total is to be counted. A `key` outside `within` is
 * ErrInvalidRequest.
 */
export async function paginate(store: KVStore, base: Uint8Array, within: Uint8Array, page: PageRequest | undefined): Promise<Page> {
  const key = page?.key ?? new Uint8Array();
  const offset = page?.offset ?? 0n;
  let limit = page?.limit ?? 0n;
  let countTotal = page?.countTotal ?? false;
  const reverse = page?.reverse ?? false;
  if (key.length > 0 && offset > 0n) throw sdkErrors.ErrInvalidRequest.wrap("either offset or key is expected, got both");
  if (limit === 0n) {
    limit = BigInt(DEFAULT_PAGE_LIMIT);
    countTotal = true;
  }
  const collection = new PrefixStore(store, base);
  const end = within.length > 0 ? prefixEnd(within) : undefined;
  const start = within.length > 0 ? within : undefined;
  const take = clamp(limit);
  const entries: Array<[Uint8Array, Uint8Array]> = [];
  let nextKey = new Uint8Array();
  const strip = (k: Uint8Array) => Uint8Array.from(k.subarray(within.length));

  if (key.length > 0) {
    if (!startsWith(key, within)) throw sdkErrors.ErrInvalidRequest.wrap("invalid pagination key: not a key of this collection");
    const range = reverse ? { start, end: Buffer.concat([key, Uint8Array.of(0)]), reverse } : { start: key, end, reverse };
    for await (const [k, v] of collection.iterate({ ...range, limit: take + 1 })) {
      if (entries.length === take) {
        nextKey = Uint8Array.from(k);
        break;
      }
      entries.push([strip(k), v]);
    }
    return { entries, pagination: { nextKey, total: 0n } };
  }

  const skip = clamp(offset);
  let count = 0;
  const bound = countTotal ? undefined : clamp(offset + limit + 1n);
  for await (const [k, v] of collection.iterate({ start, end, reverse, limit: bound })) {
    count++;
    if (count <= skip) continue;
    if (count <= skip + take) entries.push([strip(k), v]);
    else if (count === skip + take + 1) {
      nextKey = Uint8Array.from(k);
      if (!countTotal) break;
    }
  }
  return { entries, pagination: { nextKey, total: countTotal ? BigInt(count) : 0n } };
}

function clamp(n: bigint): number {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  return key.length >= prefix.length && Buffer.compare(key.subarray(0, prefix.length), prefix) === 0;
}
