/**
 * The machine's own IP addresses, for listeners on a wildcard address: a UDP socket bound
 * to `0.0.0.0` answers from whatever source address the kernel picks for the route back
 * (the outgoing interface's), not from the address the client asked, and a client behind
 * NAT then drops the answer. So a wildcard UDP listener becomes one socket per local
 * address (as coturn does), and this module says which addresses there are.
 *
 * Followed by polling `os.networkInterfaces()` (Node has no netlink API): an address added
 * or removed while the server runs is noticed within one poll interval.
 */
import { networkInterfaces } from 'node:os';

/** One local address of the family asked for. */
export interface LocalAddress {
  address: string;
  family: 'IPv4' | 'IPv6';
  /** The interface's name (for logs). */
  interface: string;
}

/** Lists the machine's addresses: `os.networkInterfaces()` by default; tests pass their own. */
export type ListAddresses = () => LocalAddress[];

/**
 * Every address of every interface, loopback included. IPv6 link-local addresses
 * (fe80::/10) are left out: they need a scope (`%eth0`) to bind and are not what a TURN
 * client reaches a server on.
 */
export const systemAddresses: ListAddresses = () => {
  const out: LocalAddress[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv6' && /^fe[89ab]/i.test(a.address)) continue;
      out.push({ address: a.address, family: a.family, interface: name });
    }
  }
  return out;
};

/** The addresses of one family, each once, in a stable order (as listed). */
export function addressesOf(list: ListAddresses, family: 'IPv4' | 'IPv6'): LocalAddress[] {
  const seen = new Set<string>();
  const out: LocalAddress[] = [];
  for (const a of list()) {
    if (a.family !== family || seen.has(a.address)) continue;
    seen.add(a.address);
    out.push(a);
  }
  return out;
}
