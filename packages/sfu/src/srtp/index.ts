export { AesCtrKeystream } from './aes-ctr.ts';
export { SrtpError, SrtpErrorCode } from './errors.ts';
export { aesCmPrf, deriveSessionKeys, KdfLabel, type SrtpSessionKeys } from './kdf.ts';
export { SRTP_PROFILES, type SrtpProfile, type SrtpProfileParams, srtpProfileById } from './profiles.ts';
export { DEFAULT_REPLAY_WINDOW, ReplayWindow } from './replay.ts';
export { SrtpSession, type SrtpSessionOptions } from './session.ts';
