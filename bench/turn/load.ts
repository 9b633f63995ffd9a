/**
 * A load generator of the TURN benchmark: a child process forked by run.ts that takes
 * one command at a time over IPC (ipc.ts) and answers with a report. Every loop is
 * bounded by the command's duration; the process exits when the driver disconnects.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createTransactionId, encodeMessage, StunClass, StunMethod } from '@itda/stun';
import { TurnClient } from '@itda/turn/client';
import type {
  AllocateCommand,
  AllocateReport,
  BindingCommand,
  BindingReport,
  Command,
  ReadyReport,
  RelayReport,
  RelayRunCommand,
  RelaySetupCommand,
  Report,
} from './ipc.ts';

const send = (r: Report): void => {
  process.send?.(r);
};
const errorText = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

function bindUdp(): Promise<Socket> {
  const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

/** Closed-loop STUN Binding: each slot's transaction id carries its slot and generation. */
async function binding(c: BindingCommand): Promise<BindingReport> {
  const template = Buffer.from(
    encodeMessage({
      class: StunClass.Request,
      method: StunMethod.Binding,
      transactionId: createTransactionId(),
      attributes: [],
    }),
  );
  const report: BindingReport = { ev: 'binding', sent: 0, answered: 0, timedOut: 0, elapsedMs: 0 };
  const sockets = await Promise.all(Array.from({ length: c.sockets }, bindUdp));
  const start = performance.now();
  const end = start + c.durationMs;
  let running = true;
  const lastSent: Float64Array[] = sockets.map(() => new Float64Array(c.window));
  const generation: Uint32Array[] = sockets.map(() => new Uint32Array(c.window));
  const fire = (si: number, slot: number): void => {
    const req = Buffer.from(template);
    req.writeUInt32BE(slot, 8);
    req.writeUInt32BE((generation[si] as Uint32Array)[slot] as number, 12);
    (lastSent[si] as Float64Array)[slot] = performance.now();
    report.sent++;
    (sockets[si] as Socket).send(req, c.server.port, c.server.host);
  };
  sockets.forEach((s, si) => {
    s.on('message', (msg) => {
      // A Binding success response (0x0101) to a live slot and generation.
      if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0101) return;
      const slot = msg.readUInt32BE(8);
      const gen = generation[si] as Uint32Array;
      if (slot >= c.window || msg.readUInt32BE(12) !== gen[slot]) return;
      report.answered++;
      gen[slot] = ((gen[slot] as number) + 1) >>> 0;
      if (running) fire(si, slot);
    });
    for (let slot = 0; slot < c.window; slot++) fire(si, slot);
  });
  await new Promise<void>((resolve) => {
    const sweep = setInterval(() => {
      const now = performance.now();
      if (now >= end) {
        running = false;
        clearInterval(sweep);
        resolve();
        return;
      }
      sockets.forEach((_, si) => {
        const sent = lastSent[si] as Float64Array;
        const gen = generation[si] as Uint32Array;
        for (let slot = 0; slot < c.window; slot++) {
          if (now - (sent[slot] as number) > 250) {
            report.timedOut++;
            gen[slot] = ((gen[slot] as number) + 1) >>> 0;
            fire(si, slot);
          }
        }
      });
    }, 50);
  });
  report.elapsedMs = performance.now() - start;
  await new Promise((r) => setTimeout(r, 100));
  for (const s of sockets) s.close();
  return report;
}

/**
 * `concurrency` workers: connect, Allocate (401, then with credentials), Refresh 0,
 * repeat — at most `maxAllocations` in all. Sockets stay open until the end so that no
 * local port is reused during the phase (coturn answers a new Allocate from a 5-tuple it
 * has just freed with 437 for a while).
 */
async function allocate(c: AllocateCommand): Promise<AllocateReport> {
  const report: AllocateReport = { ev: 'allocate', allocations: 0, failures: 0, firstError: undefined, elapsedMs: 0 };
  const start = performance.now();
  const end = start + c.durationMs;
  const used: TurnClient[] = [];
  let started = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end && started < c.maxAllocations) {
      started++;
      const client = await TurnClient.connect(
        { transport: 'udp', host: c.server.host, port: c.server.port },
        { ...c.credentials, autoRefresh: false, fingerprint: false, rto: 250, rc: 3, rm: 4 },
      );
      used.push(client);
      try {
        await client.allocate();
        await client.refresh(0);
        report.allocations++;
      } catch (err) {
        report.failures++;
        report.firstError ??= errorText(err);
      }
    }
  };
  await Promise.all(Array.from({ length: c.concurrency }, worker));
  report.elapsedMs = performance.now() - start;
  await Promise.all(used.map((client) => client.close()));
  return report;
}

