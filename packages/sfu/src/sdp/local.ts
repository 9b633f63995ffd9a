/**
 * The SFU's own transport parameters and how they appear in the SDP it writes
 * (design: ICE-lite, never trickles, one UDP host candidate and one TCP passive one).
 */
import { hostCandidateFoundation, hostCandidatePriority } from './candidate.ts';
import { SdpError, SdpErrorCode } from './errors.ts';
import { FINGERPRINT_VALUE, ICE_PWD, ICE_UFRAG, TOKEN } from './grammar.ts';
import type { Candidate, MediaSection, SessionDescription } from './types.ts';
import { blankMedia } from './types.ts';

/** Our side of one WebRtcTransport. */
export interface LocalTransportParams {
  /** ICE credentials (RFC 8839 §5.4): ufrag 4…256 ice-chars (we use 16), pwd 22…256 (we use 32). */
  ice: { ufrag: string; pwd: string };
  /** DTLS certificate fingerprint (RFC 8122 §5), e.g. `{ algorithm: 'sha-256', value: 'AB:CD:…' }`. */
  fingerprint: { algorithm: string; value: string };
  /** Host candidates: the shared UDP port and the shared TCP port (`tcpType: 'passive'`, RFC 6544). */
  candidates: { protocol: 'udp' | 'tcp'; address: string; port: number; tcpType?: 'passive' }[];
  /** Always true: the SFU is an ICE-lite agent (RFC 8445 §2.5). */
  iceLite: true;
}

/** The remote side as its SDP declares it. */
export interface RemoteTransportParams {
  ice: { ufrag: string; pwd: string };
  fingerprints: { algorithm: string; value: string }[];
  setup: 'active' | 'passive' | 'actpass';
}

/** Throws `sdp_bad_input` unless `local` is well formed. */
export function checkLocal(local: LocalTransportParams): void {
  const bad = (what: string): SdpError => new SdpError(SdpErrorCode.BadInput, `local transport: ${what}`);
  if (!ICE_UFRAG.test(local.ice.ufrag) || !ICE_PWD.test(local.ice.pwd)) throw bad('ICE ufrag/pwd (RFC 8839 §5.4)');
  if (!TOKEN.test(local.fingerprint.algorithm) || !FINGERPRINT_VALUE.test(local.fingerprint.value)) {
    throw bad('fingerprint (RFC 8122 §5)');
  }
  for (const c of local.candidates) {
    if (!/^[0-9A-Fa-f.:]+$/.test(c.address) || !Number.isInteger(c.port) || c.port < 1 || c.port > 65535) {
      throw bad(`candidate ${c.address}:${c.port}`);
    }
  }
}

/** Candidate lines for `local` (component 1, RFC 8445 §5.1.2 priorities, `tcptype passive` for TCP). */
export function localCandidates(local: LocalTransportParams): Candidate[] {
  return hostCandidates(local.candidates);
}

/** Host candidates (RFC 8445 §5.1.2 priorities, TCP ones `tcptype passive`, RFC 6544) for the SFU's addresses. */
export function hostCandidates(
  candidates: readonly { protocol: 'udp' | 'tcp'; address: string; port: number }[],
): Candidate[] {
  return candidates.map((c) => {
    const cand: Candidate = {
      foundation: hostCandidateFoundation(c.protocol, c.address),
      component: 1,
      protocol: c.protocol,
      priority: hostCandidatePriority(c.protocol),
      address: c.address,
      port: c.port,
      type: 'host',
      extensions: [],
    };
    if (c.protocol === 'tcp') cand.tcpType = 'passive';
    return cand;
  });
}

/** `IN IP4 a.b.c.d` or `IN IP6 x::y` (RFC 8866 §5.7). */
function connection(address: string): string {
  return `IN ${address.includes(':') ? 'IP6' : 'IP4'} ${address}`;
}

/**
 * A session description skeleton for the SFU: o= with `sessionId`/`sessionVersion`,
 * `a=ice-lite`, no media yet.
 */
export function localSession(sessionId: string, sessionVersion: string): SessionDescription {
  return {
    origin: { username: '-', sessionId, sessionVersion, netType: 'IN', addrType: 'IP4', address: '0.0.0.0' },
    sessionName: '-',
    otherLines: [],
    timing: '0 0',
    iceLite: true,
    fingerprints: [],
    groups: [],
    extmapAllowMixed: false,
    msidSemantic: { semantic: 'WMS', identifiers: [] },
    attributes: [],
    media: [],
  };
}

/** A 63-bit-safe numeric session id derived from the ICE ufrag (stable per transport). */
export function sessionIdFor(local: LocalTransportParams): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < local.ice.ufrag.length; i++) h = Math.imul(h ^ local.ice.ufrag.charCodeAt(i), 0x01000193) >>> 0;
  return String(h + 1);
}

/** An empty m-section with the `c=IN IP4 0.0.0.0` line every m-section the SFU writes carries. */
export function emptyMedia(kind: string, port: number, protocol: string, formats: string[]): MediaSection {
  return { ...blankMedia(kind, port, protocol, formats), connection: 'IN IP4 0.0.0.0' };
}

/**
 * Fills `m` with our transport: port and c= from the first UDP candidate (the default
 * candidate, RFC 8839 §4.2.1.3), every candidate, `a=end-of-candidates` (we never trickle,
 * RFC 8840 §4.4), ICE credentials, fingerprint, `a=setup`.
 */
export function applyLocal(m: MediaSection, local: LocalTransportParams, setup: 'passive' | 'actpass'): void {
  const candidates = localCandidates(local);
  const def = local.candidates.find((c) => c.protocol === 'udp') ?? local.candidates[0];
  m.port = def === undefined ? 9 : def.port;
  m.connection = def === undefined ? 'IN IP4 0.0.0.0' : connection(def.address);
  m.candidates = candidates;
  m.endOfCandidates = true;
  m.iceUfrag = local.ice.ufrag;
  m.icePwd = local.ice.pwd;
  m.fingerprints = [{ algorithm: local.fingerprint.algorithm, value: local.fingerprint.value }];
  m.setup = setup;
}
