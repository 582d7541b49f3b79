/** Protobuf in, protobuf out over ABCI queries, and messages packed as `Any`: the shapes clients build by hand. */
import type { Any } from "cosmjs-types/google/protobuf/any";
import type { RpcClient } from "./rpc";

/** A generated protobufjs message class, as far as building one goes. */
export interface Encodable {
  create(properties?: object): unknown;
  encode(message: never): { finish(): Uint8Array };
}

/** Sends the query `path` (a gRPC method path such as `/pkg.Query/Method`) and decodes the answer. */
export async function queryProto<Res>(rpc: RpcClient, path: string, reqType: Encodable, request: object, resType: { decode(bytes: Uint8Array): Res }, height = 0): Promise<Res> {
  const bytes = reqType.encode(reqType.create(request) as never).finish();
  return resType.decode(await rpc.query(path, bytes, height));
}

/** A message as a tx's `Any`. */
export function anyMsg(typeUrl: string, type: Encodable, fields: object): Any {
  return { typeUrl, value: type.encode(type.create(fields) as never).finish() };
}
