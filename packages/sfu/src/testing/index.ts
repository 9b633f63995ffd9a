/**
 * `@itda/sfu/testing`: a WebRTC test peer made of itda's own modules (ICE checks, DTLS
 * client, SRTP) and a loopback SFU harness. See docs/sfu/testing.md.
 */
export { type JoinOptions, SfuHarness, type SfuHarnessOptions, TestParticipant } from './harness.ts';
export { type PeerDropCode, TestPeer, type TestPeerOptions } from './peer.ts';
export { buildRtp, type ReceivedRtp, type RtpPacketSpec, readRtp } from './rtp.ts';
export {
  answerSubscribeOffer,
  buildPublishOffer,
  type PublishOffer,
  type PublishOfferOptions,
  type PublishTrackSpec,
  type RemoteParameters,
  randomSsrc,
  remoteParameters,
  type SubscribeAnswer,
  type SubscribeAnswerOptions,
  type SubscribeTrack,
} from './sdp.ts';
