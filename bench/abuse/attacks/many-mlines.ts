/**
 * The offer of attack 3: one publish offer with `n` sendonly Opus m-lines, each Chromium's
 * audio m-line (`@itda/sfu/testing`'s fixture) with only Opus kept and its own mid, SSRC and
 * msid, all in one BUNDLE group. About 820 bytes per m-line: 200 make about 160 KB, under
 * the 180 KiB an SFU SDP may have (docs/signaling.md, Limits).
 */
import { buildPublishOffer } from '@itda/sfu/testing';

const OPUS = '111';
const FINGERPRINT = Array.from({ length: 32 }, (_, i) => ((i * 37 + 11) & 0xff).toString(16).padStart(2, '0'))
  .join(':')
  .toUpperCase();

/** Keeps Opus only in an audio section: its m= format list and the codec lines of other payload types. */
function opusOnly(section: string): string {
  return section
    .split('\r\n')
    .filter((line) => {
      const m = /^a=(rtpmap|fmtp|rtcp-fb):(\d+) /.exec(line);
      return m === null || m[2] === OPUS;
    })
    .map((line) => (line.startsWith('m=audio ') ? `m=audio 9 UDP/TLS/RTP/SAVPF ${OPUS}` : line))
    .join('\r\n');
}

export function manyMLinesOffer(n: number): { sdp: string; mids: string[] } {
  const offer = buildPublishOffer({
    ice: { ufrag: 'abus', pwd: 'bench0abuse0attack0three0' },
    fingerprint: { algorithm: 'sha-256', value: FINGERPRINT },
    video: false,
  });
  const [head = '', audio = ''] = offer.sdp.split(/\r\n(?=m=)/);
  const template = opusOnly(audio.replace(/\r\n$/, ''));
  const ssrc = String(offer.tracks[0]?.ssrc ?? 1);
  const trackId = /a=msid:\S+ (\S+)/.exec(template)?.[1] ?? 'track';
  const mids = Array.from({ length: n }, (_, i) => String(i));
  const sections = mids.map((mid, i) =>
    template
      .replace('a=mid:0', `a=mid:${mid}`)
      .replaceAll(`a=ssrc:${ssrc} `, `a=ssrc:${0x20000000 + i} `)
      .replaceAll(trackId, `abuse-track-${i}`),
  );
  const header = head.replace(/a=group:BUNDLE [^\r\n]*/, `a=group:BUNDLE ${mids.join(' ')}`);
  return { sdp: `${header}\r\n${sections.join('\r\n')}\r\n`, mids };
}
