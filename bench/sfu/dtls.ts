/**
 * `npx node bench/sfu/dtls.ts [--handshakes 40]` — CPU cost of the SFU's DTLS-SRTP
 * handshake (@itda/sfu DtlsSession, werift-dtls inside).
 * 1. certificate: createDtlsCertificate() (ECDSA P-256 key + self-signed certificate).
 * 2. pair in memory: one full handshake of two DtlsSessions (server + client, both ours)
 *    wired by queues, no I/O: CPU of both sides together.
 * 3. server alone: the client DtlsSession runs in a worker thread; this thread's CPU
 *    (process.threadCpuUsage) is the server's, plus postMessage of ~10 datagrams.
 * x25519 is what both ends pick (werift and browsers list it first).
 * Bounded: `--handshakes` per row (1–500), loopback only.
 */
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ManualClock } from '@itda/common';
import { createDtlsCertificate, DtlsSession } from '@itda/sfu/dtls';

const { values } = parseArgs({ options: { handshakes: { type: 'string', default: '40' } } });
const N = Number(values.handshakes);
if (!Number.isInteger(N) || N < 1 || N > 500) throw new Error('--handshakes must be 1–500');

const cpuMs = (): number => {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
};
const fmt = (ms: number): string => ms.toFixed(2).padStart(7);

// 1. certificates
if (isMainThread) {
  const t0 = cpuMs();
  for (let i = 0; i < N; i++) createDtlsCertificate();
  console.log(`createDtlsCertificate         ${fmt((cpuMs() - t0) / N)} ms CPU each`);
}

type Cert = ReturnType<typeof createDtlsCertificate>;

// 2. in-memory pair
async function pairOnce(server: Cert, client: Cert): Promise<void> {
  const clock = new ManualClock();
  const toS: Uint8Array[] = [];
  const toC: Uint8Array[] = [];
  const s = new DtlsSession({
    role: 'server',
    certificate: server,
    remoteFingerprints: [client.fingerprint],
    send: (d) => toS.push(d),
    clock,
  });
  const c = new DtlsSession({
    role: 'client',
    certificate: client,
    remoteFingerprints: [server.fingerprint],
    send: (d) => toC.push(d),
    clock,
  });
  let done = 0;
  s.once('connected', () => done++);
  c.once('connected', () => done++);
  for (let i = 0; i < 100 && done < 2; i++) {
    await new Promise<void>((r) => setImmediate(r));
    for (const d of toS.splice(0)) c.handle(d);
    for (const d of toC.splice(0)) s.handle(d);
  }
  if (done < 2) throw new Error('handshake did not complete');
  s.close();
  c.close();
}
if (isMainThread) {
  const a = createDtlsCertificate();
  const b = createDtlsCertificate();
  for (let i = 0; i < 3; i++) await pairOnce(a, b); // warm-up
  const t0 = cpuMs();
  const w0 = performance.now();
  for (let i = 0; i < N; i++) await pairOnce(a, b);
  console.log(
    `handshake, both sides ours    ${fmt((cpuMs() - t0) / N)} ms CPU (${fmt((performance.now() - w0) / N)} ms wall) per handshake`,
  );
}

// 3. our server alone: the client runs in a worker thread; this thread's CPU is the server's
// (plus postMessage of ~10 datagrams per handshake).
if (!isMainThread) {
  const { server, client } = workerData as { server: Cert; client: Cert };
  let c: DtlsSession | undefined;
  parentPort?.on('message', (m: { start?: true; datagram?: Uint8Array }) => {
    if (m.start) {
      c?.close();
      c = new DtlsSession({
        role: 'client',
        certificate: client,
        remoteFingerprints: [server.fingerprint],
        send: (d) => parentPort?.postMessage({ datagram: d }),
      });
    } else if (m.datagram) c?.handle(m.datagram);
  });
} else {
  const server = createDtlsCertificate();
  const client = createDtlsCertificate();
  const worker = new Worker(new URL(import.meta.url), { workerData: { server, client } });
  let s: DtlsSession | undefined;
  worker.on('message', (m: { datagram: Uint8Array }) => s?.handle(m.datagram));
  let total = 0;
  for (let i = 0; i < N + 3; i++) {
    const t0 = cpuMs();
    s = new DtlsSession({
      role: 'server',
      certificate: server,
      remoteFingerprints: [client.fingerprint],
      send: (d) => worker.postMessage({ datagram: d }),
    });
    const connected = s.next('connected');
    worker.postMessage({ start: true });
    await connected;
    s.close();
    if (i >= 3) total += cpuMs() - t0; // three warm-up handshakes
  }
  await worker.terminate();
  console.log(`server side alone             ${fmt(total / N)} ms CPU per handshake (client in a worker thread)`);
}
