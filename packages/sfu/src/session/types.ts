/**
 * The messages the SFU session layer exchanges with a participant through signaling
 * (docs/signaling.md, "SFU rooms"). Structurally the same as `@itda/protocol`'s
 * `publish` / `published` / `subscribe` / `subscribed` / `resubscribe` messages, so the
 * server passes them through without conversion.
 */
import type { TrackSource } from '../router/index.ts';
import type { WebRtcTransport } from '../router/webrtc-transport.ts';

export interface PublishRequest {
  type: 'publish';
  /** The client's offer for its publish peer connection. */
  sdp: string;
  /** What each sending m-line carries; a mid not listed is `microphone` (audio) or `camera` (video). */
  tracks: { mid: string; source: TrackSource }[];
}

export interface SubscribedRequest {
  type: 'subscribed';
  /** The client's answer to the `subscribe` offer of the same `version`. */
  sdp: string;
  version: number;
}

export interface ResubscribeRequest {
  type: 'resubscribe';
  /** New ICE credentials in the next offer (ICE restart, RFC 8445 §9). */
  iceRestart?: boolean;
}

export interface SubscribeTrackInfo {
  mid: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: TrackSource;
}

export type SfuOutMessage =
  | { type: 'published'; sdp: string }
  | { type: 'subscribe'; sdp: string; version: number; tracks: SubscribeTrackInfo[] }
  | { type: 'error'; code: string; message: string; ref?: string };

/** A participant as the session layer knows it. */
export interface SfuParticipantInfo {
  room: string;
  id: string;
  name: string;
  canPublish: boolean;
  canSubscribe: boolean;
}

/** A host candidate of the media server (RFC 8839 §5.1), announced in every SDP. */
export interface AnnouncedCandidate {
  protocol: 'udp' | 'tcp';
  address: string;
  port: number;
  tcpType?: 'passive';
}

/** What the session layer needs of the media server: new transports and its candidates. */
export interface TransportFactory {
  createTransport(): WebRtcTransport;
  readonly candidates: readonly AnnouncedCandidate[];
}
