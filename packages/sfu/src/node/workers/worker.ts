/**
 * A media worker thread (docs/sfu/workers.md): it encrypts and sends the RTP of the
 * transports the main thread gives it, from its own UDP socket bound to the RtcServer's
 * port with SO_REUSEPORT, so the packets leave from the address and port the browser
 * knows.
 *
 * The main thread arranges that datagrams for the server reach its own sockets; what this
 * socket still receives — hashed to it by SO_REUSEPORT (a wildcard server, a datagram to
 * an address that appeared after start), the same socket for a flow as long as the group
 * does not change — is handed back in batches, in arrival order, so no flow is ever
 * reordered; or, with `handBack` false (a server on one address), dropped and counted.
 * The main thread owns ICE, DTLS and RTCP.
 *
 * Hot path (`onBatch`): per packet one `protectRtp` and one `send`.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { SrtpSession } from '../../srtp/index.ts';
import { Counter, ENTRY_HEADER, type FromWorker, type ToWorker, type WorkerInit } from './protocol.ts';

interface Slot {
  readonly srtp: SrtpSession;
  address: string;
  port: number;
}

const RX_BATCH_BYTES = 256 * 1024;

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error('media worker: not started as a worker thread');
const counters = new Float64Array(init.counters);
const queued = new Int32Array(init.queued);
const slots = new Map<number, Slot>();
const family = isIPv6(init.host) || init.host === '::' ? 6 : 4;

function post(msg: FromWorker, transfer?: ArrayBuffer[]): void {
  port?.postMessage(msg, transfer ?? []);
}

const socket = createSocket({
  type: family === 6 ? 'udp6' : 'udp4',
  reusePort: true,
  // Destinations are IP literals from ICE: no dns.lookup per send.
  lookup: (addr, _o, cb) => cb(null, addr, family),
});
// Send errors (EAGAIN on a full buffer, ICMP reports) are per packet: count them, go on.
socket.on('error', () => {
  counters[Counter.Dropped] = (counters[Counter.Dropped] ?? 0) + 1;
});

// ---- received datagrams → main thread, one batch per poll phase ----

const rx = Buffer.alloc(RX_BATCH_BYTES);
let rxUsed = 0;
let rxScheduled = false;

function flushRx(): void {
  rxScheduled = false;
  if (rxUsed === 0) return;
  const batch = rx.buffer.slice(rx.byteOffset, rx.byteOffset + rxUsed) as ArrayBuffer;
  rxUsed = 0;
  post({ t: 'rx', batch }, [batch]);
}

socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
  if (!init.handBack) {
    counters[Counter.Stray] = (counters[Counter.Stray] ?? 0) + 1;
    return;
  }
  counters[Counter.Received] = (counters[Counter.Received] ?? 0) + 1;
  const address = rinfo.address;
  const need = 5 + address.length + msg.length;
  if (rxUsed + need > RX_BATCH_BYTES) flushRx();
  let at = rxUsed;
  rx.writeUInt16BE(rinfo.port, at);
  rx[at + 2] = address.length;
  at += 3;
  at += rx.write(address, at, 'latin1');
  rx.writeUInt16BE(msg.length, at);
  at += 2;
  msg.copy(rx, at);
  rxUsed = at + msg.length;
  if (!rxScheduled) {
    rxScheduled = true;
    setImmediate(flushRx);
  }
});

// ---- RTP from the main thread → SRTP → the network ----

function onBatch(batch: ArrayBuffer, length: number): void {
  const bytes = Buffer.from(batch, 0, length);
  const end = bytes.length;
  let off = 0;
  let sent = 0;
  let sentBytes = 0;
  let dropped = 0;
  while (off + ENTRY_HEADER <= end) {
    const id = bytes.readUInt32BE(off);
    const length = bytes.readUInt16BE(off + 4);
    const packet = bytes.subarray(off + ENTRY_HEADER, off + ENTRY_HEADER + length);
    off += ENTRY_HEADER + length;
    const slot = slots.get(id);
    if (slot === undefined) {
      dropped++;
      continue;
    }
    let out: Buffer;
    try {
      out = slot.srtp.protectRtp(packet);
    } catch {
      dropped++;
      continue;
    }
    socket.send(out, slot.port, slot.address);
    sent++;
    sentBytes += out.length;
  }
  counters[Counter.Sent] = (counters[Counter.Sent] ?? 0) + sent;
  counters[Counter.SentBytes] = (counters[Counter.SentBytes] ?? 0) + sentBytes;
  if (dropped > 0) counters[Counter.Dropped] = (counters[Counter.Dropped] ?? 0) + dropped;
  Atomics.sub(queued, 0, end);
}

port.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'rtp':
      onBatch(msg.batch, msg.length);
      break;
    case 'open': {
      let srtp: SrtpSession;
      try {
        srtp = SrtpSession.create({ profile: msg.profile, masterKey: msg.key, masterSalt: msg.salt });
      } catch (err) {
        post({ t: 'log', level: 'warn', msg: 'media worker: bad SRTP keys', fields: { err: String(err) } });
        return;
      }
      slots.set(msg.slot, { srtp, address: msg.address, port: msg.port });
      counters[Counter.Transports] = slots.size;
      break;
    }
    case 'retarget': {
      const slot = slots.get(msg.slot);
      if (slot === undefined) return;
      slot.address = msg.address;
      slot.port = msg.port;
      break;
    }
    case 'close':
      slots.delete(msg.slot);
      counters[Counter.Transports] = slots.size;
      break;
  }
});

socket.bind(init.port, init.host, () => {
  const bytes = Math.max(init.bufferBytes, 0);
  try {
    if (bytes > 0) {
      socket.setSendBufferSize(bytes);
      socket.setRecvBufferSize(bytes);
    }
  } catch {
    // Capped by the kernel's wmem_max/rmem_max: smaller buffers still work.
  }
  post({ t: 'ready' });
});
