/**
 * Media workers (docs/sfu/workers.md): worker threads that encrypt and send the
 * forwarded RTP, so the fan-out of one packet to many subscribers runs on several cores
 * while routing (ICE, DTLS, RTCP, producers, consumers) stays on the main thread.
 *
 * Every worker binds the RtcServer's UDP port once, at start, with SO_REUSEPORT, so its
 * packets leave from the port browsers know; what its socket receives is handed back to
 * `onDatagram` in arrival order, or dropped when there is none (worker.ts). Each
 * subscriber transport is given to the least loaded worker at its first RTP packet
 * (`open`). The main thread rewrites every copy as before and appends it to that
 * worker's outbox; one transferred batch per worker per event-loop turn carries them
 * (a microtask flushes it). A worker that falls behind by more than `maxQueuedBytes`
 * gets no more packets until it catches up (counted as `worker_backpressure` drops);
 * a worker that dies is replaced for new transports, and the transports it served send
 * from the main thread again.
 */
import { Worker } from 'node:worker_threads';
import { type Logger, silentLogger } from '@itda/common';
import type { RtpEgress, RtpEgressProvider, Tuple } from '../../router/index.ts';
import type { SrtpProfile } from '../../srtp/index.ts';
import { COUNTERS, Counter, ENTRY_HEADER, type FromWorker, type ToWorker, type WorkerInit } from './protocol.ts';

export interface MediaWorkerPoolOptions {
  /** Worker threads, 1 … 64. */
  workers: number;
  /** The RtcServer's bind address and UDP port (the workers bind them with SO_REUSEPORT). */
  host: string;
  port: number;
  /**
   * A datagram a worker's socket received: the main thread's demultiplexer takes it.
   * Unset: the workers' sockets receive nothing meant for this server (it is bound to one
   * address, they to the wildcard) and drop what they get (`stray`).
   */
  onDatagram?: (datagram: Buffer, address: string, port: number) => void;
  /** Most bytes queued for one worker before packets for it are dropped. Default 8 MiB. */
  maxQueuedBytes?: number;
  /** Socket buffers of each worker, bytes. Default 4 MiB (capped by rmem_max/wmem_max). */
  bufferBytes?: number;
  logger?: Logger;
}

/** Totals over all workers, for metrics. */
export interface MediaWorkerStats {
  workers: number;
  /** Workers that ended other than by `close()` (crashed or restarted) since start. */
  crashes: number;
  sent: number;
  sentBytes: number;
  received: number;
  dropped: number;
  /** Datagrams the workers received and dropped (no `onDatagram`). */
  stray: number;
  /** Transports the workers send for. */
  transports: number;
  queuedBytes: number;
  /** Packets not handed to a worker because it was `maxQueuedBytes` behind. */
  backpressureDrops: number;
}

/**
 * A fresh outbox per batch, transferred whole (no copy): 64 KiB stays under malloc's mmap
 * threshold. A fan-out bigger than that is posted in several batches.
 */
const OUTBOX_BYTES = 64 * 1024;
const WORKER_URL = new URL('./worker.ts', import.meta.url);

/** One worker thread and its outbox. */
class MediaWorker {
  readonly worker: Worker;
  readonly counters: Float64Array;
  readonly queued: Int32Array;
  #outbox = Buffer.allocUnsafeSlow(OUTBOX_BYTES);
  readonly #maxQueued: number;
  readonly #flushTask = (): void => this.flush();
  #used = 0;
  #scheduled = false;
  alive = true;
  slots = 0;
  backpressureDrops = 0;

  constructor(init: Omit<WorkerInit, 'counters' | 'queued'>, maxQueued: number) {
    const counters = new SharedArrayBuffer(COUNTERS * 8);
    const queued = new SharedArrayBuffer(4);
    this.counters = new Float64Array(counters);
    this.queued = new Int32Array(queued);
    this.#maxQueued = maxQueued;
    const workerData: WorkerInit = { ...init, counters, queued };
    this.worker = new Worker(WORKER_URL, { workerData, name: 'itda-media' });
  }

