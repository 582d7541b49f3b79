/** Genesis files use the SDK's snake_case field names; cosmjs-types' JSON helpers use camelCase. */
export function camelKeys(value: unknown): unknown {
  return mapKeys(value, (k) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
}

export function snakeKeys(value: unknown): unknown {
  return mapKeys(value, (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
}

function mapKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => mapKeys(v, rename));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), mapKeys(v, rename)]));
  }
  return value;
}
