/**
 * Waiting by polling with a deadline — never a fixed sleep. Every wait is bounded in
 * time and in the number of attempts.
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface PollOptions {
  /** Give up after this many ms. Default 15,000. */
  timeoutMs?: number;
  /** Pause between attempts, ms. Default 100. */
  intervalMs?: number;
  /** What was awaited, for the error message. */
  what?: string;
}

/**
 * Calls `probe` until it returns a value other than `undefined`/`false`, and returns
 * that value. Throws after `timeoutMs` with `what` and the last probe result or error.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: PollOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / Math.max(1, intervalMs)) + 1;
  let last: unknown;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) break;
    await delay(intervalMs);
  }
  const detail = last instanceof Error ? last.message : JSON.stringify(last);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what ?? 'a condition'} (last: ${detail})`);
}

/** Rejects with a clear message if `promise` takes longer than `ms`. */
export { withTimeout } from '@itda/common/node-testing';
