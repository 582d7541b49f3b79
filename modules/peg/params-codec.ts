/**
 * A kind's settings message (MainChain.params) to and from its genesis JSON, for any protobufjs
 * message type: snake_case keys, unknown keys refused (a misspelt setting must not pass silently),
 * and the Any in a MainChain checked to hold exactly this type.
 */
import { camelKeys, snakeKeys } from "../../chain/app/json-case";
import type { pegzone } from "../../proto";
import type { ParamsCodec } from "./kinds";

interface MessageType<T> {
  create(): T;
  fromObject(o: { [k: string]: unknown }): T;
  toObject(m: T, o?: { longs?: StringConstructor; bytes?: StringConstructor; defaults?: boolean }): { [k: string]: unknown };
  encode(m: T): { finish(): Uint8Array };
  decode(b: Uint8Array): T;
}

export function paramsCodec<T>(typeUrl: string, type: MessageType<T>): ParamsCodec & { decode(chain: pegzone.peg.v1.IMainChain): T } {
  return {
    typeUrl,
    fromJson(json) {
      const fields = camelKeys(json) as Record<string, unknown>;
      const known = type.toObject(type.create(), { defaults: true });
      const unknown = Object.keys(fields).filter((k) => !(k in known));
      if (unknown.length > 0) throw new Error(`unknown ${typeUrl} settings: ${unknown.map((k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).join(", ")}`);
      return type.encode(type.fromObject(fields)).finish();
    },
    toJson: (value) => snakeKeys(type.toObject(type.decode(value), { longs: String, bytes: String, defaults: true })) as Record<string, unknown>,
    decode(chain) {
      const any = chain.params;
      if (any?.type_url !== typeUrl) throw new Error(`main chain ${chain.id} has params of type ${JSON.stringify(any?.type_url ?? "")}, not ${typeUrl}`);
      return type.decode(any.value ?? new Uint8Array());
    },
  };
}
