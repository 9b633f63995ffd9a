/**
 * An SRTP session (RFC 3711 §3.2): the crypto contexts of one master key, kept per SSRC.
 *
 * `SrtpSession.create({ profile, masterKey, masterSalt })` derives the session keys once
 * (RFC 3711 §4.3). Each call takes one whole packet and returns a NEW buffer (the input
 * is never modified and may be reused by the caller at once):
 * - `protectRtp(rtp)` → SRTP: header, encrypted payload, tag (+10 or +16 bytes);
 * - `unprotectRtp(srtp)` → RTP, after authentication and the replay check;
 * - `protectRtcp(rtcp)` / `unprotectRtcp(srtcp)` → the same for RTCP (E flag and a
 *   31-bit SRTCP index per SSRC, RFC 3711 §3.4, RFC 7714 §9).
 * Failures throw `SrtpError` with a stable code and change no state: a forged,
 * replayed or truncated packet never moves a replay window or a rollover counter.
 *
 * In DTLS-SRTP each side has its own write key: use one session per direction
 * (protect with the local key's session, unprotect with the remote key's). Nothing here
 * does I/O or reads the clock.
 */
import { AesCmHmacTransform } from './aes-cm-hmac.ts';
import { AesGcmTransform } from './aes-gcm.ts';
import { SrtpError, SrtpErrorCode } from './errors.ts';
import { deriveSessionKeys, type SrtpSessionKeys } from './kdf.ts';
import type { SrtpProfile } from './profiles.ts';
import { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay.ts';
import { checkRtcpHeader, readU16, readU32, rtpHeaderLength } from './rtp-header.ts';
import type { SrtpTransform } from './transform.ts';

export interface SrtpSessionOptions {
  profile: SrtpProfile;
  /** 16 bytes for both profiles. */
  masterKey: Uint8Array;
  /** 14 bytes for AES-CM, 12 for AEAD_AES_128_GCM. */
  masterSalt: Uint8Array;
  /** Replay window in packets, 64 … 32,768; default 128 (RFC 3711 §3.3.2). */
  replayWindow?: number;
  /** Most SSRCs with state per direction and kind; default 1,024, limit 65,536. */
  maxStreams?: number;
}

/** Rollover-counter state of one RTP stream (RFC 3711 §3.3.1). */
interface RtpStream {
  roc: number;
  /** s_l, the highest sequence number seen with this ROC. */
  seq: number;
  readonly replay: ReplayWindow | undefined;
}

const MAX_INDEX = 2 ** 48;
const MAX_SRTCP_INDEX = 0x7fffffff;

export class SrtpSession {
  readonly profile: SrtpProfile;
  readonly #t: SrtpTransform;
  readonly #window: number;
  readonly #maxStreams: number;
  readonly #outRtp = new Map<number, RtpStream>();
  readonly #inRtp = new Map<number, RtpStream>();
  readonly #outRtcp = new Map<number, number>();
  readonly #inRtcp = new Map<number, ReplayWindow>();

  private constructor(profile: SrtpProfile, t: SrtpTransform, window: number, maxStreams: number) {
    this.profile = profile;
    this.#t = t;
    this.#window = window;
    this.#maxStreams = maxStreams;
  }

  /** Validates the options and derives the session keys; throws `srtp_bad_key` / `srtp_bad_profile`. */
  static create(options: SrtpSessionOptions): SrtpSession {
    const keys = deriveSessionKeys(options.profile, options.masterKey, options.masterSalt);
    return SrtpSession.fromSessionKeys(options.profile, keys, options);
  }

  /**
   * A session over already-derived session keys (the RFC 7714 vectors give session keys;
   * so do some key-management schemes). `options` as for `create`, minus the master key.
   */
  static fromSessionKeys(
    profile: SrtpProfile,
    keys: SrtpSessionKeys,
    options: Pick<SrtpSessionOptions, 'replayWindow' | 'maxStreams'> = {},
  ): SrtpSession {
    const window = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    new ReplayWindow(window); // validates the size once
    const maxStreams = options.maxStreams ?? 1024;
    if (!Number.isInteger(maxStreams) || maxStreams < 1 || maxStreams > 65536) {
      throw new RangeError(`maxStreams must be an integer in 1..65536, got ${maxStreams}`);
    }
    let t: SrtpTransform;
    if (profile === 'SRTP_AEAD_AES_128_GCM') t = new AesGcmTransform(keys);
    else if (profile === 'SRTP_AES128_CM_HMAC_SHA1_80') t = new AesCmHmacTransform(keys);
    else throw new SrtpError(SrtpErrorCode.BadProfile, `unknown SRTP profile ${String(profile)}`);
    return new SrtpSession(profile, t, window, maxStreams);
  }

  /** Bytes `protectRtp` adds. */
  get rtpOverhead(): number {
    return this.#t.rtpTagLength;
  }

  /** Bytes `protectRtcp` adds. */
  get rtcpOverhead(): number {
    return this.#t.rtcpOverhead;
  }

  /** RTP → SRTP. The ROC follows the sequence numbers the caller sends (RFC 3711 §3.3.1). */
  protectRtp(packet: Uint8Array): Buffer {
    const length = packet.length;
    const headerLength = rtpHeaderLength(packet, length);
    const ssrc = readU32(packet, 8);
    const seq = readU16(packet, 2);
    const s = this.#outStream(ssrc, seq);
    const v = estimateRoc(s, seq);
    const index = v * 65536 + seq;
    if (index < 0 || index >= MAX_INDEX) {
      throw new SrtpError(SrtpErrorCode.IndexExhausted, 'SRTP packet index out of range: re-key', {
        details: { ssrc, roc: v },
      });
    }
    const out = this.#t.protectRtp(packet, length, headerLength, ssrc, index);
    advance(s, v, seq);
    return out;
  }

  /** SRTP → RTP: index estimation, replay check, authentication, decryption. */
  unprotectRtp(packet: Uint8Array): Buffer {
    const length = packet.length;
    if (length < 12 + this.#t.rtpTagLength) {
      throw new SrtpError(SrtpErrorCode.TooShort, `SRTP packet of ${length} bytes is too short`);
    }
    const headerLength = rtpHeaderLength(packet, length - this.#t.rtpTagLength);
    const ssrc = readU32(packet, 8);
    const seq = readU16(packet, 2);
    let s = this.#inRtp.get(ssrc);
    const isNew = s === undefined;
    if (s === undefined) {
      this.#checkRoom(this.#inRtp);
      // RFC 3711 §3.3.1: the receiver starts with ROC 0 and s_l = the first SEQ.
      s = { roc: 0, seq, replay: new ReplayWindow(this.#window) };
    }
    const v = estimateRoc(s, seq);
    const index = v * 65536 + seq;
    if (index < 0) throw new SrtpError(SrtpErrorCode.ReplayTooOld, 'SRTP packet before the first of its stream');
    s.replay?.check(index);
    const out = this.#t.unprotectRtp(packet, length, headerLength, ssrc, index);
    // Authenticated: only now may state change (RFC 3711 §3.3.1, §3.3.2).
    if (isNew) this.#inRtp.set(ssrc, s);
    advance(s, v, seq);
    s.replay?.commit(index);
    return out;
  }

  /** RTCP → SRTCP (encrypted, E = 1), with the next SRTCP index of the sender SSRC. */
  protectRtcp(packet: Uint8Array): Buffer {
    const length = packet.length;
    checkRtcpHeader(packet, length);
    const ssrc = readU32(packet, 4);
    let index = this.#outRtcp.get(ssrc);
    if (index === undefined) {
      this.#checkRoom(this.#outRtcp);
      index = 0;
    }
    if (index > MAX_SRTCP_INDEX) {
      throw new SrtpError(SrtpErrorCode.IndexExhausted, 'SRTCP index space used up: re-key', { details: { ssrc } });
    }
    const out = this.#t.protectRtcp(packet, length, ssrc, index);
    this.#outRtcp.set(ssrc, index + 1);
    return out;
  }

  /** SRTCP → RTCP: replay check on the SRTCP index, authentication, decryption when E = 1. */
  unprotectRtcp(packet: Uint8Array): Buffer {
    const length = packet.length;
    if (length < 8 + this.#t.rtcpOverhead) {
      throw new SrtpError(SrtpErrorCode.TooShort, `SRTCP packet of ${length} bytes is too short`);
    }
    checkRtcpHeader(packet, length);
    const ssrc = readU32(packet, 4);
    const eIndex = readU32(packet, this.#t.rtcpIndexOffset(length));
    const index = eIndex & MAX_SRTCP_INDEX;
    let w = this.#inRtcp.get(ssrc);
    const isNew = w === undefined;
    if (w === undefined) {
      this.#checkRoom(this.#inRtcp);
      w = new ReplayWindow(this.#window);
    }
    w.check(index);
    const out = this.#t.unprotectRtcp(packet, length, ssrc, eIndex);
    if (isNew) this.#inRtcp.set(ssrc, w);
    w.commit(index);
    return out;
  }

  /** Forgets every context of `ssrc` (a stream ended). */
  removeStream(ssrc: number): void {
    this.#outRtp.delete(ssrc);
    this.#inRtp.delete(ssrc);
    this.#outRtcp.delete(ssrc);
    this.#inRtcp.delete(ssrc);
    this.#t.forgetStream?.(ssrc);
  }

  /**
   * Advances the sender's rollover state of the packet's SSRC exactly as `protectRtp` would,
   * without encrypting: another context with the same keys (a media worker) sent it, and
   * this one may take the stream over later with the right ROC (RFC 3711 §3.3.1).
   */
  trackOutboundRtp(packet: Uint8Array): void {
    rtpHeaderLength(packet, packet.length);
    const seq = readU16(packet, 2);
    const s = this.#outStream(readU32(packet, 8), seq);
    advance(s, estimateRoc(s, seq), seq);
  }

  /** The sender's state of `ssrc`, made at its first packet (`srtp_too_many_streams` past `maxStreams`). */
  #outStream(ssrc: number, seq: number): RtpStream {
    let s = this.#outRtp.get(ssrc);
    if (s === undefined) {
      this.#checkRoom(this.#outRtp);
      s = { roc: 0, seq, replay: undefined };
      this.#outRtp.set(ssrc, s);
    }
    return s;
  }

  /** The sender's rollover counter of `ssrc`, or undefined (for SDP/tests). */
  outboundRoc(ssrc: number): number | undefined {
    return this.#outRtp.get(ssrc)?.roc;
  }

  /** Sets the sender's SRTCP index of `ssrc` (tests and vectors). */
  setOutboundRtcpIndex(ssrc: number, index: number): void {
    if (!Number.isInteger(index) || index < 0 || index > MAX_SRTCP_INDEX) throw new RangeError('bad SRTCP index');
    this.#outRtcp.set(ssrc, index);
  }

  /** Sets the sender's ROC of `ssrc` (e.g. a stream that starts mid-way, RFC 4568 §6.4.1). */
  setOutboundRoc(ssrc: number, roc: number, seq: number): void {
    this.#outRtp.set(ssrc, { roc: roc >>> 0, seq: seq & 0xffff, replay: undefined });
  }

  /** Number of SSRCs with any state. */
  get streamCount(): number {
    return new Set([...this.#outRtp.keys(), ...this.#inRtp.keys(), ...this.#outRtcp.keys(), ...this.#inRtcp.keys()])
      .size;
  }

  #checkRoom(map: Map<number, unknown>): void {
    if (map.size >= this.#maxStreams) {
      throw new SrtpError(SrtpErrorCode.TooManyStreams, `more than ${this.#maxStreams} SSRCs on one SRTP session`);
    }
  }
}

/** The ROC guess v of RFC 3711 Appendix A for sequence number `seq`. */
function estimateRoc(s: RtpStream, seq: number): number {
  if (s.seq < 32768) return seq - s.seq > 32768 ? s.roc - 1 : s.roc;
  return s.seq - 32768 > seq ? s.roc + 1 : s.roc;
}

/** Updates ROC and s_l after a packet with guess `v` was accepted (RFC 3711 §3.3.1). */
function advance(s: RtpStream, v: number, seq: number): void {
  if (v === s.roc + 1) {
    s.roc = v;
    s.seq = seq;
  } else if (v === s.roc && seq > s.seq) {
    s.seq = seq;
  }
}
