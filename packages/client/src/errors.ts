/**
 * Errors of the client SDK. Every error carries a stable `code` (never renamed once
 * released); signaling errors reuse the server's codes from `@itda/protocol`'s
 * `ErrorCode` (for example `room_full`, `resume_failed`), and the SDK's own codes are
 * listed in `ClientErrorCode`. Tests and apps branch on `code`, never on message text.
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';
import { ERROR_CODES, ErrorCode } from '@itda/protocol';

export const ClientErrorCode = {
  /** The WebSocket could not be opened or closed before `joined`. */
  ConnectFailed: 'connect_failed',
  /** No answer to `join`/`resume` within the connect timeout. */
  ConnectTimeout: 'connect_timeout',
  /** Reconnecting took longer than `reconnectTimeoutMs`; the session is over. */
  ReconnectFailed: 'reconnect_failed',
  /** The server ended the session (room closed, participant removed, replaced). */
  SessionClosed: 'session_closed',
  /** A server frame failed schema validation; it was dropped. */
  InvalidServerMessage: 'invalid_server_message',
  /** A data-channel message from a peer was malformed; it was dropped. */
  InvalidPeerMessage: 'invalid_peer_message',
  /** A file is larger than the file size limit. */
  FileTooLarge: 'file_too_large',
  /** A received file did not match its announced size or SHA-256. */
  FileCorrupt: 'file_corrupt',
  /** A transfer was cancelled because the channel closed or the peer cancelled. */
  TransferAborted: 'transfer_aborted',
  /** A chat message is empty or longer than the text limit. */
  InvalidChat: 'invalid_chat',
  /** The call needs a state it is not in (for example sending before joining). */
  InvalidState: 'invalid_state',
  /** RTCPeerConnection work failed (setLocalDescription, addIceCandidate, ...). */
  Negotiation: 'negotiation_failed',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Every code a ClientError carries: the SDK's own, or a signaling error code of the server. */
export type ClientErrorCodeOrSignal = ClientErrorCode | ErrorCode;

const SIGNAL_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** An error of the client SDK; `code` is a `ClientErrorCode` or a signaling `ErrorCode`. */
export class ClientError extends ItdaError {
  override readonly name: string = 'ClientError';
  override readonly code: ClientErrorCodeOrSignal;
  constructor(code: ClientErrorCodeOrSignal, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
    this.code = code;
  }

  /**
   * The server's `error` message as a ClientError. A code this SDK does not know (a newer
   * server) becomes `internal`, the server's code kept in `details.serverCode`.
   */
  static fromServer(m: { code: string; message: string; ref?: string | undefined }): ClientError {
    const known = SIGNAL_CODES.has(m.code);
    return new ClientError(known ? (m.code as ErrorCode) : ErrorCode.Internal, m.message, {
      details: { ref: m.ref, ...(known ? {} : { serverCode: m.code }) },
    });
  }
}
