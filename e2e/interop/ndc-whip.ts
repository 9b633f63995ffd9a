/**
 * WHIP publishers and WHEP players on node-datachannel (libdatachannel: its own ICE
 * (libjuice), DTLS and SRTP — nothing of itda), after the benchmark's load generator
 * (bench/sfu/loadgen.ts). The publisher sends synthetic VP8 and Opus RTP whose payload
 * ends with a stream counter; the player records every packet it receives per SSRC
 * (sequence number, payload type, counter) for the test to check.
 */
import { Audio, cleanup, PeerConnection, type Track, Video } from 'node-datachannel';

/** Payload trailer: magic, kind (0 video, 1 audio), counter. */
const MAGIC = 0x77686970; // "whip"
const TRAILER = 9;
export const KIND_VIDEO = 0;
export const KIND_AUDIO = 1;

/** Complete local SDP once ICE gathering is done (candidates inline). */
export function localSdp(pc: PeerConnection, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      const d = pc.localDescription();
      if (pc.gatheringState() === 'complete' && d !== null) resolve(d.sdp);
      else if (Date.now() > deadline) reject(new Error('ICE gathering did not complete'));
      else setTimeout(check, 5);
    };
    check();
  });
}

/** Polls `ready` every 10 ms; rejects after `timeoutMs`. */
export function until(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = (): void => {
      if (ready()) resolve();
      else if (Date.now() > deadline) reject(new Error(`${what}: not within ${timeoutMs} ms`));
      else setTimeout(check, 10);
    };
    check();
  });
}

/** POSTs an offer to a WHIP/WHEP endpoint (RFC 9725 §4.2). */
export async function postOffer(
  url: string,
  offer: string,
  headers: Record<string, string> = {},
): Promise<{ answer: string; location: string; participantId: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp', ...headers },
    body: offer,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`${url}: HTTP ${res.status} ${text}`);
  return {
    answer: text,
    location: new URL(res.headers.get('location') ?? '', url).toString(),
    participantId: res.headers.get('x-itda-participant-id') ?? '',
  };
}

export class NdcPublisher {
  readonly pc: PeerConnection;
  readonly video: Track;
  readonly audio: Track;
  readonly videoSsrc: number;
  readonly audioSsrc: number;
  videoSent = 0;
  audioSent = 0;
  readonly #videoBuf = Buffer.alloc(12 + 2 + 600 + TRAILER);
  readonly #audioBuf = Buffer.alloc(12 + 80 + TRAILER);
  readonly videoPt: number;
  readonly audioPt: number;

  constructor(name: string, videoPt = 96, audioPt = 111) {
    this.videoPt = videoPt;
    this.audioPt = audioPt;
    // bindAddress: libjuice gathers no loopback candidate otherwise.
    this.pc = new PeerConnection(name, { iceServers: [], bindAddress: '127.0.0.1' });
    this.videoSsrc = 0x10000000 + Math.floor(Math.random() * 0xffff);
    this.audioSsrc = this.videoSsrc + 0x10000;
    const v = new Video('0', 'SendOnly');
    v.addVP8Codec(videoPt);
    v.addSSRC(this.videoSsrc, name, `${name}-stream`, `${name}-video`);
    const a = new Audio('1', 'SendOnly');
    a.addOpusCodec(audioPt);
    a.addSSRC(this.audioSsrc, name, `${name}-stream`, `${name}-audio`);
    this.video = this.pc.addTrack(v);
    this.audio = this.pc.addTrack(a);
  }

  async offer(): Promise<string> {
    this.pc.setLocalDescription();
    return localSdp(this.pc);
  }

  accept(answer: string): void {
    this.pc.setRemoteDescription(answer, 'answer');
  }

  opened(timeoutMs = 10_000): Promise<void> {
    return until(() => this.video.isOpen() && this.audio.isOpen(), timeoutMs, 'publisher tracks open');
  }

