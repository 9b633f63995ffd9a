/**
 * Smoke runs of the benchmarks, so that a change of defaults cannot stop a benchmark
 * from measuring unnoticed again (issue 18: bench:signal relayed 0 of 10,000 messages once
 * rooms became `sfu` by default, and still exited 0). Each runs its `bench/<name>/run.ts`
 * as a child process with a tiny load for a few seconds and asserts only what the system
 * controls: the bench exited 0 (it exits 1 when a server answered the load with errors or
 * a phase measured nothing, see each run.ts) and its JSON shows something measured for
 * every target. No figure is compared with any other: on a shared 2-core host they mean
 * nothing at this size.
 *
 * The tiny loads (the knobs are each benchmark's own flags, listed in its run.ts header):
 * - bench:signal: 20 participants in rooms of 10, 200 messages at 200/s, then 5,000 in a
 *   closed loop capped at 2 s; baseline and itda (about 10–20 s);
 * - bench:turn: itda and coturn (Debian `coturn`), 1 s per phase, 2 relay clients at
 *   1,000 pkt/s through channels and Send indications, no floor (about 15–25 s);
 * - bench:sfu: Janus (Debian `janus`) and itda, 2 publishers × 2 subscribers, 1 s warm-up,
 *   3 s measured, no direct floor, no waiting for a quiet host (about 15–30 s);
 * - bench:abuse: `--smoke` — every attack at a tiny strength (a few datagrams, messages,
 *   connections and allocations) with 1 s windows, each against its own server with the
 *   bystander call (about 30–40 s). Whether an attack is contained is not asserted: today's
 *   code does not contain most of them, and the verdicts are the bench's to report.
 * scripts/test.sh installs coturn and janus when missing. Whole file: about 75–115 s.
 *
 * Each bench runs in a process group of its own (`detached`); the group is killed when the
 * bench exits (a backstop: every bench stops its own children), on the bound below, and if
 * this process ends early. The bounds are generous (each bench also has its `--timeout-s`).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { coturnMissing } from './interop/coturn.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Process groups of benches still running: killed if this process ends first. */
const groups = new Set<number>();

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

process.on('exit', () => {
  for (const g of groups) killGroup(g);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const g of groups) killGroup(g);
    process.kill(process.pid, signal);
  });
}

interface BenchRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** The bench's `--json` file, if it wrote one. */
  json: unknown;
}

