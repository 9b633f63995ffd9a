/** Shared shapes of the router layer. */

export type MediaKind = 'audio' | 'video';

/** What a track is, as the publisher declared it (the protocol's `SfuTrackSource`). */
export type { SfuTrackSource as TrackSource } from '@itda/protocol';

/** One negotiated RTP codec of a stream (RFC 8866 rtpmap + fmtp). */
export interface RtpCodec {
  payloadType: number;
  /** Encoding name as in rtpmap, e.g. `opus`, `VP8`, `H264`. */
  name: string;
  clockRate: number;
  channels?: number;
  /** fmtp parameters. */
  parameters: Record<string, string>;
  /** rtcp-fb values, e.g. `{ type: 'nack', parameter: 'pli' }`. */
  feedback: { type: string; parameter?: string }[];
}

/** A negotiated RTP header extension (RFC 8285). */
export interface HeaderExtension {
  id: number;
  uri: string;
}

/** Header extension URIs the router reads or writes. */
export const ExtensionUri = {
  Mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  Rid: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  RepairedRid: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  AbsSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  TransportCc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  AudioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
} as const;

import type { IceTuple } from '../ice/index.ts';

/**
 * Where a transport's datagrams go: the node layer implements it for the shared UDP
 * socket and for ICE-TCP connections. `tupleKey` names the ICE-selected 5-tuple.
 */
export interface DatagramSink {
  send(datagram: Uint8Array, tuple: IceTuple): void;
}

/** A remote transport address as ICE saw it: the ICE module's tuple. */
export type { IceTuple as Tuple } from '../ice/index.ts';
