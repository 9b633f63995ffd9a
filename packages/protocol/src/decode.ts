/**
 * Decoding text frames into validated messages. Decoders throw ProtocolError with a
 * stable code; they never return `undefined` for "something was wrong".
 */
import { ItdaError } from '@itda/common';
import type { z } from 'zod';
import { ErrorCode } from './errors.ts';
import { CLIENT_MESSAGE_TYPES, ClientMessage, ServerMessage } from './schemas.ts';

export class ProtocolError extends ItdaError {
  override readonly name = 'ProtocolError';
  /** The `type` of the offending message, when it could be read. */
  readonly ref: string | undefined;
  constructor(code: ErrorCode, message: string, ref?: string) {
    super(code, message);
    this.ref = ref;
  }
}

const KNOWN_CLIENT_TYPES = new Set<string>(CLIENT_MESSAGE_TYPES);

function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError(ErrorCode.BadJson, 'message is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(ErrorCode.BadJson, 'message must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid message';
  const path = issue.path.length > 0 ? issue.path.join('.') : 'message';
  return `${path}: ${issue.message}`;
}

/** Parses one client → server frame. Throws ProtocolError (bad_json, unknown_type, bad_message). */
export function decodeClientMessage(text: string): ClientMessage {
  const obj = parseJsonObject(text);
  const type = obj.type;
  if (typeof type !== 'string' || !KNOWN_CLIENT_TYPES.has(type)) {
    throw new ProtocolError(
      ErrorCode.UnknownType,
      typeof type === 'string' ? `unknown message type "${type.slice(0, 64)}"` : 'message has no string "type"',
      typeof type === 'string' ? type.slice(0, 64) : undefined,
    );
  }
  const result = ClientMessage.safeParse(obj);
  if (!result.success) throw new ProtocolError(ErrorCode.BadMessage, describe(result.error), type);
  return result.data;
}

/** Parses one server → client frame. Throws ProtocolError (bad_json, bad_message). */
export function decodeServerMessage(text: string): ServerMessage {
  const obj = parseJsonObject(text);
  const result = ServerMessage.safeParse(obj);
  if (!result.success) {
    const type = typeof obj.type === 'string' ? obj.type : undefined;
    throw new ProtocolError(ErrorCode.BadMessage, describe(result.error), type);
  }
  return result.data;
}

/** Serialises a message. Symmetric with the decoders. */
export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
