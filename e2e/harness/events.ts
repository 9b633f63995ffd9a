/**
 * Records events of the SDK's Room (`window.itda.room`, a typed emitter with `on`) in
 * the page, so that a test can later ask what happened and in which order — e.g. that
 * the connection went `reconnecting` → `connected` and no `rejoined` or
 * `participantLeft` was emitted.
 */
import type { Page } from 'playwright-core';

export interface RecordedEvent {
  name: string;
  /** The first argument, as text: a state name, or an object's `id`. */
  arg: string;
  /** Page `performance.now()`. */
  at: number;
}

interface EmitterLike {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
}
interface PageGlobals {
  itda?: { room?: EmitterLike };
  __itdaE2eEvents?: RecordedEvent[];
}

/** Starts recording `names` on the current Room. Throws if the page has no Room. */
export async function recordRoomEvents(page: Page, names: readonly string[]): Promise<void> {
  await page.evaluate((names) => {
    const g = globalThis as unknown as PageGlobals;
    const room = g.itda?.room;
    if (room === undefined || typeof room.on !== 'function') throw new Error('window.itda.room is not an emitter');
    const log: RecordedEvent[] = [];
    g.__itdaE2eEvents = log;
    for (const name of names) {
      room.on(name, (...args: unknown[]) => {
        const a = args[0];
        const arg =
          typeof a === 'object' && a !== null && 'id' in a ? String((a as { id: unknown }).id) : String(a ?? '');
        log.push({ name, arg, at: performance.now() });
      });
    }
  }, names);
}

/** The events recorded since {@link recordRoomEvents}. */
export function roomEvents(page: Page): Promise<RecordedEvent[]> {
  return page.evaluate(() => (globalThis as unknown as PageGlobals).__itdaE2eEvents ?? []);
}
