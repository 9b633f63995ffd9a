/**
 * `npm run bench:signal -- [--connections 5000,20000] [--room-size 10] [--messages N] [--duration-s S]`
 *
 * Thousands of concurrent WebSocket participants on loopback joining rooms and relaying
 * offers and candidates, against itda's signaling server and against a minimal `ws`
 * relay (the baseline) in the same run, each server alone in its own process. Prints
 * joins/s, relay latency p50/p99, relayed msgs/s, server CPU µs per relayed message,
 * RSS per connection, and itda/baseline ratios, with progress lines while it runs.
 * Everything is on 127.0.0.1 and bounded: each phase has a count and a time limit, and
 * a hard overall timeout kills every child. Results: bench/RESULTS.md.
 *
 * itda runs with its rooms in `p2p` mode and the SFU and TURN off (targets.ts says why).
 * Exit code 1, with a `FAILED:` list at the end, when a server answered the load with
 * errors (any `error` message or failed join), lost relayed messages, relayed none, or the
 * CPU ratio could not be computed; 2 on the hard timeout (`--timeout-s`).
 *
 * A tiny run (the smoke test, e2e/bench-smoke.test.ts, about 10 s): `--connections 20
 * --messages 5000 --latency-messages 200 --rate 200 --duration-s 2 --json FILE`.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { ratioProblems, targetProblems } from './checks.ts';
import { type LoadOptions, measureTarget, type TargetResult } from './measure.ts';
import { openFileLimits } from './proc.ts';
import { goalLines, sizeTable } from './report.ts';
import { HOST, type TargetName } from './targets.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '5000,20000' },
    'room-size': { type: 'string', default: '10' },
    messages: { type: 'string', default: '200000' },
    'duration-s': { type: 'string', default: '20' },
    rate: { type: 'string', default: '2000' },
    'latency-messages': { type: 'string', default: '10000' },
    window: { type: 'string', default: '1000' },
    'offer-every': { type: 'string', default: '5' },
    generators: { type: 'string' },
    'source-addresses': { type: 'string', default: '0' },
    targets: { type: 'string', default: 'baseline,itda' },
    'itda-arg': { type: 'string', multiple: true, default: [] },
    'timeout-s': { type: 'string', default: '600' },
    json: { type: 'string' },
  },
});

function int(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}–${max}`);
  return n;
}

const roomSize = int('room-size', values['room-size'], 2, 1000);
const requested = (values.connections ?? '').split(',').map((s) => int('connections', s.trim(), roomSize, 100_000));
const targets = (values.targets ?? '').split(',').map((s) => s.trim()) as TargetName[];
for (const t of targets) if (t !== 'baseline' && t !== 'itda') throw new Error(`unknown target ${t}`);
const timeoutS = int('timeout-s', values['timeout-s'], 10, 3600);

// ---- open files: each server holds one socket per participant. Raise the soft limit
// by re-running under `ulimit -n` when needed; the hard limit caps the size.
const FD_RESERVE = 64;
const want = Math.max(...requested) + FD_RESERVE;
const limits = openFileLimits();
if (limits.soft < Math.min(want, limits.hard) && process.env.ITDA_BENCH_REEXEC !== '1') {
  const n = Math.min(want, limits.hard);
  process.stdout.write(`raising the open-files limit from ${limits.soft} to ${n} (re-running under ulimit -n)\n`);
  const r = spawnSync(
    'bash',
    ['-c', `ulimit -n ${n} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, ITDA_BENCH_REEXEC: '1' }, timeout: (timeoutS + 30) * 1000 },
  );
  process.exit(r.status ?? 1);
}
const maxConnections = Math.floor((Math.min(limits.soft, limits.hard) - FD_RESERVE) / roomSize) * roomSize;
const sizes = requested.map((n) => Math.min(n, maxConnections));
for (const [i, n] of sizes.entries()) {
  if (n !== requested[i]) {
    process.stdout.write(
      `note: ${requested[i]} connections need more than the open-files limit (${limits.soft} soft, ${limits.hard} hard): running ${n}\n`,
    );
  }
}

// 0 (default): the kernel picks source address and port at connect(), which is fast.
// N > 0: bind each client socket to 127.0.0.1…N first — only when ephemeral ports run out,
// since bind() with port 0 searches the port range and slows down as sockets accumulate.
const sourceCount = int('source-addresses', values['source-addresses'], 0, 250);
const options: Omit<LoadOptions, 'connections' | 'generators'> = {
  roomSize,
  itdaArgs: values['itda-arg'] ?? [],
  concurrency: 256,
  localAddresses: Array.from({ length: sourceCount }, (_, i) => `127.0.0.${i + 1}`),
  pingIntervalMs: 5000,
  rate: int('rate', values.rate, 1, 1_000_000),
  latencyMessages: int('latency-messages', values['latency-messages'], 1, 9_999_999),
  window: int('window', values.window, 1, 100_000),
  messages: int('messages', values.messages, 1, 9_999_999),
  durationMs: int('duration-s', values['duration-s'], 1, 600) * 1000,
  offerEvery: int('offer-every', values['offer-every'], 1, 1000),
  track: (pid) => children.add(pid),
};

// ---- hard overall timeout: kill every child this run started, by pid.
const children = new Set<number>();
function killChildren(): void {
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
const hardTimeout = setTimeout(() => {
  process.stderr.write(`\nhard timeout: ${timeoutS} s passed; killing the servers and load generators\n`);
  killChildren();
  process.exit(2);
}, timeoutS * 1000);
hardTimeout.unref();
process.on('SIGINT', () => {
  killChildren();
  process.exit(130);
});

const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(
  `bench/signal — ${new Date().toISOString()} — node ${process.version} — ${availableParallelism()} cores (${cpuModel})\n` +
    `servers on ${HOST}; sizes ${sizes.join(', ')}; room size ${roomSize}; fixed rate ${options.rate} msgs/s × ${options.latencyMessages}; ` +
    `closed loop: ${options.messages} msgs, window ${options.window}/generator; offers 1 in ${options.offerEvery}; ping every ${options.pingIntervalMs} ms\n`,
);

const all: { size: number; results: Partial<Record<TargetName, TargetResult>> }[] = [];
/** Why this run measured less than it should: printed at the end, and the exit code is 1. */
const problems: string[] = [];
for (const size of sizes) {
  const generators =
    values.generators === undefined
      ? Math.max(1, Math.ceil(size / 10_000))
      : int('generators', values.generators, 1, 16);
  process.stdout.write(
    `\n== ${size.toLocaleString('en-US')} connections, rooms of ${roomSize}, ${generators} load generator(s)\n`,
  );
  const results: Partial<Record<TargetName, TargetResult>> = {};
  for (const target of targets) {
    try {
      results[target] = await measureTarget(target, size, { ...options, connections: size, generators });
    } catch (err) {
      problems.push(`${target} ${size}: ${(err as Error).message}`);
      process.stdout.write(`  ${target} ${size}: FAILED: ${(err as Error).message}\n`);
    }
    const r = results[target];
    if (r !== undefined) problems.push(...targetProblems(r));
  }
  all.push({ size, results });
  const b = results.baseline;
  const i = results.itda;
  if (b !== undefined && i !== undefined) {
    process.stdout.write(`\n${sizeTable(b, i)}\n\n${goalLines(b, i).join('\n')}\n`);
    problems.push(...ratioProblems(b, i));
  } else {
    for (const r of [b, i]) if (r !== undefined) process.stdout.write(`${JSON.stringify(r, null, 1)}\n`);
  }
}

if (values.json !== undefined) {
  writeFileSync(
    values.json,
    JSON.stringify(all, (_k, v) => (v instanceof Float64Array ? undefined : v), 1),
  );
  process.stdout.write(`\nresults written to ${values.json}\n`);
}
clearTimeout(hardTimeout);
if (problems.length > 0) {
  process.stdout.write(
    `\nFAILED: the run did not measure what it should (the figures above do not stand):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
  );
}
process.exit(problems.length > 0 ? 1 : 0);
