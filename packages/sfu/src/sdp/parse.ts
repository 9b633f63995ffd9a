/**
 * SDP parser (RFC 8866) into the typed model of `types.ts`, with the WebRTC attributes:
 * ICE (RFC 8839), DTLS fingerprint and setup (RFC 8122, RFC 4145), BUNDLE (RFC 8843),
 * msid (RFC 8830), rid and simulcast (RFC 8851, RFC 8853), header extensions (RFC 8285),
 * SSRC attributes (RFC 5576), SCTP (RFC 8841). Unknown attributes are kept verbatim.
 *
 * Bounded work: the input is refused before any splitting when larger than `maxBytes`,
 * the parse stops at the first line longer than `maxLineLength` or at m-line number
 * `maxMediaSections + 1`; everything else is one pass over the lines.
 */
import { SdpError, SdpErrorCode } from './errors.ts';
import { DIRECTIONS, TOKEN } from './grammar.ts';
import { applyTransportAttribute, MediaBuilder, splitOnce } from './parse-attributes.ts';
import type { Direction, SessionDescription } from './types.ts';

/** Limits of `parseSdp`. */
export interface SdpParseOptions {
  /** Largest accepted description in bytes (UTF-8). Default 262,144 (256 KiB). */
  maxBytes?: number;
  /** Most m-sections. Default 256. */
  maxMediaSections?: number;
  /** Longest line in characters, without the line ending. Default 4,096. */
  maxLineLength?: number;
}

export const SDP_DEFAULT_LIMITS: Readonly<Required<SdpParseOptions>> = {
  maxBytes: 256 * 1024,
  maxMediaSections: 256,
  maxLineLength: 4096,
};

/**
 * Parses `text` (lines ending in CRLF or LF) into a `SessionDescription`.
 * Throws `SdpError` (`sdp_too_large`, `sdp_line_too_long`, `sdp_too_many_media`,
 * `sdp_malformed`, `sdp_bad_payload_type`) with the offending line number.
 */
