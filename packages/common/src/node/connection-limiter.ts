/**
 * Who may open one more TCP connection: a total cap, a cap per source, and optionally a
 * budget shared by several listeners (so that together they leave file descriptors for
 * the rest of the process). Sans-IO: it counts, `StreamGuard` (stream-guard.ts) does the
 * sockets.
 */

/** Why a connection was refused (a stable code: metric label and log field). */
export type ConnectionRefusal = 'total_limit' | 'source_limit' | 'shared_limit';

/** Expands an IPv6 literal to its eight 16-bit groups; undefined if it is not one. */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const b = dotted.slice(1).map(Number);
    tail = [((b[0] ?? 0) << 8) | (b[1] ?? 0), ((b[2] ?? 0) << 8) | (b[3] ?? 0)];
    text = `${text.slice(0, dotted.index)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const fill = halves.length === 2 ? 8 - head.length - rest.length : 0;
  const groups = [...head, ...new Array<number>(Math.max(0, fill)).fill(0), ...rest];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  if (tail.length === 2) groups.splice(6, 2, tail[0] as number, tail[1] as number);
  return groups;
}

/**
 * The key connections are counted under: an IPv4 address as it is (also when it comes
 * IPv4-mapped, `::ffff:a.b.c.d`), an IPv6 address by its /64 prefix — one subnet, the size
 * a single site or host is given (RFC 4291 §2.5.1: 64-bit interface identifiers), so that
 * one host cannot count as 2^64 sources.
 */
export function sourceKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const groups = ipv6Groups(ip);
  if (groups === undefined) return ip;
  const [a, b, c, d, e, f, g, h] = groups as [number, number, number, number, number, number, number, number];
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0xffff) {
    return `${g >> 8}.${g & 0xff}.${h >> 8}.${h & 0xff}`;
  }
  return `${[a, b, c, d].map((x) => x.toString(16)).join(':')}::/64`;
}

/**
 * A count of connections shared by several listeners (the SFU's ICE-TCP port and TURN's
 * TCP and TLS listeners of one process), so that together they never hold more than
 * `limit` descriptors.
 */
export class SharedConnectionBudget {
  readonly limit: number;
  #used = 0;

  /** @param limit connections all listeners together may hold, ≥ 0 */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be an integer ≥ 0, got ${limit}`);
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** Takes one; false (nothing taken) when all are in use. */
  take(): boolean {
    if (this.#used >= this.limit) return false;
    this.#used++;
    return true;
  }

  give(): void {
    if (this.#used > 0) this.#used--;
  }
}

export interface ConnectionLimits {
  /** Connections open at once on this listener. */
  maxConnections: number;
  /** Connections open at once from one source (`sourceKey`). */
  maxPerSource: number;
  /** A budget shared with other listeners, taken on top of the two limits above. */
  shared?: SharedConnectionBudget | undefined;
}

/** Counts the open connections of one listener, in total and per source. */
export class ConnectionLimiter {
  readonly maxConnections: number;
  readonly maxPerSource: number;
  readonly #shared: SharedConnectionBudget | undefined;
  readonly #bySource = new Map<string, number>();
  #open = 0;

  constructor(limits: ConnectionLimits) {
    for (const key of ['maxConnections', 'maxPerSource'] as const) {
      const v = limits[key];
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${key} must be an integer ≥ 1, got ${v}`);
    }
    this.maxConnections = limits.maxConnections;
    this.maxPerSource = limits.maxPerSource;
    this.#shared = limits.shared;
  }

  /** Connections open now. */
  get open(): number {
    return this.#open;
  }

  /** Sources with at least one connection open. */
  get sources(): number {
    return this.#bySource.size;
  }

  /**
   * Counts one more connection from `ip` and returns undefined, or returns why not (and
   * counts nothing). Each admitted connection must be `release`d exactly once.
   */
  admit(ip: string): ConnectionRefusal | undefined {
    const key = sourceKey(ip);
    const fromSource = this.#bySource.get(key) ?? 0;
    if (this.#open >= this.maxConnections) return 'total_limit';
    if (fromSource >= this.maxPerSource) return 'source_limit';
    if (this.#shared !== undefined && !this.#shared.take()) return 'shared_limit';
    this.#open++;
    this.#bySource.set(key, fromSource + 1);
    return undefined;
  }

  release(ip: string): void {
    const key = sourceKey(ip);
    const fromSource = this.#bySource.get(key);
    if (fromSource === undefined) return;
    if (fromSource <= 1) this.#bySource.delete(key);
    else this.#bySource.set(key, fromSource - 1);
    this.#open--;
    this.#shared?.give();
  }
}
