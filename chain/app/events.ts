import type { Event } from "cosmjs-types/tendermint/abci/types";

export type Attributes = ReadonlyArray<readonly [key: string, value: string]>;

/** Collects ABCI events in emission order. Attributes are indexed unless listed in `unindexed`. */
export class EventManager {
  readonly events: Event[] = [];

  emit(type: string, attributes: Attributes, unindexed: readonly string[] = []): void {
    this.events.push({
      type,
      attributes: attributes.map(([key, value]) => ({ key, value, index: !unindexed.includes(key) })),
    });
  }

  append(events: readonly Event[]): void {
    this.events.push(...events);
  }
}
