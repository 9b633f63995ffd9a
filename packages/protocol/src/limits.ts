/**
 * Default limits of the signaling protocol. Servers may be configured with other
 * values and announce theirs in `joined.limits`; these are the defaults.
 */
export const DEFAULT_LIMITS = {
  /** Largest message accepted, in bytes of UTF-8. Larger: `message_too_large`, dropped. */
  maxMessageBytes: 64 * 1024,
  /** Messages per second a connection may send on average (token bucket refill rate). */
  ratePerSecond: 50,
  /** Burst a connection may send at once (token bucket size). */
  rateBurst: 200,
  /** Participants in one room unless configured otherwise (a P2P mesh of 4). */
  roomCapacity: 4,
  /** How often the client sends `ping`, in ms. */
  heartbeatIntervalMs: 5_000,
  /** Silence after which either side considers the connection dead, in ms. */
  heartbeatTimeoutMs: 15_000,
  /** How long a participant whose socket dropped keeps its place for `resume`, in ms. */
  resumeGraceMs: 15_000,
  /** How long an empty room lives before it is closed, in ms. */
  emptyRoomGraceMs: 30_000,
  /** Participants in an SFU room unless configured otherwise. */
  sfuRoomCapacity: 50,
  /**
   * `data` budget of a connection: refill rate in payload characters per second. A
   * 300 KiB file in base64 16 KiB chunks (~410,000 characters) fits in the burst.
   */
  dataBytesPerSecond: 256 * 1024,
  /** `data` budget size (token bucket of payload characters). */
  dataBurstBytes: 1024 * 1024,
  /**
   * SDP budget of a connection, on top of the message rate: refill in bytes per second of
   * the messages that carry SDP (`publish`, `subscribed`, `offer`, `answer`), which cost the
   * server far more than the others. A client renegotiates a few times a minute; a
   * subscribe answer in a 50-person room is ~60 KiB.
   */
  sdpBytesPerSecond: 256 * 1024,
  /** SDP budget size (token bucket of bytes): five of the largest `publish` messages (192 KiB). */
  sdpBurstBytes: 1024 * 1024,
} as const;

/** Largest `data.payload`, in characters: room for a 16 KiB chunk in base64 with framing. */
export const MAX_DATA_PAYLOAD = 48 * 1024;

/** Room names: URL-safe (RFC 3986 unreserved characters), 1–64 characters. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9._~-]{1,64}$/;

/** Display names: 1–64 characters after trimming. */
export const MAX_NAME_LENGTH = 64;

/** Largest SDP accepted in offer/answer (P2P rooms), in characters. */
export const MAX_SDP_LENGTH = 60 * 1024;

/**
 * Largest SDP of an SFU session (`publish`, `published`, `subscribe`, `subscribed`), in
 * characters. A subscribe offer or answer grows by 0.6–1 KiB per remote track, so a
 * 50-person room needs more than a P2P offer; the signaling server takes these messages
 * up to 3 × the message size limit (192 KiB by default).
 */
export const MAX_SFU_SDP_LENGTH = 180 * 1024;
