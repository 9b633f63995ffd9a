/**
 * @itda/client — the browser SDK of itda. See docs/client.md.
 */

export type { VideoQuality } from '@itda/protocol';
export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
export { codecPreferences, isVideoCodec, VIDEO_CODECS, type VideoCodec } from './codec-preference.ts';
export { ClientError, ClientErrorCode } from './errors.ts';
export {
  type ChannelLike,
  FileReceiver,
  RECEIVED_BLOB_TYPE,
  type ReceivedFile,
  sendFile,
  sha256Hex,
} from './file-transfer.ts';
export { LocalMedia, simulcastEncodings } from './local-media.ts';
export {
  checkNetwork,
  type Gathered,
  gather,
  type NatKind,
  type NetworkCheckOptions,
  type NetworkCheckResult,
  natKindOf,
  type Reach,
} from './network-check.ts';
export { type RemoteLink, RemoteParticipant } from './participant.ts';
export { type ChannelFileProgress, PeerChannel, type PeerChannelEvents } from './peer-channel.ts';
export { PeerLink, type PeerLinkEvents, type PeerLinkOptions } from './peer-link.ts';
export {
  type ChatFrame,
  decodePeerFrame,
  encodePeerFrame,
  FILE_CHUNK_BYTES,
  MAX_CHAT_BYTES,
  MAX_FILE_BYTES,
  type PeerFrame,
} from './peer-protocol.ts';
export { isPolite } from './polite.ts';
export { type ModerationRequest, Room } from './room.ts';
export {
  type ChatMessage,
  type FileProgress,
  type FileReceivedEvent,
  type Knock,
  type LocalParticipant,
  RoomEvent,
  type RoomEvents,
  type TrackInfo,
  type TrackSource,
} from './room-events.ts';
export { defaultSignalingUrl, type JoinOptions, type RoomOptions } from './room-options.ts';
export {
  type ConnectionState,
  type JoinParams,
  type OutgoingMessage,
  SignalingClient,
  type SignalingClientOptions,
  type SignalingEvents,
} from './signaling-client.ts';
export { type SocketFactory, type SocketHandle, type SocketHandlers, webSocketFactory } from './socket.ts';
export { computeLinkStats, formatBitrate, type LinkStats, type StatsEntry, StatsSampler } from './stats.ts';
