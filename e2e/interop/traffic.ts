/**
 * Test traffic through a TURN relay: a UDP echo peer on 127.0.0.1 and a bounded,
 * windowed exchange that counts every packet that comes back.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { TurnClient } from '@itda/turn/client';

/** A UDP echo peer on 127.0.0.1: every datagram goes back to its sender. */
export interface EchoPeer {
  readonly address: { family: 'IPv4'; address: string; port: number };
  /** Datagrams echoed so far. */
  readonly echoed: () => number;
  close(): Promise<void>;
}

export async function startEchoPeer(host = '127.0.0.1'): Promise<EchoPeer> {
  const socket: Socket = createSocket('udp4');
  let echoed = 0;
  socket.on('message', (msg, from) => {
    echoed++;
    socket.send(msg, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  return {
    address: { family: 'IPv4', address: host, port: socket.address().port },
    echoed: () => echoed,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** What came back of an exchange. */
export interface ExchangeResult {
  sent: number;
  received: number;
  /** Packets that came back with other bytes than were sent. */
  corrupted: number;
  /** Packets that came back from another peer or on another channel than expected. */
  misrouted: number;
}

/**
 * Sends `count` packets of `size` bytes (sequence number in the first 4 bytes, the rest
 * a pattern of it) with `sendOne`, at most `window` without an answer, and waits for
 * the echoes (at most `timeoutMs` in all). `expect` says which arrivals count.
 */
export async function exchange(
  client: TurnClient,
  sendOne: (payload: Uint8Array) => void,
  expect: { peerPort: number; channel: number | undefined },
  options: { count?: number; size?: number; window?: number; timeoutMs?: number } = {},
): Promise<ExchangeResult> {
  const count = options.count ?? 300;
  const size = Math.max(8, options.size ?? 160);
  const window = options.window ?? 16;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const seen = new Set<number>();
  const result: ExchangeResult = { sent: 0, received: 0, corrupted: 0, misrouted: 0 };
  const payload = (seq: number): Uint8Array => {
    const b = Buffer.alloc(size, seq & 0xff);
    b.writeUInt32BE(seq, 0);
    return b;
  };
  let wake: (() => void) | undefined;
  const onData = (data: Uint8Array, peer: { port: number }, channel: number | undefined): void => {
    if (peer.port !== expect.peerPort || channel !== expect.channel) {
      result.misrouted++;
      return;
    }
    const seq = Buffer.from(data.buffer, data.byteOffset, data.byteLength).readUInt32BE(0);
    if (!Buffer.from(payload(seq)).equals(Buffer.from(data))) result.corrupted++;
    else if (!seen.has(seq)) {
      seen.add(seq);
      result.received++;
    }
    wake?.();
  };
  client.on('data', onData);
  const deadline = Date.now() + timeoutMs;
  try {
    while (result.received < count && Date.now() < deadline) {
      while (result.sent < count && result.sent - result.received < window) {
        sendOne(payload(result.sent));
        result.sent++;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    client.off('data', onData);
  }
  return result;
}
