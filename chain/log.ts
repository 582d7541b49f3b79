import pino from "pino";

export type Logger = pino.Logger;

/** Pretty, colourised lines on a terminal; JSON lines when piped to a file or another program. */
export function createLogger(name: string, level = process.env.PEGZONE_LOG_LEVEL ?? "info"): Logger {
  const pretty = process.stdout.isTTY && process.env.PEGZONE_LOG_FORMAT !== "json";
  return pino({
    name,
    level,
    base: undefined,
    transport: pretty ? { target: "pino-pretty", options: { colorize: true, translateTime: "HH:MM:ss.l" } } : undefined,
  });
}
