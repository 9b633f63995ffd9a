/**
 * A bottleneck link for the estimator's tests (no I/O, no timers): a FIFO queue served at
 * a capacity that can change over time, a drop-tail limit in ms of queueing, a fixed
 * one-way delay, optional random loss and delay spikes from a seeded generator. And a
 * closed loop around it: a sender paced at the estimator's target, transport-cc-like
 * feedback every `feedbackMs`, probe clusters from a ProbeController. Tests replay
 * capacity traces (steady, steps, bursty loss, spikes) through it.
 */
import { ProbeController } from './probe-controller.ts';
import { type BweOptions, SendSideBwe } from './send-side-bwe.ts';
import type { PacketResult } from './types.ts';

export interface LinkSimOptions {
  /** Capacity at time t (ms), bit/s. */
  capacityBps: (tMs: number) => number;
  /** One-way propagation delay, ms. Default 20. */
  delayMs?: number;
  /** Drop-tail: a packet that would wait longer than this in the queue is dropped, ms. Default 300. */
  queueMs?: number;
  /** Random loss probability at time t. Default none. */
  loss?: (tMs: number) => number;
  /** Extra delay of a packet arriving at time t (a spike: every later packet waits too), ms. Default none. */
  spikeMs?: (tMs: number) => number;
  /** A seeded random number generator in [0, 1). */
  random: () => number;
}

export class BottleneckLink {
  readonly #o: LinkSimOptions;
  #busyUntil = 0;
  #lastArrival = 0;

  constructor(options: LinkSimOptions) {
    this.#o = options;
  }

  /** The arrival time of a packet sent at `sendMs`, or undefined when it is dropped. */
  carry(sendMs: number, size: number): number | undefined {
    const o = this.#o;
    const capacity = Math.max(o.capacityBps(sendMs), 1);
    const start = Math.max(sendMs, this.#busyUntil);
    if (start - sendMs > (o.queueMs ?? 300)) return undefined; // queue full
    this.#busyUntil = start + (size * 8000) / capacity;
    if (o.loss !== undefined && o.random() < o.loss(sendMs)) return undefined;
    const arrival = Math.max(this.#busyUntil + (o.delayMs ?? 20) + (o.spikeMs?.(sendMs) ?? 0), this.#lastArrival);
    this.#lastArrival = arrival;
    return arrival;
  }
}

export interface LoopOptions extends LinkSimOptions {
  durationMs: number;
  bwe?: BweOptions;
  /** What the sender would send on an unlimited link (the probe controller's want), bit/s. Default 2,500,000. */
  wantBps?: number;
  /** Feedback interval, ms. Default 100. */
  feedbackMs?: number;
  /** Packet size, bytes. Default 1200. */
  packetSize?: number;
  /** Probing on. Default true. */
  probing?: boolean;
}

export interface LoopSample {
  tMs: number;
  targetBps: number;
  capacityBps: number;
}

/** Runs sender → link → feedback → estimator for `durationMs`; the target after each feedback. */
export function runLoop(o: LoopOptions): LoopSample[] {
  const bwe = new SendSideBwe(o.bwe);
  const link = new BottleneckLink(o);
  const size = o.packetSize ?? 1200;
  const feedbackMs = o.feedbackMs ?? 100;
  const probes = new ProbeController(bwe.targetBps, o.bwe?.maxBps ?? 20_000_000);
  probes.want(Math.min(o.wantBps ?? 2_500_000, o.bwe?.maxBps ?? 20_000_000));
  const inFlight: PacketResult[] = [];
  const samples: LoopSample[] = [];
  const want = o.wantBps ?? 2_500_000;
  let seq = 0;
  let credit = 0;
  let probe: { id: number; bps: number; untilMs: number; credit: number } | undefined;
  const tickMs = 1;
  let nextFeedback = feedbackMs;
  const send = (t: number, probeCluster?: number): void => {
    const arrivalMs = link.carry(t, size);
    inFlight.push({ seq: seq++, sendMs: t, size, arrivalMs, probeCluster });
  };
  for (let t = 0; t < o.durationMs; t += tickMs) {
    // Media at min(target, want), paced per ms.
    credit += (Math.min(bwe.targetBps, want) * tickMs) / 8000;
    while (credit >= size) {
      credit -= size;
      send(t, probe?.id); // media sent during a cluster belongs to it, as with libwebrtc's pacer
    }
    if (o.probing !== false) {
      if (probe === undefined) {
        const c = probes.next(t, bwe.targetBps);
        if (c !== undefined) probe = { id: c.id, bps: c.bps, untilMs: t + c.durationMs, credit: 0 };
      }
      if (probe !== undefined) {
        probe.credit += (Math.max(probe.bps - bwe.targetBps, 0) * tickMs) / 8000;
        while (probe.credit >= size) {
          probe.credit -= size;
          send(t, probe.id);
        }
        if (t >= probe.untilMs) probe = undefined;
      }
    }
    if (t >= nextFeedback) {
      nextFeedback += feedbackMs;
      // Report what has arrived by now, and the losses before it (as transport-cc does).
      let lastArrived = -1;
      for (let i = 0; i < inFlight.length; i++) {
        const a = inFlight[i]?.arrivalMs;
        if (a !== undefined && a <= t) lastArrived = i;
      }
      if (lastArrived < 0) continue;
      // FIFO: everything before the last arrived packet has arrived or was lost.
      const report = inFlight.splice(0, lastArrived + 1);
      const u = bwe.onFeedback(report, t);
      if (u.probeBps !== undefined) probes.onResult(u.probeBps, u.targetBps);
      samples.push({ tMs: t, targetBps: u.targetBps, capacityBps: o.capacityBps(t) });
    }
  }
  return samples;
}
