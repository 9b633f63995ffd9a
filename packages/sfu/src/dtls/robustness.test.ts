/**
 * Bad input never throws out of `handle`, never leaves an unhandled rejection, and never
 * disturbs a connected session: random datagrams, every truncation of a real handshake
 * datagram, seeded byte mutations of real flights, malformed record headers and
 * ClientHello bodies.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ManualClock } from '@itda/common';
import { createDtlsCertificate } from './certificate.ts';
import { DtlsErrorCode } from './errors.ts';
import { parseClientHello } from './hello.ts';
import { splitRecords } from './record.ts';
import { DtlsSession } from './session.ts';
import { pair } from './test-pair.ts';

const rejections: unknown[] = [];
const onRejection = (err: unknown): void => {
  rejections.push(err);
};
process.on('unhandledRejection', onRejection);
after(() => {
  process.off('unhandledRejection', onRejection);
  assert.deepEqual(rejections, [], 'no unhandled rejections');
});

/** xorshift32: reproducible pseudo-random numbers. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const cert = createDtlsCertificate();

function freshServer(clock: ManualClock): DtlsSession {
  const s = new DtlsSession({
    role: 'server',
    certificate: cert,
    remoteFingerprints: [cert.fingerprint],
    send: () => {},
    clock,
  });
  s.on('failed', () => {});
  return s;
}

/** The client's datagrams of one good handshake, in order. */
async function recordClientFlights(): Promise<Uint8Array[]> {
  const p = pair();
  await p.pump();
  assert.ok(p.server.keys);
  p.server.session.close();
  p.client.session.close();
  return p.client.sent;
}

test('random datagrams: no throw, dropped as dtls_malformed or failed with a code', async () => {
  const next = rng(0x5eed);
  const clock = new ManualClock();
  for (let i = 0; i < 300; i++) {
    const s = freshServer(clock);
    const len = next() % 200;
    const d = new Uint8Array(len);
    for (let j = 0; j < len; j++) d[j] = next() & 0xff;
    // Half the cases look like DTLS 1.2 record headers so they get past the first check.
    if (i % 2 === 0 && len >= 13) {
      d[0] = 20 + (next() % 4);
      d[1] = 0xfe;
      d[2] = 0xfd;
    }
    s.handle(d);
    await tick();
    assert.ok(['connecting', 'failed'].includes(s.state), s.state);
    s.close();
  }
  assert.equal(clock.pending, 0);
});

test('every truncation of every client handshake datagram: no throw', async () => {
  const flights = await recordClientFlights();
  const clock = new ManualClock();
  for (const d of flights) {
    for (let cut = 0; cut < d.length; cut++) {
      const s = freshServer(clock);
      const drops: string[] = [];
      s.on('dropped', (c) => drops.push(c));
      s.handle(d.subarray(0, cut));
      await tick();
      if (cut < 13) assert.deepEqual(drops, cut === 0 ? [] : [DtlsErrorCode.Malformed]);
      s.close();
    }
  }
  assert.equal(clock.pending, 0);
});

test('seeded mutations of the client flights fed to a server in order: no throw', async () => {
  const flights = await recordClientFlights();
  const next = rng(42);
  const clock = new ManualClock();
  const states = new Map<string, number>();
  for (let i = 0; i < 150; i++) {
    const s = freshServer(clock);
    const target = next() % flights.length;
    for (const [k, d] of flights.entries()) {
      let input = d;
      if (k === target) {
        input = Uint8Array.prototype.slice.call(d);
        for (let m = 1 + (next() % 4); m > 0; m--) input[next() % input.length] = next() & 0xff;
      }
      s.handle(input);
      await tick();
    }
    states.set(s.state, (states.get(s.state) ?? 0) + 1);
    s.close();
  }
  // The cookie makes a replayed flight useless to a fresh server: nothing may connect.
  assert.equal(states.get('connected'), undefined);
  assert.equal(clock.pending, 0);
});

