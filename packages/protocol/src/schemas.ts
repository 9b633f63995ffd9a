/**
 * The signaling messages, as zod schemas: the single source of truth for the wire
 * format, used by the server to validate what clients send and by the client SDK to
 * validate what the server sends. JSON text, one message per WebSocket text frame,
 * discriminated by `type`. Documented in docs/signaling.md.
 */
import { z } from 'zod';
// First, before any schema is built: no `new Function` in browsers (strict CSP).
import './zod-mode.ts';
import { displayNameProblem } from './display-name.ts';
import { MAX_DATA_PAYLOAD, MAX_SDP_LENGTH, MAX_SFU_SDP_LENGTH, ROOM_NAME_PATTERN } from './limits.ts';
import { PROTOCOL_VERSION } from './version.ts';

export const RoomName = z.string().regex(ROOM_NAME_PATTERN, 'room names are 1–64 of A–Z a–z 0–9 . _ ~ -');
export const ParticipantId = z.string().min(1).max(64);
/** A display name by the one rule of display-name.ts (trimmed, 1–64, visible, no control characters). */
export const DisplayName = z.string().transform((raw, ctx) => {
  const problem = displayNameProblem(raw);
  if (problem === undefined) return raw.trim();
  ctx.issues.push({ code: 'custom', message: problem, input: raw });
  return z.NEVER;
});
export const RoomMode = z.enum(['p2p', 'sfu', 'auto']);
export type RoomMode = z.infer<typeof RoomMode>;

/** What a participant is sending, announced with `update` and shown to the others. */
export const MediaState = z.object({
  audio: z.boolean(),
  video: z.boolean(),
  /** The MediaStream id of the participant's screen share, or null when not sharing. */
  screenStreamId: z.string().max(128).nullable(),
});
export type MediaState = z.infer<typeof MediaState>;

export const Grants = z.object({
  canPublish: z.boolean(),
  canSubscribe: z.boolean(),
  /**
   * May change the display name with `update {name}`. A name from the room token is
   * authoritative: false unless the token's `grants.canRename` is true. Without a token
   * name (or without a token), true.
   */
  canRename: z.boolean(),
  /**
   * May moderate the room (`moderate`: mute others, remove them, lock the room, run its
   * lobby). From a token's `grants.roomAdmin`; in open rooms the first to join a room
   * without a host gets it (the server's `firstJoinerHost`). Absent: false.
   */
  roomAdmin: z.boolean().optional(),
});
export type Grants = z.infer<typeof Grants>;

export const ParticipantInfo = z.object({
  id: ParticipantId,
  name: z.string(),
  /** The identity from the participant's token, or null in an open room. */
  identity: z.string().nullable(),
  /** When the participant joined, ms since the epoch. */
  joinedAt: z.number(),
  media: MediaState,
  /** True for a participant who may moderate the room (its `grants.roomAdmin`). */
  host: z.boolean().optional(),
  /** Devices a host forced off (`moderate` mute with `force`) until released. Absent: none. */
  held: z
    .array(z.enum(['audio', 'video']))
    .max(2)
    .optional(),
});
export type ParticipantInfo = z.infer<typeof ParticipantInfo>;

/** Who did a moderation action: a host (its id and name), or the room API (`id` null). */
export const Moderator = z.object({ id: ParticipantId.nullable(), name: z.string() });
export type Moderator = z.infer<typeof Moderator>;

/** A room's moderation state: joins refused (`locked`), newcomers wait to be let in (`lobby`). */
export const RoomState = z.object({ locked: z.boolean(), lobby: z.boolean() });
export type RoomState = z.infer<typeof RoomState>;

/** The browser's RTCIceServer dictionary. */
export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/** RTCIceCandidateInit; `null` in a `candidate` message means end-of-candidates. */
export const IceCandidate = z.object({
  candidate: z.string().max(2048),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});
export type IceCandidate = z.infer<typeof IceCandidate>;

const Sdp = z.string().min(1).max(MAX_SDP_LENGTH);
/** SFU session descriptions grow with the room (limits.ts). */
const SfuSdp = z.string().min(1).max(MAX_SFU_SDP_LENGTH);
const Version = z.literal(PROTOCOL_VERSION);

/** What a published track carries, in SFU rooms (`publish.tracks`, `subscribe.tracks`). */
export const SfuTrackSource = z.enum(['microphone', 'camera', 'screen', 'screen-audio']);
export type SfuTrackSource = z.infer<typeof SfuTrackSource>;

