/**
 * The server's own relayed transport addresses as peers: the one exception to the
 * deny-by-default peer policy (peer-policy.ts).
 *
 * When both ends of a call relay through one server (two browsers with
 * `iceTransportPolicy: 'relay'`), each relay's peer is the other relay. On a server whose
 * relay IP is private (a LAN install) or loopback (tests) the policy's table refuses that
 * IP, so the relayed transport addresses of live allocations on this server are let
 * through — and nothing else on that IP. Permissions are per IP address only (RFC 8656
 * §9: "the port portion of each attribute is ignored"; ChannelBind installs one for the
 * peer's IP too, §12.2), so a plain permission for the relay IP would open every port of
 * the host that the policy refuses. Such a permission is therefore marked relay-only
 * (`Allocation.relayOnly`, `Channel.relayOnly`) and every packet through it — Send,
 * ChannelData, and peer data coming back as Data indication or ChannelData — must be to
 * or from an address that holds a live allocation at that moment. A port freed by its
 * allocation is no longer a relay: whatever binds it later is not reached.
 */
import { formatIPv4, formatIPv6, parseIp } from '@itda/stun';
import type { Allocation } from './allocation.ts';
import type { RelayHandle } from './io.ts';
import type { CoreState } from './state.ts';

/** RFC 5952 / dotted-decimal text of an IP address (what the STUN decoder and Node print); the input when it is none. */
export function canonicalIp(text: string): string {
  const bytes = parseIp(text);
  if (bytes === undefined) return text;
  return bytes.length === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
}

/** Records an allocation's relayed transport address (when it is created). */
export function addRelayed<R extends RelayHandle, S>(st: CoreState<R, S>, a: Allocation<R, S>): void {
  let byPort = st.relayed.get(a.relayed.address);
  if (byPort === undefined) {
    byPort = new Map();
    st.relayed.set(a.relayed.address, byPort);
  }
  byPort.set(a.relayed.port, a);
}

/** Forgets an allocation's relayed transport address (when it is deleted). */
export function removeRelayed<R extends RelayHandle, S>(st: CoreState<R, S>, a: Allocation<R, S>): void {
  const byPort = st.relayed.get(a.relayed.address);
  if (byPort?.get(a.relayed.port) !== a) return;
  byPort.delete(a.relayed.port);
  if (byPort.size === 0) st.relayed.delete(a.relayed.address);
}

/**
 * True when `address:port` (canonical text) is the relayed transport address of an
 * allocation of this server that has not expired.
 */
export function isLiveRelayed<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  address: string,
  port: number,
  now: number,
): boolean {
  const a = st.relayed.get(address)?.get(port);
  return a !== undefined && a.expiresAt > now;
}

/** What the peer policy allows for one peer transport address. */
export type PeerAccess =
  /** Allowed by the policy: a permission for the IP covers every port (RFC 8656 §9). */
  | { readonly ok: true; readonly relayOnly: false }
  /** Refused by the policy's table but one of this server's live relayed addresses: relay-only. */
  | { readonly ok: true; readonly relayOnly: true }
  /** Refused: 'loopback', 'private', 'own_address', 'denied_list', … (peer-policy.ts). */
  | { readonly ok: false; readonly reason: string };

/** The `ok` answers of `peerAccess`. */
export type PeerAllowed = Extract<PeerAccess, { ok: true }>;

const OPEN: PeerAccess = { ok: true, relayOnly: false };
const RELAY: PeerAccess = { ok: true, relayOnly: true };

/**
 * The policy's answer for `address:port`. `deniedPeers`, the server's listener addresses
 * and unparseable addresses are refused whatever the port; any other refusal is lifted
 * for exactly the live relayed transport addresses of this server.
 */
export function peerAccess<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  address: string,
  port: number,
  now: number,
): PeerAccess {
  const why = st.policy.check(address, port);
  if (why === undefined) return OPEN;
  if (why === 'own_address' || why === 'denied_list' || why === 'invalid') return { ok: false, reason: why };
  return isLiveRelayed(st, address, port, now) ? RELAY : { ok: false, reason: why };
}
