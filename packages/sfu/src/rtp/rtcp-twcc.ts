/**
 * Transport-wide congestion control feedback (RTPFB, FMT 15;
 * draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
 *
 * ```
 * |      base sequence number     |      packet status count      |
 * |                 reference time                | fb pkt. count |
 * |          packet chunk         |         packet chunk          |
 * :     recv delta  |  recv delta | ... (padding to 32 bits)      :
 * ```
 * Reference time: 24-bit signed, multiples of 64 ms. Receive deltas: multiples of 250 µs,
 * 1 byte unsigned ("small") or 2 bytes signed ("large").
 *
 * Packet chunks (§3.1.3, §3.1.4): a run length chunk (`0 S S L…L`, 13-bit run of one
 * symbol), a one-bit status vector (`1 0` + 14 symbols: not received / small delta) or a
 * two-bit status vector (`1 1` + 7 symbols).
 *
 * Limits: a run length chunk describes up to 8,191 statuses in 2 bytes, so a 40-byte
 * packet can announce 65,535 statuses. The parser first walks the chunks without
 * allocating and refuses a status count that the chunks and the receive-delta bytes do
 * not actually describe (`rtcp_bad_length`) or that exceeds `MAX_TRANSPORT_CC_STATUSES`
 * (`rtcp_over_limit`); only then does it build one object per *received* packet, never one
 * per status: the forty 8,192-status packets of a 960-byte datagram (issue 10) cost a walk
 * over their 960 bytes, not 327,680 objects.
 */
import { RtpError } from './errors.ts';
import { FEEDBACK_HEADER_LENGTH } from './rtcp-feedback.ts';
import { RtcpFmt, RtcpType, readU16, writeRtcpHeader, writeU16 } from './rtcp-reader.ts';
import { readU32, writeU32 } from './rtp-packet.ts';

/** Packet status symbols (§3.1.1). */
export const TwccStatus = { NOT_RECEIVED: 0, SMALL_DELTA: 1, LARGE_DELTA: 2 } as const;

export interface TwccPacket {
  sequence: number;
  /** 1 received with a small delta, 2 received with a large or negative delta (the symbol it came with). */
  status: number;
  /** Receive delta to the previous received packet (the first: to the reference time), µs. */
  deltaUs: number;
}

export interface TransportCc {
  type: 'twcc';
  senderSsrc: number;
  mediaSsrc: number;
  baseSequence: number;
  /** Reference time in multiples of 64 ms (24-bit signed). */
  referenceTime: number;
  /** Feedback packet count, 0–255, incremented per feedback sent. */
  feedbackCount: number;
  /**
   * Packet statuses the feedback describes: sequence numbers `baseSequence` to
   * `baseSequence + statusCount − 1` (mod 2^16), 1–`MAX_TRANSPORT_CC_STATUSES`.
   */
  statusCount: number;
  /**
   * The received packets among them, in sequence order; every other sequence number of
   * the range was not received. Each one costs at least one receive-delta byte on the
   * wire, so parsing makes at most one object per byte (a run of "not received" costs
   * nothing, however long).
   */
  received: TwccPacket[];
}

/**
 * Largest packet status count this module parses or writes: 8,192 (about one second of
 * packets at 8,000 packets/s, far beyond the ~100 ms a browser's feedback covers; libwebrtc's
 * own limit is 65,535).
 */
export const MAX_TRANSPORT_CC_STATUSES = 8192;

const RUN_LENGTH_MAX = 0x1fff;

/**
 * Walks the packet chunks of `count` statuses starting at `pos` without allocating: returns
 * the number of chunk bytes, and sets `DELTA_BYTES` to the receive-delta bytes the statuses
 * need. Throws when the chunks run past `end`. Work: one step per chunk (2 bytes) plus at
 * most 14 per vector chunk, so proportional to the packet's bytes.
 */
function scanChunks(buf: Uint8Array, pos: number, end: number, count: number): number {
  let described = 0;
  let deltaBytes = 0;
  const start = pos;
  while (described < count) {
    if (pos + 2 > end) throw new RtpError('rtcp_bad_length', 'transport-cc packet chunks run past the packet');
    const chunk = readU16(buf, pos);
    pos += 2;
    const left = count - described;
    if ((chunk & 0x8000) === 0) {
      const symbol = (chunk >> 13) & 3;
      const run = Math.min(chunk & RUN_LENGTH_MAX, left);
      described += run;
      if (symbol === TwccStatus.SMALL_DELTA) deltaBytes += run;
      else if (symbol === TwccStatus.LARGE_DELTA) deltaBytes += 2 * run;
    } else if ((chunk & 0x4000) === 0) {
      const n = Math.min(14, left);
      for (let i = 0; i < n; i++) deltaBytes += (chunk >> (13 - i)) & 1;
      described += n;
    } else {
      const n = Math.min(7, left);
      for (let i = 0; i < n; i++) {
        const s = (chunk >> (2 * (6 - i))) & 3;
        if (s === TwccStatus.SMALL_DELTA) deltaBytes += 1;
        else if (s === TwccStatus.LARGE_DELTA) deltaBytes += 2;
      }
      described += n;
    }
  }
  DELTA_BYTES = deltaBytes;
  return pos - start;
}

