/**
 * `npx node bench/sfu/workers.ts [--subscribers 24] [--seconds 5] [--workers 0,1,2]` — the
 * cost of media workers alone (docs/sfu/workers.md), without an SFU around them or a load
 * generator on the same CPU budget: an incoming-packet rate of 800 packets/s (4 publishers
 * × 200, as bench/sfu's load) fanned out to `--subscribers` copies each, encrypted
 * (AEAD_AES_128_GCM) and sent to loopback receivers in a child process. With 0 workers the
 * main thread encrypts and sends, as `RtcServer` does without workers; with N, copies go
 * through `MediaWorkerPool`. Prints CPU µs per forwarded packet of this process (all its
 * threads; the receivers' CPU is not counted). Bounded by `--seconds` per row.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { bindSharedUdp, MediaWorkerPool, type RtpEgress } from '@itda/sfu';
import { tupleKey } from '@itda/sfu/ice';
import { SrtpSession } from '@itda/sfu/srtp';
import { buildRtp } from '@itda/sfu/testing';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '24' },
    seconds: { type: 'string', default: '5' },
    workers: { type: 'string', default: '0,1,2' },
    receiver: { type: 'boolean', default: false },
  },
});

if (values.receiver) {
  // Child: M sockets that count what they get; reports its ports, then counts on request.
  const m = Number(values.subscribers);
  let received = 0;
  const ports: number[] = [];
  for (let i = 0; i < m; i++) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    s.setRecvBufferSize(4 * 1024 * 1024);
    s.on('message', () => received++);
    ports.push(s.address().port);
  }
  process.send?.({ ports });
  process.on('message', () => process.send?.({ received }));
} else {
  const m = Number(values.subscribers);
  const seconds = Number(values.seconds);
  if (!Number.isInteger(m) || m < 1 || m > 200) throw new Error('--subscribers: 1–200');
  if (!(seconds >= 1 && seconds <= 60)) throw new Error('--seconds: 1–60');
  const child = fork(new URL(import.meta.url).pathname, ['--receiver', '--subscribers', String(m)]);
  const ports = await new Promise<number[]>((r) => child.once('message', (msg: { ports: number[] }) => r(msg.ports)));
  const received = (): Promise<number> =>
    new Promise((r) => {
      child.once('message', (msg: { received: number }) => r(msg.received));
      child.send('count');
    });
  const key = randomBytes(16);
  const salt = randomBytes(12);
  const profile = 'SRTP_AEAD_AES_128_GCM' as const;
  for (const workers of (values.workers ?? '').split(',').map(Number)) {
    const main = await bindSharedUdp(4, '127.0.0.1', 0);
    const pool =
      workers > 0
        ? await MediaWorkerPool.start({ workers, host: '127.0.0.1', port: main.address().port, onDatagram: () => {} })
        : undefined;
    const local = ports.map(() => SrtpSession.create({ profile, masterKey: key, masterSalt: salt }));
    const egress: (RtpEgress | undefined)[] = ports.map((port, i) =>
      pool?.open({
        tuple: { protocol: 'udp', address: '127.0.0.1', port, key: tupleKey('udp', '127.0.0.1', port) },
        profile,
        key,
        salt,
      }),
    );
    const packet = buildRtp({
      ssrc: 0,
      payloadType: 96,
      sequenceNumber: 0,
      timestamp: 0,
      payload: Buffer.alloc(1200, 7),
    });
    const before = await received();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let seq = 0;
    let sent = 0;
    // 800 incoming packets/s: 4 every 5 ms (timers), each fanned out to every subscriber.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let k = 0; k < 4; k++) {
          seq = (seq + 1) & 0xffff;
          packet.writeUInt16BE(seq, 2);
          for (let i = 0; i < ports.length; i++) {
            packet.writeUInt32BE(0x1000 + i, 8);
            const e = egress[i];
            if (e !== undefined) e.sendRtp(packet);
            else main.send((local[i] as SrtpSession).protectRtp(packet), ports[i] as number, '127.0.0.1');
            sent++;
          }
        }
        if (performance.now() - t0 >= seconds * 1000) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await new Promise<void>((r) => setTimeout(r, 200));
    const cpu = process.cpuUsage(cpu0);
    const got = (await received()) - before;
    const us = (cpu.user + cpu.system) / sent;
    console.log(
      `workers ${workers}: ${sent} packets (${Math.round(sent / seconds)}/s), received ${got}, ` +
        `${us.toFixed(2)} µs CPU per forwarded packet (user ${(cpu.user / sent).toFixed(2)}, system ${(cpu.system / sent).toFixed(2)})`,
    );
    for (const e of egress) e?.close();
    await pool?.close();
    main.close();
  }
  child.kill();
}
