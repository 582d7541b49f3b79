/** Pages of the peg's list queries. */

/** A list query's page: where to start (relative to the list's prefix) and how many at most. */
export interface Page {
  key: Uint8Array;
  limit: number;
}

export interface Paged<T> {
  items: T[];
  /** Empty after the last page. */
  nextKey: Uint8Array;
}

/** A request's page with the defaults applied: 100 entries, at most 1,000. */
export function pageFrom(page: { key?: Uint8Array | null; limit?: number | null } | null | undefined): Page {
  const limit = page?.limit ?? 0;
  return { key: page?.key ?? new Uint8Array(), limit: limit === 0 ? 100 : Math.min(limit, 1000) };
}
