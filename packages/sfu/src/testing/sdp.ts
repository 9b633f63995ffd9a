/**
 * The SDP side of the test peer: a publish offer and a subscribe answer shaped like
 * Chromium 156's (the captures in `../sdp/fixtures/`), with the peer's own ICE
 * credentials, certificate fingerprint and SSRCs.
 */
import type { DtlsFingerprint } from '../dtls/index.ts';
import type { IceCredentials } from '../ice/index.ts';
import { fixture } from '../sdp/fixtures/index.ts';
import { parseSdp, rtxFor, type SessionDescription, writeSdp } from '../sdp/index.ts';

/** One sending m-line of a publish offer. */
export interface PublishTrackSpec {
  mid: string;
  kind: 'audio' | 'video';
  /** The SSRC (with simulcast: the first layer's). */
  ssrc: number;
  /** RTX SSRC (video only; `a=ssrc-group:FID`). */
  rtxSsrc?: number;
  /** Simulcast: each layer's rid and the SSRCs the peer sends it on (not in the SDP, as Chromium does). */
  layers?: { rid: string; ssrc: number; rtxSsrc: number }[];
}

export interface PublishOfferOptions {
  ice: IceCredentials;
  fingerprint: DtlsFingerprint;
  /** Send audio (mid 0, Opus 111). Default true. */
  audio?: boolean;
  /** Send video (mid 1, VP8 96 + RTX 97 first in the list). Default true. */
  video?: boolean;
  /** Offer RTX (RFC 4588) for video. Default true; false removes every rtx codec and the FID group. */
  rtx?: boolean;
  /** Keep the data channel m-line (mid 2). Default false. */
  data?: boolean;
  /** Session version in o= (increase on renegotiation). Default 2. */
  sessionVersion?: number;
  /** CNAME of every SSRC. Default `testpeer`. */
  cname?: string;
  /** SSRCs to keep per mid (a renegotiation keeps them, as browsers do). Default: new random ones. */
  previous?: readonly PublishTrackSpec[];
  /**
   * Simulcast video (RFC 8853): these rids as `a=rid:<id> send` and `a=simulcast:send`,
   * with no SSRC lines — the SFU learns each layer's SSRC from the rid extension, as with
   * Chromium. Default: none.
   */
  simulcast?: readonly string[];
}

export interface PublishOffer {
  sdp: string;
  tracks: PublishTrackSpec[];
}

/** A random SSRC, never 0. */
export function randomSsrc(): number {
  return ((Math.random() * 0xfffffffe) >>> 0) + 1;
}

/**
 * Chromium's publish offer (`chromium-publish-offer.sdp`): sendonly audio (Opus, RED,
 * …) and video (VP8/RTX, H264, AV1, VP9 …) with `a=setup:actpass`, BUNDLE, rtcp-mux,
 * its header extensions, and fresh SSRCs per call.
 */
export function buildPublishOffer(options: PublishOfferOptions): PublishOffer {
  const desc = parseSdp(fixture('chromium-publish-offer'));
  const keep = new Set<string>();
  if (options.audio !== false) keep.add('0');
  if (options.video !== false) keep.add('1');
  if (options.data === true) keep.add('2');
  desc.media = desc.media.filter((m) => keep.has(m.mid ?? ''));
  desc.groups = [{ semantics: 'BUNDLE', mids: desc.media.map((m) => m.mid ?? '') }];
  desc.origin.sessionVersion = String(options.sessionVersion ?? 2);
  const cname = options.cname ?? 'testpeer';
  const tracks: PublishTrackSpec[] = [];
  for (const m of desc.media) {
    m.iceUfrag = options.ice.ufrag;
    m.icePwd = options.ice.pwd;
    m.fingerprints = [{ algorithm: options.fingerprint.algorithm, value: options.fingerprint.value }];
    const kind = m.kind === 'audio' ? 'audio' : m.kind === 'video' ? 'video' : undefined;
    if (kind === undefined) continue;
    const msid = m.msids[0];
    const kept = options.previous?.find((t) => t.mid === m.mid && t.kind === kind);
    const track: PublishTrackSpec = kept ?? { mid: m.mid ?? '', kind, ssrc: randomSsrc() };
    if (kind === 'video' && options.rtx === false) {
      const rtx = new Set(m.codecs.filter((c) => c.name.toLowerCase() === 'rtx').map((c) => String(c.payloadType)));
      m.codecs = m.codecs.filter((c) => !rtx.has(String(c.payloadType)));
      m.formats = m.formats.filter((f) => !rtx.has(f));
      delete track.rtxSsrc;
    } else if (kind === 'video' && track.rtxSsrc === undefined) track.rtxSsrc = randomSsrc();
    tracks.push(track);
    if (kind === 'video' && options.simulcast !== undefined && options.simulcast.length > 0) {
      track.layers ??= options.simulcast.map((rid) => ({ rid, ssrc: randomSsrc(), rtxSsrc: randomSsrc() }));
      track.ssrc = track.layers[0]?.ssrc ?? track.ssrc;
      delete track.rtxSsrc;
      m.ssrcs = [];
      m.ssrcGroups = [];
      m.rids = options.simulcast.map((id) => ({ id, direction: 'send' }));
      m.simulcast = { send: options.simulcast.map((id) => [id]) };
      continue;
    }
    const ssrcs = track.rtxSsrc === undefined ? [track.ssrc] : [track.ssrc, track.rtxSsrc];
    m.ssrcs = ssrcs.map((ssrc) => ({ ssrc, cname, msid, attributes: [] }));
    m.ssrcGroups = track.rtxSsrc === undefined ? [] : [{ semantics: 'FID', ssrcs }];
  }
  return { sdp: writeSdp(desc), tracks };
}

