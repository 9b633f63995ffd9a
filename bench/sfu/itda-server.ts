/**
 * itda's server alone in a process, for the SFU benchmark: `node bench/sfu/itda-server.ts
 * '<json StartServerOptions>'`. Prints one JSON line `{"ready":true,"url":"http://…"}` on
 * stdout and runs until SIGTERM/SIGINT, then closes the server and exits (so `--cpu-prof`
 * writes its profile). The SFU's CPU and RSS are this process's.
 *
 * `BENCH_ITDA_LOG=count`: log records are written as the CLI writes them (one JSON line
 * each, here to /dev/null) and counted; on SIGUSR2 the counts so far go to stdout as one
 * line `{"log":{"lines":…,"bytes":…,"byLevel":{…},"byMessage":{…}}}` (bench/abuse: the log
 * an attack makes the server write).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { type StartServerOptions, startServer } from '@itda/server';

const options = JSON.parse(process.argv[2] ?? '{}') as StartServerOptions;
if (process.env.BENCH_ITDA_LOG === 'count') {
  const fd = openSync('/dev/null', 'w');
  process.on('exit', () => closeSync(fd));
  const counts = { lines: 0, bytes: 0, byLevel: {} as Record<string, number>, byMessage: {} as Record<string, number> };
  let kinds = 0;
  options.logSink = (record) => {
    const line = `${JSON.stringify(record)}\n`;
    writeSync(fd, line);
    counts.lines++;
    counts.bytes += Buffer.byteLength(line);
    const level = String(record.level);
    counts.byLevel[level] = (counts.byLevel[level] ?? 0) + 1;
    // `level name: msg`, at most 200 kinds (the rest as one).
    let key = `${level} ${String(record.name)}: ${String(record.msg)}`;
    if (counts.byMessage[key] === undefined && kinds >= 200) key = '(other kinds)';
    if (counts.byMessage[key] === undefined) kinds++;
    counts.byMessage[key] = (counts.byMessage[key] ?? 0) + 1;
  };
  process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify({ log: counts })}\n`));
}
const server = await startServer(options);
process.stdout.write(`${JSON.stringify({ ready: true, url: server.url })}\n`);

// BENCH_SFU_ELD=1: event-loop delay (p50/p99/max, ms) every 2 s on stderr, to tell the
// SFU's own stalls from the generators' in the latency figures.
if (process.env.BENCH_SFU_ELD === '1') {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  setInterval(() => {
    const ms = (ns: number): string => (ns / 1e6).toFixed(2);
    process.stderr.write(`itda eld p50 ${ms(h.percentile(50))} p99 ${ms(h.percentile(99))} max ${ms(h.max)}\n`);
    h.reset();
  }, 2000).unref();
}

// BENCH_SFU_GC=1: the main thread's garbage-collection pauses every 2 s on stderr (count,
// total and longest ms), the other source of stalls.
if (process.env.BENCH_SFU_GC === '1') {
  let count = 0;
  let total = 0;
  let max = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      count++;
      total += e.duration;
      max = Math.max(max, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    process.stderr.write(`itda gc ${count} pauses, ${total.toFixed(1)} ms, longest ${max.toFixed(2)} ms\n`);
    count = 0;
    total = 0;
    max = 0;
  }, 2000).unref();
}

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
