/**
 * Just enough SDP reading to enforce the `canPublish` grant: does this description
 * offer to send audio or video?
 */

/**
 * True when `sdp` has an audio or video m-section that is not disabled (port 0,
 * RFC 3264 §6) and whose direction is `sendrecv` or `sendonly`. A media section with
 * no direction attribute takes the session-level one, and without either the default
 * is `sendrecv` (RFC 8866 §6.7).
 */
export function sdpSendsMedia(sdp: string): boolean {
  let sessionDirection = 'sendrecv';
  let inMedia = false;
  let media: { kind: string; port: number; direction: string | undefined } | undefined;
  const sends = (m: typeof media): boolean =>
    m !== undefined &&
    (m.kind === 'audio' || m.kind === 'video') &&
    m.port !== 0 &&
    ((m.direction ?? sessionDirection) === 'sendrecv' || (m.direction ?? sessionDirection) === 'sendonly');

  for (const raw of sdp.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      if (sends(media)) return true;
      const [kind = '', port = ''] = line.slice(2).split(' ');
      media = { kind, port: Number.parseInt(port, 10), direction: undefined };
      inMedia = true;
      continue;
    }
    const dir = /^a=(sendrecv|sendonly|recvonly|inactive)$/.exec(line)?.[1];
    if (dir === undefined) continue;
    if (inMedia && media !== undefined) media.direction = dir;
    else sessionDirection = dir;
  }
  return sends(media);
}
