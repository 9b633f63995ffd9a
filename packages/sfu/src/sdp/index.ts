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
  matchCodec,
  type RouterCapabilities,
  SUBSCRIBE_EXTENSIONS,
  selectCodec,
} from './capabilities.ts';
export { SdpError, SdpErrorCode } from './errors.ts';
export { type ForwardedTrack, inactiveMedia, rtxCodec, sendingMedia } from './forwarded.ts';
export { type H264Profile, parseH264ProfileLevelId } from './h264.ts';
export { hostCandidates, type LocalTransportParams, localCandidates, type RemoteTransportParams } from './local.ts';
export {
  buildSubscribeOffer,
  parseSubscribeAnswer,
  type SubscribeAnswerResult,
  type SubscribeOfferOptions,
  type SubscribeSlot,
} from './offer.ts';
export { parseSdp, SDP_DEFAULT_LIMITS, type SdpParseOptions } from './parse.ts';
export { answerPlayOffer, type PlayAnswer, type PlayPlacement, type PlayTrack } from './play.ts';
export {
  type Candidate as SdpCandidate,
  type Codec as SdpCodec,
  type Direction as SdpDirection,
  type Extmap as SdpExtmap,
  effectiveDirection,
  effectiveTransport,
  type Fingerprint as SdpFingerprint,
  type Group as SdpGroup,
  type MediaSection,
  type Msid as SdpMsid,
  type RawAttribute as SdpRawAttribute,
  type Rid as SdpRid,
  type RtcpFeedback as SdpRtcpFeedback,
  rtxFor,
  type SessionDescription,
  type Setup as SdpSetup,
  type Simulcast as SdpSimulcast,
  type SsrcDescription as SdpSsrcDescription,
  type SsrcGroup as SdpSsrcGroup,
  type TransportAttributes as SdpTransportAttributes,
} from './types.ts';
export { writeSdp } from './write.ts';
