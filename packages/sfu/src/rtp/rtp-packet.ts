/**
 * RTP packet header parsing without allocation (RFC 3550 §5.1) and header extensions
 * (RFC 8285 one-byte and two-byte forms).
 *
 * `RtpPacketView` is a reusable view: `parse(buf)` fills its fields from the buffer and
 * allocates nothing, so the forwarding hot path keeps one view per socket and parses every
 * datagram into it. The view keeps a reference to the buffer until the next `parse`.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * |                           timestamp                           |
 * |           synchronization source (SSRC) identifier            |
 * |            contributing source (CSRC) identifiers             |
 * ```
 */
import { RtpError } from './errors.ts';

/** Fixed RTP header length in bytes (RFC 3550 §5.1). */
export const RTP_HEADER_LENGTH = 12;
/** "defined by profile" value of the one-byte header extension form (RFC 8285 §4.2). */
export const ONE_BYTE_PROFILE = 0xbede;
/** Two-byte form: 0x100 followed by 4 application bits (RFC 8285 §4.3); we match 0x1000–0x100F. */
export const TWO_BYTE_PROFILE_MASK = 0xfff0;
export const TWO_BYTE_PROFILE = 0x1000;

const EMPTY = new Uint8Array(0);

/** A reusable, allocation-free view of one RTP packet. All offsets are absolute into `buf`. */
export class RtpPacketView {
  /** The parsed buffer (kept by reference). */
  buf: Uint8Array = EMPTY;
  /** Start of the packet in `buf`. */
  offset = 0;
  /** Packet length in bytes, padding included. */
  length = 0;
  version = 0;
  padding = false;
  extension = false;
  csrcCount = 0;
  marker = false;
  payloadType = 0;
  sequenceNumber = 0;
  timestamp = 0;
  ssrc = 0;
  /** "defined by profile" field of the extension block, 0 without one. */
  extensionProfile = 0;
  /** Start of the extension elements (after the 4-byte block header), 0 without one. */
  extensionOffset = 0;
  /** Length of the extension elements in bytes. */
  extensionLength = 0;
  payloadOffset = 0;
  /** Payload length with padding removed. */
  payloadLength = 0;
  paddingLength = 0;
  /** Set by `findExtension`: absolute offset of the found element's value. */
  foundOffset = 0;
  /** Set by `findExtension`: length of the found element's value. */
  foundLength = 0;

