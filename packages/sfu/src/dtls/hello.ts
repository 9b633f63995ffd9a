/**
 * A read-only look at a DTLS ClientHello body (RFC 6347 §4.2.2, RFC 5246 §7.4.1.2), so
 * the server can refuse early, with a precise code, a client whose offer we cannot meet:
 * no SRTP profile we implement (RFC 5764 §4.1.1), no ECDSA-AES-GCM suite, no curve.
 */

export interface ClientHelloOffer {
  cipherSuites: number[];
  /** supported_groups (RFC 8422 §5.1.1); empty when the extension is absent. */
  groups: number[];
  /** use_srtp protection profiles (RFC 5764 §4.1.1); undefined when the extension is absent. */
  srtpProfiles: number[] | undefined;
  /** Length of the cookie (0 on the first ClientHello, RFC 6347 §4.2.1). */
  cookieLength: number;
}

const EXT_SUPPORTED_GROUPS = 10;
const EXT_USE_SRTP = 14;

/** Parses a ClientHello body (the handshake message without its 12-byte DTLS header); undefined when malformed. */
export function parseClientHello(body: Uint8Array): ClientHelloOffer | undefined {
  const end = body.length;
  let p = 2 + 32; // client_version, random
  if (p + 1 > end) return undefined;
  p += 1 + (body[p] ?? 0); // session_id
  if (p + 1 > end) return undefined;
  const cookieLength = body[p] ?? 0;
  p += 1 + cookieLength;
  if (p + 2 > end) return undefined;
  const suitesLength = u16(body, p);
  p += 2;
  if (p + suitesLength > end || suitesLength % 2 !== 0) return undefined;
  const cipherSuites: number[] = [];
  for (let i = 0; i < suitesLength; i += 2) cipherSuites.push(u16(body, p + i));
  p += suitesLength;
  if (p + 1 > end) return undefined;
  p += 1 + (body[p] ?? 0); // compression_methods
  const offer: ClientHelloOffer = { cipherSuites, groups: [], srtpProfiles: undefined, cookieLength };
  if (p === end) return offer; // no extensions
  if (p + 2 > end) return undefined;
  const extEnd = p + 2 + u16(body, p);
  p += 2;
  if (extEnd > end) return undefined;
  while (p + 4 <= extEnd) {
    const type = u16(body, p);
    const length = u16(body, p + 2);
    const data = p + 4;
    if (data + length > extEnd) return undefined;
    if (type === EXT_SUPPORTED_GROUPS && length >= 2) {
      const n = Math.min(u16(body, data), length - 2);
      for (let i = 0; i + 1 < n; i += 2) offer.groups.push(u16(body, data + 2 + i));
    } else if (type === EXT_USE_SRTP && length >= 2) {
      const n = Math.min(u16(body, data), length - 2);
      offer.srtpProfiles = [];
      for (let i = 0; i + 1 < n; i += 2) offer.srtpProfiles.push(u16(body, data + 2 + i));
    }
    p = data + length;
  }
  return offer;
}

function u16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}
