/**
 * Allocation quotas (486 Allocation Quota Reached, RFC 8656 §7.2 step 7): per user, per
 * source address, in total. Pending Allocates (relay still binding) count as allocations.
 *
 * RFC 8656 §7.2 says the quota "SHOULD [be defined] based on the username used to
 * authenticate the request and not on the client's transport address". itda keeps the
 * per-user quota, and adds one per source address because the usernames a meeting server
 * hands out are not scarce: every join to an open room mints a fresh TURN REST identity,
 * so a username quota alone does not bound what one anonymous person can hold. The RFC's
 * concern — many honest users behind one NAT — is why the per-source default is large
 * (a 50-person meeting behind one address fits); see docs/turn.md, "Quotas".
 */
import { formatIPv4, parseIp } from '@itda/stun';
import type { Credential } from './auth.ts';
import type { RelayHandle } from './io.ts';
import { normalizeIp } from './peer-policy.ts';
import type { CoreState } from './state.ts';

/**
 * The per-source quota key of a client IP: the IPv4 address itself, or the /64 prefix of
 * an IPv6 address — one host may pick any address of its /64 (SLAAC, RFC 4862; temporary
 * addresses, RFC 8981), so counting single IPv6 addresses would count nothing. An IPv6
 * address that carries an IPv4 one (IPv4-mapped, 6to4, …: `normalizeIp`) counts as that
 * IPv4 address, not as one /64 shared by every IPv4 client.
 */
export function sourceKey(address: string): string {
  if (!address.includes(':')) return address;
  const bytes = parseIp(address);
  if (bytes === undefined) return address;
  const n = normalizeIp(bytes);
  if (n.length === 4) return formatIPv4(n);
  return `${Buffer.from(n.subarray(0, 8)).toString('hex')}::/64`;
}

/** At most one `allocation quota reached` (and one `peer refused`) log line per this many ms; the rest are counted in it. */
export const QUOTA_LOG_INTERVAL_MS = 10_000;

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

/**
 * Which quota an Allocate by `credential` from `source` would exceed: 'user', 'source',
 * 'total', or undefined when it fits.
 */
export function quotaExceeded<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  credential: Credential,
  source: string,
): 'user' | 'source' | 'total' | undefined {
  if ((st.perUser.get(credential.quotaKey) ?? 0) >= st.o.allocationsPerUser) return 'user';
  if ((st.perSource.get(source) ?? 0) >= st.o.allocationsPerSource) return 'source';
  if (st.byRelay.size + st.pending.size >= st.o.allocationsTotal) return 'total';
  return undefined;
}

/** Counts (`by` = 1) or uncounts (-1) one allocation against its user and source. */
export function holdQuota<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  credential: Credential,
  source: string,
  by: 1 | -1,
): void {
  bump(st.perUser, credential.quotaKey, by);
  bump(st.perSource, source, by);
}
