/**
 * Cutting STUN messages and padded ChannelData frames out of a TURN TCP/TLS byte stream
 * (RFC 8656 §12.5, RFC 8489 §6.2.2). No I/O.
 */
import { streamFrameLength } from '@itda/stun';

/**
 * Feeds stream chunks in, gets whole frames out. Frames are views of buffers the framer
 * never writes to again, so a frame stays valid after the next `push`.
 *
 * @throws StunDecodeError stun_unknown_frame / stun_bad_length from `push` when the
 *   stream is not TURN framing; the stream cannot be resynchronised: close it.
 */
export class StreamFramer {
  #pending: Uint8Array = new Uint8Array(0);

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.#pending.length;
  }

  /** Appends `chunk` and calls `onFrame` for each whole frame, in order. */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    let buf: Uint8Array;
    if (this.#pending.length === 0) {
      buf = chunk;
    } else {
      buf = new Uint8Array(this.#pending.length + chunk.length);
      buf.set(this.#pending, 0);
      buf.set(chunk, this.#pending.length);
    }
    let at = 0;
    for (;;) {
      const rest = buf.subarray(at);
      const length = streamFrameLength(rest);
      if (length === undefined || length > rest.length) break;
      at += length;
      onFrame(rest.subarray(0, length));
    }
    // At most one partial frame stays: streamFrameLength bounds a frame to 20 + 65,535 bytes.
    this.#pending = buf.subarray(at);
  }
}
