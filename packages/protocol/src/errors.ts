/**
 * Stable error codes of the signaling protocol, sent as `error.code`, and the
 * WebSocket close codes the server uses (RFC 6455 §7.4; 4000–4999 are ours).
 * Codes are never renamed once released. See docs/signaling.md.
 */
export const ErrorCode = {
  /** The frame is not valid JSON, or not a JSON object. */
  BadJson: 'bad_json',
  /** A known message type with missing or wrongly typed fields. */
  BadMessage: 'bad_message',
  /** `type` names no message this version knows. */
  UnknownType: 'unknown_type',
  /** The message is larger than `limits.maxMessageBytes`; it was dropped. */
  MessageTooLarge: 'message_too_large',
  /** The connection sends faster than its rate limit; the message was dropped. */
  RateLimited: 'rate_limited',
  /** `join`/`resume` named a protocol version the server does not speak. */
  UnsupportedVersion: 'unsupported_version',
  /** A message other than join/resume/ping before joining. */
  NotJoined: 'not_joined',
  /** `join` or `resume` on a connection that already has a session. */
  AlreadyJoined: 'already_joined',
  /** The room has as many participants as its capacity. */
  RoomFull: 'room_full',
  /** The room does not exist and rooms are not created on join. */
  RoomNotFound: 'room_not_found',
  /** The room was closed (by the API or the server shutting down). */
  RoomClosed: 'room_closed',
  /** The server requires a token and none was given. */
  Unauthorized: 'unauthorized',
  /** The token is malformed or its signature does not verify. */
  InvalidToken: 'invalid_token',
  /** The token's `exp` has passed (or `nbf` has not yet come). */
  TokenExpired: 'token_expired',
  /** The token does not grant this room or this action. */
  Forbidden: 'forbidden',
  /** offer/answer/candidate addressed to a participant not in the room. */
  UnknownParticipant: 'unknown_participant',
  /** `resume` named no session that can be resumed (unknown, expired or wrong token). */
  ResumeFailed: 'resume_failed',
  /** The room is in `sfu` mode but no media server is available (or it failed to take the request). */
  SfuUnavailable: 'sfu_unavailable',
  /** `publish` carried an offer the media server cannot use (no usable codec, no BUNDLE, bad SDP, …). */
  SfuBadOffer: 'sfu_bad_offer',
  /**
   * `publish` carried an offer with more m-lines than the media server takes (32 by
   * default: twice the 16 tracks a publish connection holds); refused before parsing.
   */
  SfuOfferTooLarge: 'sfu_offer_too_large',
  /** `subscribed` carried an answer the media server cannot apply. */
  SfuBadAnswer: 'sfu_bad_answer',
  /** `subscribed` answered an offer `version` that is not the one outstanding; the newer offer stands. */
  SfuStaleVersion: 'sfu_stale_version',
  /**
   * The SFU closed the media transport of the `publish` or `subscribe` connection (`ref`
   * says which): consent expired (RFC 7675), DTLS failed. The client starts that
   * connection afresh (a new publish offer, or `resubscribe`).
   */
  SfuTransportClosed: 'sfu_transport_closed',
  /** A request past a limit of the media server: `quality` for more than 1,000 participants. */
  SfuLimitReached: 'sfu_limit_reached',
  /** publish / subscribed / resubscribe / quality in a room that is not in `sfu` mode. */
  NotSfuRoom: 'not_sfu_room',
  /** offer / answer / candidate relay in a room that is not in `p2p` mode (use publish/subscribe). */
  NotP2pRoom: 'not_p2p_room',
  /** `join` of a room a host has locked (hosts with a `roomAdmin` token still get in). */
  RoomLocked: 'room_locked',
  /** `join` by an identity a host removed from this room (banned for the room's lifetime). */
  Banned: 'banned',
  /** `join` while the room's lobby holds as many newcomers as it takes (50). */
  LobbyFull: 'lobby_full',
  /** A server fault; the connection stays usable. */
  Internal: 'internal',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

/** The codes a media server (`SfuBackend`) may answer or throw with; the signaling core passes them on as they are. */
export const SFU_ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  ErrorCode.SfuUnavailable,
  ErrorCode.SfuBadOffer,
  ErrorCode.SfuOfferTooLarge,
  ErrorCode.SfuBadAnswer,
  ErrorCode.SfuStaleVersion,
  ErrorCode.SfuTransportClosed,
  ErrorCode.SfuLimitReached,
]);

/** WebSocket close codes used by the server. */
export const CloseCode = {
  /** After `leave`, or a normal end. */
  Normal: 1000,
  /** The server is shutting down. */
  GoingAway: 1001,
  /** A frame exceeded the hard frame limit (4 × maxMessageBytes) — ws closes at once. */
  MessageTooBig: 1009,
  /** The room was closed by the API. */
  RoomClosed: 4000,
  /** The session was resumed on another connection; this one is retired. */
  Replaced: 4001,
  /** No message (not even `ping`) within the heartbeat timeout. */
  HeartbeatTimeout: 4002,
  /** Too many messages over the rate limit: the connection is closed. */
  RateLimitExceeded: 4008,
  /** The participant was removed (kicked) by a host or the API. */
  Removed: 4009,
  /** A host did not let the knocking newcomer in (lobby). */
  Denied: 4010,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
