/**
 * IP address text ↔ bytes, without Node's `net` module so the codec stays I/O-free.
 *
 * Parsing is strict: IPv4 is four decimal octets without leading zeros; IPv6 is RFC 4291
 * §2.2 text (hex groups, one `::`, an optional trailing dotted IPv4), without a zone id.
 * Formatting is canonical: IPv6 per RFC 5952 §4 (lower case, longest run of two or more
 * zero groups as `::`, the first run on a tie), IPv4-mapped addresses as
 * `::ffff:a.b.c.d` (RFC 5952 §5).
 */

/** `'IPv4' | 'IPv6'`, as Node names families in `dgram` and `net`. */
export type IpFamily = 'IPv4' | 'IPv6';

/** An IP address, port and family: what the address attributes carry. */
export interface TransportAddress {
  family: IpFamily;
  /** Text form: `192.0.2.1`, `2001:db8::1`. */
  address: string;
  /** 0–65535. */
  port: number;
}

/**
 * Strict dotted-decimal IPv4 into `out[at, at + 4)`: four decimal octets 0-255 without
 * leading zeros. A character loop (no RegExp, no split): it runs for every STUN answer's
 * XOR-MAPPED-ADDRESS. May write some bytes before it fails.
 */
function parseIPv4Into(text: string, out: Uint8Array, at: number): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      // '.', or the end of the text
      if (digits === 0 || part > 3) return false;
      out[at + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return false; // a leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Hex groups of one side of `::`; a trailing dotted IPv4 counts as two groups. */
function parseGroups(text: string, allowIPv4Tail: boolean): number[] | undefined {
  if (text === '') return [];
  const pieces = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    if (allowIPv4Tail && i === pieces.length - 1 && piece.includes('.')) {
      const v4 = new Uint8Array(4);
      if (!parseIPv4Into(piece, v4, 0)) return undefined;
      groups.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
      groups.push(Number.parseInt(piece, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

function parseIPv6Into(text: string, out: Uint8Array, at: number): boolean {
  if (text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  let groups: number[];
  if (halves.length === 1) {
    const all = parseGroups(text, true);
    if (all === undefined || all.length !== 8) return false;
    groups = all;
  } else {
    const head = parseGroups(halves[0] as string, false);
    const tail = parseGroups(halves[1] as string, true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return false;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  for (let i = 0; i < 8; i++) {
    const value = groups[i] as number;
    out[at + i * 2] = value >>> 8;
    out[at + i * 2 + 1] = value & 0xff;
  }
  return true;
}

/**
 * Parses an IP address. Returns its 4 or 16 bytes, or `undefined` when `text` is not
 * an IPv4 or IPv6 address in the forms described above.
 */
export function parseIp(text: string): Uint8Array | undefined {
  if (text.includes(':')) {
    const out = new Uint8Array(16);
    return parseIPv6Into(text, out, 0) ? out : undefined;
  }
  const out = new Uint8Array(4);
  return parseIPv4Into(text, out, 0) ? out : undefined;
}

/**
 * Writes the bytes of an IP address into `out` at `at`, without allocating for IPv4 (a
 * hot path: the source address of every STUN request). Returns 4 or 16, the number of
 * bytes written, or 0 when `text` is not an address in the forms `parseIp` accepts (what
 * `out` then holds is undefined). `out` needs 4 (IPv4) or 16 (IPv6) bytes free at `at`.
 */
export function parseIpInto(text: string, out: Uint8Array, at = 0): 0 | 4 | 16 {
  if (text.includes(':')) {
    if (at + 16 > out.length) return 0;
    return parseIPv6Into(text, out, at) ? 16 : 0;
  }
  if (at + 4 > out.length) return 0;
  return parseIPv4Into(text, out, at) ? 4 : 0;
}

/** Dotted-decimal text of the 4 bytes at `at`. */
export function formatIPv4(buf: Uint8Array, at = 0): string {
  return `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
}

/** RFC 5952 canonical text of the 16 bytes at `at`. */
export function formatIPv6(buf: Uint8Array, at = 0): string {
  const g: number[] = new Array(8);
  for (let i = 0; i < 8; i++) g[i] = ((buf[at + i * 2] as number) << 8) | (buf[at + i * 2 + 1] as number);
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIPv4(buf, at + 12)}`;
  }
  // RFC 5952 §4.2: the longest run (≥ 2) of zero groups becomes `::`, the first on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    g
      .slice(from, to)
      .map((n) => n.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}
