/**
 * `startServer`: one process, one port — the web app, signaling at `/ws`, `/healthz`,
 * `/metrics` and the room API, over HTTP or HTTPS (`tls`, `tlsCert`: the port then
 * redirects plain HTTP to HTTPS). Used by the CLI, tests, e2e and the benchmark.
 *
 * ```ts
 * const server = await startServer({ port: 0, host: '127.0.0.1', logLevel: 'warn' });
 * server.url; server.wsUrl; server.signal.dropConnection(participantId);
 * await server.close(); // idempotent
 * ```
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Clock, createLogger, type Logger, type LogSink } from '@itda/common';
import { openFileLimit } from '@itda/common/node';
import { createTokenVerifier, type IceServersProvider } from '@itda/signal';
import { SignalServer } from '@itda/signal/node';
import { DEFAULT_SERVER_CONFIG, type ServerConfig, validateServerConfig } from './config/config.ts';
import { listenError } from './config/config-error.ts';
import { mediaTcpBudget, tcpGuardMetricsText } from './config/tcp-limits.ts';
import { apiAccess } from './http/api.ts';
import { createRequestHandler } from './http/http.ts';
import { createHttpsPort } from './http/https-port.ts';
import { CHECK_CREDENTIAL_TTL_S, NetworkCheck } from './http/network-check.ts';
import { HttpCounters } from './http/prometheus.ts';
import { securityHeaders } from './http/security-headers.ts';
import { StaticFiles } from './http/static-files.ts';
import { loadTlsIdentity, readTlsFiles, type TlsIdentity } from './http/tls.ts';
import { type EmbeddedSfu, startEmbeddedSfu } from './sfu/sfu-embed.ts';
import { rfc5780OtherStun } from './turn/rfc5780-other.ts';
import { type EmbeddedTurn, remoteTurnProvider, startEmbeddedTurn } from './turn/turn-embed.ts';
import { WhipEndpoint } from './whip/whip.ts';

/**
 * Every ServerConfig key, all optional (no environment is read). Unlike the CLI, TURN and
 * the SFU are off unless `turn: true` / `sfu: true` are given; with `port: 0` their
 * listeners use port 0 as well unless `turnPort`/`turnTlsPort`/`rtcPort` are given —
 * tests never bind fixed ports.
 */
export interface StartServerOptions extends Partial<ServerConfig> {
  /** Where log records go (one object per record). Default: nowhere — the CLI passes a stdout sink. */
  logSink?: LogSink;
  /** A ready logger; overrides `logLevel` and `logSink`. */
  logger?: Logger;
  /** Clock for the signaling core. Default: the system clock. */
  clock?: Clock;
  /** ICE servers per participant (e.g. TURN REST credentials); overrides `iceServers`. */
  iceServersProvider?: IceServersProvider;
}

