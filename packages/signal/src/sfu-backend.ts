/**
 * The media backend of rooms in `sfu` mode, as the signaling core drives it. The core
 * validates and authorises the SFU messages (`publish`, `subscribed`, `resubscribe`, `quality`)
 * and hands them over; the backend answers through the `send` function it got in
 * `addParticipant` (`published`, `subscribe`, or `error` with an `sfu_*` code).
 * Every call is a message: it returns nothing, and the answer may come later (the SFU may
 * run in another process), so the core never waits for or reads anything of the backend.
 * `@itda/sfu`'s `SfuClient` (the SFU's API) implements it; so does `SfuService` (direct
 * calls, answers at once), and `@itda/signal/testing` has a fake. See docs/signaling.md,
 * "SFU rooms", and docs/sfu.md, "The API".
 */
import type {
  PublishMessage,
  QualityMessage,
  ResubscribeMessage,
  RoomMode,
  ServerMessage,
  SubscribedMessage,
} from '@itda/protocol';

export interface SfuParticipant {
  room: string;
  id: string;
  name: string;
  canPublish: boolean;
  canSubscribe: boolean;
}

export interface SfuBackend {
  /** A participant is in an sfu room (called after `joined` was sent). `send` reaches the participant's current
   *  connection (messages sent while it is disconnected in resume grace are dropped; see `resumed`). */
  addParticipant(p: SfuParticipant, send: (msg: ServerMessage) => void): void;
  publish(room: string, participantId: string, msg: PublishMessage): void; // answers with send({type:'published'}) or an error
  subscribed(room: string, participantId: string, msg: SubscribedMessage): void;
  resubscribe(room: string, participantId: string, msg: ResubscribeMessage): void;
  /** The participant wants another participant's video at a quality (simulcast layer); no answer. */
  setQuality(room: string, participantId: string, msg: QualityMessage): void;
  /** The participant came back with `resume` (after `resumed` was sent): resend whatever it may have missed. */
  resumed(room: string, participantId: string): void;
  /** The participant left for good (leave, kick, or resume grace over). */
  removeParticipant(room: string, participantId: string): void;
  /** The room was deleted or expired. */
  closeRoom(room: string): void;
  /**
   * A host forced the participant's microphone (`audio`) or camera (`video`) off (`held`)
   * or released it: the backend forwards none of that media meanwhile, whatever the
   * participant sends. Optional: a backend without it leaves enforcement to the client.
   */
  holdMedia?(room: string, participantId: string, kind: 'audio' | 'video', held: boolean): void;
  /** Modes this backend runs, e.g. ['sfu']. */
  readonly modes: readonly RoomMode[];
}
