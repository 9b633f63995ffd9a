/** The remote end of a candidate pair as a lite agent sees it. */

/**
 * A remote transport address and its transport protocol (RFC 8445 §2: the 5-tuple
 * minus our own side, which is the one shared port per protocol).
 */
export interface IceTuple {
  protocol: 'udp' | 'tcp';
  address: string;
  port: number;
  /** `tupleKey(protocol, address, port)`: the demultiplexing key. */
  key: string;
}

/**
 * The demultiplexing key of a tuple: `u` or `t`, then the address as the socket reports
 * it, `:`, the port — e.g. `u192.0.2.1:50000`, `t::1:9`. One string concatenation, no
 * parsing; unambiguous because the port is the text after the last `:`. It is the hot
 * path's Map key (one lookup per received packet), so keep it this cheap. Addresses are
 * compared as text: give it the socket's own spelling every time.
 */
export function tupleKey(protocol: 'udp' | 'tcp', address: string, port: number): string {
  return `${protocol === 'udp' ? 'u' : 't'}${address}:${port}`;
}

/** An IceTuple with its key. */
export function iceTuple(protocol: 'udp' | 'tcp', address: string, port: number): IceTuple {
  return { protocol, address, port, key: tupleKey(protocol, address, port) };
}
