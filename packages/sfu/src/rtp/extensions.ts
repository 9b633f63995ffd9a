/**
 * The RTP header extensions the SFU knows (RFC 8285 URIs): the one table the SDP layer
 * (what publishers may negotiate), the router (what it reads and rewrites) and the
 * session layer (what it passes on to subscribers and players) share.
 */
export const ExtensionUri = {
  /** RFC 8843 §15: the m-line of a packet (BUNDLE demultiplexing). */
  Mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  /** RFC 8852: the simulcast layer. */
  Rid: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  RepairedRid: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  AbsSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  TransportCc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  /** RFC 6464: the audio level (active speaker). */
  AudioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
} as const;

export type ExtensionUri = (typeof ExtensionUri)[keyof typeof ExtensionUri];

/**
 * Extensions passed downstream as the publisher sent them (ids as it negotiated them).
 * The transport-wide sequence number is passed on with its value rewritten: each
 * subscriber transport numbers what it sends itself (bwe/transport-bwe.ts), and the
 * subscriber's transport-cc feedback drives the SFU's estimate of its downlink.
 */
export const FORWARDED_EXTENSIONS: ReadonlySet<string> = new Set([
  ExtensionUri.AudioLevel,
  ExtensionUri.AbsSendTime,
  ExtensionUri.TransportCc,
]);
