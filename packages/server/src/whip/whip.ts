/**
 * WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) over HTTP, for `itda serve` with the
 * SFU. See docs/whip.md.
 *
 * - `POST /whip/<room>` (`application/sdp` offer) → 201, `Location: /whip/<room>/<id>`,
 *   the SFU's answer. The publisher is a participant of the room.
 * - `POST /whep/<room>[?participant=<id>][&quality=high|medium|low]` (the player's offer) →
 *   201, Location, answer. `quality` picks a simulcast publisher's layer (default high).
 * - `PATCH <Location>` (`application/trickle-ice-sdpfrag`, RFC 8840): candidates are
 *   accepted and ignored (ICE-lite) → 204; new ICE credentials → ICE restart → 200 with ours.
 * - `DELETE <Location>` → 200. `OPTIONS` → CORS preflight.
 * Errors are `{ "error": { "code", "message" } }` like the rest of the HTTP API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, isItdaError, type Logger, silentLogger, systemClock } from '@itda/common';
import { displayNameProblem, ROOM_NAME_PATTERN, VideoQuality } from '@itda/protocol';
import { QUALITY_RANK } from '@itda/sfu';
import type { SfuClient } from '@itda/sfu/api';
import type { RoomTokenClaims, SignalCore } from '@itda/signal';
import { HttpError } from '../http/http-errors.ts';
import { readBody, sendJson } from '../http/http-util.ts';
import { createPlayer, createPublisher, newEtag, type ResourceContext, type WhipResource } from './whip-resources.ts';
import { parseSdpFragment, restartFragment } from './whip-sdpfrag.ts';

/** Largest offer or sdpfrag accepted, bytes (a browser offer is 5–10 KiB). */
export const WHIP_MAX_BODY_BYTES = 64 * 1024;

export interface WhipEndpointOptions {
  core: SignalCore;
  /** The SFU's API; without it every POST is 503 `sfu_unavailable`. */
  sfu: SfuClient | undefined;
  /** A session not connected after this long is freed; `rtcConsentTimeoutMs`. Default 30,000. */
  connectTimeoutMs?: number;
  /** The SFU must answer a WHIP offer within this long, else 503 `sfu_unavailable`. Default 10,000 ms. */
  answerTimeoutMs?: number;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
  clock?: Clock;
  logger?: Logger;
}

const CORS: Record<string, string> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Location, Link, ETag, Accept-Post, Accept-Patch',
};

function send(res: ServerResponse, status: number, headers: Record<string, string> = {}, body?: string): void {
  res.writeHead(status, {
    ...CORS,
    'cache-control': 'no-store',
    ...(body === undefined ? { 'content-length': '0' } : { 'content-length': String(Buffer.byteLength(body)) }),
    ...headers,
  });
  res.end(body);
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * A WHIP publisher's display name: `?name=`, else the token's `name`, else `WHIP`. The
 * display-name rule of @itda/protocol applies as to `join` (400 `bad_name`: `?name=%20`
 * made a participant named spaces, which `join` itself refuses), and a token's name is
 * authoritative as in signaling: another `?name=` needs the token's `canRename` (403
 * `forbidden`).
 */
function publisherName(query: string | null, claims: RoomTokenClaims | undefined): string {
  if (query === null) return claims?.name ?? 'WHIP';
  const problem = displayNameProblem(query);
  if (problem !== undefined) throw new HttpError('bad_name', `?name=: ${problem}`);
  const name = query.trim();
  if (claims !== undefined && name !== claims.name && !claims.grants.canRename) {
    throw new HttpError('forbidden', 'the token does not grant canRename: ?name= may not change its name');
  }
  return name;
}

export class WhipEndpoint {
  readonly #options: WhipEndpointOptions;
  readonly #log: Logger;
  readonly #resources = new Map<string, WhipResource>();
  /** WHEP players being created, by room. */
  readonly #pendingPlayers = new Map<string, number>();
  #closed = false;

  constructor(options: WhipEndpointOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
  }

  /** True for the paths this endpoint answers (`/whip/…`, `/whep/…`). */
  static matches(pathname: string): boolean {
    return (
      pathname.startsWith('/whip/') || pathname.startsWith('/whep/') || pathname === '/whip' || pathname === '/whep'
    );
  }

