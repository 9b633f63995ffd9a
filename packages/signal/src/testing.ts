/**
 * A recording `SignalOutput` and a SignalCore on a ManualClock, for unit tests of the
 * core and of anything built on it (exported as `@itda/signal/testing`).
 */
import { ManualClock } from '@itda/common';
import type { ServerMessage } from '@itda/protocol';
import type { SignalOutput } from './context.ts';
import { SignalCore, type SignalCoreOptions } from './core.ts';

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
