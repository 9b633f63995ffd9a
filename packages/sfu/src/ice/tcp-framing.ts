/**
 * RFC 4571 framing for ICE-TCP (RFC 6544 §3): on a TCP connection every STUN, DTLS and
 * SRTP packet is preceded by its length as a 16-bit big-endian number, so a frame is at
 * most 65,535 bytes by definition.
 */
import { IceError, IceErrorCode } from './errors.ts';

/** The largest RFC 4571 frame: the 16-bit LENGTH field's maximum. */
export const TCP_FRAME_MAX = 65_535;

/** Limits of TcpFrameDecoder, validated in the constructor. */
export interface TcpFrameDecoderOptions {
  /**
   * Largest frame accepted; a LENGTH above it fails the connection at once
   * (ice_tcp_frame_too_large), before its bytes arrive. Default 65,535; 1–65,535.
   */
  maxFrameBytes?: number;
  /**
   * Most bytes held between `push` calls for one connection (the incomplete frame and
   * its header). Complete frames are never held. Default 65,537 (one largest frame with
   * its header); 2–65,537. Exceeding it fails with ice_tcp_buffer_overflow.
   */
  maxBufferedBytes?: number;
}

/**
 * Cuts RFC 4571 frames out of one TCP connection's byte stream. `push` each received
 * chunk; it returns the frames completed by it, in order. A frame that lies inside one
 * chunk is returned as a view of that chunk (no copy, valid while the chunk is); a frame
 * split over chunks is assembled in its own buffer, allocated once its length is known.
 * Zero-length frames carry nothing and are skipped.
 *
 * After an error the decoder is failed: every later `push` throws the same error; close
 * the connection.
 */
export class TcpFrameDecoder {
  readonly #maxFrame: number;
  readonly #maxBuffered: number;
  /** Bytes of the length header seen so far (0 or 1 between pushes; 0 while a body is pending). */
  #headerBytes = 0;
  #headerValue = 0;
  #frame: Buffer | undefined;
  #filled = 0;
  #failed: IceError | undefined;

  /** @throws IceError ice_bad_option */
  constructor(options: TcpFrameDecoderOptions = {}) {
    const maxFrame = options.maxFrameBytes ?? TCP_FRAME_MAX;
    const maxBuffered = options.maxBufferedBytes ?? TCP_FRAME_MAX + 2;
    if (!Number.isInteger(maxFrame) || maxFrame < 1 || maxFrame > TCP_FRAME_MAX) {
      throw new IceError(IceErrorCode.BadOption, `maxFrameBytes must be an integer in 1–${TCP_FRAME_MAX}`);
    }
    if (!Number.isInteger(maxBuffered) || maxBuffered < 2 || maxBuffered > TCP_FRAME_MAX + 2) {
      throw new IceError(IceErrorCode.BadOption, `maxBufferedBytes must be an integer in 2–${TCP_FRAME_MAX + 2}`);
    }
    this.#maxFrame = maxFrame;
    this.#maxBuffered = maxBuffered;
  }

  /** Bytes held for the incomplete frame (header included). */
  get bufferedBytes(): number {
    return this.#frame === undefined ? this.#headerBytes : 2 + this.#filled;
  }

  /**
   * Feeds one chunk; returns the frames it completed.
   * @throws IceError ice_tcp_frame_too_large, ice_tcp_buffer_overflow
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.#failed !== undefined) throw this.#failed;
    const out: Buffer[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      let frame = this.#frame;
      if (frame === undefined) {
        let length: number;
        if (this.#headerBytes === 0 && n - i >= 2) {
          length = ((chunk[i] as number) << 8) | (chunk[i + 1] as number);
          i += 2;
        } else if (this.#headerBytes === 0) {
          this.#headerValue = (chunk[i] as number) << 8;
          this.#headerBytes = 1;
          i++;
          continue;
        } else {
          length = this.#headerValue | (chunk[i] as number);
          this.#headerBytes = 0;
          i++;
        }
        if (length > this.#maxFrame) this.#fail(IceErrorCode.TcpFrameTooLarge, length);
        if (length === 0) continue;
        if (n - i >= length) {
          out.push(Buffer.from(chunk.buffer, chunk.byteOffset + i, length));
          i += length;
          continue;
        }
        // The frame continues in later chunks: it will be held.
        if (2 + length > this.#maxBuffered) this.#fail(IceErrorCode.TcpBufferOverflow, length);
        frame = Buffer.allocUnsafe(length);
        this.#frame = frame;
        this.#filled = 0;
      }
      const take = Math.min(frame.length - this.#filled, n - i);
      frame.set(chunk.subarray(i, i + take), this.#filled);
      this.#filled += take;
      i += take;
      if (this.#filled === frame.length) {
        out.push(frame);
        this.#frame = undefined;
        this.#filled = 0;
      }
    }
    return out;
  }

  #fail(code: IceErrorCode, length: number): never {
    const limit = code === IceErrorCode.TcpFrameTooLarge ? this.#maxFrame : this.#maxBuffered;
    this.#failed = new IceError(code, `RFC 4571 frame of ${length} bytes is over the limit of ${limit}`, {
      details: { length, limit },
    });
    this.#frame = undefined;
    throw this.#failed;
  }
}

/**
 * One packet framed for ICE-TCP: 2-byte length, then the packet (a new buffer).
 * @throws IceError ice_tcp_frame_too_large when the packet is over 65,535 bytes.
 */
export function frameTcp(packet: Uint8Array): Buffer {
  const length = packet.length;
  if (length > TCP_FRAME_MAX) {
    throw new IceError(IceErrorCode.TcpFrameTooLarge, `packet of ${length} bytes does not fit an RFC 4571 frame`, {
      details: { length, limit: TCP_FRAME_MAX },
    });
  }
  const out = Buffer.allocUnsafe(2 + length);
  out[0] = length >>> 8;
  out[1] = length & 0xff;
  out.set(packet, 2);
  return out;
}
