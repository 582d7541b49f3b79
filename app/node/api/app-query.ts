/**
 * REST and metrics ask the app exactly as `abci_query` does: the app's ABCI Query handler, in
 * process, with the gRPC method path and the protobuf request (one implementation, two transports).
 * Heights mean the same (0: the latest committed), and so do errors, turned into gRPC statuses.
 */
import type { AbciApplication } from "../../../chain/abci/application";
import { fromAbciError } from "./errors";
import type { AppGate } from "./gate";

export interface QueryResult {
  value: Uint8Array;
  /** The height the state was read at. */
  height: bigint;
}

export type AppQuery = (path: string, data: Uint8Array, height?: bigint) => Promise<QueryResult>;

/** Queries `app` through `gate`; a non-zero code throws an ApiError. */
export function appQuery(app: Pick<AbciApplication, "query">, gate: AppGate): AppQuery {
  return async (path, data, height = 0n) => {
    const res = await gate.run(() => app.query({ path, data, height, prove: false }));
    if (res.code !== 0) throw fromAbciError(res.codespace, res.code, res.log);
    return { value: res.value, height: res.height };
  };
}
