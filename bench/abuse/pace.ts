/**
 * Timing for the attacks: sending at a fixed rate until a deadline (catching up on late
 * ticks, as bench/sfu/loadgen.ts does: count = rate × elapsed), and sleeping until a time.
 */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export const sleepUntil = (t: number): Promise<void> => sleep(t - Date.now());

/**
 * Calls `send` `perSecond` times a second until `endsAt` (ms, `Date.now()`), from a 10 ms
 * tick; returns how many times it was called. `send` returning false stops early.
 */
export function paced(perSecond: number, endsAt: number, send: () => boolean | undefined): Promise<number> {
  const start = performance.now();
  const total = Math.max(0, Math.floor(((endsAt - Date.now()) * perSecond) / 1000));
  let done = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * perSecond) / 1000) + 1);
      while (done < due) {
        done++;
        if (send() === false) {
          clearInterval(timer);
          resolve(done);
          return;
        }
      }
      if (done >= total || Date.now() >= endsAt) {
        clearInterval(timer);
        resolve(done);
      }
    };
    const timer = setInterval(tick, 10);
    tick();
  });
}

/** Runs `fn` over `items` with at most `limit` at once, stopping new ones after `endsAt`. */
export async function poolUntil<T>(
  items: readonly T[],
  limit: number,
  endsAt: number,
  fn: (item: T) => Promise<void>,
): Promise<number> {
  let next = 0;
  let started = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && Date.now() < endsAt) {
      const item = items[next] as T;
      next += 1;
      started += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return started;
}