export interface ItdaServer {
  readonly port: number;
  readonly host: string;
  /** `http://HOST:PORT`, `https://` with TLS (a wildcard host becomes loopback). */
  readonly url: string;
  /** `ws://HOST:PORT/ws`, `wss://` with TLS. */
  readonly wsUrl: string;
  /** The HTTPS certificate (fingerprints, names, files), or undefined for plain HTTP. */
  readonly tls: TlsIdentity | undefined;
  /** The signaling server: `core` (rooms, stats, metrics) and `dropConnection(participantId)`. */
  readonly signal: SignalServer;
  readonly config: ServerConfig;
  readonly http: Server | HttpsServer;
  /** The embedded STUN/TURN server, when `turn` is on: `addresses` (ports resolved), `server.metrics`. */
  readonly turn: EmbeddedTurn | undefined;
  /** The embedded SFU, when `sfu` is on: `rtc` (ports, candidates, stats) and `service` (rooms, transports). */
  readonly sfu: EmbeddedSfu | undefined;
  /**
   * Reads `--tls-cert`/`--tls-key` again (SIGHUP): new connections get the new
   * certificate, calls in progress go on; TURN over TLS too when it shares it. Throws
   * `invalid_config` naming the file when the new pair does not load (the old one stays).
   * Nothing to do without certificate files.
   */
  reloadTls(): void;
  /** Closes everything (clients get `closed` reason `server_shutdown`, close 1001). Idempotent. */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startServer(options: StartServerOptions = {}): Promise<ItdaServer> {
  const { logSink, logger: givenLogger, clock, iceServersProvider, ...partial } = options;
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const config = validateServerConfig({ ...DEFAULT_SERVER_CONFIG, turn: false, sfu: false, ...defined });
  const log =
    givenLogger ?? createLogger({ level: config.logLevel, ...(logSink === undefined ? {} : { sink: logSink }) });
  const startedAt = Date.now();

  // Before anything listens: a certificate that does not load stops the start, naming the file.
  const tls = loadTlsIdentity(config);
  if (tls !== undefined) {
    log.info(tls.selfSigned ? 'https with a self-signed certificate' : 'https', {
      fingerprint256: tls.fingerprint256,
      spkiSha256: tls.spkiSha256,
      ...(tls.files === undefined ? { names: tls.names } : { cert: tls.files.cert }),
    });
  }
  const iceServers = config.iceServers;
  // TURN credentials handed out in `joined` are bound to the participant's session: the
  // embedded TURN server asks the signaling core (created below) whether it still exists,
  // and frees the session's allocations when it ends.
  let sessions: SignalServer | undefined;
  // One budget for ICE-TCP and TURN TCP/TLS: what they leave of the open-file limit is HTTP's.
  const tcpSharedBudget =
    config.turn || config.sfu ? mediaTcpBudget(config, log.child('tcp'), openFileLimit()) : undefined;
  const turn = config.turn
    ? await startEmbeddedTurn(config, {
        log: log.child('turn'),
        ephemeralPorts: config.port === 0 && partial.turnPort === undefined && partial.turnTlsPort === undefined,
        sessionActive: (id) => sessions?.core.hasSession(id) === true,
        tcpSharedBudget,
        sharedTls: tls,
      })
    : undefined;
  const sfu = config.sfu
    ? await startEmbeddedSfu(config, {
        log: log.child('sfu'),
        ephemeralPorts: config.port === 0 && partial.rtcPort === undefined,
        tcpSharedBudget,
      }).catch(async (err: unknown) => {
        await turn?.close();
        throw err;
      })
    : undefined;
  const verifyToken = config.jwtSecrets.length > 0 ? createTokenVerifier({ secrets: config.jwtSecrets }) : undefined;
  const signal = new SignalServer({
    openRooms: config.openRooms,
    firstJoinerHost: config.firstJoinerHost,
    roomCapacity: config.roomCapacity,
    sfuRoomCapacity: config.sfuRoomCapacity,
    defaultRoomMode: config.roomMode,
    maxMessageBytes: config.maxMessageBytes,
    ratePerSecond: config.rate,
    rateBurst: config.rateBurst,
    roomDataBytesPerSecond: config.roomDataBytesPerSecond,
    roomDataBurstBytes: config.roomDataBurstBytes,
    sdpBytesPerSecond: config.sdpRate,
    ...(config.sdpBurst === undefined ? {} : { sdpBurstBytes: config.sdpBurst }),
    resumeGraceMs: config.resumeGraceMs,
    emptyRoomGraceMs: config.emptyRoomGraceMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    iceServers: iceServersProvider ?? turn?.iceServersProvider ?? remoteTurnProvider(config) ?? (() => iceServers),
    onSessionEnded: turn === undefined ? undefined : (s) => turn.endSession(s.participantId),
    verifyToken,
    logger: log.child('signal'),
    sfu: sfu?.client,
    ...(clock === undefined ? {} : { clock }),
  });

  sessions = signal;

  const whip = new WhipEndpoint({
    core: signal.core,
    sfu: sfu?.client,
    connectTimeoutMs: config.rtcConsentTimeoutMs,
    logger: log.child('whip'),
  });
  const access = apiAccess(config);
  // A TURN server elsewhere (--no-turn --turn-host): its RFC 5780 other address, if any, for the network check.
  const remoteStunHost = config.turn ? undefined : (config.turnHost ?? config.externalIp);
  const httpLog = log.child('http');
  const counters = new HttpCounters();
  const handler = createRequestHandler({
    signal,
    files: new StaticFiles(config.webDir),
    counters,
    access,
    maxBodyBytes: config.maxBodyBytes,
    securityHeaders: securityHeaders(config.frameAncestors),
    startedAt,
    log: httpLog,
    turn,
    sfu,
    whip,
    networkCheck: new NetworkCheck({
      iceServers:
        iceServersProvider ??
        turn?.iceServersWithTtl(CHECK_CREDENTIAL_TTL_S) ??
        remoteTurnProvider(config, CHECK_CREDENTIAL_TTL_S) ??
        (() => iceServers),
      openRooms: config.openRooms,
      verifyToken,
      otherStun:
        remoteStunHost === undefined ? undefined : rfc5780OtherStun({ host: remoteStunHost, port: config.turnPort }),
    }),
    appConfig: () => {
      const mode = signal.core.config.defaultRoomMode === 'sfu' ? 'sfu' : 'p2p';
      return {
        roomMode: mode,
        roomCapacity: mode === 'sfu' ? config.sfuRoomCapacity : config.roomCapacity,
        openRooms: config.openRooms,
      };
    },
    tcpMetricsText: () =>
      tcpGuardMetricsText([
        ...(sfu?.rtc.tcpGuard === undefined ? [] : [sfu.rtc.tcpGuard]),
        ...(turn?.server.streamGuards ?? []),
      ]),
  });
  const http = tls === undefined ? createServer(handler) : createHttpsServer({ cert: tls.cert, key: tls.key }, handler);
  // With TLS one port takes both: HTTPS, and plain HTTP answered with a redirect to it.
  const httpsPort = tls === undefined ? undefined : createHttpsPort({ https: http as HttpsServer });
  const listener = httpsPort?.server ?? http;
  http.on('upgrade', (req, socket, head) => {
    if (signal.handleUpgrade(req, socket, head)) {
      counters.count('ws', 101);
      return;
    }
    counters.count('not_found', 404);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(listenError(`cannot listen on ${config.host}:${config.port}: ${err.code ?? err.message}`, err));
    };
    listener.once('error', onError);
    listener.listen(config.port, config.host, () => {
      listener.off('error', onError);
      resolve();
    });
  }).catch(async (err: unknown) => {
    whip.close();
    await signal.close();
    await turn?.close();
    await sfu?.close();
    throw err;
  });

