/**
 * The room API (docs/server.md):
 *
 * | method | path | answer |
 * |---|---|---|
 * | GET | /api/rooms | 200 `{ rooms: Room[] }` |
 * | POST | /api/rooms `{ name, mode?, capacity? }` (mode default: `--room-mode`) | 201 `{ room }`; 400, 409 |
 * | GET | /api/rooms/:name | 200 `{ room }`; 404 |
 * | DELETE | /api/rooms/:name | 204; participants get `closed` and close 4000 |
 * | DELETE | /api/rooms/:name/participants/:id | 204; the participant gets `closed` and close 4009, banned for the room's lifetime |
 * | POST | /api/rooms/:name/moderate `{ action, participantId?, kind? }` | 204: a host's action by "the room API" (`mute`, `remove`, `lock`, `unlock`, `lobby-on`, `lobby-off`, `admit`, `deny`; docs/signaling.md "Moderation"); 400, 404, 409 |
 *
 * Access: open when no API key is set and open rooms are on (the dev default); with an
 * API key, `Authorization: Bearer <key>` is required (401 otherwise); with open rooms
 * off and no key, the API is disabled (403 `api_disabled`).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isItdaError } from '@itda/common';
import { ModerateMessage, RoomMode } from '@itda/protocol';
import type { SignalCore } from '@itda/signal';
import { HttpError } from './http-errors.ts';
import { readBody, sendJson } from './http-util.ts';

export type ApiAccess = { mode: 'open' } | { mode: 'key'; key: string } | { mode: 'disabled' };

export function apiAccess(config: { apiKey: string | undefined; openRooms: boolean }): ApiAccess {
  if (config.apiKey !== undefined) return { mode: 'key', key: config.apiKey };
  return config.openRooms ? { mode: 'open' } : { mode: 'disabled' };
}

export interface ApiContext {
  core: SignalCore;
  access: ApiAccess;
  maxBodyBytes: number;
}

function checkAccess(req: IncomingMessage, access: ApiAccess): void {
  if (access.mode === 'open') return;
  if (access.mode === 'disabled') {
    throw new HttpError('api_disabled', 'the room API is disabled: open rooms are off and no API key is set');
  }
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header);
  const given = Buffer.from(m?.[1]?.trim() ?? '');
  const expected = Buffer.from(access.key);
  const ok = given.length === expected.length && timingSafeEqual(given, expected);
  if (!ok) throw new HttpError('unauthorized', 'missing or wrong API key (Authorization: Bearer <key>)');
}

function methodNotAllowed(allowed: string): never {
  throw Object.assign(new HttpError('method_not_allowed', `allowed: ${allowed}`), { allow: allowed });
}

async function readJsonObject(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const body = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError('bad_json', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError('bad_request', 'the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError('bad_request', 'malformed path');
  }
}

/** Answers one /api request; returns the status sent. Never throws. */
export async function handleApi(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  ctx: ApiContext,
): Promise<number> {
  try {
    checkAccess(req, ctx.access);
    const parts = pathname
      .split('/')
      .filter((p) => p.length > 0)
      .map(decodeSegment); // ['api', 'rooms', ...]
    if (parts[1] !== 'rooms' || parts.length > 5 || (parts.length === 4 && parts[3] !== 'moderate')) {
      throw new HttpError('not_found', 'no such API');
    }
    const method = req.method ?? 'GET';
    const name = parts[2];
    if (name === undefined) {
      if (method === 'GET') {
        sendJson(res, 200, { rooms: ctx.core.listRooms() });
        return 200;
      }
      if (method !== 'POST') methodNotAllowed('GET, POST');
      const body = await readJsonObject(req, ctx.maxBodyBytes);
      if (typeof body.name !== 'string') throw new HttpError('bad_request', '"name" must be a string');
      // Without a mode: the server's default (`--room-mode`; sfu when the SFU runs).
      const mode = body.mode === undefined ? undefined : RoomMode.safeParse(body.mode);
      if (mode !== undefined && !mode.success) {
        throw new HttpError('bad_request', '"mode" must be one of p2p, sfu, auto');
      }
      if (body.capacity !== undefined && typeof body.capacity !== 'number') {
        throw new HttpError('bad_request', '"capacity" must be a number');
      }
      const room = ctx.core.createRoom({
        name: body.name,
        ...(mode === undefined ? {} : { mode: mode.data }),
        ...(body.capacity === undefined ? {} : { capacity: body.capacity }),
      });
      sendJson(res, 201, { room });
      return 201;
    }
    if (parts[3] === 'moderate') {
      if (method !== 'POST') methodNotAllowed('POST');
      const body = await readJsonObject(req, ctx.maxBodyBytes);
      const request = ModerateMessage.safeParse({ ...body, type: 'moderate' });
      if (!request.success) {
        throw new HttpError(
          'bad_request',
          'expected { action: mute|remove|lock|unlock|lobby-on|lobby-off|admit|deny, participantId?, kind?: audio|video }',
        );
      }
      const { type: _type, ...action } = request.data;
      let done: boolean;
      try {
        done = ctx.core.moderate(name, action);
      } catch (err) {
        if (isItdaError(err, 'unknown_participant')) throw new HttpError('participant_not_found', err.message);
        if (isItdaError(err, 'bad_message')) throw new HttpError('bad_request', err.message);
        if (isItdaError(err, 'room_full')) throw new HttpError('room_full', err.message);
        throw err;
      }
      if (!done) throw new HttpError('room_not_found', `no room "${name}"`);
      res.writeHead(204).end();
      return 204;
    }
    if (parts[3] === 'participants') {
      if (method !== 'DELETE') methodNotAllowed('DELETE');
      if (!ctx.core.removeParticipant(name, parts[4] ?? '')) {
        throw new HttpError('participant_not_found', 'no such participant in this room');
      }
      res.writeHead(204).end();
      return 204;
    }
    if (method === 'GET') {
      const room = ctx.core.getRoom(name);
      if (room === undefined) throw new HttpError('room_not_found', `no room "${name}"`);
      sendJson(res, 200, { room });
      return 200;
    }
    if (method !== 'DELETE') methodNotAllowed('GET, DELETE');
    if (!ctx.core.closeRoom(name)) throw new HttpError('room_not_found', `no room "${name}"`);
    res.writeHead(204).end();
    return 204;
  } catch (err) {
    const status = isItdaError(err) && err.status !== undefined ? err.status : 500;
    const code = !isItdaError(err) ? 'internal' : err.code === 'bad_message' ? 'bad_request' : err.code;
    const message = isItdaError(err) ? err.message : 'internal error';
    const headers: Record<string, string> = {};
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    const allow = (err as { allow?: string }).allow;
    if (allow !== undefined) headers.allow = allow;
    if (status === 413) headers.connection = 'close';
    if (!res.headersSent) sendJson(res, status, { error: { code, message } }, headers);
    if (status === 500) throw err;
    return status;
  }
}