let DELTA_BYTES = 0;

/** Where `addReceived` reads the next receive delta. */
let DELTA_POS = 0;

function addReceived(buf: Uint8Array, out: TwccPacket[], sequence: number, status: number): void {
  let deltaUs: number;
  if (status === TwccStatus.SMALL_DELTA) {
    deltaUs = (buf[DELTA_POS] as number) * 250;
    DELTA_POS += 1;
  } else {
    const v = readU16(buf, DELTA_POS);
    deltaUs = (v & 0x8000 ? v - 0x10000 : v) * 250;
    DELTA_POS += 2;
  }
  out.push({ sequence: sequence & 0xffff, status, deltaUs });
}

/**
 * Parses transport-cc feedback in `buf[offset, end)`. Throws `RtpError`: `rtcp_too_short`
 * (under 20 bytes), `rtcp_bad_length` (chunks or deltas run past the packet),
 * `rtcp_over_limit` (status count over `MAX_TRANSPORT_CC_STATUSES`). Work and allocation are
 * proportional to the packet's bytes, not to its status count: a run length chunk of
 * "not received" is skipped in one step, and one object is made per received packet (each
 * has a delta byte), only after the whole packet has been checked. The reserved two-bit
 * symbol 3 counts as not received.
 */
export function parseTransportCc(buf: Uint8Array, offset: number, end: number): TransportCc {
  let pos = offset + FEEDBACK_HEADER_LENGTH;
  if (pos + 8 > end) throw new RtpError('rtcp_too_short', 'transport-cc feedback shorter than 20 bytes');
  const baseSequence = readU16(buf, pos);
  const count = readU16(buf, pos + 2);
  const ref = readU32(buf, pos + 4) >>> 8;
  const referenceTime = ref & 0x800000 ? ref - 0x1000000 : ref;
  const feedbackCount = buf[pos + 7] as number;
  pos += 8;
  if (count > MAX_TRANSPORT_CC_STATUSES) {
    throw new RtpError(
      'rtcp_over_limit',
      `transport-cc announces ${count} packet statuses (limit ${MAX_TRANSPORT_CC_STATUSES})`,
    );
  }
  const chunkBytes = scanChunks(buf, pos, end, count);
  if (pos + chunkBytes + DELTA_BYTES > end) {
    throw new RtpError('rtcp_bad_length', 'transport-cc receive deltas run past the packet');
  }
  const received: TwccPacket[] = [];
  DELTA_POS = pos + chunkBytes;
  let index = 0;
  while (index < count) {
    const chunk = readU16(buf, pos);
    pos += 2;
    if ((chunk & 0x8000) === 0) {
      // Run length chunk: T=0, S (2 bits), run length (13 bits).
      const symbol = (chunk >> 13) & 3;
      const run = Math.min(chunk & RUN_LENGTH_MAX, count - index);
      if (symbol === TwccStatus.SMALL_DELTA || symbol === TwccStatus.LARGE_DELTA) {
        for (let i = 0; i < run; i++) addReceived(buf, received, baseSequence + index + i, symbol);
      }
      index += run;
    } else if ((chunk & 0x4000) === 0) {
      // Status vector chunk, 14 one-bit symbols.
      for (let i = 13; i >= 0 && index < count; i--, index++) {
        if ((chunk >> i) & 1) addReceived(buf, received, baseSequence + index, TwccStatus.SMALL_DELTA);
      }
    } else {
      // Status vector chunk, 7 two-bit symbols.
      for (let i = 6; i >= 0 && index < count; i--, index++) {
        const symbol = (chunk >> (2 * i)) & 3;
        if (symbol === TwccStatus.SMALL_DELTA || symbol === TwccStatus.LARGE_DELTA) {
          addReceived(buf, received, baseSequence + index, symbol);
        }
      }
    }
  }
  return {
    type: 'twcc',
    senderSsrc: readU32(buf, offset + 4),
    mediaSsrc: readU32(buf, offset + 8),
    baseSequence,
    referenceTime,
    feedbackCount,
    statusCount: count,
    received,
  };
}

/** Status symbol for a received packet's delta: small when 0–63.75 ms, large otherwise. */
function symbolFor(p: TwccPacket): number {
  const units = Math.round(p.deltaUs / 250);
  if (!(units >= -0x8000 && units <= 0x7fff))
    throw new RtpError('rtcp_bad_value', `transport-cc delta ${p.deltaUs} µs`);
  return units >= 0 && units <= 255 ? TwccStatus.SMALL_DELTA : TwccStatus.LARGE_DELTA;
}

