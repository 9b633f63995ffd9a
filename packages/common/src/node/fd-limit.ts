/**
 * The process's open-file limit (RLIMIT_NOFILE, soft), read from `/proc/self/limits`
 * (Linux; see proc(5)). Undefined where that file does not exist or says `unlimited`.
 */
import { readFileSync } from 'node:fs';

/** Parses the "Max open files" row of a `/proc/<pid>/limits` text: its soft limit. */
export function parseOpenFileLimit(text: string): number | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (m === null || m[1] === 'unlimited') return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function openFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return undefined;
  }
}
