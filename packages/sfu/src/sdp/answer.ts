/**
 * The SFU's answer to a publisher's offer (publish peer connection; RFC 3264 §6, JSEP
 * RFC 8829 §5.3). The SFU receives only: every accepted audio/video m-line is answered
 * `recvonly` with one codec (+ its RTX), data channels are rejected for now.
 */
import { DEFAULT_CAPABILITIES, type RouterCapabilities, selectCodec } from './capabilities.ts';
import { SdpError, SdpErrorCode } from './errors.ts';
import {
  applyLocal,
  checkLocal,
  emptyMedia,
  type LocalTransportParams,
  localSession,
  type RemoteTransportParams,
  sessionIdFor,
} from './local.ts';
import { parseSdp } from './parse.ts';
import type { Codec, Direction, MediaSection, Msid, SessionDescription } from './types.ts';
import { effectiveDirection, effectiveTransport } from './types.ts';
import { writeSdp } from './write.ts';

/** A track the publisher sends on one accepted m-line. */
export interface PublishedTrack {
  mid: string;
  kind: 'audio' | 'video';
  /** The negotiated codec: offered payload type, answered fmtp and rtcp-fb. */
  codec: Codec;
  /** The RTX payload type paired with `codec` (RFC 4588), when negotiated. */
  rtx?: { payloadType: number };
  /** Primary SSRC from `a=ssrc-group:FID` or the first `a=ssrc` line; absent with rid-based simulcast. */
  ssrc?: number;
  /** RTX SSRC from `a=ssrc-group:FID` (RFC 5576 §4.2, RFC 4588 §8.2). */
  rtxSsrc?: number;
  /** Simulcast rids in the offer's `a=simulcast` order (RFC 8853), `~` removed. */
  rids?: string[];
  /** RTCP CNAME from `a=ssrc:… cname:`. */
  cname?: string;
  /** From `a=msid` (RFC 8830), else from `a=ssrc:… msid:`. */
  msid?: Msid;
  /** Accepted header extensions with the ids the publisher chose (RFC 8285). */
  extensions: { id: number; uri: string }[];
  /** The offered direction. */
  direction: 'sendonly' | 'sendrecv';
}

export interface PublishAnswer {
  sdp: string;
  remote: RemoteTransportParams;
  tracks: PublishedTrack[];
}

const REVERSE: Record<Direction, Direction> = {
  sendonly: 'recvonly',
  sendrecv: 'recvonly',
  recvonly: 'inactive',
  inactive: 'inactive',
};

/** The BUNDLE group that holds every accepted mid, else `sdp_no_bundle` (RFC 8843 §7.2). */
function bundleOf(desc: SessionDescription, accepted: MediaSection[]): string[] {
  const group = desc.groups.find((g) => g.semantics === 'BUNDLE');
  const mids = accepted.map((m) => m.mid ?? '');
  if (group === undefined || mids.some((mid) => !group.mids.includes(mid))) {
    throw new SdpError(SdpErrorCode.NoBundle, 'the offer must BUNDLE all its m-lines (RFC 8843)');
  }
  return group.mids;
}

/**
 * The remote transport of a BUNDLE group: the ICE/DTLS attributes of the tagged m-line
 * (`tag`), checked present on every accepted m-line.
 */
export function remoteTransport(
  desc: SessionDescription,
  accepted: MediaSection[],
  tag: MediaSection,
): RemoteTransportParams {
  for (const m of accepted) {
    const t = effectiveTransport(desc, m);
    if (t.iceUfrag === undefined || t.icePwd === undefined) {
      throw new SdpError(SdpErrorCode.MissingIce, `m-line ${m.mid ?? ''} has no a=ice-ufrag/a=ice-pwd (RFC 8839 §5.4)`);
    }
    if (t.fingerprints.length === 0) {
      throw new SdpError(SdpErrorCode.MissingFingerprint, `m-line ${m.mid ?? ''} has no a=fingerprint (RFC 8122 §5)`);
    }
    if (m.protocol.includes('RTP/') && !m.rtcpMux) {
      throw new SdpError(SdpErrorCode.NoRtcpMux, `m-line ${m.mid ?? ''} has no a=rtcp-mux (RFC 8829 §5.1.3)`);
    }
  }
  const t = effectiveTransport(desc, tag);
  return {
    ice: { ufrag: t.iceUfrag ?? '', pwd: t.icePwd ?? '' },
    fingerprints: t.fingerprints.map((f) => ({ algorithm: f.algorithm.toLowerCase(), value: f.value })),
    setup: t.setup === 'active' || t.setup === 'passive' || t.setup === 'actpass' ? t.setup : 'active',
  };
}

/** A port-0 m-line answering `offered` (RFC 3264 §6: keep one format; RFC 8843 §7.3.3). */
export function rejectedMedia(offered: MediaSection): MediaSection {
  const m = emptyMedia(offered.kind, 0, offered.protocol, offered.formats.slice(0, 1));
  if (offered.mid !== undefined) m.mid = offered.mid;
  return m;
}

/**
 * Answers a publisher's offer. Each m-line: audio/video the publisher sends on
 * (sendonly/sendrecv) with a supported codec → `recvonly` with that codec, its RTX,
 * accepted rtcp-fb and header extensions, rtcp-rsize if offered, rid/simulcast reversed
 * (RFC 8853 §5.3) → one `PublishedTrack`; recvonly/inactive → `inactive`; no supported
 * codec, a data channel, another media type, or port 0 → rejected (port 0, not in BUNDLE).
 *
 * The answer's o= session version repeats the offer's, which grows with each offer
 * (RFC 3264 §8), so re-answers of a renegotiation are numbered in order.
 *
 * Throws `SdpError`: parser errors; `sdp_malformed` (an m-line without a=mid);
 * `sdp_no_bundle`, `sdp_missing_ice`, `sdp_missing_fingerprint`, `sdp_no_rtcp_mux`
 * for an offer a browser would not make; `sdp_bad_setup` for `a=setup:passive`
 * (the SFU is always the DTLS server, RFC 5763 §5).
 */
