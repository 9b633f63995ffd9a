export { decodeClientMessage, decodeServerMessage, encodeMessage, ProtocolError } from './decode.ts';
export { clampDisplayName, displayNameProblem, normalizeDisplayName } from './display-name.ts';
export { CloseCode, ERROR_CODES, ErrorCode, SFU_ERROR_CODES } from './errors.ts';
export {
  DEFAULT_LIMITS,
  MAX_DATA_PAYLOAD,
  MAX_NAME_LENGTH,
  MAX_SDP_LENGTH,
  MAX_SFU_SDP_LENGTH,
  ROOM_NAME_PATTERN,
} from './limits.ts';
export * from './schemas.ts';
export { PROTOCOL_VERSION, SIGNAL_PATH } from './version.ts';
