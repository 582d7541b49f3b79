/**
 * A small protobuf wire-format walker, used to hold txs to the checks the Cosmos SDK's decoder
 * makes before unmarshalling (codec/unknownproto and ADR-027 for TxRaw):
 *  - no unknown fields (in TxBody, fields with bit 11 set, numbers >= 1024 with that bit, are
 *    "non-critical" and may be tolerated),
 *  - every known field has the wire type its declaration implies,
 *  - no groups, nothing truncated.
 * Beyond the SDK, singular fields may not repeat (protobuf would merge or overwrite them, and Go
 * and JS decoders differ in which), and proto3 strings must be valid UTF-8 (as protobuf-go, which
 * x/tx signing decodes with, requires).
 */

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  Bytes: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

export type FieldKind = "varint" | "fixed64" | "fixed32" | "bytes" | "string" | "message" | "any";

export interface FieldSchema {
  name: string;
  kind: FieldKind;
  repeated?: boolean;
  /** For kind "message": the nested message's schema (a thunk allows recursive types). */
  message?: () => MessageSchema;
}

export interface MessageSchema {
  /** Full protobuf name, for error messages. */
  name: string;
  fields: Readonly<Record<number, FieldSchema>>;
}

/** Resolves the schema of an Any's packed message by type URL; undefined = unknown type. */
export type AnyResolver = (typeUrl: string) => MessageSchema | "unchecked" | undefined;

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

/** A varint read from `buf` at `pos`: its value and the position after it. */
export interface VarintRead {
  value: bigint;
  next: number;
  /** True if the encoding used more bytes than needed. */
  padded: boolean;
}

export function readVarint(buf: Uint8Array, pos: number): VarintRead {
  let value = 0n;
  let shift = 0n;
  const start = pos;
  for (;;) {
    if (pos >= buf.length) throw new WireError("unexpected end of data in varint");
    if (pos - start >= 10) throw new WireError("varint overflows 64 bits");
    const b = buf[pos++]!;
    value |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) {
      if (pos - start === 10 && b > 1) throw new WireError("varint overflows 64 bits");
      const padded = pos - start > 1 && b === 0;
      return { value, next: pos, padded };
    }
  }
}

export interface RawField {
  fieldNumber: number;
  wireType: number;
  /** For Bytes: the payload; for others: the raw value bytes. */
  data: Uint8Array;
  /** For Varint: the value. */
  varint?: bigint;
  /** True if the tag or (for Varint/Bytes) the value/length varint was not minimally encoded. */
  padded: boolean;
}

/** Splits a message into its fields, in wire order. Throws WireError on malformed input. */
export function readFields(buf: Uint8Array): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const tag = readVarint(buf, pos);
    pos = tag.next;
    if (tag.value > 0xffffffffn) throw new WireError("tag overflows 32 bits");
    const fieldNumber = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (fieldNumber < 1 || fieldNumber > 536870911) throw new WireError(`invalid field number ${fieldNumber}`);
    switch (wireType) {
      case WireType.Varint: {
        const v = readVarint(buf, pos);
        out.push({ fieldNumber, wireType, data: buf.subarray(pos, v.next), varint: v.value, padded: tag.padded || v.padded });
        pos = v.next;
        break;
      }
      case WireType.Fixed64:
        if (pos + 8 > buf.length) throw new WireError("unexpected end of data in fixed64");
        out.push({ fieldNumber, wireType, data: buf.subarray(pos, pos + 8), padded: tag.padded });
        pos += 8;
        break;
      case WireType.Fixed32:
        if (pos + 4 > buf.length) throw new WireError("unexpected end of data in fixed32");
        out.push({ fieldNumber, wireType, data: buf.subarray(pos, pos + 4), padded: tag.padded });
        pos += 4;
        break;
      case WireType.Bytes: {
        const len = readVarint(buf, pos);
        const end = len.next + Number(len.value);
        if (len.value > BigInt(buf.length) || end > buf.length) throw new WireError("length-delimited field runs past the end of data");
        out.push({ fieldNumber, wireType, data: buf.subarray(len.next, end), padded: tag.padded || len.padded });
        pos = end;
        break;
      }
      case WireType.StartGroup:
      case WireType.EndGroup:
        throw new WireError(`field ${fieldNumber}: groups are not supported`);
      default:
        throw new WireError(`field ${fieldNumber}: invalid wire type ${wireType}`);
    }
  }
  return out;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function expectedWireType(kind: FieldKind): WireType {
  switch (kind) {
    case "varint":
      return WireType.Varint;
    case "fixed64":
      return WireType.Fixed64;
    case "fixed32":
      return WireType.Fixed32;
    default:
      return WireType.Bytes;
  }
}

/** Bit 11 of a field number marks a TxBody field as non-critical (ADR-020). */
export const NON_CRITICAL_FIELD_BIT = 1 << 10;

