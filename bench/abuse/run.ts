/**
 * `npm run bench:abuse -- [--attacks 1,2,3,4,5,6,7,8] [--duration-s 10] [--drain-s 2] [--smoke]
 *   [--tcp-connections 2000] [--json FILE] [--timeout-s 900]`
 *
 * Hostile participants (issue 10): each attack of the issue, at the strength the review
 * measured, against a fresh itda server (its own process: TURN over UDP and TCP, ICE-TCP,
 * the CLI's log level with every record counted — server.ts) while a bystander call in
 * another room of that server (a WHIP publisher and a WHEP subscriber on node-datachannel,
 * bench/sfu's load generator) measures its media latency. Per attack: the bystander's
 * added latency p50/p99 against its own baseline window measured just before on the same
 * server; the server's CPU (utime + stime of its pid over each window) and RSS; what the
 * server did (its /metrics counters that moved — drops by reason, errors by code, closes —
 * its gauges while the attack held what it took, and the log lines it wrote); a newcomer's
 * /healthz and join during the attack; the attack's own verdict (attacks/*.ts). Goal line
 * per attack: the bystander's added p99 < 50 ms (a lost packet counts as later than any,
 * so more than 1 % lost is ∞) → met / NOT MET; CONTAINED when the goal is met, the attack
 * did not get what it wanted, and the probes passed.
 *
 * Attacks (numbers of issue 10): 1 TURN peer-policy bypass (does it work), 2 transport-cc
 * bomb, 3 publish with 200 m-lines, 4 idle TCP connections (`--tcp-connections` to the
 * media port and as many to TURN/TCP), 5 TURN capacity, 7 data fan-out. 6 (a script in the
 * web app's origin) and 8 (names) are no load on the server: listed as skipped. Each is
 * bounded in count and by `--duration-s`; `--drain-s` is how long the bystander waits for
 * late packets after each window. `--smoke`: tiny strengths and 1 s windows unless
 * `--duration-s` says otherwise (e2e/bench-smoke.test.ts, about 30 s).
 *
 * Network: a fresh namespace with loopback only (bench/sfu/netns.ts), the open-files soft
 * limit raised for the TCP attack as bench/signal does. Exit code 1 with a `FAILED:` list
 * when the run did not measure what it should (a server that did not start, a bystander
 * that did not connect or measured nothing in its baseline, an attack that could not set
 * up); an attack that is not contained is a measurement, not a failure. 2 on the hard
 * timeout.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Generator } from '../sfu/generators.ts';
import type { ItdaTarget } from '../sfu/itda.ts';
import { enterNetns, inNetns } from '../sfu/netns.ts';
import { openFileLimits } from '../signal/proc.ts';
import { ATTACKS, ISSUE_STRENGTHS, SKIPPED, SMOKE_STRENGTHS } from './attacks/index.ts';
import type { Strengths } from './attacks/types.ts';
import { failedText, rowProblems } from './checks.ts';
import { type AttackRow, rowText, summaryTable } from './report.ts';
import { RELAY_PORTS } from './server.ts';
import { runSession } from './session.ts';

const { values } = parseArgs({
  options: {
    attacks: { type: 'string', default: '1,2,3,4,5,6,7,8' },
    'duration-s': { type: 'string' },
    'drain-s': { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'tcp-connections': { type: 'string' },
    json: { type: 'string' },
    'timeout-s': { type: 'string', default: '900' },
  },
});

function int(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}–${max}`);
  return n;
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const smoke = values.smoke === true;
const strengths: Strengths = { ...(smoke ? SMOKE_STRENGTHS : ISSUE_STRENGTHS) };
if (values['tcp-connections'] !== undefined) {
  strengths.tcpConnections = int('tcp-connections', values['tcp-connections'], 1, 30_000);
}

// ---- a namespace of our own with loopback only, and enough descriptors for the TCP attack
// (client and server each hold 2 × N sockets; bench/signal raises the soft limit the same way).
const FD_RESERVE = 4096;
const limits = openFileLimits();
const wantFds = Math.min(limits.hard, Math.max(limits.soft, 2 * strengths.tcpConnections + FD_RESERVE));
if (!inNetns()) {
  enterNetns({
    self: fileURLToPath(import.meta.url),
    setup: `ip link set lo up${wantFds > limits.soft ? ` && ulimit -n ${wantFds}` : ''}`,
    warning: 'warning: cannot create a network namespace (not root?); running on the host, loopback only',
    log,
  });
}

const durationMs = int('duration-s', values['duration-s'] ?? (smoke ? '1' : '10'), 1, 120) * 1000;
const drainMs = Number(values['drain-s'] ?? (smoke ? '0.3' : '2')) * 1000;
if (!(drainMs >= 0 && drainMs <= 30_000)) throw new Error('--drain-s must be a number in 0–30');
const timeoutS = int('timeout-s', values['timeout-s'], 30, 3600);
const wanted = (values.attacks ?? '').split(',').map((s) => int('attacks', s.trim(), 1, 8));
const attacks = ATTACKS.filter((a) => wanted.includes(a.id));
const skipped = SKIPPED.filter((a) => wanted.includes(a.id));

const problems: string[] = [];
let gen: Generator | undefined;
let current: ItdaTarget | undefined;
const killCurrent = (): void => {
  try {
    if (current !== undefined && current.pid > 0) process.kill(current.pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
const hardTimer = setTimeout(() => {
  log(`hard timeout (${timeoutS} s): killing every child`);
  gen?.child.kill('SIGKILL');
  process.exit(2); // the exit handler kills the server
}, timeoutS * 1000);
process.on('exit', killCurrent);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

async function main(): Promise<AttackRow[]> {
  const started = new Date();
  log(
    `bench/abuse — ${started.toISOString()} — ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, node ${process.version}, load average ${loadavg()[0]?.toFixed(1)}${smoke ? ' — SMOKE (tiny strengths)' : ''}`,
  );
  log(
    `each attack: a fresh itda server (TURN udp+tcp, ICE-TCP, relay ports ${RELAY_PORTS.min}–${RELAY_PORTS.max}, log level info), a bystander call (VP8 150 pkt/s + Opus 50 pkt/s through WHIP/WHEP), a ${durationMs / 1000} s baseline window, then a ${durationMs / 1000} s window under attack; ${drainMs / 1000} s drain after each; open files ${openFileLimits().soft}`,
  );
  for (const s of skipped) log(`attack ${s.id} — ${s.name}: skipped (${s.why})`);
  log('');
  gen = new Generator();
  const rows: AttackRow[] = [];
  for (const attack of attacks) {
    try {
      const row = await runSession(attack, gen, {
        durationMs,
        drainMs,
        strengths,
        log,
        onTarget: (t) => {
          current = t;
        },
      });
      rows.push(row);
      problems.push(...rowProblems(row));
      log(rowText(row));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      problems.push(`attack ${attack.id} (${attack.name}): ${message}`);
      log(`attack ${attack.id} — ${attack.name}: FAILED to run: ${message}`);
    }
    log('');
  }
  if (rows.length > 0) log(summaryTable(rows));
  for (const s of skipped) log(`${s.id} ${s.name}: skipped — ${s.why}`);
  if (values.json !== undefined) {
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          started: started.toISOString(),
          machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version, loadavg: loadavg() },
          options: { ...values, durationMs, drainMs },
          strengths,
          attacks: rows,
          skipped,
        },
        (_k, v: unknown) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v),
        2,
      ),
    );
    log(`results written to ${values.json}`);
  }
  return rows;
}

try {
  if (attacks.length === 0 && skipped.length === 0) problems.push(`no attack selected by --attacks ${values.attacks}`);
  await main();
} catch (err) {
  problems.push(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await gen?.close();
  clearTimeout(hardTimer);
}
if (problems.length > 0) log(`\n${failedText(problems)}`);
process.exit(problems.length > 0 ? 1 : 0);
