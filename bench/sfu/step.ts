/**
 * One load step against one target: N publishers (audio + video each) and M subscribers per
 * publisher, spread round-robin over the generator processes (a subscriber never shares a
 * process with its publisher when there are two or more), set up through the target's
 * signalling, one run (warm-up, then the measured window), the figures, and teardown.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { clockTicks, rssBytes } from '../signal/proc.ts';
import { cpuSplit } from '../turn/cpu.ts';
import { type Generator, pool, sdpPeer } from './generators.ts';
import { addInto, BUCKETS, count, quantile } from './hist.ts';
import type { RunReport } from './ipc.ts';
import type { Published, SfuTarget, Subscribed } from './target.ts';

export interface StepOptions {
  publishers: number;
  subscribersEach: number;
  warmupMs: number;
  measureMs: number;
  log: (line: string) => void;
}

export interface StepRow {
  target: string;
  publishers: number;
  subscribersEach: number;
  consumers: number;
  /** N × 200 × M: what a lossless SFU forwards per second. */
  offeredPerSecond: number;
  forwardedPerSecond: number;
  lossPercent: number;
  reordered: number;
  duplicates: number;
  sfuCores: number;
  sfuUserShare: number;
  cpuUsPerForwarded: number;
  forwardedPerCpuSecond: number;
  rssMiB: number;
  rssPerConsumerKiB: number;
  latencyP50Us: number;
  latencyP99Us: number;
  latencyMaxBucketUs: number;
  generatorCores: number[];
  generatorMaxLagMs: number;
  sendFailures: number;
  hostBusyCores: number;
  /** Why the generator may have been the bottleneck; empty when it was not. */
  generatorLimit: string;
}

const MiB = 1024 * 1024;

