import type { KeyRange, KVStore } from "./types";

/** The exclusive end of the key range of all keys that start with `prefix` (undefined: no end). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

/** A view of `parent` restricted to keys under `prefix`, with the prefix stripped (the SDK's prefix.Store). */
export class PrefixStore implements KVStore {
  constructor(
    private readonly parent: KVStore,
    private readonly prefix: Uint8Array,
  ) {}

  private key(key: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.prefix.length + key.length);
    out.set(this.prefix);
    out.set(key, this.prefix.length);
    return out;
  }

  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.parent.get(this.key(key));
  }
  has(key: Uint8Array): Promise<boolean> {
    return this.parent.has(this.key(key));
  }
  set(key: Uint8Array, value: Uint8Array): void {
    this.parent.set(this.key(key), value);
  }
  delete(key: Uint8Array): void {
    this.parent.delete(this.key(key));
  }
  async *iterate(range: KeyRange = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    const start = this.key(range.start ?? new Uint8Array());
    const end = range.end !== undefined ? this.key(range.end) : prefixEnd(this.prefix);
    const n = this.prefix.length;
    for await (const [key, value] of this.parent.iterate({ start, end, reverse: range.reverse, limit: range.limit })) yield [key.subarray(n), value];
  }
}
