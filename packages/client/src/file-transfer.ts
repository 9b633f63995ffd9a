/**
 * Sending and receiving files over a data channel, per the peer protocol in
 * peer-protocol.ts. DOM-free: works on anything shaped like an RTCDataChannel
 * (`ChannelLike`), so it is tested in Node with an in-memory channel pair.
 */
import { ClientError, ClientErrorCode } from './errors.ts';
import {
  encodePeerFrame,
  FILE_CHUNK_BYTES,
  type FileEndFrame,
  type FileStartFrame,
  MAX_CHUNK_BYTES,
  MAX_FILE_BYTES,
  sanitizeFileName,
} from './peer-protocol.ts';

/** The part of RTCDataChannel that file transfer uses. */
export interface ChannelLike {
  readonly readyState: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: string | ArrayBuffer): void;
  addEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
  removeEventListener(type: 'bufferedamountlow' | 'close', listener: () => void): void;
}

export interface SendFileOptions {
  /** Bytes per binary frame. Default 16 KiB (FILE_CHUNK_BYTES); at most 64 KiB. */
  chunkBytes?: number;
  /** Stop writing while `bufferedAmount` is above this, in bytes. Default 1 MiB. */
  highWaterMark?: number;
  /** Resume writing when `bufferedAmount` falls to this (`bufferedAmountLowThreshold`). Default 256 KiB. */
  lowWaterMark?: number;
  /** Largest file accepted, in bytes. Default 100 MiB (MAX_FILE_BYTES). */
  maxFileBytes?: number;
  /** Called after each chunk is handed to the channel with the bytes sent so far. */
  onProgress?: (sentBytes: number) => void;
  /** Aborts the transfer (a `file-cancel` is sent if the channel is still open). */
  signal?: AbortSignal;
}

export interface OutgoingFile {
  id: string;
  name: string;
  mime: string;
  blob: Blob;
}

/** Hex SHA-256 of `data`, or undefined where WebCrypto is missing (insecure contexts). */
export async function sha256Hex(data: ArrayBuffer): Promise<string | undefined> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return undefined;
  const digest = new Uint8Array(await subtle.digest('SHA-256', data));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

function aborted(message: string, cause?: unknown): ClientError {
  return new ClientError(ClientErrorCode.TransferAborted, message, { cause });
}

/** Resolves when `bufferedAmount` drops to the low-water mark; rejects when the channel closes. */
function drained(ch: ChannelLike, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: ClientError): void => {
      ch.removeEventListener('bufferedamountlow', onLow);
      ch.removeEventListener('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onLow = (): void => done();
    const onClose = (): void => done(aborted('data channel closed during transfer'));
    const onAbort = (): void => done(aborted('transfer cancelled'));
    ch.addEventListener('bufferedamountlow', onLow);
    ch.addEventListener('close', onClose);
    signal?.addEventListener('abort', onAbort);
    // The event may already have fired between the check and the listener.
    if (ch.bufferedAmount <= ch.bufferedAmountLowThreshold) done();
  });
}

/**
 * Sends one file: `file-start`, 16 KiB binary chunks with bufferedAmountLowThreshold
 * backpressure, then `file-end` (with the SHA-256 when WebCrypto is available).
 * Rejects with `file_too_large` or `transfer_aborted`.
 */
export async function sendFile(ch: ChannelLike, file: OutgoingFile, options: SendFileOptions = {}): Promise<void> {
  const chunkBytes = Math.min(MAX_CHUNK_BYTES, Math.max(1024, options.chunkBytes ?? FILE_CHUNK_BYTES));
  const high = options.highWaterMark ?? 1024 * 1024;
  const low = Math.min(high, options.lowWaterMark ?? 256 * 1024);
  const max = options.maxFileBytes ?? MAX_FILE_BYTES;
  const size = file.blob.size;
  if (size > max) throw new ClientError(ClientErrorCode.FileTooLarge, `file is larger than ${max} bytes`);
  const { signal } = options;
  const check = (): void => {
    if (signal?.aborted) {
      if (ch.readyState === 'open') ch.send(encodePeerFrame({ t: 'file-cancel', id: file.id }));
      throw aborted('transfer cancelled');
    }
    if (ch.readyState !== 'open') throw aborted('data channel is not open');
  };
  check();
  ch.bufferedAmountLowThreshold = low;
  const start: FileStartFrame = {
    t: 'file-start',
    id: file.id,
    name: sanitizeFileName(file.name),
    size,
    mime: file.mime.slice(0, 255),
  };
  ch.send(encodePeerFrame(start));
  let sent = 0;
  while (sent < size) {
    if (ch.bufferedAmount > high) await drained(ch, signal);
    check();
    const end = Math.min(size, sent + chunkBytes);
    const chunk = await file.blob.slice(sent, end).arrayBuffer();
    check();
    ch.send(chunk);
    sent = end;
    options.onProgress?.(sent);
  }
  const sha256 = await sha256Hex(await file.blob.arrayBuffer());
  check();
  const endFrame: FileEndFrame =
    sha256 === undefined ? { t: 'file-end', id: file.id } : { t: 'file-end', id: file.id, sha256 };
  ch.send(encodePeerFrame(endFrame));
  if (size === 0) options.onProgress?.(0);
}

