/**
 * What the main thread and a media worker say to each other (docs/sfu/workers.md).
 *
 * Control messages are structured-cloned objects. RTP travels in batches: one
 * transferred ArrayBuffer holds every packet queued for a worker during one turn of the
 * main thread's event loop (the fan-out of one incoming packet, usually), as entries of
 * `[slot u32][length u16][plaintext RTP]`; datagrams the worker received travel back
 * the same way, one batch per poll phase of its loop. Counters live in a SharedArrayBuffer the
 * worker writes and the main thread reads: no message per statistic.
 */
import type { SrtpProfile } from '../../srtp/index.ts';

/** `workerData` of a media worker. */
export interface WorkerInit {
  /** The RtcServer's bind address and UDP port: every worker socket binds them too (SO_REUSEPORT). */
  host: string;
  port: number;
  /** Socket buffer sizes, bytes (0: the kernel's defaults). */
  bufferBytes: number;
  /** Hand received datagrams to the main thread; false: they were not meant for it, drop them (`Stray`). */
  handBack: boolean;
  /** Counters, `Float64Array` view, indexed by `Counter`. */
  counters: SharedArrayBuffer;
  /** Bytes queued for the worker and not yet sent, `Int32Array` view, index 0. */
  queued: SharedArrayBuffer;
}

/** Main → worker. */
export type ToWorker =
  | {
      t: 'open';
      slot: number;
      address: string;
      port: number;
      profile: SrtpProfile;
      key: Uint8Array;
      salt: Uint8Array;
    }
  | { t: 'retarget'; slot: number; address: string; port: number }
  | { t: 'close'; slot: number }
  /** `length` bytes of `batch` hold entries; the rest is unused. */
  | { t: 'rtp'; batch: ArrayBuffer; length: number };

/** Worker → main. */
export type FromWorker =
  /** The worker's socket is bound: it can take transports. */
  | { t: 'ready' }
  /**
   * Datagrams the kernel gave the worker's socket (SO_REUSEPORT hashes each remote 4-tuple
   * to one socket of the group), for the main thread's demultiplexer: entries of
   * `[port u16][address length u8][address, latin1][length u16][datagram]`.
   */
  | { t: 'rx'; batch: ArrayBuffer }
  | { t: 'log'; level: 'warn' | 'error'; msg: string; fields: Record<string, unknown> };

/** Indices of the shared counters (Float64, written by the worker only). */
export const Counter = {
  /** SRTP packets sent. */
  Sent: 0,
  /** SRTP bytes sent (after encryption). */
  SentBytes: 1,
  /** Datagrams received on the worker's socket and handed to the main thread. */
  Received: 2,
  /** Packets not sent: SRTP failure, socket error, slot unknown. */
  Dropped: 3,
  /** Transports the worker sends for. */
  Transports: 4,
  /** Datagrams received and dropped here (`handBack` false: sent to another local address). */
  Stray: 5,
} as const;
export const COUNTERS = 6;

/** Bytes of an entry's header in a batch. */
export const ENTRY_HEADER = 6;
