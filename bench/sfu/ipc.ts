/**
 * Messages between the SFU benchmark (run.ts) and its load generator processes
 * (loadgen.ts), over the fork IPC channel. Every request carries `req`; the answer
 * carries the same `req` and either `ok` (with `sdp` where one is asked for) or `error`.
 */

export type Command =
  /** A new PeerConnection: a publisher (sends audio + video of stream `stream`) or a subscriber (receives). */
  | { req: number; cmd: 'peer-new'; peer: number; role: 'pub' | 'sub'; stream: number; bindAddress: string }
  /** The peer's complete offer (publisher: sendonly audio + video; subscriber: recvonly audio + video). */
  | { req: number; cmd: 'peer-offer'; peer: number }
  /** Apply a remote offer; answer with the peer's complete answer. */
  | { req: number; cmd: 'peer-answer'; peer: number; sdp: string }
  /** Apply the remote answer to the peer's offer. */
  | { req: number; cmd: 'peer-accept'; peer: number; sdp: string }
  /** Resolves when the peer's media is up (publisher: both tracks open; subscriber: connected, tracks open). */
  | { req: number; cmd: 'peer-wait'; peer: number; timeoutMs: number }
  /**
   * Send on every publisher for `warmupMs + measureMs` and stop; packets sent in the last
   * `measureMs` carry the "measured" flag. Answers when sending has stopped and `drainMs` passed.
   * Runs may repeat on the same peers (bench/abuse: a baseline, then a window under attack):
   * each stream's counter and RTP sequence number go on where the last run stopped.
   */
  | { req: number; cmd: 'run'; warmupMs: number; measureMs: number; drainMs: number }
  /** Close every PeerConnection (the next step starts fresh). */
  | { req: number; cmd: 'close-all' };

/** What one generator process saw during a `run`. */
export interface RunReport {
  /** Per publisher stream: measured packets sent (video, audio). */
  sent: { stream: number; video: number; audio: number }[];
  /** Per subscriber peer: which stream, measured packets received, out-of-order and duplicate packets. */
  received: { peer: number; stream: number; video: number; audio: number; reordered: number; duplicates: number }[];
  /** Latency histogram of measured packets (see hist.ts), µs buckets. */
  latency: number[];
  /** sendMessageBinary calls that returned false (track not open, buffer full). */
  sendFailures: number;
  /** The worst pacing lag: how far behind its schedule a tick found the publishers, ms. */
  maxLagMs: number;
  /** Packets on the subscribers' tracks that were not ours (RTCP excluded). */
  foreign: number;
}

export type Answer =
  | { req: number; ok: true; sdp?: string; report?: RunReport }
  | { req: number; ok: false; error: string };