  /** One video packet: 3 per frame at 90 kHz/30 fps, VP8 descriptor, a key frame every 30th frame. */
  sendVideo(): void {
    const b = this.#videoBuf;
    const n = this.videoSent++;
    const inFrame = n % 3;
    const frame = Math.floor(n / 3);
    b[0] = 0x80;
    b[1] = this.videoPt | (inFrame === 2 ? 0x80 : 0);
    b.writeUInt16BE(n & 0xffff, 2);
    b.writeUInt32BE((frame * 3000) >>> 0, 4);
    b.writeUInt32BE(this.videoSsrc, 8);
    b[12] = inFrame === 0 ? 0x10 : 0x00; // VP8 payload descriptor S bit (RFC 7741 §4.2)
    b[13] = inFrame === 0 && frame % 30 === 0 ? 0x00 : 0x01; // P bit 0 = key frame (RFC 7741 §4.3)
    writeTrailer(b, KIND_VIDEO, n);
    this.video.sendMessageBinary(b);
  }

  sendAudio(): void {
    const b = this.#audioBuf;
    const n = this.audioSent++;
    b[0] = 0x80;
    b[1] = this.audioPt;
    b.writeUInt16BE(n & 0xffff, 2);
    b.writeUInt32BE((n * 960) >>> 0, 4);
    b.writeUInt32BE(this.audioSsrc, 8);
    writeTrailer(b, KIND_AUDIO, n);
    this.audio.sendMessageBinary(b);
  }

  close(): void {
    this.pc.close();
  }
}

function writeTrailer(b: Buffer, kind: number, counter: number): void {
  const end = b.length;
  b.writeUInt32BE(MAGIC, end - TRAILER);
  b[end - TRAILER + 4] = kind;
  b.writeUInt32BE(counter >>> 0, end - TRAILER + 5);
}

/** One received RTP packet. */
export interface Received {
  ssrc: number;
  payloadType: number;
  sequence: number;
  kind: number;
  counter: number;
}

export class NdcPlayer {
  readonly pc: PeerConnection;
  readonly tracks: Track[] = [];
  readonly received: Received[] = [];
  /** RTP packets without our trailer (not from the publisher). */
  foreign = 0;
  /** The payload types this player offers (not the publisher's: the SFU must rewrite them). */
  readonly videoPt: number;
  readonly audioPt: number;

  constructor(name: string, videoPt = 97, audioPt = 109) {
    this.videoPt = videoPt;
    this.audioPt = audioPt;
    this.pc = new PeerConnection(name, { iceServers: [], bindAddress: '127.0.0.1' });
    const v = new Video('0', 'RecvOnly');
    v.addVP8Codec(videoPt);
    const a = new Audio('1', 'RecvOnly');
    a.addOpusCodec(audioPt);
    for (const t of [this.pc.addTrack(v), this.pc.addTrack(a)]) {
      this.tracks.push(t);
      t.onMessage((msg) => this.#onPacket(msg));
    }
  }

  async offer(): Promise<string> {
    this.pc.setLocalDescription();
    return localSdp(this.pc);
  }

  accept(answer: string): void {
    this.pc.setRemoteDescription(answer, 'answer');
  }

  opened(timeoutMs = 10_000): Promise<void> {
    return until(() => this.tracks.every((t) => t.isOpen()), timeoutMs, 'player tracks open');
  }

  #onPacket(msg: Buffer): void {
    const b1 = msg[1] ?? 0;
    if (b1 >= 192 && b1 <= 223) return; // RTCP (RFC 5761 §4)
    const end = msg.length;
    if (end < 12 + TRAILER || msg.readUInt32BE(end - TRAILER) !== MAGIC) {
      this.foreign++;
      return;
    }
    this.received.push({
      ssrc: msg.readUInt32BE(8),
      payloadType: b1 & 0x7f,
      sequence: msg.readUInt16BE(2),
      kind: msg[end - TRAILER + 4] ?? -1,
      counter: msg.readUInt32BE(end - TRAILER + 5),
    });
  }

  close(): void {
    this.pc.close();
  }
}

/** Stops libdatachannel's threads so the process can exit (call once, after the last peer is closed). */
export function ndcCleanup(): void {
  cleanup();
}
