/**
 * Per-attribute parsers for the m-section level (RFC 8866 §6 and the WebRTC extensions),
 * and the ICE/DTLS attributes that may appear at either level. Each throws `SdpError`
 * with the line number on a grammar error.
 */
import { parseCandidate } from './candidate.ts';
import { SdpError, SdpErrorCode } from './errors.ts';
import {
  DIRECTIONS,
  FINGERPRINT_VALUE,
  ICE_PWD,
  ICE_UFRAG,
  int,
  payloadType,
  RID_ID,
  SETUPS,
  TOKEN,
} from './grammar.ts';
import type {
  Codec,
  Direction,
  Extmap,
  MediaSection,
  Msid,
  RtcpFeedback,
  Setup,
  Simulcast,
  TransportAttributes,
} from './types.ts';
import { blankMedia } from './types.ts';

/** Static payload types usable without rtpmap (RFC 3551 §6). */
const STATIC_PAYLOAD_TYPES: Record<number, [string, number, number?]> = {
  0: ['PCMU', 8000, 1],
  8: ['PCMA', 8000, 1],
  9: ['G722', 8000, 1],
  13: ['CN', 8000, 1],
};

function malformed(what: string, line: number): SdpError {
  return new SdpError(SdpErrorCode.Malformed, what, line);
}

/** Applies an ICE/DTLS attribute to `target`; false when `name` is not one of them. */
export function applyTransportAttribute(
  target: TransportAttributes,
  name: string,
  value: string | undefined,
  line: number,
): boolean {
  switch (name) {
    case 'ice-ufrag':
      if (value === undefined || !ICE_UFRAG.test(value)) throw malformed('bad a=ice-ufrag (RFC 8839 §5.4)', line);
      target.iceUfrag = value;
      return true;
    case 'ice-pwd':
      if (value === undefined || !ICE_PWD.test(value)) throw malformed('bad a=ice-pwd (RFC 8839 §5.4)', line);
      target.icePwd = value;
      return true;
    case 'ice-options':
      target.iceOptions = (value ?? '').split(' ').filter((t) => t !== '');
      return true;
    case 'fingerprint': {
      const [algorithm = '', hash, ...rest] = (value ?? '').split(' ');
      if (!TOKEN.test(algorithm) || hash === undefined || !FINGERPRINT_VALUE.test(hash) || rest.length > 0) {
        throw malformed('bad a=fingerprint (RFC 8122 §5)', line);
      }
      target.fingerprints.push({ algorithm, value: hash });
      return true;
    }
    case 'setup':
      if (value === undefined || !SETUPS.has(value)) throw malformed('bad a=setup (RFC 4145 §4)', line);
      target.setup = value as Setup;
      return true;
    default:
      return false;
  }
}

/** Collects one m-section's attributes, then resolves codecs at `finish()`. */
export class MediaBuilder {
  readonly media: MediaSection;
  readonly #isRtp: boolean;
  readonly #rtpmap = new Map<number, { name: string; clockRate: number; channels?: number }>();
  readonly #fmtp = new Map<number, Record<string, string>>();
  readonly #feedback = new Map<number, RtcpFeedback[]>();
  readonly #ssrcIndex = new Map<number, number>();

  constructor(mLine: string, line: number) {
    const [kind = '', portText = '', protocol = '', ...formats] = mLine.split(' ');
    if (!TOKEN.test(kind) || !TOKEN.test(protocol.replaceAll('/', '.'))) throw malformed('bad m= line', line);
    const [p, count] = portText.split('/');
    this.media = blankMedia(kind, int(p, 0, 65535, 'm= port', line), protocol, formats);
    if (count !== undefined) this.media.portCount = int(count, 1, 65535, 'm= port count', line);
    if (formats.length === 0 || formats.some((f) => !TOKEN.test(f))) throw malformed('bad m= format list', line);
    this.#isRtp = protocol.includes('RTP/');
    if (this.#isRtp) {
      const seen = new Set<number>();
      for (const f of formats) {
        const pt = payloadType(f, line);
        if (seen.has(pt)) throw malformed(`payload type ${pt} twice in the m= line`, line);
        seen.add(pt);
      }
    }
  }