  /**
   * Parses the packet at `buf[offset, offset + length)` into this view; throws `RtpError`
   * (`rtp_too_short`, `rtp_bad_version`, `rtp_bad_padding`, `rtp_bad_extension`).
   * Extension elements of the one-byte and two-byte forms are validated here, so
   * `findExtension` never reads out of bounds.
   */
  parse(buf: Uint8Array, offset = 0, length = buf.length - offset): this {
    if (length < RTP_HEADER_LENGTH || offset + length > buf.length) {
      throw new RtpError('rtp_too_short', `RTP packet of ${length} bytes is shorter than its 12-byte header`);
    }
    const b0 = buf[offset] as number;
    const b1 = buf[offset + 1] as number;
    const version = b0 >> 6;
    if (version !== 2) throw new RtpError('rtp_bad_version', `RTP version ${version}, expected 2`);
    const csrcCount = b0 & 0x0f;
    const end = offset + length;
    let pos = offset + RTP_HEADER_LENGTH + csrcCount * 4;
    if (pos > end) throw new RtpError('rtp_too_short', `RTP packet too short for ${csrcCount} CSRCs`);
    this.buf = buf;
    this.offset = offset;
    this.length = length;
    this.version = version;
    this.padding = (b0 & 0x20) !== 0;
    this.extension = (b0 & 0x10) !== 0;
    this.csrcCount = csrcCount;
    this.marker = (b1 & 0x80) !== 0;
    this.payloadType = b1 & 0x7f;
    this.sequenceNumber = ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number);
    this.timestamp = readU32(buf, offset + 4);
    this.ssrc = readU32(buf, offset + 8);
    this.extensionProfile = 0;
    this.extensionOffset = 0;
    this.extensionLength = 0;
    if (this.extension) {
      // RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words, then the data.
      if (pos + 4 > end) throw new RtpError('rtp_too_short', 'RTP packet too short for its extension header');
      this.extensionProfile = ((buf[pos] as number) << 8) | (buf[pos + 1] as number);
      const words = ((buf[pos + 2] as number) << 8) | (buf[pos + 3] as number);
      pos += 4;
      if (pos + words * 4 > end) throw new RtpError('rtp_too_short', 'RTP header extension runs past the packet');
      this.extensionOffset = pos;
      this.extensionLength = words * 4;
      pos += words * 4;
      validateElements(this);
    }
    let paddingLength = 0;
    if (this.padding) {
      // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
      paddingLength = buf[end - 1] as number;
      if (paddingLength === 0 || pos + paddingLength > end) {
        throw new RtpError('rtp_bad_padding', `RTP padding count ${paddingLength} does not fit the packet`);
      }
    }
    this.payloadOffset = pos;
    this.paddingLength = paddingLength;
    this.payloadLength = end - pos - paddingLength;
    return this;
  }

  /** The i-th CSRC; `i` must be in 0 ≤ i < csrcCount (not checked). */
  csrc(i: number): number {
    return readU32(this.buf, this.offset + RTP_HEADER_LENGTH + i * 4);
  }

  /**
   * Looks up the header extension element with `id` (one-byte form: 1–14, two-byte form:
   * 1–255; RFC 8285). On success returns true and sets `foundOffset`/`foundLength`
   * (absolute offset and length of the value); allocates nothing.
   */
  findExtension(id: number): boolean {
    const form = extensionForm(this.extensionProfile);
    if (form === 0 || id <= 0) return false;
    const buf = this.buf;
    const end = this.extensionOffset + this.extensionLength;
    let pos = this.extensionOffset;
    while (pos < end) {
      const b = buf[pos] as number;
      let elemId: number;
      let len: number;
      if (form === 1) {
        if (b === 0) {
          pos++;
          continue;
        }
        elemId = b >> 4;
        if (elemId === 15) return false; // RFC 8285 §4.2: stop processing.
        len = (b & 0x0f) + 1;
        pos += 1;
      } else {
        if (b === 0) {
          pos++;
          continue;
        }
        elemId = b;
        len = buf[pos + 1] as number;
        pos += 2;
      }
      if (elemId === id) {
        this.foundOffset = pos;
        this.foundLength = len;
        return true;
      }
      pos += len;
    }
    return false;
  }

  /** The value of extension `id` as an unsigned big-endian integer (values of 1–4 bytes), or -1 if absent. */
  extensionUint(id: number): number {
    if (!this.findExtension(id) || this.foundLength > 4) return -1;
    let v = 0;
    for (let i = 0; i < this.foundLength; i++) v = v * 256 + (this.buf[this.foundOffset + i] as number);
    return v;
  }

  /**
   * Overwrites the value of extension `id` in place with `value` big-endian over the
   * element's own length (1–4 bytes; e.g. abs-send-time 3 bytes, transport-wide-cc
   * sequence 2 bytes). Returns false when the element is absent or longer than 4 bytes.
   */
  setExtensionUint(id: number, value: number): boolean {
    if (!this.findExtension(id) || this.foundLength > 4) return false;
    let v = value;
    for (let i = this.foundLength - 1; i >= 0; i--) {
      this.buf[this.foundOffset + i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    return true;
  }

  /** The value of extension `id` as text (mid, rid, repaired-rid — RFC 8843, RFC 8852), or undefined. Allocates. */
  extensionText(id: number): string | undefined {
    if (!this.findExtension(id)) return undefined;
    return TEXT.decode(this.buf.subarray(this.foundOffset, this.foundOffset + this.foundLength));
  }

  /** Rewrites the SSRC in place (RFC 7667 §3.7: an SFU gives each consumer its own SSRC). */
  setSsrc(ssrc: number): void {
    writeU32(this.buf, this.offset + 8, ssrc);
    this.ssrc = ssrc >>> 0;
  }

  /** Rewrites the sequence number in place (taken modulo 2^16). */
  setSequenceNumber(seq: number): void {
    this.buf[this.offset + 2] = (seq >> 8) & 0xff;
    this.buf[this.offset + 3] = seq & 0xff;
    this.sequenceNumber = seq & 0xffff;
  }

  /** Rewrites the timestamp in place (taken modulo 2^32). */
  setTimestamp(ts: number): void {
    writeU32(this.buf, this.offset + 4, ts);
    this.timestamp = ts >>> 0;
  }

  /** Rewrites the payload type in place (0–127), keeping the marker bit. */
  setPayloadType(pt: number): void {
    const i = this.offset + 1;
    this.buf[i] = ((this.buf[i] as number) & 0x80) | (pt & 0x7f);
    this.payloadType = pt & 0x7f;
  }

  /** Sets or clears the marker bit in place. */
  setMarker(marker: boolean): void {
    const i = this.offset + 1;
    this.buf[i] = ((this.buf[i] as number) & 0x7f) | (marker ? 0x80 : 0);
    this.marker = marker;
  }
}

const TEXT = new TextDecoder();

/** 1 for the one-byte form, 2 for the two-byte form, 0 for any other profile. */
function extensionForm(profile: number): 0 | 1 | 2 {
  if (profile === ONE_BYTE_PROFILE) return 1;
  if ((profile & TWO_BYTE_PROFILE_MASK) === TWO_BYTE_PROFILE) return 2;
  return 0;
}

/** Walks the extension elements once, so that lookups later need no bounds checks. */
function validateElements(view: RtpPacketView): void {
  const form = extensionForm(view.extensionProfile);
  if (form === 0) return;
  const buf = view.buf;
  const end = view.extensionOffset + view.extensionLength;
  let pos = view.extensionOffset;
  while (pos < end) {
    const b = buf[pos] as number;
    if (b === 0) {
      pos++;
      continue;
    }
    if (form === 1) {
      if (b >> 4 === 15) return;
      pos += 1 + (b & 0x0f) + 1;
    } else {
      if (pos + 2 > end) throw new RtpError('rtp_bad_extension', 'two-byte header extension element cut short');
      pos += 2 + (buf[pos + 1] as number);
    }
    if (pos > end) throw new RtpError('rtp_bad_extension', 'header extension element runs past its block');
  }
}

/** Big-endian unsigned 32-bit read. */
export function readU32(buf: Uint8Array, i: number): number {
  return (
    (buf[i] as number) * 0x1000000 +
    (((buf[i + 1] as number) << 16) | ((buf[i + 2] as number) << 8) | (buf[i + 3] as number))
  );
}

/** Big-endian 32-bit write (value taken modulo 2^32). */
export function writeU32(buf: Uint8Array, i: number, v: number): void {
  buf[i] = (v >>> 24) & 0xff;
  buf[i + 1] = (v >>> 16) & 0xff;
  buf[i + 2] = (v >>> 8) & 0xff;
  buf[i + 3] = v & 0xff;
}
