/** The options of a Room and of `room.join()`, and the default signaling URL. */
import type { Clock, Logger } from '@itda/common';
import { SIGNAL_PATH } from '@itda/protocol';
import type { VideoCodec } from './codec-preference.ts';
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
  /**
   * sfu rooms: the only video codec the publish connection offers (with RTX), so the SFU
   * forwards the camera and screen in it: `vp8`, `vp9` (profile 0), `h264`, `av1`. Applied
   * with `RTCRtpTransceiver.setCodecPreferences` before each offer. A codec the browser
   * cannot encode (absent from `RTCRtpSender.getCapabilities('video')`) is ignored with a
   * warning. Default: the browser's own list, of which the SFU picks VP8. Not used in p2p rooms.
   */
  videoCodec?: VideoCodec;
  /**
   * sfu rooms: send the camera as simulcast layers (RFC 8853) — three (¼, ½ and full
   * resolution) from 540 lines up, two (½ and full) below — so the SFU can forward a
   * smaller one to those who ask for it (`room.setVideoQuality`) or when the top layer
   * stalls. Costs the publisher the extra encodes. Default false. Not used in p2p rooms.
   */
  simulcast?: boolean;
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