/** Busy CPU time of the whole host so far (all cores), µs, from /proc/stat. */
function hostBusyUs(): number {
  const line = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: busy = all − idle − iowait.
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return ((total - (line[3] ?? 0) - (line[4] ?? 0)) * 1_000_000) / clockTicks();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runStep(target: SfuTarget, gens: readonly Generator[], o: StepOptions): Promise<StepRow> {
  const published: Published[] = [];
  const subscribed: Subscribed[] = [];
  let nextPeer = 1;
  const pubs: { gen: Generator; peer: number; stream: number; ref: string }[] = [];
  try {
    // ---- publishers.
    const pubSpecs = Array.from({ length: o.publishers }, (_, i) => ({
      gen: gens[i % gens.length] as Generator,
      peer: nextPeer++,
      stream: i,
    }));
    await pool(pubSpecs, 4, async (p) => {
      await p.gen.ask({
        cmd: 'peer-new',
        peer: p.peer,
        role: 'pub',
        stream: p.stream,
        bindAddress: target.clientAddress,
      });
      const offer = await sdpPeer(p.gen, p.peer).offer();
      const { answer, published: pub } = await target.publish(offer);
      published.push(pub);
      await sdpPeer(p.gen, p.peer).accept(answer);
      await p.gen.ask({ cmd: 'peer-wait', peer: p.peer, timeoutMs: 15_000 }, 20_000);
      pubs.push({ ...p, ref: pub.ref });
    });
    // ---- subscribers: M per publisher, in another generator than their publisher's.
    const subSpecs = pubs.flatMap((p, i) =>
      Array.from({ length: o.subscribersEach }, (_, j) => ({
        gen: gens[(i + 1 + j) % gens.length] as Generator,
        peer: nextPeer++,
        pub: p,
      })),
    );
    await pool(subSpecs, 8, async (s) => {
      await s.gen.ask({
        cmd: 'peer-new',
        peer: s.peer,
        role: 'sub',
        stream: s.pub.stream,
        bindAddress: target.clientAddress,
      });
      subscribed.push(await target.subscribe(s.pub.ref, sdpPeer(s.gen, s.peer)));
      await s.gen.ask({ cmd: 'peer-wait', peer: s.peer, timeoutMs: 15_000 }, 20_000);
    });
    o.log(`  ${target.name}: ${o.publishers} publishers × ${o.subscribersEach} subscribers connected`);
    await sleep(500);

    // ---- the run: every generator at once; CPU read at the measured window's edges.
    const runs = gens.map((g) =>
      g.ask(
        { cmd: 'run', warmupMs: o.warmupMs, measureMs: o.measureMs, drainMs: 500 },
        o.warmupMs + o.measureMs + 30_000,
      ),
    );
    await sleep(o.warmupMs);
    const sfu0 = cpuSplit(target.pid);
    const gen0 = gens.map((g) => cpuSplit(g.pid));
    const host0 = hostBusyUs();
    const t0 = performance.now();
    await sleep(o.measureMs);
    const sfu1 = cpuSplit(target.pid);
    const gen1 = gens.map((g) => cpuSplit(g.pid));
    const host1 = hostBusyUs();
    const wallUs = (performance.now() - t0) * 1000;
    const rss = rssBytes(target.pid);
    const reports = (await Promise.all(runs)).map((r) => r.report as RunReport);

    // ---- figures.
    const sentByStream = new Map<number, number>();
    for (const r of reports) for (const s of r.sent) sentByStream.set(s.stream, s.video + s.audio);
    let expected = 0;
    let received = 0;
    let reordered = 0;
    let duplicates = 0;
    for (const r of reports) {
      for (const s of r.received) {
        expected += sentByStream.get(s.stream) ?? 0;
        received += s.video + s.audio;
        reordered += s.reordered;
        duplicates += s.duplicates;
      }
    }
    const hist = new Uint32Array(BUCKETS);
    for (const r of reports) addInto(hist, r.latency);
    const sfuUs = sfu1.userUs + sfu1.systemUs - sfu0.userUs - sfu0.systemUs;
    const generatorCores = gens.map((_, i) => {
      const a = gen0[i] as { userUs: number; systemUs: number };
      const b = gen1[i] as { userUs: number; systemUs: number };
      return (b.userUs + b.systemUs - a.userUs - a.systemUs) / wallUs;
    });
    const maxLag = Math.max(...reports.map((r) => r.maxLagMs));
    const sendFailures = reports.reduce((a, r) => a + r.sendFailures, 0);
    const consumers = o.publishers * o.subscribersEach;
    const limits: string[] = [];
    if (generatorCores.some((c) => c > 0.85))
      limits.push(`a generator used ${Math.max(...generatorCores).toFixed(2)} cores`);
    if (maxLag > 20) limits.push(`pacing lag up to ${maxLag.toFixed(0)} ms`);
    if (sendFailures > 0) limits.push(`${sendFailures} sends refused`);
    const hostBusyCores = (host1 - host0) / wallUs;
    const cores = availableParallelism();
    if (hostBusyCores > cores * 0.9) limits.push(`host CPU ${hostBusyCores.toFixed(2)}/${cores} cores busy`);
    if (count(hist) === 0) limits.push('no measured packet arrived');
    return {
      target: target.name,
      publishers: o.publishers,
      subscribersEach: o.subscribersEach,
      consumers,
      offeredPerSecond: o.publishers * 200 * o.subscribersEach,
      forwardedPerSecond: (received * 1000) / o.measureMs,
      lossPercent: expected === 0 ? 100 : (100 * Math.max(0, expected - received)) / expected,
      reordered,
      duplicates,
      sfuCores: sfuUs / wallUs,
      sfuUserShare: (sfu1.userUs - sfu0.userUs) / Math.max(1, sfuUs),
      cpuUsPerForwarded: sfuUs / Math.max(1, received),
      forwardedPerCpuSecond: sfuUs === 0 ? Number.NaN : received / (sfuUs / 1_000_000),
      rssMiB: rss / MiB,
      rssPerConsumerKiB: 0,
      latencyP50Us: quantile(hist, 0.5),
      latencyP99Us: quantile(hist, 0.99),
      latencyMaxBucketUs: quantile(hist, 1),
      generatorCores,
      generatorMaxLagMs: maxLag,
      sendFailures,
      hostBusyCores,
      generatorLimit: limits.join('; '),
    };
  } finally {
    // ---- teardown: the target's handles first, then every PeerConnection.
    for (const s of subscribed) await s.close().catch(() => {});
    for (const p of published) await p.close().catch(() => {});
    for (const g of gens) await g.ask({ cmd: 'close-all' }).catch(() => {});
    await sleep(500);
  }
}
