/**
 * A network lab of named namespaces for one test: namespaces joined by veth pairs, with
 * addresses, routes and iptables rules the test picks, and processes run inside them
 * (`ip netns exec`). Nothing is added to the namespace the test itself runs in: every
 * link ends in namespaces of the lab, and `close()` — also after a failure — kills the
 * lab's processes and deletes its namespaces, which takes their veths, routes and rules
 * with them.
 *
 * Names carry the process id, so two labs (or a lab left by a killed run) never collide;
 * interface names stay within Linux's 15 characters. Ctrl-C (SIGINT), SIGTERM, SIGHUP and
 * the process exiting without `close()` also delete the lab's namespaces (synchronously),
 * then the signal does what it would have done.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why a lab cannot be built here (not root, `ip` or `iptables` missing), or undefined. */
export function netLabUnavailable(needs: readonly string[] = ['ip']): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) for network namespaces';
  for (const tool of needs) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0)
      return `needs ${tool} (scripts/test.sh installs it)`;
  }
  return undefined;
}

/** One end of a link: the namespace (a name given to `ns`), its interface name and address. */
export interface LinkEnd {
  ns: string;
  /** Interface name, ≤ 15 characters with the lab's prefix (keep it ≤ 6). */
  name: string;
  /** `address/prefix`, e.g. 10.213.1.1/24. */
  cidr: string;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export class NetLab {
  /** Short and unique per process: `it<pid>`. */
  readonly prefix = `it${process.pid % 100_000}`;
  readonly #namespaces: string[] = [];
  readonly #children = new Set<ChildProcess>();
  #guarded = false;

  /** Deletes what is left, now: for a signal or an exit that comes before `close()`. */
  readonly #cleanUpNow = (): void => {
    for (const child of this.#children) child.kill('SIGKILL');
    for (const full of this.#namespaces.splice(0)) spawnSync('ip', ['netns', 'del', full], { stdio: 'ignore' });
  };

  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.#cleanUpNow();
    this.#unguard();
    // Nothing else listening: the signal's default action (end the process) as if we had not been here.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  #guard(): void {
    if (this.#guarded) return;
    this.#guarded = true;
    for (const signal of SIGNALS) process.on(signal, this.#onSignal);
    process.on('exit', this.#cleanUpNow);
  }

  #unguard(): void {
    if (!this.#guarded) return;
    this.#guarded = false;
    for (const signal of SIGNALS) process.off(signal, this.#onSignal);
    process.off('exit', this.#cleanUpNow);
  }

  /** The full name of lab namespace `name`. */
  nsName(name: string): string {
    return `${this.prefix}-${name}`;
  }

  /** Creates namespace `name` with loopback up. */
  async ns(name: string): Promise<void> {
    const full = this.nsName(name);
    // A namespace of the same name left by a run of an earlier process with this pid.
    await run('ip', ['netns', 'del', full]).catch(() => {});
    this.#guard();
    await run('ip', ['netns', 'add', full]);
    this.#namespaces.push(full);
    await this.exec(name, 'ip', 'link', 'set', 'lo', 'up');
  }

  /** Runs a command inside namespace `name`; rejects with its stderr when it fails. */
  async exec(name: string, ...argv: string[]): Promise<string> {
    try {
      const { stdout } = await run('ip', ['netns', 'exec', this.nsName(name), ...argv], { timeout: 30_000 });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`in ${name}: ${argv.join(' ')}: ${e.stderr?.trim() || e.message}`);
    }
  }

  /** A veth pair between two namespaces of the lab, both ends up with their addresses. */
  async link(a: LinkEnd, b: LinkEnd): Promise<void> {
    const ifA = `${this.prefix}${a.name}`;
    const ifB = `${this.prefix}${b.name}`;
    await run('ip', [
      'link',
      'add',
      ifA,
      'netns',
      this.nsName(a.ns),
      'type',
      'veth',
      'peer',
      'name',
      ifB,
      'netns',
      this.nsName(b.ns),
    ]);
    for (const [end, ifName] of [
      [a, ifA],
      [b, ifB],
    ] as const) {
      await this.exec(end.ns, 'ip', 'addr', 'add', end.cidr, 'dev', ifName);
      await this.exec(end.ns, 'ip', 'link', 'set', ifName, 'up');
    }
  }

  /** The interface name of a link end inside its namespace (for iptables `-o`, `ip addr … dev`). */
  ifName(end: string): string {
    return `${this.prefix}${end}`;
  }

  /** Makes namespace `name` a router (IPv4 forwarding on). */
  async router(name: string): Promise<void> {
    await this.exec(name, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  }

  /**
   * Starts `argv` inside namespace `name`; it is killed by `close()` if still running.
   * stdout and stderr are piped.
   */
  spawn(name: string, argv: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.nsName(name), ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** Kills the lab's processes and deletes its namespaces (their links, routes and rules go with them). Never rejects. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.#children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    for (const full of this.#namespaces.splice(0)) await run('ip', ['netns', 'del', full]).catch(() => {});
    this.#unguard();
  }
}

/**
 * The first line a child prints that parses as a JSON object `match` accepts, or a
 * rejection when it exits first or `ms` pass (a bound for a broken run, not a timing
 * assertion).
 */
export function jsonLine<T extends Record<string, unknown>>(
  child: ChildProcess,
  match: (line: Record<string, unknown>) => boolean,
  ms = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => finish(new Error(`no such line within ${ms} ms; stderr: ${err.slice(-2000)}`)), ms);
    const finish = (e: Error | undefined, value?: T): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onOut);
      child.off('close', onExit);
      if (e !== undefined) reject(e);
      else resolve(value as T);
    };
    const onOut = (d: Buffer): void => {
      out += d.toString();
      for (;;) {
        const nl = out.indexOf('\n');
        if (nl < 0) return;
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue; // not JSON
        }
        if (typeof parsed === 'object' && parsed !== null && match(parsed as Record<string, unknown>)) {
          finish(undefined, parsed as T);
          return;
        }
      }
    };
    const onExit = (code: number | null): void =>
      finish(new Error(`exited (${code}) before the line; stdout: ${out.slice(-1000)} stderr: ${err.slice(-2000)}`));
    child.stdout?.on('data', onOut);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    // 'close', not 'exit': stdout may still hold the line when the process has exited.
    child.once('close', onExit);
  });
}