/**
 * The type of every received Blob. A received file is content from another participant:
 * typed with the sender's mime (`text/html`, `image/svg+xml`), a `blob:` URL of it opened
 * in a tab would render it as a document in the app's own origin, where its scripts
 * could read the app's storage. As `application/octet-stream` the browser only ever
 * downloads it: the HTML navigation algorithm hands a response of a type it does not
 * render to the download manager ("handle as a download"), never to a document.
 */
export const RECEIVED_BLOB_TYPE = 'application/octet-stream';

/** A file that arrived whole and verified. */
export interface ReceivedFile {
  id: string;
  name: string;
  size: number;
  /** The type the sender announced: for display only, never the Blob's type. */
  mime: string;
  /** The bytes, typed `application/octet-stream` (RECEIVED_BLOB_TYPE) whatever `mime` says. */
  blob: Blob;
}

/**
 * Reassembles incoming files, one at a time per channel. Feed it the control frames
 * and binary chunks in arrival order; it checks sizes against the announcement and
 * the limit, and the SHA-256 when one is given.
 */
export class FileReceiver {
  readonly #maxFileBytes: number;
  #current: { start: FileStartFrame; chunks: ArrayBuffer[]; received: number } | undefined;

  /** `maxFileBytes`: largest file accepted. Default 100 MiB. */
  constructor(maxFileBytes: number = MAX_FILE_BYTES) {
    this.#maxFileBytes = maxFileBytes;
  }

  /** The transfer in progress, if any. */
  get current(): { id: string; name: string; size: number; mime: string; received: number } | undefined {
    const c = this.#current;
    return c === undefined ? undefined : { ...c.start, received: c.received };
  }

  /** Begins a file. A transfer still in progress is dropped (returned so it can be reported). */
  start(frame: FileStartFrame): FileStartFrame | undefined {
    const dropped = this.#current?.start;
    this.#current = undefined;
    if (frame.size > this.#maxFileBytes) {
      throw new ClientError(ClientErrorCode.FileTooLarge, `incoming file is larger than ${this.#maxFileBytes} bytes`, {
        details: { id: frame.id },
      });
    }
    this.#current = { start: frame, chunks: [], received: 0 };
    return dropped;
  }

  /** Adds a binary chunk; returns the bytes received so far. */
  chunk(data: ArrayBuffer): { id: string; received: number; size: number } {
    const c = this.#current;
    if (c === undefined) throw new ClientError(ClientErrorCode.FileCorrupt, 'binary frame outside a file transfer');
    if (data.byteLength > MAX_CHUNK_BYTES || c.received + data.byteLength > c.start.size) {
      this.#current = undefined;
      throw new ClientError(ClientErrorCode.FileCorrupt, 'file is longer than announced', {
        details: { id: c.start.id },
      });
    }
    c.chunks.push(data);
    c.received += data.byteLength;
    return { id: c.start.id, received: c.received, size: c.start.size };
  }

  /** Completes the file named by `frame`; verifies size and SHA-256. */
  async end(frame: FileEndFrame): Promise<ReceivedFile> {
    const c = this.#current;
    this.#current = undefined;
    if (c === undefined || c.start.id !== frame.id) {
      throw new ClientError(ClientErrorCode.FileCorrupt, 'file-end for a file that was not started', {
        details: { id: frame.id },
      });
    }
    const { id, name, size, mime } = c.start;
    if (c.received !== size) {
      throw new ClientError(ClientErrorCode.FileCorrupt, `received ${c.received} of ${size} bytes`, {
        details: { id },
      });
    }
    const blob = new Blob(c.chunks, { type: RECEIVED_BLOB_TYPE });
    if (frame.sha256 !== undefined) {
      const actual = await sha256Hex(await blob.arrayBuffer());
      if (actual !== undefined && actual !== frame.sha256) {
        throw new ClientError(ClientErrorCode.FileCorrupt, 'SHA-256 mismatch', { details: { id } });
      }
    }
    return { id, name, size, mime, blob };
  }

  /** Drops the file named `id` (peer sent `file-cancel`); returns whether one was dropped. */
  cancel(id: string): boolean {
    if (this.#current?.start.id !== id) return false;
    this.#current = undefined;
    return true;
  }

  /** Drops whatever is in progress (channel closed); returns it. */
  abort(): FileStartFrame | undefined {
    const dropped = this.#current?.start;
    this.#current = undefined;
    return dropped;
  }
}
