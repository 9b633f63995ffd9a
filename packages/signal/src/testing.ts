/**
 * A recording `SignalOutput` and a SignalCore on a ManualClock, for unit tests of the
 * core and of anything built on it (exported as `@itda/signal/testing`).
 */
import { ManualClock } from '@itda/common';
import type {
  PublishMessage,
  QualityMessage,
  ResubscribeMessage,
  RoomMode,
  ServerMessage,
  SubscribedMessage,
} from '@itda/protocol';
import type { SignalOutput } from './context.ts';
import { SignalCore, type SignalCoreOptions } from './core.ts';
import type { SfuBackend, SfuParticipant } from './sfu-backend.ts';

export class RecordingOutput implements SignalOutput {
  readonly sent = new Map<string, ServerMessage[]>();
  readonly closed = new Map<string, { code: number; reason: string }>();

  send(connId: string, message: ServerMessage): void {
    let list = this.sent.get(connId);
    if (list === undefined) {
      list = [];
      this.sent.set(connId, list);
    }
    list.push(message);
  }

  close(connId: string, code: number, reason: string): void {
    this.closed.set(connId, { code, reason });
  }

  /** Removes and returns what was sent to `connId` so far. */
  take(connId: string): ServerMessage[] {
    const list = this.sent.get(connId) ?? [];
    this.sent.delete(connId);
    return list;
  }

  /** The messages sent to `connId` so far, of one type (kept). */
  ofType<T extends ServerMessage['type']>(connId: string, type: T): Extract<ServerMessage, { type: T }>[] {
    return (this.sent.get(connId) ?? []).filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }
}

export interface CoreHarness {
  core: SignalCore;
  clock: ManualClock;
  out: RecordingOutput;
  /** Sends a message (object → JSON text) on a connection, opening it first if new. */
  send(connId: string, message: unknown): void;
  /** Opens `connId`, joins `room` as `name`, returns the `joined` message. */
  join(
    connId: string,
    room: string,
    name?: string,
    extra?: Record<string, unknown>,
  ): Extract<ServerMessage, { type: 'joined' }>;
}

export function coreHarness(options: Omit<SignalCoreOptions, 'output'> = {}): CoreHarness {
  const clock = new ManualClock(1_000);
  const out = new RecordingOutput();
  const core = new SignalCore({ clock, wallClock: () => 1_700_000_000_000, ...options, output: out });
  const opened = new Set<string>();
  const send = (connId: string, message: unknown): void => {
    if (!opened.has(connId)) {
      opened.add(connId);
      core.open(connId);
    }
    core.receive(connId, typeof message === 'string' ? message : JSON.stringify(message));
  };
  const join = (connId: string, room: string, name = connId, extra: Record<string, unknown> = {}) => {
    send(connId, { type: 'join', v: 1, room, name, ...extra });
    const joined = out.ofType(connId, 'joined').at(-1);
    if (joined === undefined) throw new Error(`${connId} did not join: ${JSON.stringify(out.sent.get(connId))}`);
    out.take(connId);
    return joined;
  };
  return { core, clock, out, send, join };
}

/** One call the core made on a FakeSfuBackend. */
export type SfuCall =
  | { method: 'addParticipant'; participant: SfuParticipant }
  | { method: 'publish'; room: string; participantId: string; msg: PublishMessage }
  | { method: 'subscribed'; room: string; participantId: string; msg: SubscribedMessage }
  | { method: 'resubscribe'; room: string; participantId: string; msg: ResubscribeMessage }
  | { method: 'setQuality'; room: string; participantId: string; msg: QualityMessage }
  | { method: 'resumed'; room: string; participantId: string }
  | { method: 'removeParticipant'; room: string; participantId: string }
  | { method: 'closeRoom'; room: string }
  | { method: 'holdMedia'; room: string; participantId: string; kind: 'audio' | 'video'; held: boolean };

/**
 * A scripted SfuBackend: records every call in `calls`, keeps each participant's `send`
 * so a test can push `published` / `subscribe` / errors with `sendTo`, and answers
 * through `onPublish` / `onSubscribed` / `onResubscribe` when set. `throwOn` makes a
 * method throw the given error (to test how the core contains backend faults).
 */
export class FakeSfuBackend implements SfuBackend {
  readonly modes: readonly RoomMode[];
  readonly calls: SfuCall[] = [];
  readonly #senders = new Map<string, (msg: ServerMessage) => void>();
  onPublish: ((room: string, participantId: string, msg: PublishMessage) => void) | undefined;
  onSubscribed: ((room: string, participantId: string, msg: SubscribedMessage) => void) | undefined;
  onResubscribe: ((room: string, participantId: string, msg: ResubscribeMessage) => void) | undefined;
  throwOn: Partial<Record<SfuCall['method'], Error>> = {};

  constructor(modes: readonly RoomMode[] = ['sfu']) {
    this.modes = modes;
  }

  #record(call: SfuCall): void {
    this.calls.push(call);
    const err = this.throwOn[call.method];
    if (err !== undefined) throw err;
  }

  addParticipant(participant: SfuParticipant, send: (msg: ServerMessage) => void): void {
    this.#record({ method: 'addParticipant', participant });
    this.#senders.set(participant.id, send);
  }

  holdMedia(room: string, participantId: string, kind: 'audio' | 'video', held: boolean): void {
    this.#record({ method: 'holdMedia', room, participantId, kind, held });
  }

  publish(room: string, participantId: string, msg: PublishMessage): void {
    this.#record({ method: 'publish', room, participantId, msg });
    this.onPublish?.(room, participantId, msg);
  }

  subscribed(room: string, participantId: string, msg: SubscribedMessage): void {
    this.#record({ method: 'subscribed', room, participantId, msg });
    this.onSubscribed?.(room, participantId, msg);
  }

  resubscribe(room: string, participantId: string, msg: ResubscribeMessage): void {
    this.#record({ method: 'resubscribe', room, participantId, msg });
    this.onResubscribe?.(room, participantId, msg);
  }

  setQuality(room: string, participantId: string, msg: QualityMessage): void {
    this.#record({ method: 'setQuality', room, participantId, msg });
  }

  resumed(room: string, participantId: string): void {
    this.#record({ method: 'resumed', room, participantId });
  }

  removeParticipant(room: string, participantId: string): void {
    this.#record({ method: 'removeParticipant', room, participantId });
    this.#senders.delete(participantId);
  }

  closeRoom(room: string): void {
    this.#record({ method: 'closeRoom', room });
  }

  /** Sends a message to a participant through the `send` the core gave; false when unknown. */
  sendTo(participantId: string, msg: ServerMessage): boolean {
    const send = this.#senders.get(participantId);
    if (send === undefined) return false;
    send(msg);
    return true;
  }

  /** The calls of one method. */
  callsOf<M extends SfuCall['method']>(method: M): Extract<SfuCall, { method: M }>[] {
    return this.calls.filter((c): c is Extract<SfuCall, { method: M }> => c.method === method);
  }
}
