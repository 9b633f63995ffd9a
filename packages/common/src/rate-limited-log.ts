/**
 * Log lines that an outside party can repeat at will (a rejected offer, a malformed
 * packet), written at most once per window per key, with a count of what was held back.
 *
 * The first line of a key is written at once. Repeats within `windowMs` are only
 * counted; the first repeat after the window is written with `suppressed: n` (the lines
 * held back since the last one written) and opens a new window. No timers: a count is
 * written when its key comes again, when the key is pushed out (`maxKeys`), or by
 * `flush()` (at shutdown). Sans-IO, the clock injected.
 *
 * ```ts
 * const rl = new RateLimitedLog({ logger, clock });
 * rl.warn(`producer rejected:${participant}`, 'producer rejected', { participant, code });
 * ```
 */
import type { Clock } from './clock.ts';
import { ItdaError } from './errors.ts';
import type { LogFields, Logger, LogLevel } from './logger.ts';

export interface RateLimitedLogOptions {
  logger: Logger;
  clock: Clock;
  /** Window per key, ms: at most one line per key in it. Default 10,000; 1 ms – 1 hour. */
  windowMs?: number;
  /**
   * Keys remembered at once (each is a few dozen bytes). Default 1,000; 1–100,000. A new
   * key beyond it pushes out the oldest, writing its held-back count first.
   */
  maxKeys?: number;
}

interface Entry {
  level: LogLevel;
  msg: string;
  fields: LogFields | undefined;
  /** When the current window opened (a line was written). */
  since: number;
  /** Lines held back in the current window. */
  suppressed: number;
}

export const RATE_LIMITED_LOG_DEFAULTS = { windowMs: 10_000, maxKeys: 1000 } as const;

function bounded(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new ItdaError('invalid_config', `${name} must be an integer between ${min} and ${max}`, {
      details: { key: name, value: v },
    });
  }
  return v;
}

export class RateLimitedLog {
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly #log: Logger;
  readonly #clock: Clock;
  /** By key, oldest window first (a written line moves its key to the end). */
  readonly #entries = new Map<string, Entry>();
  /** Lines held back in all, for metrics and tests. */
  suppressedTotal = 0;
  /** Lines written in all. */
  written = 0;

  constructor(options: RateLimitedLogOptions) {
    this.#log = options.logger;
    this.#clock = options.clock;
    this.windowMs = bounded('windowMs', options.windowMs, RATE_LIMITED_LOG_DEFAULTS.windowMs, 1, 3_600_000);
    this.maxKeys = bounded('maxKeys', options.maxKeys, RATE_LIMITED_LOG_DEFAULTS.maxKeys, 1, 100_000);
  }

  debug(key: string, msg: string, fields?: LogFields): void {
    this.log('debug', key, msg, fields);
  }

  info(key: string, msg: string, fields?: LogFields): void {
    this.log('info', key, msg, fields);
  }

  warn(key: string, msg: string, fields?: LogFields): void {
    this.log('warn', key, msg, fields);
  }

  error(key: string, msg: string, fields?: LogFields): void {
    this.log('error', key, msg, fields);
  }

  /** Writes `msg` unless a line of `key` was written less than `windowMs` ago; then counts it. */
  log(level: LogLevel, key: string, msg: string, fields?: LogFields): void {
    const now = this.#clock.now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && now - entry.since < this.windowMs) {
      entry.suppressed++;
      entry.level = level;
      entry.msg = msg;
      entry.fields = fields;
      this.suppressedTotal++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    if (entry !== undefined) this.#entries.delete(key);
    else if (this.#entries.size >= this.maxKeys) this.#evictOldest();
    this.#entries.set(key, { level, msg, fields, since: now, suppressed: 0 });
    this.#write(level, msg, fields, suppressed);
  }

  /** Writes the held-back counts of every key (with its last line) and forgets all keys. */
  flush(): void {
    for (const e of this.#entries.values()) {
      if (e.suppressed > 0) this.#write(e.level, e.msg, e.fields, e.suppressed);
    }
    this.#entries.clear();
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  #evictOldest(): void {
    const first = this.#entries.entries().next();
    if (first.done === true) return;
    const [key, e] = first.value;
    this.#entries.delete(key);
    if (e.suppressed > 0) this.#write(e.level, e.msg, e.fields, e.suppressed);
  }

  #write(level: LogLevel, msg: string, fields: LogFields | undefined, suppressed: number): void {
    this.written++;
    this.#log[level](msg, suppressed > 0 ? { ...fields, suppressed } : fields);
  }
}
