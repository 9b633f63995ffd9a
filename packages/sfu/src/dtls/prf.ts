/**
 * The TLS 1.2 PRF with SHA-256 (RFC 5246 §5) — all cipher suites we negotiate use it —
 * and Finished verify_data (RFC 5246 §7.4.9). Our own, so that peer authentication is
 * checked independently of the DTLS implementation that computed the keys.
 */
import { createHash, createHmac } from 'node:crypto';

/** PRF(secret, label, seed) cut to `length` bytes: P_SHA256(secret, label + seed). */
export function prfSha256(secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  const labelSeed = Buffer.concat([Buffer.from(label, 'ascii'), seed]);
  const out: Buffer[] = [];
  let total = 0;
  let a: Buffer = labelSeed; // A(0)
  while (total < length) {
    a = createHmac('sha256', secret).update(a).digest(); // A(i) = HMAC(secret, A(i-1))
    const block = createHmac('sha256', secret).update(a).update(labelSeed).digest();
    out.push(block);
    total += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** verify_data = PRF(master_secret, finished_label, SHA-256(handshake_messages))[0..11]. */
export function finishedVerifyData(masterSecret: Uint8Array, isClient: boolean, transcript: Uint8Array): Buffer {
  const hash = createHash('sha256').update(transcript).digest();
  return prfSha256(masterSecret, isClient ? 'client finished' : 'server finished', hash, 12);
}
