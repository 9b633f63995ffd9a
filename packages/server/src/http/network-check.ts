/**
 * `GET /network-check`: what the web app's pre-join network check (apps/web/src/
 * network-check.ts) needs to test this server's reach from the browser — the ICE servers
 * a participant would get, with credentials that live `CHECK_CREDENTIAL_TTL_S`, and the
 * STUN URLs to compare mappings with: the server's STUN, plus its RFC 5780 other address
 * when the STUN server has one (a browser that gets one server-reflexive port from both
 * sits behind a NAT that keeps its port for every destination).
 *
 * Access follows joining: open rooms → anyone; else `Authorization: Bearer <room token>`
 * for any room (401 otherwise). At most `CHECK_RATE_PER_MINUTE` checks per source
 * address (burst `CHECK_BURST`), beyond that 429 `rate_limited`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isItdaError } from '@itda/common';
import type { IceServer } from '@itda/protocol';
import type { IceServersProvider, TokenVerifier } from '@itda/signal';
import { SourceRateLimiter } from '@itda/turn';
import { sendError, sendJson } from './http-util.ts';

/** Lifetime of the TURN credentials a check gets, seconds. */
export const CHECK_CREDENTIAL_TTL_S = 120;
/** Checks per source address: refilled at this rate, up to `CHECK_BURST` at once. */
export const CHECK_RATE_PER_MINUTE = 60;
export const CHECK_BURST = 20;

export interface NetworkCheckOptions {
  /** ICE servers for one check (short-lived credentials). */
  iceServers: IceServersProvider;
  openRooms: boolean;
  /** Checks room tokens when open rooms are off; without one and without open rooms every check is refused. */
  verifyToken?: TokenVerifier | undefined;
  /** `stun:` URL of the STUN server's RFC 5780 other address, if it has one (rfc5780-other.ts). */
  otherStun?: (() => Promise<string | undefined>) | undefined;
  now?: () => number;
}

/** What `GET /network-check` answers. */
export interface NetworkCheckAnswer {
  iceServers: IceServer[];
  /** STUN URLs (UDP) on different destinations: the same server-reflexive port from all of them means a port-keeping NAT. */
  stun: string[];
}

export class NetworkCheck {
  readonly #o: NetworkCheckOptions;
  readonly #limiter = new SourceRateLimiter(CHECK_RATE_PER_MINUTE / 60, CHECK_BURST, 10_000);
  readonly #now: () => number;

  constructor(options: NetworkCheckOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const now = this.#now();
    const source = req.socket.remoteAddress ?? 'unknown';
    if (this.#limiter.size >= 10_000) this.#limiter.prune(now);
    if (!this.#limiter.take(source, now)) {
      sendError(res, 429, 'rate_limited', `at most ${CHECK_RATE_PER_MINUTE} network checks a minute`, {
        'retry-after': '10',
      });
      return;
    }
    if (!this.#o.openRooms) {
      const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      const verify = this.#o.verifyToken;
      if (m?.[1] === undefined || verify === undefined) {
        sendError(res, 401, 'unauthorized', 'a network check needs a room token (Authorization: Bearer <token>)');
        return;
      }
      try {
        verify(m[1]);
      } catch (err) {
        const code = isItdaError(err, 'token_expired') ? 'token_expired' : 'invalid_token';
        sendError(res, 401, code, (err as Error).message);
        return;
      }
    }
    const participantId = `check_${randomBytes(9).toString('base64url')}`;
    const iceServers = this.#o.iceServers({
      room: '',
      participantId,
      identity: null,
      ...(req.headers.host === undefined ? {} : { host: req.headers.host }),
    });
    const stun = iceServers
      .flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]))
      .filter((u) => u.startsWith('stun:'));
    const other = stun.length > 0 ? await this.#o.otherStun?.() : undefined;
    const answer: NetworkCheckAnswer = { iceServers, stun: other === undefined ? stun : [...stun, other] };
    sendJson(res, 200, answer);
  }
}
