/**
 * Random identifiers for chat messages and file transfers. Uses
 * `crypto.getRandomValues`, which (unlike `crypto.randomUUID`) also exists in
 * insecure contexts (a LAN address over plain http).
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters of [a-z0-9]. Default 16 (about 82 bits). */
export function randomId(length = 16): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}
