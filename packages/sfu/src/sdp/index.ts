/**
 * SDP for the SFU: an RFC 8866 parser/serializer with the WebRTC attributes, the router's
 * codec capabilities, the publish answer and the subscribe offer. See docs/sfu/sdp.md.
 */
export { answerPublishOffer, type PublishAnswer, type PublishedTrack } from './answer.ts';
export { hostCandidateFoundation, hostCandidatePriority, parseCandidate, writeCandidate } from './candidate.ts';
export {
  answerCodec,
  type CodecCapability,
  type CodecChoice,
  DEFAULT_CAPABILITIES,
  ExtensionUris,
  matchCodec,
  type RouterCapabilities,
  SUBSCRIBE_EXTENSIONS,
  selectCodec,
} from './capabilities.ts';
export { SdpError, SdpErrorCode } from './errors.ts';
export { type H264Profile, parseH264ProfileLevelId } from './h264.ts';
export { type LocalTransportParams, localCandidates, type RemoteTransportParams } from './local.ts';
export {
  buildSubscribeOffer,
  parseSubscribeAnswer,
  type SubscribeAnswerResult,
  type SubscribeOfferOptions,
  type SubscribeSlot,
} from './offer.ts';
export { parseSdp, SDP_DEFAULT_LIMITS, type SdpParseOptions } from './parse.ts';
export { nextSlot, type SlotPlacement, type SlotUsage } from './slots.ts';
export * from './types.ts';
export { writeSdp } from './write.ts';
