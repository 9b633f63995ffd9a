/**
 * Benchmarks run inside a fresh network namespace (`unshare --net`, as scripts/test.sh
 * runs the tests): loopback plus whatever `setup` adds, so nothing can leave it and fixed
 * ports clash with nothing on the host. A benchmark calls `enterNetns` first thing: outside
 * a namespace it re-executes itself in one (root) and exits with that run's code; inside
 * (`ITDA_BENCH_NETNS=1`) it returns. Without the rights to make one, the benchmark runs on
 * the host after `warning`.
 */
import { spawnSync } from 'node:child_process';

export interface NetnsOptions {
  /** The script to run again inside (its `fileURLToPath(import.meta.url)`); its arguments are passed on. */
  self: string;
  /** Shell commands run first inside the namespace, e.g. `ip link set lo up`. */
  setup: string;
  /** Printed when no namespace can be made and the benchmark runs on the host. */
  warning: string;
  log: (line: string) => void;
}

/** True inside the namespace (the re-executed run). */
export function inNetns(): boolean {
  return process.env.ITDA_BENCH_NETNS === '1';
}

/** Returns inside the namespace; outside, runs the benchmark in one and exits with its code. */
export function enterNetns(o: NetnsOptions): void {
  if (inNetns()) return;
  const inner = [process.execPath, o.self, ...process.argv.slice(2)];
  const env = { ...process.env, ITDA_BENCH_NETNS: '1' };
  const probe = spawnSync('unshare', ['--net', 'true']);
  let result: ReturnType<typeof spawnSync>;
  if (probe.status === 0) {
    result = spawnSync('unshare', ['--net', '--', 'bash', '-c', `${o.setup} && exec "$@"`, '_', ...inner], {
      stdio: 'inherit',
      env,
    });
  } else {
    o.log(o.warning);
    result = spawnSync(inner[0] as string, inner.slice(1), { stdio: 'inherit', env });
  }
  process.exit(result.status ?? 1);
}
