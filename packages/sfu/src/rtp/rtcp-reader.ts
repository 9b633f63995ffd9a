/**
 * RTCP compound packet iteration (RFC 3550 §6.1, §6.4.1, Appendix A.2) without allocation.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |V=2|P| RC/FMT  |      PT       |   length (32-bit words − 1)   |
 * ```
 */
import { RtpError } from './errors.ts';

/** RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611). */
export const RtcpType = {
  SR: 200,
  RR: 201,
  SDES: 202,
  BYE: 203,
  APP: 204,
  /** Transport-layer feedback (RFC 4585 §6.2): FMT 1 generic NACK, FMT 15 transport-wide CC. */
  RTPFB: 205,
  /** Payload-specific feedback (RFC 4585 §6.3): FMT 1 PLI, FMT 4 FIR (RFC 5104), FMT 15 AFB/REMB. */
  PSFB: 206,
  XR: 207,
} as const;

/** Feedback message types (the FMT field). */
export const RtcpFmt = {
  NACK: 1,
  TWCC: 15,
  PLI: 1,
  FIR: 4,
  AFB: 15,
} as const;

export const RTCP_HEADER_LENGTH = 4;

/**
 * A reusable reader over one compound RTCP packet. `reset(buf)` then `while (r.next())`
 * visits each packet; the fields describe the current one. `next()` throws `RtpError`
 * (`rtcp_too_short`, `rtcp_bad_version`, `rtcp_bad_length`, `rtcp_bad_padding`) on a
 * malformed packet; packets visited before it were well-formed.
 */
export class RtcpReader {
  buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #end = 0;
  /** Start of the current packet in `buf`. */
  offset = 0;
  /** Length of the current packet in bytes, header and padding included. */
  length = 0;
  /** Length of the current packet without padding. */
  contentLength = 0;
  /** Packet type (200 SR, 201 RR, ...). */
  type = 0;
  /** Report count / source count / feedback message type (the 5-bit field). */
  count = 0;
  padding = false;

  reset(buf: Uint8Array, offset = 0, length = buf.length - offset): this {
    if (offset + length > buf.length) throw new RtpError('rtcp_too_short', 'RTCP range runs past the buffer');
    this.buf = buf;
    this.#pos = offset;
    this.#end = offset + length;
    this.offset = offset;
    this.length = 0;
    return this;
  }

  /** Moves to the next packet of the compound; false at the end. */
  next(): boolean {
    const buf = this.buf;
    const pos = this.#pos;
    if (pos >= this.#end) return false;
    if (pos + RTCP_HEADER_LENGTH > this.#end) {
      throw new RtpError('rtcp_too_short', `RTCP packet of ${this.#end - pos} bytes is shorter than its header`);
    }
    const b0 = buf[pos] as number;
    if (b0 >> 6 !== 2) throw new RtpError('rtcp_bad_version', `RTCP version ${b0 >> 6}, expected 2`);
    const length = ((((buf[pos + 2] as number) << 8) | (buf[pos + 3] as number)) + 1) * 4;
    if (pos + length > this.#end) {
      throw new RtpError('rtcp_bad_length', `RTCP length ${length} runs past the datagram (${this.#end - pos} left)`);
    }
    const padding = (b0 & 0x20) !== 0;
    let contentLength = length;
    if (padding) {
      // RFC 3550 §6.4.1 / A.2: only the last packet of a compound may be padded.
      const count = buf[pos + length - 1] as number;
      if (pos + length !== this.#end || count === 0 || count > length - RTCP_HEADER_LENGTH) {
        throw new RtpError('rtcp_bad_padding', `RTCP padding ${count} invalid`);
      }
      contentLength = length - count;
    }
    this.offset = pos;
    this.length = length;
    this.contentLength = contentLength;
    this.type = buf[pos + 1] as number;
    this.count = b0 & 0x1f;
    this.padding = padding;
    this.#pos = pos + length;
    return true;
  }
}

/** Writes an RTCP common header; `length` is the whole packet in bytes (a multiple of 4). */
export function writeRtcpHeader(buf: Uint8Array, offset: number, count: number, type: number, length: number): void {
  buf[offset] = 0x80 | (count & 0x1f);
  buf[offset + 1] = type;
  const words = length / 4 - 1;
  buf[offset + 2] = (words >> 8) & 0xff;
  buf[offset + 3] = words & 0xff;
}

export function readU16(buf: Uint8Array, i: number): number {
  return ((buf[i] as number) << 8) | (buf[i + 1] as number);
}

export function writeU16(buf: Uint8Array, i: number, v: number): void {
  buf[i] = (v >> 8) & 0xff;
  buf[i + 1] = v & 0xff;
}
