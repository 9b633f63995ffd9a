/**
 * What the TURN client needs from a transport: send a datagram or frame, receive whole
 * packets, close. Node adapters are in node-transport.ts; tests use in-memory pairs.
 */

/** The client's transport protocol to the server (RFC 8656 §3.1). */
export type ClientTransportKind = 'udp' | 'tcp' | 'tls';

/** Callbacks a transport calls. */
export interface TransportHandlers {
  /** One whole STUN message or ChannelData frame (a view; copy it to keep it). */
  packet(bytes: Uint8Array): void;
  /** The transport closed (by either side, or on an error). Called once. */
  close(err?: Error): void;
}

export interface ClientTransport {
  readonly kind: ClientTransportKind;
  /** True for TCP/TLS: no retransmissions, ChannelData padded (RFC 8656 §12.5). */
  readonly reliable: boolean;
  /** The client's local address and port, once known. */
  readonly local: { address: string; port: number } | undefined;
  /** Sets the callbacks; packets received before this are dropped. */
  setHandlers(handlers: TransportHandlers): void;
  /** Sends one message. Throws when closed. */
  send(bytes: Uint8Array): void;
  /** Closes; idempotent. */
  close(): void;
}
