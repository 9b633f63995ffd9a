/**
 * The HTTP request handler: `/healthz`, `/metrics`, `/api/...`, and the web app's static
 * files. Every answer is counted in `itda_http_requests_total{route,status}` and carries
 * the security headers (security-headers.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@itda/common';
import type { SignalServer } from '@itda/signal/node';
import type { EmbeddedSfu } from '../sfu/sfu-embed.ts';
import type { EmbeddedTurn } from '../turn/turn-embed.ts';
import { WhipEndpoint } from '../whip/whip.ts';
import { type ApiAccess, handleApi } from './api.ts';
import { sendError, sendJson } from './http-util.ts';
import type { NetworkCheck } from './network-check.ts';
import { type HttpCounters, PROMETHEUS_CONTENT_TYPE, renderMetrics } from './prometheus.ts';
import type { StaticFiles } from './static-files.ts';

export interface HttpContext {
  signal: SignalServer;
  files: StaticFiles;
  counters: HttpCounters;
  access: ApiAccess;
  maxBodyBytes: number;
  /** Headers set on every answer (security-headers.ts: CSP, nosniff, Referrer-Policy, …). */
  securityHeaders: Readonly<Record<string, string>>;
  /** ms since the epoch */
  startedAt: number;
  log: Logger;
  /** The embedded TURN server, if any: its health and `itda_turn_*` metrics. */
  turn?: Pick<EmbeddedTurn, 'health' | 'metricsText'> | undefined;
  /** The embedded SFU, if any: its health and `itda_sfu_*` metrics. */
  sfu?: Pick<EmbeddedSfu, 'health' | 'metricsText'> | undefined;
  /** WHIP/WHEP (`/whip/…`, `/whep/…`; whip.ts). */
  whip?: WhipEndpoint | undefined;
  /** `itda_tcp_*`: the media TCP listeners' caps and timeouts (tcp-limits.ts). */
  tcpMetricsText?: (() => string) | undefined;
  /** `GET /config.json`: what the web app says about this server (no secrets). */
  appConfig?: (() => AppConfig) | undefined;
  /** `GET /network-check`: ICE servers for the pre-join network check (network-check.ts). */
  networkCheck?: NetworkCheck | undefined;
}

/** What the web app needs to describe the server truthfully: the mode and size of new rooms, who may join. */
export interface AppConfig {
  roomMode: 'sfu' | 'p2p';
  /** Participants a new room of that mode holds. */
  roomCapacity: number;
  /** False: joining needs an invitation link (a room token). */
  openRooms: boolean;
}

export function createRequestHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    let route = 'other';
    res.once('finish', () => ctx.counters.count(route, res.statusCode));
    for (const [name, value] of Object.entries(ctx.securityHeaders)) res.setHeader(name, value);
    const method = req.method ?? 'GET';
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      sendError(res, 400, 'bad_request', 'malformed URL');
      return;
    }
    const get = method === 'GET' || method === 'HEAD';
    if (pathname === '/healthz') {
      route = 'healthz';
      if (!get) return sendError(res, 405, 'method_not_allowed', 'allowed: GET', { allow: 'GET, HEAD' });
      const stats = ctx.signal.core.stats();
      sendJson(res, 200, {
        status: 'ok',
        uptimeS: Math.round((Date.now() - ctx.startedAt) / 1000),
        rooms: stats.rooms,
        participants: stats.participants,
        ...(ctx.turn === undefined ? {} : { turn: ctx.turn.health() }),
        ...(ctx.sfu === undefined ? {} : { sfu: ctx.sfu.health() }),
        ...(ctx.whip === undefined ? {} : { whip: ctx.whip.counts() }),
      });
      return;
    }
    if (pathname === '/config.json' && ctx.appConfig !== undefined) {
      route = 'config';
      if (!get) return sendError(res, 405, 'method_not_allowed', 'allowed: GET', { allow: 'GET, HEAD' });
      sendJson(res, 200, ctx.appConfig());
      return;
    }
    if (pathname === '/network-check' && ctx.networkCheck !== undefined) {
      route = 'network_check';
      if (!get) return sendError(res, 405, 'method_not_allowed', 'allowed: GET', { allow: 'GET, HEAD' });
      ctx.networkCheck
        .handle(req, res)
        .catch((err: unknown) => ctx.log.error('network check failed', { err, path: pathname }));
      return;
    }
    if (pathname === '/metrics') {
      route = 'metrics';
      if (!get) return sendError(res, 405, 'method_not_allowed', 'allowed: GET', { allow: 'GET, HEAD' });
      const text =
        renderMetrics(ctx.signal, ctx.counters, ctx.startedAt) +
        (ctx.turn?.metricsText() ?? '') +
        (ctx.sfu?.metricsText() ?? '') +
        (ctx.whip?.metricsText() ?? '') +
        (ctx.tcpMetricsText?.() ?? '');
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
      res.end(method === 'HEAD' ? undefined : text);
      return;
    }
    if (ctx.whip !== undefined && WhipEndpoint.matches(pathname)) {
      route = pathname.startsWith('/whip') ? 'whip' : 'whep';
      void ctx.whip.handle(req, res, new URL(req.url ?? '/', 'http://localhost'));
      return;
    }
    if (pathname === '/api' || pathname.startsWith('/api/')) {
      route = 'api';
      handleApi(req, res, pathname, {
        core: ctx.signal.core,
        access: ctx.access,
        maxBodyBytes: ctx.maxBodyBytes,
      }).catch((err: unknown) => ctx.log.error('api handler failed', { err, path: pathname }));
      return;
    }
    if (pathname === ctx.signal.path) {
      route = 'ws';
      return sendError(res, 426, 'upgrade_required', 'this path takes WebSocket connections', { upgrade: 'websocket' });
    }
    route = 'static';
    if (!get) return sendError(res, 405, 'method_not_allowed', 'allowed: GET, HEAD', { allow: 'GET, HEAD' });
    ctx.files
      .serve(req, res, pathname)
      .then((result) => {
        if (result === 'served') return;
        route = 'not_found';
        sendError(res, 404, 'not_found', 'no such file');
      })
      .catch((err: unknown) => {
        ctx.log.error('static file failed', { err, path: pathname });
        if (!res.headersSent) sendError(res, 500, 'internal', 'internal error');
        else res.destroy();
      });
  };
}
