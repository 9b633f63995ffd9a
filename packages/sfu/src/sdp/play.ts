/**
 * The SFU's answer to a WHEP player's offer (draft-ietf-wish-whep; the player offers,
 * RFC 9725 §4.2 style): the player's recvonly audio/video m-lines are answered
 * `sendonly`, each with one of the tracks being played. Unlike a subscribe offer, the
 * player chose the payload types: each track is answered with the player's number for
 * the producer's codec (RFC 3264 §6.1 — the answerer must use the offerer's payload type
 * when it sends), and the Consumer rewrites it in forwarded packets.
 */
import { rejectedMedia, remoteTransport } from './answer.ts';
import { matchCodec } from './capabilities.ts';
import { SdpError, SdpErrorCode } from './errors.ts';
import { type ForwardedTrack, inactiveMedia, rtxCodec, sendingMedia } from './forwarded.ts';
import {
  checkLocal,
  type LocalTransportParams,
  localSession,
  type RemoteTransportParams,
  sessionIdFor,
} from './local.ts';
import { parseSdp } from './parse.ts';
import type { Codec, MediaSection, RtcpFeedback, SessionDescription } from './types.ts';
import { effectiveDirection, effectiveTransport, rtxFor } from './types.ts';
import { writeSdp } from './write.ts';

/** One track that may be played: a producer and the SSRCs its consumer will send with. */
export type PlayTrack = ForwardedTrack;

/** Where a track went in the answer. */
export interface PlayPlacement {
  mid: string;
  /** Index into the `tracks` given. */
  track: number;
  /** The player's payload type for the codec (write it into forwarded packets). */
  payloadType: number;
  /** The player's RTX payload type, when RTX was negotiated. */
  rtxPayloadType?: number;
}

export interface PlayAnswer {
  sdp: string;
  remote: RemoteTransportParams;
  placements: PlayPlacement[];
}

/** rtcp-fb the SFU answers for a played track (it handles NACK, PLI and FIR from subscribers). */
const PLAY_FEEDBACK: RtcpFeedback[] = [
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
  { type: 'ccm', parameter: 'fir' },
];

/** The player's codec matching the producer's (name, clock rate, channels, H264/VP9/AV1 profile). */
function playerCodec(media: MediaSection, producer: Codec): Codec | undefined {
  const cap = {
    kind: media.kind === 'audio' ? ('audio' as const) : ('video' as const),
    name: producer.name,
    clockRate: producer.clockRate,
    parameters: producer.parameters,
    feedback: [],
    rtx: false,
    ...(producer.channels === undefined ? {} : { channels: producer.channels }),
  };
  return media.codecs.find((c) => c.name.toLowerCase() !== 'rtx' && matchCodec(c, cap));
}

function answeredCodec(offered: Codec, producer: Codec): Codec {
  const codec: Codec = {
    payloadType: offered.payloadType,
    name: producer.name,
    clockRate: producer.clockRate,
    // The bitstream is the producer's: describe it with the producer's fmtp.
    parameters: { ...producer.parameters },
    feedback: offered.feedback.filter((fb) =>
      PLAY_FEEDBACK.some((s) => s.type === fb.type && s.parameter === fb.parameter),
    ),
  };
  if (producer.channels !== undefined) codec.channels = producer.channels;
  return codec;
}

/**
 * Answers a WHEP player's offer with `tracks`. Each offered audio/video m-line that
 * receives (recvonly/sendrecv) takes the first unplaced track of its kind whose codec it
 * offers: answered `sendonly` with the player's payload type, the producer's fmtp,
 * rtcp-fb ∩ {nack, nack pli, ccm fir}, RTX when both sides have it, header extensions
 * only where the player offered the publisher's id for the same URI (forwarded packets
 * keep the publisher's ids), `a=msid`, `a=ssrc` cname/msid lines and `a=ssrc-group:FID`.
 * An audio/video m-line without a track is answered `inactive`; other m-lines (data
 * channels) and port-0 ones are rejected. ICE-lite, `a=setup:passive`, every candidate,
 * `a=end-of-candidates`, BUNDLE of the accepted mids in the offer's group order.
 *
 * Throws `SdpError`: parser errors; `sdp_malformed` (no a=mid); `sdp_no_bundle`,
 * `sdp_missing_ice`, `sdp_missing_fingerprint`, `sdp_no_rtcp_mux`; `sdp_bad_setup`
 * (`a=setup:passive`: the SFU is always the DTLS server, RFC 5763 §5); `sdp_bad_input`
 * (no accepted audio/video m-line at all).
 */
