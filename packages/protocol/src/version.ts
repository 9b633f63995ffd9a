/**
 * Version of the signaling protocol. A client names the version it speaks in `join`
 * and `resume`; the server answers `unsupported_version` to any other.
 * Bump only for changes an older peer cannot ignore; new optional fields do not bump it.
 */
export const PROTOCOL_VERSION = 1;

/** The WebSocket path the server listens on. */
export const SIGNAL_PATH = '/ws';
