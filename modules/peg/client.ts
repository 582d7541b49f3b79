/** The peg's queries for clients (CLI, relayer, signer): `pegzone.peg.v1.Query/<method>` over ABCI. */
import type { RpcClient } from "../../chain/client/rpc";
import { queryProto, type Encodable } from "../../chain/client/query";

export function pegQuery<Res>(rpc: RpcClient, method: string, reqType: Encodable, request: object, resType: { decode(bytes: Uint8Array): Res }, height = 0): Promise<Res> {
  return queryProto(rpc, `/pegzone.peg.v1.Query/${method}`, reqType, request, resType, height);
}
