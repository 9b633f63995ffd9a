/**
 * @itda/sfu — the media plane: Router → WebRtcTransport → Producer / Consumer.
 * See docs/sfu.md.
 */

export * from './dtls/index.ts';
export * from './feedback/index.ts';
export * from './ice/index.ts';
export * from './node/index.ts';
export * from './router/index.ts';
export * from './rtp/index.ts';
export * from './sdp/index.ts';
export * from './session/index.ts';
export * from './srtp/index.ts';