/** Runs `node bench/<name>/run.ts ...args --json FILE`, bounded by `limitMs`; the whole process group goes at the end. */
async function runBench(name: string, args: readonly string[], limitMs: number): Promise<BenchRun> {
  const dir = mkdtempSync(join(tmpdir(), `itda-bench-smoke-${name}-`));
  const jsonPath = join(dir, 'result.json');
  const child = spawn(process.execPath, [`bench/${name}/run.ts`, ...args, '--json', jsonPath], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid;
  assert.ok(pgid !== undefined, `could not start bench/${name}`);
  groups.add(pgid);
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const timer = setTimeout(() => {
        output += `\n[bench-smoke: bench/${name} still running after ${limitMs} ms: killing its process group]\n`;
        killGroup(pgid);
      }, limitMs);
      child.once('exit', (c, s) => {
        clearTimeout(timer);
        resolve({ code: c, signal: s });
      });
    });
    killGroup(pgid);
    // The pipes close once every process that held them is gone; bounded all the same.
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
    const json: unknown = existsSync(jsonPath) ? JSON.parse(readFileSync(jsonPath, 'utf8')) : undefined;
    return { code, signal, output, json };
  } finally {
    killGroup(pgid);
    groups.delete(pgid);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench's last lines, for an assertion message. */
function tail(run: BenchRun, lines = 60): string {
  return `exit code ${run.code}${run.signal === null ? '' : `, signal ${run.signal}`}; last lines:\n${run.output.split('\n').slice(-lines).join('\n')}`;
}

const MINUTE = 60_000;

test('bench:signal, tiny load: baseline and itda relay messages without errors', { timeout: 3 * MINUTE }, async () => {
  const run = await runBench(
    'signal',
    [
      ...['--connections', '20', '--room-size', '10'],
      ...['--latency-messages', '200', '--rate', '200', '--messages', '5000', '--duration-s', '2'],
      ...['--timeout-s', '120'],
    ],
    2 * MINUTE,
  );
  assert.equal(run.code, 0, tail(run));
  type Phase = { sent: number; received: number; errors: Record<string, number> };
  type Result = { joined: number; connectErrors: Record<string, number>; latency: Phase; throughput: Phase };
  const sizes = run.json as { size: number; results: Record<string, Result | undefined> }[];
  assert.equal(sizes.length, 1, tail(run));
  for (const target of ['baseline', 'itda']) {
    const r = sizes[0]?.results[target];
    assert.ok(r !== undefined, `${target}: no result\n${tail(run)}`);
    assert.equal(r.joined, 20, `${target}: joined\n${tail(run)}`);
    assert.deepEqual(r.connectErrors, {}, `${target}: connect errors\n${tail(run)}`);
    for (const [phase, p] of [
      ['fixed rate', r.latency],
      ['closed loop', r.throughput],
    ] as const) {
      assert.ok(p.received > 0, `${target} ${phase}: relayed ${p.received} of ${p.sent}\n${tail(run)}`);
      assert.deepEqual(p.errors, {}, `${target} ${phase}: errors\n${tail(run)}`);
    }
  }
});

test('bench:turn, tiny load: itda and coturn answer Binding, allocate and relay', { timeout: 3 * MINUTE }, async () => {
  assert.equal(coturnMissing(), undefined);
  const run = await runBench(
    'turn',
    [
      ...['--duration-s', '1', '--rates', '1000', '--clients', '2', '--modes', 'channel,send'],
      ...['--binding-sockets', '1', '--binding-window', '4', '--alloc-concurrency', '2', '--max-allocations', '20'],
      ...['--no-floor', '--timeout-s', '120'],
    ],
    2 * MINUTE,
  );
  assert.equal(run.code, 0, tail(run));
  type Summary = { binding: { perSecond: number }; allocations: { perSecond: number; failures: number } };
  const json = run.json as {
    summary: Record<string, Summary | undefined>;
    relay: { target: string; mode: string; sent: number; received: number }[];
  };
  for (const target of ['itda', 'coturn']) {
    const s = json.summary[target];
    assert.ok(s !== undefined, `${target}: no summary\n${tail(run)}`);
    assert.ok(s.binding.perSecond > 0, `${target}: no Binding answered\n${tail(run)}`);
    assert.ok(s.allocations.perSecond > 0, `${target}: no allocation\n${tail(run)}`);
    assert.equal(s.allocations.failures, 0, `${target}: failed allocations\n${tail(run)}`);
    for (const mode of ['channel', 'send']) {
      const row = json.relay.find((r) => r.target === target && r.mode === mode);
      assert.ok(row !== undefined && row.received > 0, `${target} ${mode}: nothing relayed\n${tail(run)}`);
    }
  }
});

test('bench:sfu, tiny load: Janus and itda forward media', { timeout: 3 * MINUTE }, async () => {
  assert.ok(existsSync('/usr/bin/janus'), 'janus is not installed (Debian package janus; scripts/test.sh installs it)');
  const run = await runBench(
    'sfu',
    [
      ...['--publishers', '2', '--subscribers', '2', '--warmup-s', '1', '--duration-s', '3'],
      ...['--no-direct', '--quiet-wait-s', '0', '--targets', 'janus,itda', '--timeout-s', '120'],
    ],
    2 * MINUTE,
  );
  assert.equal(run.code, 0, tail(run));
  const json = run.json as { steps: { target: string; forwardedPerSecond: number; consumers: number }[] };
  for (const target of ['janus', 'itda']) {
    const step = json.steps.find((s) => s.target === target);
    assert.ok(step !== undefined, `${target}: no step ran\n${tail(run)}`);
    assert.equal(step.consumers, 4, `${target}: consumers\n${tail(run)}`);
    assert.ok(step.forwardedPerSecond > 0, `${target}: nothing forwarded\n${tail(run)}`);
  }
});

test('bench:abuse, tiny strengths: every attack runs and the bystander is measured', {
  timeout: 3 * MINUTE,
}, async () => {
  const run = await runBench('abuse', ['--smoke', '--duration-s', '1', '--timeout-s', '120'], 2 * MINUTE);
  assert.equal(run.code, 0, tail(run));
  type Window = { sent: number; received: number };
  type Row = { id: number; baseline: Window; window: Window; server: { cpuS: number } };
  const json = run.json as { attacks: Row[]; skipped: { id: number }[] };
  assert.deepEqual(
    json.attacks.map((a) => a.id),
    [1, 2, 3, 4, 5, 7],
    `attacks run\n${tail(run)}`,
  );
  assert.deepEqual(
    json.skipped.map((s) => s.id),
    [6, 8],
    `attacks skipped\n${tail(run)}`,
  );
  for (const a of json.attacks) {
    assert.ok(a.baseline.received > 0, `attack ${a.id}: the bystander's baseline received nothing\n${tail(run)}`);
    assert.ok(a.window.sent > 0, `attack ${a.id}: the bystander sent nothing under attack\n${tail(run)}`);
    assert.ok(Number.isFinite(a.server.cpuS), `attack ${a.id}: no server CPU\n${tail(run)}`);
  }
  assert.match(run.output, /goal: bystander's added p99 < 50 ms → (met|NOT MET)/, tail(run));
});
