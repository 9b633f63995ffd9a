/**
 * Waiting in tests: a bound on a promise, and the leak check that waits for closed
 * sockets' handles to go (they finish closing within a few turns of the event loop).
 */

/** `promise`, or a rejection naming `what` once `ms` have passed (a bound for a broken run, not a timing assertion). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The process's active handles whose type matches `types` (e.g. /UDP|TCP|TLS/), after
 * waiting up to `ms` (in 10 ms steps) for them to go: `[]` when nothing leaked.
 */
export async function handlesLeft(types: RegExp, ms = 1000): Promise<string[]> {
  let left: string[] = [];
  for (let waited = 0; waited <= ms; waited += 10) {
    left = process.getActiveResourcesInfo().filter((r) => types.test(r));
    if (left.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return left;
}
