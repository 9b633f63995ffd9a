/** The TURN benchmark's rows and its plain-text tables (bench/turn/run.ts prints them). */
import { fmt, ratio, table } from '../signal/stats.ts';

/** One relay measurement of one target at one rate. */
export interface RelayRow {
  target: 'itda' | 'coturn' | 'floor';
  /** `floor`: the bare node:dgram forwarder, which has no TURN modes. */
  mode: 'channel' | 'send' | 'floor';
  rate: number;
  sent: number;
  received: number;
  lost: number;
  /** Receive drops of the target's UDP sockets during the run (socket buffer full), from `ss`. */
  kernelDrops: number;
  relayedPerSecond: number;
  cpuUsPerPacket: number;
  userUsPerPacket: number;
  systemUsPerPacket: number;
  cpuCores: number;
  rttP50: number;
  rttP99: number;
  rssMiB: number;
}

export interface TargetSummary {
  binding: { perSecond: number; cpuUsPerRequest: number; userUsPerRequest: number; timedOut: number; cpuCores: number };
  allocations: { perSecond: number; cpuUsPerAllocation: number; failures: number; firstError: string | undefined };
  idleRssMiB: number;
  peakRssMiB: number;
  notes: string;
}

/** Binding, allocations and memory, itda against coturn (Binding also for the floor, when it ran). */
export function summaryTable(it: TargetSummary, co: TargetSummary, floor?: TargetSummary): string {
  const f = (value: (s: TargetSummary) => string): string[] => (floor === undefined ? [] : [value(floor)]);
  return table([
    ['metric', 'itda', 'coturn', 'itda/coturn', ...f(() => 'floor (node:dgram)')],
    [
      'STUN Binding requests/s',
      fmt(it.binding.perSecond),
      fmt(co.binding.perSecond),
      ratio(it.binding.perSecond, co.binding.perSecond),
      ...f((s) => fmt(s.binding.perSecond)),
    ],
    [
      'STUN Binding CPU µs/request',
      it.binding.cpuUsPerRequest.toFixed(2),
      co.binding.cpuUsPerRequest.toFixed(2),
      ratio(it.binding.cpuUsPerRequest, co.binding.cpuUsPerRequest),
      ...f((s) => s.binding.cpuUsPerRequest.toFixed(2)),
    ],
    [
      'STUN Binding user-space CPU µs/request',
      it.binding.userUsPerRequest.toFixed(2),
      co.binding.userUsPerRequest.toFixed(2),
      ratio(it.binding.userUsPerRequest, co.binding.userUsPerRequest),
      ...f((s) => s.binding.userUsPerRequest.toFixed(2)),
    ],
    [
      'STUN Binding requests per CPU-second',
      fmt(1e6 / it.binding.cpuUsPerRequest),
      fmt(1e6 / co.binding.cpuUsPerRequest),
      ratio(co.binding.cpuUsPerRequest, it.binding.cpuUsPerRequest),
      ...f((s) => fmt(1e6 / s.binding.cpuUsPerRequest)),
    ],
    [
      'allocations/s',
      fmt(it.allocations.perSecond),
      fmt(co.allocations.perSecond),
      ratio(it.allocations.perSecond, co.allocations.perSecond),
      ...f(() => ''),
    ],
    [
      'CPU µs/allocation (Allocate×2 + Refresh 0)',
      it.allocations.cpuUsPerAllocation.toFixed(1),
      co.allocations.cpuUsPerAllocation.toFixed(1),
      ratio(it.allocations.cpuUsPerAllocation, co.allocations.cpuUsPerAllocation),
      ...f(() => ''),
    ],
    [
      'RSS idle / peak MiB',
      `${it.idleRssMiB.toFixed(1)} / ${it.peakRssMiB.toFixed(1)}`,
      `${co.idleRssMiB.toFixed(1)} / ${co.peakRssMiB.toFixed(1)}`,
      '',
      ...f((s) => `${s.idleRssMiB.toFixed(1)} / ${s.peakRssMiB.toFixed(1)}`),
    ],
  ]);
}

const lostText = (r: RelayRow): string => (r.kernelDrops > 0 ? `${r.lost} (${r.kernelDrops} dropped)` : `${r.lost}`);

/**
 * The relay table (one line per mode and rate; the floor's figures at the same rate on
 * every mode's line), the CPU-per-packet table, and the highest loss-free rate per
 * target and mode. `directP50` is the RTT without relay, for "added RTT".
 */
