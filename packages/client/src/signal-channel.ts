/**
 * A data channel over the signaling connection, for rooms without browser-to-browser
 * data channels (`sfu` rooms): an RTCDataChannel look-alike (`ChannelLike`) whose
 * frames travel as `data` messages through the server, so the chat and file framing of
 * peer-protocol.ts / file-transfer.ts rides on it unchanged.
 *
 * Payload encoding (docs/client.md): a text frame is `t` + the text; a binary frame is
 * `b` + its bytes in base64 (RFC 4648 §4). A 16 KiB file chunk becomes ~21,850
 * characters, under the protocol's 48 KiB payload limit.
 *
 * Pacing: the server budgets `data` per connection (`limits.dataBytesPerSecond`,
 * `limits.dataBurstBytes`, in payload characters; over it, messages are dropped). This
 * channel keeps its own token bucket under that budget (by default 90 % of the rate and
 * half the burst), queues what does not fit, and reports the queue as `bufferedAmount`,
 * so file-transfer.ts's backpressure (`bufferedamountlow`) slows the sender down instead
 * of the server dropping chunks. While the signaling connection is down, frames wait.
 */
import type { Clock, TimerHandle } from '@itda/common';
import { DEFAULT_LIMITS, MAX_DATA_PAYLOAD } from '@itda/protocol';
import { ClientError, ClientErrorCode } from './errors.ts';
import type { ChannelLike } from './file-transfer.ts';

export interface SignalChannelOptions {
  clock: Clock;
  /** Sends one `data` payload (the Room adds `to` when the channel has one). */
  send: (payload: string) => void;
  /** The server's budget refill, characters/s. Default `DEFAULT_LIMITS.dataBytesPerSecond`. */
  bytesPerSecond?: number;
  /** The server's budget size, characters. Default `DEFAULT_LIMITS.dataBurstBytes`. */
  burstBytes?: number;
  /** Share of the server's rate this channel uses. Default 0.9. */
  rateShare?: number;
  /** Share of the server's burst this channel uses. Default 0.5. */
  burstShare?: number;
  /** Largest payload sent, characters. Default MAX_DATA_PAYLOAD (see `dataLimits`). */
  maxPayload?: number;
}

/**
 * The largest `data` payload and the file chunk that fits it, from the server's
 * `limits`: a payload is at most `maxDataPayload` and must leave room for the JSON
 * around it within `maxMessageBytes`; a chunk is 3/4 of that (base64), in whole KiB,
 * at most 16 KiB.
 */
export function dataLimits(limits: { maxMessageBytes: number; maxDataPayload?: number | undefined }): {
  maxPayload: number;
  chunkBytes: number;
} {
  const maxPayload = Math.max(1024, Math.min(limits.maxDataPayload ?? MAX_DATA_PAYLOAD, limits.maxMessageBytes - 512));
  const chunkBytes = Math.max(1024, Math.min(16 * 1024, Math.floor(((maxPayload - 8) * 3) / 4 / 1024) * 1024));
  return { maxPayload, chunkBytes };
}

type Listener = () => void;

/** Encodes a frame as a `data` payload. */
export function encodeSignalPayload(data: string | ArrayBuffer): string {
  if (typeof data === 'string') return `t${data}`;
  const bytes = new Uint8Array(data);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 0x8000)));
  }
  return `b${btoa(bin)}`;
}

/** Decodes a `data` payload; throws `invalid_peer_message` for anything else. */
export function decodeSignalPayload(payload: string): string | ArrayBuffer {
  const kind = payload.charCodeAt(0);
  if (kind === 0x74 /* t */) return payload.slice(1);
  if (kind === 0x62 /* b */) {
    let bin: string;
    try {
      bin = atob(payload.slice(1));
    } catch (err) {
      throw new ClientError(ClientErrorCode.InvalidPeerMessage, 'data payload is not valid base64', { cause: err });
    }
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  throw new ClientError(ClientErrorCode.InvalidPeerMessage, 'data payload has an unknown kind');
}

export class SignalDataChannel implements ChannelLike {
  bufferedAmountLowThreshold = 0;
  readonly #o: SignalChannelOptions;
  readonly #rate: number;
  readonly #burst: number;
  readonly #queue: string[] = [];
  readonly #listeners = new Map<string, Set<Listener>>();
  #queued = 0;
  #tokens: number;
  #last: number;
  #state: 'open' | 'paused' | 'closed' = 'open';
  #timer: TimerHandle | undefined;

  constructor(options: SignalChannelOptions) {
    this.#o = options;
    this.#rate = (options.bytesPerSecond ?? DEFAULT_LIMITS.dataBytesPerSecond) * (options.rateShare ?? 0.9);
    this.#burst = Math.max(
      MAX_DATA_PAYLOAD,
      (options.burstBytes ?? DEFAULT_LIMITS.dataBurstBytes) * (options.burstShare ?? 0.5),
    );
    this.#tokens = this.#burst;
    this.#last = options.clock.now();
  }

  /** `open` while usable (frames may still wait for the connection); `closed` for good. */
  get readyState(): string {
    return this.#state === 'closed' ? 'closed' : 'open';
  }

  /** Characters waiting to be sent. */
  get bufferedAmount(): number {
    return this.#queued;
  }

  send(data: string | ArrayBuffer): void {
    if (this.#state === 'closed') throw new ClientError(ClientErrorCode.InvalidState, 'the channel is closed');
    const payload = encodeSignalPayload(data);
    if (payload.length > (this.#o.maxPayload ?? MAX_DATA_PAYLOAD)) {
      throw new ClientError(ClientErrorCode.InvalidState, `frame of ${payload.length} characters is over the limit`);
    }
    this.#queue.push(payload);
    this.#queued += payload.length;
    this.#flush();
  }

  /** The signaling connection is down (`false`: frames wait) or up again. */
  setConnected(connected: boolean): void {
    if (this.#state === 'closed') return;
    this.#state = connected ? 'open' : 'paused';
    if (connected) this.#flush();
  }

  /** Drops what waits and fires `close`. Idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#queue.length = 0;
    this.#queued = 0;
    this.#fire('close');
    this.#listeners.clear();
  }

  addEventListener(type: 'bufferedamountlow' | 'close', listener: Listener): void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
  }

  removeEventListener(type: 'bufferedamountlow' | 'close', listener: Listener): void {
    this.#listeners.get(type)?.delete(listener);
  }

  #fire(type: string): void {
    for (const fn of [...(this.#listeners.get(type) ?? [])]) fn();
  }

  #refill(): void {
    const now = this.#o.clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (Math.max(0, now - this.#last) * this.#rate) / 1000);
    this.#last = now;
  }

  #flush(): void {
    if (this.#state !== 'open' || this.#timer !== undefined) return;
    this.#refill();
    const before = this.#queued;
    let next = this.#queue[0];
    while (next !== undefined && next.length <= this.#tokens) {
      this.#queue.shift();
      this.#tokens -= next.length;
      this.#queued -= next.length;
      this.#o.send(next);
      if (this.#state !== 'open') return;
      next = this.#queue[0];
    }
    if (before > this.bufferedAmountLowThreshold && this.#queued <= this.bufferedAmountLowThreshold) {
      this.#fire('bufferedamountlow');
    }
    if (next !== undefined) {
      const waitMs = Math.ceil(((next.length - this.#tokens) * 1000) / this.#rate);
      this.#timer = this.#o.clock.setTimeout(() => {
        this.#timer = undefined;
        this.#flush();
      }, waitMs);
    }
  }
}