  #pt(text: string | undefined, line: number): number {
    const pt = payloadType(text, line);
    if (!this.#isRtp || !this.media.formats.includes(String(pt))) {
      throw malformed(`payload type ${pt} is not in the m= line`, line);
    }
    return pt;
  }

  /** Applies one `a=` attribute of this m-section. */
  attribute(name: string, value: string | undefined, line: number): void {
    const m = this.media;
    if (applyTransportAttribute(m, name, value, line)) return;
    if (DIRECTIONS.has(name) && value === undefined) {
      m.direction = name as Direction;
      return;
    }
    const v = value ?? '';
    switch (name) {
      case 'mid':
        if (!TOKEN.test(v) || v.length > 256) throw malformed('bad a=mid (RFC 5888 §4)', line);
        m.mid = v;
        return;
      case 'rtcp':
        m.rtcp = v;
        return;
      case 'rtcp-mux':
        m.rtcpMux = true;
        return;
      case 'rtcp-mux-only':
        m.rtcpMuxOnly = true;
        return;
      case 'rtcp-rsize':
        m.rtcpRsize = true;
        return;
      case 'extmap':
        m.extensions.push(parseExtmap(v, line));
        return;
      case 'msid':
        m.msids.push(parseMsid(v, line));
        return;
      case 'rtpmap': {
        const [ptText, encoding = ''] = splitOnce(v, ' ');
        const pt = this.#pt(ptText, line);
        const [encName = '', rate, channels, ...more] = encoding.split('/');
        if (!TOKEN.test(encName) || more.length > 0) throw malformed('bad a=rtpmap', line);
        if (this.#rtpmap.has(pt)) throw malformed(`a=rtpmap for payload type ${pt} twice`, line);
        this.#rtpmap.set(pt, {
          name: encName,
          clockRate: int(rate, 1, 0xffffffff, 'clock rate', line),
          ...(channels === undefined ? {} : { channels: int(channels, 1, 255, 'channels', line) }),
        });
        return;
      }
      case 'fmtp': {
        const [ptText, params = ''] = splitOnce(v, ' ');
        const pt = this.#pt(ptText, line);
        const out = this.#fmtp.get(pt) ?? {};
        for (const piece of params.split(';')) {
          const p = piece.trim();
          if (p === '') continue;
          const [k = '', val] = splitOnce(p, '=');
          out[k.trim()] = (val ?? '').trim();
        }
        this.#fmtp.set(pt, out);
        return;
      }
      case 'rtcp-fb': {
        const [ptText, rest = ''] = splitOnce(v, ' ');
        const [type = '', parameter] = splitOnce(rest, ' ');
        if (!TOKEN.test(type)) throw malformed('bad a=rtcp-fb (RFC 4585 §4.2)', line);
        const fb: RtcpFeedback = parameter === undefined ? { type } : { type, parameter };
        if (ptText === '*') m.wildcardFeedback.push(fb);
        else {
          const pt = this.#pt(ptText, line);
          const list = this.#feedback.get(pt) ?? [];
          list.push(fb);
          this.#feedback.set(pt, list);
        }
        return;
      }
      case 'ssrc': {
        const [ssrcText, attr = ''] = splitOnce(v, ' ');
        const ssrc = int(ssrcText, 0, 0xffffffff, 'ssrc', line);
        const [attrName = '', attrValue] = splitOnce(attr, ':');
        if (!TOKEN.test(attrName)) throw malformed('bad a=ssrc attribute (RFC 5576 §4.1)', line);
        let index = this.#ssrcIndex.get(ssrc);
        if (index === undefined) {
          index = m.ssrcs.length;
          this.#ssrcIndex.set(ssrc, index);
          m.ssrcs.push({ ssrc, attributes: [] });
        }
        const desc = m.ssrcs[index];
        if (desc === undefined) return;
        if (attrName === 'cname' && attrValue !== undefined && desc.cname === undefined) desc.cname = attrValue;
        else if (attrName === 'msid' && attrValue !== undefined && desc.msid === undefined) {
          desc.msid = parseMsid(attrValue, line);
        } else
          desc.attributes.push(attrValue === undefined ? { name: attrName } : { name: attrName, value: attrValue });
        return;
      }
      case 'ssrc-group': {
        const [semantics = '', ...ssrcs] = v.split(' ');
        if (!TOKEN.test(semantics) || ssrcs.length === 0) throw malformed('bad a=ssrc-group (RFC 5576 §4.2)', line);
        m.ssrcGroups.push({ semantics, ssrcs: ssrcs.map((s) => int(s, 0, 0xffffffff, 'ssrc', line)) });
        return;
      }
      case 'rid': {
        const [id = '', rest = ''] = splitOnce(v, ' ');
        const [dir = '', params] = splitOnce(rest, ' ');
        if (!RID_ID.test(id) || (dir !== 'send' && dir !== 'recv')) throw malformed('bad a=rid (RFC 8851 §10)', line);
        m.rids.push(params === undefined ? { id, direction: dir } : { id, direction: dir, params });
        return;
      }
      case 'simulcast':
        m.simulcast = parseSimulcast(v, line);
        return;
      case 'sctp-port':
        m.sctpPort = int(v, 0, 65535, 'sctp-port', line);
        return;
      case 'max-message-size':
        m.maxMessageSize = int(v, 0, Number.MAX_SAFE_INTEGER, 'max-message-size', line);
        return;
      case 'candidate':
        m.candidates.push(parseCandidate(v, line));
        return;
      case 'end-of-candidates':
        m.endOfCandidates = true;
        return;
      default:
        m.attributes.push(value === undefined ? { name } : { name, value });
    }
  }

  /** Resolves codecs in m-line order: rtpmap (or the static table), fmtp, rtcp-fb plus `*`. */
  finish(): MediaSection {
    const m = this.media;
    if (!this.#isRtp) return m;
    for (const f of m.formats) {
      const pt = Number(f);
      const map = this.#rtpmap.get(pt);
      const stat = STATIC_PAYLOAD_TYPES[pt];
      const base = map ?? (stat === undefined ? undefined : { name: stat[0], clockRate: stat[1], channels: stat[2] });
      if (base === undefined) continue;
      // Own values first, then the wildcard ones (an own value repeating a wildcard one
      // counts as the wildcard's), so that write → parse gives the same order.
      const own = (this.#feedback.get(pt) ?? []).filter((fb) => !m.wildcardFeedback.some((w) => sameFeedback(w, fb)));
      const feedback = [...own, ...m.wildcardFeedback.map((fb) => ({ ...fb }))];
      const codec: Codec = {
        payloadType: pt,
        name: base.name,
        clockRate: base.clockRate,
        parameters: this.#fmtp.get(pt) ?? {},
        feedback,
      };
      if (base.channels !== undefined) codec.channels = base.channels;
      m.codecs.push(codec);
    }
    return m;
  }
}

/** True when two rtcp-fb values are the same. */
export function sameFeedback(a: RtcpFeedback, b: RtcpFeedback): boolean {
  return a.type === b.type && a.parameter === b.parameter;
}

/** Splits at the first `sep`: `[head, tail]`, tail undefined when `sep` is absent. */
export function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)];
}

