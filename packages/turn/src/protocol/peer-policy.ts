/**
 * Which peer addresses a relay may send to. Deny by default: every special-purpose
 * range of the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and
 * updates) — loopback, unspecified, private, CGNAT, link-local, multicast, broadcast,
 * documentation, benchmarking, reserved — is refused, so a TURN server cannot be used to
 * reach the machine it runs on or the network behind it (RFC 8656 §21.2.3 / §21.3).
 *
 * Addresses are normalised before they are checked, because aliases are how coturn's
 * loopback block was bypassed (CVE-2020-26262: `0.0.0.0` and `[::1]`; later
 * `::ffff:127.0.0.1`): IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
 * IPv4-translated (`::ffff:0:a.b.c.d`), NAT64 well-known prefix (`64:ff9b::a.b.c.d`,
 * RFC 6052) and 6to4 (`2002:AABB:CCDD::/48`, RFC 3056) addresses are checked as the IPv4
 * address they carry. Then: `deniedPeers` (denies), `allowedPeers` (allows), the
 * server's own listener transport addresses (denied: no relay loops), `allowLoopbackPeers`
 * (allows 127.0.0.0/8 and ::1 only), the default deny table.
 */
import { parseIp } from '@itda/stun';
import { TurnError, TurnErrorCode } from './errors.ts';

/** An address block. */
export interface Cidr {
  /** 4 or 16 bytes. */
  bytes: Uint8Array;
  prefix: number;
}

/** Parses `a.b.c.d/n`, `x::y/n` or a single address (a /32 or /128). Undefined when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === undefined) return undefined;
  const max = ip.length * 8;
  if (slash < 0) return { bytes: ip, prefix: max };
  const p = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(p) || Number(p) > max) return undefined;
  return { bytes: ip, prefix: Number(p) };
}

/** True when `ip` (4 or 16 bytes) is inside `cidr` (same family). */
export function cidrContains(cidr: Cidr, ip: Uint8Array): boolean {
  if (cidr.bytes.length !== ip.length) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((cidr.bytes[i] as number) & mask) !== ((ip[i] as number) & mask)) return false;
  }
  return true;
}

function table(entries: [string, string][]): [Cidr, string][] {
  return entries.map(([cidr, why]) => [parseCidr(cidr) as Cidr, why]);
}

/** IANA IPv4 Special-Purpose Address Registry, denied by default. */
const DENIED_V4 = table([
  ['0.0.0.0/8', 'unspecified'], // RFC 791 "this network"
  ['10.0.0.0/8', 'private'], // RFC 1918
  ['100.64.0.0/10', 'cgnat'], // RFC 6598
  ['127.0.0.0/8', 'loopback'], // RFC 1122
  ['169.254.0.0/16', 'link_local'], // RFC 3927 (cloud metadata lives here)
  ['172.16.0.0/12', 'private'], // RFC 1918
  ['192.0.0.0/24', 'special'], // RFC 6890 IETF protocol assignments
  ['192.0.2.0/24', 'documentation'], // RFC 5737 TEST-NET-1
  ['192.31.196.0/24', 'special'], // RFC 7535 AS112
  ['192.52.193.0/24', 'special'], // RFC 7450 AMT
  ['192.88.99.0/24', 'special'], // RFC 7526 deprecated 6to4 relay anycast
  ['192.168.0.0/16', 'private'], // RFC 1918
  ['192.175.48.0/24', 'special'], // RFC 7534 direct delegation AS112
  ['198.18.0.0/15', 'benchmarking'], // RFC 2544
  ['198.51.100.0/24', 'documentation'], // RFC 5737 TEST-NET-2
  ['203.0.113.0/24', 'documentation'], // RFC 5737 TEST-NET-3
  ['224.0.0.0/4', 'multicast'], // RFC 5771
  ['240.0.0.0/4', 'reserved'], // RFC 1112, includes 255.255.255.255 broadcast (RFC 919)
]);

/** IANA IPv6 Special-Purpose Address Registry, denied by default (embedded-IPv4 forms are normalised first). */
const DENIED_V6 = table([
  ['::/128', 'unspecified'], // RFC 4291
  ['::1/128', 'loopback'], // RFC 4291
  ['::/96', 'special'], // deprecated IPv4-compatible (RFC 4291 §2.5.5.1), left after normalisation
  ['64:ff9b:1::/48', 'special'], // RFC 8215 local-use IPv4/IPv6 translation
  ['100::/64', 'special'], // RFC 6666 discard-only
  ['2001::/23', 'special'], // RFC 2928 IETF protocol assignments (Teredo, benchmarking, ORCHID)
  ['2001:db8::/32', 'documentation'], // RFC 3849
  ['3fff::/20', 'documentation'], // RFC 9637
  ['5f00::/16', 'special'], // RFC 9602 SRv6 SIDs
  ['fc00::/7', 'private'], // RFC 4193 unique local
  ['fe80::/10', 'link_local'], // RFC 4291
  ['fec0::/10', 'private'], // RFC 3879 deprecated site-local
  ['ff00::/8', 'multicast'], // RFC 4291
]);

