/**
 * One load generator process of the SFU benchmark (forked by run.ts; commands in ipc.ts),
 * on node-datachannel (libdatachannel: its own ICE, DTLS and SRTP — independent of itda).
 *
 * Publishers send synthetic RTP at exact rates: video VP8 (payload descriptor, 1,200-byte
 * payloads, 150 packets/s = 5 packets per frame at 30 frames/s, marker on the last packet of
 * a frame, a key frame every 30th frame) and audio Opus (160 bytes, 50 packets/s). The last
 * 20 bytes of every payload are the benchmark's: magic, stream, kind, flags (measured),
 * counter, send time (process.hrtime, µs — CLOCK_MONOTONIC, the same clock in every process
 * of the host). Subscribers check each packet: loss (measured packets sent vs received),
 * order, duplicates, latency = receive − send.
 *
 * Pacing: one 2 ms timer; each tick sends every stream's packets that are due by then
 * (count = rate × elapsed), each stream with its own phase. Bounded: a run stops by itself.
 */
import { Audio, initLogger, PeerConnection, type Track, Video } from 'node-datachannel';
import { localSdp } from '../../e2e/interop/ndc-whip.ts';
import { newHistogram, record } from './hist.ts';
import type { Answer, Command, RunReport } from './ipc.ts';

const MAGIC = 0x1da5f00d;
const TRAILER = 20;
const VIDEO_PT = 96;
const AUDIO_PT = 111;
const VIDEO_RATE = 150;
const AUDIO_RATE = 50;
const VIDEO_BYTES = 1200;
const AUDIO_BYTES = 160;
const FLAG_MEASURED = 1;
const KIND_VIDEO = 0;
const KIND_AUDIO = 1;

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

interface Publisher {
  pc: PeerConnection;
  stream: number;
  video: Track;
  audio: Track;
  videoBuf: Buffer;
  audioBuf: Buffer;
  /** Packets sent since the peer was set up: RTP sequence numbers and counters continue across runs. */
  videoSent: number;
  audioSent: number;
  videoMeasured: number;
  audioMeasured: number;
  /** Start offset within the first packet interval, µs: spreads the streams' sends. */
  phaseUs: number;
}

interface Subscriber {
  pc: PeerConnection;
  stream: number;
  tracks: Track[];
  /** Highest counter seen per kind (−1: none yet). */
  highest: [number, number];
  measured: [number, number];
  reordered: number;
  duplicates: number;
  /** Counters already seen recently per kind, for duplicate detection (a 64-packet window). */
  recent: [number, number];
}

// BENCH_SFU_DEBUG=1: libdatachannel's and libjuice's own log on stderr.
if (process.env.BENCH_SFU_DEBUG === '1') {
  initLogger('Debug', (level, message) => process.stderr.write(`[ndc ${level}] ${message}\n`));
}

const publishers = new Map<number, Publisher>();
const subscribers = new Map<number, Subscriber>();
const peers = new Map<number, PeerConnection>();
let latency = newHistogram();
let foreign = 0;
let sendFailures = 0;

function rtpBuffer(pt: number, ssrc: number, payload: number): Buffer {
  const b = Buffer.alloc(12 + payload);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt32BE(ssrc, 8);
  return b;
}

const ssrcOf = (stream: number, kind: number): number => (0x10000000 + stream * 2 + kind) >>> 0;

function newPeer(peer: number, role: 'pub' | 'sub', stream: number, bindAddress: string): void {
  // bindAddress: libjuice gathers no loopback candidates otherwise (and Janus needs its own address, janus.ts).
  const pc = new PeerConnection(`${role}${peer}`, { iceServers: [], bindAddress });
  peers.set(peer, pc);
  if (role === 'pub') {
    const v = new Video('0', 'SendOnly');
    v.addVP8Codec(VIDEO_PT);
    v.addSSRC(ssrcOf(stream, KIND_VIDEO), `bench${stream}`, `s${stream}`, `v${stream}`);
    const a = new Audio('1', 'SendOnly');
    a.addOpusCodec(AUDIO_PT);
    a.addSSRC(ssrcOf(stream, KIND_AUDIO), `bench${stream}`, `s${stream}`, `a${stream}`);
    const video = pc.addTrack(v);
    const audio = pc.addTrack(a);
    publishers.set(peer, {
      pc,
      stream,
      video,
      audio,
      videoBuf: rtpBuffer(VIDEO_PT, ssrcOf(stream, KIND_VIDEO), VIDEO_BYTES),
      audioBuf: rtpBuffer(AUDIO_PT, ssrcOf(stream, KIND_AUDIO), AUDIO_BYTES),
      videoSent: 0,
      audioSent: 0,
      videoMeasured: 0,
      audioMeasured: 0,
      phaseUs: Math.floor(Math.random() * (1_000_000 / VIDEO_RATE)),
    });
    return;
  }
  const sub: Subscriber = {
    pc,
    stream,
    tracks: [],
    highest: [-1, -1],
    measured: [0, 0],
    reordered: 0,
    duplicates: 0,
    recent: [0, 0],
  };
  subscribers.set(peer, sub);
  pc.onTrack((track) => {
    sub.tracks.push(track);
    track.onMessage((msg) => onPacket(sub, msg));
  });
}

