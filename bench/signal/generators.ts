/**
 * The driver's side of the load generators: forks them, splits the participants
 * (whole rooms per generator), sends commands and gathers their reports, printing
 * progress while they run. Every wait is bounded.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, ConnectedReport, ProgressReport, RelayedReport, Report } from './ipc.ts';

const LOADGEN = fileURLToPath(new URL('./loadgen.ts', import.meta.url));

export interface Generator {
  child: ChildProcess;
  pid: number;
  /** Rooms of this generator's participants, in order. */
  rooms: string[];
  progress: ProgressReport | undefined;
}

/**
 * Forks `count` generators and gives each whole rooms: participant `i` of the run is in
 * room `<prefix>-<⌊i / roomSize⌋>`.
 */
export function forkGenerators(count: number, connections: number, roomSize: number, prefix: string): Generator[] {
  const roomCount = Math.ceil(connections / roomSize);
  const gens: Generator[] = [];
  let room = 0;
  for (let g = 0; g < count; g++) {
    const roomsHere = Math.floor(roomCount / count) + (g < roomCount % count ? 1 : 0);
    const rooms: string[] = [];
    for (let r = room; r < room + roomsHere; r++) {
      for (let k = 0; k < roomSize && r * roomSize + k < connections; k++) rooms.push(`${prefix}-${r}`);
    }
    room += roomsHere;
    const child = fork(LOADGEN, [], {
      execPath: process.execPath,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    if (child.pid === undefined) throw new Error('could not fork a load generator');
    const gen: Generator = { child, pid: child.pid, rooms, progress: undefined };
    child.on('message', (r: Report) => {
      if (r.ev === 'progress') gen.progress = r;
    });
    gens.push(gen);
  }
  return gens;
}

/** Sends `cmd` to `gen` and resolves with its next report of kind `ev`; rejects on `failed`, exit or timeout. */
export function request<E extends Report['ev']>(
  gen: Generator,
  cmd: Command,
  ev: E,
  timeoutMs: number,
): Promise<Extract<Report, { ev: E }>> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      gen.child.off('message', onMessage);
      gen.child.off('exit', onExit);
    };
    const onMessage = (r: Report): void => {
      if (r.ev === ev) {
        cleanup();
        resolve(r as Extract<Report, { ev: E }>);
      } else if (r.ev === 'failed') {
        cleanup();
        reject(new Error(`load generator ${gen.pid}: ${r.message}`));
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`load generator ${gen.pid} exited (${code}) during ${cmd.cmd}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`load generator ${gen.pid}: no ${ev} within ${timeoutMs} ms`));
    }, timeoutMs);
    gen.child.on('message', onMessage);
    gen.child.on('exit', onExit);
    gen.child.send(cmd);
  });
}

/** Prints one progress line per second (summed over generators) until stopped. */
export function printProgress(label: string, gens: readonly Generator[]): () => void {
  for (const g of gens) g.progress = undefined;
  const timer = setInterval(() => {
    const reports = gens.map((g) => g.progress).filter((p): p is ProgressReport => p !== undefined);
    if (reports.length === 0) return;
    const done = reports.reduce((a, p) => a + p.done, 0);
    const total = reports.reduce((a, p) => a + p.total, 0);
    process.stdout.write(
      `  ${label}: ${reports[0]?.what} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}\n`,
    );
  }, 1000);
  return () => clearInterval(timer);
}

/** Closes every generator's sockets, then ends it; kills it if it does not exit in time. */
export async function closeGenerators(gens: readonly Generator[]): Promise<void> {
  await Promise.all(
    gens.map(async (g) => {
      if (g.child.exitCode !== null) return;
      await request(g, { cmd: 'close' }, 'closed', 15_000).catch(() => {});
      const exited = new Promise<void>((resolve) => g.child.once('exit', () => resolve()));
      g.child.disconnect();
      const timer = setTimeout(() => g.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

export type { ConnectedReport, RelayedReport };
