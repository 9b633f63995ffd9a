/**
 * Relay sockets: one UDP socket per allocation, bound on the relay IP at a random port
 * in [minPort, maxPort] (RFC 8656 §7.2: the relayed transport address; ports chosen at
 * random per RFC 6056 to make them hard to guess), even ports and the next-port
 * reservation for EVEN-PORT.
 */

import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type { RelayHandle } from '../protocol/io.ts';

/** A bound relay socket. */
export class NodeRelay implements RelayHandle {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
  readonly socket: Socket;
  closed = false;

  constructor(socket: Socket, address: string, port: number, family: 'IPv4' | 'IPv6') {
    this.socket = socket;
    this.address = address;
    this.port = port;
    this.family = family;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/**
 * The `lookup` of every UDP socket of the server: the address given back as it is, at
 * once. The server only ever sends to IP literals (client source addresses, peer
 * addresses it decoded itself), and Node's default lookup defers each `send()` to the
 * next tick (`process.nextTick`) even for a literal, which costs about 0.5 µs of CPU per
 * datagram (measured, bench/RESULTS.md). With this one `send()` reaches the native send
 * synchronously. A name that is not a literal is not resolved: the native send refuses it
 * (EINVAL) and the datagram is dropped, as any other failed send.
 */
function literalLookup(
  address: string,
  family: unknown, // dgram passes 4 or 6 (the types declare dns.lookup's options)
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, family === 6 ? 6 : 4);
}

/**
 * Binds a UDP socket; resolves with it, or rejects with the bind error (socket closed).
 * `bufferBytes` > 0 asks the kernel for that much receive and send buffer (SO_RCVBUF,
 * SO_SNDBUF; Linux caps it at net.core.rmem_max / wmem_max); 0 keeps the kernel default.
 */
export function bindUdp(family: 'IPv4' | 'IPv6', address: string, port: number, bufferBytes = 0): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: family === 'IPv6' ? 'udp6' : 'udp4',
      ipv6Only: family === 'IPv6',
      lookup: literalLookup,
      ...(bufferBytes > 0 ? { recvBufferSize: bufferBytes, sendBufferSize: bufferBytes } : {}),
    });
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** Tries for a port in the range. */
export interface PortRange {
  min: number;
  max: number;
}

/** Attempts before a bind is given up (the Allocate then gets 508). */
const ATTEMPTS = 32;

/**
 * Binds a relay socket on `address` at a random port of `range` (even when `even`);
 * with `reserveNext` also binds port + 1 (returned second). Undefined when no port
 * could be bound after a bounded number of tries. `bufferBytes`: as for `bindUdp`.
 */
export async function bindRelaySockets(
  family: 'IPv4' | 'IPv6',
  address: string,
  range: PortRange,
  even: boolean,
  reserveNext: boolean,
  bufferBytes = 0,
): Promise<[Socket, Socket | undefined] | undefined> {
  const span = range.max - range.min + 1;
  for (let i = 0; i < ATTEMPTS; i++) {
    let port = range.min + randomInt(span);
    if (even && port % 2 === 1) port = port + 1 > range.max ? port - 1 : port + 1;
    if (even && port % 2 === 1) continue;
    if (reserveNext && port + 1 > range.max) continue;
    let first: Socket;
    try {
      first = await bindUdp(family, address, port, bufferBytes);
    } catch {
      continue;
    }
    if (!reserveNext) return [first, undefined];
    try {
      return [first, await bindUdp(family, address, port + 1, bufferBytes)];
    } catch {
      first.close();
    }
  }
  return undefined;
}
