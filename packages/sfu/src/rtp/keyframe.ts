/**
 * Does an RTP packet start a keyframe? A simulcast switch (RFC 8853) may only move a
 * subscriber to another layer at a picture it can decode without what came before, so
 * the SFU looks at the first bytes of each video payload of the layer it waits for:
 *
 * - VP8 (RFC 7741 §4.2–4.3): descriptor with S = 1 and partition index 0, then the VP8
 *   payload header's P bit (inverse key frame flag) = 0.
 * - VP9 (RFC 9628 §4.2): descriptor with B = 1 (start of a frame) and P = 0 (not
 *   inter-picture predicted); with layer indices (L = 1) only spatial layer 0.
 * - H.264 (RFC 6184 §5.4–5.8): an IDR slice (NAL type 5) or SPS (7) as a single NAL unit,
 *   inside a STAP-A (24), or starting an FU-A (28, S = 1).
 * - AV1 (AV1 RTP payload format §4.4): aggregation header N = 1, the first packet of a
 *   coded video sequence.
 *
 * Sans-IO and allocation-free; a payload too short to tell is not a keyframe.
 */

export type KeyframeCodec = 'vp8' | 'vp9' | 'h264' | 'av1';

/** The codec a MIME type (`video/VP8`, case-insensitive) names, if keyframes can be told. */
export function keyframeCodec(mimeType: string): KeyframeCodec | undefined {
  switch (mimeType.toLowerCase()) {
    case 'video/vp8':
      return 'vp8';
    case 'video/vp9':
      return 'vp9';
    case 'video/h264':
      return 'h264';
    case 'video/av1':
      return 'av1';
    default:
      return undefined;
  }
}

/** True when the payload `buf[offset, offset + length)` starts a keyframe of `codec`. */
export function isKeyframeStart(codec: KeyframeCodec, buf: Uint8Array, offset: number, length: number): boolean {
  if (length < 1) return false;
  switch (codec) {
    case 'vp8':
      return vp8(buf, offset, length);
    case 'vp9':
      return vp9(buf, offset, length);
    case 'h264':
      return h264(buf, offset, length);
    case 'av1':
      return ((buf[offset] as number) & 0x08) !== 0;
  }
}

function vp8(b: Uint8Array, o: number, n: number): boolean {
  const d0 = b[o] as number;
  // S (start of partition) = 1 and PID (partition index) = 0.
  if ((d0 & 0x10) === 0 || (d0 & 0x0f) !== 0) return false;
  let i = 1;
  if ((d0 & 0x80) !== 0) {
    // X: an extension byte I|L|T|K, then PictureID (1 or 2 bytes), TL0PICIDX, TID|Y|KEYIDX.
    if (n < 2) return false;
    const x = b[o + 1] as number;
    i = 2;
    if ((x & 0x80) !== 0) {
      if (i >= n) return false;
      i += ((b[o + i] as number) & 0x80) !== 0 ? 2 : 1;
    }
    if ((x & 0x40) !== 0) i++;
    if ((x & 0x30) !== 0) i++;
  }
  if (i >= n) return false;
  // VP8 payload header: bit 0 of the first byte is P, 0 for a key frame (RFC 6386 §9.1).
  return ((b[o + i] as number) & 0x01) === 0;
}

function vp9(b: Uint8Array, o: number, n: number): boolean {
  const d0 = b[o] as number;
  // I|P|L|F|B|E|V|Z: P = 0 (not inter-predicted) and B = 1 (start of a frame).
  if ((d0 & 0x40) !== 0 || (d0 & 0x08) === 0) return false;
  if ((d0 & 0x20) === 0) return true;
  // L: layer indices after the picture id; the keyframe starts with spatial layer 0.
  let i = 1;
  if ((d0 & 0x80) !== 0) {
    if (i >= n) return false;
    i += ((b[o + i] as number) & 0x80) !== 0 ? 2 : 1;
  }
  if (i >= n) return false;
  return ((b[o + i] as number) & 0x0e) === 0;
}

function h264(b: Uint8Array, o: number, n: number): boolean {
  const type = (b[o] as number) & 0x1f;
  if (type === 5 || type === 7) return true;
  if (type === 28) {
    // FU-A: FU header S|E|R|type.
    if (n < 2) return false;
    const fu = b[o + 1] as number;
    return (fu & 0x80) !== 0 && ((fu & 0x1f) === 5 || (fu & 0x1f) === 7);
  }
  if (type === 24) {
    // STAP-A: 16-bit size, NAL unit, repeated.
    let i = 1;
    while (i + 2 < n) {
      const size = ((b[o + i] as number) << 8) | (b[o + i + 1] as number);
      const nal = (b[o + i + 2] as number) & 0x1f;
      if (nal === 5 || nal === 7) return true;
      i += 2 + size;
    }
  }
  return false;
}