/** Adds a recv-only audio + video pair for a WHEP-style subscriber that offers. */
function addRecvTracks(pc: PeerConnection): void {
  const v = new Video('0', 'RecvOnly');
  v.addVP8Codec(VIDEO_PT);
  const a = new Audio('1', 'RecvOnly');
  a.addOpusCodec(AUDIO_PT);
  const sub = [...subscribers.values()].find((s) => s.pc === pc);
  for (const t of [pc.addTrack(v), pc.addTrack(a)]) {
    if (sub !== undefined) {
      sub.tracks.push(t);
      t.onMessage((msg) => onPacket(sub, msg));
    }
  }
}

function onPacket(sub: Subscriber, msg: Buffer): void {
  const b1 = msg[1] ?? 0;
  if (b1 >= 192 && b1 <= 223) return; // RTCP (RFC 5761 §4)
  // RTP padding (RFC 3550 §5.1: P bit, the last octet counts the padding) comes after our trailer.
  const end = (msg[0] ?? 0) & 0x20 ? msg.length - (msg[msg.length - 1] ?? 0) : msg.length;
  if (end < 12 + TRAILER || msg.readUInt32BE(end - TRAILER) !== MAGIC) {
    foreign++;
    return;
  }
  const kind = msg[end - TRAILER + 6] === KIND_AUDIO ? 1 : 0;
  const flags = msg[end - TRAILER + 7] ?? 0;
  const counter = msg.readUInt32BE(end - TRAILER + 8);
  const sentUs = msg.readUInt32BE(end - TRAILER + 12) * 4294967296 + msg.readUInt32BE(end - TRAILER + 16);
  const highest = sub.highest[kind] as number;
  if (counter <= highest) {
    const back = highest - counter;
    const bit = back < 32 ? 1 << back : 0;
    if (back < 32 && ((sub.recent[kind] as number) & bit) !== 0) {
      sub.duplicates++;
      return;
    }
    sub.reordered++;
    if (back < 32) sub.recent[kind] = (sub.recent[kind] as number) | bit;
  } else {
    const shift = counter - highest;
    sub.recent[kind] = shift >= 32 ? 1 : (((sub.recent[kind] as number) << shift) | 1) >>> 0;
    sub.highest[kind] = counter;
  }
  if ((flags & FLAG_MEASURED) !== 0) {
    sub.measured[kind] = (sub.measured[kind] as number) + 1;
    record(latency, nowUs() - sentUs);
  }
}

/** Writes the benchmark trailer and sends; `counter` is the stream's packet number of that kind. */
function sendOne(track: Track, buf: Buffer, counter: number, stream: number, kind: number, measured: boolean): void {
  const end = buf.length;
  if (kind === KIND_VIDEO) {
    // RTP: 5 packets per frame, timestamp +3000 per frame (90 kHz, 30 fps), marker on the last.
    const inFrame = counter % 5;
    const frame = Math.floor(counter / 5);
    buf[1] = VIDEO_PT | (inFrame === 4 ? 0x80 : 0);
    buf.writeUInt32BE((frame * 3000) >>> 0, 4);
    // VP8 payload descriptor (RFC 7741 §4.2): S on a frame's first packet; then the VP8
    // payload header's P bit (0 = key frame, RFC 7741 §4.3) on every 30th frame.
    buf[12] = inFrame === 0 ? 0x10 : 0x00;
    buf[13] = inFrame === 0 && frame % 30 === 0 ? 0x00 : 0x01;
  } else {
    buf[1] = AUDIO_PT;
    buf.writeUInt32BE((counter * 960) >>> 0, 4);
  }
  buf.writeUInt16BE(counter & 0xffff, 2);
  buf.writeUInt32BE(MAGIC, end - TRAILER);
  buf.writeUInt16BE(stream & 0xffff, end - TRAILER + 4);
  buf[end - TRAILER + 6] = kind;
  buf[end - TRAILER + 7] = measured ? FLAG_MEASURED : 0;
  buf.writeUInt32BE(counter >>> 0, end - TRAILER + 8);
  const t = nowUs();
  buf.writeUInt32BE(Math.floor(t / 4294967296), end - TRAILER + 12);
  buf.writeUInt32BE(t >>> 0, end - TRAILER + 16);
  if (!track.sendMessageBinary(buf)) sendFailures++;
}

