/**
 * H.264 profile-level-id (RFC 6184 §8.1): three bytes, profile_idc, profile-iop
 * (constraint flags) and level_idc. Two values name the same profile when profile_idc
 * and the relevant constraint bits agree; the level may differ (RFC 6184 §8.2.2).
 * The classification table is the one libwebrtc uses (h264_profile_level_id.cc).
 */

export type H264Profile =
  | 'constrained-baseline'
  | 'baseline'
  | 'main'
  | 'extended'
  | 'high'
  | 'constrained-high'
  | 'predictive-high-444';

/** Default when the parameter is absent: Baseline, level 1.0 (RFC 6184 §8.1). */
export const H264_DEFAULT_PROFILE_LEVEL_ID = '420010';

/** [profile_idc, bit pattern of profile-iop (x = either), profile]. */
const PATTERNS: [number, string, H264Profile][] = [
  [0x42, 'x1xx0000', 'constrained-baseline'],
  [0x4d, '1xxx0000', 'constrained-baseline'],
  [0x58, '11xx0000', 'constrained-baseline'],
  [0x42, 'x0xx0000', 'baseline'],
  [0x58, '10xx0000', 'baseline'],
  [0x4d, '0x0x0000', 'main'],
  [0x58, '00xx0000', 'extended'],
  [0x64, '00000000', 'high'],
  [0x64, '00001100', 'constrained-high'],
  [0xf4, '00000000', 'predictive-high-444'],
];

function matches(iop: number, pattern: string): boolean {
  for (let bit = 0; bit < 8; bit++) {
    const want = pattern[bit];
    const got = (iop >> (7 - bit)) & 1;
    if (want !== 'x' && Number(want) !== got) return false;
  }
  return true;
}

/** The profile and level of a profile-level-id, or undefined when it is not valid hex or not a known profile. */
export function parseH264ProfileLevelId(
  value: string | undefined,
): { profile: H264Profile; level: number } | undefined {
  const text = value ?? H264_DEFAULT_PROFILE_LEVEL_ID;
  if (!/^[0-9A-Fa-f]{6}$/.test(text)) return undefined;
  const n = Number.parseInt(text, 16);
  const idc = n >> 16;
  const iop = (n >> 8) & 0xff;
  const level = n & 0xff;
  for (const [pidc, pattern, profile] of PATTERNS) {
    if (pidc === idc && matches(iop, pattern)) return { profile, level };
  }
  return undefined;
}
