/**
 * The typed SDP model (RFC 8866) with the attributes WebRTC uses. `parseSdp` fills it,
 * `writeSdp` serializes it. Attributes the model does not know are kept verbatim in
 * `attributes`, so that a parsed browser description writes back unchanged.
 */

/** `a=sendrecv` / `sendonly` / `recvonly` / `inactive` (RFC 8866 §6.7, RFC 3264 §5.1). */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** `a=setup` (RFC 4145 §4): who opens the DTLS association. `holdconn` is not used by WebRTC. */
export type Setup = 'active' | 'passive' | 'actpass' | 'holdconn';

/** One `a=rtcp-fb` value (RFC 4585 §4.2), e.g. `{ type: 'nack', parameter: 'pli' }`. */
export interface RtcpFeedback {
  type: string;
  parameter?: string;
}

/** One RTP payload format from `a=rtpmap` + `a=fmtp` + `a=rtcp-fb` (RFC 8866 §6.6, §6.15). */
export interface Codec {
  /** 0…127. */
  payloadType: number;
  /** Encoding name as written in rtpmap, e.g. `opus`, `VP8`, `H264`, `rtx`. */
  name: string;
  clockRate: number;
  /** Audio channels from rtpmap (`opus/48000/2`), absent when not written. */
  channels?: number;
  /** fmtp parameters in order; a parameter without `=` (e.g. red's `111/111`) has the value ''. */
  parameters: Record<string, string>;
  /** Effective rtcp-fb values: the codec's own plus the `a=rtcp-fb:*` ones. */
  feedback: RtcpFeedback[];
}

/** `a=fingerprint` (RFC 8122 §5): hash function name (lower case) and the colon-separated hex value. */
export interface Fingerprint {
  algorithm: string;
  value: string;
}

/** `a=extmap` (RFC 8285 §8). */
export interface Extmap {
  id: number;
  uri: string;
  direction?: Direction;
  /** Extension attributes after the URI, verbatim. */
  attributes?: string;
}

/** `a=msid` (RFC 8830 §2): stream id and optional track id (`-` means "no stream"). */
export interface Msid {
  streamId: string;
  trackId?: string;
}

/** The `a=ssrc:` lines (RFC 5576 §4.1) of one SSRC. */
export interface SsrcDescription {
  ssrc: number;
  cname?: string;
  /** `a=ssrc:N msid:stream track` (the older, pre-RFC 8830 form Chromium still writes). */
  msid?: Msid;
  /** Other source attributes in order, verbatim. */
  attributes: { name: string; value?: string }[];
}

/** `a=ssrc-group` (RFC 5576 §4.2), e.g. FID (RTX, RFC 4588) or SIM. */
export interface SsrcGroup {
  semantics: string;
  ssrcs: number[];
}

/** `a=rid` (RFC 8851 §4). */
export interface Rid {
  id: string;
  direction: 'send' | 'recv';
  /** Restrictions after the direction (`pt=…;max-width=…`), verbatim. */
  params?: string;
}

/**
 * `a=simulcast` (RFC 8853 §5.1): per direction, a list of streams, each a list of
 * alternative rids; a paused rid keeps its `~` prefix.
 */
export interface Simulcast {
  send?: string[][];
  recv?: string[][];
}

/** `a=candidate` (RFC 8839 §5.1; `tcptype` from RFC 6544 §4.5). */
export interface Candidate {
  foundation: string;
  component: number;
  /** Transport as written (`udp`, `UDP`, `tcp`). */
  protocol: string;
  priority: number;
  address: string;
  port: number;
  /** host, srflx, prflx, relay, or an extension token. */
  type: string;
  relatedAddress?: string;
  relatedPort?: number;
  tcpType?: 'active' | 'passive' | 'so';
  /** Extension attributes (`generation 0`, `ufrag x`, `network-id 1`), in order. */
  extensions: { name: string; value: string }[];
}

/** `a=group` (RFC 5888 §5), e.g. `BUNDLE 0 1 2` (RFC 8843). */
export interface Group {
  semantics: string;
  mids: string[];
}

/** An attribute the model does not interpret, kept verbatim (`a=name` or `a=name:value`). */
export interface RawAttribute {
  name: string;
  value?: string;
}

/** The ICE/DTLS attributes that may appear at session or media level. */
export interface TransportAttributes {
  iceUfrag?: string;
  icePwd?: string;
  /** `a=ice-options` tokens (e.g. `trickle`), absent when the line is absent. */
  iceOptions?: string[];
  fingerprints: Fingerprint[];
  setup?: Setup;
}