/** The chunk `nextChunk` chose last, and the statuses it covers. */
let CHUNK = 0;

/**
 * Chooses the packet chunk for the statuses from `i` on (symbols in `symbols[0, n)`), like
 * libwebrtc: a run length chunk for a run of 7 or more equal symbols (or one that ends the
 * list), else a one-bit vector when the next 14 symbols need no large delta, else a
 * two-bit vector of 7. Sets `CHUNK`; returns how many statuses it covers.
 */
function nextChunk(symbols: Uint8Array, i: number, n: number): number {
  const first = symbols[i] as number;
  let run = 1;
  while (i + run < n && run < RUN_LENGTH_MAX && symbols[i + run] === first) run++;
  if (run >= 7 || i + run === n) {
    CHUNK = (first << 13) | run;
    return run;
  }
  const m = Math.min(14, n - i);
  let oneBit = true;
  for (let j = 0; j < m; j++) if ((symbols[i + j] as number) > 1) oneBit = false;
  if (oneBit) {
    let chunk = 0x8000;
    for (let j = 0; j < m; j++) chunk |= (symbols[i + j] as number) << (13 - j);
    CHUNK = chunk;
    return m;
  }
  const k = Math.min(7, n - i);
  let chunk = 0xc000;
  for (let j = 0; j < k; j++) chunk |= (symbols[i + j] as number) << (2 * (6 - j));
  CHUNK = chunk;
  return k;
}

/** One symbol per status: 0 where `received` lists no packet. Throws `rtcp_bad_value`. */
function symbolsOf(p: TransportCc): Uint8Array {
  const n = p.statusCount;
  if (!Number.isInteger(n) || n < 1 || n > MAX_TRANSPORT_CC_STATUSES) {
    throw new RtpError('rtcp_bad_value', `transport-cc needs 1–${MAX_TRANSPORT_CC_STATUSES} packet statuses, got ${n}`);
  }
  const symbols = new Uint8Array(n);
  let last = -1;
  for (const r of p.received) {
    const index = (r.sequence - p.baseSequence) & 0xffff;
    if (index >= n || index <= last) {
      throw new RtpError('rtcp_bad_value', `transport-cc received sequence ${r.sequence} out of order or range`);
    }
    last = index;
    symbols[index] = symbolFor(r);
  }
  return symbols;
}

export function transportCcSize(p: TransportCc): number {
  const symbols = symbolsOf(p);
  const n = symbols.length;
  let size = FEEDBACK_HEADER_LENGTH + 8;
  for (let i = 0; i < n; ) {
    i += nextChunk(symbols, i, n);
    size += 2;
  }
  for (let i = 0; i < n; i++) size += symbols[i] as number; // 0, 1 or 2 delta bytes
  return (size + 3) & ~3;
}

/**
 * Writes transport-cc feedback; the status of each received packet is derived from its
 * `deltaUs`, every other status of the range is "not received", and the chunks are chosen
 * per `nextChunk` (run length, one-bit or two-bit vectors). `statusCount` is 1 to
 * `MAX_TRANSPORT_CC_STATUSES`; `received` in sequence order within the range. Padding to 32 bits is zero bytes inside the length
 * (libwebrtc does so without the P bit).
 */
export function writeTransportCc(p: TransportCc, buf: Uint8Array, offset: number): number {
  const size = transportCcSize(p);
  const symbols = symbolsOf(p);
  const n = symbols.length;
  writeRtcpHeader(buf, offset, RtcpFmt.TWCC, RtcpType.RTPFB, size);
  writeU32(buf, offset + 4, p.senderSsrc);
  writeU32(buf, offset + 8, p.mediaSsrc);
  let pos = offset + FEEDBACK_HEADER_LENGTH;
  writeU16(buf, pos, p.baseSequence);
  writeU16(buf, pos + 2, n);
  writeU32(buf, pos + 4, ((p.referenceTime & 0xffffff) * 256 + (p.feedbackCount & 0xff)) >>> 0);
  pos += 8;
  for (let i = 0; i < n; ) {
    i += nextChunk(symbols, i, n);
    writeU16(buf, pos, CHUNK);
    pos += 2;
  }
  for (const r of p.received) {
    const s = symbols[(r.sequence - p.baseSequence) & 0xffff] as number;
    const units = Math.round(r.deltaUs / 250);
    if (s === TwccStatus.SMALL_DELTA) buf[pos++] = units;
    else if (s === TwccStatus.LARGE_DELTA) {
      writeU16(buf, pos, units & 0xffff);
      pos += 2;
    }
  }
  buf.fill(0, pos, offset + size);
  return size;
}
