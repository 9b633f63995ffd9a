/**
 * SRTP key derivation: the AES-CM PRF of RFC 3711 §4.3 with a key derivation rate of 0
 * (the only rate DTLS-SRTP uses, RFC 5764 §4.1.2), for both profiles. For
 * AEAD_AES_128_GCM the 12-byte master salt is first multiplied by 2^16 (two zero bytes
 * appended) to form the 112-bit PRF salt (RFC 7714 §11 with erratum 4938), and the
 * session salts are cut to 12 bytes.
 */
import { AesCtrKeystream } from './aes-ctr.ts';
import { SrtpError, SrtpErrorCode } from './errors.ts';
import { SRTP_PROFILES, type SrtpProfile } from './profiles.ts';

/** The key derivation labels of RFC 3711 §4.3.1 and §4.3.2. */
export const KdfLabel = {
  RtpEncryption: 0x00,
  RtpAuthentication: 0x01,
  RtpSalt: 0x02,
  RtcpEncryption: 0x03,
  RtcpAuthentication: 0x04,
  RtcpSalt: 0x05,
} as const;

/** The session keys of one direction of one SRTP session. */
export interface SrtpSessionKeys {
  readonly rtpKey: Buffer;
  /** Empty for AEAD profiles. */
  readonly rtpAuthKey: Buffer;
  /** 14 bytes for AES-CM, 12 for GCM. */
  readonly rtpSalt: Buffer;
  readonly rtcpKey: Buffer;
  readonly rtcpAuthKey: Buffer;
  readonly rtcpSalt: Buffer;
}

/**
 * One PRF output: AES-CM keyed with the master key, IV = (master_salt XOR
 * (label || r)) * 2^16 with r = 0 (RFC 3711 §4.3.1, §4.3.3). `masterSalt` is the
 * 14-byte PRF salt.
 */
export function aesCmPrf(masterKey: Buffer, masterSalt14: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt14.copy(iv, 0, 0, 14);
  // key_id = label || r, 7 bytes, aligned to the end of the 14-byte salt: label at byte 7.
  iv[7] = (iv[7] as number) ^ label;
  return new AesCtrKeystream(masterKey).keystream(iv, length);
}

/** Derives all six session keys for `profile` (RFC 3711 §4.3, RFC 7714 §11). */
export function deriveSessionKeys(
  profile: SrtpProfile,
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
): SrtpSessionKeys {
  const p = SRTP_PROFILES[profile];
  if (p === undefined) throw new SrtpError(SrtpErrorCode.BadProfile, `unknown SRTP profile ${String(profile)}`);
  if (masterKey.length !== p.keyLength || masterSalt.length !== p.saltLength) {
    throw new SrtpError(
      SrtpErrorCode.BadKey,
      `${profile} needs a ${p.keyLength}-byte master key and a ${p.saltLength}-byte master salt`,
      { details: { keyLength: masterKey.length, saltLength: masterSalt.length } },
    );
  }
  const key = Buffer.from(masterKey);
  const salt14 = Buffer.alloc(14);
  salt14.set(masterSalt, 0);
  const prf = (label: number, length: number): Buffer =>
    length === 0 ? Buffer.alloc(0) : aesCmPrf(key, salt14, label, length);
  return {
    rtpKey: prf(KdfLabel.RtpEncryption, p.keyLength),
    rtpAuthKey: prf(KdfLabel.RtpAuthentication, p.authKeyLength),
    rtpSalt: prf(KdfLabel.RtpSalt, p.saltLength),
    rtcpKey: prf(KdfLabel.RtcpEncryption, p.keyLength),
    rtcpAuthKey: prf(KdfLabel.RtcpAuthentication, p.authKeyLength),
    rtcpSalt: prf(KdfLabel.RtcpSalt, p.saltLength),
  };
}
