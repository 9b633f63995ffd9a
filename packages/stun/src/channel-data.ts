/**
 * TURN ChannelData messages (RFC 8656 §12.4):
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |         Channel Number        |            Length             |
 * /                       Application Data                        /
 * /                       +-------------------------------+
 * |                       |  (padding over TCP/TLS only)
 * ```
 *
 * Over TCP and TLS the message is padded to a multiple of 4 bytes; over UDP the padding
 * is not required but may be included (RFC 8656 §12.5), so a UDP receiver ignores bytes
 * after `4 + Length`, and drops a datagram shorter than that (§12.6).
 */
import { StunDecodeError, StunEncodeError } from './errors.ts';
import { readU16, writeU16 } from './header.ts';

/** RFC 8656 §12: the first valid channel number. */
export const CHANNEL_NUMBER_MIN = 0x4000;
/** RFC 8656 §12: the last valid channel number (0x5000–0xFFFF are reserved). */
export const CHANNEL_NUMBER_MAX = 0x4fff;
/**
 * RFC 5766 §11 (obsoleted by RFC 8656): the last channel number of the older range
 * 0x4000–0x7FFF. Older clients (coturn's `turnutils_uclient` among them) still bind
 * numbers up to here; a TURN server port that multiplexes nothing else can accept them.
 * Where TURN shares a port with DTLS/SRTP/QUIC (RFC 7983, RFC 9443) keep the strict range.
 */
export const CHANNEL_NUMBER_MAX_RFC5766 = 0x7fff;
/** The ChannelData header: channel number and length. */
export const CHANNEL_DATA_HEADER_LENGTH = 4;

/** True for 0x4000–`max` (default 0x4FFF, RFC 8656 §12; 0x7FFF for RFC 5766 clients). */
export function isValidChannelNumber(channel: number, max: number = CHANNEL_NUMBER_MAX): boolean {
  return Number.isInteger(channel) && channel >= CHANNEL_NUMBER_MIN && channel <= max;
}

/** A decoded ChannelData message. */
export interface ChannelData {
  channel: number;
  /** The application data: a view of the input, no copy. */
  data: Uint8Array;
  /** Bytes the message takes in its input, padding included over streams. */
  frameLength: number;
}

/** Total bytes of a ChannelData message carrying `dataLength` bytes; padded to 4 when `stream`. */
export function channelDataLength(dataLength: number, stream = false): number {
  const n = CHANNEL_DATA_HEADER_LENGTH + dataLength;
  return stream ? (n + 3) & ~3 : n;
}

/**
 * Writes a ChannelData message into `buf` at `at`; returns the bytes written.
 * @param stream true over TCP/TLS: pads with zeros to a multiple of 4 (RFC 8656 §12.5).
 * @param maxChannel the highest channel number written: 0x4FFF (default, RFC 8656) or
 *   CHANNEL_NUMBER_MAX_RFC5766 to answer RFC 5766 clients on the channels they bound.
 * @throws StunEncodeError stun_bad_value (channel outside 0x4000–maxChannel, data over
 *   65535 bytes), stun_buffer_too_small
 */
export function encodeChannelDataInto(
  channel: number,
  data: Uint8Array,
  buf: Uint8Array,
  at = 0,
  stream = false,
  maxChannel: number = CHANNEL_NUMBER_MAX,
): number {
  if (!isValidChannelNumber(channel, maxChannel)) {
    throw new StunEncodeError(
      'stun_bad_value',
      `channel number 0x${channel.toString(16)} is not 0x4000-0x${maxChannel.toString(16).toUpperCase()}`,
    );
  }
  if (data.length > 0xffff) throw new StunEncodeError('stun_bad_value', `${data.length} bytes of data, at most 65535`);
  const size = channelDataLength(data.length, stream);
  if (!Number.isInteger(at) || at < 0 || at + size > buf.length) {
    throw new StunEncodeError('stun_buffer_too_small', `ChannelData needs ${size} bytes at offset ${at}`);
  }
  writeU16(buf, at, channel);
  writeU16(buf, at + 2, data.length);
  buf.set(data, at + 4);
  buf.fill(0, at + 4 + data.length, at + size);
  return size;
}

/** A new buffer with one ChannelData message. See encodeChannelDataInto. */
export function encodeChannelData(
  channel: number,
  data: Uint8Array,
  stream = false,
  maxChannel: number = CHANNEL_NUMBER_MAX,
): Uint8Array {
  const out = new Uint8Array(channelDataLength(data.length, stream));
  encodeChannelDataInto(channel, data, out, 0, stream, maxChannel);
  return out;
}

/**
 * Decodes the ChannelData message at the start of `buf`.
 *
 * Datagram (`stream` false): `buf` is the whole UDP datagram; it must hold at least
 * `4 + Length` bytes (RFC 8656 §12.6), and bytes after that are ignored (§12.5).
 * Stream (`stream` true): `buf` starts with the message; it must hold the message with
 * its padding, and `frameLength` says where the next message starts.
 *
 * @param maxChannel the highest channel number accepted: 0x4FFF (default, RFC 8656) or
 *   CHANNEL_NUMBER_MAX_RFC5766 for RFC 5766 clients.
 * @throws StunDecodeError stun_truncated, stun_bad_channel_number
 */
export function decodeChannelData(
  buf: Uint8Array,
  stream = false,
  maxChannel: number = CHANNEL_NUMBER_MAX,
): ChannelData {
  if (buf.length < CHANNEL_DATA_HEADER_LENGTH) {
    throw new StunDecodeError('stun_truncated', `${buf.length} bytes is shorter than the ChannelData header`);
  }
  const channel = readU16(buf, 0);
  if (!isValidChannelNumber(channel, maxChannel)) {
    throw new StunDecodeError(
      'stun_bad_channel_number',
      `channel number 0x${channel.toString(16)} is not 0x4000-0x${maxChannel.toString(16).toUpperCase()}`,
      {
        channel,
      },
    );
  }
  const length = readU16(buf, 2);
  const frameLength = channelDataLength(length, stream);
  if (buf.length < frameLength) {
    throw new StunDecodeError('stun_truncated', `ChannelData declares ${length} bytes, has ${buf.length - 4}`, {
      length,
      available: buf.length - CHANNEL_DATA_HEADER_LENGTH,
    });
  }
  return { channel, data: buf.subarray(4, 4 + length), frameLength };
}
