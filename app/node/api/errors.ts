/**
 * REST errors as the SDK's gRPC-gateway (v1) writes them: `{code, message, details: []}` where
 * `code` is a gRPC status code and the HTTP status follows from it (runtime.HTTPStatusFromCode).
 * ABCI query errors (codespace, code, log) become gRPC statuses here, once for every route.
 */
import { lookupError } from "../../../chain/tx/errors";

/** gRPC status codes (google.golang.org/grpc/codes), by the names Go prints them with. */
export const Grpc = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;

/** grpc-gateway v1's HTTPStatusFromCode (the SDK v0.50–0.53 uses v1). */
const HTTP_STATUS: Record<number, number> = {
  0: 200, 1: 408, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 412, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
};

/** An error a route answers with: a gRPC status code and its message. */
export class ApiError extends Error {
  constructor(
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.grpcCode] ?? 500;
  }

  get body(): { code: number; message: string; details: unknown[] } {
    return { code: this.grpcCode, message: this.message, details: [] };
  }
}

export const invalidArgument = (message: string) => new ApiError(Grpc.InvalidArgument, message);

/**
 * The gRPC status of an ABCI query error. The query handlers that answer CosmJS write a gRPC status
 * into their log ("rpc error: code = NotFound desc = ...", as the SDK's ABCI query errors read):
 * that status is taken as it is, without the registered description errorsmod appends. Other errors
 * take the status their kind means (client mistakes 3, missing things 5, unsupported 12, else Unknown).
 */
export function fromAbciError(codespace: string, code: number, log: string): ApiError {
  const description = lookupError(codespace, code)?.description;
  const m = /^rpc error: code = (\w+) desc = ([\s\S]*)$/.exec(log);
  if (m && m[1] in Grpc) {
    const desc = description !== undefined && m[2].endsWith(`: ${description}`) ? m[2].slice(0, -description.length - 2) : m[2];
    return new ApiError(Grpc[m[1] as keyof typeof Grpc], desc);
  }
  return new ApiError(grpcCodeOf(codespace, code), log);
}

/** What each registered error means to a REST client; anything unlisted is Unknown (500), as in the SDK. */
const ERROR_STATUS: Record<string, Record<number, number>> = {
  // tx parse error, unknown request, invalid address/pubkey/coins, JSON, invalid request, height, chain-id, type, gas limit
  sdk: { 2: 3, 6: 3, 7: 3, 8: 3, 10: 3, 17: 3, 18: 3, 26: 3, 28: 3, 29: 3, 41: 3, 9: 5, 22: 5, 38: 5, 37: 12 },
  // a recovered panic: the app's bug, not the client's
  undefined: { 111222: 13 },
  bank: { 6: 5, 7: 3 },
  // unknown main chain, withdrawal, release, proposal; invalid main-chain address; unsupported by the kind
  peg: { 2: 5, 14: 5, 15: 5, 22: 5, 13: 3, 26: 12 },
};

function grpcCodeOf(codespace: string, code: number): number {
  return ERROR_STATUS[codespace]?.[code] ?? Grpc.Unknown;
}
