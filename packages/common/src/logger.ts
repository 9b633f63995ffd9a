/**
 * Structured, named loggers that are passed in — library code never prints.
 *
 * A `Logger` writes one JSON object per line (`{"t":…,"level":…,"name":…,"msg":…,…fields}`)
 * through a sink. `createLogger` makes the root; `child(name, fields)` derives a named
 * logger that adds its fields to every record. `silentLogger` is the default for libraries.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger named `parent.name` that adds `fields` to every record. */
  child(name: string, fields?: LogFields): Logger;
}

/** Where formatted records go: one call per record. */
export type LogSink = (record: LogFields) => void;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  /** Minimum level written. Default `info`. */
  level?: LogLevel;
  /** Root logger name. Default `itda`. */
  name?: string;
  /** Receives each record. Default: none (records are dropped). */
  sink?: LogSink;
  /** Clock for the `t` field, in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const sink = options.sink;
  const now = options.now ?? Date.now;
  const make = (name: string, base: LogFields): Logger => {
    const write = (level: LogLevel, msg: string, fields?: LogFields): void => {
      if (sink === undefined || LEVELS[level] < min) return;
      const record: LogFields = { t: new Date(now()).toISOString(), level, name, msg, ...base };
      if (fields !== undefined) {
        for (const [k, v] of Object.entries(fields)) record[k] = serialise(v);
      }
      sink(record);
    };
    return {
      debug: (msg, fields) => write('debug', msg, fields),
      info: (msg, fields) => write('info', msg, fields),
      warn: (msg, fields) => write('warn', msg, fields),
      error: (msg, fields) => write('error', msg, fields),
      child: (child, fields) => make(`${name}.${child}`, { ...base, ...fields }),
    };
  };
  return make(options.name ?? 'itda', {});
}

/** Errors become plain objects so that JSON.stringify keeps their code and message. */
function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const json = (value as { toJSON?: () => unknown }).toJSON;
    if (typeof json === 'function') return json.call(value);
    return { name: value.name, message: value.message };
  }
  return value;
}

/** A logger that drops everything: the default inside libraries. */
export const silentLogger: Logger = createLogger();