  post(msg: ToWorker): void {
    if (this.alive) this.worker.postMessage(msg);
  }

  /** Appends one packet for `slot`; false when the worker is gone. */
  append(slot: number, packet: Uint8Array): boolean {
    if (!this.alive) return false;
    const length = packet.length;
    if (Atomics.load(this.queued, 0) + this.#used > this.#maxQueued) {
      this.backpressureDrops++;
      return true;
    }
    if (this.#used + ENTRY_HEADER + length > OUTBOX_BYTES) this.flush();
    const out = this.#outbox;
    let at = this.#used;
    out.writeUInt32BE(slot, at);
    out.writeUInt16BE(length, at + 4);
    at += ENTRY_HEADER;
    out.set(packet, at);
    this.#used = at + length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushTask);
    }
    return true;
  }

  /** Posts the outbox as one transferred batch. */
  flush(): void {
    this.#scheduled = false;
    const used = this.#used;
    if (used === 0 || !this.alive) return;
    this.#used = 0;
    const batch = this.#outbox.buffer as ArrayBuffer;
    this.#outbox = Buffer.allocUnsafeSlow(OUTBOX_BYTES);
    Atomics.add(this.queued, 0, used);
    this.worker.postMessage({ t: 'rtp', batch, length: used } satisfies ToWorker, [batch]);
  }
}

/** A transport's egress on one worker. */
class WorkerEgress implements RtpEgress {
  readonly #worker: MediaWorker;
  readonly #slot: number;
  #closed = false;

  constructor(worker: MediaWorker, slot: number) {
    this.#worker = worker;
    this.#slot = slot;
  }

  sendRtp(packet: Uint8Array): boolean {
    return !this.#closed && this.#worker.append(this.#slot, packet);
  }

  setTuple(tuple: Tuple): void {
    if (this.#closed) return;
    this.#worker.flush();
    this.#worker.post({ t: 'retarget', slot: this.#slot, address: tuple.address, port: tuple.port });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.flush();
    this.#worker.slots--;
    this.#worker.post({ t: 'close', slot: this.#slot });
  }
}

export class MediaWorkerPool implements RtpEgressProvider {
  readonly #options: MediaWorkerPoolOptions;
  readonly #log: Logger;
  readonly #workers: MediaWorker[] = [];
  /** Counters of workers that ended, so totals never go backwards. */
  readonly #retired = new Float64Array(COUNTERS);
  /** The replacement of a worker that exited, by index. */
  readonly #respawns = new Map<number, Promise<void>>();
  #retiredBackpressure = 0;
  #crashes = 0;
  #slots = 0;
  #closed = false;

  private constructor(options: MediaWorkerPoolOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
  }

  /** Starts `options.workers` threads and waits until each runs. */
  static async start(options: MediaWorkerPoolOptions): Promise<MediaWorkerPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1 || options.workers > 64) {
      throw new RangeError(`media workers must be an integer in 1..64, got ${options.workers}`);
    }
    const pool = new MediaWorkerPool(options);
    try {
      for (let i = 0; i < options.workers; i++) await pool.#spawn(i);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.#workers.filter((w) => w.alive).length;
  }