export function parseSdp(text: string, options: SdpParseOptions = {}): SessionDescription {
  const limits = { ...SDP_DEFAULT_LIMITS, ...options };
  if (typeof text !== 'string') throw new SdpError(SdpErrorCode.Malformed, 'SDP must be a string');
  if (text.length > limits.maxBytes || Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    throw new SdpError(SdpErrorCode.TooLarge, `SDP larger than ${limits.maxBytes} bytes`);
  }
  const lines = text.split('\n');
  const desc: SessionDescription = {
    origin: { username: '', sessionId: '', sessionVersion: '', netType: '', addrType: '', address: '' },
    sessionName: '',
    otherLines: [],
    timing: '0 0',
    iceLite: false,
    fingerprints: [],
    groups: [],
    extmapAllowMixed: false,
    attributes: [],
    media: [],
  };
  let media: MediaBuilder | undefined;
  let expect: 'v' | 'o' | 's' | undefined = 'v';
  let sawTiming = false;
  const mids = new Set<string>();
  const finishMedia = (): void => {
    if (media === undefined) return;
    const m = media.finish();
    if (m.mid !== undefined) {
      if (mids.has(m.mid)) throw new SdpError(SdpErrorCode.Malformed, `a=mid:${m.mid} on two m-lines (RFC 5888 §4)`);
      mids.add(m.mid);
    }
    desc.media.push(m);
  };

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    let line = lines[i] ?? '';
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > limits.maxLineLength) {
      throw new SdpError(SdpErrorCode.LineTooLong, `line longer than ${limits.maxLineLength} characters`, n);
    }
    if (line === '') continue;
    if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0] ?? '')) {
      throw new SdpError(SdpErrorCode.Malformed, 'not a <type>=<value> line (RFC 8866 §5)', n);
    }
    const type = line[0];
    const value = line.slice(2);
    if (expect !== undefined) {
      if (type !== expect) throw new SdpError(SdpErrorCode.Malformed, `expected ${expect}= (RFC 8866 §5)`, n);
      if (type === 'v') {
        if (value !== '0') throw new SdpError(SdpErrorCode.Malformed, 'v= must be 0', n);
        expect = 'o';
      } else if (type === 'o') {
        const f = value.split(' ');
        if (f.length !== 6 || f.some((x) => x === '')) throw new SdpError(SdpErrorCode.Malformed, 'bad o= line', n);
        const [username = '', sessionId = '', sessionVersion = '', netType = '', addrType = '', address = ''] = f;
        if (!/^[0-9]{1,20}$/.test(sessionId) || !/^[0-9]{1,20}$/.test(sessionVersion)) {
          throw new SdpError(SdpErrorCode.Malformed, 'o= session id and version must be numbers', n);
        }
        desc.origin = { username, sessionId, sessionVersion, netType, addrType, address };
        expect = 's';
      } else {
        desc.sessionName = value;
        expect = undefined;
      }
      continue;
    }
    if (type === 'm') {
      finishMedia();
      if (desc.media.length >= limits.maxMediaSections) {
        throw new SdpError(SdpErrorCode.TooManyMedia, `more than ${limits.maxMediaSections} m-lines`, n);
      }
      media = new MediaBuilder(value, n);
      continue;
    }
    if (media !== undefined) {
      if (type === 'a') {
        const [name, attrValue] = splitOnce(value, ':');
        if (!TOKEN.test(name)) throw new SdpError(SdpErrorCode.Malformed, 'bad attribute name', n);
        media.attribute(name, attrValue, n);
      } else if (type === 'c') media.media.connection = value;
      else if (type === 'b') media.media.bandwidths.push(value);
      // i= and k= at media level are dropped (WebRTC does not use them).
      continue;
    }
    if (type === 't') {
      if (!/^[0-9]+ [0-9]+$/.test(value)) throw new SdpError(SdpErrorCode.Malformed, 'bad t= line', n);
      desc.timing = value;
      sawTiming = true;
    } else if (type === 'a') sessionAttribute(desc, value, n);
    else desc.otherLines.push(line);
  }
  finishMedia();
  if (expect !== undefined) throw new SdpError(SdpErrorCode.Malformed, `missing ${expect}= line`);
  if (!sawTiming) throw new SdpError(SdpErrorCode.Malformed, 'missing t= line (RFC 8866 §5)');
  for (const g of desc.groups) {
    for (const mid of g.mids) {
      if (!mids.has(mid)) {
        throw new SdpError(SdpErrorCode.Malformed, `a=group:${g.semantics} names mid ${mid} that no m-line has`);
      }
    }
  }
  return desc;
}

function sessionAttribute(desc: SessionDescription, value: string, n: number): void {
  const [name, v] = splitOnce(value, ':');
  if (!TOKEN.test(name)) throw new SdpError(SdpErrorCode.Malformed, 'bad attribute name', n);
  if (applyTransportAttribute(desc, name, v, n)) return;
  if (DIRECTIONS.has(name) && v === undefined) {
    desc.direction = name as Direction;
    return;
  }
  switch (name) {
    case 'ice-lite':
      desc.iceLite = true;
      return;
    case 'group': {
      const [semantics = '', ...ids] = (v ?? '').split(' ');
      if (!TOKEN.test(semantics) || ids.some((id) => !TOKEN.test(id))) {
        throw new SdpError(SdpErrorCode.Malformed, 'bad a=group (RFC 5888 §5)', n);
      }
      desc.groups.push({ semantics, mids: ids });
      return;
    }
    case 'extmap-allow-mixed':
      desc.extmapAllowMixed = true;
      return;
    case 'msid-semantic': {
      const [semantic = '', ...identifiers] = (v ?? '').trim().split(' ');
      desc.msidSemantic = { semantic, identifiers: identifiers.filter((x) => x !== '') };
      return;
    }
    default:
      desc.attributes.push(v === undefined ? { name } : { name, value: v });
  }
}
