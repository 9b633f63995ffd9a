/**
 * `itda turn`: the STUN/TURN server on its own (no web app, no signaling), for a TURN
 * host separate from the signaling host, or to stand in for coturn. Optional HTTP
 * listener for `GET /metrics` (Prometheus, `itda_turn_*`) and `GET /healthz`.
 */

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@itda/common';
import { selfSignedCertificate } from '@itda/common/node';
import { type BoundAddress, formatTurnMetrics, type ListenOptions, systemAddresses, type TurnServer } from '@itda/turn';
import { configError, listenError } from '../config/config-error.ts';
import type { TurnCliConfig } from '../config/turn-cli-config.ts';
import { turnUsersRecord } from '../config/turn-settings.ts';
import { sendError, sendJson } from '../http/http-util.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../http/prometheus.ts';
import { chooseRelayIp, relayAndQuotaOptions, startTurnServer } from './turn-embed.ts';

/** A running `itda turn`. */
export interface RunningTurn {
  readonly server: TurnServer;
  /** Bound client listeners (ports resolved). */
  readonly addresses: BoundAddress[];
  /** `http://host:port` of the metrics listener, when configured. */
  readonly metricsUrl: string | undefined;
  readonly config: TurnCliConfig;
  /** Closes the metrics listener and the TURN server. Idempotent. */
  close(): Promise<void>;
}

function tlsMaterial(config: TurnCliConfig, relayIp: string | undefined, log: Logger): { cert: string; key: string } {
  if (config.cert !== undefined && config.key !== undefined) {
    try {
      return { cert: readFileSync(config.cert, 'utf8'), key: readFileSync(config.key, 'utf8') };
    } catch (err) {
      throw configError(`cannot read --cert/--key: ${(err as Error).message}`);
    }
  }
  const hosts = new Set(['localhost', '127.0.0.1', '::1', ...(relayIp === undefined ? [] : [relayIp])]);
  if (relayIp === undefined) for (const a of systemAddresses()) hosts.add(a.address);
  if (config.externalIp !== undefined) hosts.add(config.externalIp);
  for (const l of config.tlsListen) if (l.host !== '0.0.0.0' && l.host !== '::') hosts.add(l.host);
  const made = selfSignedCertificate({ hosts: [...hosts] });
  log.warn('TLS listeners use a self-signed certificate: pass --cert and --key for your own', {
    code: 'self_signed_certificate',
    fingerprint256: made.fingerprint256,
  });
  return made;
}

function listenMetrics(server: TurnServer, at: { host: string; port: number }, startedAt: number): Promise<Server> {
  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'method_not_allowed', 'allowed: GET', { allow: 'GET, HEAD' });
    } else if (path === '/metrics') {
      const cpu = process.cpuUsage();
      const text = `${formatTurnMetrics(server.metrics)}# HELP process_cpu_seconds_total Total CPU time spent, seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}
# HELP process_resident_memory_bytes Resident memory size, bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes ${process.memoryUsage().rss}
`;
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    } else if (path === '/healthz') {
      sendJson(res, 200, {
        status: 'ok',
        uptimeS: Math.round((Date.now() - startedAt) / 1000),
        turn: {
          listeners: server.addresses.map(({ transport, host, port }) => ({ transport, host, port })),
          udpLocalAddresses: server.udpLocalAddresses.map((a) => a.host),
          allocations: server.metrics.allocations,
        },
      });
    } else {
      sendError(res, 404, 'not_found', 'GET /metrics or /healthz');
    }
  });
  return new Promise((resolve, reject) => {
    http.once('error', (err: NodeJS.ErrnoException) =>
      reject(listenError(`cannot listen on ${at.host}:${at.port}: ${err.code ?? err.message}`, err)),
    );
    http.listen(at.port, at.host, () => resolve(http));
  });
}

/** Starts `itda turn` from a validated config. Rejects with `listen_failed` or `invalid_config`. */
export async function startTurn(config: TurnCliConfig, log: Logger): Promise<RunningTurn> {
  const startedAt = Date.now();
  const first = config.listen[0] ?? config.tlsListen[0];
  const relayIp = chooseRelayIp({ relayIp: config.relayIp, host: first?.host ?? '0.0.0.0' });
  const listen: ListenOptions[] = [];
  for (const { host, port } of config.listen) {
    listen.push({ transport: 'udp', host, port }, { transport: 'tcp', host, port });
  }
  if (config.tlsListen.length > 0) {
    const material = tlsMaterial(config, relayIp, log);
    for (const { host, port } of config.tlsListen) listen.push({ transport: 'tls', host, port, ...material });
  }
  if (config.users.length === 0 && config.secrets.length === 0) {
    log.warn('no --user and no --secret: STUN Binding only, every TURN request gets 401', { code: 'no_credentials' });
  }
  const server = await startTurnServer({
    realm: config.realm,
    listen,
    users: turnUsersRecord(config.users, '--user'),
    secrets: config.secrets,
    ...relayAndQuotaOptions(config, relayIp),
    allowedPeers: config.allowedPeers,
    deniedPeers: config.deniedPeers,
    ...(config.rfc5780 === undefined ? {} : { rfc5780: { alternateIp: config.rfc5780 } }),
    logger: log,
  });
  let http: Server | undefined;
  const metricsAt = config.metricsListen[0];
  if (metricsAt !== undefined) {
    try {
      http = await listenMetrics(server, metricsAt, startedAt);
    } catch (err) {
      await server.close();
      throw err;
    }
  }
  const bound = http?.address() as AddressInfo | undefined;
  const metricsUrl =
    bound === undefined
      ? undefined
      : `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  const addresses = server.addresses;
  log.info('TURN ready', {
    addresses: addresses.map((a) => `${a.transport}:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`),
    udpLocalAddresses: server.udpLocalAddresses.map((a) => a.host),
    relayIp: relayIp ?? 'the address each Allocate arrived on',
    externalIp: config.externalIp,
    realm: config.realm,
    metricsUrl,
  });
  if (config.allowLoopbackPeers) log.warn('relaying to loopback peers (--allow-loopback-peers): tests only');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      log.info('shutting down');
      if (http !== undefined) {
        const h = http;
        await new Promise<void>((resolve) => {
          h.close(() => resolve());
          h.closeAllConnections();
        });
      }
      await server.close();
    })();
    return closing;
  };
  return { server, addresses, metricsUrl, config, close };
}
