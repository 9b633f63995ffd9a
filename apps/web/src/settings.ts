/** What a person chose before joining; kept for `Rejoin`. */
import type { DeviceChoice } from './media/devices.ts';

export interface CallSettings extends DeviceChoice {
  room: string;
  name: string;
  /** The invitation's room token (invitation.ts), when the person came by a link. */
  token?: string;
}

const NAME_KEY = 'itda.displayName';

export function savedDisplayName(): string {
  try {
    const saved = localStorage.getItem(NAME_KEY);
    if (saved !== null && saved.trim() !== '') return saved;
  } catch {
    // Storage may be disabled; fall through to a generated name.
  }
  const n = new Uint16Array(1);
  crypto.getRandomValues(n);
  return `Guest ${((n[0] ?? 0) % 900) + 100}`;
}

export function saveDisplayName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // Not fatal: the name is only a convenience for next time.
  }
}
