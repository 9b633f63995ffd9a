/**
 * The last N packets of one outgoing stream, indexed by sequence number, in
 * preallocated slots (no allocation per packet). Answers NACKs (RFC 4585 §6.2.1).
 */
export class RetransmissionRing {
  readonly #mask: number;
  readonly #slots: Buffer[];
  readonly #lengths: Int32Array;
  readonly #seqs: Int32Array;

  /** @param slots a power of two, 16 … 32,768. @param maxPacket largest packet kept, bytes. */
  constructor(slots: number, maxPacket: number) {
    if (!Number.isInteger(slots) || slots < 16 || slots > 32768 || (slots & (slots - 1)) !== 0) {
      throw new RangeError(`slots must be a power of two in 16…32768, got ${slots}`);
    }
    this.#mask = slots - 1;
    this.#slots = [];
    this.#lengths = new Int32Array(slots);
    this.#seqs = new Int32Array(slots).fill(-1);
    for (let i = 0; i < slots; i++) this.#slots.push(Buffer.alloc(0));
    this.#maxPacket = maxPacket;
  }

  readonly #maxPacket: number;

  /** Keeps a copy of `packet` as sequence number `seq`. */
  store(seq: number, packet: Uint8Array): void {
    if (packet.length > this.#maxPacket) return;
    const i = seq & this.#mask;
    let slot = this.#slots[i]!;
    if (slot.length === 0) {
      slot = Buffer.allocUnsafe(this.#maxPacket);
      this.#slots[i] = slot;
    }
    slot.set(packet, 0);
    this.#lengths[i] = packet.length;
    this.#seqs[i] = seq;
  }

  /** The stored packet with sequence number `seq` (a view valid until the next `store`), if still kept. */
  get(seq: number): Uint8Array | undefined {
    const i = seq & this.#mask;
    if (this.#seqs[i] !== seq) return undefined;
    return this.#slots[i]!.subarray(0, this.#lengths[i]);
  }
}
