/**
 * The SFU's one asynchronous API: every request from signaling and WHIP/WHEP, and
 * everything the SFU says back, as plain structured-clonable messages. Nothing crosses
 * it by reference — no transport, router or callback — so the SFU may run in this
 * process (`localSfuLink`), in a worker thread (`messagePortLink`) or on another machine
 * (a later issue puts a network behind `SfuLink`). See docs/sfu.md, "The API".
 *
 * Requests that need a result (`restart-ice`, `play`, `restart-player-ice`) carry a
 * `call` number; the SFU answers each exactly once with `reply` or `failed` of that
 * number. The others are one-way: their answers to a participant come as `message`
 * events (`published`, `subscribe`, `active-speaker`, `error` with an `sfu_*` code),
 * in the order the SFU sent them.
 */
import type { PublishMessage, QualityMessage, ResubscribeMessage, SubscribedMessage } from '@itda/protocol';
import type { SfuErrorCode } from '../router/errors.ts';
import type { SdpErrorCode } from '../sdp/index.ts';
import type { AnnouncedCandidate, SfuOutMessage, SfuParticipantInfo } from '../session/types.ts';

/** Which of a participant's two peer connections. */
export type SfuTransportRole = 'publish' | 'subscribe';

/** What the SFU is asked to do. */
export type SfuRequest =
  /** A participant is in an `sfu` room (after `joined`); again after a resume (replaces nothing in the SFU). */
  | { type: 'join'; participant: SfuParticipantInfo }
  | { type: 'publish'; room: string; participantId: string; message: PublishMessage }
  | { type: 'subscribed'; room: string; participantId: string; message: SubscribedMessage }
  | { type: 'resubscribe'; room: string; participantId: string; message: ResubscribeMessage }
  | { type: 'quality'; room: string; participantId: string; message: QualityMessage }
  /** The participant came back with `resume`: resend the subscribe offer it may have missed. */
  | { type: 'resumed'; room: string; participantId: string }
  /** The participant left for good: its transports close. */
  | { type: 'leave'; room: string; participantId: string }
  | { type: 'close-room'; room: string }
  /** A host forced the participant's microphone (`audio`) or camera (`video`) off (`held`), or released it. */
  | { type: 'hold'; room: string; participantId: string; kind: 'audio' | 'video'; held: boolean }
  /** ICE restart of a participant's publish transport (a WHIP PATCH, RFC 9725 §4.4). Reply: `IceRestartResult`. */
  | { type: 'restart-ice'; call: number; room: string; participantId: string; remoteUfrag: string }
  /** A WHEP player (not a participant) of `participantId`, or of the newest video publisher. Reply: `PlayResult`. */
  | {
      type: 'play';
      call: number;
      room: string;
      playerId: string;
      participantId?: string;
      /** Simulcast: layers below the best one (`QUALITY_RANK`). Default 0. */
      preferredRank?: number;
      offer: string;
      /** The player ends (`player-closed`, `connect_timeout`) unless it connects within this time. */
      connectTimeoutMs: number;
    }
  | { type: 'restart-player-ice'; call: number; playerId: string; remoteUfrag: string }
  | { type: 'stop-player'; playerId: string; reason: string }
  /** Answered after every request before it: a barrier, and a liveness check of the link. Reply: `{}`. */
  | { type: 'ping'; call: number };

/** Our new ICE credentials after a restart, and the candidates to announce with them. */
export interface IceRestartResult {
  ice: { ufrag: string; pwd: string };
  candidates: AnnouncedCandidate[];
}

/** A WHEP player's SDP answer and whom it plays. */
export interface PlayResult {
  answer: string;
  participantId: string;
}

/** A call's result, by request type. */
export interface SfuCallResults {
  'restart-ice': IceRestartResult;
  play: PlayResult;
  'restart-player-ice': IceRestartResult;
  ping: Record<string, never>;
}

/** What the SFU says. */
export type SfuEvent =
  /** A message for one participant (delivered through signaling, or to a WHIP resource). */
  | { type: 'message'; room: string; participantId: string; message: SfuOutMessage }
  /** One of a participant's transports connected (ICE and DTLS done) or closed, with the cause. */
  | {
      type: 'transport';
      room: string;
      participantId: string;
      role: SfuTransportRole;
      state: 'connected' | 'closed';
      reason?: string;
    }
  /** A WHEP player ended: stopped, its transport died, its stream ended, or it never connected. */
  | { type: 'player-closed'; playerId: string; reason: string }
  | { type: 'reply'; call: number; result: SfuCallResults[keyof SfuCallResults] }
  | { type: 'failed'; call: number; code: SfuCallErrorCode; message: string };

/**
 * Why a call failed: an `SfuErrorCode` (`sfu_not_found`: no such transport, player or
 * stream), an `SdpErrorCode` (the offer could not be answered), `sfu_unavailable` (no
 * answer in time, or the client closed) or `internal` (a bug in the SFU, logged there).
 */
export type SfuCallErrorCode = SfuErrorCode | SdpErrorCode | 'sfu_unavailable' | 'internal';

/**
 * One end of the channel between the SFU's users and the SFU. `post` never throws for a
 * message of this API and delivers in order; `onMessage` takes one listener.
 */
export interface SfuLink<Out, In> {
  post(message: Out): void;
  onMessage(listener: (message: In) => void): void;
  close(): void;
}
