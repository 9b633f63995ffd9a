/**
 * The only file that knows werift-dtls: a DTLS 1.2 engine for one association, fed
 * record by record and sending through a callback. Replace this file to replace werift.
 *
 * What we change in werift's behaviour, and why:
 * - Timers. werift retransmits flights and polls with `timers/promises` sleeps that cannot
 *   be cancelled (a closed session would keep the process alive for ~30 s and keep
 *   sending). `Flight.prototype.transmit` is patched once to use our `Clock` when the
 *   flight belongs to one of our engines (other werift users keep the original), and each
 *   socket's `waitForReady` is replaced by a clock-driven poll. `close()` cancels both.
 *   Retransmission follows RFC 6347 §4.2.4.1: the timer starts at 1 s and doubles.
 * - ECDHE. werift computes x25519 / P-256 in pure JavaScript (tweetnacl, @noble/curves),
 *   more than half of a handshake's CPU; `generateKeyPair` and `prfPreMasterSecret` are
 *   replaced once by node:crypto versions with the same raw-byte interface (ecdh.ts).
 * - Records sent together are packed into as few datagrams as fit 1,200 bytes (werift
 *   sends one datagram per record).
 * - Hooks on handshake messages (`onHandshake`) so the session can refuse an offer early
 *   and keep the peer's Finished, and the transcript (`transcript()`) so it can check
 *   signatures and Finished that werift does not check (see verify.ts).
 */
import type { Clock, TimerHandle } from '@itda/common';
import namedCurve from 'werift-dtls/lib/dtls/src/cipher/namedCurve.js';
import prf from 'werift-dtls/lib/dtls/src/cipher/prf.js';
import { Flight } from 'werift-dtls/lib/dtls/src/flight/flight.js';
// werift-dtls 0.5.8's package `main` (lib/index.js) is missing from the tarball: import its entry by path.
import { DtlsClient, DtlsServer, type DtlsSocket } from 'werift-dtls/lib/dtls/src/index.js';
import { DtlsPlaintext } from 'werift-dtls/lib/dtls/src/record/message/plaintext.js';
import { ecdhSharedSecret, generateEcdhKeyPair } from './ecdh.ts';
import type { TranscriptMessage } from './verify.ts';

/** werift's SignatureHash for ECDSA with SHA-256 (RFC 5246 §7.4.1.4.1: hash 4, signature 3). */
const ECDSA_SHA256 = { hash: 4, signature: 3 } as const;
const RETRANSMIT_INITIAL_MS = 1_000;
const RETRANSMIT_MAX_MS = 60_000;
/** Retransmissions per flight; the session's handshake timeout usually ends things first. */
const RETRANSMIT_COUNT = 6;
const CONTENT_ALERT = 21;
/** Datagram budget for a packed flight: what WebRTC stacks assume fits any path (libwebrtc uses ~1200). */
const MAX_DATAGRAM = 1_200;
const DTLS_1_2 = { major: 0xfe, minor: 0xfd } as const;

export interface EngineHooks {
  /** One datagram to send to the peer (called from a microtask). */
  send(datagram: Buffer): void;
  /** `send` threw; the datagram is lost. */
  onSendError(err: unknown): void;
  /**
   * Each reassembled handshake message before werift sees it; return false to drop it.
   * (Throwing rejects werift's handler: it reaches `onError`.)
   */
  onHandshake(type: number, body: Buffer): boolean;
  /** werift reports the handshake done. */
  onConnect(): void;
  /** Decrypted application data. */
  onData(data: Buffer): void;
  /** Anything werift throws or rejects with. */
  onError(err: unknown): void;
}

export interface EngineOptions {
  role: 'server' | 'client';
  certPem: string;
  keyPem: string;
  /** DTLS use_srtp profile numbers in preference order (RFC 5764 §4.1.2). */
  srtpProfileIds: number[];
  clock: Clock;
  hooks: EngineHooks;
}

/** The werift `Transport` our engine gives werift: sends go to the hooks, timers to our clock. */
class EngineTransport {
  readonly type = 'itda';
  readonly address = { address: '0.0.0.0', family: 'IPv4', port: 0 };
  closed = false;
  /** Set by werift's DtlsSocket constructor: its record input. */
  onData: (data: Buffer, addr: unknown) => void = () => {};
  readonly #timers = new Set<TimerHandle>();
  readonly #clock: Clock;
  readonly #sendHook: (datagram: Buffer) => void;

  readonly #onSendError: (err: unknown) => void;

  constructor(clock: Clock, send: (datagram: Buffer) => void, onSendError: (err: unknown) => void) {
    this.#clock = clock;
    this.#sendHook = send;
    this.#onSendError = onSendError;
  }

  #queue: Buffer[] = [];
  #flushQueued = false;

