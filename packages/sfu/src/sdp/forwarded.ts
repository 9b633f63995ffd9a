/**
 * The m-lines that carry a forwarded track downstream, shared by the subscribe offer
 * (offer.ts: the SFU offers) and the WHEP answer (play.ts: the player offered).
 */
import { applyLocal, emptyMedia, type LocalTransportParams } from './local.ts';
import type { Codec, MediaSection } from './types.ts';

/** The SFU's DTLS role in what it writes: `actpass` in its offers, `passive` in its answers (RFC 5763 §5). */
type LocalSetup = 'actpass' | 'passive';

/** A track the SFU sends: the producer's codec and the consumer's SSRCs and msid. */
export interface ForwardedTrack {
  kind: 'audio' | 'video';
  /** The producer's codec (publisher's payload type, fmtp, rtcp-fb). */
  codec: Codec;
  /** The producer's RTX payload type, when it has RTX. */
  rtx?: { payloadType: number };
  /** The consumer's SSRC (1…2^32−1). */
  ssrc: number;
  /** The consumer's RTX SSRC; required for RTX to be written. */
  rtxSsrc?: number;
  cname: string;
  /** msid stream id: the publishing participant's id. */
  streamId: string;
  /** msid track id: the producer id. */
  trackId: string;
  /** Header extensions in the forwarded packets, with the publisher's ids (RFC 8285). */
  extensions: { id: number; uri: string }[];
}

/** The `rtx` codec line paired with payload type `apt` (RFC 4588 §8.1). */
export function rtxCodec(payloadType: number, apt: number, clockRate: number): Codec {
  return { payloadType, name: 'rtx', clockRate, parameters: { apt: String(apt) }, feedback: [] };
}

export interface SendingMediaOptions {
  track: ForwardedTrack;
  mid: string | undefined;
  protocol: string;
  /** The main codec, then its RTX codec when RTX is negotiated. */
  codecs: Codec[];
  extensions: { id: number; uri: string }[];
  /** Write the RTX SSRC (`a=ssrc-group:FID`): RTX negotiated and the consumer has an RTX SSRC. */
  withRtx: boolean;
  local: LocalTransportParams;
  setup: LocalSetup;
  rtcpRsize: boolean;
}

/**
 * The `sendonly` m-line of one forwarded track: its codecs, header extensions, `a=msid`,
 * `a=ssrc` cname/msid lines (RFC 5576, RFC 8830) and `a=ssrc-group:FID` for RTX, and the
 * local ICE/DTLS attributes with `setup`.
 */
export function sendingMedia(o: SendingMediaOptions): MediaSection {
  const { track } = o;
  const m = emptyMedia(
    track.kind,
    9,
    o.protocol,
    o.codecs.map((c) => String(c.payloadType)),
  );
  applyLocal(m, o.local, o.setup);
  m.mid = o.mid;
  m.direction = 'sendonly';
  m.rtcpMux = true;
  m.rtcpRsize = o.rtcpRsize;
  m.codecs = o.codecs;
  m.extensions = o.extensions.map((e) => ({ id: e.id, uri: e.uri }));
  const msid = { streamId: track.streamId, trackId: track.trackId };
  m.msids = [msid];
  const ssrcs = [track.ssrc];
  if (o.withRtx && track.rtxSsrc !== undefined) {
    ssrcs.push(track.rtxSsrc);
    m.ssrcGroups = [{ semantics: 'FID', ssrcs: [track.ssrc, track.rtxSsrc] }];
  }
  m.ssrcs = ssrcs.map((ssrc) => ({ ssrc, cname: track.cname, msid: { ...msid }, attributes: [] }));
  return m;
}

/**
 * A bundled `a=inactive` m-line that keeps its port: one codec and the local ICE/DTLS
 * attributes, no SSRCs (an idle subscribe slot, a WHEP m-line with nothing to play).
 */
export function inactiveMedia(
  kind: string,
  protocol: string,
  mid: string | undefined,
  codec: Codec,
  local: LocalTransportParams,
  setup: LocalSetup,
  rtcpRsize: boolean,
): MediaSection {
  const m = emptyMedia(kind, 9, protocol, [String(codec.payloadType)]);
  applyLocal(m, local, setup);
  m.mid = mid;
  m.direction = 'inactive';
  m.rtcpMux = true;
  m.rtcpRsize = rtcpRsize;
  m.codecs = [codec];
  return m;
}
