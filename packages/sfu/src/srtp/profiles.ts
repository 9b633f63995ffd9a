/**
 * The SRTP protection profiles this module implements, with the lengths each one uses.
 * Names and numbers are the DTLS-SRTP ones (RFC 5764 §4.1.2, RFC 7714 §14.2).
 */
export type SrtpProfile = 'SRTP_AES128_CM_HMAC_SHA1_80' | 'SRTP_AEAD_AES_128_GCM';

export interface SrtpProfileParams {
  /** DTLS use_srtp protection profile number (RFC 5764 §4.1.2, RFC 7714 §14.2). */
  readonly id: number;
  /** Master (and session) encryption key length, bytes. */
  readonly keyLength: number;
  /** Master salt length, bytes (14 for AES-CM, 12 for GCM — RFC 7714 §11). */
  readonly saltLength: number;
  /** Session authentication key length, bytes (0 for AEAD). */
  readonly authKeyLength: number;
  /** Authentication tag appended to SRTP packets, bytes. */
  readonly rtpTagLength: number;
  /** Authentication tag appended to SRTCP packets, bytes (after or before E|index). */
  readonly rtcpTagLength: number;
}

export const SRTP_PROFILES: Readonly<Record<SrtpProfile, SrtpProfileParams>> = {
  // RFC 3711 §5 defaults, RFC 5764 §4.1.2: AES-128 counter mode, HMAC-SHA1 cut to 80 bits.
  SRTP_AES128_CM_HMAC_SHA1_80: {
    id: 0x0001,
    keyLength: 16,
    saltLength: 14,
    authKeyLength: 20,
    rtpTagLength: 10,
    rtcpTagLength: 10,
  },
  // RFC 7714 §12, §14.2: AEAD_AES_128_GCM, 16-byte tag, 12-byte salt.
  SRTP_AEAD_AES_128_GCM: {
    id: 0x0007,
    keyLength: 16,
    saltLength: 12,
    authKeyLength: 0,
    rtpTagLength: 16,
    rtcpTagLength: 16,
  },
};

/** The profile for a DTLS use_srtp profile number, or undefined when not implemented. */
export function srtpProfileById(id: number): SrtpProfile | undefined {
  for (const [name, p] of Object.entries(SRTP_PROFILES)) {
    if (p.id === id) return name as SrtpProfile;
  }
  return undefined;
}