const LOOPBACK = [parseCidr('127.0.0.0/8') as Cidr, parseCidr('::1') as Cidr];

/**
 * The IPv4 address an IPv6 address stands for, if it embeds one (see the module
 * comment), else the input. 4-byte input is returned as is.
 */
export function normalizeIp(ip: Uint8Array): Uint8Array {
  if (ip.length !== 16) return ip;
  let zeros = 0;
  while (zeros < 10 && ip[zeros] === 0) zeros++;
  if (zeros === 10) {
    // ::ffff:a.b.c.d (mapped)
    if (ip[10] === 0xff && ip[11] === 0xff) return ip.subarray(12, 16);
    // ::a.b.c.d (compatible), but not :: and ::1 themselves
    if (ip[10] === 0 && ip[11] === 0) {
      const tail = ((ip[12] as number) << 24) | ((ip[13] as number) << 16) | ((ip[14] as number) << 8);
      if (tail !== 0) return ip.subarray(12, 16);
    }
  }
  // ::ffff:0:a.b.c.d (IPv4-translated, RFC 2765)
  if (zeros >= 8 && ip[8] === 0xff && ip[9] === 0xff && ip[10] === 0 && ip[11] === 0) return ip.subarray(12, 16);
  // 64:ff9b::a.b.c.d (RFC 6052 well-known prefix /96)
  if (ip[0] === 0 && ip[1] === 0x64 && ip[2] === 0xff && ip[3] === 0x9b) {
    let rest = 0;
    for (let i = 4; i < 12; i++) rest |= ip[i] as number;
    if (rest === 0) return ip.subarray(12, 16);
  }
  // 2002:AABB:CCDD::/48 (6to4, RFC 3056)
  if (ip[0] === 0x20 && ip[1] === 0x02) return ip.subarray(2, 6);
  return ip;
}

/** What the policy needs to know. */
export interface PeerPolicyOptions {
  allowLoopbackPeers?: boolean;
  allowedPeers?: readonly string[];
  deniedPeers?: readonly string[];
}

function parseList(name: string, list: readonly string[]): Cidr[] {
  return list.map((text) => {
    const c = parseCidr(text);
    if (c === undefined) throw new TurnError(TurnErrorCode.BadOptions, `${name}: "${text}" is not an address or CIDR`);
    return c;
  });
}

/** The peer address policy of one server. */
export class PeerPolicy {
  readonly #allowLoopback: boolean;
  readonly #allowed: Cidr[];
  readonly #denied: Cidr[];
  /** The server's own transport addresses: `${normalised ip bytes hex}|${port}`; port 0 means any. */
  readonly #own = new Set<string>();
  readonly #ownPorts = new Set<number>();

  /** @throws TurnError turn_bad_options for an entry that is not an address or CIDR. */
  constructor(options: PeerPolicyOptions = {}) {
    this.#allowLoopback = options.allowLoopbackPeers === true;
    this.#allowed = parseList('allowedPeers', options.allowedPeers ?? []);
    this.#denied = parseList('deniedPeers', options.deniedPeers ?? []);
  }

  /** Denies `ip:port` (a listener of this server), whatever the rest of the policy says. */
  addOwnAddress(ip: string, port: number): void {
    const bytes = parseIp(ip);
    if (bytes !== undefined) this.#own.add(`${Buffer.from(normalizeIp(bytes)).toString('hex')}|${port}`);
    this.#ownPorts.add(port);
  }

  /** True when `port` is the port of one of the server's own addresses (cheap pre-check). */
  isOwnPort(port: number): boolean {
    return this.#ownPorts.has(port);
  }

  /**
   * Why `ip:port` is refused ('loopback', 'private', 'own_address', 'denied_list', …), or
   * undefined when it is allowed. An unparseable address is refused as 'invalid'.
   */
  check(ip: string, port: number): string | undefined {
    const raw = parseIp(ip);
    if (raw === undefined) return 'invalid';
    const n = normalizeIp(raw);
    if (this.#own.size > 0) {
      const hex = Buffer.from(n).toString('hex');
      if (this.#own.has(`${hex}|${port}`)) return 'own_address';
    }
    for (const c of this.#denied) if (cidrContains(c, n) || cidrContains(c, raw)) return 'denied_list';
    for (const c of this.#allowed) if (cidrContains(c, n) || cidrContains(c, raw)) return undefined;
    if (this.#allowLoopback) for (const c of LOOPBACK) if (cidrContains(c, n)) return undefined;
    const list = n.length === 4 ? DENIED_V4 : DENIED_V6;
    for (const [c, why] of list) if (cidrContains(c, n)) return why;
    return undefined;
  }
}
