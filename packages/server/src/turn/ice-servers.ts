/**
 * The ICE servers each participant gets in `joined` (and `resumed`) when TURN runs in
 * the `itda` process: a `stun:` URL and `turn:`/`turns:` URLs with ephemeral TURN REST
 * credentials (draft-uberti-behave-turn-rest-00: username `expiry:identity`, password
 * base64(HMAC-SHA1(secret, username))) that stop working after `ttlSeconds`.
 *
 * The host in the URLs is, in order: `--turn-host`, `--external-ip`, else the host the
 * browser used to reach this server (its `Host` header, RFC 9110 §7.2) — a browser that
 * opened `http://192.168.1.5:8080` reaches TURN at 192.168.1.5, one that opened
 * `http://localhost:8080` at localhost — else `fallbackHost`.
 */
import type { IceServer } from '@itda/protocol';
import type { IceServersContext, IceServersProvider } from '@itda/signal';
import { restCredential } from '@itda/turn';
import { isHostName, type TurnAnnounce } from '../config/turn-settings.ts';

export interface TurnIceOptions {
  /** Bound ports of the listeners; a missing one is not announced. */
  ports: { udp?: number | undefined; tcp?: number | undefined; tls?: number | undefined };
  /** Which URLs to hand out. */
  announce: readonly TurnAnnounce[];
  /** A host that always wins (`--turn-host`, else `--external-ip`). */
  fixedHost: string | undefined;
  /** Host when the request named none usable. */
  fallbackHost: string;
  /** The REST secret that signs (the first of `--turn-secret`). */
  secret: string;
  /** Credential lifetime, seconds (1 s – 1 year). */
  ttlSeconds: number;
  /** ICE servers appended for everyone (`--ice-server`). Default none. */
  extra?: readonly IceServer[];
  /** Wall clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/**
 * The host part of a `Host` header (`example.org:8080` → `example.org`, `[::1]:8080` →
 * `[::1]`), or undefined when it is missing or not a plain host name or IP literal —
 * the header is client text and ends up inside URLs.
 */
export function hostOfHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(header.trim());
  const host = m?.[1];
  return host !== undefined && isHostName(host) ? host.toLowerCase() : undefined;
}

/** `::1` → `[::1]`; names and IPv4 unchanged. */
export function bracketHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The participant's TURN REST identity: its participant id, so that each credential
 * belongs to one session — quotas count per session, and the embedded TURN server refuses
 * the credential and frees its allocations when that session ends (`isSessionIdentity`,
 * turn-embed.ts). The room token's identity is not used: one person's two tabs are two
 * sessions.
 */
export function restIdentity(ctx: Pick<IceServersContext, 'participantId'>): string {
  return ctx.participantId;
}

/**
 * True for REST identities this server mints for sessions (participant ids, `p_` and
 * base64url). Other identities — credentials minted elsewhere with a shared
 * `--turn-secret` — are not bound to a session.
 */
export function isSessionIdentity(identity: string): boolean {
  return /^p_[A-Za-z0-9_-]{1,64}$/.test(identity);
}

/** The STUN/TURN URLs for `host` (RFC 7064 `stun:`, RFC 7065 `turn:`/`turns:`). */
export function turnUrls(
  host: string,
  ports: TurnIceOptions['ports'],
  announce: readonly TurnAnnounce[],
): { stun: string[]; turn: string[] } {
  const h = bracketHost(host);
  const stun: string[] = [];
  const turn: string[] = [];
  if (announce.includes('stun') && ports.udp !== undefined) stun.push(`stun:${h}:${ports.udp}`);
  if (announce.includes('udp') && ports.udp !== undefined) turn.push(`turn:${h}:${ports.udp}?transport=udp`);
  if (announce.includes('tcp') && ports.tcp !== undefined) turn.push(`turn:${h}:${ports.tcp}?transport=tcp`);
  if (announce.includes('tls') && ports.tls !== undefined) turn.push(`turns:${h}:${ports.tls}?transport=tcp`);
  return { stun, turn };
}

/** An `iceServersProvider` for the signaling core: STUN and TURN with fresh credentials per call. */
export function turnIceServersProvider(options: TurnIceOptions): IceServersProvider {
  const now = options.now ?? Date.now;
  const extra = options.extra ?? [];
  return (ctx) => {
    const host = options.fixedHost ?? hostOfHeader(ctx.host) ?? options.fallbackHost;
    const { stun, turn } = turnUrls(host, options.ports, options.announce);
    const servers: IceServer[] = [];
    if (stun.length > 0) servers.push({ urls: stun });
    if (turn.length > 0) {
      const { username, credential } = restCredential({
        secret: options.secret,
        identity: restIdentity(ctx),
        ttlSeconds: options.ttlSeconds,
        now: now(),
      });
      servers.push({ urls: turn, username, credential });
    }
    return [...servers, ...extra];
  };
}
