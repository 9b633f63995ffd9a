/**
 * Client transactions (RFC 8489 §6.2): each request waits for the response with its
 * transaction id; over UDP it is retransmitted on a doubling timer, over TCP/TLS it is
 * sent once and given up after Ti. No I/O: the caller passes a `send` function and a
 * Clock, and feeds responses in with `handleResponse`.
 */
import type { Clock, TimerHandle } from '@itda/common';
import { type DecodedStunMessage, transactionIdHex } from '@itda/stun';
import { TurnClientError } from './errors.ts';

/** Retransmission settings (RFC 8489 §6.2.1, §6.2.2). */
export interface RetransmitOptions {
  /** Initial RTO in ms. Default 500 (RFC 8489 §6.2.1: "SHOULD be greater than or equal to 500 ms"). Min 1. */
  rto?: number;
  /** Rc: requests sent in total over UDP. Default 7 (RFC 8489 §6.2.1). 1–20. */
  rc?: number;
  /** Rm: the wait after the last request, in multiples of the initial RTO. Default 16 (RFC 8489 §6.2.1). */
  rm?: number;
  /** Ti: the timeout of a request over TCP/TLS, in ms. Default 39,500 (RFC 8489 §6.2.2). */
  reliableTimeout?: number;
}

interface Pending {
  resolve: (msg: DecodedStunMessage) => void;
  reject: (err: Error) => void;
  timer: TimerHandle | undefined;
}

function checked(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new TurnClientError('turn_client_bad_argument', `${name} ${v} is not ${min}-${max}`);
  }
  return v;
}

/**
 * The table of outstanding requests of one client.
 *
 * Over UDP a request is sent at 0, RTO, 3·RTO, 7·RTO, … (the interval doubles) until Rc
 * requests have gone out, then fails Rm·RTO after the last one: with the defaults the
 * sends are at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and the failure at 39.5 s, the
 * example of RFC 8489 §6.2.1.
 */
export class Transactions {
  readonly #clock: Clock;
  readonly #rto: number;
  readonly #rc: number;
  readonly #rm: number;
  readonly #reliableTimeout: number;
  readonly #pending = new Map<string, Pending>();
  /** Requests retransmitted (UDP), for stats. */
  retransmissions = 0;

  constructor(clock: Clock, options: RetransmitOptions = {}) {
    this.#clock = clock;
    this.#rto = checked(options.rto, 500, 1, 60_000, 'rto');
    this.#rc = checked(options.rc, 7, 1, 20, 'rc');
    this.#rm = checked(options.rm, 16, 1, 64, 'rm');
    this.#reliableTimeout = checked(options.reliableTimeout, 39_500, 1, 600_000, 'reliableTimeout');
  }

  /** Requests waiting for a response. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Sends `bytes` (a request with `transactionId`) and resolves with the response (success
   * or error class). `reliable`: sent once, failed after Ti; otherwise retransmitted.
   * @throws TurnClientError turn_client_timeout (via the promise)
   */
  start(
    transactionId: Uint8Array,
    bytes: Uint8Array,
    reliable: boolean,
    send: (bytes: Uint8Array) => void,
  ): Promise<DecodedStunMessage> {
    const key = transactionIdHex(transactionId);
    return new Promise<DecodedStunMessage>((resolve, reject) => {
      const entry: Pending = { resolve, reject, timer: undefined };
      this.#pending.set(key, entry);
      const fail = (): void => {
        this.#pending.delete(key);
        reject(new TurnClientError('turn_client_timeout', 'no response to the request', { details: { key } }));
      };
      let sent = 0;
      let interval = this.#rto;
      const transmit = (): void => {
        if (this.#pending.get(key) !== entry) return;
        if (sent > 0) this.retransmissions++;
        sent++;
        try {
          send(bytes);
        } catch (err) {
          this.#pending.delete(key);
          reject(new TurnClientError('turn_client_transport', 'sending the request failed', { cause: err }));
          return;
        }
        // The response may have come during `send` (an in-memory transport): nothing to time.
        if (this.#pending.get(key) !== entry) return;
        if (reliable) {
          entry.timer = this.#clock.setTimeout(fail, this.#reliableTimeout);
        } else if (sent < this.#rc) {
          entry.timer = this.#clock.setTimeout(transmit, interval);
          interval *= 2;
        } else {
          entry.timer = this.#clock.setTimeout(fail, this.#rm * this.#rto);
        }
      };
      transmit();
    });
  }

  /**
   * Completes the transaction of a response. Returns false for a response to no pending
   * request (late or duplicate: RFC 8489 §6.3.3 says to discard it).
   */
  handleResponse(msg: DecodedStunMessage): boolean {
    const key = transactionIdHex(msg.transactionId);
    const entry = this.#pending.get(key);
    if (entry === undefined) return false;
    this.#pending.delete(key);
    entry.timer?.cancel();
    entry.resolve(msg);
    return true;
  }

  /** Fails every pending request with `err` and cancels their timers. */
  cancelAll(err: Error): void {
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    for (const entry of entries) {
      entry.timer?.cancel();
      entry.reject(err);
    }
  }
}