/** The relay phase's state between its commands. */
interface Relay {
  setup: RelaySetupCommand;
  /** Send one payload through client i. */
  sendVia: ((payload: Buffer) => void)[];
  /** Called for each packet back, with its payload. */
  onBack: ((data: Uint8Array) => void) | undefined;
  clients: TurnClient[];
  sockets: Socket[];
}
let relay: Relay | undefined;

async function relaySetup(c: RelaySetupCommand): Promise<ReadyReport> {
  const r: Relay = { setup: c, sendVia: [], onBack: undefined, clients: [], sockets: [] };
  relay = r;
  const ready: ReadyReport = { ev: 'ready', setupFailures: 0, firstError: undefined };
  const peer = { family: 'IPv4' as const, address: c.peer.host, port: c.peer.port };
  const back = (data: Uint8Array): void => r.onBack?.(data);
  if (c.server === undefined) {
    for (let i = 0; i < c.clients; i++) {
      const s = await bindUdp();
      s.on('message', back);
      r.sockets.push(s);
      r.sendVia.push((p) => s.send(p, c.peer.port, c.peer.host));
    }
    return ready;
  }
  const server = c.server;
  await Promise.all(
    Array.from({ length: c.clients }, async () => {
      try {
        const client = await TurnClient.connect(
          { transport: 'udp', host: server.host, port: server.port, udpBufferSize: 4 << 20 },
          { ...c.credentials, autoRefresh: true, rto: 250 },
        );
        r.clients.push(client);
        await client.allocate();
        client.on('data', back);
        if (c.mode === 'channel') {
          const channel = await client.channelBind(peer);
          r.sendVia.push((p) => client.sendChannel(channel, p));
        } else {
          await client.createPermission([peer.address]);
          r.sendVia.push((p) => client.send(peer, p));
        }
      } catch (err) {
        ready.setupFailures++;
        ready.firstError ??= errorText(err);
      }
    }),
  );
  return ready;
}

async function relayRun(c: RelayRunCommand): Promise<RelayReport> {
  const r = relay;
  if (r === undefined || r.sendVia.length === 0) throw new Error('relay-run without a working relay-setup');
  const expected = Math.ceil((c.rate * c.durationMs) / 1000) + 16;
  const rtts = new Float64Array(expected);
  let received = 0;
  r.onBack = (data) => {
    if (data.length < 12 || received >= expected) return;
    const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    rtts[received++] = performance.now() - b.readDoubleBE(4);
  };
  let sent = 0;
  const start = performance.now();
  // Open loop: every millisecond, send what is due (at most 50 ms worth after a stall).
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - start;
      const target = Math.min(expected - 16, Math.floor((c.rate * Math.min(elapsed, c.durationMs)) / 1000));
      let burst = Math.min(target - sent, Math.ceil(c.rate / 20));
      while (burst-- > 0) {
        const p = Buffer.allocUnsafe(c.size);
        p.writeUInt32BE(sent, 0);
        p.writeDoubleBE(performance.now(), 4);
        (r.sendVia[sent % r.sendVia.length] as (p: Buffer) => void)(p);
        sent++;
      }
      if (elapsed >= c.durationMs) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  const sendMs = performance.now() - start;
  await new Promise((res) => setTimeout(res, c.drainMs));
  r.onBack = undefined;
  const sorted = rtts.subarray(0, received).sort();
  const at = (q: number): number =>
    received === 0 ? Number.NaN : (sorted[Math.min(received - 1, Math.ceil(q * received) - 1)] as number);
  return {
    ev: 'relay',
    sent,
    received,
    rtt: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) },
    sendMs,
  };
}

async function relayTeardown(): Promise<Report> {
  const r = relay;
  relay = undefined;
  if (r !== undefined) {
    await Promise.all(r.clients.map((cl) => cl.close()));
    for (const s of r.sockets) s.close();
  }
  return { ev: 'done' };
}

async function handle(cmd: Command): Promise<Report> {
  switch (cmd.cmd) {
    case 'binding':
      return binding(cmd);
    case 'allocate':
      return allocate(cmd);
    case 'relay-setup':
      return relaySetup(cmd);
    case 'relay-run':
      return relayRun(cmd);
    case 'relay-teardown':
      return relayTeardown();
  }
}

process.on('message', (cmd: Command) => {
  handle(cmd).then(send, (err: unknown) => send({ ev: 'failed', error: errorText(err) }));
});
process.on('disconnect', () => process.exit(0));
