/**
 * NAT behaviour discovery, RFC 5780 §4: the client side of `itda nat-check`. Talks to a
 * STUN server running in RFC 5780 mode (`itda turn --rfc5780 <second-ip>`), which
 * answers from a primary and an alternate address and port and names the alternate in
 * OTHER-ADDRESS.
 *
 * Mapping (§4.3): the mapped address seen by the primary (test I), by the alternate
 * address on the primary port (test II) and by the alternate address and port (test
 * III). Equal I and II: endpoint-independent; equal II and III: address-dependent;
 * else address-and-port-dependent (a "symmetric NAT").
 *
 * Filtering (§4.4): ask the primary to answer from the other address and port (test II,
 * CHANGE-REQUEST change-IP and change-port) and from the other port only (test III). An
 * answer to II: endpoint-independent; only to III: address-dependent; to neither:
 * address-and-port-dependent. A missing answer is only known after the probe's
 * timeout, so a full check takes about two timeouts on a filtering NAT.
 *
 * I/O is a `BindingProbe` (nat-probe-udp.ts in Node); this module only decides.
 */

export interface TransportAddress {
  address: string;
  port: number;
}

/** What one Binding answer said (RFC 5780 §7). */
export interface BindingAnswer {
  /** XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS): where the server saw the request come from. */
  mapped: TransportAddress;
  /** OTHER-ADDRESS: the server's alternate address and port; missing without RFC 5780. */
  other?: TransportAddress | undefined;
  /** Where the answer actually came from. */
  from: TransportAddress;
}

/** Sends one Binding request from the one local socket of a check; undefined when no answer came in time. */
export interface BindingProbe {
  /** The local address the probe's socket sends from (its address on the route to the server). */
  readonly local: TransportAddress;
  bind(to: TransportAddress, change?: { changeIp: boolean; changePort: boolean }): Promise<BindingAnswer | undefined>;
}

export type MappingBehaviour =
  /** The mapped address is the local address: no NAT on the path. */
  'none' | 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

export type FilteringBehaviour = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

export interface NatReport {
  server: TransportAddress;
  /** False: the server did not answer over UDP at all. */
  udp: boolean;
  local: TransportAddress;
  /** The address the server saw (test I). */
  mapped?: TransportAddress | undefined;
  /** False when the server answered without OTHER-ADDRESS (not in RFC 5780 mode): behaviour unknown. */
  rfc5780: boolean;
  mapping?: MappingBehaviour | undefined;
  filtering?: FilteringBehaviour | undefined;
  /** What it means for calls, in one word. */
  direct: 'yes' | 'likely' | 'relay' | 'unknown';
  /** The whole finding in plain words (nat-words.ts). */
  summary: string;
}

const same = (a: TransportAddress | undefined, b: TransportAddress | undefined): boolean =>
  a !== undefined && b !== undefined && a.address === b.address && a.port === b.port;

/** Runs the RFC 5780 tests against `server`. Never throws for a missing answer: that is a finding. */
export async function discoverNatBehaviour(
  probe: BindingProbe,
  server: TransportAddress,
): Promise<Omit<NatReport, 'summary' | 'direct'>> {
  const base = { server, local: probe.local };
  const first = await probe.bind(server);
  if (first === undefined) return { ...base, udp: false, rfc5780: false };
  const mapped = first.mapped;
  const other = first.other;
  if (other === undefined || other.address === server.address || other.port === server.port) {
    // Without a distinct alternate address and port nothing can be compared (§4.1).
    return { ...base, udp: true, mapped, rfc5780: false };
  }
  // Filtering first, while the mapping holds only the primary: an answer from the other
  // address must not be let in by a hole test II of the mapping would open.
  const changeBoth = await probe.bind(server, { changeIp: true, changePort: true });
  let filtering: FilteringBehaviour;
  if (changeBoth !== undefined) filtering = 'endpoint-independent';
  else {
    const changePort = await probe.bind(server, { changeIp: false, changePort: true });
    filtering = changePort !== undefined ? 'address-dependent' : 'address-and-port-dependent';
  }
  let mapping: MappingBehaviour | undefined;
  if (same(mapped, probe.local)) mapping = 'none';
  else {
    const second = await probe.bind({ address: other.address, port: server.port });
    if (second !== undefined) {
      if (same(second.mapped, mapped)) mapping = 'endpoint-independent';
      else {
        const third = await probe.bind(other);
        if (third !== undefined) {
          mapping = same(third.mapped, second.mapped) ? 'address-dependent' : 'address-and-port-dependent';
        }
      }
    }
  }
  return { ...base, udp: true, mapped, rfc5780: true, mapping, filtering };
}