/** One m-line of a subscribe offer as the test peer answered it. */
export interface SubscribeTrack {
  mid: string;
  kind: 'audio' | 'video';
  /** False for a port-0 (stopped) m-line or one the peer rejected. */
  active: boolean;
  /** The consumer's SSRC from `a=ssrc` (0 when inactive). */
  ssrc: number;
  rtxSsrc?: number;
  payloadType: number;
  rtxPayloadType?: number;
  /** `a=msid` stream id (the publishing participant) and track id (the producer). */
  streamId?: string;
  trackId?: string;
}

export interface SubscribeAnswerOptions {
  ice: IceCredentials;
  fingerprint: DtlsFingerprint;
  /** Mids to reject (answered with port 0), as a browser does for a track it cannot take. */
  reject?: readonly string[];
}

export interface SubscribeAnswer {
  sdp: string;
  tracks: SubscribeTrack[];
  /** The server's ICE and DTLS parameters from the offer (undefined when every m-line is stopped: port 0). */
  remote: RemoteParameters | undefined;
}

/** What the peer needs of the server's SDP. */
export interface RemoteParameters {
  ice: IceCredentials;
  fingerprints: DtlsFingerprint[];
  /** `a=candidate` host candidates (address, port, protocol). */
  candidates: { protocol: string; address: string; port: number }[];
}

/** ICE and DTLS parameters and candidates of a server description (offer or answer). */
export function remoteParameters(desc: SessionDescription): RemoteParameters {
  const m = desc.media.find((x) => x.port !== 0 && (x.iceUfrag ?? desc.iceUfrag) !== undefined);
  const ufrag = m?.iceUfrag ?? desc.iceUfrag;
  const pwd = m?.icePwd ?? desc.icePwd;
  if (ufrag === undefined || pwd === undefined) throw new Error('the server description has no ICE credentials');
  const fingerprints = (m !== undefined && m.fingerprints.length > 0 ? m.fingerprints : desc.fingerprints).map((f) => ({
    algorithm: f.algorithm.toLowerCase(),
    value: f.value,
  }));
  const candidates = (m?.candidates ?? []).map((c) => ({
    protocol: c.protocol.toLowerCase(),
    address: c.address,
    port: c.port,
  }));
  return { ice: { ufrag, pwd }, fingerprints, candidates };
}

/**
 * Chromium's answer to a subscribe offer (`chromium-subscribe-answer.sdp`): every active
 * m-line recvonly with the offered codec and its RTX, `a=setup:active`, BUNDLE of the
 * accepted mids, no SSRCs; port-0 m-lines answered port 0 and inactive.
 */
export function answerSubscribeOffer(offerSdp: string, options: SubscribeAnswerOptions): SubscribeAnswer {
  const offer = parseSdp(offerSdp);
  const remote = offer.media.some((m) => m.port !== 0) ? remoteParameters(offer) : undefined;
  const reject = new Set(options.reject ?? []);
  const tracks: SubscribeTrack[] = [];
  const accepted: string[] = [];
  const answer: SessionDescription = {
    ...offer,
    origin: { ...offer.origin, username: '-', sessionId: '1707932861441146660', sessionVersion: '2' },
    iceLite: false,
    groups: [],
    extmapAllowMixed: offer.extmapAllowMixed,
    msidSemantic: { semantic: 'WMS', identifiers: [] },
    attributes: [],
    fingerprints: [],
    iceUfrag: undefined,
    icePwd: undefined,
    iceOptions: undefined,
    setup: undefined,
    media: [],
  };
  for (const m of offer.media) {
    const kind = m.kind === 'audio' ? 'audio' : 'video';
    const primary = m.codecs.find((c) => c.name.toLowerCase() !== 'rtx');
    const rtx = primary === undefined ? undefined : rtxFor(m, primary.payloadType);
    const fid = m.ssrcGroups.find((g) => g.semantics === 'FID');
    const msid = m.msids[0];
    const active = m.port !== 0 && !reject.has(m.mid ?? '');
    const ssrc = fid?.ssrcs[0] ?? m.ssrcs[0]?.ssrc ?? 0;
    const track: SubscribeTrack = {
      mid: m.mid ?? '',
      kind,
      active,
      ssrc: active ? ssrc : 0,
      payloadType: primary?.payloadType ?? 0,
    };
    if (active && fid?.ssrcs[1] !== undefined) track.rtxSsrc = fid.ssrcs[1];
    if (rtx !== undefined) track.rtxPayloadType = rtx.payloadType;
    if (msid !== undefined) {
      track.streamId = msid.streamId;
      if (msid.trackId !== undefined) track.trackId = msid.trackId;
    }
    tracks.push(track);
    const codecs = primary === undefined ? [] : rtx === undefined ? [primary] : [primary, rtx];
    answer.media.push({
      ...m,
      port: active ? 9 : 0,
      formats: codecs.map((c) => String(c.payloadType)),
      codecs,
      iceUfrag: options.ice.ufrag,
      icePwd: options.ice.pwd,
      iceOptions: ['trickle'],
      fingerprints: active ? [{ algorithm: options.fingerprint.algorithm, value: options.fingerprint.value }] : [],
      setup: active ? 'active' : undefined,
      direction: active ? 'recvonly' : 'inactive',
      msids: [],
      ssrcs: [],
      ssrcGroups: [],
      candidates: [],
      endOfCandidates: false,
      rtcpMux: active,
      rtcpRsize: active,
      extensions: active ? m.extensions : [],
      attributes: [],
    });
    if (active) accepted.push(m.mid ?? '');
  }
  if (accepted.length > 0) answer.groups.push({ semantics: 'BUNDLE', mids: accepted });
  return { sdp: writeSdp(answer), tracks, remote };
}
