/**
 * The bystander: one call in its own room on the server under attack — a WHIP publisher
 * (VP8 150 packets/s of 1,200 bytes + Opus 50 packets/s) and a WHEP subscriber, both
 * node-datachannel peers in one bench/sfu load generator process (one clock), set up through
 * bench/sfu's `ItdaTarget`. `measure` runs it for a window and returns the latency of every
 * packet sent in the window (send → receive, bench/sfu/hist.ts) and the packets that did
 * not arrive within the drain.
 *
 * `p99WithLoss`: the 99th percentile over every packet sent, a lost packet counting as later
 * than any that arrived — so more than 1 % lost reads as ∞, whatever the survivors' latency.
 */
import { type Generator, sdpPeer } from '../sfu/generators.ts';
import { addInto, BUCKETS, count, quantile } from '../sfu/hist.ts';
import type { RunReport } from '../sfu/ipc.ts';
import type { Published, SfuTarget, Subscribed } from '../sfu/target.ts';

/** The lower edge of hist.ts's last bucket (1 s − 100 µs): a value there means "1 s or later". */
export const HIST_CEILING_US = 999_900;

const PUB = 1;
const SUB = 2;
const STREAM = 0;

export interface Window {
  sent: number;
  received: number;
  lossPercent: number;
  p50Us: number;
  p99Us: number;
  /** p99 over sent packets, lost ones counted as ∞ (Infinity when more than 1 % were lost). */
  p99WithLossUs: number;
  maxUs: number;
  /** The histogram's last bucket holds everything from 1 s on: p99 ≥ 1 s reads as "≥ 1 s". */
  saturated: boolean;
  /** The generator's pacing lag: > 20 ms means the host, not the server, delayed packets. */
  generatorLagMs: number;
}

export class Bystander {
  readonly #gen: Generator;
  readonly #target: SfuTarget;
  #published: Published | undefined;
  #subscribed: Subscribed | undefined;

  constructor(gen: Generator, target: SfuTarget) {
    this.#gen = gen;
    this.#target = target;
  }

  /** Publishes and subscribes; resolves when media flows both ways (bounded by the generator's waits). */
  async connect(): Promise<void> {
    const gen = this.#gen;
    const bindAddress = this.#target.clientAddress;
    await gen.ask({ cmd: 'peer-new', peer: PUB, role: 'pub', stream: STREAM, bindAddress });
    const { answer, published } = await this.#target.publish(await sdpPeer(gen, PUB).offer());
    this.#published = published;
    await sdpPeer(gen, PUB).accept(answer);
    await gen.ask({ cmd: 'peer-wait', peer: PUB, timeoutMs: 15_000 }, 20_000);
    await gen.ask({ cmd: 'peer-new', peer: SUB, role: 'sub', stream: STREAM, bindAddress });
    this.#subscribed = await this.#target.subscribe(published.ref, sdpPeer(gen, SUB));
    await gen.ask({ cmd: 'peer-wait', peer: SUB, timeoutMs: 15_000 }, 20_000);
  }

  /** Sends for `measureMs` (all measured), then waits `drainMs` for late packets. */
  async measure(measureMs: number, drainMs: number): Promise<Window> {
    const answer = await this.#gen.ask({ cmd: 'run', warmupMs: 0, measureMs, drainMs }, measureMs + drainMs + 30_000);
    return windowOf(answer.report as RunReport);
  }

  async close(): Promise<void> {
    await this.#subscribed?.close().catch(() => {});
    await this.#published?.close().catch(() => {});
    await this.#gen.ask({ cmd: 'close-all' }).catch(() => {});
    this.#subscribed = undefined;
    this.#published = undefined;
  }
}

export function windowOf(r: RunReport): Window {
  const sent = r.sent.reduce((a, s) => a + s.video + s.audio, 0);
  const received = r.received.reduce((a, s) => a + s.video + s.audio, 0);
  const hist = new Uint32Array(BUCKETS);
  addInto(hist, r.latency);
  const n = count(hist);
  // The rank of the 99th percentile among all sent packets; beyond the received ones: lost.
  const rank = Math.ceil(0.99 * sent);
  // quantile() takes the ceil(q × n)-th sample: q = (rank − ½) / n picks exactly the rank-th.
  const p99WithLossUs = sent === 0 || rank > n ? Number.POSITIVE_INFINITY : quantile(hist, (rank - 0.5) / n);
  const p99Us = quantile(hist, 0.99);
  return {
    sent,
    received,
    lossPercent: sent === 0 ? 100 : (100 * Math.max(0, sent - received)) / sent,
    p50Us: quantile(hist, 0.5),
    p99Us,
    p99WithLossUs,
    maxUs: quantile(hist, 1),
    saturated: quantile(hist, 1) >= HIST_CEILING_US,
    generatorLagMs: r.maxLagMs,
  };
}
