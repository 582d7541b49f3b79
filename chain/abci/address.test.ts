import { parseListenAddress } from "./address";
import { AbciServer } from "./server";
import { capturingLogger, RecordingApp } from "../../test/support/abci-app";

describe("parseListenAddress", () => {
  it("reads CometBFT's tcp and unix address forms", () => {
    expect(parseListenAddress("tcp://127.0.0.1:26658")).toEqual({ kind: "tcp", host: "127.0.0.1", port: 26658 });
    expect(parseListenAddress("tcp://[::1]:0")).toEqual({ kind: "tcp", host: "::1", port: 0 });
    expect(parseListenAddress("tcp://:26658")).toEqual({ kind: "tcp", host: undefined, port: 26658 });
    expect(parseListenAddress("unix:///tmp/abci.sock")).toEqual({ kind: "unix", path: "/tmp/abci.sock" });
  });

  it("rejects addresses it cannot serve on", () => {
    expect(() => parseListenAddress("127.0.0.1:26658")).toThrow("must start with tcp:// or unix://");
    expect(() => parseListenAddress("tcp://127.0.0.1")).toThrow("no valid port");
    expect(() => parseListenAddress("tcp://127.0.0.1:99999")).toThrow("no valid port");
    expect(() => parseListenAddress("unix://")).toThrow("no socket path");
  });
});

describe("AbciServer options", () => {
  it("rejects a nonsensical frame limit when constructed", () => {
    const { logger } = capturingLogger();
    expect(() => new AbciServer(new RecordingApp(), { logger, maxFrameBytes: -1 })).toThrow(RangeError);
    expect(() => new AbciServer(new RecordingApp(), { logger, maxFrameBytes: 1.5 })).toThrow(RangeError);
  });
});
