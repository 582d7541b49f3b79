/**
 * Message type registry: type URL → protobuf decoder and (optionally) the message's legacy amino
 * JSON form, used to build SIGN_MODE_LEGACY_AMINO_JSON sign bytes. An unregistered type URL in a
 * tx fails decoding with ErrTxDecode (sdk/2), as the SDK's interface registry makes it, and so does
 * a field the message does not declare (the SDK's unknownproto, ADR-020).
 */
import { Reader } from "protobufjs/minimal";
import { sdkErrors } from "./errors";
import { NON_CRITICAL_FIELD_BIT, readVarint, type MessageSchema } from "./wire";

export interface MsgCodec<T> {
  /** Decodes the message from its protobuf bytes (the Any's value). */
  decode(bytes: Uint8Array): T;
  /** The amino name, e.g. "cosmos-sdk/MsgSend". Needed for LEGACY_AMINO_JSON signing. */
  aminoType?: string;
  /**
   * The amino JSON `value` of the message: plain JSON values only (strings for 64-bit and big
   * integers, as amino writes them). Keys need not be sorted; sign bytes sort them.
   */
  toAmino?(msg: T): unknown;
  /**
   * The protobuf field layout, so that txs carrying unknown fields inside this message are
   * rejected like the SDK's unknownproto does. Codecs of protobufjs-generated types need none: their
   * decoders know their own fields and keep any other one (`$unknowns`) while the registry decodes,
   * which the registry then refuses. Any other codec without a schema is not checked for unknown
   * fields (its decoder simply skips them).
   */
  schema?: MessageSchema;
}

/** A message as it appears in a tx body. */
export interface BodyMessage {
  msg: unknown;
  /** It carried unknown non-critical fields (tolerated for DIRECT, refused by LEGACY_AMINO_JSON). */
  hasUnknownNonCriticals: boolean;
}

/** The amino JSON form of one message in a StdSignDoc. */
export interface AminoMsg {
  type: string;
  value: unknown;
}

export class MsgRegistry {
  private readonly codecs = new Map<string, MsgCodec<unknown>>();
  private readonly aminoTypes = new Map<string, string>();

  /** Registers a message type. Throws if the type URL or the amino name is already registered. */
  register<T>(typeUrl: string, codec: MsgCodec<T>): this {
    if (!/^\/[A-Za-z0-9_.]+$/.test(typeUrl)) throw new Error(`MsgRegistry: invalid type URL ${JSON.stringify(typeUrl)}`);
    if (this.codecs.has(typeUrl)) throw new Error(`MsgRegistry: ${typeUrl} is already registered`);
    if (codec.aminoType !== undefined) {
      const other = this.aminoTypes.get(codec.aminoType);
      if (other !== undefined) throw new Error(`MsgRegistry: amino type ${codec.aminoType} is already used by ${other}`);
      if (codec.toAmino === undefined) {
        // an amino name without a converter would sign as an empty object: refuse it
        throw new Error(`MsgRegistry: ${typeUrl} has an aminoType but no toAmino`);
      }
      this.aminoTypes.set(codec.aminoType, typeUrl);
    }
    this.codecs.set(typeUrl, codec as MsgCodec<unknown>);
    return this;
  }

  has(typeUrl: string): boolean {
    return this.codecs.has(typeUrl);
  }

  /** The codec for `typeUrl`, or undefined. */
  lookup(typeUrl: string): MsgCodec<unknown> | undefined {
    return this.codecs.get(typeUrl);
  }

  /** The codec for `typeUrl`; throws ErrTxDecode if it is not registered. */
  get(typeUrl: string): MsgCodec<unknown> {
    const codec = this.codecs.get(typeUrl);
    if (!codec) throw sdkErrors.ErrTxDecode.wrap(`unable to resolve type URL ${typeUrl}`);
    return codec;
  }

  /** The type URL registered under an amino name, or undefined. */
  typeUrlOfAminoType(aminoType: string): string | undefined {
    return this.aminoTypes.get(aminoType);
  }

  /**
   * Decodes a message; ErrTxDecode for an unknown type URL, bytes the codec rejects, or any field a
   * protobufjs-generated message does not declare (schemas are checked by decodeTx).
   */
  decode(typeUrl: string, value: Uint8Array): unknown {
    return this.decodeChecked(typeUrl, value, false).msg;
  }

  /**
   * Decodes a message of a tx body: as `decode`, but unknown non-critical fields (field numbers
   * with bit 11 set) are tolerated and reported, as the SDK's decoder does within TxBody.
   */
  decodeBodyMessage(typeUrl: string, value: Uint8Array): BodyMessage {
    return this.decodeChecked(typeUrl, value, true);
  }

  private decodeChecked(typeUrl: string, value: Uint8Array, allowNonCritical: boolean): BodyMessage {
    const codec = this.get(typeUrl);
    let msg: unknown;
    try {
      msg = keepingUnknownFields(() => codec.decode(value));
    } catch (e) {
      throw sdkErrors.ErrTxDecode.wrap(`${typeUrl}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    let hasUnknownNonCriticals = false;
    for (const tag of unknownFieldTags(msg)) {
      const field = Number(tag >> 3n);
      const nonCritical = (field & NON_CRITICAL_FIELD_BIT) !== 0;
      if (!nonCritical || !allowNonCritical) {
        throw sdkErrors.ErrTxDecode.wrap(`${typeUrl}: unknown ${nonCritical ? "non-critical " : ""}field ${field} (wire type ${tag & 7n})`);
      }
      hasUnknownNonCriticals = true;
    }
    return { msg, hasUnknownNonCriticals };
  }

  /**
   * `{type, value}` as a message appears in the msgs of a legacy amino JSON sign doc.
   * Throws ErrInvalidRequest if the type has no amino form.
   */
  toAmino(typeUrl: string, msg: unknown): AminoMsg {
    const codec = this.get(typeUrl);
    if (codec.aminoType === undefined || codec.toAmino === undefined) {
      throw sdkErrors.ErrInvalidRequest.wrap(`message ${typeUrl} has no amino JSON form; it cannot be signed with SIGN_MODE_LEGACY_AMINO_JSON`);
    }
    return { type: codec.aminoType, value: codec.toAmino(msg) };
  }

  typeUrls(): string[] {
    return [...this.codecs.keys()].sort();
  }
}

/**
 * Runs `decode` with protobufjs readers that keep unknown fields: a generated decoder then puts
 * every field it does not declare, or declares with another wire type, in the message's `$unknowns`.
 * Decoding is synchronous, so the switch covers exactly the readers this decode creates.
 */
function keepingUnknownFields<T>(decode: () => T): T {
  const discard = Reader.discardUnknown;
  Reader.discardUnknown = false;
  try {
    return decode();
  } finally {
    Reader.discardUnknown = discard;
  }
}

/** Tags of the unknown fields protobufjs kept, in `msg` and every message nested in it. */
function unknownFieldTags(msg: unknown, out: bigint[] = []): bigint[] {
  if (typeof msg !== "object" || msg === null || ArrayBuffer.isView(msg)) return out;
  const unknowns = (msg as { $unknowns?: unknown }).$unknowns;
  if (Array.isArray(unknowns)) for (const raw of unknowns as Uint8Array[]) out.push(readVarint(raw, 0).value);
  for (const child of Object.values(msg)) unknownFieldTags(child, out);
  return out;
}
