/**
 * What the SFU session layer exchanges with a participant through signaling: the
 * `@itda/protocol` messages of SFU rooms (docs/signaling.md, "SFU rooms"), under the
 * names the session code uses. The server passes them through without conversion.
 */
import type {
  ActiveSpeakerMessage,
  ErrorMessage,
  PublishedMessage,
  PublishMessage,
  QualityMessage,
  ResubscribeMessage,
  SubscribedMessage,
  SubscribeMessage,
  SubscribeTrack,
} from '@itda/protocol';
import type { WebRtcTransport } from '../router/webrtc-transport.ts';

/** The client's offer for its publish peer connection, with the source of each sending m-line. */
export type PublishRequest = PublishMessage;
/** The client's answer to the `subscribe` offer of the same `version`. */
export type SubscribedRequest = SubscribedMessage;
/** Asks for a fresh subscribe offer (`iceRestart`: new ICE credentials, RFC 8445 §9). */
export type ResubscribeRequest = ResubscribeMessage;
/** Another participant's video at a quality: which simulcast layer to forward. */
export type QualityRequest = QualityMessage;
/** One m-line of a `subscribe` offer: whose track it carries. */
export type SubscribeTrackInfo = SubscribeTrack;
/** What the session layer sends a participant. */
export type SfuOutMessage = PublishedMessage | SubscribeMessage | ActiveSpeakerMessage | ErrorMessage;

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
