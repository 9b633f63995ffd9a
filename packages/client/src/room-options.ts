/** The options of a Room and of `room.join()`, and the default signaling URL. */
import type { Clock, Logger } from '@itda/common';
import { SIGNAL_PATH } from '@itda/protocol';
import type { SignalingClientOptions } from './signaling-client.ts';
import type { SocketFactory } from './socket.ts';

export interface RoomOptions {
  /** Signaling URL. Default: `ws(s)://<location.host>/ws`. `join({ url })` overrides it. */
  url?: string;
  /** Default: silentLogger. */
  logger?: Logger;
  /** Default: systemClock. */
  clock?: Clock;
  /** ICE servers added to those the server announces in `joined`. Default none. */
  iceServers?: RTCIceServer[];
  /**
   * `relay` gathers only TURN relay candidates, so media always goes through a TURN
   * server (to test one, or to hide the participants' addresses from each other).
   * Default `all` (W3C WebRTC §4.2.1, RTCIceTransportPolicy).
   */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Passed to SignalingClient (backoff, timeouts). */
  signaling?: Omit<SignalingClientOptions, 'url' | 'clock' | 'logger' | 'socketFactory'>;
  /** Default: the platform WebSocket. */
  socketFactory?: SocketFactory;
  /** Largest file sent or received, bytes. Default 100 MiB. */
  maxFileBytes?: number;
  /** Default: `new RTCPeerConnection(config)`. */
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
}

export interface JoinOptions {
  url?: string;
  room: string;
  /** Display name, 1–64 characters. */
  name: string;
  /** Room token, when the server requires one. */
  token?: string;
  /** Camera and microphone to send. The Room never stops these tracks; the app does. */
  localStream?: MediaStream | null;
}

/** `ws(s)://<host>/ws` of the page's own origin. */
export function defaultSignalingUrl(): string {
  const { protocol, host } = globalThis.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${SIGNAL_PATH}`;
}
