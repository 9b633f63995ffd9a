/**
 * Telling packets apart on a shared port, by the first byte (RFC 7983 §7, as updated by
 * RFC 9443 §3):
 *
 * | first byte | protocol |
 * |---|---|
 * | 0–3 | STUN |
 * | 16–19 | ZRTP |
 * | 20–63 | DTLS |
 * | 64–79 | TURN ChannelData |
 * | 128–191 | RTP / RTCP |
 *
 * and cutting frames out of a TURN TCP/TLS byte stream (RFC 8656 §12.5, RFC 6062).
 * None of these throws except `streamFrameLength` on garbage.
 */
import { CHANNEL_NUMBER_MAX } from './channel-data.ts';
import { HEADER_LENGTH, MAGIC_COOKIE } from './constants.ts';
import { StunDecodeError } from './errors.ts';
import { readU16, readU32 } from './header.ts';

export type PacketKind = 'stun' | 'zrtp' | 'dtls' | 'channel-data' | 'rtp' | 'unknown';

/** The protocol of a packet by its first byte (RFC 7983 §7). Empty packets are `unknown`. */
export function classifyPacket(buf: Uint8Array): PacketKind {
  if (buf.length === 0) return 'unknown';
  const b = buf[0] as number;
  if (b <= 3) return 'stun';
  if (b >= 16 && b <= 19) return 'zrtp';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 64 && b <= 79) return 'channel-data';
  if (b >= 128 && b <= 191) return 'rtp';
  return 'unknown';
}

/**
 * True when `buf` looks like exactly one STUN message: at least 20 bytes, first byte
 * 0–3 (RFC 7983), the magic cookie, a length that is a multiple of 4 and matches the
 * buffer (RFC 8489 §5). Cheaper than decoding; `decodeMessage` still validates the rest.
 */
export function isStunMessage(buf: Uint8Array): boolean {
  if (buf.length < HEADER_LENGTH || (buf[0] as number) > 3) return false;
  if (readU32(buf, 4) !== MAGIC_COOKIE) return false;
  const length = readU16(buf, 2);
  return (length & 3) === 0 && HEADER_LENGTH + length === buf.length;
}

/**
 * True when `buf` starts with a whole ChannelData message: first byte 64–79
 * (channel 0x4000–0x4FFF, RFC 8656 §12) and at least `4 + Length` bytes.
 */
export function isChannelData(buf: Uint8Array): boolean {
  if (buf.length < 4) return false;
  const b = buf[0] as number;
  return b >= 0x40 && b <= 0x4f && 4 + readU16(buf, 2) <= buf.length;
}

/**
 * Length of the frame at the start of a TURN TCP/TLS stream buffer: a STUN message
 * (`20 + Length`, RFC 8489 §6.2.2) or a ChannelData message padded to 4 bytes
 * (RFC 8656 §12.5). Returns undefined while fewer than 4 bytes are buffered.
 * `maxChannel` is the highest ChannelData channel accepted: 0x4FFF (default, RFC 8656)
 * or 0x7FFF for RFC 5766 clients (CHANNEL_NUMBER_MAX_RFC5766).
 * The frame may be longer than `buf`: wait for more bytes.
 *
 * @throws StunDecodeError stun_unknown_frame when the first two bits say neither STUN
 *   (00) nor ChannelData (01), or the ChannelData channel is outside 0x4000–0x4FFF;
 *   stun_bad_length when a STUN length is not a multiple of 4. The stream cannot be
 *   resynchronised after either: close it.
 */
export function streamFrameLength(buf: Uint8Array, maxChannel: number = CHANNEL_NUMBER_MAX): number | undefined {
  if (buf.length < 4) return undefined;
  const b = buf[0] as number;
  const length = readU16(buf, 2);
  if (b < 0x40) {
    if ((length & 3) !== 0)
      throw new StunDecodeError('stun_bad_length', `STUN length ${length} is not a multiple of 4`);
    return HEADER_LENGTH + length;
  }
  if (b <= maxChannel >> 8) return (4 + length + 3) & ~3;
  throw new StunDecodeError('stun_unknown_frame', `first byte 0x${b.toString(16)} is neither STUN nor ChannelData`);
}
