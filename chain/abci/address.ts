import { lstat, unlink } from "node:fs/promises";
import { type AddressInfo, connect } from "node:net";

export type ListenTarget = { kind: "tcp"; host: string | undefined; port: number } | { kind: "unix"; path: string };

/** Parses CometBFT's proxy_app forms: tcp://host:port (port 0 picks a free one) or unix:///path/to.sock. */
export function parseListenAddress(address: string): ListenTarget {
  if (address.startsWith("unix://")) {
    const path = address.slice("unix://".length);
    if (path === "") throw new Error(`no socket path in ABCI address ${address}`);
    return { kind: "unix", path };
  }
  if (address.startsWith("tcp://")) {
    const hostPort = address.slice("tcp://".length);
    const colon = hostPort.lastIndexOf(":");
    const portText = hostPort.slice(colon + 1);
    const port = Number(portText);
    if (colon < 0 || !/^\d+$/.test(portText) || port > 65535) throw new Error(`no valid port in ABCI address ${address}`);
    const host = hostPort.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
    return { kind: "tcp", host: host === "" ? undefined : host, port };
  }
  throw new Error(`ABCI address must start with tcp:// or unix://, got ${address}`);
}

export function formatBoundAddress(target: ListenTarget, bound: AddressInfo | string | null): string {
  if (target.kind === "unix") return `unix://${target.path}`;
  if (bound === null || typeof bound === "string") throw new Error("TCP listener reported no address");
  const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return `tcp://${host}:${bound.port}`;
}

/**
 * A crashed server leaves its socket file behind and listen() then fails with EADDRINUSE. Remove it,
 * but only if it is a socket nobody is serving on: never delete a regular file or a live server's socket.
 */
export async function removeStaleUnixSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  if (await isServed(path)) throw new Error(`another process is already serving on ${path}`);
  await unlink(path);
}

function isServed(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect({ path });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED") resolve(false);
      else reject(err);
    });
  });
}
