/**
 * The seam between the sans-IO core and whatever does the I/O (the Node adapter, or a
 * test that records what the core asked for). The core calls `TurnIo`; the adapter
 * calls the core's `handle…` methods and `relayBound`.
 */
import type { IpFamily } from '@itda/stun';

export type ClientTransport = 'udp' | 'tcp' | 'tls';

/** One local address the server listens on (a UDP socket or a TCP/TLS listener). */
export interface Endpoint {
  /** Small integer assigned by the core (`TurnCore.addEndpoint`). */
  readonly id: number;
  readonly transport: ClientTransport;
  /** The bound IP (a specific address, or the wildcard). */
  readonly address: string;
  readonly port: number;
  readonly family: IpFamily;
}

/** A client reached over UDP: the listener it talks to and its source address. */
export interface UdpClient {
  readonly transport: 'udp';
  readonly endpoint: Endpoint;
  readonly address: string;
  readonly port: number;
  readonly family: IpFamily;
}

/** A client connected over TCP or TLS. `handle` is the adapter's (its socket). */
export interface StreamClient<S> {
  readonly transport: 'tcp' | 'tls';
  readonly endpoint: Endpoint;
  readonly address: string;
  readonly port: number;
  readonly family: IpFamily;
  readonly handle: S;
}

export type ClientRef<S> = UdpClient | StreamClient<S>;

/** A bound relay socket (RFC 8656 §2.3: the relayed transport address). */
export interface RelayHandle {
  /** The IP it is bound to. */
  readonly address: string;
  readonly port: number;
  readonly family: IpFamily;
}

/** Per family: the advertised relay IP, `null` for the relay's own bound address, absent for none (440). */
export interface RelayAddresses {
  readonly IPv4?: string | null;
  readonly IPv6?: string | null;
}

/** What the core asks the adapter to bind for an Allocate request (RFC 8656 §7.2). */
export interface RelayRequest<S = unknown> {
  /** Passed back to `TurnCore.relayBound`. */
  readonly id: number;
  /**
   * The client that asked: the adapter may bind the relay on the local address the
   * request arrived on (its UDP endpoint's address, or its connection's local address).
   */
  readonly client: ClientRef<S>;
  readonly family: IpFamily;
  /** EVEN-PORT: the port must be even (RFC 8656 §14.7... §18.7). */
  readonly evenPort: boolean;
  /** EVEN-PORT with R: also bind port + 1 and hand it back as `reserved`. */
  readonly reserveNext: boolean;
}

/** The I/O the core needs. Every method is synchronous and must not throw. */
export interface TurnIo<R extends RelayHandle, S> {
  /**
   * Sends `head` (+ `body` + `tail`, when given) to a client as one datagram (UDP) or
   * in order on its stream. `from` (UDP only) is the endpoint to send from when it is
   * not the client's own (RFC 5780 CHANGE-REQUEST); `port` overrides the destination
   * port (RFC 5780 RESPONSE-PORT).
   */
  sendToClient(
    client: ClientRef<S>,
    head: Uint8Array,
    body?: Uint8Array,
    tail?: Uint8Array,
    from?: Endpoint,
    port?: number,
  ): void;
  /** Sends `data[offset, offset + length)` from a relay socket to a peer. */
  sendToPeer(relay: R, data: Uint8Array, offset: number, length: number, address: string, port: number): void;
  /** Binds a relay (asynchronously); the adapter then calls `TurnCore.relayBound(request.id, …)`. */
  bindRelay(request: RelayRequest<S>): void;
  /** Closes a relay socket (allocation gone, reservation expired, core closed). */
  closeRelay(relay: R): void;
  /** Closes a client stream (unframeable bytes). The adapter then calls `streamClosed`. */
  closeStream(client: StreamClient<S>): void;
}