  /**
   * Records werift sends in one go (a flight, a retransmitted flight, ChangeCipherSpec with
   * Finished) leave as few datagrams as fit `MAX_DATAGRAM` (RFC 6347 §4.1.1 allows several
   * records per datagram): fewer packets, and no reordering between ChangeCipherSpec and
   * Finished, which Chromium survives only by retransmitting its whole flight. werift would
   * send one datagram per record. Flushed in a microtask, so still within the same turn.
   */
  send = (data: Buffer): Promise<void> => {
    if (this.closed) return Promise.resolve();
    this.#queue.push(data);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
    return Promise.resolve();
  };

  #flush(): void {
    this.#flushQueued = false;
    const queued = this.#queue;
    this.#queue = [];
    for (const d of packRecords(queued, MAX_DATAGRAM)) {
      try {
        this.#sendHook(d);
      } catch (err) {
        // The caller's send threw (e.g. its socket is already closed): not ours to crash on.
        this.#onSendError(err);
      }
    }
  }

  close = (): Promise<void> => {
    this.closed = true;
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
    return Promise.resolve();
  };

  /** Runs `fn` after `ms` unless closed first. */
  schedule(fn: () => void, ms: number): void {
    if (this.closed) return;
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      if (!this.closed) fn();
    }, ms);
    this.#timers.add(handle);
  }
}

/** The parts of werift's Flight that the patched `transmit` uses (they are private/protected in its types). */
interface FlightInternals {
  transport: { socket: unknown };
  dtls: { flight: number };
  nextFlight?: number;
  state: string;
  send(buffers: Buffer[]): Promise<unknown>;
  transmit(buffers: Buffer[]): Promise<void>;
}

let patched = false;
function patchWerift(): void {
  if (patched) return;
  patched = true;
  // werift calls these as `(0, module.fn)(…)`, so replacing the export replaces every call.
  // biome-ignore lint/suspicious/noExplicitAny: werift types the curve as its own literal union; ours takes numbers.
  (namedCurve as { generateKeyPair: (curve: any) => unknown }).generateKeyPair = (curve: number) =>
    generateEcdhKeyPair(curve);
  (prf as { prfPreMasterSecret: (pub: Buffer, priv: Buffer, curve: number) => Buffer }).prfPreMasterSecret = (
    publicKey,
    privateKey,
    curve,
  ) => ecdhSharedSecret(curve, privateKey, publicKey);
  const proto = Flight.prototype as unknown as FlightInternals;
  const original = proto.transmit;
  proto.transmit = function transmit(this: FlightInternals, buffers: Buffer[]): Promise<void> {
    const transport = this.transport.socket;
    if (!(transport instanceof EngineTransport)) return original.call(this, buffers);
    return new Promise<void>((resolve, reject) => {
      let attempt = 0;
      const sendOnce = (): void => {
        this.state = 'SENDING';
        this.send(buffers).catch(() => {});
        this.state = 'WAITING';
        const next = this.nextFlight;
        if (next === undefined) {
          this.state = 'FINISHED';
          resolve();
          return;
        }
        const wait = Math.min(RETRANSMIT_INITIAL_MS * 2 ** attempt, RETRANSMIT_MAX_MS);
        // On close the timer is cancelled and this promise stays pending: nothing continues.
        transport.schedule(() => {
          if (this.dtls.flight >= next) {
            this.state = 'FINISHED';
            resolve();
          } else if (++attempt > RETRANSMIT_COUNT) {
            reject(new Error(`flight not answered after ${RETRANSMIT_COUNT} retransmissions`));
          } else {
            sendOnce();
          }
        }, wait);
      };
      sendOnce();
    });
  };
}

/** Concatenates consecutive records into datagrams of at most `max` bytes (a longer record goes alone). */
export function packRecords(records: readonly Buffer[], max: number): Buffer[] {
  const out: Buffer[] = [];
  let batch: Buffer[] = [];
  let size = 0;
  for (const r of records) {
    if (size > 0 && size + r.length > max) {
      out.push(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch));
      batch = [];
      size = 0;
    }
    batch.push(r);
    size += r.length;
  }
  if (batch.length > 0) out.push(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch));
  return out;
}

/** werift's socket with the members we use that its types keep private or loosely typed. */
interface SocketInternals {
  onHandleHandshakes: (assembled: { msg_type: number; fragment: Buffer }[]) => Promise<void>;
  waitForReady: (condition: () => boolean) => Promise<void>;
}

export class WeriftEngine {
  readonly #socket: DtlsSocket;
  readonly #transport: EngineTransport;
  readonly #role: 'server' | 'client';

