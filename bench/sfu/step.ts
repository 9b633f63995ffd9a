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
  /** Before the run, wait up to this long for other processes to use less than `quietCores` (shared hosts). */
  quietWaitMs: number;
  quietCores: number;
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
  /** Host softirq time (loopback packet delivery, all processes), cores. */
  softirqCores: number;
  /** Host CPU used by neither the SFU, the generators nor softirq (other processes), cores. */
  otherCores: number;
  /** Why the generator may have been the bottleneck; empty when it was not. */
  generatorLimit: string;
  /** Things to know that do not stop the steps (pacing lag). */
  notes: string;
}

const MiB = 1024 * 1024;

/**
 * CPU time of the whole host so far from /proc/stat (all cores), µs: busy (everything but
 * idle and iowait) and softirq alone — loopback delivery runs in softirq context, which the
 * kernel may account to no process (CONFIG_IRQ_TIME_ACCOUNTING), so it shows up only here.
 */
function hostCpuUs(): { busy: number; softirq: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const tick = 1_000_000 / clockTicks();
  return { busy: (total - (f[3] ?? 0) - (f[4] ?? 0)) * tick, softirq: (f[6] ?? 0) * tick };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One step. `target` undefined: the floor — every publisher sends straight to one subscriber
 * (libdatachannel to libdatachannel, no SFU): the generators' own latency and loss.
 */
export async function runStep(
  target: SfuTarget | undefined,
  gens: readonly Generator[],
  o: StepOptions,
): Promise<StepRow> {
  const name = target?.name ?? 'direct';
  const subscribersEach = target === undefined ? 1 : o.subscribersEach;
  const pid = target?.pid ?? 0;
  const cpuOf = (): { userUs: number; systemUs: number } =>
    pid > 0 ? cpuSplit(pid) : { userUs: Number.NaN, systemUs: Number.NaN };
  const published: Published[] = [];
  const subscribed: Subscribed[] = [];
  let nextPeer = 1;
  const pubs: { gen: Generator; peer: number; stream: number; ref: string }[] = [];
  try {
    const bindAddress = target?.clientAddress ?? '127.0.0.1';
    // ---- publishers.
    const pubSpecs = Array.from({ length: o.publishers }, (_, i) => ({
      gen: gens[i % gens.length] as Generator,
      peer: nextPeer++,
      stream: i,
    }));
    if (target === undefined) {
      // The floor: each publisher straight to one subscriber in another generator, no SFU.
      await pool(pubSpecs, 4, async (p) => {
        const subGen = gens[(p.stream + 1) % gens.length] as Generator;
        const subPeer = nextPeer++;
        await p.gen.ask({ cmd: 'peer-new', peer: p.peer, role: 'pub', stream: p.stream, bindAddress });
        await subGen.ask({ cmd: 'peer-new', peer: subPeer, role: 'sub', stream: p.stream, bindAddress });
        const answer = await sdpPeer(subGen, subPeer).answer(await sdpPeer(p.gen, p.peer).offer());
        await sdpPeer(p.gen, p.peer).accept(answer);
        await p.gen.ask({ cmd: 'peer-wait', peer: p.peer, timeoutMs: 15_000 }, 20_000);
        await subGen.ask({ cmd: 'peer-wait', peer: subPeer, timeoutMs: 15_000 }, 20_000);
      });
    }
    if (target !== undefined) {
      await pool(pubSpecs, 4, async (p) => {
        await p.gen.ask({ cmd: 'peer-new', peer: p.peer, role: 'pub', stream: p.stream, bindAddress });
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
      await pool(subSpecs, 8, async (sp) => {
        await sp.gen.ask({ cmd: 'peer-new', peer: sp.peer, role: 'sub', stream: sp.pub.stream, bindAddress });
        subscribed.push(await target.subscribe(sp.pub.ref, sdpPeer(sp.gen, sp.peer)));
        await sp.gen.ask({ cmd: 'peer-wait', peer: sp.peer, timeoutMs: 15_000 }, 20_000);
      });
    }
    o.log(`  ${name}: ${o.publishers} publishers × ${subscribersEach} subscribers connected`);
    await sleep(500);

    // ---- a quiet host first (bounded): other processes' CPU, sampled over 1 s at a time.
    const ours = (): number => {
      let us = 0;
      for (const id of [pid, ...gens.map((g) => g.pid)]) {
        if (id <= 0) continue;
        const c = cpuSplit(id);
        us += c.userUs + c.systemUs;
      }
      const self = process.cpuUsage();
      return us + self.user + self.system;
    };
    const quietDeadline = Date.now() + o.quietWaitMs;
    let otherBefore = 0;
    for (let i = 0; i < 600; i++) {
      const h0 = hostCpuUs().busy;
      const o0 = ours();
      const t = performance.now();
      await sleep(1000);
      otherBefore = (hostCpuUs().busy - h0 - (ours() - o0)) / ((performance.now() - t) * 1000);
      if (otherBefore <= o.quietCores || Date.now() > quietDeadline) break;
      if (i === 0) o.log(`  waiting for a quieter host: other processes use ${otherBefore.toFixed(2)} cores`);
    }

    // ---- the run: every generator at once; CPU read at the measured window's edges.
    const runs = gens.map((g) =>
      g.ask(
        { cmd: 'run', warmupMs: o.warmupMs, measureMs: o.measureMs, drainMs: 500 },
        o.warmupMs + o.measureMs + 30_000,
      ),
    );
    await sleep(o.warmupMs);
    const sfu0 = cpuOf();
    const gen0 = gens.map((g) => cpuSplit(g.pid));
    const host0 = hostCpuUs();
    const t0 = performance.now();
    await sleep(o.measureMs);
    const sfu1 = cpuOf();
    const gen1 = gens.map((g) => cpuSplit(g.pid));
    const host1 = hostCpuUs();
    const wallUs = (performance.now() - t0) * 1000;
    const rss = pid > 0 ? rssBytes(pid) : Number.NaN;
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
    const consumers = o.publishers * subscribersEach;
    const limits: string[] = [];
    if (generatorCores.some((c) => c > 0.85))
      limits.push(`a generator used ${Math.max(...generatorCores).toFixed(2)} cores`);
    // Pacing lag alone is a note, not a stop: on a shared host other work causes it too.
    const notes: string[] = [];
    if (otherBefore > o.quietCores) notes.push(`host not quiet before the run (${otherBefore.toFixed(2)} cores)`);
    if (maxLag > 20) notes.push(`pacing lag up to ${maxLag.toFixed(0)} ms`);
    const foreign = reports.reduce((a, r) => a + r.foreign, 0);
    if (foreign > 0) notes.push(`${foreign} RTP packets without our trailer (padding-only, probes)`);
    if (sendFailures > 0) limits.push(`${sendFailures} sends refused`);
    const hostBusyCores = (host1.busy - host0.busy) / wallUs;
    const softirqCores = (host1.softirq - host0.softirq) / wallUs;
    const genTotal = generatorCores.reduce((a, b) => a + b, 0);
    // Whatever else ran meanwhile (this process, other work on the host): the noise floor.
    const otherCores = Math.max(0, hostBusyCores - (pid > 0 ? sfuUs / wallUs : 0) - genTotal - softirqCores);
    const cores = availableParallelism();
    if (hostBusyCores > cores * 0.95) limits.push(`host CPU ${hostBusyCores.toFixed(2)}/${cores} cores busy`);
    if (count(hist) === 0) limits.push('no measured packet arrived');
    return {
      target: name,
      publishers: o.publishers,
      subscribersEach,
      consumers,
      offeredPerSecond: o.publishers * 200 * subscribersEach,
      forwardedPerSecond: (received * 1000) / o.measureMs,
      lossPercent: expected === 0 ? 100 : (100 * Math.max(0, expected - received)) / expected,
      reordered,
      duplicates,
      sfuCores: sfuUs / wallUs,
      sfuUserShare: (sfu1.userUs - sfu0.userUs) / Math.max(1, sfuUs),
      cpuUsPerForwarded: sfuUs / Math.max(1, received),
      forwardedPerCpuSecond: sfuUs === 0 || pid === 0 ? Number.NaN : received / (sfuUs / 1_000_000),
      rssMiB: rss / MiB,
      rssPerConsumerKiB: Number.NaN,
      latencyP50Us: quantile(hist, 0.5),
      latencyP99Us: quantile(hist, 0.99),
      latencyMaxBucketUs: quantile(hist, 1),
      generatorCores,
      generatorMaxLagMs: maxLag,
      sendFailures,
      hostBusyCores,
      softirqCores,
      otherCores,
      generatorLimit: limits.join('; '),
      notes: notes.join('; '),
    };
  } finally {
    // ---- teardown: the target's handles first, then every PeerConnection.
    for (const s of subscribed) await s.close().catch(() => {});
    for (const p of published) await p.close().catch(() => {});
    for (const g of gens) await g.ask({ cmd: 'close-all' }).catch(() => {});
    await sleep(500);
  }
}
