/**
 * The last N packets of one stream, indexed by sequence number, in ONE preallocated
 * buffer of N × `maxPacket` bytes (no allocation and no object per packet, and a single
 * object for the garbage collector however many packets it holds). Answers NACKs
 * (RFC 4585 §6.2.1).
 */
export class RetransmissionRing {
  readonly #mask: number;
  readonly #maxPacket: number;
  readonly #data: Buffer;
  readonly #lengths: Int32Array;
  readonly #seqs: Int32Array;

  /** @param slots a power of two, 16 … 32,768. @param maxPacket largest packet kept, bytes. */
  constructor(slots: number, maxPacket: number) {
    if (!Number.isInteger(slots) || slots < 16 || slots > 32768 || (slots & (slots - 1)) !== 0) {
      throw new RangeError(`slots must be a power of two in 16…32768, got ${slots}`);
    }
    this.#mask = slots - 1;
    this.#maxPacket = maxPacket;
    this.#data = Buffer.allocUnsafeSlow(slots * maxPacket);
    this.#lengths = new Int32Array(slots);
    this.#seqs = new Int32Array(slots).fill(-1);
  }

  /** Bytes this ring holds (its fixed size). */
  get byteLength(): number {
    return this.#data.length;
  }

  /** Keeps a copy of `packet[offset, offset + length)` as sequence number `seq`. */
  store(seq: number, packet: Uint8Array, offset = 0, length = packet.length - offset): void {
    if (length > this.#maxPacket) return;
    const i = seq & this.#mask;
    this.#data.set(packet.subarray(offset, offset + length), i * this.#maxPacket);
    this.#lengths[i] = length;
    this.#seqs[i] = seq;
  }

  /** The stored packet with sequence number `seq` (a view valid until the next `store`), if still kept. */
  get(seq: number): Uint8Array | undefined {
    const i = seq & this.#mask;
    if (this.#seqs[i] !== seq) return undefined;
    const start = i * this.#maxPacket;
    return this.#data.subarray(start, start + (this.#lengths[i] as number));
  }
}
