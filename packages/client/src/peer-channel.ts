/**
 * The chat-and-files channel to one peer: decodes incoming frames, reassembles
 * files, and queues outgoing files so that one file at a time is on the wire (binary
 * frames carry no file id). DOM-free; the RTCDataChannel is wired in by PeerLink:
 * `dc.onmessage = (e) => channel.receive(e.data)`.
 */
import { TypedEmitter } from '@itda/common';
import { ClientError, ClientErrorCode } from './errors.ts';
import { type ChannelLike, FileReceiver, type OutgoingFile, type ReceivedFile, sendFile } from './file-transfer.ts';
import { type ChatFrame, decodePeerFrame, encodePeerFrame, MAX_FILE_BYTES } from './peer-protocol.ts';

/** Progress of one file in one direction on this channel. */
export interface ChannelFileProgress {
  id: string;
  name: string;
  size: number;
  mime: string;
  direction: 'send' | 'receive';
  /** Bytes sent (handed to the channel) or received so far. */
  transferred: number;
}

export type PeerChannelEvents = {
  chat: [frame: ChatFrame];
  fileProgress: [progress: ChannelFileProgress];
  fileReceived: [file: ReceivedFile];
  /** A transfer failed or a frame was invalid; `id` names the file when known. */
  error: [err: ClientError, id: string | undefined];
};

export interface PeerChannelOptions {
  /** Largest file sent or received, in bytes. Default 100 MiB. */
  maxFileBytes?: number;
  /**
   * Drop binary frames and `file-end`s outside a transfer silently instead of reporting
   * them: for relayed data (`sfu` rooms), where a participant who joined mid-file sees
   * the rest of it. Default false.
   */
  ignoreStrayFrames?: boolean;
  /** Bytes per binary file frame. Default 16 KiB (FILE_CHUNK_BYTES). */
  chunkBytes?: number;
}

export class PeerChannel extends TypedEmitter<PeerChannelEvents> {
  readonly #ch: ChannelLike;
  readonly #receiver: FileReceiver;
  readonly #maxFileBytes: number;
  readonly #ignoreStray: boolean;
  readonly #chunkBytes: number | undefined;
  readonly #abort = new AbortController();
  #queue: Promise<void> = Promise.resolve();
  /** Frames are handled in order even though verifying a file-end is async. */
  #inbox: Promise<void> = Promise.resolve();

  constructor(ch: ChannelLike, options: PeerChannelOptions = {}) {
    super();
    this.#ch = ch;
    this.#maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
    this.#ignoreStray = options.ignoreStrayFrames === true;
    this.#chunkBytes = options.chunkBytes;
    this.#receiver = new FileReceiver(this.#maxFileBytes);
  }

  get isOpen(): boolean {
    return this.#ch.readyState === 'open';
  }

  /** Sends a chat frame; returns false when the channel is not open. */
  sendChat(frame: ChatFrame): boolean {
    if (!this.isOpen) return false;
    this.#ch.send(encodePeerFrame(frame));
    return true;
  }

  /**
   * Queues a file; resolves when its last byte was handed to the channel. Rejects
   * with `file_too_large` or `transfer_aborted`; progress is emitted as `fileProgress`.
   */
  sendFile(file: OutgoingFile): Promise<void> {
    const run = async (): Promise<void> => {
      const base = { id: file.id, name: file.name, size: file.blob.size, mime: file.mime, direction: 'send' as const };
      this.emit('fileProgress', { ...base, transferred: 0 });
      await sendFile(this.#ch, file, {
        ...(this.#chunkBytes === undefined ? {} : { chunkBytes: this.#chunkBytes }),
        maxFileBytes: this.#maxFileBytes,
        signal: this.#abort.signal,
        onProgress: (transferred) => this.emit('fileProgress', { ...base, transferred }),
      });
    };
    const result = this.#queue.then(run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Feeds one incoming frame (string = control frame, ArrayBuffer = file bytes). */
  receive(data: string | ArrayBuffer): void {
    this.#inbox = this.#inbox.then(() => this.#handle(data)).catch(() => undefined);
  }

  /** Resolves when every frame received so far has been handled. For tests. */
  settled(): Promise<void> {
    return this.#inbox;
  }

  async #handle(data: string | ArrayBuffer): Promise<void> {
    let fileId: string | undefined;
    try {
      if (typeof data !== 'string') {
        fileId = this.#receiver.current?.id;
        if (fileId === undefined && this.#ignoreStray) return;
        const { id, received } = this.#receiver.chunk(data);
        const cur = this.#receiver.current;
        if (cur !== undefined) this.emit('fileProgress', { ...this.#describe(cur), id, transferred: received });
        return;
      }
      const frame = decodePeerFrame(data);
      fileId = frame.t === 'chat' ? undefined : frame.id;
      switch (frame.t) {
        case 'chat':
          this.emit('chat', frame);
          return;
        case 'file-start': {
          this.#receiver.start(frame);
          this.emit('fileProgress', { ...this.#describe(frame), transferred: 0 });
          return;
        }
        case 'file-end': {
          if (this.#ignoreStray && this.#receiver.current?.id !== frame.id) return;
          const file = await this.#receiver.end(frame);
          this.emit('fileReceived', file);
          return;
        }
        case 'file-cancel':
          this.#receiver.cancel(frame.id);
          return;
      }
    } catch (err) {
      const e =
        err instanceof ClientError
          ? err
          : new ClientError(ClientErrorCode.InvalidPeerMessage, 'failed to handle a peer frame', { cause: err });
      this.emit('error', e, fileId);
    }
  }

  #describe(f: { id: string; name: string; size: number; mime: string }): Omit<ChannelFileProgress, 'transferred'> {
    return { id: f.id, name: f.name, size: f.size, mime: f.mime, direction: 'receive' };
  }

  /** Aborts outgoing transfers and drops a partial incoming file. Idempotent. */
  close(): void {
    this.#abort.abort();
    this.#receiver.abort();
  }
}
