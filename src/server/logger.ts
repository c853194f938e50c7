/**
 * The server's log: lines of text (the default, for a person at a terminal) or JSON lines
 * (`--log-format json`, for a log collector), one record per message with `time` (ISO 8601),
 * `level`, `msg` and `fields`. In text, the message says it all and the fields are not
 * repeated; in JSON they carry the same facts as values (an event number, a URL, a count).
 * Info goes to stdout, warnings and errors to stderr, in both formats.
 *
 * @module
 */

/** How log records are written. */
export type LogFormat = "text" | "json";

/** The formats, as `--log-format` takes them. */
export const logFormats: readonly LogFormat[] = ["text", "json"];

/** How bad a record is. */
export type LogLevel = "info" | "warn" | "error";

/** Values a record carries besides its message (bigints are written as decimal strings). */
export type LogFields = Record<string, unknown>;

/** Where records go: stdout or stderr, one line each (no newline given). */
export type LogSink = (stream: "stdout" | "stderr", line: string) => void;

const prefix = "cellar serve: ";

/** The server's logger. */
export interface Logger {
  readonly format: LogFormat;
  /** Write a record; `msg` without the `cellar serve: ` prefix. */
  write(level: LogLevel, msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /**
   * A whole line from code that logs lines (the server's `log` option): its
   * `cellar serve: ` prefix, when present, is the record's and not the message's.
   */
  line(line: string, level?: LogLevel): void;
}

function consoleSink(stream: "stdout" | "stderr", line: string): void {
  if (stream === "stdout") console.log(line);
  else console.error(line);
}

function jsonValue(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/**
 * A logger writing `format` to `sink` (default: the console).
 *
 * @example
 * ```ts
 * import { createLogger } from "./logger.ts";
 * const log = createLogger("json");
 * log.info("booted at event 12", { eventNumber: 12n });
 * // {"time":"2026-…Z","level":"info","msg":"booted at event 12","fields":{"eventNumber":"12"}}
 * ```
 */
export function createLogger(
  format: LogFormat,
  sink: LogSink = consoleSink,
  now: () => Date = () => new Date(),
): Logger {
  const write = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    const stream = level === "info" ? "stdout" : "stderr";
    if (format === "text") return sink(stream, prefix + msg);
    const record = { time: now().toISOString(), level, msg, fields };
    sink(stream, JSON.stringify(record, jsonValue));
  };
  return {
    format,
    write,
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    line: (line, level = "info") => {
      if (format === "text" && !line.startsWith(prefix)) {
        return sink(level === "info" ? "stdout" : "stderr", line);
      }
      write(level, line.startsWith(prefix) ? line.slice(prefix.length) : line);
    },
  };
}