export interface CheckOptions {
  /** Tolerate unknown fields whose number has the non-critical bit set (only for TxBody in the SDK). */
  allowNonCritical: boolean;
  resolveAny: AnyResolver;
}

export interface CheckResult {
  /** True if unknown non-critical fields were found (and tolerated). */
  hasUnknownNonCriticals: boolean;
}

/**
 * Checks `buf` against `schema` recursively (through nested messages and resolvable Anys).
 * Throws WireError naming the offending field.
 */
export function checkMessage(buf: Uint8Array, schema: MessageSchema, opts: CheckOptions, depth = 0): CheckResult {
  if (depth > 32) throw new WireError("message nesting is too deep");
  let hasUnknownNonCriticals = false;
  const seen = new Set<number>();
  for (const f of readFields(buf)) {
    const decl = schema.fields[f.fieldNumber];
    if (!decl) {
      const nonCritical = (f.fieldNumber & NON_CRITICAL_FIELD_BIT) !== 0;
      if (nonCritical && opts.allowNonCritical) {
        hasUnknownNonCriticals = true;
        continue;
      }
      throw new WireError(
        `unknown ${nonCritical ? "non-critical " : ""}field ${f.fieldNumber} (wire type ${f.wireType}) in ${schema.name}`,
      );
    }
    const want = expectedWireType(decl.kind);
    if (f.wireType !== want) {
      throw new WireError(`${schema.name}.${decl.name}: wire type ${f.wireType}, expected ${want}`);
    }
    if (!decl.repeated) {
      if (seen.has(f.fieldNumber)) throw new WireError(`${schema.name}.${decl.name}: singular field appears more than once`);
      seen.add(f.fieldNumber);
    }
    switch (decl.kind) {
      case "string":
        try {
          utf8.decode(f.data);
        } catch {
          throw new WireError(`${schema.name}.${decl.name}: string is not valid UTF-8`);
        }
        break;
      case "message": {
        if (!decl.message) throw new Error(`schema ${schema.name}.${decl.name} lacks its message schema`);
        const r = checkMessage(f.data, decl.message(), opts, depth + 1);
        hasUnknownNonCriticals ||= r.hasUnknownNonCriticals;
        break;
      }
      case "any": {
        const r = checkAny(f.data, opts, depth + 1, `${schema.name}.${decl.name}`);
        hasUnknownNonCriticals ||= r.hasUnknownNonCriticals;
        break;
      }
      default:
        break;
    }
  }
  return { hasUnknownNonCriticals };
}

function checkAny(buf: Uint8Array, opts: CheckOptions, depth: number, where: string): CheckResult {
  checkMessage(buf, AnySchema, opts, depth);
  let typeUrl = "";
  let value: Uint8Array = new Uint8Array();
  for (const f of readFields(buf)) {
    if (f.fieldNumber === 1) typeUrl = utf8.decode(f.data);
    else if (f.fieldNumber === 2) value = f.data;
  }
  const schema = opts.resolveAny(typeUrl);
  if (schema === undefined) throw new WireError(`${where}: unable to resolve type URL ${typeUrl}`);
  if (schema === "unchecked") return { hasUnknownNonCriticals: false };
  return checkMessage(value, schema, opts, depth);
}

// ---- schemas of the messages a tx envelope is made of (cosmos-sdk v0.50 protos) ----

export const AnySchema: MessageSchema = {
  name: "google.protobuf.Any",
  fields: { 1: { name: "type_url", kind: "string" }, 2: { name: "value", kind: "bytes" } },
};

export const CoinSchema: MessageSchema = {
  name: "cosmos.base.v1beta1.Coin",
  fields: { 1: { name: "denom", kind: "string" }, 2: { name: "amount", kind: "string" } },
};

export const TxRawSchema: MessageSchema = {
  name: "cosmos.tx.v1beta1.TxRaw",
  fields: {
    1: { name: "body_bytes", kind: "bytes" },
    2: { name: "auth_info_bytes", kind: "bytes" },
    3: { name: "signatures", kind: "bytes", repeated: true },
  },
};

export const TxBodySchema: MessageSchema = {
  name: "cosmos.tx.v1beta1.TxBody",
  fields: {
    1: { name: "messages", kind: "any", repeated: true },
    2: { name: "memo", kind: "string" },
    3: { name: "timeout_height", kind: "varint" },
    1023: { name: "extension_options", kind: "any", repeated: true },
    2047: { name: "non_critical_extension_options", kind: "any", repeated: true },
  },
};

export const CompactBitArraySchema: MessageSchema = {
  name: "cosmos.crypto.multisig.v1beta1.CompactBitArray",
  fields: { 1: { name: "extra_bits_stored", kind: "varint" }, 2: { name: "elems", kind: "bytes" } },
};

