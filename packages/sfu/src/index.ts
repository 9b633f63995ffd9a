/**
 * @itda/sfu — the media plane: Router → WebRtcTransport → Producer / Consumer, the
 * session layer that drives it from signaling (`SfuService`), WHEP players, the RTC
 * server with its sockets, and the one asynchronous API its users reach it through
 * (`SfuClient` → `SfuLink` → `SfuHost`; also `@itda/sfu/api`). See docs/sfu.md.
 *
 * This entry is the curated surface. The protocol layers underneath have entries of their
 * own, for tools, interop tests and benchmarks: `@itda/sfu/sdp`, `/ice`, `/dtls`, `/srtp`,
 * `/rtp`, `/feedback`, `/bwe`, `/allocation`, and `@itda/sfu/testing` (a WebRTC test peer).
 */

export { MAX_PLAYERS, SfuHost, type SfuHostOptions } from './api/host.ts';
export * from './api/index.ts';
export * from './node/index.ts';
export * from './router/index.ts';
export * from './session/index.ts';
