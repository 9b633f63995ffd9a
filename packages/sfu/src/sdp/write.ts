/**
 * SDP serializer (RFC 8866) for the model of `types.ts`. Lines end in CRLF (RFC 8866 §5).
 * Attributes are written in the order Chromium writes them, so that
 * `writeSdp(parseSdp(offer)) === offer` for a Chromium offer; for other input the result
 * is equivalent (`parseSdp` of it gives the same model).
 */
import { writeCandidate } from './candidate.ts';
import { sameFeedback } from './parse-attributes.ts';
import type {
  Codec,
  MediaSection,
  Msid,
  RawAttribute,
  RtcpFeedback,
  SessionDescription,
  TransportAttributes,
} from './types.ts';

const BEFORE_TIMING = new Set(['i', 'u', 'e', 'p', 'c', 'b']);

/** Serializes `desc`; every line ends in CRLF. */
export function writeSdp(desc: SessionDescription): string {
  const out: string[] = ['v=0'];
  const o = desc.origin;
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${desc.sessionName}`);
  for (const l of desc.otherLines) if (BEFORE_TIMING.has(l[0] ?? '')) out.push(l);
  out.push(`t=${desc.timing}`);
  for (const l of desc.otherLines) if (!BEFORE_TIMING.has(l[0] ?? '')) out.push(l);
  if (desc.iceLite) out.push('a=ice-lite');
  transport(out, desc);
  for (const g of desc.groups) out.push(`a=group:${[g.semantics, ...g.mids].join(' ')}`);
  if (desc.extmapAllowMixed) out.push('a=extmap-allow-mixed');
  if (desc.msidSemantic !== undefined) {
    out.push(`a=msid-semantic: ${[desc.msidSemantic.semantic, ...desc.msidSemantic.identifiers].join(' ')}`);
  }
  if (desc.direction !== undefined) out.push(`a=${desc.direction}`);
  raw(out, desc.attributes);
  for (const m of desc.media) media(out, m);
  return `${out.join('\r\n')}\r\n`;
}

function transport(out: string[], t: TransportAttributes): void {
  if (t.iceUfrag !== undefined) out.push(`a=ice-ufrag:${t.iceUfrag}`);
  if (t.icePwd !== undefined) out.push(`a=ice-pwd:${t.icePwd}`);
  if (t.iceOptions !== undefined) out.push(`a=ice-options:${t.iceOptions.join(' ')}`);
  for (const f of t.fingerprints) out.push(`a=fingerprint:${f.algorithm} ${f.value}`);
  if (t.setup !== undefined) out.push(`a=setup:${t.setup}`);
}

function raw(out: string[], attributes: RawAttribute[]): void {
  for (const a of attributes) out.push(a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`);
}

function msid(m: Msid): string {
  return m.trackId === undefined ? m.streamId : `${m.streamId} ${m.trackId}`;
}

function feedback(fb: RtcpFeedback): string {
  return fb.parameter === undefined ? fb.type : `${fb.type} ${fb.parameter}`;
}

function codec(out: string[], c: Codec, wildcard: RtcpFeedback[]): void {
  out.push(`a=rtpmap:${c.payloadType} ${c.name}/${c.clockRate}${c.channels === undefined ? '' : `/${c.channels}`}`);
  for (const fb of c.feedback) {
    if (!wildcard.some((w) => sameFeedback(w, fb))) out.push(`a=rtcp-fb:${c.payloadType} ${feedback(fb)}`);
  }
  const params = Object.entries(c.parameters).map(([k, v]) => (v === '' ? k : `${k}=${v}`));
  if (params.length > 0) out.push(`a=fmtp:${c.payloadType} ${params.join(';')}`);
}

function media(out: string[], m: MediaSection): void {
  const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
  out.push(`m=${m.kind} ${port} ${m.protocol} ${m.formats.join(' ')}`);
  if (m.connection !== undefined) out.push(`c=${m.connection}`);
  for (const b of m.bandwidths) out.push(`b=${b}`);
  if (m.rtcp !== undefined) out.push(`a=rtcp:${m.rtcp}`);
  for (const c of m.candidates) out.push(`a=candidate:${writeCandidate(c)}`);
  transport(out, m);
  if (m.mid !== undefined) out.push(`a=mid:${m.mid}`);
  for (const e of m.extensions) {
    const dir = e.direction === undefined ? '' : `/${e.direction}`;
    out.push(`a=extmap:${e.id}${dir} ${e.uri}${e.attributes === undefined ? '' : ` ${e.attributes}`}`);
  }
  if (m.direction !== undefined) out.push(`a=${m.direction}`);
  for (const id of m.msids) out.push(`a=msid:${msid(id)}`);
  if (m.rtcpMux) out.push('a=rtcp-mux');
  if (m.rtcpMuxOnly) out.push('a=rtcp-mux-only');
  if (m.rtcpRsize) out.push('a=rtcp-rsize');
  raw(out, m.attributes);
  for (const fb of m.wildcardFeedback) out.push(`a=rtcp-fb:* ${feedback(fb)}`);
  for (const c of m.codecs) codec(out, c, m.wildcardFeedback);
  for (const g of m.ssrcGroups) out.push(`a=ssrc-group:${[g.semantics, ...g.ssrcs].join(' ')}`);
  for (const s of m.ssrcs) {
    if (s.cname !== undefined) out.push(`a=ssrc:${s.ssrc} cname:${s.cname}`);
    if (s.msid !== undefined) out.push(`a=ssrc:${s.ssrc} msid:${msid(s.msid)}`);
    for (const a of s.attributes)
      out.push(`a=ssrc:${s.ssrc} ${a.value === undefined ? a.name : `${a.name}:${a.value}`}`);
  }
  for (const r of m.rids) out.push(`a=rid:${r.id} ${r.direction}${r.params === undefined ? '' : ` ${r.params}`}`);
  if (m.simulcast !== undefined) {
    const parts: string[] = [];
    for (const dir of ['send', 'recv'] as const) {
      const streams = m.simulcast[dir];
      if (streams !== undefined) parts.push(`${dir} ${streams.map((alt) => alt.join(',')).join(';')}`);
    }
    out.push(`a=simulcast:${parts.join(' ')}`);
  }
  if (m.sctpPort !== undefined) out.push(`a=sctp-port:${m.sctpPort}`);
  if (m.maxMessageSize !== undefined) out.push(`a=max-message-size:${m.maxMessageSize}`);
  if (m.endOfCandidates) out.push('a=end-of-candidates');
}