export function answerPublishOffer(
  offerSdp: string | SessionDescription,
  local: LocalTransportParams,
  caps: RouterCapabilities = DEFAULT_CAPABILITIES,
): PublishAnswer {
  checkLocal(local);
  const offer = typeof offerSdp === 'string' ? parseSdp(offerSdp) : offerSdp;
  for (const m of offer.media) {
    if (m.mid === undefined) throw new SdpError(SdpErrorCode.Malformed, 'every m-line needs a=mid (RFC 8829 §5.2.1)');
  }
  const live = offer.media.filter((m) => m.port !== 0);
  const group = live.length > 0 ? bundleOf(offer, live) : [];
  const tag = offer.media.find((m) => m.mid === group[0]) ?? live[0];
  const remote: RemoteTransportParams =
    tag === undefined
      ? { ice: { ufrag: '', pwd: '' }, fingerprints: [], setup: 'actpass' }
      : remoteTransport(offer, live, tag);
  const setup = tag === undefined ? undefined : effectiveTransport(offer, tag).setup;
  if (setup === 'passive' || setup === 'holdconn') {
    throw new SdpError(SdpErrorCode.BadSetup, `offer has a=setup:${setup}; the SFU is always passive (RFC 5763 §5)`);
  }

  const answer = localSession(sessionIdFor(local), offer.origin.sessionVersion);
  answer.extmapAllowMixed = offer.extmapAllowMixed;
  const tracks: PublishedTrack[] = [];
  const bundled: string[] = [];
  for (const offered of offer.media) {
    const m = answerMedia(offer, offered, local, caps, tracks);
    answer.media.push(m);
    if (m.port !== 0 && m.mid !== undefined) bundled.push(m.mid);
  }
  const order = (mid: string): number => {
    const i = group.indexOf(mid);
    return i < 0 ? group.length : i;
  };
  bundled.sort((a, b) => order(a) - order(b));
  if (bundled.length > 0) answer.groups.push({ semantics: 'BUNDLE', mids: bundled });
  return { sdp: writeSdp(answer), remote, tracks };
}

function answerMedia(
  offer: SessionDescription,
  offered: MediaSection,
  local: LocalTransportParams,
  caps: RouterCapabilities,
  tracks: PublishedTrack[],
): MediaSection {
  if (offered.port === 0 || (offered.kind !== 'audio' && offered.kind !== 'video')) return rejectedMedia(offered);
  const choice = selectCodec(offered, caps);
  if (choice === undefined) return rejectedMedia(offered);
  const kind: 'audio' | 'video' = offered.kind === 'audio' ? 'audio' : 'video';
  const codecs = choice.rtx === undefined ? [choice.codec] : [choice.codec, choice.rtx];
  const m = emptyMedia(
    kind,
    9,
    offered.protocol,
    codecs.map((c) => String(c.payloadType)),
  );
  applyLocal(m, local, 'passive');
  m.mid = offered.mid;
  const direction = effectiveDirection(offer, offered);
  m.direction = REVERSE[direction];
  const extensions = offered.extensions
    .filter((e) => caps.extensions.includes(e.uri) && (e.direction ?? 'sendrecv').startsWith('send'))
    .map((e) => ({ id: e.id, uri: e.uri }));
  m.extensions = extensions;
  m.rtcpMux = true;
  m.rtcpRsize = offered.rtcpRsize;
  m.codecs = codecs;
  const sendRids = offered.rids.filter((r) => r.direction === 'send');
  const simulcast = offered.simulcast?.send;
  if (sendRids.length > 0 && simulcast !== undefined) {
    m.rids = sendRids.map((r) => ({ id: r.id, direction: 'recv' }));
    m.simulcast = { recv: simulcast };
  }
  if (direction === 'sendonly' || direction === 'sendrecv') {
    tracks.push(publishedTrack(offered, kind, choice.codec, choice.rtx, extensions, direction));
  }
  return m;
}

function publishedTrack(
  offered: MediaSection,
  kind: 'audio' | 'video',
  codec: Codec,
  rtx: Codec | undefined,
  extensions: { id: number; uri: string }[],
  direction: 'sendonly' | 'sendrecv',
): PublishedTrack {
  const track: PublishedTrack = { mid: offered.mid ?? '', kind, codec, extensions, direction };
  if (rtx !== undefined) track.rtx = { payloadType: rtx.payloadType };
  const fid = offered.ssrcGroups.find((g) => g.semantics === 'FID' && g.ssrcs.length >= 2);
  const ssrc = fid?.ssrcs[0] ?? offered.ssrcs[0]?.ssrc;
  if (ssrc !== undefined) track.ssrc = ssrc;
  if (fid?.ssrcs[1] !== undefined && rtx !== undefined) track.rtxSsrc = fid.ssrcs[1];
  const desc = offered.ssrcs.find((s) => s.ssrc === ssrc);
  if (desc?.cname !== undefined) track.cname = desc.cname;
  const msid = offered.msids[0] ?? desc?.msid;
  if (msid !== undefined) track.msid = msid;
  const simulcast = offered.simulcast?.send;
  if (simulcast !== undefined && offered.rids.length > 0) {
    track.rids = simulcast.map((alt) => (alt[0] ?? '').replace(/^~/, ''));
  }
  return track;
}
