/** Listen hosts and this machine's names, shared by HTTPS, TURN and the start banner. */
import { hostname, networkInterfaces } from 'node:os';

const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);

/** True for a listen host that means "every address" (`0.0.0.0`, `::`, empty). */
export function isWildcardHost(host: string): boolean {
  return WILDCARD_HOSTS.has(host);
}

/**
 * This machine's names for a self-signed certificate: localhost, the loopbacks, the host
 * name and every interface address (or `addresses` instead of the interfaces), plus
 * `extra` names that are not wildcards. Each 1–253 characters.
 */
export function machineNames(extra: readonly (string | undefined)[] = [], addresses?: readonly string[]): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1', hostname()]);
  const own = addresses ?? Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  for (const a of own) names.add(a);
  for (const name of extra) if (name !== undefined && !isWildcardHost(name)) names.add(name);
  return [...names].filter((n) => n.length > 0 && n.length <= 253);
}
