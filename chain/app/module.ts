import type { Any } from "cosmjs-types/google/protobuf/any";
import type { ValidatorUpdate } from "cosmjs-types/tendermint/abci/types";
import type { MsgCodec } from "../tx/registry";
import type { Context } from "./context";

/** How a module turns one tx message into state changes. */
export interface MsgHandler<T> {
  /** Bech32 addresses that must sign a message, in order. */
  signers(msg: T): string[];
  /** Stateless checks (the SDK's ValidateBasic); throw an SdkError. */
  validate(msg: T): void;
  /** Validates against state, calls the keeper, emits events; returns the Msg response as an Any. */
  handle(ctx: Context, msg: T): Promise<Any>;
}

/** A gRPC-style query: protobuf request bytes in, protobuf response bytes out. */
export type QueryHandler = (ctx: Context, request: Uint8Array) => Promise<Uint8Array>;

/** A query handler from a request decoder, a response encoder and what to answer. */
export function queryHandler<Req, Res>(
  req: { decode(bytes: Uint8Array): Req },
  res: { encode(response: Res): { finish(): Uint8Array } },
  answer: (ctx: Context, request: Req) => Promise<Res>,
): QueryHandler {
  return async (ctx, bytes) => res.encode(await answer(ctx, req.decode(bytes))).finish();
}

/** What a module can register with the app at start-up. */
export interface ServiceRegistrar {
  msg<T>(typeUrl: string, codec: MsgCodec<T>, handler: MsgHandler<T>): void;
  /** `path` is the full gRPC method, e.g. `/cosmos.bank.v1beta1.Query/Balance`. */
  query(path: string, handler: QueryHandler): void;
}

/** A pegzone module, in the manner of the Cosmos SDK's AppModule: its store is named after it. */
export interface AppModule {
  readonly name: string;
  defaultGenesis(): unknown;
  /**
   * Checks the JSON from genesis.json and writes it to state; throws on invalid input. A module
   * that keeps the validator set returns it (InitChain then answers it to CometBFT).
   */
  initGenesis(ctx: Context, genesis: unknown): Promise<void | ValidatorUpdate[]>;
  exportGenesis(ctx: Context): Promise<unknown>;
  registerServices(registrar: ServiceRegistrar): void;
  beginBlock?(ctx: Context): Promise<void>;
  /** The validator set's changes for CometBFT (effective two heights later), from the module that keeps it. */
  endBlock?(ctx: Context): Promise<void | ValidatorUpdate[]>;
}