/** One sending m-line of a publish offer and what it carries. */
export const PublishTrack = z.object({ mid: z.string().min(1).max(32), source: SfuTrackSource });
export type PublishTrack = z.infer<typeof PublishTrack>;

/** One m-line of a subscribe offer: whose track it is, its kind and source. */
export const SubscribeTrack = z.object({
  mid: z.string().min(1).max(32),
  participantId: ParticipantId,
  kind: z.enum(['audio', 'video']),
  source: SfuTrackSource,
});
export type SubscribeTrack = z.infer<typeof SubscribeTrack>;

/** Offers are numbered from 1 per subscribe connection. */
const SubscribeVersion = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Opaque application data relayed by the server (`data`), at most MAX_DATA_PAYLOAD characters. */
const DataPayload = z.string().max(MAX_DATA_PAYLOAD);

// ---------------------------------------------------------------- client → server

export const JoinMessage = z.object({
  type: z.literal('join'),
  /** Protocol version the client speaks. */
  v: z.number().int(),
  room: RoomName,
  name: DisplayName,
  /** A room token (JWT, HS256). Required unless the server allows open rooms. */
  token: z.string().max(8192).optional(),
  /** Initial media state. */
  media: MediaState.optional(),
});

export const ResumeMessage = z.object({
  type: z.literal('resume'),
  v: z.number().int(),
  room: RoomName,
  participantId: ParticipantId,
  /** The secret from `joined.resumeToken`. */
  resumeToken: z.string().min(1).max(256),
});

export const OfferMessage = z.object({ type: z.literal('offer'), to: ParticipantId, sdp: Sdp });
export const AnswerMessage = z.object({ type: z.literal('answer'), to: ParticipantId, sdp: Sdp });
export const CandidateMessage = z.object({
  type: z.literal('candidate'),
  to: ParticipantId,
  candidate: IceCandidate.nullable(),
});
export const UpdateMessage = z.object({
  type: z.literal('update'),
  name: DisplayName.optional(),
  media: MediaState.optional(),
});
export const LeaveMessage = z.object({ type: z.literal('leave') });
export const PingMessage = z.object({ type: z.literal('ping'), ts: z.number().optional() });

/** SFU rooms: the offer of the client's publish peer connection and what each sending m-line carries. */
export const PublishMessage = z.object({
  type: z.literal('publish'),
  sdp: SfuSdp,
  tracks: z.array(PublishTrack).max(64),
});
/** SFU rooms: the client's answer to the `subscribe` offer numbered `version`. */
export const SubscribedMessage = z.object({ type: z.literal('subscribed'), sdp: SfuSdp, version: SubscribeVersion });
/** SFU rooms: asks for a fresh `subscribe` offer; `iceRestart` asks for new ICE credentials in it (RFC 8445 §9). */
export const ResubscribeMessage = z.object({ type: z.literal('resubscribe'), iceRestart: z.boolean().optional() });
/** Video quality a subscriber wants of one participant: which simulcast layer the SFU forwards. */
export const VideoQuality = z.enum(['high', 'medium', 'low']);
export type VideoQuality = z.infer<typeof VideoQuality>;
/**
 * SFU rooms: forward `participantId`'s video to me at `quality` — with a simulcast
 * publisher, `high` is the best layer it sends, `medium` one below, `low` the lowest; a
 * publisher without simulcast has one quality. Default `high`; remembered for tracks the
 * participant publishes later.
 */
export const QualityMessage = z.object({
  type: z.literal('quality'),
  participantId: ParticipantId,
  quality: VideoQuality,
});
/**
 * Application data (chat, files) relayed through the server: to one participant
 * (`to`) or, without `to`, to everyone else in the room. Subject to its own byte budget
 * (`limits.dataBytesPerSecond` / `limits.dataBurstBytes`).
 */
export const DataMessage = z.object({ type: z.literal('data'), to: ParticipantId.optional(), payload: DataPayload });
/**
 * A host's action (needs `grants.roomAdmin`, else `forbidden`): `mute` someone's
 * microphone or camera (`participantId`, `kind`; with `force` they cannot turn it on
 * again until a host sends `release`); `remove` someone, banned for the room's lifetime;
 * `lock`/`unlock` the room; `lobby-on`/`lobby-off`; `admit`/`deny` a knocking newcomer
 * (`participantId` of its `knock`).
 */