test('a connected session shrugs off garbage and keeps working', async () => {
  const p = pair();
  await p.pump();
  const next = rng(7);
  for (let i = 0; i < 200; i++) {
    const len = 1 + (next() % 120);
    const d = new Uint8Array(len);
    for (let j = 0; j < len; j++) d[j] = next() & 0xff;
    if (i % 2 === 0 && len >= 13) {
      d[0] = 20 + (next() % 4);
      d[1] = 0xfe;
      d[2] = 0xfd;
      d[3] = 0;
      d[4] = next() % 2; // epoch 0 or 1
      d[11] = 0;
      d[12] = len - 13;
    }
    p.server.session.handle(d);
  }
  await p.pump();
  assert.equal(p.server.session.state, 'connected');
  assert.ok(p.server.dropped.length > 0);
  p.client.session.sendData(Buffer.from('after the storm'));
  await p.pump();
  assert.equal(Buffer.from(p.server.data.at(-1) ?? []).toString(), 'after the storm');
  p.server.session.close();
  p.client.session.close();
  assert.equal((p.clock as ManualClock).pending, 0);
});

test('splitRecords: header checks (RFC 6347 §4.1)', () => {
  const rec = (type: number, minor: number, len: number, extra = 0): Uint8Array => {
    const b = new Uint8Array(13 + len + extra);
    b.set([type, 0xfe, minor, 0, 0, 0, 0, 0, 0, 0, 1, len >> 8, len & 0xff]);
    return b;
  };
  assert.deepEqual(splitRecords(new Uint8Array(0)), { records: [], malformed: false });
  assert.equal(splitRecords(rec(22, 0xfd, 4)).records.length, 1);
  assert.equal(splitRecords(rec(22, 0xff, 4)).records.length, 1, 'DTLS 1.0 version in a first ClientHello');
  const two = new Uint8Array([...rec(22, 0xfd, 4), ...rec(23, 0xfd, 2)]);
  assert.deepEqual(
    splitRecords(two).records.map((r) => [r.type, r.bytes.length]),
    [
      [22, 17],
      [23, 15],
    ],
  );
  for (const bad of [
    rec(24, 0xfd, 4),
    rec(19, 0xfd, 4),
    rec(22, 0x03, 4),
    rec(22, 0xfd, 0),
    rec(22, 0xfd, 4).subarray(0, 16),
  ]) {
    assert.equal(splitRecords(bad).malformed, true);
  }
  const goodThenBad = new Uint8Array([...rec(22, 0xfd, 4), 1, 2, 3]);
  assert.deepEqual([splitRecords(goodThenBad).records.length, splitRecords(goodThenBad).malformed], [1, true]);
});

test('parseClientHello: every truncation of a real ClientHello returns undefined or a partial offer, never throws', async () => {
  const flights = await recordClientFlights();
  const hello = flights.find((d) => d[13] === 1 && d.length > 100);
  assert.ok(hello);
  const body = hello.subarray(25); // record header 13 + handshake header 12
  const full = parseClientHello(body);
  assert.ok(full);
  assert.ok(full.cipherSuites.includes(0xc02b));
  assert.deepEqual(full.srtpProfiles, [1, 7]); // our client offers in DEFAULT_SRTP_PROFILES order
  assert.ok(full.groups.includes(23));
  for (let cut = 0; cut < body.length; cut++) parseClientHello(body.subarray(0, cut));
});

test('seeded mutations of live handshakes (either direction): each side ends connected or failed; keys only mirrored', async () => {
  const next = rng(2026);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 120; i++) {
    const target = next() % 14;
    let n = 0;
    const p = pair({
      tamper: (d) => {
        if (n++ !== target) return [d];
        const out = Uint8Array.prototype.slice.call(d);
        for (let m = 1 + (next() % 3); m > 0; m--) out[next() % out.length] = next() & 0xff;
        return [out];
      },
    });
    await p.pump();
    for (let t = 0; t < 12; t++) {
      (p.clock as ManualClock).advance(1_000);
      await p.pump();
    }
    const s = p.server.session.state;
    const c = p.client.session.state;
    assert.ok(
      ['connected', 'failed', 'closed'].includes(s) && ['connected', 'failed', 'closed'].includes(c),
      `${s}/${c}`,
    );
    if (p.server.keys && p.client.keys) assert.deepEqual(p.server.keys.localKey, p.client.keys.remoteKey);
    outcomes.set(`${s}/${c}`, (outcomes.get(`${s}/${c}`) ?? 0) + 1);
    p.server.session.close();
    p.client.session.close();
    assert.equal((p.clock as ManualClock).pending, 0);
  }
  assert.ok((outcomes.get('connected/connected') ?? 0) > 0, JSON.stringify([...outcomes]));
});