  /** Live sessions, by kind. */
  counts(): { whip: number; whep: number } {
    let whip = 0;
    for (const r of this.#resources.values()) if (r.kind === 'whip') whip++;
    return { whip, whep: this.#resources.size - whip };
  }

  /** Prometheus text: live sessions by kind. */
  metricsText(): string {
    const { whip, whep } = this.counts();
    return [
      '# HELP itda_whip_sessions Live WHIP publishers and WHEP players.',
      '# TYPE itda_whip_sessions gauge',
      `itda_whip_sessions{kind="whip"} ${whip}`,
      `itda_whip_sessions{kind="whep"} ${whep}`,
      '',
    ].join('\n');
  }

  /** Answers one request under /whip or /whep. Never rejects. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      await this.#route(req, res, url);
    } catch (err) {
      const status = isItdaError(err) && err.status !== undefined ? err.status : 500;
      const code = isItdaError(err) && status !== 500 ? err.code : 'internal';
      const message = status === 500 ? 'internal error' : (err as Error).message;
      if (status === 500) this.#log.error('whip handler failed', { err, path: url.pathname });
      const headers: Record<string, string> = { ...CORS };
      if (status === 401) headers['www-authenticate'] = 'Bearer';
      if (status === 413) headers.connection = 'close';
      if (!res.headersSent) sendJson(res, status, { error: { code, message } }, headers);
    }
  }

  /** Frees every session (server shutdown). */
  close(): void {
    this.#closed = true;
    for (const r of [...this.#resources.values()]) r.close('server_shutdown');
    this.#resources.clear();
  }

  async #route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const [kind, roomSegment, id, ...rest] = url.pathname.split('/').slice(1);
    const room = roomSegment === undefined ? undefined : decode(roomSegment);
    if ((kind !== 'whip' && kind !== 'whep') || room === undefined || rest.length > 0 || id === '') {
      throw new HttpError('not_found', 'no such WHIP/WHEP endpoint');
    }
    if (!ROOM_NAME_PATTERN.test(room)) throw new HttpError('bad_request', 'bad room name');
    const method = req.method ?? 'GET';
    if (id === undefined) {
      if (method === 'OPTIONS') {
        return send(res, 204, {
          'access-control-allow-methods': 'POST, OPTIONS',
          'access-control-allow-headers': 'Authorization, Content-Type',
          'access-control-max-age': '86400',
          'accept-post': 'application/sdp',
        });
      }
      if (method !== 'POST') throw new HttpError('method_not_allowed', 'allowed: POST, OPTIONS');
      return this.#create(req, res, kind, room, url);
    }
    const resource = this.#resources.get(id);
    if (method === 'OPTIONS') {
      return send(res, 204, {
        'access-control-allow-methods': 'PATCH, DELETE, OPTIONS',
        'access-control-allow-headers': 'Authorization, Content-Type, If-Match',
        'access-control-max-age': '86400',
        'accept-patch': 'application/trickle-ice-sdpfrag',
      });
    }
    if (method !== 'PATCH' && method !== 'DELETE') {
      throw new HttpError('method_not_allowed', 'allowed: PATCH, DELETE, OPTIONS');
    }
    if (resource === undefined || resource.kind !== kind || resource.room !== room) {
      throw new HttpError('not_found', 'no such session (deleted, expired or never created)');
    }
    if (method === 'DELETE') {
      resource.close('deleted');
      this.#resources.delete(resource.id);
      return send(res, 200);
    }
    return this.#patch(req, res, resource);
  }

  async #create(
    req: IncomingMessage,
    res: ServerResponse,
    kind: 'whip' | 'whep',
    room: string,
    url: URL,
  ): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/sdp') {
      throw new HttpError('unsupported_media_type', 'the offer must be Content-Type: application/sdp');
    }
    const sfu = this.#options.sfu;
    if (sfu === undefined || this.#closed) throw new HttpError('sfu_unavailable', 'this server runs no SFU');
    const claims = this.#authorize(req, room, kind === 'whip' ? 'canPublish' : 'canSubscribe');
    const name = kind === 'whip' ? publisherName(url.searchParams.get('name'), claims) : undefined;
    const offer = (await readBody(req, this.#options.maxBodyBytes ?? WHIP_MAX_BODY_BYTES)).toString('utf8');
    const core = this.#options.core;
    const ctx = this.#context(sfu);
    let resource: WhipResource;
    if (name !== undefined) {
      resource = await createPublisher(ctx, {
        room,
        offer,
        name,
        identity: claims?.identity ?? null,
        // Without open rooms the room must exist (POST /api/rooms): 404 room_not_found.
        create: core.config.openRooms,
      });
    } else {
      const info = core.getRoom(room);
      if (info === undefined && !core.config.openRooms) {
        throw new HttpError('room_not_found', 'no such room');
      }
      if (info !== undefined && info.mode !== 'sfu') {
        throw new HttpError('not_sfu_room', 'this room does not use the SFU (p2p room)');
      }
      let players = this.#pendingPlayers.get(room) ?? 0;
      for (const r of this.#resources.values()) if (r.kind === 'whep' && r.room === room) players++;
      if (info !== undefined && players >= info.capacity) {
        throw new HttpError('room_full', `the room has ${info.capacity} players already`);
      }
      const wanted = url.searchParams.get('participant') ?? undefined;
      // A WHIP resource id names its publisher too (what a WHIP client knows from its Location).
      const whip = wanted === undefined ? undefined : this.#resources.get(wanted);
      const participantId = whip?.kind === 'whip' && whip.room === room ? whip.participantId : wanted;
      const quality = url.searchParams.get('quality');
      let preferredRank: number | undefined;
      if (quality !== null) {
        const parsed = VideoQuality.safeParse(quality);
        if (!parsed.success) throw new HttpError('bad_quality', 'quality must be high, medium or low');
        preferredRank = QUALITY_RANK[parsed.data];
      }
      // Counted while the SFU answers, so that players arriving together cannot pass the capacity.
      this.#pendingPlayers.set(room, (this.#pendingPlayers.get(room) ?? 0) + 1);
      try {
        resource = await createPlayer(ctx, {
          room,
          offer,
          participantId,
          ...(preferredRank === undefined ? {} : { preferredRank }),
        });
      } finally {
        const left = (this.#pendingPlayers.get(room) ?? 1) - 1;
        if (left > 0) this.#pendingPlayers.set(room, left);
        else this.#pendingPlayers.delete(room);
      }
    }
    if (this.#closed) {
      resource.close('server_shutdown');
      throw new HttpError('sfu_unavailable', 'the server is shutting down');
    }
    if (resource.closed) throw new HttpError('sfu_unavailable', 'the session ended at once');
    this.#resources.set(resource.id, resource);
    send(
      res,
      201,
      {
        'content-type': 'application/sdp',
        location: `/${kind}/${encodeURIComponent(room)}/${resource.id}`,
        etag: resource.etag,
        'x-itda-participant-id': resource.participantId,
      },
      resource.answer,
    );
  }

  /** RFC 9725 §4.4: trickle (ignored, 204) or ICE restart (200 with our new credentials). */
  async #patch(req: IncomingMessage, res: ServerResponse, resource: WhipResource): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/trickle-ice-sdpfrag') {
      throw new HttpError('unsupported_media_type', 'PATCH takes Content-Type: application/trickle-ice-sdpfrag');
    }
    const body = (await readBody(req, this.#options.maxBodyBytes ?? WHIP_MAX_BODY_BYTES)).toString('utf8');
    const frag = parseSdpFragment(body);
    if (frag === undefined) throw new HttpError('bad_request', 'not an SDP fragment (RFC 8840)');
    const restart = frag.iceUfrag !== undefined && frag.iceUfrag !== resource.remoteUfrag;
    // RFC 9725 §4.3.1: trickle names the session's ICE state with If-Match (412 when stale);
    // a restart sends If-Match: "*". A client that sends none is let through.
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined && ifMatch.trim() !== '*' && !restart && ifMatch.trim() !== resource.etag) {
      throw new HttpError('precondition_failed', 'If-Match does not name the current ICE session (ETag)');
    }
    if (!restart) return send(res, 204);
    if (frag.iceUfrag === undefined || frag.icePwd === undefined)
      throw new HttpError('bad_request', 'an ICE restart needs a=ice-pwd too');
    if (resource.closed) throw new HttpError('not_found', 'the session has ended');
    const { ice, candidates } = await resource.restartIce(frag.iceUfrag);
    resource.remoteUfrag = frag.iceUfrag;
    resource.etag = newEtag();
    send(
      res,
      200,
      { 'content-type': 'application/trickle-ice-sdpfrag', etag: resource.etag },
      restartFragment(ice, candidates, resource.tag),
    );
  }

  /**
   * `Authorization: Bearer <room token>` (the JWTs of `itda token`): required unless the
   * server has open rooms. 401 `unauthorized` (missing) / `invalid_token` / `token_expired`;
   * 403 `forbidden` for another room's token or one without the grant.
   */
  #authorize(req: IncomingMessage, room: string, grant: 'canPublish' | 'canSubscribe'): RoomTokenClaims | undefined {
    const core = this.#options.core;
    const header = req.headers.authorization;
    if (header === undefined) {
      if (core.config.openRooms) return undefined;
      throw new HttpError('unauthorized', 'this server requires a room token (Authorization: Bearer …)');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) throw new HttpError('invalid_token', 'expected Authorization: Bearer <token>');
    const verify = core.config.verifyToken;
    if (verify === undefined) throw new HttpError('invalid_token', 'this server has no token secret configured');
    let claims: RoomTokenClaims;
    try {
      claims = verify(match[1]);
    } catch (err) {
      const code = isItdaError(err) && err.code === 'token_expired' ? 'token_expired' : 'invalid_token';
      throw new HttpError(code, err instanceof Error ? err.message : 'invalid token');
    }
    if (claims.room !== room) throw new HttpError('forbidden', 'the token is for another room');
    if (!claims.grants[grant]) throw new HttpError('forbidden', `the token does not grant ${grant}`);
    return claims;
  }

  #context(sfu: SfuClient): ResourceContext {
    return {
      core: this.#options.core,
      sfu,
      clock: this.#options.clock ?? systemClock,
      log: this.#log,
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 30_000,
      answerTimeoutMs: this.#options.answerTimeoutMs ?? 10_000,
      onGone: (resource) => {
        if (this.#resources.get(resource.id) === resource) this.#resources.delete(resource.id);
      },
    };
  }
}
