/**
 * `node bench/hostile/publish-flood.ts` (run inside `unshare --net` like the tests; loopback only)
 *
 * Issue 10, hole 3, as the review did it: one WebSocket sends `publish` with a ~164 KB SDP
 * of 180 sendonly m-lines, paced at 48 a second (under the 50/s message rate), 480 times;
 * the server (signaling + SFU) runs in this process. Prints one JSON line: the process's
 * CPU over the run, the largest event-loop lag a 10 ms timer saw (what a bystander's call
 * on this server would feel), warn lines and megabytes of log written, and the replies by
 * type or error code. Bounded: 480 messages, then a 0.5 s drain. Run it at an older
 * commit for "before" (bench/RESULTS.md).
 */

import { parseSdp, writeSdp } from '@itda/sfu/sdp';
import { buildPublishOffer, randomSsrc } from '@itda/sfu/testing';
import { TestClient } from '@itda/signal/node';
import { startServer } from '../../packages/server/src/server.ts';

let logBytes = 0;
let warnLines = 0;
const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  webDir: '/nonexistent',
  sfu: true,
  logLevel: 'info',
  logSink: (r) => {
    logBytes += JSON.stringify(r).length + 1;
    if (r.level === 'warn') warnLines++;
  },
});
const base = parseSdp(
  buildPublishOffer({
    ice: { ufrag: 'hostile', pwd: 'p'.repeat(24) },
    fingerprint: { algorithm: 'sha-256', value: Array.from({ length: 32 }, () => 'AB').join(':') },
    video: false,
  }).sdp,
);
const audio = base.media[0];
if (audio === undefined) throw new Error('no audio m-line');
audio.codecs = audio.codecs.filter((c) => c.payloadType === 111);
audio.formats = ['111'];
base.media = Array.from({ length: 180 }, (_, i) => ({
  ...structuredClone(audio),
  mid: String(i),
  ssrcs: audio.ssrcs.map((s) => ({ ...s, ssrc: randomSsrc() })),
}));
base.groups = [{ semantics: 'BUNDLE', mids: base.media.map((m) => m.mid ?? '') }];
const frame = JSON.stringify({ type: 'publish', sdp: writeSdp(base), tracks: [] });
const c = await TestClient.connect(server.wsUrl, { timeoutMs: 20000 });
await c.join('flood', 'H');
const replies = new Map<string, number>();
c.ws.on('message', (d) => {
  const m = JSON.parse(String(d));
  const k = m.type === 'error' ? m.code : m.type;
  replies.set(k, (replies.get(k) ?? 0) + 1);
});
// Event-loop lag probe: the bystander's view.
let maxLag = 0;
let last = performance.now();
const probe = setInterval(() => {
  const now = performance.now();
  maxLag = Math.max(maxLag, now - last - 10);
  last = now;
}, 10);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let sent = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    c.send(frame);
    sent++;
    if (sent >= 480) {
      clearInterval(timer);
      resolve();
    }
  }, 1000 / 48);
});
await new Promise((r) => setTimeout(r, 500));
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
clearInterval(probe);
console.log(
  JSON.stringify({
    frameBytes: frame.length,
    sent,
    wallS: +(wall / 1000).toFixed(1),
    cpuS: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    maxLoopLagMs: Math.round(maxLag),
    warnLines,
    logMB: +(logBytes / 1e6).toFixed(2),
    replies: Object.fromEntries(replies),
  }),
);
await c.close();
await server.close();
