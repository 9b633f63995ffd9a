/**
 * The relayed load: realistic offer SDPs and ICE candidates, each carrying a key that
 * the receiver reads back to match it with its send time. Identical for itda and the
 * baseline.
 */

/** An audio+video offer of about 2.5 KB (a browser's is 3–6 KB), with `key` as session id. */
export function offerSdp(key: number): string {
  const lines = [
    'v=0',
    `o=- ${key} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS stream',
  ];
  for (const [mid, kind, pts] of [
    ['0', 'audio', '111 63 9 0 8 13 110 126'],
    ['1', 'video', '96 97 98 99 100 101 45 46 102 103'],
  ] as const) {
    lines.push(
      `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pts}`,
      'c=IN IP4 0.0.0.0',
      'a=rtcp:9 IN IP4 0.0.0.0',
      'a=ice-ufrag:Vx3k',
      'a=ice-pwd:7sR2mWm0aQ1dXbYkq9f3Lr8e',
      'a=ice-options:trickle',
      'a=fingerprint:sha-256 4E:0B:8C:76:1B:2F:55:9A:21:3D:C4:8E:6A:0F:12:BB:93:7E:44:D1:08:5C:AF:62:19:E3:70:2B:9D:C6:31:F4',
      'a=setup:actpass',
      `a=mid:${mid}`,
      'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
      'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
      'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
      'a=sendrecv',
      `a=msid:stream ${kind}-track`,
      'a=rtcp-mux',
    );
    for (const pt of pts.split(' ')) {
      lines.push(`a=rtpmap:${pt} ${kind === 'audio' ? 'opus/48000/2' : 'VP8/90000'}`, `a=rtcp-fb:${pt} transport-cc`);
    }
    lines.push(`a=ssrc:${1000 + Number(mid)} cname:bench`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** An ICE candidate (RFC 8839 §5.1) with `key` as its username fragment. */
export function candidate(key: number): {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
  usernameFragment: string;
} {
  return {
    candidate: `candidate:842163049 1 udp 1677729535 127.0.0.1 ${40000 + (key % 20000)} typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999`,
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: String(key),
  };
}

/** The key of a relayed offer, or -1. */
export function offerKey(sdp: string): number {
  const at = sdp.indexOf('o=- ');
  if (at < 0) return -1;
  return Number(sdp.slice(at + 4, sdp.indexOf(' ', at + 4)));
}

/** The key of a relayed candidate, or -1. */
export function candidateKey(c: unknown): number {
  const ufrag = (c as { usernameFragment?: unknown } | null)?.usernameFragment;
  return typeof ufrag === 'string' ? Number(ufrag) : -1;
}