/** `a=extmap:<id>[/<direction>] <uri> [<extensionattributes>]` (RFC 8285 §8). */
function parseExtmap(v: string, line: number): Extmap {
  const [idDir = '', rest = ''] = splitOnce(v, ' ');
  const [uri = '', attributes] = splitOnce(rest, ' ');
  const [idText, dir] = splitOnce(idDir, '/');
  const ext: Extmap = { id: int(idText, 1, 255, 'extmap id', line), uri };
  if (uri === '' || /\s/.test(uri)) throw malformed('bad a=extmap uri', line);
  if (dir !== undefined) {
    if (!DIRECTIONS.has(dir)) throw malformed('bad a=extmap direction', line);
    ext.direction = dir as Direction;
  }
  if (attributes !== undefined) ext.attributes = attributes;
  return ext;
}

/** `msid:<stream-id> [<track-id>]` (RFC 8830 §2), each 1…256 token characters. */
function parseMsid(v: string, line: number): Msid {
  const parts = v.split(' ');
  const [streamId = '', trackId] = parts;
  const ok = (s: string): boolean => s.length <= 256 && TOKEN.test(s);
  if (parts.length > 2 || !ok(streamId) || (trackId !== undefined && !ok(trackId))) {
    throw malformed('bad msid (RFC 8830 §2)', line);
  }
  return trackId === undefined ? { streamId } : { streamId, trackId };
}

/** `a=simulcast:<dir> <list> [<dir> <list>]`; list = streams by `;`, alternatives by `,` (RFC 8853 §5.1). */
function parseSimulcast(v: string, line: number): Simulcast {
  const parts = v.split(' ').filter((p) => p !== '');
  if (parts.length !== 2 && parts.length !== 4) throw malformed('bad a=simulcast (RFC 8853 §5.1)', line);
  const out: Simulcast = {};
  for (let i = 0; i < parts.length; i += 2) {
    const dir = parts[i];
    const streams = (parts[i + 1] ?? '').split(';').map((alt) => alt.split(','));
    for (const alt of streams) {
      for (const id of alt) {
        if (!RID_ID.test(id.startsWith('~') ? id.slice(1) : id)) throw malformed('bad rid in a=simulcast', line);
      }
    }
    if ((dir !== 'send' && dir !== 'recv') || out[dir] !== undefined)
      throw malformed('bad a=simulcast direction', line);
    out[dir] = streams;
  }
  return out;
}
