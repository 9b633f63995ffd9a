/**
 * How much of a `publish` offer the SFU looks at (issue 10, hole 3). A publish transport
 * holds at most 16 producers (`WebRtcTransportOptions.maxProducers`), so an offer of
 * hundreds of m-lines can only be refused — and it is, before the SDP is split into lines
 * or parsed: `countMediaSections` is one `indexOf` pass over the text, allocation-free,
 * and stops at the first m-line past the limit.
 */
import { SfuError, SfuErrorCode } from '../router/index.ts';

/**
 * Default most m-lines in a publish offer: 32, twice the producers a transport holds —
 * room for the m-lines a browser keeps for stopped transceivers (port 0 until recycled)
 * and a data channel. Chromium's offer for microphone, camera, screen and screen audio
 * has 4 (5 with a data channel).
 */
export const DEFAULT_MAX_PUBLISH_MEDIA_SECTIONS = 32;
/** Range of `SfuServiceOptions.maxPublishMediaSections`. */
export const PUBLISH_MEDIA_SECTIONS_RANGE = [1, 256] as const;

/** Validates `SfuServiceOptions.maxPublishMediaSections`; throws `SfuError` `sfu_bad_parameters`. */
export function publishMediaSectionsOption(value: number | undefined): number {
  const v = value ?? DEFAULT_MAX_PUBLISH_MEDIA_SECTIONS;
  const [min, max] = PUBLISH_MEDIA_SECTIONS_RANGE;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new SfuError(
      SfuErrorCode.BadParameters,
      `maxPublishMediaSections must be an integer between ${min} and ${max}`,
    );
  }
  return v;
}

/**
 * Counts the m-lines (`m=` at the start of a line, RFC 8866 §5.14) of `sdp`, stopping
 * once the count passes `stopAfter`: the result is then `stopAfter + 1`. Work is at most
 * one scan of the text; nothing is allocated.
 */
export function countMediaSections(sdp: string, stopAfter: number): number {
  let n = sdp.startsWith('m=') ? 1 : 0;
  let from = 0;
  while (n <= stopAfter) {
    const at = sdp.indexOf('\nm=', from);
    if (at < 0) break;
    n++;
    from = at + 3;
  }
  return n;
}
