/**
 * `npx node bench/sfu/srtp.ts [--packets 20000]` — µs per SRTP protect and unprotect
 * of @itda/sfu's SrtpSession for 1,200-byte video and 100-byte audio RTP payloads, both
 * profiles, beside a naive implementation on the same node:crypto that creates a cipher
 * (AES-CTR or AES-GCM, from a raw key Buffer) and an HMAC per packet. One thread,
 * in-process, no I/O; bounded: `--packets` packets per row after a warm-up of a tenth,
 * three rounds, the fastest round reported.
 * Numbers include each implementation's own allocations and their GC.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import { deriveSessionKeys, SRTP_PROFILES, type SrtpProfile, SrtpSession } from '@itda/sfu/srtp';

const { values } = parseArgs({ options: { packets: { type: 'string', default: '20000' } } });
const N = Number(values.packets);
const ROUNDS = 3;
if (!Number.isInteger(N) || N < 1000 || N > 1_000_000) throw new Error('--packets must be 1,000–1,000,000');

function rtp(seq: number, ssrc: number, size: number): Buffer {
  const b = Buffer.alloc(12 + size, seq & 0xff);
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(seq * 3000, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** The textbook version: new cipher and HMAC objects from raw key Buffers per packet (ROC 0). */
function naive(profile: SrtpProfile, masterKey: Buffer, masterSalt: Buffer) {
  const k = deriveSessionKeys(profile, masterKey, masterSalt);
  const gcm = profile === 'SRTP_AEAD_AES_128_GCM';
  const iv = (p: Buffer): Buffer => {
    const ssrc = p.readUInt32BE(8);
    const seq = p.readUInt16BE(2);
    if (gcm) {
      const v = Buffer.alloc(12);
      v.writeUInt32BE(ssrc, 2);
      v.writeUInt16BE(seq, 10);
      for (let i = 0; i < 12; i++) v[i] = (v[i] as number) ^ (k.rtpSalt[i] as number);
      return v;
    }
    const v = Buffer.alloc(16);
    k.rtpSalt.copy(v);
    v.writeUInt32BE((v.readUInt32BE(4) ^ ssrc) >>> 0, 4);
    v.writeUInt16BE(v.readUInt16BE(12) ^ seq, 12);
    return v;
  };
  const roc = Buffer.alloc(4);
  return {
    protect(p: Buffer): Buffer {
      if (gcm) {
        const c = createCipheriv('aes-128-gcm', k.rtpKey, iv(p));
        c.setAAD(p.subarray(0, 12));
        return Buffer.concat([p.subarray(0, 12), c.update(p.subarray(12)), c.final(), c.getAuthTag()]);
      }
      const c = createCipheriv('aes-128-ctr', k.rtpKey, iv(p));
      const body = Buffer.concat([p.subarray(0, 12), c.update(p.subarray(12)), c.final()]);
      const tag = createHmac('sha1', k.rtpAuthKey).update(body).update(roc).digest().subarray(0, 10);
      return Buffer.concat([body, tag]);
    },
    unprotect(s: Buffer): Buffer {
      if (gcm) {
        const d = createDecipheriv('aes-128-gcm', k.rtpKey, iv(s));
        d.setAAD(s.subarray(0, 12));
        d.setAuthTag(s.subarray(s.length - 16));
        return Buffer.concat([s.subarray(0, 12), d.update(s.subarray(12, s.length - 16)), d.final()]);
      }
      const end = s.length - 10;
      const tag = createHmac('sha1', k.rtpAuthKey).update(s.subarray(0, end)).update(roc).digest().subarray(0, 10);
      if (!timingSafeEqual(tag, s.subarray(end))) throw new Error('auth');
      const d = createDecipheriv('aes-128-ctr', k.rtpKey, iv(s));
      return Buffer.concat([s.subarray(0, 12), d.update(s.subarray(12, end)), d.final()]);
    },
  };
}

function usPer(fn: (i: number) => void, count: number): number {
  const warm = Math.floor(count / 10);
  for (let i = 0; i < warm; i++) fn(i);
  const t0 = process.hrtime.bigint();
  for (let i = warm; i < warm + count; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1000 / count;
}

interface Row {
  profile: string;
  payload: number;
  op: string;
  itda: number;
  naive: number;
}
const rows: Row[] = [];
for (const profile of Object.keys(SRTP_PROFILES) as SrtpProfile[]) {
  const p = SRTP_PROFILES[profile];
  for (const payload of [1200, 100]) {
    const masterKey = randomBytes(p.keyLength);
    const masterSalt = randomBytes(p.saltLength);
    const total = N + Math.floor(N / 10);
    const plain = Array.from({ length: total }, (_, i) => rtp(i, 0x1234, payload));
    // Sequence numbers stay below 2^16 per session so the naive side's ROC 0 is right.
    if (total > 65536) throw new Error('--packets above 59,000 would wrap the naive ROC');
    const nv = naive(profile, masterKey, masterSalt);
    // Three rounds, fresh sessions each (the replay window refuses a second pass); the
    // fastest round counts, so other load on the machine inflates the figures less.
    let tItda = Infinity;
    let tNaive = Infinity;
    let uItda = Infinity;
    let uNaive = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      const tx = SrtpSession.create({ profile, masterKey, masterSalt });
      const rx = SrtpSession.create({ profile, masterKey, masterSalt });
      const protectedPkts: Buffer[] = new Array(total);
      tItda = Math.min(
        tItda,
        usPer((i) => {
          protectedPkts[i] = tx.protectRtp(plain[i] as Buffer);
        }, N),
      );
      tNaive = Math.min(
        tNaive,
        usPer((i) => nv.protect(plain[i] as Buffer), N),
      );
      // Cross-check: the naive encoder produces the same bytes.
      if (!nv.protect(plain[5] as Buffer).equals(protectedPkts[5] as Buffer)) throw new Error('naive ≠ itda');
      uItda = Math.min(
        uItda,
        usPer((i) => rx.unprotectRtp(protectedPkts[i] as Buffer), N),
      );
      uNaive = Math.min(
        uNaive,
        usPer((i) => nv.unprotect(protectedPkts[i] as Buffer), N),
      );
    }
    rows.push({ profile, payload, op: 'protect', itda: tItda, naive: tNaive });
    rows.push({ profile, payload, op: 'unprotect', itda: uItda, naive: uNaive });
  }
}

console.log(`SRTP µs per packet, ${N} packets per row, node ${process.version}, one thread`);
console.log('| profile | payload | op | itda µs | naive µs | naive / itda |');
console.log('|---|---:|---|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.profile} | ${r.payload} | ${r.op} | ${r.itda.toFixed(2)} | ${r.naive.toFixed(2)} | ${(r.naive / r.itda).toFixed(2)}× |`,
  );
}
