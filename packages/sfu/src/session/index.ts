/** The SFU session layer: signaling messages ↔ SDP ↔ router objects. See docs/sfu.md. */
export { newestPublisher, WhepPlayer, type WhepPlayerEvents, type WhepPlayerOptions } from './player.ts';
export { countMediaSections, DEFAULT_MAX_PUBLISH_MEDIA_SECTIONS } from './publish-limits.ts';
export { QUALITY_RANK, SfuService, type SfuServiceOptions, type TransportChange } from './sfu-service.ts';
export type {
  AnnouncedCandidate,
  PublishRequest,
  QualityRequest,
  ResubscribeRequest,
  SfuOutMessage,
  SfuParticipantInfo,
  SubscribedRequest,
  SubscribeTrackInfo,
  TransportFactory,
} from './types.ts';
