/**
 * Issue 10, hole 3 (publish with 200 m-lines): real WebSocket clients against a real
 * server with its SFU on loopback. An offer of more m-lines than a publish transport can
 * use is refused with `sfu_offer_too_large` before it is parsed; a flood of such offers
 * runs into the connection's SDP budget (`rate_limited`, `ref` `publish`, to every one
 * dropped); the warn lines about it come once per window with a count; and a bystander's
 * call in another room goes on.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type LogFields, ManualClock } from '@itda/common';
import { ErrorCode } from '@itda/protocol';
import { parseSdp, writeSdp } from '@itda/sfu/sdp';
import { buildPublishOffer, randomSsrc } from '@itda/sfu/testing';
import { TestClient } from '@itda/signal/node';
import { type ItdaServer, startServer } from '../server.ts';

const records: LogFields[] = [];
const clients: TestClient[] = [];
let server: ItdaServer;

before(async () => {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    webDir: '/nonexistent',
    sfu: true,
    logLevel: 'info',
    logSink: (r) => records.push(r),
    // The signaling core's clock stands still: the SDP budget refills by nothing during the
    // test, so what passes it is exact however slow the machine is.
    clock: new ManualClock(1000),
  });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
});

async function connect(): Promise<TestClient> {
  const c = await TestClient.connect(server.wsUrl, { timeoutMs: 20_000 });
  clients.push(c);
  return c;
}

/** Chromium's publish offer (Opus only) with its audio m-line repeated `count` times (new mid and SSRC each). */
function manyMlines(count: number): string {
  const base = parseSdp(
    buildPublishOffer({
      ice: { ufrag: 'hostile', pwd: 'p'.repeat(24) },
      fingerprint: { algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') },
      video: false,
    }).sdp,
  );
  const audio = base.media[0];
  assert.ok(audio);
  audio.codecs = audio.codecs.filter((c) => c.payloadType === 111);
  audio.formats = ['111'];
  base.media = Array.from({ length: count }, (_, i) => ({
    ...structuredClone(audio),
    mid: String(i),
    ssrcs: audio.ssrcs.map((s) => ({ ...s, ssrc: randomSsrc() })),
  }));
  base.groups = [{ semantics: 'BUNDLE', mids: base.media.map((m) => m.mid ?? '') }];
  return writeSdp(base);
}

/** 180 sendonly m-lines: about 160 KB, under the 180 KiB SDP and 192 KiB message limits. */
const HOSTILE_MLINES = 180;

function lines(msg: string): LogFields[] {
  return records.filter((r) => r.msg === msg);
}

test('a publish offer of 180 m-lines is refused with sfu_offer_too_large, before any producer is tried', async () => {
  const c = await connect();
  const joined = await c.join('hostile-one', 'H');
  const sdp = manyMlines(HOSTILE_MLINES);
  assert.ok(sdp.length > 150_000 && sdp.length < 180 * 1024, `SDP of ${sdp.length} characters`);
  c.send({ type: 'publish', sdp, tracks: [] });
  const reply = await c.nextOf(['published', 'error']);
  assert.deepEqual(reply.type === 'error' ? [reply.code, reply.ref] : reply.type, [
    ErrorCode.SfuOfferTooLarge,
    'publish',
  ]);
  assert.equal(server.sfu?.service.transportOf('hostile-one', joined.participantId, 'publish'), undefined);
  assert.equal(lines('producer rejected').length, 0);
  // At the limit (32 m-lines) the offer is taken: 16 producers, the rest rejected in one line.
  c.send({ type: 'publish', sdp: manyMlines(32), tracks: [] });
  const taken = await c.nextOf(['published', 'error']);
  assert.equal(taken.type, 'published');
  assert.equal(server.sfu?.service.transportOf('hostile-one', joined.participantId, 'publish')?.producers.size, 16);
  const rejected = lines('producer rejected');
  assert.equal(rejected.length, 1);
  assert.equal(rejected[0]?.count, 16);
});

test('48 such offers at once: the SDP budget lets 1 MiB through, every other one is rate_limited (ref publish); logs stay a few lines; a bystander is served', async () => {
  const bystander = await connect();
  await bystander.join('bystander', 'B');
  const c = await connect();
  await c.join('hostile-flood', 'H');
  const sdp = manyMlines(HOSTILE_MLINES);
  const frame = JSON.stringify({ type: 'publish', sdp, tracks: [] });
  const before = records.length;
  const started = Date.now();
  const count = 48;
  for (let i = 0; i < count; i++) c.send(frame);
  const replies: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await c.nextOf(['published', 'error']);
    replies.push(r.type === 'error' ? `${r.code}/${r.ref}` : r.type);
  }
  const elapsedMs = Date.now() - started;
  // The signaling clock stands still, so the budget is exactly its burst: 1 MiB.
  const passed = Math.floor((1024 * 1024) / Buffer.byteLength(frame));
  assert.deepEqual(replies, [
    ...Array<string>(passed).fill('sfu_offer_too_large/publish'),
    ...Array<string>(count - passed).fill('rate_limited/publish'),
  ]);
  // Warn lines about this connection (the first test's transport may time out meanwhile).
  const logged = records.slice(before).filter((r) => r.level === 'warn' && r.room === 'hostile-flood');
  // One "request refused" per 10 s window of the SFU's (real) clock, one rate_limited line
  // per second of the (still) signaling clock: a handful, where each offer used to write 180.
  const windows = 1 + Math.floor(elapsedMs / 10_000);
  const refused = logged.filter((r) => r.msg === 'request refused');
  assert.ok(refused.length >= 1 && refused.length <= windows, `${refused.length} refused lines`);
  assert.equal(logged.filter((r) => r.msg === 'bad input' && r.code === 'rate_limited').length, 1);
  assert.equal(logged.length, refused.length + 1, JSON.stringify(logged.slice(0, 5)));
  // The bystander's call goes on: its offer is answered.
  const offer = buildPublishOffer({
    ice: { ufrag: 'bystand', pwd: 'q'.repeat(24) },
    fingerprint: { algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'CD').join(':') },
  });
  bystander.send({ type: 'publish', sdp: offer.sdp, tracks: [] });
  assert.equal((await bystander.nextOf(['published', 'error'])).type, 'published');
});
