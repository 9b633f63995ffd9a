/**
 * Checks `TurnServerOptions` once, before anything is bound (STYLE.md §6).
 */
import { resolveStreamGuardLimits, type SharedConnectionBudget, type StreamGuardLimits } from '@itda/common/node';
import { parseIp } from '@itda/stun';
import { TurnError, TurnErrorCode } from '../protocol/errors.ts';
import type { ListenOptions, TurnServerOptions } from './options.ts';

/** The Node-level options with defaults filled in. */
export interface ResolvedServerOptions {
  listen: ListenOptions[];
  /** Undefined: each relay binds on the local address its Allocate arrived on (a wildcard first listener). */
  relayIp: string | undefined;
  relayIpv6: string | undefined;
  externalIp: string | undefined;
  minPort: number;
  maxPort: number;
  rfc5780: { alternateIp: string; alternatePort: number } | undefined;
  udpBufferBytes: number;
  relayBufferBytes: number;
  interfacePollMs: number;
  /** Limits of each TCP/TLS listener, defaults filled in. */
  tcpLimits: Required<{ [K in keyof StreamGuardLimits]: number }>;
  tcpSharedBudget: SharedConnectionBudget | undefined;
}

/** Default `udpBufferBytes`: 2 MiB, as coturn asks for its UDP listeners. */
export const DEFAULT_UDP_BUFFER_BYTES = 2 << 20;
const MIN_BUFFER_BYTES = 65_536;
const MAX_BUFFER_BYTES = 268_435_456;

function checkBufferBytes(name: string, value: unknown): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    (value !== 0 && (value < MIN_BUFFER_BYTES || value > MAX_BUFFER_BYTES))
  ) {
    throw bad(`${name} must be 0 or an integer ${MIN_BUFFER_BYTES}-${MAX_BUFFER_BYTES}, got ${String(value)}`);
  }
  return value;
}

function bad(message: string): TurnError {
  return new TurnError(TurnErrorCode.BadOptions, message);
}

export function familyOf(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

export function isWildcard(ip: string): boolean {
  return ip === '0.0.0.0' || ip === '::';
}

function checkIp(name: string, ip: unknown): string {
  if (typeof ip !== 'string' || parseIp(ip) === undefined)
    throw bad(`${name} must be an IPv4 or IPv6 address, got ${String(ip)}`);
  return ip;
}

function checkPort(name: string, port: unknown, min = 0): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < min || port > 65535) {
    throw bad(`${name} must be an integer ${min}-65535, got ${String(port)}`);
  }
  return port;
}

/** @throws TurnError turn_bad_options */
export function resolveServerOptions(o: TurnServerOptions): ResolvedServerOptions {
  const listen = o.listen ?? [
    { transport: 'udp', host: '0.0.0.0', port: 3478 },
    { transport: 'tcp', host: '0.0.0.0', port: 3478 },
  ];
  if (!Array.isArray(listen) || listen.length === 0 || listen.length > 32) throw bad('listen must list 1-32 listeners');
  listen.forEach((l, i) => {
    if (l.transport !== 'udp' && l.transport !== 'tcp' && l.transport !== 'tls') {
      throw bad(`listen[${i}].transport must be udp, tcp or tls`);
    }
    checkIp(`listen[${i}].host`, l.host);
    checkPort(`listen[${i}].port`, l.port);
    if (l.transport === 'tls' && (l.cert === undefined || l.key === undefined)) {
      throw bad(`listen[${i}]: a TLS listener needs cert and key`);
    }
  });
  const externalIp = o.externalIp === undefined ? undefined : checkIp('externalIp', o.externalIp);
  let relayIp = o.relayIp;
  if (relayIp === undefined) {
    const first = listen[0] as ListenOptions;
    if (!isWildcard(first.host)) relayIp = first.host;
    else if (externalIp !== undefined) relayIp = familyOf(externalIp) === 'IPv6' ? '::' : '0.0.0.0';
    // else: per request, on the address the Allocate arrived on.
  }
  if (relayIp !== undefined) {
    checkIp('relayIp', relayIp);
    if (isWildcard(relayIp) && externalIp === undefined)
      throw bad('a wildcard relayIp needs externalIp (the address to advertise)');
  }
  const relayIpv6 = o.relayIpv6 === undefined ? undefined : checkIp('relayIpv6', o.relayIpv6);
  if (relayIpv6 !== undefined && familyOf(relayIpv6) !== 'IPv6') throw bad('relayIpv6 must be an IPv6 address');
  const relayFamily = familyOf(relayIp ?? (listen[0] as ListenOptions).host);
  if (relayFamily === 'IPv6' && relayIpv6 !== undefined) throw bad('relayIp is IPv6 already; leave relayIpv6 unset');
  const interfacePollMs = o.interfacePollMs ?? 5000;
  if (
    typeof interfacePollMs !== 'number' ||
    !Number.isInteger(interfacePollMs) ||
    (interfacePollMs !== 0 && (interfacePollMs < 100 || interfacePollMs > 3_600_000))
  )
    throw bad(`interfacePollMs must be 0 or an integer 100-3600000, got ${String(interfacePollMs)}`);
  const minPort = checkPort('minPort', o.minPort ?? 49152, 1);
  const maxPort = checkPort('maxPort', o.maxPort ?? 65535, 1);
  if (maxPort < minPort + 1) throw bad('maxPort must be greater than minPort');
  let rfc5780: ResolvedServerOptions['rfc5780'];
  if (o.rfc5780 !== undefined) {
    const primary = listen.find((l) => l.transport === 'udp');
    if (primary === undefined || isWildcard(primary.host)) {
      throw bad('rfc5780 needs a UDP listener on a specific address (the primary address)');
    }
    const alternateIp = checkIp('rfc5780.alternateIp', o.rfc5780.alternateIp);
    if (familyOf(alternateIp) !== familyOf(primary.host) || alternateIp === primary.host) {
      throw bad('rfc5780.alternateIp must be another address of the primary UDP listener family');
    }
    rfc5780 = { alternateIp, alternatePort: checkPort('rfc5780.alternatePort', o.rfc5780.alternatePort ?? 0) };
  }
  const udpBufferBytes = checkBufferBytes('udpBufferBytes', o.udpBufferBytes ?? DEFAULT_UDP_BUFFER_BYTES);
  const relayBufferBytes = checkBufferBytes('relayBufferBytes', o.relayBufferBytes ?? 0);
  let tcpLimits: ResolvedServerOptions['tcpLimits'];
  try {
    tcpLimits = resolveStreamGuardLimits(o.tcpLimits ?? {});
  } catch (err) {
    throw bad(`tcpLimits: ${(err as Error).message}`);
  }
  return {
    listen,
    relayIp,
    relayIpv6,
    externalIp,
    minPort,
    maxPort,
    rfc5780,
    udpBufferBytes,
    relayBufferBytes,
    interfacePollMs,
    tcpLimits,
    tcpSharedBudget: o.tcpSharedBudget,
  };
}
