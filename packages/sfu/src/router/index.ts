/**
 * The router layer: Router → WebRtcTransport → Producer / Consumer, and the forwarding
 * hot path. Sans-IO: the node layer feeds datagrams in and sends what comes out.
 */
export {
  type ActiveSpeakerEvents,
  ActiveSpeakerObserver,
  type ActiveSpeakerOptions,
  type ActiveSpeakers,
  resolveActiveSpeakerOptions,
} from './active-speaker-observer.ts';
export {
  Consumer,
  type ConsumerCloseReason,
  type ConsumerOptions,
  type ConsumerTransport,
} from './consumer.ts';
export { SfuError, SfuErrorCode } from './errors.ts';
export { Producer, type ProducerOptions } from './producer.ts';
export { Router, type RouterOptions } from './router.ts';
export type { RtpObserver } from './rtp-observer.ts';
export { SfuStats } from './stats.ts';
export {
  type DatagramSink,
  ExtensionUri,
  type HeaderExtension,
  type MediaKind,
  type RtpCodec,
  type RtpEgress,
  type RtpEgressProvider,
  type TrackSource,
  type Tuple,
} from './types.ts';
export {
  WebRtcTransport,
  type WebRtcTransportEvents,
  type WebRtcTransportOptions,
} from './webrtc-transport.ts';
