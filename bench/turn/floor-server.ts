/**
 * The floor of the benchmark: the least a Node process can do to relay UDP, with no TURN
 * at all — `node bench/turn/floor-server.ts '{"peerPort":N}'`. One listening socket; for
 * each client source address one upstream socket (as a relay per allocation), which
 * sends what the client sent to the echo peer on 127.0.0.1:peerPort and sends what comes
 * back to that client. Per relayed packet it does what any Node relay must: one
 * `message` event (node:dgram's Buffer and `rinfo`) and one `send()`; per packet its own
 * JavaScript is one Map lookup. Sockets are set up as itda's TurnServer sets up its own
 * (same buffer sizes, synchronous lookup for IP literals), so itda's cost above this
 * floor is what `@itda/turn` adds, and the floor's cost above coturn is Node's.
 *
 * A STUN Binding request (a 20-byte message of type 0x0001) is answered instead, with a
 * success response carrying XOR-MAPPED-ADDRESS (RFC 8489 §14.2) and nothing else: the
 * floor of a Node STUN server (one `message` event, one `send()`).
 *
 * Prints `{"ready":true,"udp":N}` and runs until SIGTERM/SIGINT. At most 1,000 upstream
 * sockets (the benchmark uses --clients of them).
 */
import { createSocket, type Socket } from 'node:dgram';

const options = JSON.parse(process.argv[2] ?? '{}') as { peerPort: number; bufferBytes?: number };
const PEER = '127.0.0.1';
const MAX_UPSTREAMS = 1000;
const bufferBytes = options.bufferBytes ?? 2 << 20;

function literalLookup(
  address: string,
  family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, family === 6 ? 6 : 4);
}

function bind(recvBytes: number): Promise<Socket> {
  const s = createSocket({
    type: 'udp4',
    lookup: literalLookup,
    ...(recvBytes > 0 ? { recvBufferSize: recvBytes, sendBufferSize: recvBytes } : {}),
  });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

const listener = await bind(bufferBytes);
/** Client port → upstream socket (every client is on 127.0.0.1). */
const upstreams = new Map<number, Socket>();
const pending = new Map<number, Buffer[]>();

/** A Binding success with XOR-MAPPED-ADDRESS for an IPv4 client (the benchmark's clients are on 127.0.0.1). */
function bindingAnswer(request: Buffer, address: string, port: number): Buffer {
  const out = Buffer.allocUnsafe(32);
  out.writeUInt32BE(0x0101000c, 0); // Binding success, 12 bytes of attributes
  request.copy(out, 4, 4, 20); // magic cookie and transaction id
  out.writeUInt32BE(0x00200008, 20); // XOR-MAPPED-ADDRESS, 8 bytes
  out.writeUInt16BE(0x0001, 24); // IPv4
  out.writeUInt16BE(port ^ 0x2112, 26);
  let at = 28;
  let value = 0;
  for (let i = 0; i <= address.length; i++) {
    const c = i < address.length ? address.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      out[at] = value ^ (out[at - 24] as number);
      at++;
      value = 0;
    } else value = value * 10 + c - 0x30;
  }
  return out;
}

listener.on('message', (msg, rinfo) => {
  if (msg.length === 20 && msg[0] === 0 && msg[1] === 1) {
    listener.send(bindingAnswer(msg, rinfo.address, rinfo.port), rinfo.port, rinfo.address);
    return;
  }
  const up = upstreams.get(rinfo.port);
  if (up !== undefined) {
    up.send(msg, options.peerPort, PEER);
    return;
  }
  // First packet of a client: open its upstream socket (kernel-default buffers, as itda's relays).
  const queued = pending.get(rinfo.port);
  if (queued !== undefined) {
    if (queued.length < 64) queued.push(msg);
    return;
  }
  if (upstreams.size + pending.size >= MAX_UPSTREAMS) return;
  const clientPort = rinfo.port;
  pending.set(clientPort, [msg]);
  void bind(0).then((s) => {
    s.on('message', (back) => listener.send(back, clientPort, '127.0.0.1'));
    upstreams.set(clientPort, s);
    for (const m of pending.get(clientPort) ?? []) s.send(m, options.peerPort, PEER);
    pending.delete(clientPort);
  });
});

process.stdout.write(`${JSON.stringify({ ready: true, udp: listener.address().port })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  for (const s of upstreams.values()) s.close();
  listener.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
