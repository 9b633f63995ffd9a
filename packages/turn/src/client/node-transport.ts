/**
 * Node transports of the TURN client: a connected UDP socket, a TCP connection or a TLS
 * connection to the server, with TURN stream framing on TCP/TLS (RFC 8656 §12.5).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, type Socket as TcpSocket, connect as tcpConnect } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { TurnClientError } from './errors.ts';
import { StreamFramer } from './framer.ts';
import type { ClientTransport, ClientTransportKind, TransportHandlers } from './transport.ts';

/** Where and how to connect. */
export interface ConnectOptions {
  transport: ClientTransportKind;
  /** Server IP address (no DNS lookups are done on purpose). */
  host: string;
  port: number;
  /** Local address to bind (UDP) or connect from (TCP/TLS). Default: the OS chooses. */
  localAddress?: string;
  /** Local port to bind. Default 0 (ephemeral). */
  localPort?: number;
  /**
   * TLS options (`ca`, `rejectUnauthorized`, `servername`, …). Default: verify against the
   * system CAs, like any TLS client; tests against a self-signed server pass `ca` or
   * `rejectUnauthorized: false`.
   */
  tls?: ConnectionOptions;
  /** Give up connecting after this many ms. Default 10,000. */
  connectTimeout?: number;
  /** UDP socket buffer sizes in bytes (SO_RCVBUF/SO_SNDBUF). Default: the OS's. */
  udpBufferSize?: number;
}

const noHandlers: TransportHandlers = { packet: () => {}, close: () => {} };

class UdpTransport implements ClientTransport {
  readonly kind = 'udp' as const;
  readonly reliable = false;
  readonly #socket: UdpSocket;
  #handlers = noHandlers;
  #closed = false;

  constructor(socket: UdpSocket) {
    this.#socket = socket;
    socket.on('message', (msg) => this.#handlers.packet(msg));
    socket.on('error', (err) => this.#end(err));
  }

  get local(): { address: string; port: number } | undefined {
    if (this.#closed) return undefined;
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  setHandlers(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }

  send(bytes: Uint8Array): void {
    if (this.#closed) throw new TurnClientError('turn_client_closed', 'the UDP transport is closed');
    this.#socket.send(bytes);
  }

  close(): void {
    this.#end();
  }

  #end(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
    this.#handlers.close(err);
  }
}

class StreamTransport implements ClientTransport {
  readonly kind: 'tcp' | 'tls';
  readonly reliable = true;
  readonly #socket: TcpSocket;
  readonly #framer = new StreamFramer();
  #handlers = noHandlers;
  #closed = false;

  constructor(kind: 'tcp' | 'tls', socket: TcpSocket) {
    this.kind = kind;
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#framer.push(chunk, (frame) => this.#handlers.packet(frame));
      } catch (err) {
        this.#end(
          new TurnClientError('turn_client_transport', 'the server sent bytes that are not TURN framing', {
            cause: err,
          }),
        );
      }
    });
    socket.on('error', (err) => this.#end(err));
    socket.on('close', () => this.#end());
  }

  get local(): { address: string; port: number } | undefined {
    const address = this.#socket.localAddress;
    const port = this.#socket.localPort;
    return address === undefined || port === undefined ? undefined : { address, port };
  }

  setHandlers(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }

  send(bytes: Uint8Array): void {
    if (this.#closed) throw new TurnClientError('turn_client_closed', `the ${this.kind} transport is closed`);
    this.#socket.write(bytes);
  }

  close(): void {
    this.#end();
  }

  #end(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    this.#handlers.close(err);
  }
}

/**
 * Opens a transport to a TURN server. Resolves once UDP is bound and connected, or the
 * TCP connection / TLS handshake is done.
 * @throws TurnClientError turn_client_transport (via the promise)
 */
export function connectTransport(options: ConnectOptions): Promise<ClientTransport> {
  const timeout = options.connectTimeout ?? 10_000;
  return new Promise<ClientTransport>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown, destroy: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      destroy();
      reject(
        new TurnClientError(
          'turn_client_transport',
          `cannot connect over ${options.transport} to ${options.host}:${options.port}`,
          { cause: err },
        ),
      );
    };
    let destroy = (): void => {};
    const timer = setTimeout(() => fail(new Error('connect timeout'), destroy), timeout);
    const done = (transport: ClientTransport): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(transport);
    };
    if (options.transport === 'udp') {
      const socket = createSocket({
        type: isIPv6(options.host) ? 'udp6' : 'udp4',
        ...(options.udpBufferSize === undefined
          ? {}
          : { recvBufferSize: options.udpBufferSize, sendBufferSize: options.udpBufferSize }),
      });
      destroy = () => socket.close();
      socket.once('error', (err) => fail(err, destroy));
      socket.bind(
        { port: options.localPort ?? 0, ...(options.localAddress ? { address: options.localAddress } : {}) },
        () => {
          socket.connect(options.port, options.host, () => {
            socket.removeAllListeners('error');
            done(new UdpTransport(socket));
          });
        },
      );
      return;
    }
    const common = {
      host: options.host,
      port: options.port,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.localPort ? { localPort: options.localPort } : {}),
    };
    const socket =
      options.transport === 'tls'
        ? tlsConnect({ ...options.tls, ...common }, () => onConnect())
        : tcpConnect(common, () => onConnect());
    destroy = () => socket.destroy();
    const onConnect = (): void => {
      socket.removeAllListeners('error');
      done(new StreamTransport(options.transport === 'tls' ? 'tls' : 'tcp', socket));
    };
    socket.once('error', (err) => fail(err, destroy));
  });
}
