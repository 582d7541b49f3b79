import pino from "pino";

export type Logger = pino.Logger;

/** Pretty, colourised lines on a terminal; JSON lines when piped to a file or another program. */
export function createLogger(name: string, level = process.env.PEGZONE_LOG_LEVEL ?? "info"): Logger {
  const pretty = process.stdout.isTTY && process.env.PEGZONE_LOG_FORMAT !== "json";
  const options = { name, level, base: undefined };
  if (pretty) return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true, translateTime: "HH:MM:ss.l" } } });
  // Synchronous writes: a line logged just before a crash is not lost in a buffer.
  return pino(options, pino.destination({ dest: 1, sync: true }));
}
