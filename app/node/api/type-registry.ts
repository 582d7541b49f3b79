/**
 * The message types an Any in a REST answer can hold, by type URL: the SDK's accounts, keys, bank
 * messages and txs (cosmjs-types) and every pegzone type (the peg's messages, its kinds' params,
 * proofs and reserve data). jsonpb needs them to write an Any's fields; an unknown one keeps its bytes.
 */
import * as auth from "cosmjs-types/cosmos/auth/v1beta1/auth";
import * as bankTx from "cosmjs-types/cosmos/bank/v1beta1/tx";
import * as ed25519 from "cosmjs-types/cosmos/crypto/ed25519/keys";
import * as multisig from "cosmjs-types/cosmos/crypto/multisig/keys";
import * as secp256k1 from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import * as tx from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { pegzone } from "../../../proto";
import { cosmjsType, pbjsType, type JsonType, type TypeResolver } from "./proto-json";

const COSMJS_MODULES: object[] = [auth, bankTx, ed25519, multisig, secp256k1, tx];

/** A resolver over cosmjs-types' codecs (each names its `typeUrl`) and pegzone's generated namespace. */
export function pegzoneTypes(): TypeResolver {
  const types = new Map<string, JsonType>();
  for (const module of COSMJS_MODULES) {
    for (const codec of Object.values(module) as Array<Record<string, unknown>>) {
      if (typeof codec?.typeUrl === "string" && typeof codec.decode === "function" && typeof codec.toJSON === "function") {
        types.set(codec.typeUrl, cosmjsType(codec as unknown as Parameters<typeof cosmjsType>[0]));
      }
    }
  }
  addPbjs(types, pegzone);
  return (typeUrl) => types.get(typeUrl);
}

/** Every generated class under a protobufjs namespace, by the type URL it reports. */
function addPbjs(types: Map<string, JsonType>, namespace: object): void {
  for (const value of Object.values(namespace) as unknown[]) {
    const type = value as { getTypeUrl?: unknown; toObject?: unknown };
    if (typeof value === "function" && typeof type.getTypeUrl === "function" && typeof type.toObject === "function") {
      types.set((type.getTypeUrl as (prefix: string) => string)(""), pbjsType(type as Parameters<typeof pbjsType>[0]));
    } else if (typeof value === "object" && value !== null) addPbjs(types, value);
  }
}
