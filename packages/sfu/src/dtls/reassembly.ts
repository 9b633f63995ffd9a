/**
 * Reassembly of fragmented plaintext handshake messages (RFC 6347 §4.2.3) in front of the
 * DTLS engine. werift reassembles only fragments that arrive in order and without
 * duplicates; a large ClientHello (a DTLS 1.3-capable browser with a post-quantum key share
 * does not fit one datagram) or a fragmented Certificate can arrive reordered or twice.
 * Here fragments are placed by offset, duplicates and overlaps are harmless, and the engine
 * only ever sees whole messages (fragment_offset 0, fragment_length = length).
 * Only epoch 0 is visible to us; the one encrypted handshake message (Finished) is small.
 */

const HANDSHAKE_HEADER = 12;
const RECORD_HEADER = 13;
/** Largest handshake message we reassemble (certificate chains of browsers are < 2 KB). */
export const MAX_HANDSHAKE_LENGTH = 32_768;
/** Messages reassembled at once; more means someone is flooding us. */
const MAX_PENDING = 4;

interface Pending {
  type: number;
  body: Buffer;
  /** One byte per body byte: 1 once received. */
  have: Uint8Array;
  missing: number;
}

export class HandshakeReassembler {
  readonly #pending = new Map<number, Pending>();

  /**
   * One epoch-0 handshake record in; the record to give the engine out (whole messages
   * only), or undefined when nothing in it is complete yet. Throws `RangeError` on a
   * malformed fragment (the caller drops the record).
   */
  push(record: Uint8Array): Uint8Array | undefined {
    const whole: Uint8Array[] = [];
    let p = RECORD_HEADER;
    while (p < record.length) {
      if (record.length - p < HANDSHAKE_HEADER) throw new RangeError('handshake header cut short');
      const type = record[p] ?? 0;
      const length = u24(record, p + 1);
      const seq = ((record[p + 4] ?? 0) << 8) | (record[p + 5] ?? 0);
      const offset = u24(record, p + 6);
      const fragLength = u24(record, p + 9);
      const data = p + HANDSHAKE_HEADER;
      if (data + fragLength > record.length || offset + fragLength > length || length > MAX_HANDSHAKE_LENGTH) {
        throw new RangeError('handshake fragment out of bounds');
      }
      if (offset === 0 && fragLength === length) {
        whole.push(record.subarray(p, data + fragLength));
      } else {
        const done = this.#add(type, length, seq, offset, record.subarray(data, data + fragLength));
        if (done !== undefined) whole.push(done);
      }
      p = data + fragLength;
    }
    if (whole.length === 0) return undefined;
    const total = whole.reduce((n, m) => n + m.length, 0);
    const out = Buffer.alloc(RECORD_HEADER + total);
    out.set(record.subarray(0, RECORD_HEADER - 2), 0);
    out.writeUInt16BE(total, RECORD_HEADER - 2);
    let at = RECORD_HEADER;
    for (const m of whole) {
      out.set(m, at);
      at += m.length;
    }
    return out;
  }

  #add(type: number, length: number, seq: number, offset: number, fragment: Uint8Array): Uint8Array | undefined {
    let m = this.#pending.get(seq);
    if (m !== undefined && (m.type !== type || m.body.length !== length)) {
      throw new RangeError('fragment does not match the message it continues');
    }
    if (m === undefined) {
      if (this.#pending.size >= MAX_PENDING) {
        const oldest = this.#pending.keys().next().value;
        if (oldest !== undefined) this.#pending.delete(oldest);
      }
      m = { type, body: Buffer.alloc(length), have: new Uint8Array(length), missing: length };
      this.#pending.set(seq, m);
    }
    m.body.set(fragment, offset);
    for (let i = offset; i < offset + fragment.length; i++) {
      if (m.have[i] === 0) {
        m.have[i] = 1;
        m.missing--;
      }
    }
    if (m.missing > 0) return undefined;
    this.#pending.delete(seq);
    const msg = Buffer.alloc(HANDSHAKE_HEADER + length);
    msg[0] = type;
    msg.writeUIntBE(length, 1, 3);
    msg.writeUInt16BE(seq, 4);
    msg.writeUIntBE(0, 6, 3);
    msg.writeUIntBE(length, 9, 3);
    m.body.copy(msg, HANDSHAKE_HEADER);
    return msg;
  }

  clear(): void {
    this.#pending.clear();
  }
}

function u24(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 16) | ((b[at + 1] ?? 0) << 8) | (b[at + 2] ?? 0);
}
