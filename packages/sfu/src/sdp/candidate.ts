/**
 * ICE candidate attribute (RFC 8839 §5.1, `tcptype` from RFC 6544 §4.5):
 *
 *   candidate:<foundation> <component-id> <transport> <priority> <connection-address> <port>
 *             typ <cand-type> [raddr <addr>] [rport <port>] *(<ext-name> <ext-value>)
 */
import { SdpError, SdpErrorCode } from './errors.ts';
import type { Candidate } from './types.ts';

const ICE_CHARS = /^[A-Za-z0-9+/]{1,32}$/;
const TOKEN = /^[!#$%&'*+\-.^_`{|}~A-Za-z0-9]+$/;
const DIGITS = /^[0-9]{1,10}$/;

function port(text: string | undefined, line: number | undefined): number {
  if (text === undefined || !/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) {
    throw new SdpError(SdpErrorCode.Malformed, `bad candidate port ${JSON.stringify(text)}`, line);
  }
  return Number(text);
}

/** Parses the value of an `a=candidate:` attribute (without the `candidate:` prefix). */
export function parseCandidate(value: string, line?: number): Candidate {
  const f = value.split(' ');
  const bad = (why: string): SdpError => new SdpError(SdpErrorCode.Malformed, `bad candidate: ${why}`, line);
  if (f.length < 8) throw bad('too few fields');
  const [foundation = '', component = '', protocol = '', priority = '', address = '', portText, typ, type = ''] = f;
  if (!ICE_CHARS.test(foundation)) throw bad('foundation');
  if (!/^[0-9]{1,3}$/.test(component) || Number(component) < 1 || Number(component) > 256) throw bad('component');
  if (!TOKEN.test(protocol)) throw bad('transport');
  if (!DIGITS.test(priority) || Number(priority) > 0xffffffff || Number(priority) < 1) throw bad('priority');
  if (address === '' || !/^[A-Za-z0-9.:\-_%]+$/.test(address)) throw bad('address');
  if (typ !== 'typ' || !TOKEN.test(type)) throw bad('typ');
  const cand: Candidate = {
    foundation,
    component: Number(component),
    protocol,
    priority: Number(priority),
    address,
    port: port(portText, line),
    type,
    extensions: [],
  };
  let i = 8;
  if (f[i] === 'raddr') {
    const raddr = f[i + 1];
    if (raddr === undefined || raddr === '') throw bad('raddr');
    cand.relatedAddress = raddr;
    i += 2;
  }
  if (f[i] === 'rport') {
    cand.relatedPort = port(f[i + 1], line);
    i += 2;
  }
  for (; i < f.length; i += 2) {
    const name = f[i] ?? '';
    const extValue = f[i + 1];
    if (!TOKEN.test(name) || extValue === undefined || extValue === '') throw bad(`extension ${name}`);
    if (name === 'tcptype' && cand.tcpType === undefined) {
      if (extValue !== 'active' && extValue !== 'passive' && extValue !== 'so') throw bad('tcptype');
      cand.tcpType = extValue;
      continue;
    }
    cand.extensions.push({ name, value: extValue });
  }
  return cand;
}

/** The value of an `a=candidate:` attribute for `c` (without the `candidate:` prefix). */
export function writeCandidate(c: Candidate): string {
  let s = `${c.foundation} ${c.component} ${c.protocol} ${c.priority} ${c.address} ${c.port} typ ${c.type}`;
  if (c.relatedAddress !== undefined) s += ` raddr ${c.relatedAddress}`;
  if (c.relatedPort !== undefined) s += ` rport ${c.relatedPort}`;
  if (c.tcpType !== undefined) s += ` tcptype ${c.tcpType}`;
  for (const e of c.extensions) s += ` ${e.name} ${e.value}`;
  return s;
}

/** ICE type preference of a host candidate (RFC 8445 §5.1.2.2: 126). */
const HOST_TYPE_PREFERENCE = 126;

/**
 * Priority of a host candidate, RFC 8445 §5.1.2.1:
 * `2^24 · type-pref + 2^8 · local-pref + (256 − component)`. UDP gets local preference
 * 65535; TCP gets `2^13 · direction-pref + other-pref` with direction-pref 4 for a
 * passive candidate (RFC 6544 §4.2), so browsers prefer UDP when both work.
 */
export function hostCandidatePriority(protocol: 'udp' | 'tcp', component = 1): number {
  const localPreference = protocol === 'udp' ? 65535 : (4 << 13) + 8191;
  return HOST_TYPE_PREFERENCE * 2 ** 24 + localPreference * 2 ** 8 + (256 - component);
}

/**
 * Foundation of a host candidate: equal for candidates of the same type, base address
 * and transport, different otherwise (RFC 8445 §5.1.1.3). FNV-1a of those, in decimal.
 */
export function hostCandidateFoundation(protocol: 'udp' | 'tcp', address: string): string {
  let h = 0x811c9dc5;
  const key = `host|${protocol}|${address}`;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return String(h);
}