export const ModeInfoSingleSchema: MessageSchema = {
  name: "cosmos.tx.v1beta1.ModeInfo.Single",
  fields: { 1: { name: "mode", kind: "varint" } },
};

export const ModeInfoMultiSchema: MessageSchema = {
  name: "cosmos.tx.v1beta1.ModeInfo.Multi",
  fields: {
    1: { name: "bitarray", kind: "message", message: () => CompactBitArraySchema },
    2: { name: "mode_infos", kind: "message", repeated: true, message: () => ModeInfoSchema },
  },
};

export const ModeInfoSchema: MessageSchema = {
  name: "cosmos.tx.v1beta1.ModeInfo",
  fields: {
    1: { name: "single", kind: "message", message: () => ModeInfoSingleSchema },
    2: { name: "multi", kind: "message", message: () => ModeInfoMultiSchema },
  },
};

export const SignerInfoSchema: MessageSchema = {
  name: "cosmos.tx.v1beta1.SignerInfo",
  fields: {
    1: { name: "public_key", kind: "any" },
    2: { name: "mode_info", kind: "message", message: () => ModeInfoSchema },
    3: { name: "sequence", kind: "varint" },
  },
};

export const FeeSchema: MessageSchema = {
  name: "cosmos.tx.v1beta1.Fee",
  fields: {
    1: { name: "amount", kind: "message", repeated: true, message: () => CoinSchema },
    2: { name: "gas_limit", kind: "varint" },
    3: { name: "payer", kind: "string" },
    4: { name: "granter", kind: "string" },
  },
};

export const TipSchema: MessageSchema = {
  name: "cosmos.tx.v1beta1.Tip",
  fields: {
    1: { name: "amount", kind: "message", repeated: true, message: () => CoinSchema },
    2: { name: "tipper", kind: "string" },
  },
};

export const AuthInfoSchema: MessageSchema = {
  name: "cosmos.tx.v1beta1.AuthInfo",
  fields: {
    1: { name: "signer_infos", kind: "message", repeated: true, message: () => SignerInfoSchema },
    2: { name: "fee", kind: "message", message: () => FeeSchema },
    3: { name: "tip", kind: "message", message: () => TipSchema },
  },
};

/** cosmos.crypto.{secp256k1,ed25519,secp256r1}.PubKey all have one bytes field `key`. */
export const KeyBytesPubKeySchema = (name: string): MessageSchema => ({ name, fields: { 1: { name: "key", kind: "bytes" } } });

export const LegacyAminoPubKeySchema: MessageSchema = {
  name: "cosmos.crypto.multisig.LegacyAminoPubKey",
  fields: { 1: { name: "threshold", kind: "varint" }, 2: { name: "public_keys", kind: "any", repeated: true } },
};

export const SECP256K1_PUBKEY_TYPE_URL = "/cosmos.crypto.secp256k1.PubKey";
export const ED25519_PUBKEY_TYPE_URL = "/cosmos.crypto.ed25519.PubKey";
export const SECP256R1_PUBKEY_TYPE_URL = "/cosmos.crypto.secp256r1.PubKey";
export const MULTISIG_PUBKEY_TYPE_URL = "/cosmos.crypto.multisig.LegacyAminoPubKey";

/** The public key types the SDK's interface registry knows (which decode, even if only secp256k1 can sign here). */
export const PUBKEY_SCHEMAS: ReadonlyMap<string, MessageSchema> = new Map([
  [SECP256K1_PUBKEY_TYPE_URL, KeyBytesPubKeySchema("cosmos.crypto.secp256k1.PubKey")],
  [ED25519_PUBKEY_TYPE_URL, KeyBytesPubKeySchema("cosmos.crypto.ed25519.PubKey")],
  [SECP256R1_PUBKEY_TYPE_URL, KeyBytesPubKeySchema("cosmos.crypto.secp256r1.PubKey")],
  [MULTISIG_PUBKEY_TYPE_URL, LegacyAminoPubKeySchema],
]);

/**
 * ADR-027 checks for TxRaw, as the SDK's rejectNonADR027TxRaw: only bytes fields, field numbers
 * ascending, body_bytes and auth_info_bytes at most once, tags and lengths minimally encoded.
 */
export function checkTxRawAdr027(buf: Uint8Array): void {
  let prev = 0;
  for (const f of readFields(buf)) {
    if (f.wireType !== WireType.Bytes) throw new WireError(`expected 2 wire type, got ${f.wireType}`);
    if (f.fieldNumber < prev) throw new WireError(`txRaw must follow ADR-027, got tagNum ${f.fieldNumber} after tagNum ${prev}`);
    if (f.fieldNumber === prev && f.fieldNumber !== 3) {
      throw new WireError(`txRaw must follow ADR-027, field ${f.fieldNumber} appears more than once`);
    }
    if (f.padded) throw new WireError("length prefix varint for tagNum must use the least bytes possible");
    prev = f.fieldNumber;
  }
}
