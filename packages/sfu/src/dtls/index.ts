export {
  certificateDer,
  createDtlsCertificate,
  type DtlsCertificate,
  type DtlsCertificateOptions,
  type DtlsFingerprint,
  type FingerprintAlgorithm,
  fingerprintOf,
  isFingerprintAlgorithm,
  matchesFingerprint,
} from './certificate.ts';
export { DtlsError, DtlsErrorCode } from './errors.ts';
export {
  DEFAULT_SRTP_PROFILES,
  type DtlsRole,
  DtlsSession,
  type DtlsSessionEvents,
  type DtlsSessionOptions,
  type DtlsState,
  type SrtpKeyingMaterial,
} from './session.ts';
