/** Room names for the landing page: random, URL-safe (RFC 3986 unreserved), valid per the protocol. */
import { ROOM_NAME_PATTERN } from '@itda/protocol';

const ADJECTIVES = [
  'calm',
  'bright',
  'swift',
  'quiet',
  'brave',
  'gentle',
  'lucky',
  'amber',
  'misty',
  'sunny',
  'cosy',
  'bold',
];
const NOUNS = [
  'river',
  'harbor',
  'meadow',
  'cedar',
  'comet',
  'lagoon',
  'summit',
  'willow',
  'canyon',
  'island',
  'forest',
];

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length] as T;
}

/** e.g. `calm-river-4821`. */
export function randomRoomName(): string {
  const r = new Uint32Array(3);
  crypto.getRandomValues(r);
  return `${pick(ADJECTIVES, r[0] ?? 0)}-${pick(NOUNS, r[1] ?? 0)}-${((r[2] ?? 0) % 9000) + 1000}`;
}

/** Trims and turns spaces into dashes; returns null when the result is not a valid room name. */
export function normalizeRoomName(input: string): string | null {
  const name = input.trim().replace(/\s+/g, '-');
  return ROOM_NAME_PATTERN.test(name) ? name : null;
}