export const ModerateMessage = z.object({
  type: z.literal('moderate'),
  action: z.enum(['mute', 'release', 'remove', 'lock', 'unlock', 'lobby-on', 'lobby-off', 'admit', 'deny']),
  participantId: ParticipantId.optional(),
  kind: z.enum(['audio', 'video']).optional(),
  force: z.boolean().optional(),
});

export const ClientMessage = z.discriminatedUnion('type', [
  JoinMessage,
  ResumeMessage,
  OfferMessage,
  AnswerMessage,
  CandidateMessage,
  UpdateMessage,
  LeaveMessage,
  PingMessage,
  PublishMessage,
  SubscribedMessage,
  ResubscribeMessage,
  QualityMessage,
  DataMessage,
  ModerateMessage,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export const CLIENT_MESSAGE_TYPES = [
  'join',
  'resume',
  'offer',
  'answer',
  'candidate',
  'update',
  'leave',
  'ping',
  'publish',
  'subscribed',
  'resubscribe',
  'quality',
  'data',
  'moderate',
] as const;

// ---------------------------------------------------------------- server → client

export const Limits = z.object({
  maxMessageBytes: z.number(),
  ratePerSecond: z.number(),
  rateBurst: z.number(),
  roomCapacity: z.number(),
  /** Largest `data.payload`, characters. */
  maxDataPayload: z.number().optional(),
  /** Refill rate of the `data` budget, payload characters per second. */
  dataBytesPerSecond: z.number().optional(),
  /** Size of the `data` budget, payload characters. */
  dataBurstBytes: z.number().optional(),
  /** Refill rate of the SDP budget (`publish`, `subscribed`, `offer`, `answer`), bytes per second. */
  sdpBytesPerSecond: z.number().optional(),
  /** Size of the SDP budget, bytes. */
  sdpBurstBytes: z.number().optional(),
});

export const JoinedMessage = z.object({
  type: z.literal('joined'),
  v: Version,
  room: RoomName,
  mode: RoomMode,
  participantId: ParticipantId,
  /** Secret to present in `resume` after a dropped connection. */
  resumeToken: z.string(),
  /** The others already in the room. */
  participants: z.array(ParticipantInfo),
  iceServers: z.array(IceServer),
  grants: Grants,
  heartbeat: z.object({ intervalMs: z.number(), timeoutMs: z.number() }),
  resumeGraceMs: z.number(),
  limits: Limits,
  /** The room's moderation state (absent: neither locked nor with a lobby). */
  roomState: RoomState.optional(),
});

export const ResumedMessage = z.object({
  type: z.literal('resumed'),
  participantId: ParticipantId,
  /** The room's mode (as in `joined`). */
  mode: RoomMode,
  /** The others in the room now (some may have come or gone meanwhile). */
  participants: z.array(ParticipantInfo),
  iceServers: z.array(IceServer),
});

export const ParticipantJoinedMessage = z.object({
  type: z.literal('participant-joined'),
  participant: ParticipantInfo,
});
export const ParticipantUpdatedMessage = z.object({
  type: z.literal('participant-updated'),
  participant: ParticipantInfo,
});
export const LeaveReason = z.enum(['left', 'timeout', 'removed', 'room_closed']);
export type LeaveReason = z.infer<typeof LeaveReason>;
export const ParticipantLeftMessage = z.object({
  type: z.literal('participant-left'),
  participantId: ParticipantId,
  reason: LeaveReason,
});

export const RelayedOffer = z.object({ type: z.literal('offer'), from: ParticipantId, sdp: Sdp });
export const RelayedAnswer = z.object({ type: z.literal('answer'), from: ParticipantId, sdp: Sdp });
export const RelayedCandidate = z.object({
  type: z.literal('candidate'),
  from: ParticipantId,
  candidate: IceCandidate.nullable(),
});
export const PongMessage = z.object({ type: z.literal('pong'), ts: z.number().optional() });
/** SFU rooms: the server's answer to `publish`. */
export const PublishedMessage = z.object({ type: z.literal('published'), sdp: SfuSdp });
/** SFU rooms: an offer for the subscribe peer connection; answer it with `subscribed` of the same `version`. */
export const SubscribeMessage = z.object({
  type: z.literal('subscribe'),
  sdp: SfuSdp,
  version: SubscribeVersion,
  tracks: z.array(SubscribeTrack).max(1024),
});
/**
 * SFU rooms: who speaks, from the audio levels the SFU reads (RFC 6464). Sent when the
 * dominant speaker or the set of speaking participants changes (decided every 300 ms),
 * and to a participant when it joins. `levels`: 0–1 per speaking participant.
 */
export const ActiveSpeakerMessage = z.object({
  type: z.literal('active-speaker'),
  dominant: ParticipantId.nullable(),
  speaking: z.array(ParticipantId).max(1000),
  levels: z.record(ParticipantId, z.number().min(0).max(1)),
});
/** `data` relayed from another participant. */
export const RelayedData = z.object({ type: z.literal('data'), from: ParticipantId, payload: DataPayload });
export const ErrorMessage = z.object({
  type: z.literal('error'),
  /** A stable code from ErrorCode. */
  code: z.string(),
  message: z.string(),
  /** The `type` of the message that caused the error, when known. */
  ref: z.string().optional(),
});
export const ClosedMessage = z.object({
  type: z.literal('closed'),
  /** `denied`: a host did not let the knocking newcomer in. */
  reason: z.enum(['room_closed', 'removed', 'server_shutdown', 'denied']),
  /** `removed` / `denied` by a host: who. */
  by: Moderator.optional(),
});
/**
 * To a participant a host acted on: its microphone (`audio`) or camera (`video`) was
 * muted by `by` (`forced`: it may not turn it on until `release`), or released.
 */
export const ModeratedMessage = z.object({
  type: z.literal('moderated'),
  action: z.enum(['mute', 'release']),
  kind: z.enum(['audio', 'video']),
  by: Moderator,
  forced: z.boolean().optional(),
});
/** To everyone in the room when a host locks or unlocks it, or turns its lobby on or off. */
export const RoomStateMessage = z.object({ type: z.literal('room-state'), ...RoomState.shape, by: Moderator });
/** To a newcomer of a room with a lobby: it waits until a host admits (`joined`) or denies it (`closed` denied). */
export const LobbyMessage = z.object({ type: z.literal('lobby'), room: RoomName, participantId: ParticipantId });
/** To the hosts: someone knocks (their `participantId` for `admit`/`deny`). Also for everyone waiting when a host joins. */
export const KnockMessage = z.object({
  type: z.literal('knock'),
  participant: z.object({ id: ParticipantId, name: z.string(), identity: z.string().nullable() }),
});
/** To the hosts: a knock is over — `admitted`, `denied` or `left` (the newcomer went away). */
export const KnockEndedMessage = z.object({
  type: z.literal('knock-ended'),
  participantId: ParticipantId,
  outcome: z.enum(['admitted', 'denied', 'left']),
});

export const ServerMessage = z.discriminatedUnion('type', [
  JoinedMessage,
  ResumedMessage,
  ParticipantJoinedMessage,
  ParticipantUpdatedMessage,
  ParticipantLeftMessage,
  RelayedOffer,
  RelayedAnswer,
  RelayedCandidate,
  PongMessage,
  ErrorMessage,
  ClosedMessage,
  PublishedMessage,
  SubscribeMessage,
  ActiveSpeakerMessage,
  RelayedData,
  ModeratedMessage,
  RoomStateMessage,
  LobbyMessage,
  KnockMessage,
  KnockEndedMessage,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ModerateMessage = z.infer<typeof ModerateMessage>;

export type JoinMessage = z.infer<typeof JoinMessage>;
export type ResumeMessage = z.infer<typeof ResumeMessage>;
export type OfferMessage = z.infer<typeof OfferMessage>;
export type AnswerMessage = z.infer<typeof AnswerMessage>;
export type CandidateMessage = z.infer<typeof CandidateMessage>;
export type UpdateMessage = z.infer<typeof UpdateMessage>;
export type JoinedMessage = z.infer<typeof JoinedMessage>;
export type ResumedMessage = z.infer<typeof ResumedMessage>;
export type ErrorMessage = z.infer<typeof ErrorMessage>;
export type PublishMessage = z.infer<typeof PublishMessage>;
export type SubscribedMessage = z.infer<typeof SubscribedMessage>;
export type ResubscribeMessage = z.infer<typeof ResubscribeMessage>;
export type QualityMessage = z.infer<typeof QualityMessage>;
export type DataMessage = z.infer<typeof DataMessage>;
export type PublishedMessage = z.infer<typeof PublishedMessage>;
export type SubscribeMessage = z.infer<typeof SubscribeMessage>;
export type ActiveSpeakerMessage = z.infer<typeof ActiveSpeakerMessage>;
export type RelayedData = z.infer<typeof RelayedData>;
export type ClosedMessage = z.infer<typeof ClosedMessage>;
/** A message of the given `type`, from either direction's union. */
export type ClientMessageOf<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;
export type ServerMessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;