export function relayReport(
  rows: readonly RelayRow[],
  modes: readonly ('channel' | 'send')[],
  rates: readonly number[],
  directP50: number,
): { text: string; sustained: Record<string, Record<string, number>> } {
  const find = (target: RelayRow['target'], mode: RelayRow['mode'], rate: number): RelayRow | undefined =>
    rows.find((r) => r.target === target && r.mode === mode && r.rate === rate);
  const hasFloor = rows.some((r) => r.target === 'floor');
  const cpu: string[][] = [
    [
      'mode',
      'pkt/s sent',
      'itda µs/pkt',
      'coturn µs/pkt',
      'itda/coturn',
      ...(hasFloor ? ['floor µs/pkt', 'floor/coturn', 'itda − floor'] : []),
      'user+sys itda / coturn',
      'relayed pkt per CPU-s itda / coturn',
    ],
  ];
  const loss: string[][] = [
    [
      'mode',
      'pkt/s sent',
      'itda lost',
      'coturn lost',
      ...(hasFloor ? ['floor lost'] : []),
      'itda RTT p50/p99 ms',
      'coturn RTT p50/p99 ms',
      'added RTT p50 itda/coturn ms',
    ],
  ];
  for (const mode of modes) {
    for (const rate of rates) {
      const i = find('itda', mode, rate);
      const c = find('coturn', mode, rate);
      if (i === undefined || c === undefined) continue;
      const f = find('floor', 'floor', rate);
      cpu.push([
        mode,
        fmt(rate),
        i.cpuUsPerPacket.toFixed(2),
        c.cpuUsPerPacket.toFixed(2),
        ratio(i.cpuUsPerPacket, c.cpuUsPerPacket),
        ...(hasFloor
          ? [
              f === undefined ? '–' : f.cpuUsPerPacket.toFixed(2),
              f === undefined ? '–' : ratio(f.cpuUsPerPacket, c.cpuUsPerPacket),
              f === undefined ? '–' : (i.cpuUsPerPacket - f.cpuUsPerPacket).toFixed(2),
            ]
          : []),
        `${i.userUsPerPacket.toFixed(1)}+${i.systemUsPerPacket.toFixed(1)} / ${c.userUsPerPacket.toFixed(1)}+${c.systemUsPerPacket.toFixed(1)}`,
        `${fmt(1e6 / i.cpuUsPerPacket)} / ${fmt(1e6 / c.cpuUsPerPacket)}`,
      ]);
      loss.push([
        mode,
        fmt(rate),
        lostText(i),
        lostText(c),
        ...(hasFloor ? [f === undefined ? '–' : lostText(f)] : []),
        `${i.rttP50.toFixed(3)} / ${i.rttP99.toFixed(3)}`,
        `${c.rttP50.toFixed(3)} / ${c.rttP99.toFixed(3)}`,
        `${(i.rttP50 - directP50).toFixed(3)} / ${(c.rttP50 - directP50).toFixed(3)}`,
      ]);
    }
  }
  // The highest rate each target relayed without loss (0: none), per mode.
  const sustained: Record<string, Record<string, number>> = {};
  const lines: string[] = [];
  const best = (target: RelayRow['target'], mode: RelayRow['mode']): number => {
    const ok = rows.filter((r) => r.target === target && r.mode === mode && r.lost === 0).map((r) => r.rate);
    return ok.length === 0 ? 0 : Math.max(...ok);
  };
  for (const mode of modes) {
    const itda = best('itda', mode);
    const coturn = best('coturn', mode);
    sustained[mode] = { itda, coturn };
    const atCoturn = find('itda', mode, coturn);
    lines.push(
      `${mode}: highest rate without loss — coturn ${fmt(coturn)} pkt/s, itda ${fmt(itda)} pkt/s; itda at coturn's rate lost ${atCoturn === undefined ? '–' : atCoturn.lost}`,
    );
  }
  if (hasFloor) {
    const floor = best('floor', 'floor');
    sustained.floor = { floor };
    lines.push(`floor (node:dgram forwarder): highest rate without loss ${fmt(floor)} pkt/s`);
  }
  const text = [
    'CPU per relayed packet (both directions count):',
    table(cpu),
    '',
    'Loss ("(N dropped)": receive drops counted by the kernel on the server\'s sockets) and RTT:',
    table(loss),
    '',
    `direct RTT p50 ${directP50.toFixed(3)} ms (load → echo peer → load, no relay).`,
    ...lines,
  ].join('\n');
  return { text, sustained };
}