  async #spawn(index: number): Promise<void> {
    const w = new MediaWorker(
      {
        host: this.#options.host,
        port: this.#options.port,
        bufferBytes: this.#options.bufferBytes ?? 4 * 1024 * 1024,
        handBack: this.#options.onDatagram !== undefined,
      },
      this.#options.maxQueuedBytes ?? 8 * 1024 * 1024,
    );
    this.#workers[index] = w;
    w.worker.on('error', (err) => this.#log.error('media worker failed', { worker: index, err }));
    w.worker.once('exit', (code) => this.#onExit(index, w, code));
    await new Promise<void>((resolve, reject) => {
      w.worker.on('message', (msg: FromWorker) => {
        if (msg.t === 'ready') resolve();
        else this.#onMessage(msg);
      });
      w.worker.once('error', reject);
      w.worker.once('exit', (code) => reject(new Error(`media worker exited with ${code} before it was ready`)));
    });
  }

  #onMessage(msg: Exclude<FromWorker, { t: 'ready' }>): void {
    if (msg.t === 'log') {
      if (msg.level === 'error') this.#log.error(msg.msg, msg.fields);
      else this.#log.warn(msg.msg, msg.fields);
      return;
    }
    // [port u16][address length u8][address][length u16][datagram], in arrival order.
    const bytes = Buffer.from(msg.batch);
    const onDatagram = this.#options.onDatagram;
    if (onDatagram === undefined) return;
    let at = 0;
    while (at + 5 <= bytes.length) {
      const port = bytes.readUInt16BE(at);
      const addressLength = bytes[at + 2] ?? 0;
      const address = bytes.toString('latin1', at + 3, at + 3 + addressLength);
      at += 3 + addressLength;
      const length = bytes.readUInt16BE(at);
      at += 2;
      onDatagram(bytes.subarray(at, at + length), address, port);
      at += length;
    }
  }

  #onExit(index: number, w: MediaWorker, code: number): void {
    w.alive = false;
    for (let i = 0; i < COUNTERS; i++)
      if (i !== Counter.Transports) this.#retired[i] = (this.#retired[i] ?? 0) + (w.counters[i] ?? 0);
    this.#retiredBackpressure += w.backpressureDrops;
    if (this.#closed) return;
    this.#crashes++;
    this.#log.error('media worker exited; its transports send from the main thread', { worker: index, code });
    this.#respawns.set(
      index,
      this.#spawn(index).catch((err: unknown) =>
        this.#log.error('media worker restart failed', { worker: index, err }),
      ),
    );
  }

  open(params: { tuple: Tuple; profile: SrtpProfile; key: Uint8Array; salt: Uint8Array }): RtpEgress | undefined {
    if (this.#closed || params.tuple.protocol !== 'udp') return undefined;
    let best: MediaWorker | undefined;
    for (const w of this.#workers) if (w?.alive && (best === undefined || w.slots < best.slots)) best = w;
    if (best === undefined) return undefined;
    this.#slots = (this.#slots + 1) >>> 0;
    const slot = this.#slots;
    best.slots++;
    best.post({
      t: 'open',
      slot,
      address: params.tuple.address,
      port: params.tuple.port,
      profile: params.profile,
      key: params.key,
      salt: params.salt,
    });
    return new WorkerEgress(best, slot);
  }

  /**
   * Ends worker `index` and starts a new one in its place (for operators, and for the
   * crash tests). The transports it sent for go back to the main thread; new ones may
   * use the new worker.
   */
  async restartWorker(index: number): Promise<void> {
    const w = this.#workers[index];
    if (w === undefined || this.#closed) throw new RangeError(`no media worker ${index}`);
    await w.worker.terminate();
    await this.#respawns.get(index);
  }

  stats(): MediaWorkerStats {
    const sum = Float64Array.from(this.#retired);
    sum[Counter.Transports] = 0;
    let queuedBytes = 0;
    let backpressureDrops = this.#retiredBackpressure;
    for (const w of this.#workers) {
      if (w === undefined || !w.alive) continue;
      for (let i = 0; i < COUNTERS; i++) sum[i] = (sum[i] ?? 0) + (w.counters[i] ?? 0);
      queuedBytes += Atomics.load(w.queued, 0);
      backpressureDrops += w.backpressureDrops;
    }
    return {
      workers: this.size,
      crashes: this.#crashes,
      sent: sum[Counter.Sent] ?? 0,
      sentBytes: sum[Counter.SentBytes] ?? 0,
      received: sum[Counter.Received] ?? 0,
      dropped: sum[Counter.Dropped] ?? 0,
      stray: sum[Counter.Stray] ?? 0,
      transports: sum[Counter.Transports] ?? 0,
      queuedBytes,
      backpressureDrops,
    };
  }

  /** Stops every worker (their sockets close with them). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => (w === undefined ? undefined : w.worker.terminate())));
  }
}
