/**
 * Plain RTP packets for the test peer (RFC 3550 §5.1), with optional one-byte header
 * extensions (RFC 8285 §4.2). Test code: allocates freely.
 */

export interface RtpPacketSpec {
  ssrc: number;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  marker?: boolean;
  payload: Uint8Array;
  /** One-byte header extensions (id 1…14, 1…16 bytes each). */
  extensions?: { id: number; value: Uint8Array }[];
}

/** A received and decrypted RTP packet. */
export interface ReceivedRtp {
  ssrc: number;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  /** Payload bytes (after header, extension and padding). */
  payload: Buffer;
  /** The whole decrypted packet. */
  packet: Buffer;
}

/** Serializes one RTP packet. */
export function buildRtp(p: RtpPacketSpec): Buffer {
  let ext = Buffer.alloc(0);
  if (p.extensions !== undefined && p.extensions.length > 0) {
    const body: number[] = [];
    for (const e of p.extensions) {
      if (e.id < 1 || e.id > 14 || e.value.length < 1 || e.value.length > 16) throw new RangeError('bad extension');
      body.push((e.id << 4) | (e.value.length - 1), ...e.value);
    }
    while (body.length % 4 !== 0) body.push(0);
    ext = Buffer.alloc(4 + body.length);
    ext.writeUInt16BE(0xbede, 0);
    ext.writeUInt16BE(body.length / 4, 2);
    Buffer.from(body).copy(ext, 4);
  }
  const header = Buffer.alloc(12);
  header[0] = 0x80 | (ext.length > 0 ? 0x10 : 0);
  header[1] = (p.marker === true ? 0x80 : 0) | (p.payloadType & 0x7f);
  header.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(p.timestamp >>> 0, 4);
  header.writeUInt32BE(p.ssrc >>> 0, 8);
  return Buffer.concat([header, ext, p.payload]);
}

/** Parses a decrypted RTP packet (throws RangeError when it is not one). */
export function readRtp(packet: Buffer): ReceivedRtp {
  const b0 = packet[0] ?? 0;
  const b1 = packet[1] ?? 0;
  if (packet.length < 12 || b0 >> 6 !== 2) throw new RangeError('not an RTP packet');
  let offset = 12 + (b0 & 0x0f) * 4;
  if ((b0 & 0x10) !== 0) {
    if (offset + 4 > packet.length) throw new RangeError('truncated extension');
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if ((b0 & 0x20) !== 0) end -= packet[end - 1] ?? 0;
  if (offset > end) throw new RangeError('truncated RTP packet');
  return {
    ssrc: packet.readUInt32BE(8),
    payloadType: b1 & 0x7f,
    sequenceNumber: packet.readUInt16BE(2),
    timestamp: packet.readUInt32BE(4),
    marker: (b1 & 0x80) !== 0,
    payload: packet.subarray(offset, end),
    packet,
  };
}
