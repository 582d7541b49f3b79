import { BinaryReader, BinaryWriter } from "cosmjs-types/binary";
import { Request, Response } from "cosmjs-types/tendermint/abci/types";

/**
 * CometBFT itself reads ABCI messages of up to 2 GiB (abci/types/messages.go), but a block is capped
 * at 100 MiB (types.MaxBlockSizeBytes) and FinalizeBlock carries a whole block. 128 MiB admits every
 * legal request while bounding what a misbehaving peer can make us buffer.
 */
export const DEFAULT_MAX_FRAME_BYTES = 128 * 1024 * 1024;

/** Go's binary.MaxVarintLen64: CometBFT's length prefix is a uvarint read by binary.ReadUvarint. */
const MAX_VARINT_BYTES = 10;

export function checkMaxFrameBytes(maxFrameBytes: number): number {
  if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 0) {
    throw new RangeError(`maxFrameBytes must be a non-negative integer, got ${maxFrameBytes}`);
  }
  return maxFrameBytes;
}

export type FrameErrorKind = "bad-varint" | "oversize" | "undecodable" | "invalid-request";

/** Malformed input on a connection. Only "invalid-request" leaves the byte stream in sync. */
export class FrameError extends Error {
  constructor(
    readonly kind: FrameErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "FrameError";
  }
}

export interface DecodeResult<T> {
  /** Messages completed by this chunk, in stream order (those before an error included). */
  messages: T[];
  /** Set once the stream is malformed; the decoder then ignores all further input. */
  error?: FrameError;
}

/**
 * Splits a byte stream into uvarint-length-prefixed protobuf frames (CometBFT's libs/protoio
 * delimited format) and parses each. Accepts chunks cut anywhere, including inside the prefix.
 */
export class FrameDecoder<T> {
  private readonly maxFrameBytes: number;
  private lengthValue = 0;
  private lengthShift = 0;
  private lengthBytes = 0;
  /** -1 until the length prefix of the current frame is complete. */
  private bodyLength = -1;
  /** Pieces of a body that spans chunks, joined once when complete so large frames cost O(n). */
  private bodyParts: Uint8Array[] = [];
  private bodyBytes = 0;
  private failure: FrameError | undefined;

  constructor(
    private readonly parse: (frame: Uint8Array) => T,
    maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
  ) {
    this.maxFrameBytes = checkMaxFrameBytes(maxFrameBytes);
  }

  push(chunk: Uint8Array): DecodeResult<T> {
    const messages: T[] = [];
    if (this.failure) return { messages, error: this.failure };
    let offset = 0;
    for (;;) {
      if (this.bodyLength < 0) {
        if (offset >= chunk.length) break;
        const error = this.readLengthByte(chunk[offset++]);
        if (error) return this.fail(messages, error);
        continue;
      }
      const missing = this.bodyLength - this.bodyBytes;
      const available = chunk.length - offset;
      if (available < missing) {
        if (available > 0) {
          this.bodyParts.push(chunk.subarray(offset));
          this.bodyBytes += available;
        }
        break;
      }
      const tail = chunk.subarray(offset, offset + missing);
      offset += missing;
      const frame = this.bodyParts.length === 0 ? tail : Buffer.concat([...this.bodyParts, tail], this.bodyLength);
      this.bodyLength = -1;
      this.bodyParts = [];
      this.bodyBytes = 0;
      try {
        messages.push(this.parse(frame));
      } catch (err) {
        const error = err instanceof FrameError ? err : new FrameError("undecodable", `undecodable protobuf: ${messageOf(err)}`);
        return this.fail(messages, error);
      }
    }
    return { messages };
  }

