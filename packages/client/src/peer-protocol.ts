/**
 * The peer-to-peer data-channel protocol (documented in docs/client.md).
 *
 * One negotiated RTCDataChannel per peer connection (`negotiated: true, id: 0`,
 * label `itda`, ordered, reliable). Text frames are JSON control messages:
 *
 *   {t:'chat', id, text, ts}                    a chat message (text ≤ 4 KiB of UTF-8)
 *   {t:'file-start', id, name, size, mime}      a file follows (size ≤ 100 MiB)
 *   binary frames                               the file's bytes, in order, ≤ 64 KiB each
 *   {t:'file-end', id, sha256?}                 the file is complete (hex SHA-256, optional)
 *   {t:'file-cancel', id}                       the sender gave up; discard the partial file
 *
 * Binary frames have no header: they belong to the one file between its `file-start`
 * and `file-end`, so a sender sends one file at a time per channel.
 */
import { ClientError, ClientErrorCode } from './errors.ts';

/** Largest chat text, in bytes of UTF-8. */
export const MAX_CHAT_BYTES = 4096;
/** Largest file, in bytes (100 MiB). */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Size of the binary chunks a sender writes (16 KiB: safe across browsers' SCTP stacks). */
export const FILE_CHUNK_BYTES = 16 * 1024;
/** Largest binary frame a receiver accepts. */
export const MAX_CHUNK_BYTES = 64 * 1024;
/** Largest control frame accepted, in characters. */
export const MAX_CONTROL_CHARS = 16 * 1024;
/** Longest file name kept, in characters. */
export const MAX_FILE_NAME = 255;

export interface ChatFrame {
  t: 'chat';
  id: string;
  text: string;
  /** Sender's wall clock, ms since the epoch. */
  ts: number;
}
export interface FileStartFrame {
  t: 'file-start';
  id: string;
  name: string;
  size: number;
  mime: string;
}
export interface FileEndFrame {
  t: 'file-end';
  id: string;
  /** Lower-case hex SHA-256 of the whole file, when the sender could compute it. */
  sha256?: string;
}
export interface FileCancelFrame {
  t: 'file-cancel';
  id: string;
}
export type PeerFrame = ChatFrame | FileStartFrame | FileEndFrame | FileCancelFrame;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const SHA256 = /^[0-9a-f]{64}$/;

function bad(message: string): ClientError {
  return new ClientError(ClientErrorCode.InvalidPeerMessage, message);
}

/** UTF-8 length of `text`. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Validates a chat text before sending: non-empty after trimming, ≤ MAX_CHAT_BYTES. */
export function checkChatText(text: string): void {
  if (text.trim().length === 0) throw new ClientError(ClientErrorCode.InvalidChat, 'chat message is empty');
  if (utf8Length(text) > MAX_CHAT_BYTES) {
    throw new ClientError(ClientErrorCode.InvalidChat, `chat message is longer than ${MAX_CHAT_BYTES} bytes`);
  }
}

/** Serialises a control frame. */
export function encodePeerFrame(frame: PeerFrame): string {
  return JSON.stringify(frame);
}

/** Parses and validates one text frame. Throws ClientError `invalid_peer_message`. */
export function decodePeerFrame(text: string): PeerFrame {
  if (text.length > MAX_CONTROL_CHARS) throw bad('control frame too large');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('control frame is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('control frame is not an object');
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'string' || !ID.test(o.id)) throw bad('id must be 1–64 of [A-Za-z0-9_-]');
  const id = o.id;
  switch (o.t) {
    case 'chat': {
      if (typeof o.text !== 'string' || o.text.length === 0 || utf8Length(o.text) > MAX_CHAT_BYTES) {
        throw bad('chat text must be 1–4096 bytes');
      }
      if (typeof o.ts !== 'number' || !Number.isFinite(o.ts)) throw bad('chat ts must be a number');
      return { t: 'chat', id, text: o.text, ts: o.ts };
    }
    case 'file-start': {
      if (typeof o.name !== 'string' || o.name.length === 0) throw bad('file name must be a non-empty string');
      if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) {
        throw bad('file size must be a non-negative integer');
      }
      const mime = typeof o.mime === 'string' ? o.mime.slice(0, 255) : '';
      return { t: 'file-start', id, name: sanitizeFileName(o.name), size: o.size, mime };
    }
    case 'file-end': {
      if (o.sha256 !== undefined && (typeof o.sha256 !== 'string' || !SHA256.test(o.sha256))) {
        throw bad('sha256 must be 64 lower-case hex digits');
      }
      return o.sha256 === undefined ? { t: 'file-end', id } : { t: 'file-end', id, sha256: o.sha256 };
    }
    case 'file-cancel':
      return { t: 'file-cancel', id };
    default:
      throw bad('unknown control frame type');
  }
}

/**
 * A file name safe to offer for download: no path separators or control characters,
 * at most MAX_FILE_NAME characters, never empty.
 */
export function sanitizeFileName(name: string): string {
  let clean = '';
  for (const ch of name) {
    const code = ch.codePointAt(0) ?? 0;
    clean += code < 0x20 || code === 0x7f || ch === '/' || ch === '\\' ? '_' : ch;
  }
  clean = clean.trim().replace(/^\.+/, '').slice(0, MAX_FILE_NAME);
  return clean.length === 0 ? 'file' : clean;
}