async function run(warmupMs: number, measureMs: number, drainMs: number): Promise<RunReport> {
  latency = newHistogram();
  foreign = 0;
  sendFailures = 0;
  for (const s of subscribers.values()) {
    s.measured = [0, 0];
    s.reordered = 0;
    s.duplicates = 0;
  }
  const pubs = [...publishers.values()];
  for (const p of pubs) {
    p.videoMeasured = 0;
    p.audioMeasured = 0;
  }
  // Counters go on from the last run (the subscribers' duplicate check and the SFU see one
  // stream, not a restart at sequence number 0): this run's packets are due from here.
  const videoBase = pubs.map((p) => p.videoSent);
  const audioBase = pubs.map((p) => p.audioSent);
  const startUs = nowUs();
  const measureFromUs = startUs + warmupMs * 1000;
  const endUs = measureFromUs + measureMs * 1000;
  let maxLagMs = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = nowUs();
      const until = Math.min(now, endUs);
      const measured = now >= measureFromUs;
      for (const [i, p] of pubs.entries()) {
        const elapsed = until - startUs - p.phaseUs;
        if (elapsed < 0) continue;
        const videoDue = (videoBase[i] ?? 0) + Math.floor((elapsed * VIDEO_RATE) / 1_000_000) + 1;
        const audioDue = (audioBase[i] ?? 0) + Math.floor((elapsed * AUDIO_RATE) / 1_000_000) + 1;
        // Lag: how many intervals behind this tick found the stream before catching up.
        const lag = ((videoDue - p.videoSent - 1) * 1000) / VIDEO_RATE;
        if (lag > maxLagMs) maxLagMs = lag;
        while (p.videoSent < videoDue) {
          sendOne(p.video, p.videoBuf, p.videoSent, p.stream, KIND_VIDEO, measured);
          p.videoSent++;
          if (measured) p.videoMeasured++;
        }
        while (p.audioSent < audioDue) {
          sendOne(p.audio, p.audioBuf, p.audioSent, p.stream, KIND_AUDIO, measured);
          p.audioSent++;
          if (measured) p.audioMeasured++;
        }
      }
      if (now >= endUs) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 2);
  });
  await new Promise((r) => setTimeout(r, drainMs));
  return {
    sent: pubs.map((p) => ({ stream: p.stream, video: p.videoMeasured, audio: p.audioMeasured })),
    received: [...subscribers.entries()].map(([peer, s]) => ({
      peer,
      stream: s.stream,
      video: s.measured[0],
      audio: s.measured[1],
      reordered: s.reordered,
      duplicates: s.duplicates,
    })),
    latency: Array.from(latency),
    sendFailures,
    maxLagMs,
    foreign,
  };
}

/** Resolves when `ready()` holds, polling every 10 ms; rejects after `timeoutMs`. */
function waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (ready()) resolve();
      else if (Date.now() > deadline) reject(new Error(`${what}: not up within ${timeoutMs} ms`));
      else setTimeout(check, 10);
    };
    check();
  });
}

function peerOf(id: number): PeerConnection {
  const pc = peers.get(id);
  if (pc === undefined) throw new Error(`no peer ${id}`);
  return pc;
}

async function handle(c: Command): Promise<Answer> {
  switch (c.cmd) {
    case 'peer-new':
      newPeer(c.peer, c.role, c.stream, c.bindAddress);
      return { req: c.req, ok: true };
    case 'peer-offer': {
      const pc = peerOf(c.peer);
      if (subscribers.has(c.peer)) addRecvTracks(pc);
      pc.setLocalDescription();
      return { req: c.req, ok: true, sdp: await localSdp(pc) };
    }
    case 'peer-answer': {
      const pc = peerOf(c.peer);
      pc.setRemoteDescription(c.sdp, 'offer');
      return { req: c.req, ok: true, sdp: await localSdp(pc) };
    }
    case 'peer-accept':
      peerOf(c.peer).setRemoteDescription(c.sdp, 'answer');
      return { req: c.req, ok: true };
    case 'peer-wait': {
      const pub = publishers.get(c.peer);
      const sub = subscribers.get(c.peer);
      if (pub !== undefined) {
        await waitFor(() => pub.video.isOpen() && pub.audio.isOpen(), c.timeoutMs, `publisher ${c.peer}`);
      } else if (sub !== undefined) {
        await waitFor(
          () => sub.pc.state() === 'connected' && sub.tracks.length >= 2 && sub.tracks.every((t) => t.isOpen()),
          c.timeoutMs,
          `subscriber ${c.peer}`,
        );
      }
      return { req: c.req, ok: true };
    }
    case 'run':
      return { req: c.req, ok: true, report: await run(c.warmupMs, c.measureMs, c.drainMs) };
    case 'close-all':
      for (const pc of peers.values()) pc.close();
      peers.clear();
      publishers.clear();
      subscribers.clear();
      return { req: c.req, ok: true };
  }
}

process.on('message', (c: Command) => {
  handle(c).then(
    (a) => process.send?.(a),
    (err: unknown) =>
      process.send?.({ req: c.req, ok: false, error: err instanceof Error ? err.message : String(err) } as Answer),
  );
});
process.on('disconnect', () => {
  for (const pc of peers.values()) pc.close();
  process.exit(0);
});
