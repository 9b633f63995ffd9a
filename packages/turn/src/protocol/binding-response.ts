/**
 * The plain Binding success response written by hand (RFC 8489 §6.3.1), because it is
 * the one answer a STUN/TURN server sends at request rate: header, XOR-MAPPED-ADDRESS
 * (RFC 8489 §14.2), SOFTWARE (§14.14, encoded once per value) and FINGERPRINT (§14.7)
 * when the request had one — the same bytes, in the same order, as the general encoder
 * (`encodeMessage`) writes for those attributes, with no attribute objects, no text
 * parsing beyond one character loop over the client's IP, and one buffer.
 */
import { crc32 } from 'node:zlib';
import {
  AttrType,
  encodeMessage,
  encodeMessageType,
  FINGERPRINT_XOR,
  MAGIC_COOKIE,
  parseIpInto,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';

const TYPE = encodeMessageType(StunClass.SuccessResponse, StunMethod.Binding);
const NO_BYTES = new Uint8Array(0);

// The SOFTWARE attribute (type, length, value, zero padding) of the last value asked for.
let softwareText = '';
let softwareBytes: Uint8Array = NO_BYTES;

/**
 * The encoded SOFTWARE attribute for `software` ('' → none). Encoded by the general
 * encoder, so its validation (RFC 8489 §14.14: fewer than 128 characters) applies; kept
 * for the next call with the same text.
 * @throws StunEncodeError stun_bad_value when `software` does not fit the attribute.
 */
function softwareAttribute(software: string): Uint8Array {
  if (software === softwareText) return softwareBytes;
  const bytes =
    software === ''
      ? NO_BYTES
      : encodeMessage({
          class: StunClass.Indication,
          method: StunMethod.Binding,
          transactionId: new Uint8Array(12),
          attributes: [{ type: AttrType.Software, value: software } as StunAttribute],
        }).subarray(20);
  softwareText = software;
  softwareBytes = bytes;
  return bytes;
}

/**
 * A Binding success response to transaction `transactionId` for a client at
 * `address:port`, with SOFTWARE `software` ('' for none) and FINGERPRINT when
 * `fingerprint`. Returns undefined when `address` is not an IPv4/IPv6 literal (the
 * caller then takes the general path). The buffer comes from Node's pool: the caller
 * may keep it.
 */
export function encodeBindingSuccess(
  transactionId: Uint8Array,
  address: string,
  port: number,
  software: string,
  fingerprint: boolean,
): Buffer | undefined {
  const v6 = address.includes(':');
  const xorLength = v6 ? 20 : 8;
  const sw = softwareAttribute(software);
  const swAt = 20 + 4 + xorLength;
  const end = swAt + sw.length;
  const size = end + (fingerprint ? 8 : 0);
  const out = Buffer.allocUnsafe(size);
  // RFC 8489 §5: type, length (everything after the header, FINGERPRINT included), cookie, id.
  out.writeUInt16BE(TYPE, 0);
  out.writeUInt16BE(size - 20, 2);
  out.writeUInt32BE(MAGIC_COOKIE, 4);
  out.set(transactionId, 8);
  // RFC 8489 §14.2: XOR-MAPPED-ADDRESS — reserved 0, family, X-Port, X-Address.
  out.writeUInt16BE(AttrType.XorMappedAddress, 20);
  out.writeUInt16BE(xorLength, 22);
  out[24] = 0;
  out[25] = v6 ? 0x02 : 0x01;
  out.writeUInt16BE((port ^ (MAGIC_COOKIE >>> 16)) & 0xffff, 26);
  const n = parseIpInto(address, out, 28);
  if (n !== (v6 ? 16 : 4) || !Number.isInteger(port) || port < 0 || port > 0xffff) return undefined;
  // X-Address: the address XOR the cookie (IPv4), or XOR cookie ‖ transaction id (IPv6).
  for (let i = 0; i < n; i++) out[28 + i] = (out[28 + i] as number) ^ (out[4 + i] as number);
  if (sw.length > 0) out.set(sw, swAt);
  if (fingerprint) {
    // RFC 8489 §14.7: CRC-32 of the message before FINGERPRINT, XOR 0x5354554e.
    out.writeUInt16BE(AttrType.Fingerprint, end);
    out.writeUInt16BE(4, end + 2);
    out.writeUInt32BE((crc32(out.subarray(0, end)) ^ FINGERPRINT_XOR) >>> 0, end + 4);
  }
  return out;
}