  const port = (listener.address() as AddressInfo).port;
  const secure = tls === undefined ? '' : 's';
  const url = `http${secure}://${urlHost(config.host)}:${port}`;
  const wsUrl = `ws${secure}://${urlHost(config.host)}:${port}${signal.path}`;
  log.info('listening', {
    url,
    wsUrl,
    host: config.host,
    port,
    openRooms: config.openRooms,
    api: access.mode,
    ...(tls === undefined ? {} : { tls: { fingerprint256: tls.fingerprint256, spkiSha256: tls.spkiSha256 } }),
  });
  if (access.mode === 'disabled') {
    log.warn('room API disabled: open rooms are off and no --api-key is set', { code: 'api_disabled' });
  }
  if (!existsSync(join(config.webDir, 'index.html'))) {
    log.warn('web app not found: run `npm run build`', { code: 'web_app_missing', webDir: config.webDir });
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      log.info('shutting down');
      whip.close();
      await signal.close();
      await new Promise<void>((resolve) => {
        if (httpsPort === undefined) {
          http.close(() => resolve());
          http.closeAllConnections();
        } else {
          httpsPort.server.close(() => resolve());
          httpsPort.closeAll();
        }
      });
      await turn?.close();
      await sfu?.close();
    })();
    return closing;
  };

  const reloadTls = (): void => {
    if (tls?.files === undefined) return;
    const fresh = readTlsFiles(tls.files.cert, tls.files.key);
    (http as HttpsServer).setSecureContext({ cert: fresh.cert, key: fresh.key });
    if (config.turnCert === undefined) turn?.server.setCertificate(fresh.cert, fresh.key);
    Object.assign(tls, {
      cert: fresh.cert,
      key: fresh.key,
      fingerprint256: fresh.fingerprint256,
      spkiSha256: fresh.spkiSha256,
      names: fresh.names,
    });
    log.info('tls certificate reloaded', { fingerprint256: fresh.fingerprint256, cert: tls.files.cert });
  };

  return { port, host: config.host, url, wsUrl, tls, signal, config, http, turn, sfu, reloadTls, close };
}
