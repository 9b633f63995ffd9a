/**
 * SDP fragments for WHIP/WHEP `PATCH` (RFC 8840 `application/trickle-ice-sdpfrag`,
 * RFC 9725 §4.4): what the client sends (trickled candidates, or new ICE credentials
 * for an ICE restart) and what the server answers to a restart (its new credentials).
 */
import { hostCandidates, writeCandidate } from '@itda/sfu/sdp';

/** What a client's sdpfrag says. */
export interface SdpFragment {
  /** `a=ice-ufrag` (RFC 8839 §5.4), when present. */
  iceUfrag?: string;
  /** `a=ice-pwd`, when present. */
  icePwd?: string;
  /** Number of `a=candidate` lines (ignored: an ICE-lite server learns addresses from checks). */
  candidates: number;
  endOfCandidates: boolean;
}

/** ice-char (RFC 8839 §5.4): ALPHA / DIGIT / "+" / "/". */
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;

/**
 * Parses a trickle-ice-sdpfrag body (RFC 8840 §9): session-level and media-level lines;
 * only the ICE attributes are read. Returns undefined for a body that is not an SDP
 * fragment (a line that is not `x=…`) or has malformed credentials.
 */
export function parseSdpFragment(text: string): SdpFragment | undefined {
  const frag: SdpFragment = { candidates: 0, endOfCandidates: false };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line === '') continue;
    if (!/^[a-z]=/.test(line)) return undefined;
    if (line.startsWith('a=ice-ufrag:')) frag.iceUfrag = line.slice('a=ice-ufrag:'.length);
    else if (line.startsWith('a=ice-pwd:')) frag.icePwd = line.slice('a=ice-pwd:'.length);
    else if (line.startsWith('a=candidate:')) frag.candidates++;
    else if (line === 'a=end-of-candidates') frag.endOfCandidates = true;
  }
  // RFC 8839 §5.4: ufrag 4…256 ice-chars, pwd 22…256.
  if (frag.iceUfrag !== undefined) {
    if (frag.iceUfrag.length < 4 || frag.iceUfrag.length > 256 || !ICE_CHARS.test(frag.iceUfrag)) return undefined;
  }
  if (frag.icePwd !== undefined) {
    if (frag.icePwd.length < 22 || frag.icePwd.length > 256 || !ICE_CHARS.test(frag.icePwd)) return undefined;
  }
  return frag;
}

/**
 * The server's answer to an ICE restart (RFC 9725 §4.4.2): `a=ice-lite`, its new ufrag
 * and pwd and, since an ICE-lite server does not trickle, its candidates under the BUNDLE
 * tag's m-line and `a=end-of-candidates`.
 */
export function restartFragment(
  ice: { ufrag: string; pwd: string },
  candidates: readonly { protocol: 'udp' | 'tcp'; address: string; port: number }[],
  tag: { mid: string; kind: string } | undefined,
): string {
  const lines = ['a=ice-lite', `a=ice-ufrag:${ice.ufrag}`, `a=ice-pwd:${ice.pwd}`];
  // RFC 8840 §9: candidates belong to an m-line, named by its mid (the BUNDLE tag's).
  if (tag !== undefined) lines.push(`m=${tag.kind} 9 UDP/TLS/RTP/SAVPF 0`, `a=mid:${tag.mid}`);
  for (const c of hostCandidates(candidates)) lines.push(`a=candidate:${writeCandidate(c)}`);
  lines.push('a=end-of-candidates');
  return `${lines.join('\r\n')}\r\n`;
}
