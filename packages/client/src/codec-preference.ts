/**
 * The video codec a publish connection offers (`RoomOptions.videoCodec`).
 *
 * The SFU answers each m-line with one codec, the first of its own preference order
 * (VP8, VP9, H.264, AV1) that the offer contains (docs/sfu/sdp.md). To send another
 * codec the browser must offer only that one: `RTCRtpTransceiver.setCodecPreferences`
 * (W3C WebRTC §5.4) with the codec's entries and the retransmission entry (`video/rtx`,
 * RFC 4588) — the other codecs, RED and FEC are left out of the offer.
 */
import type { Logger } from '@itda/common';

/** A video codec the SFU forwards. */
export type VideoCodec = 'vp8' | 'vp9' | 'h264' | 'av1';

/** The valid values of `RoomOptions.videoCodec`. */
export const VIDEO_CODECS: readonly VideoCodec[] = ['vp8', 'vp9', 'h264', 'av1'];

const MIME: Record<VideoCodec, string> = {
  vp8: 'video/vp8',
  vp9: 'video/vp9',
  h264: 'video/h264',
  av1: 'video/av1',
};

/** True for one of {@link VIDEO_CODECS}. */
export function isVideoCodec(value: unknown): value is VideoCodec {
  return typeof value === 'string' && (VIDEO_CODECS as readonly string[]).includes(value);
}

/**
 * The codec preferences that make an offer carry only `codec` (and RTX), from the
 * receiver capabilities (what `setCodecPreferences` accepts); undefined when this
 * browser cannot send `codec` (not in `RTCRtpSender.getCapabilities('video')`, e.g. H.264
 * in a Chromium built without OpenH264) or has no capabilities API.
 */
export function codecPreferences(codec: VideoCodec): RTCRtpCodec[] | undefined {
  if (typeof RTCRtpSender === 'undefined' || typeof RTCRtpReceiver === 'undefined') return undefined;
  const mime = MIME[codec];
  const sendable = RTCRtpSender.getCapabilities('video')?.codecs ?? [];
  if (!sendable.some((c) => c.mimeType.toLowerCase() === mime)) return undefined;
  const receivable = RTCRtpReceiver.getCapabilities('video')?.codecs ?? [];
  const chosen = receivable.filter((c) => c.mimeType.toLowerCase() === mime);
  if (chosen.length === 0) return undefined;
  return [...chosen, ...receivable.filter((c) => c.mimeType.toLowerCase() === 'video/rtx')];
}

/**
 * Applies `codec` to every video transceiver of `pc` that sends (before `createOffer`).
 * A codec this browser cannot send is logged once per call and the default offer is kept.
 */
export function preferVideoCodec(pc: RTCPeerConnection, codec: VideoCodec, log: Logger): void {
  const video = pc
    .getTransceivers()
    .filter(
      (t) =>
        t.direction !== 'stopped' &&
        t.currentDirection !== 'stopped' &&
        (t.sender.track?.kind ?? t.receiver.track?.kind) === 'video' &&
        typeof t.setCodecPreferences === 'function',
    );
  if (video.length === 0) return;
  const preferences = codecPreferences(codec);
  if (preferences === undefined) {
    log.warn('this browser cannot send the preferred video codec; offering its defaults', { codec });
    return;
  }
  for (const t of video) {
    try {
      t.setCodecPreferences(preferences);
    } catch (err) {
      log.warn('setCodecPreferences failed; offering the defaults', { codec, err: String(err) });
    }
  }
}
