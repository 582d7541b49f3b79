import type { KVStore, KeyRange, MultiStore } from "../store/types";

/** Thrown when a gas meter runs over its limit; the tx runner turns it into SDK error 11. */
export class OutOfGasError extends Error {
  constructor(readonly descriptor: string, readonly limit: bigint) {
    super(`out of gas in location: ${descriptor}; gasWanted: ${limit}`);
  }
}

export interface GasMeter {
  readonly consumed: bigint;
  readonly limit: bigint | undefined;
  consume(amount: bigint, descriptor: string): void;
}

export class BasicGasMeter implements GasMeter {
  consumed = 0n;
  constructor(readonly limit: bigint) {}
  consume(amount: bigint, descriptor: string): void {
    this.consumed += amount;
    if (this.consumed > this.limit) throw new OutOfGasError(descriptor, this.limit);
  }
}

/** For genesis, begin and end block: counts without a limit. */
export class InfiniteGasMeter implements GasMeter {
  consumed = 0n;
  readonly limit = undefined;
  consume(amount: bigint): void {
    this.consumed += amount;
  }
}

/** The Cosmos SDK's default KV gas costs, so gas estimates from SDK chains carry over. */
export const kvGasCosts = {
  hasCost: 1000n,
  deleteCost: 1000n,
  readCostFlat: 1000n,
  readCostPerByte: 3n,
  writeCostFlat: 2000n,
  writeCostPerByte: 30n,
  iterNextCostFlat: 30n,
} as const;

class GasKVStore implements KVStore {
  constructor(private readonly parent: KVStore, private readonly meter: GasMeter) {}

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.meter.consume(kvGasCosts.readCostFlat, "ReadFlat");
    const value = await this.parent.get(key);
    this.meter.consume(kvGasCosts.readCostPerByte * BigInt(key.length), "ReadPerByte");
    this.meter.consume(kvGasCosts.readCostPerByte * BigInt(value?.length ?? 0), "ReadPerByte");
    return value;
  }

  has(key: Uint8Array): Promise<boolean> {
    this.meter.consume(kvGasCosts.hasCost, "Has");
    return this.parent.has(key);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.meter.consume(kvGasCosts.writeCostFlat, "WriteFlat");
    this.meter.consume(kvGasCosts.writeCostPerByte * BigInt(key.length), "WritePerByte");
    this.meter.consume(kvGasCosts.writeCostPerByte * BigInt(value.length), "WritePerByte");
    this.parent.set(key, value);
  }

  delete(key: Uint8Array): void {
    this.meter.consume(kvGasCosts.deleteCost, "Delete");
    this.parent.delete(key);
  }

  async *iterate(range?: KeyRange): AsyncIterable<[Uint8Array, Uint8Array]> {
    for await (const [key, value] of this.parent.iterate(range)) {
      this.meter.consume(kvGasCosts.iterNextCostFlat, "IterNextFlat");
      this.meter.consume(kvGasCosts.readCostPerByte * BigInt(key.length + value.length), "ValuePerByte");
      yield [key, value];
    }
  }
}

/** Charges every store access made through it to `meter`, as the SDK's gaskv store does. */
export function gasMetered(parent: MultiStore, meter: GasMeter): MultiStore {
  const stores = new Map<string, KVStore>();
  return {
    store(name: string): KVStore {
      let s = stores.get(name);
      if (!s) {
        s = new GasKVStore(parent.store(name), meter);
        stores.set(name, s);
      }
      return s;
    },
  };
}