export function answerPlayOffer(
  offerSdp: string,
  local: LocalTransportParams,
  tracks: readonly PlayTrack[],
): PlayAnswer {
  checkLocal(local);
  const offer = parseSdp(offerSdp);
  for (const m of offer.media) {
    if (m.mid === undefined) throw new SdpError(SdpErrorCode.Malformed, 'every m-line needs a=mid (RFC 8829 §5.2.1)');
  }
  const live = offer.media.filter((m) => m.port !== 0 && (m.kind === 'audio' || m.kind === 'video'));
  if (live.length === 0)
    throw new SdpError(SdpErrorCode.BadInput, 'the offer has no audio or video m-line to play into');
  const group = offer.groups.find((g) => g.semantics === 'BUNDLE');
  if (group === undefined || live.some((m) => !group.mids.includes(m.mid ?? ''))) {
    throw new SdpError(SdpErrorCode.NoBundle, 'the offer must BUNDLE all its m-lines (RFC 8843)');
  }
  const tag = offer.media.find((m) => m.mid === group.mids[0] && m.port !== 0) ?? live[0];
  if (tag === undefined) throw new SdpError(SdpErrorCode.NoBundle, 'no BUNDLE tag');
  const remote = remoteTransport(offer, live, tag);
  const setup = effectiveTransport(offer, tag).setup;
  if (setup === 'passive' || setup === 'holdconn') {
    throw new SdpError(SdpErrorCode.BadSetup, `offer has a=setup:${setup}; the SFU is always passive (RFC 5763 §5)`);
  }

  const answer = localSession(sessionIdFor(local), '1');
  answer.extmapAllowMixed = offer.extmapAllowMixed;
  const placements: PlayPlacement[] = [];
  const used = new Set<number>();
  const bundled: string[] = [];
  for (const offered of offer.media) {
    const m = live.includes(offered)
      ? playMedia(offer, offered, local, tracks, used, placements)
      : rejectedMedia(offered);
    answer.media.push(m);
    if (m.port !== 0 && m.mid !== undefined) bundled.push(m.mid);
  }
  const order = (mid: string): number => {
    const i = group.mids.indexOf(mid);
    return i < 0 ? group.mids.length : i;
  };
  bundled.sort((a, b) => order(a) - order(b));
  answer.groups.push({ semantics: 'BUNDLE', mids: bundled });
  return { sdp: writeSdp(answer), remote, placements };
}

function playMedia(
  offer: SessionDescription,
  offered: MediaSection,
  local: LocalTransportParams,
  tracks: readonly PlayTrack[],
  used: Set<number>,
  placements: PlayPlacement[],
): MediaSection {
  const direction = effectiveDirection(offer, offered);
  const receives = direction === 'recvonly' || direction === 'sendrecv';
  let index = -1;
  let codec: Codec | undefined;
  if (receives) {
    for (let i = 0; i < tracks.length; i++) {
      const t = tracks[i];
      if (t === undefined || used.has(i) || t.kind !== offered.kind) continue;
      codec = playerCodec(offered, t.codec);
      if (codec !== undefined) {
        index = i;
        break;
      }
    }
  }
  const track = tracks[index];
  if (track === undefined || codec === undefined) {
    // Nothing to send here: inactive, with one offered codec so the m-line stays valid.
    const first = offered.codecs.find((c) => c.name.toLowerCase() !== 'rtx') ?? offered.codecs[0];
    if (first === undefined) return rejectedMedia(offered);
    return inactiveMedia(
      offered.kind,
      offered.protocol,
      offered.mid,
      { ...first, feedback: [] },
      local,
      'passive',
      false,
    );
  }
  used.add(index);
  const main = answeredCodec(codec, track.codec);
  const codecs = [main];
  const placement: PlayPlacement = { mid: offered.mid ?? '', track: index, payloadType: codec.payloadType };
  const offeredRtx =
    track.rtx !== undefined && track.rtxSsrc !== undefined ? rtxFor(offered, codec.payloadType) : undefined;
  if (offeredRtx !== undefined) {
    codecs.push(rtxCodec(offeredRtx.payloadType, codec.payloadType, main.clockRate));
    placement.rtxPayloadType = offeredRtx.payloadType;
  }
  placements.push(placement);
  return sendingMedia({
    track,
    mid: offered.mid,
    protocol: offered.protocol,
    codecs,
    // Forwarded packets keep the publisher's ids: declare only those the player offered alike.
    extensions: track.extensions.filter((e) => offered.extensions.some((o) => o.id === e.id && o.uri === e.uri)),
    withRtx: offeredRtx !== undefined,
    local,
    setup: 'passive',
    rtcpRsize: offered.rtcpRsize,
  });
}
