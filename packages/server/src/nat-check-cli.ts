/**
 * `itda nat-check --server HOST[:PORT]`: RFC 5780 NAT behaviour discovery against a STUN
 * server (@itda/turn/client checkNat), printed in words or as JSON.
 */
import { isIP } from 'node:net';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { checkNat, type NatReport } from '@itda/turn/client';
import { parseDuration } from './config/duration.ts';

export const NAT_CHECK_OPTIONS: ParseArgsOptionsConfig = {
  help: { type: 'boolean', short: 'h' },
  server: { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string', default: '3s' },
};

/** `host`, `host:port`, `1.2.3.4:5`, `[::1]:5` or `::1` → host and port (default 3478); undefined when malformed. */
export function parseServer(text: string): { address: string; port: number } | undefined {
  const m = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  const host = m?.[1] ?? (isIP(text) === 6 ? text : undefined);
  const port = m?.[2] === undefined ? 3478 : Number(m[2]);
  if (host === undefined || host.length === 0 || port < 1 || port > 65535) return undefined;
  return { address: host, port };
}

/** The report as people read it: the summary, then the facts one per line. */
export function formatNatReport(r: NatReport): string {
  const at = (a: { address: string; port: number }): string =>
    a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  const lines = [r.summary, '', `  server     ${at(r.server)}`, `  udp        ${r.udp ? 'answers' : 'no answer'}`];
  lines.push(`  local      ${at(r.local)}`);
  if (r.mapped !== undefined) lines.push(`  mapped     ${at(r.mapped)}`);
  if (r.mapping !== undefined) lines.push(`  mapping    ${r.mapping}`);
  if (r.filtering !== undefined) lines.push(`  filtering  ${r.filtering}`);
  lines.push(`  direct     ${r.direct}`);
  return `${lines.join('\n')}\n`;
}

export class NatCheckUsage extends Error {}

/** Runs the check; the exit code is 0 with a finding, 1 when UDP got no answer. */
export async function runNatCheck(
  args: string[],
  io: { stdout(text: string): void },
  help: () => string,
): Promise<{ code: number }> {
  const flags = parseArgs({ args, options: NAT_CHECK_OPTIONS, strict: true, allowPositionals: false }).values;
  if (flags.help === true) {
    io.stdout(help());
    return { code: 0 };
  }
  if (typeof flags.server !== 'string') throw new NatCheckUsage('--server is required: a STUN server, HOST[:PORT]');
  const server = parseServer(flags.server);
  if (server === undefined) throw new NatCheckUsage(`--server: "${flags.server}" is not HOST[:PORT]`);
  const timeoutMs = typeof flags.timeout === 'string' ? parseDuration(flags.timeout, 'ms') : undefined;
  if (timeoutMs === undefined || timeoutMs < 1 || timeoutMs > 60_000) {
    throw new NatCheckUsage('--timeout must be a duration from 1ms to 60s, like 3s');
  }
  const report = await checkNat(server, { timeoutMs: Math.round(timeoutMs) });
  io.stdout(flags.json === true ? `${JSON.stringify(report)}\n` : formatNatReport(report));
  return { code: report.udp ? 0 : 1 };
}
