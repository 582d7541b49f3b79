/**
 * The gRPC server (the SDK's app.toml [grpc], 127.0.0.1:9090 by default): every service method the
 * node answers (services.ts: the app's query router and the node's CometBFT-backed methods), served
 * as protobuf bytes in and out through @grpc/grpc-js, and server reflection (v1 and v1alpha, as
 * grpcurl asks) over the .proto descriptions in descriptors.ts.
 *
 * As on the SDK's server, `x-cosmos-block-height` in the request metadata picks the height a query
 * reads, and the answer's header metadata says which height it read. A Msg service is described but
 * not callable: a Msg travels in a signed tx (cosmos.tx.v1beta1.Service/BroadcastTx).
 */
import * as grpc from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import type { Logger } from "../../../chain/log";
import type { QueryResult } from "../api/app-query";
import { ApiError, Grpc } from "../api/errors";
import { HEIGHT_HEADER } from "../api/grpc-route";
import type { Services } from "../api/services";

/** The SDK's default max-recv-msg-size. */
const MAX_RECEIVE_BYTES = 10 * 1024 * 1024;

export interface GrpcServerOptions {
  /** host:port (port 0: any free one). */
  address: string;
  services: Services;
  /** Encoded FileDescriptorProtos for reflection, and the methods of each service they describe. */
  descriptors: { files: Uint8Array[]; services: Map<string, string[]> };
  logger: Logger;
}

export class GrpcServer {
  private constructor(
    private readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async listen(opts: GrpcServerOptions): Promise<GrpcServer> {
    const server = new grpc.Server({ "grpc.max_receive_message_length": MAX_RECEIVE_BYTES });
    const services = serviceMethods(opts);
    for (const [service, methods] of services) {
      const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
      const handlers: grpc.UntypedServiceImplementation = {};
      for (const method of methods) {
        const path = `/${service}/${method}`;
        definition[method] = { path, requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same, originalName: method };
        handlers[method] = opts.services.paths.includes(path) ? unary(path, opts) : unservable(service, method);
      }
      server.addService(definition, handlers);
    }
    // reflection lists these services only (not, say, tendermint.abci.ABCI of an imported file)
    const packageDefinition = { pegzone: { format: "Protocol Buffer 3 FileDescriptorProto", fileDescriptorProtos: opts.descriptors.files.map((f) => Buffer.from(f)) } };
    new ReflectionService(packageDefinition as never, { services: [...services.keys()] }).addToServer(server);
    const { host } = splitAddress(opts.address);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync(opts.address, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
    const address = `${host}:${port}`;
    if (!isLoopback(host)) opts.logger.warn({ address }, "the gRPC server listens beyond loopback: anyone who can reach it can query and broadcast");
    opts.logger.info({ address }, "gRPC server listening");
    return new GrpcServer(server, address);
  }

  /** Stops taking calls and waits for the ones being answered (at most 10 s). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 10_000);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}

const same = (bytes: Buffer): Buffer => bytes;

/** Every served method path and every described method, by service. */
function serviceMethods(opts: GrpcServerOptions): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (service: string, method: string) => out.set(service, (out.get(service) ?? new Set()).add(method));
  for (const path of opts.services.paths) {
    const m = /^\/([\w.]+)\/(\w+)$/.exec(path);
    if (m) add(m[1], m[2]);
  }
  for (const [service, methods] of opts.descriptors.services) for (const method of methods) add(service, method);
  return out;
}

function unary(path: string, opts: GrpcServerOptions): grpc.handleUnaryCall<Buffer, Buffer> {
  return (call, callback) => {
    let answer: Promise<QueryResult>;
    try {
      answer = opts.services.call(path, call.request, requestedHeight(call.metadata));
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (res) => {
        if (res.height > 0n) {
          const header = new grpc.Metadata();
          header.set(HEIGHT_HEADER, String(res.height));
          call.sendMetadata(header);
        }
        callback(null, Buffer.from(res.value));
      },
      (err: unknown) => {
        if (!(err instanceof ApiError)) opts.logger.error({ err, method: path }, "gRPC handler failed");
        const e = err instanceof ApiError ? err : new ApiError(Grpc.Internal, err instanceof Error ? err.message : String(err));
        callback({ code: e.grpcCode, details: e.message, name: "ApiError", message: e.message });
      },
    );
  };
}

function unservable(service: string, method: string): grpc.handleUnaryCall<Buffer, Buffer> {
  const why = service.endsWith(".Msg")
    ? `${service}/${method} is a Msg: sign a tx that carries it and broadcast it with cosmos.tx.v1beta1.Service/BroadcastTx`
    : `${service}/${method} is not served by pegzone`;
  return (_call, callback) => callback({ code: Grpc.Unimplemented, details: why, name: "Unimplemented", message: why });
}

/** The height metadata asks for (0: the latest), refused when it is not a height. */
function requestedHeight(metadata: grpc.Metadata): bigint {
  const values = metadata.get(HEIGHT_HEADER);
  if (values.length === 0) return 0n;
  const text = String(values[0]);
  if (!/^\d{1,19}$/.test(text) || BigInt(text) > 0x7fffffffffffffffn) throw new ApiError(Grpc.InvalidArgument, `${HEIGHT_HEADER}: ${JSON.stringify(text)} is not a height`);
  return BigInt(text);
}

function splitAddress(address: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535) throw new Error(`app.toml [grpc] address must be host:port, got ${JSON.stringify(address)}`);
  return { host: m[1], port: Number(m[2]) };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\./.test(host);
}