  private readLengthByte(byte: number): FrameError | undefined {
    this.lengthValue += (byte & 0x7f) * 2 ** this.lengthShift;
    this.lengthBytes++;
    const complete = (byte & 0x80) === 0;
    // Later prefix bytes can only add to the value, so an oversize frame is known before its body arrives.
    if (this.lengthValue > this.maxFrameBytes) {
      const declared = complete ? `${this.lengthValue}` : `at least ${this.lengthValue}`;
      return new FrameError("oversize", `frame length ${declared} exceeds the limit of ${this.maxFrameBytes} bytes`);
    }
    if (complete) {
      this.bodyLength = this.lengthValue;
      this.lengthValue = 0;
      this.lengthShift = 0;
      this.lengthBytes = 0;
      return undefined;
    }
    if (this.lengthBytes >= MAX_VARINT_BYTES) {
      return new FrameError("bad-varint", `length prefix is longer than ${MAX_VARINT_BYTES} bytes`);
    }
    this.lengthShift += 7;
    return undefined;
  }

  private fail(messages: T[], error: FrameError): DecodeResult<T> {
    this.failure = error;
    this.bodyParts = [];
    return { messages, error };
  }
}

export type RequestKind = keyof Request;

/** Every ABCI 2.0 method; a Record so the compiler flags a method added to or removed from Request. */
const REQUEST_KINDS = Object.keys({
  echo: true,
  flush: true,
  info: true,
  initChain: true,
  query: true,
  checkTx: true,
  commit: true,
  listSnapshots: true,
  offerSnapshot: true,
  loadSnapshotChunk: true,
  applySnapshotChunk: true,
  prepareProposal: true,
  processProposal: true,
  extendVote: true,
  verifyVoteExtension: true,
  finalizeBlock: true,
} satisfies Record<RequestKind, true>) as RequestKind[];

function setKinds(req: Request): RequestKind[] {
  return REQUEST_KINDS.filter((kind) => req[kind] !== undefined);
}

/** The method a parsed request carries. */
export function requestKind(req: Request): RequestKind {
  const kind = REQUEST_KINDS.find((k) => req[k] !== undefined);
  if (kind === undefined) throw new Error("request carries no ABCI method");
  return kind;
}

/** Decodes one frame body into a Request that sets exactly one known method. */
export function parseRequest(frame: Uint8Array): Request {
  let req: Request;
  try {
    req = Request.decode(frame);
  } catch (err) {
    throw new FrameError("undecodable", `undecodable protobuf: ${messageOf(err)}`);
  }
  const kinds = setKinds(req);
  if (kinds.length === 1) return req;
  if (kinds.length > 1) throw new FrameError("invalid-request", `request sets several methods at once: ${kinds.join(", ")}`);
  throw new FrameError("invalid-request", describeUnknownRequest(frame));
}

/** Names the field numbers seen, because an unknown method usually means an ABCI version mismatch. */
function describeUnknownRequest(frame: Uint8Array): string {
  if (frame.length === 0) return "empty request";
  const fields: number[] = [];
  try {
    const reader = new BinaryReader(frame);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      fields.push(tag >>> 3);
      reader.skipType(tag & 7);
    }
  } catch {
    // This only feeds an error message; the fields found before the bad byte still help.
  }
  return `request carries no ABCI 2.0 method (fields ${fields.join(", ")}); is CometBFT speaking another ABCI version?`;
}

/** A length-prefixed frame ready to write to the socket. */
export function encodeResponse(res: Response): Uint8Array {
  return Response.encode(res, BinaryWriter.create().fork()).ldelim().finish();
}

/** The client side of the framing, for tests and tools that talk to the server. */
export function encodeRequest(req: Request): Uint8Array {
  return Request.encode(req, BinaryWriter.create().fork()).ldelim().finish();
}

export function createRequestDecoder(maxFrameBytes?: number): FrameDecoder<Request> {
  return new FrameDecoder(parseRequest, maxFrameBytes);
}

export function createResponseDecoder(maxFrameBytes?: number): FrameDecoder<Response> {
  return new FrameDecoder((frame) => Response.decode(frame), maxFrameBytes);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
