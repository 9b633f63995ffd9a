/**
 * A NAT check's finding (nat-behaviour.ts) in plain words, for people: what the NAT does
 * and what that means for calls. Mapping decides whether direct calls can work (ICE
 * punches through any filtering as long as the port stays the same for every peer).
 */
import type { FilteringBehaviour, MappingBehaviour, NatReport, TransportAddress } from './nat-behaviour.ts';

const show = (a: TransportAddress): string =>
  a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;

const MAPPING: Record<MappingBehaviour, string> = {
  none: 'You are not behind a NAT: the server sees your own address.',
  'endpoint-independent': 'Your NAT keeps your address and port for every destination (endpoint-independent mapping).',
  'address-dependent': 'Your NAT gives you a new port for every server address (address-dependent mapping).',
  'address-and-port-dependent':
    'Your NAT gives you a new port for every destination (address-and-port-dependent mapping, a "symmetric NAT").',
};

const FILTERING: Record<FilteringBehaviour, string> = {
  'endpoint-independent': 'It lets in packets from anyone once you have sent one (endpoint-independent filtering).',
  'address-dependent':
    'It lets in packets only from addresses you have sent to, from any of their ports (address-dependent filtering).',
  'address-and-port-dependent':
    'It lets in packets only from the exact address and port you have sent to (address-and-port-dependent filtering, like most home routers).',
};

/** What the finding means for calls. */
export function directCalls(r: Omit<NatReport, 'summary' | 'direct'>): NatReport['direct'] {
  if (!r.udp) return 'relay';
  switch (r.mapping) {
    case 'none':
      return 'yes';
    case 'endpoint-independent':
      return 'likely';
    case 'address-dependent':
    case 'address-and-port-dependent':
      return 'relay';
    default:
      return 'unknown';
  }
}

const VERDICT: Record<NatReport['direct'], string> = {
  yes: 'Direct calls will work.',
  likely: 'Direct calls will work, also with people behind most other NATs.',
  relay:
    'Direct calls to people behind another NAT will fail: such calls go through the relay (TURN), which itda sets up for you.',
  unknown: 'Whether direct calls work could not be told.',
};

export function natSummary(r: Omit<NatReport, 'summary' | 'direct'>): string {
  const server = show(r.server);
  if (!r.udp) {
    return (
      `No answer over UDP from ${server}: your network blocks UDP, or no STUN server runs there. ` +
      'Calls then need TURN over TCP or TLS (port 443).'
    );
  }
  const lines: string[] = [];
  if (r.mapped !== undefined) lines.push(`The server sees you as ${show(r.mapped)} (you are ${show(r.local)}).`);
  if (!r.rfc5780) {
    lines.push(
      `${server} does not do NAT behaviour discovery (no OTHER-ADDRESS, RFC 5780): start it with \`itda turn --rfc5780 <second-ip>\`.`,
    );
  }
  if (r.mapping !== undefined) lines.push(MAPPING[r.mapping]);
  else if (r.rfc5780) lines.push("The server's other address did not answer, so the mapping is unknown.");
  if (r.filtering !== undefined && r.mapping !== 'none') lines.push(FILTERING[r.filtering]);
  lines.push(VERDICT[directCalls(r)]);
  return lines.join(' ');
}

/** The finding with its verdict and summary. */
export function natReport(r: Omit<NatReport, 'summary' | 'direct'>): NatReport {
  return { ...r, direct: directCalls(r), summary: natSummary(r) };
}
