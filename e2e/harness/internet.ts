/**
 * A small internet of network namespaces (harness/netns.ts) for connectivity tests:
 *
 *            srv (itda: 10.250.1.2 and 10.250.1.3, the "public" server)
 *             │ 10.250.1.0/24
 *            wan (routes between the public links; knows no private network)
 *          ┌──┴───────────┬──────────────┐
 *   10.251.1.0/24   10.251.2.0/24   10.251.3.0/24 …   one link per site
 *         router         router         router        (NAT of the site's kind)
 *   10.101.0.0/24   10.102.0.0/24   10.103.0.0/24 …   the site's LAN (a bridge)
 *       clients        clients        clients
 *
 * Site kinds (the NATs people sit behind):
 * - `eim`: endpoint-independent mapping that keeps the port (iptables SNAT), with the
 *   address-and-port-dependent filtering of conntrack — a typical home router;
 * - `symmetric`: address-and-port-dependent mapping (MASQUERADE `--random-fully`);
 * - `udp-blocked`: every outbound UDP dropped and TCP only to port 443 (then SNAT).
 * Two clients of one site share its LAN (the "same LAN" case). The wan namespace has no
 * route to any LAN: nothing crosses without the NAT. Everything lives in the lab's
 * namespaces; `close()` removes them (and their links and rules).
 */
import { NetLab } from './netns.ts';

export type SiteKind = 'eim' | 'symmetric' | 'udp-blocked';

export const SERVER_ADDRESSES = ['10.250.1.2', '10.250.1.3'] as const;

export interface Site {
  readonly name: string;
  readonly kind: SiteKind;
  /** The router's address on the public side (what the NAT maps to). */
  readonly publicAddress: string;
  /** Namespace names (`lab.nsName`-able) and LAN addresses of the site's clients. */
  readonly clients: readonly { ns: string; address: string }[];
}

export class Internet {
  readonly lab = new NetLab();
  readonly sites: Site[] = [];

  /** Builds the server side: `srv` with two addresses, and `wan`. */
  async start(): Promise<void> {
    const lab = this.lab;
    await lab.ns('srv');
    await lab.ns('wan');
    await lab.link(
      { ns: 'srv', name: 'srv0', cidr: `${SERVER_ADDRESSES[0]}/24` },
      { ns: 'wan', name: 'wan0', cidr: '10.250.1.1/24' },
    );
    await lab.exec('srv', 'ip', 'addr', 'add', `${SERVER_ADDRESSES[1]}/24`, 'dev', lab.ifName('srv0'));
    await lab.exec('srv', 'ip', 'route', 'add', 'default', 'via', '10.250.1.1');
    await lab.router('wan');
  }

  /** Adds site number `n` (1–99) of `kind` with `clients` client namespaces on its LAN. */
  async addSite(name: string, n: number, kind: SiteKind, clients = 1): Promise<Site> {
    const lab = this.lab;
    const router = `${name}r`;
    const publicAddress = `10.251.${n}.2`;
    await lab.ns(router);
    await lab.link(
      { ns: 'wan', name: `w${n}`, cidr: `10.251.${n}.1/24` },
      { ns: router, name: `${name}u`, cidr: `${publicAddress}/24` },
    );
    await lab.exec(router, 'ip', 'route', 'add', 'default', 'via', `10.251.${n}.1`);
    await lab.router(router);
    // The LAN: a bridge in the router holding the gateway address, one veth per client.
    await lab.exec(router, 'ip', 'link', 'add', 'lan', 'type', 'bridge');
    await lab.exec(router, 'ip', 'addr', 'add', `10.${100 + n}.0.1/24`, 'dev', 'lan');
    await lab.exec(router, 'ip', 'link', 'set', 'lan', 'up');
    const members: { ns: string; address: string }[] = [];
    for (let i = 1; i <= clients; i++) {
      const ns = `${name}c${i}`;
      const address = `10.${100 + n}.0.${10 + i}`;
      await lab.ns(ns);
      await lab.link(
        { ns: router, name: `${name}p${i}`, cidr: `10.${100 + n}.0.${200 + i}/32` },
        { ns, name: `${name}e${i}`, cidr: `${address}/24` },
      );
      // The router's end is a bridge port, not an address of its own.
      await lab.exec(router, 'ip', 'addr', 'flush', 'dev', lab.ifName(`${name}p${i}`));
      await lab.exec(router, 'ip', 'link', 'set', lab.ifName(`${name}p${i}`), 'master', 'lan');
      await lab.exec(ns, 'ip', 'route', 'add', 'default', 'via', `10.${100 + n}.0.1`);
      members.push({ ns, address });
    }
    const wan = lab.ifName(`${name}u`);
    const ipt = (...args: string[]): Promise<string> => lab.exec(router, 'iptables', ...args);
    if (kind === 'udp-blocked') {
      await ipt('-A', 'FORWARD', '-i', 'lan', '-p', 'udp', '-j', 'DROP');
      await ipt('-A', 'FORWARD', '-i', 'lan', '-p', 'tcp', '!', '--dport', '443', '-j', 'DROP');
    }
    if (kind === 'symmetric') {
      await ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', wan, '-j', 'MASQUERADE', '--random-fully');
    } else {
      await ipt('-t', 'nat', '-A', 'POSTROUTING', '-o', wan, '-j', 'SNAT', '--to-source', publicAddress);
    }
    // Inbound: only what belongs to a connection a client opened (conntrack), as routers do —
    // also to the router itself: an unsolicited packet accepted there would leave a conntrack
    // entry that takes the mapping a client's hole punch needs (the port would not be kept).
    await ipt('-A', 'FORWARD', '-i', wan, '-m', 'conntrack', '!', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'DROP');
    await ipt('-A', 'INPUT', '-i', wan, '-m', 'conntrack', '!', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'DROP');
    const site: Site = { name, kind, publicAddress, clients: members };
    this.sites.push(site);
    return site;
  }

  async close(): Promise<void> {
    await this.lab.close();
  }
}
