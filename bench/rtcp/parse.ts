/**
 * `npm run bench:rtcp -- [--rounds 5] [--ms 1000] [--rtp-dir DIR]`
 *
 * Micro-benchmark of RTCP parsing (issue 10, hole 2): CPU per 960-byte datagram for
 * - the transport-cc bomb: forty 24-byte transport-cc packets, each announcing 8,192
 *   "not received" statuses in two run length chunks;
 * - the same size of receiver reports: thirty 32-byte RRs of one report block each
 *   (RFC 3550 §6.4.2), the kind of RTCP a receiver normally sends.
 * Each is parsed with `parseRtcp` (every packet as objects) and, where the module has it,
 * with `parseRtcpKinds` and the kinds the SFU's WebRtcTransport acts on (SR, NACK, PLI, FIR),
 * which is what the server does with a publisher's RTCP since issue 10.
 *
 * Prints µs per datagram (median of `--rounds` rounds of `--ms` each, after a warm-up
 * round) per case, on one thread, without SRTCP (which costs the same for both). Bounded:
 * (rounds + 1) × cases × ms of work. `--rtp-dir` points at another copy of
 * packages/sfu/src/rtp (an older commit's, to measure "before"; it must sit inside this
 * repository so that its imports resolve).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface RtpModule {
  parseRtcp(buf: Uint8Array): unknown[];
  parseRtcpKinds?: (buf: Uint8Array, want: ReadonlySet<string>, out?: unknown[]) => unknown[];
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    ms: { type: 'string', default: '1000' },
    'rtp-dir': { type: 'string' },
  },
});
const rounds = Math.max(1, Math.min(50, Number(values.rounds)));
const roundMs = Math.max(50, Math.min(10_000, Number(values.ms)));
const dir =
  values['rtp-dir'] === undefined
    ? new URL('../../packages/sfu/src/rtp/', import.meta.url).pathname
    : resolve(values['rtp-dir']);
const rtp = (await import(`${dir.replace(/\/?$/, '/')}index.ts`)) as RtpModule;

/** One transport-cc packet, 24 bytes: 8,192 statuses, run length chunks 0x1fff + 0x0001 (all "not received"). */
function twccPacket(): Uint8Array {
  return Uint8Array.from(
    Buffer.from('8fcd0005 00000001 00000002 00002000 00000000 1fff0001'.replace(/\s+/g, ''), 'hex'),
  );
}

/** One receiver report, 32 bytes: the header, the sender SSRC and one report block. */
function receiverReport(i: number): Uint8Array {
  const b = Buffer.alloc(32);
  b.writeUInt32BE(0x81c90007, 0);
  b.writeUInt32BE(1, 4);
  b.writeUInt32BE(1000 + i, 8);
  b.writeUInt32BE(0x01000005, 12);
  b.writeUInt32BE(0x0001_0203, 16);
  b.writeUInt32BE(17, 20);
  return Uint8Array.from(b);
}

const bomb = Uint8Array.from(Buffer.concat(Array.from({ length: 40 }, () => twccPacket())));
const reports = Uint8Array.from(Buffer.concat(Array.from({ length: 30 }, (_, i) => receiverReport(i))));
if (bomb.length !== 960 || reports.length !== 960) throw new Error('datagrams must be 960 bytes');

const USED = new Set(['sr', 'nack', 'pli', 'fir']);
const scratch: unknown[] = [];
const cases: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
  ['transport-cc bomb, parseRtcp', bomb, (b) => rtp.parseRtcp(b)],
  ['receiver reports,  parseRtcp', reports, (b) => rtp.parseRtcp(b)],
];
const kinds = rtp.parseRtcpKinds;
if (kinds !== undefined) {
  const used = (b: Uint8Array): unknown => {
    scratch.length = 0;
    return kinds(b, USED, scratch);
  };
  cases.push(['transport-cc bomb, parseRtcpKinds (SFU)', bomb, used]);
  cases.push(['receiver reports,  parseRtcpKinds (SFU)', reports, used]);
}

/** µs of CPU per call, over about `ms` of work. */
function measure(fn: (b: Uint8Array) => unknown, buf: Uint8Array, ms: number): number {
  let n = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 10; i++) fn(buf);
    n += 10;
  }
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / n;
}

console.log(`RTCP parse, 960-byte datagrams, µs CPU per datagram (median of ${rounds} × ${roundMs} ms), ${dir}`);
for (const [name, buf, fn] of cases) {
  measure(fn, buf, Math.min(roundMs, 300)); // warm-up
  const runs: number[] = [];
  for (let r = 0; r < rounds; r++) runs.push(measure(fn, buf, roundMs));
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)] as number;
  console.log(
    `${name.padEnd(42)} ${median.toFixed(2).padStart(10)} µs   (min ${(runs[0] as number).toFixed(2)}, max ${(runs.at(-1) as number).toFixed(2)})`,
  );
}