  constructor(options: EngineOptions) {
    patchWerift();
    const { hooks } = options;
    this.#role = options.role;
    const transport = new EngineTransport(
      options.clock,
      (d) => hooks.send(d),
      (err) => hooks.onSendError(err),
    );
    this.#transport = transport;
    const wOptions = {
      // biome-ignore lint/suspicious/noExplicitAny: werift's Transport type wants a node AddressInfo and Address; ours is structurally enough.
      transport: transport as any,
      cert: options.certPem,
      key: options.keyPem,
      signatureHash: ECDSA_SHA256,
      // biome-ignore lint/suspicious/noExplicitAny: werift types profiles as the literal union 1 | 7; we pass checked numbers.
      srtpProfiles: options.srtpProfileIds as any,
      // RFC 5763 §5: both ends present certificates; the server asks for the client's.
      certificateRequest: true,
      // RFC 7627; browsers send it, and the werift server answers it.
      extendedMasterSecret: true,
    };
    const socket: DtlsSocket = options.role === 'server' ? new DtlsServer(wOptions) : new DtlsClient(wOptions);
    this.#socket = socket;
    const internals = socket as unknown as SocketInternals;
    const inner = internals.onHandleHandshakes;
    internals.onHandleHandshakes = async (assembled) => {
      const kept = assembled.filter((h) => hooks.onHandshake(h.msg_type, h.fragment));
      if (kept.length > 0) await inner(kept);
    };
    internals.waitForReady = (condition) => this.#waitForReady(condition);
    socket.onConnect.subscribe(() => hooks.onConnect());
    socket.onData.subscribe((data: Buffer) => hooks.onData(data));
    socket.onError.subscribe((err: unknown) => hooks.onError(err));
    // werift reports every alert and unknown content type as "close"; the session parses alerts itself.
  }

  /** Client role: sends the first ClientHello. */
  start(): void {
    if (this.#socket instanceof DtlsClient) {
      this.#socket
        .connect()
        .catch((err: unknown) => this.#transport.closed || this.#socket.onError.execute(err as Error));
    }
  }

  /** One handshake, change_cipher_spec or application_data record (already framed and checked). */
  feedRecord(record: Buffer): void {
    if (!this.#transport.closed) this.#transport.onData(record, undefined);
  }

  /** Decrypts an alert record of epoch > 0; undefined when it does not authenticate. */
  openAlert(record: Buffer): { level: number; description: number } | undefined {
    try {
      const plain = this.#socket.cipher.decryptPacket(DtlsPlaintext.deSerialize(record));
      if (plain.length !== 2) return undefined;
      return { level: plain[0] ?? 0, description: plain[1] ?? 0 };
    } catch {
      return undefined;
    }
  }

  /** Sends an alert (RFC 5246 §7.2), encrypted once the epoch is 1. Best effort. */
  sendAlert(level: number, description: number): void {
    if (this.#transport.closed) return;
    try {
      const dtls = this.#socket.dtls;
      const epoch = this.#socket.cipher.cipher === undefined ? 0 : dtls.epoch;
      const pkt = new DtlsPlaintext(
        {
          contentType: CONTENT_ALERT,
          protocolVersion: DTLS_1_2,
          epoch,
          sequenceNumber: ++dtls.recordSequenceNumber,
          contentLen: 2,
        },
        Buffer.from([level, description]),
      );
      const out = epoch > 0 ? this.#socket.cipher.encryptPacket(pkt) : pkt;
      out.recordLayerHeader.contentLen = out.fragment.length;
      this.#transport.send(out.serialize());
    } catch {
      // No keys yet or a broken state: an alert is a courtesy, not a duty.
    }
  }

  sendData(data: Buffer): void {
    this.#socket.send(data).catch((err: unknown) => this.#socket.onError.execute(err as Error));
  }

  /** The negotiated use_srtp profile number, if any. */
  get srtpProfileId(): number | undefined {
    return this.#socket.srtp.srtpProfile;
  }

  get remoteCertificate(): Buffer | undefined {
    return this.#socket.remoteCertificate;
  }

  get masterSecret(): Buffer | undefined {
    return this.#socket.cipher.masterSecret;
  }

  /** RFC 5705 exporter (RFC 5764 §4.2 uses label `EXTRACTOR-dtls_srtp`). */
  exportKeyingMaterial(label: string, length: number): Buffer {
    return this.#socket.exportKeyingMaterial(label, length);
  }

  /** Handshake messages in transcript order (werift's own order, the one its Finished uses). */
  transcript(): TranscriptMessage[] {
    const cache = this.#socket.dtls.handshakeCache;
    const out: TranscriptMessage[] = [];
    const flights = Object.keys(cache)
      .map(Number)
      .sort((a, b) => a - b);
    for (const flight of flights) {
      const entry = cache[flight];
      if (entry === undefined) continue;
      const data = [...entry.data].sort((a, b) => a.message_seq - b.message_seq);
      for (const h of data) out.push({ flight, type: h.msg_type, body: h.fragment, bytes: h.serialize() });
    }
    return out;
  }

  get role(): 'server' | 'client' {
    return this.#role;
  }

  /** Stops every timer and every send; werift's pending promises are left to be collected. */
  close(): void {
    void this.#transport.close();
  }

  /** werift polls for messages that may arrive out of order: 10 polls 100 ms apart, on our clock. */
  #waitForReady(condition: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let polls = 0;
      const poll = (): void => {
        if (condition()) resolve();
        else if (++polls > 10) reject(new Error('handshake message missing'));
        else this.#transport.schedule(poll, 100);
      };
      poll();
    });
  }
}