/** One m-section (RFC 8866 §5.14). */
export interface MediaSection extends TransportAttributes {
  /** `audio`, `video`, `application` (or another media type, kept as written). */
  kind: 'audio' | 'video' | 'application' | (string & {});
  /** 0 means rejected / disabled (RFC 3264 §6) unless bundle-only. */
  port: number;
  /** The `/<number of ports>` suffix, rarely used. */
  portCount?: number;
  /** e.g. `UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`. */
  protocol: string;
  /** The m-line's format list as written (payload types for RTP, `webrtc-datachannel` for SCTP). */
  formats: string[];
  /** The c= line value (`IN IP4 0.0.0.0`). */
  connection?: string;
  /** b= line values (`AS:512`). */
  bandwidths: string[];
  /** `a=rtcp` value (RFC 3605), verbatim. */
  rtcp?: string;
  mid?: string;
  direction?: Direction;
  extensions: Extmap[];
  msids: Msid[];
  rtcpMux: boolean;
  rtcpMuxOnly: boolean;
  rtcpRsize: boolean;
  /** Codecs in m-line order; for RTX see `rtxFor` (`apt`, RFC 4588 §8.6). */
  codecs: Codec[];
  /** `a=rtcp-fb:* …` values (also merged into every codec's `feedback`). */
  wildcardFeedback: RtcpFeedback[];
  ssrcs: SsrcDescription[];
  ssrcGroups: SsrcGroup[];
  rids: Rid[];
  simulcast?: Simulcast;
  /** `a=sctp-port` (RFC 8841 §5.2). */
  sctpPort?: number;
  /** `a=max-message-size` (RFC 8841 §6). */
  maxMessageSize?: number;
  candidates: Candidate[];
  endOfCandidates: boolean;
  /** Attributes the model does not interpret, in order. */
  attributes: RawAttribute[];
}

/** A whole session description (RFC 8866 §5). */
export interface SessionDescription extends TransportAttributes {
  /** o= (RFC 8866 §5.2); ids kept as strings (they are 64-bit in practice). */
  origin: {
    username: string;
    sessionId: string;
    sessionVersion: string;
    netType: string;
    addrType: string;
    address: string;
  };
  /** s= value (`-`). */
  sessionName: string;
  /** Session lines other than v, o, s, t, a, m (i=, u=, e=, p=, c=, b=, z=, k=, r=), verbatim, e.g. `c=IN IP4 …`. */
  otherLines: string[];
  /** t= value (`0 0`). */
  timing: string;
  iceLite: boolean;
  groups: Group[];
  /** `a=extmap-allow-mixed` (RFC 8285 §6). */
  extmapAllowMixed: boolean;
  /** `a=msid-semantic: WMS …` (Chromium; from a draft of RFC 8830). */
  msidSemantic?: { semantic: string; identifiers: string[] };
  /** Session-level direction, the default for m-lines that have none (RFC 8866 §6.7). */
  direction?: Direction;
  attributes: RawAttribute[];
  media: MediaSection[];
}

/** The RTX codec paired with `payloadType` (`a=fmtp:<rtx> apt=<payloadType>`, RFC 4588 §8.6), if any. */
export function rtxFor(media: MediaSection, payloadType: number): Codec | undefined {
  const apt = String(payloadType);
  return media.codecs.find((c) => c.name.toLowerCase() === 'rtx' && c.parameters.apt === apt);
}

/** The ICE/DTLS attributes that apply to `media`: its own, else the session's (RFC 8839 §5.4, RFC 8122 §5). */
export function effectiveTransport(desc: SessionDescription, media: MediaSection): TransportAttributes {
  return {
    iceUfrag: media.iceUfrag ?? desc.iceUfrag,
    icePwd: media.icePwd ?? desc.icePwd,
    iceOptions: media.iceOptions ?? desc.iceOptions,
    fingerprints: media.fingerprints.length > 0 ? media.fingerprints : desc.fingerprints,
    setup: media.setup ?? desc.setup,
  };
}

/** The direction that applies to `media` (its own, else the session's, else sendrecv; RFC 8866 §6.7). */
export function effectiveDirection(desc: SessionDescription, media: MediaSection): Direction {
  return media.direction ?? desc.direction ?? 'sendrecv';
}

/** An m-section with nothing in it but its m= line (no connection line): the parser's start, and the writers'. */
export function blankMedia(kind: string, port: number, protocol: string, formats: string[]): MediaSection {
  return {
    kind,
    port,
    protocol,
    formats,
    bandwidths: [],
    fingerprints: [],
    extensions: [],
    msids: [],
    rtcpMux: false,
    rtcpMuxOnly: false,
    rtcpRsize: false,
    codecs: [],
    wildcardFeedback: [],
    ssrcs: [],
    ssrcGroups: [],
    rids: [],
    candidates: [],
    endOfCandidates: false,
    attributes: [],
  };
}
