/**
 * One participant of an SFU room as the session layer sees it: its publish and
 * subscribe transports, the producers it publishes (by mid) and the negotiation of its
 * subscribe peer connection (subscribe-negotiator.ts).
 */
import type { Consumer, Producer, TrackSource, WebRtcTransport } from '../router/index.ts';
import { FORWARDED_EXTENSIONS } from '../rtp/extensions.ts';
import { SubscribeNegotiator } from './subscribe-negotiator.ts';
import type { SfuOutMessage, SfuParticipantInfo } from './types.ts';

export class SfuPeer {
  readonly info: SfuParticipantInfo;
  send: (msg: SfuOutMessage) => void;
  publish: WebRtcTransport | undefined;
  subscribe: WebRtcTransport | undefined;
  readonly producers = new Map<string, Producer>();
  /** The subscribe peer connection's m-lines, offers and answers. */
  readonly negotiator = new SubscribeNegotiator<Consumer>({ extensions: FORWARDED_EXTENSIONS });
  /** Simulcast rank asked for per publishing participant (`quality`), at most `MAX_QUALITIES`. */
  readonly qualities = new Map<string, number>();
  /** Sources a host forced off (`holdMedia`): their producers stay paused, also ones made later. */
  readonly held = new Set<TrackSource>();
  /** The publish offer's ICE ufrag, to detect an ICE restart. */
  publishRemoteUfrag: string | undefined;

  constructor(info: SfuParticipantInfo, send: (msg: SfuOutMessage) => void) {
    this.info = info;
    this.send = send;
  }

  get id(): string {
    return this.info.id;
  }
}
