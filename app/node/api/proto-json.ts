/**
 * Protobuf messages as the SDK's REST server writes them (gogoproto jsonpb with OrigName and
 * EmitDefaults, behind grpc-gateway): field names as in the .proto (snake_case), every field
 * present, unset messages as null, 64-bit integers as strings, bytes as base64 (empty as null, as
 * Go's nil slices), enums by name, Timestamps in RFC 3339, Any as {"@type": url, ...its fields}.
 *
 * One walker serves both kinds of generated code pegzone has (cosmjs-types for the SDK's types,
 * protobufjs static code for pegzone's own): it reads a decoded message beside the codec's own plain
 * form. The decoded value says what a field holds (bytes, a bigint, an Any, a map); the plain form
 * supplies what only the schema knows (an enum's name, a 64-bit integer protobufjs decoded as a number).
 */

/** A message type the walker can render. */
export interface JsonType {
  decode(bytes: Uint8Array): object;
  /** The codec's plain form of a decoded message: camelCase keys, enums by name, 64-bit integers as strings. */
  plain(message: object): Record<string, unknown>;
}

/** The codec of an Any's type URL, if known. */
export type TypeResolver = (typeUrl: string) => JsonType | undefined;

/** A cosmjs-types (telescope) codec: `toJSON` names enums and writes 64-bit integers as strings. */
export function cosmjsType<T extends object>(codec: { decode(bytes: Uint8Array): T; toJSON(message: T): unknown }): JsonType {
  return { decode: (b) => codec.decode(b), plain: (m) => codec.toJSON(m as T) as Record<string, unknown> };
}

const PBJS_PLAIN = { longs: String, enums: String, bytes: String, defaults: true, arrays: true, objects: true } as const;

/** A protobufjs static type: `toObject` with every field, enums by name, 64-bit integers as strings. */
export function pbjsType<T extends object>(type: { decode(bytes: Uint8Array): T; toObject(message: T, options: object): Record<string, unknown> }): JsonType {
  return { decode: (b) => type.decode(b), plain: (m) => type.toObject(m as T, PBJS_PLAIN) };
}

/** The proto3 JSON of `bytes`, a message of `type`. */
export function protoJson(type: JsonType, bytes: Uint8Array, resolve: TypeResolver): Record<string, unknown> {
  const message = type.decode(bytes);
  return messageJson(message, type.plain(message), resolve);
}

/**
 * cosmjs-types keep no trace of oneofs: the messages made of one oneof that the rendered types
 * hold, by their fields (cosmos.tx.v1beta1.ModeInfo's `sum`, tendermint.types.Evidence's and
 * tendermint.crypto.PublicKey's `sum`). pegzone's own .proto files have none.
 */
const COSMJS_ONEOFS: ReadonlyArray<readonly string[]> = [
  ["single", "multi"],
  ["duplicateVoteEvidence", "lightClientAttackEvidence"],
  ["ed25519", "secp256k1"],
];

function messageJson(decoded: object, plain: Record<string, unknown>, resolve: TypeResolver): Record<string, unknown> {
  const fields = decoded as Record<string, unknown>;
  // protobufjs messages are class instances whose maps are plain objects; cosmjs-types' have no maps here.
  const generated = Object.getPrototypeOf(decoded) !== Object.prototype;
  const out: Record<string, unknown> = {};
  // In field order: cosmjs-types decode every field as an own key in that order; protobufjs classes
  // declare their fields' defaults on the prototype in that order (its plain form lists maps first).
  const order = generated ? Object.keys(Object.getPrototypeOf(decoded) as object).filter((k) => k in plain) : Object.keys(fields);
  const oneof = generated ? undefined : COSMJS_ONEOFS.find((members) => members.length === order.length && members.every((m) => order.includes(m)));
  for (const key of new Set([...order, ...Object.keys(plain), ...Object.keys(fields)])) {
    if (key === "$unknowns" || typeof fields[key] === "function") continue;
    // jsonpb writes only the member of a oneof that is set
    if (oneof !== undefined && fields[key] === undefined) continue;
    const value = fields[key];
    out[snakeCase(key)] = generated && isPlainObject(value) ? { ...(plain[key] as object) } : valueJson(value, plain[key], resolve);
  }
  return out;
}

function valueJson(value: unknown, plain: unknown, resolve: TypeResolver): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) return value.length === 0 ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (typeof value === "bigint") return value.toString();
  // enums (by name) and protobufjs' 64-bit integers come as strings in the plain form
  if (typeof value === "number") return typeof plain === "string" ? plain : value;
  if (typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v, i) => valueJson(v, Array.isArray(plain) ? plain[i] : undefined, resolve));
  const any = asAny(value);
  if (any !== undefined) return anyJson(any.typeUrl, any.value, resolve);
  if (typeof plain === "string" && isTimestamp(value)) return rfc3339(value.seconds, value.nanos);
  // a protobufjs 64-bit default made while Long was loaded (pegzone decodes them as numbers otherwise)
  if (isLong(value)) return typeof plain === "string" ? plain : String(value);
  return messageJson(value, (typeof plain === "object" && plain !== null ? plain : {}) as Record<string, unknown>, resolve);
}

/** An Any as jsonpb writes it: the packed message's fields after "@type". An unknown type keeps its bytes. */
export function anyJson(typeUrl: string, value: Uint8Array, resolve: TypeResolver): Record<string, unknown> {
  const type = resolve(typeUrl);
  if (type === undefined) return { "@type": typeUrl, value: valueJson(value, undefined, resolve) };
  return { "@type": typeUrl, ...protoJson(type, value, resolve) };
}

function asAny(value: object): { typeUrl: string; value: Uint8Array } | undefined {
  const v = value as { typeUrl?: unknown; type_url?: unknown; value?: unknown };
  const typeUrl = v.typeUrl ?? v.type_url;
  const keys = Object.keys(value).filter((k) => k !== "$unknowns");
  if (typeof typeUrl !== "string" || !keys.every((k) => k === "typeUrl" || k === "type_url" || k === "value")) return undefined;
  return { typeUrl, value: v.value instanceof Uint8Array ? v.value : new Uint8Array() };
}

function isTimestamp(value: object): value is { seconds: bigint; nanos: number } {
  const v = value as { seconds?: unknown; nanos?: unknown };
  return typeof v.seconds === "bigint" && typeof v.nanos === "number" && Object.keys(value).length === 2;
}

function isLong(value: object): boolean {
  const v = value as { low?: unknown; high?: unknown; unsigned?: unknown };
  return typeof v.low === "number" && typeof v.high === "number" && typeof v.unsigned === "boolean";
}

function isPlainObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && Object.getPrototypeOf(value) === Object.prototype;
}

/** A proto field name from its camelCase form (cosmjs-types and protobufjs camel-case them). */
export function snakeCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A Timestamp as Go's jsonpb writes it: UTC, with 0, 3, 6 or 9 fraction digits. */
export function rfc3339(seconds: bigint, nanos: number): string {
  const date = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const fraction = String(nanos).padStart(9, "0").replace(/(000)+$/, "");
  return `${date}${fraction === "" ? "" : `.${fraction}`}Z`;
}
