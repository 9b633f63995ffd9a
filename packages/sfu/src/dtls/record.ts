/**
 * DTLS record framing (RFC 6347 §4.1), checked before any record reaches the DTLS
 * engine: 13-byte header — type(1) version(2) epoch(2) sequence_number(6) length(2).
 */

/** Content types (RFC 5246 §6.2.1). */
export const ContentType = {
  ChangeCipherSpec: 20,
  Alert: 21,
  Handshake: 22,
  ApplicationData: 23,
} as const;

export const RECORD_HEADER_LENGTH = 13;
/** Largest record fragment: 2^14 plus the most a cipher may add (RFC 6347 §4.1, RFC 5246 §6.2.3). */
export const MAX_FRAGMENT_LENGTH = 16_384 + 2_048;

export interface RecordView {
  type: number;
  epoch: number;
  /** The whole record, header included (a view into the datagram). */
  bytes: Uint8Array;
}

/**
 * Splits a datagram into records. Stops at the first malformed one: `malformed` is then
 * true and `records` holds the good ones before it (RFC 6347 §4.1.2.7: invalid records
 * are silently discarded).
 */
export function splitRecords(datagram: Uint8Array): { records: RecordView[]; malformed: boolean } {
  const records: RecordView[] = [];
  const end = datagram.length;
  let p = 0;
  while (p < end) {
    if (end - p < RECORD_HEADER_LENGTH) return { records, malformed: true };
    const type = datagram[p] ?? 0;
    // DTLS versions are 0xFEFF (1.0, also in a first ClientHello) and 0xFEFD (1.2).
    const major = datagram[p + 1];
    const minor = datagram[p + 2];
    const length = ((datagram[p + 11] ?? 0) << 8) | (datagram[p + 12] ?? 0);
    if (
      type < ContentType.ChangeCipherSpec ||
      type > ContentType.ApplicationData ||
      major !== 0xfe ||
      (minor !== 0xff && minor !== 0xfd) ||
      length === 0 ||
      length > MAX_FRAGMENT_LENGTH ||
      p + RECORD_HEADER_LENGTH + length > end
    ) {
      return { records, malformed: true };
    }
    const epoch = ((datagram[p + 3] ?? 0) << 8) | (datagram[p + 4] ?? 0);
    records.push({ type, epoch, bytes: datagram.subarray(p, p + RECORD_HEADER_LENGTH + length) });
    p += RECORD_HEADER_LENGTH + length;
  }
  return { records, malformed: false };
}
