/**
 * The router's RTP capabilities (docs/sfu/sdp.md, design in issue #4) and the rules that
 * match an offered codec against them.
 */

import { ExtensionUri } from '../rtp/extensions.ts';
import { parseH264ProfileLevelId } from './h264.ts';
import type { Codec, MediaSection, RtcpFeedback } from './types.ts';
import { rtxFor } from './types.ts';

/** One codec the router forwards. */
export interface CodecCapability {
  kind: 'audio' | 'video';
  name: string;
  clockRate: number;
  channels?: number;
  /** fmtp parameters: the ones matched on (H264 packetization-mode and profile, VP9 profile-id, AV1 profile) and, for audio, the ones answered. */
  parameters: Record<string, string>;
  /** rtcp-fb values the router handles for this codec. */
  feedback: RtcpFeedback[];
  /** Whether an RTX stream (RFC 4588) is accepted with it. */
  rtx: boolean;
}

/** Codecs and header extensions the router accepts; codecs in preference order. */
export interface RouterCapabilities {
  codecs: readonly CodecCapability[];
  /** Header extension URIs accepted from publishers (RFC 8285). */
  extensions: readonly string[];
}

const VIDEO_FEEDBACK: RtcpFeedback[] = [
  { type: 'goog-remb' },
  { type: 'transport-cc' },
  { type: 'ccm', parameter: 'fir' },
  { type: 'nack' },
  { type: 'nack', parameter: 'pli' },
];

function video(name: string, parameters: Record<string, string> = {}): CodecCapability {
  return { kind: 'video', name, clockRate: 90000, parameters, feedback: VIDEO_FEEDBACK, rtx: true };
}

const h264 = (profileLevelId: string): CodecCapability =>
  video('H264', { 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': profileLevelId });

/** The router's default capabilities: Opus; VP8, VP9 profile 0, H264 (CB, Main, CH), AV1, each with RTX. */
export const DEFAULT_CAPABILITIES: RouterCapabilities = {
  codecs: [
    {
      kind: 'audio',
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      parameters: { minptime: '10', useinbandfec: '1' },
      feedback: [{ type: 'transport-cc' }],
      rtx: false,
    },
    video('VP8'),
    video('VP9', { 'profile-id': '0' }),
    h264('42e01f'),
    h264('4d001f'),
    h264('640c1f'),
    video('AV1'),
  ],
  extensions: Object.values(ExtensionUri),
};

/** Header extensions declared in subscribe offers (the SFU rewrites or writes them per subscriber). */
export const SUBSCRIBE_EXTENSIONS: readonly string[] = [
  ExtensionUri.AbsSendTime,
  ExtensionUri.AudioLevel,
  ExtensionUri.TransportCc,
];

/**
 * True when `offered` is the codec `cap` describes:
 * - name (case-insensitive, RFC 8866 §6.6), clock rate and channels (absent = 1) equal;
 * - H264: same packetization-mode (absent = 0) and same profile of profile-level-id
 *   (the level may differ, RFC 6184 §8.2.2);
 * - VP9: same profile-id (absent = 0); AV1: same profile (absent = 0).
 */
export function matchCodec(offered: Codec, cap: CodecCapability): boolean {
  if (offered.name.toLowerCase() !== cap.name.toLowerCase()) return false;
  if (offered.clockRate !== cap.clockRate || (offered.channels ?? 1) !== (cap.channels ?? 1)) return false;
  const o = offered.parameters;
  const c = cap.parameters;
  switch (cap.name.toLowerCase()) {
    case 'h264': {
      if ((o['packetization-mode'] ?? '0') !== (c['packetization-mode'] ?? '0')) return false;
      const op = parseH264ProfileLevelId(o['profile-level-id']);
      const cp = parseH264ProfileLevelId(c['profile-level-id']);
      return op !== undefined && cp !== undefined && op.profile === cp.profile;
    }
    case 'vp9':
      return (o['profile-id'] ?? '0') === (c['profile-id'] ?? '0');
    case 'av1':
      return (o.profile ?? '0') === (c.profile ?? '0');
    default:
      return true;
  }
}

/**
 * The codec to answer for `offered` matched by `cap`: the offered payload type, name,
 * clock rate and channels; rtcp-fb = offered ∩ supported; fmtp:
 * - H264: the offered profile-level-id (any level is forwarded, so we accept the
 *   offerer's level, which RFC 6184 §8.2.2 allows with or without level asymmetry),
 *   the offered packetization-mode, and `level-asymmetry-allowed=1` when offered;
 * - audio: the capability's parameters (Opus `minptime=10;useinbandfec=1`);
 * - other video: the offered parameters.
 */
export function answerCodec(offered: Codec, cap: CodecCapability): Codec {
  let parameters: Record<string, string>;
  if (cap.name.toLowerCase() === 'h264') {
    parameters = {};
    if (offered.parameters['level-asymmetry-allowed'] === '1') parameters['level-asymmetry-allowed'] = '1';
    parameters['packetization-mode'] = offered.parameters['packetization-mode'] ?? '0';
    const plid = offered.parameters['profile-level-id'];
    if (plid !== undefined) parameters['profile-level-id'] = plid;
  } else if (cap.kind === 'audio') parameters = { ...cap.parameters };
  else parameters = { ...offered.parameters };
  const codec: Codec = {
    payloadType: offered.payloadType,
    name: offered.name,
    clockRate: offered.clockRate,
    parameters,
    feedback: offered.feedback.filter((fb) =>
      cap.feedback.some((s) => s.type === fb.type && s.parameter === fb.parameter),
    ),
  };
  if (offered.channels !== undefined) codec.channels = offered.channels;
  return codec;
}

/** The chosen codec of an m-line and its RTX partner. */
export interface CodecChoice {
  codec: Codec;
  rtx?: Codec;
  capability: CodecCapability;
}

/**
 * Chooses the codec to receive on `media`: the first capability (router preference
 * order) that some offered codec matches, the first such offered codec, and the offered
 * RTX codec whose `apt` names it (kept paired, RFC 4588 §8.6). Undefined when none matches.
 */
export function selectCodec(
  media: MediaSection,
  caps: RouterCapabilities = DEFAULT_CAPABILITIES,
): CodecChoice | undefined {
  for (const cap of caps.codecs) {
    if (cap.kind !== media.kind) continue;
    for (const offered of media.codecs) {
      if (!matchCodec(offered, cap)) continue;
      const choice: CodecChoice = { codec: answerCodec(offered, cap), capability: cap };
      const rtx = cap.rtx ? rtxFor(media, offered.payloadType) : undefined;
      if (rtx !== undefined) {
        choice.rtx = {
          payloadType: rtx.payloadType,
          name: rtx.name,
          clockRate: rtx.clockRate,
          parameters: { apt: String(offered.payloadType) },
          feedback: [],
        };
      }
      return choice;
    }
  }
  return undefined;
}
