/**
 * The start banner of `itda serve`: what a person starting itda needs, in plain words,
 * before the JSON log lines — where to open the app (this machine, and each address on
 * the network), whether other devices can use camera and microphone (HTTPS), who may
 * join, where media and TURN listen. `--log-format json` leaves it out.
 */
import { networkInterfaces } from 'node:os';
import { isWildcardHost } from './config/hosts.ts';
import type { ItdaServer } from './server.ts';
import { bracketHost } from './turn/ice-servers.ts';

/** Addresses other devices may reach this machine at: non-internal IPv4, then global IPv6. */
export function lanAddresses(interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces()): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4' && !a.address.startsWith('169.254.')) v4.push(a.address);
      if (a.family === 'IPv6' && !/^fe80:/i.test(a.address)) v6.push(a.address);
    }
  }
  return [...v4, ...v6];
}

/** What the banner shows (ItdaServer, or a test's). */
export interface BannerFacts {
  version: string;
  host: string;
  port: number;
  tls: { selfSigned: boolean; fingerprint256: string } | undefined;
  openRooms: boolean;
  api: 'open' | 'key' | 'disabled';
  sfu: { udpPort: number; tcpPort: number | undefined } | undefined;
  turn: { transport: string; port: number }[] | undefined;
  /** Addresses other devices may use; default: this machine's (lanAddresses). */
  lan?: string[];
}

export function bannerFacts(server: ItdaServer, version: string): BannerFacts {
  const c = server.config;
  return {
    version,
    host: c.host,
    port: server.port,
    tls: server.tls,
    openRooms: c.openRooms,
    api: c.apiKey !== undefined ? 'key' : c.openRooms ? 'open' : 'disabled',
    sfu: server.sfu === undefined ? undefined : { udpPort: server.sfu.rtc.udpPort, tcpPort: server.sfu.rtc.tcpPort },
    turn: server.turn?.addresses.map((a) => ({ transport: a.transport, port: a.port })),
  };
}

export function startBanner(facts: BannerFacts): string {
  const scheme = facts.tls === undefined ? 'http' : 'https';
  const wildcard = isWildcardHost(facts.host);
  const local = wildcard || facts.host === '127.0.0.1' || facts.host === '::1';
  const lan = wildcard ? (facts.lan ?? lanAddresses()) : local ? [] : [facts.host];
  const lines = [`itda ${facts.version} is running.`, '', '  Open in a browser:'];
  if (local) lines.push(`    ${scheme}://localhost:${facts.port}        on this machine`);
  for (const a of lan)
    lines.push(`    ${scheme}://${bracketHost(a)}:${facts.port}        from other devices on your network`);
  lines.push('');
  if (facts.tls === undefined) {
    if (lan.length > 0) {
      lines.push(
        '  Other devices need HTTPS for camera and microphone: restart with --tls self-signed,',
        '  or give your certificate with --tls-cert and --tls-key (README, "Run it on a server").',
      );
    }
  } else {
    if (facts.tls.selfSigned) {
      lines.push(
        '  The certificate is self-signed: each browser warns once. Check that it is this one:',
        `    SHA-256 ${facts.tls.fingerprint256}`,
      );
    }
    lines.push(`  http:// on port ${facts.port} redirects to https://.`);
  }
  lines.push(
    facts.openRooms
      ? '  Rooms are open: anyone with a room link joins (/r/<room name>).'
      : '  Joining needs an invitation: itda token --room <room> --identity <name> --url <this address>',
  );
  lines.push(
    facts.api === 'open'
      ? '  Room API: /api/rooms, open to anyone (set --api-key to require a key).'
      : facts.api === 'key'
        ? '  Room API: /api/rooms with "Authorization: Bearer <your --api-key>".'
        : '  Room API: off (open rooms are off and no --api-key is set).',
  );
  if (facts.sfu !== undefined) {
    lines.push(
      `  Media (SFU): UDP ${facts.sfu.udpPort}${facts.sfu.tcpPort === undefined ? '' : ` and TCP ${facts.sfu.tcpPort}`} — open them in your firewall.`,
    );
  }
  if (facts.turn !== undefined && facts.turn.length > 0) {
    const ports = [...new Set(facts.turn.map((t) => `${t.transport.toUpperCase()} ${t.port}`))].join(', ');
    lines.push(`  STUN/TURN: ${ports}.`);
  }
  lines.push(
    '  Health: /healthz · Metrics: /metrics · Stop: Ctrl+C',
    '',
    '  Logs follow, one JSON object per line.',
    '',
  );
  return `${lines.join('\n')}\n`;
}
