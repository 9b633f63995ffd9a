/**
 * The signaling messages, as zod schemas: the single source of truth for the wire
 * format, used by the server to validate what clients send and by the client SDK to
 * validate what the server sends. JSON text, one message per WebSocket text frame,
 * discriminated by `type`. Documented in docs/signaling.md.
 */
import { z } from 'zod';
import { MAX_NAME_LENGTH, MAX_SDP_LENGTH, ROOM_NAME_PATTERN } from './limits.ts';
import { PROTOCOL_VERSION } from './version.ts';

export const RoomName = z.string().regex(ROOM_NAME_PATTERN, 'room names are 1–64 of A–Z a–z 0–9 . _ ~ -');
export const ParticipantId = z.string().min(1).max(64);
export const DisplayName = z.string().trim().min(1).max(MAX_NAME_LENGTH);
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
});
export type ParticipantInfo = z.infer<typeof ParticipantInfo>;

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
const Version = z.literal(PROTOCOL_VERSION);

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

export const ClientMessage = z.discriminatedUnion('type', [
  JoinMessage,
  ResumeMessage,
  OfferMessage,
  AnswerMessage,
  CandidateMessage,
  UpdateMessage,
  LeaveMessage,
  PingMessage,
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
] as const;

// ---------------------------------------------------------------- server → client

export const Limits = z.object({
  maxMessageBytes: z.number(),
  ratePerSecond: z.number(),
  rateBurst: z.number(),
  roomCapacity: z.number(),
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
});

export const ResumedMessage = z.object({
  type: z.literal('resumed'),
  participantId: ParticipantId,
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
  reason: z.enum(['room_closed', 'removed', 'server_shutdown']),
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
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

export type JoinMessage = z.infer<typeof JoinMessage>;
export type ResumeMessage = z.infer<typeof ResumeMessage>;
export type OfferMessage = z.infer<typeof OfferMessage>;
export type AnswerMessage = z.infer<typeof AnswerMessage>;
export type CandidateMessage = z.infer<typeof CandidateMessage>;
export type UpdateMessage = z.infer<typeof UpdateMessage>;
export type JoinedMessage = z.infer<typeof JoinedMessage>;
export type ResumedMessage = z.infer<typeof ResumedMessage>;
export type ErrorMessage = z.infer<typeof ErrorMessage>;
export type ClosedMessage = z.infer<typeof ClosedMessage>;
/** A message of the given `type`, from either direction's union. */
export type ClientMessageOf<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;
export type ServerMessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;
