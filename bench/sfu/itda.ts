/**
 * itda as an `SfuTarget` — NOT WIRED YET: `start()` throws while `WIRED` is false, i.e. until
 * the SFU serves WHIP/WHEP. Everything else is written:
 * - start(): itda-server.ts in its own process (so `pid` is the SFU's process alone):
 *   `startServer({ host: '127.0.0.1', port: 0, logLevel: 'warn', sfu: true, rtcTcp: false })`
 *   — with `port: 0` the SFU's UDP port is ephemeral too; its ICE candidate is 127.0.0.1,
 *   where the generators bind (`clientAddress`);
 * - publish(offer): `POST {url}/whip/bench` (application/sdp) → 201, `Location`, the answer;
 *   `ref` = the last path segment of `Location` (ASSUMED to be the publisher's participant
 *   id — adjust `publisherRef()` to whatever WHIP returns); close = `DELETE {Location}`;
 * - subscribe(ref, peer): the generator's offer (recvonly VP8 mid 0 + Opus mid 1), `POST
 *   {url}/whep/bench?participant={ref}` → 201 + answer; close = `DELETE {Location}`.
 * To wire: set `WIRED = true`, check the paths, the room name and `publisherRef()`.
 *
 * bench/abuse uses the same target with `ItdaTargetExtra`: its own room, TURN and ICE-TCP
 * on, and the server's log counted (`logCounts()`, see itda-server.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { stop } from '../../e2e/interop/coturn.ts';
import { ITDA_NODE_FLAGS } from '../../packages/server/src/config/node-flags.ts';
import type { Published, SdpPeer, SfuTarget, Subscribed } from './target.ts';

export const ITDA_NOT_WIRED = 'itda SFU target not wired yet';
/** Flip when `POST /whip/<room>` and `POST /whep/<room>` exist. */
const WIRED = true;
const ROOM = 'bench';

/** More of the server than bench/sfu asks for. */
export interface ItdaTargetExtra {
  /** The room publishers and subscribers join. Default `bench`. */
  room?: string;
  /** StartServerOptions merged over the bench's own (e.g. `turn: true`, `rtcTcp: true`, `logLevel`). */
  server?: Record<string, unknown>;
  /** Count the server's log records (itda-server.ts `BENCH_ITDA_LOG=count`), read with `logCounts()`. */
  countLog?: boolean;
}

/** What the server logged so far (itda-server.ts). */
export interface LogCounts {
  lines: number;
  bytes: number;
  byLevel: Record<string, number>;
  /** `level name: msg` → records. */
  byMessage: Record<string, number>;
}
const RUNNER = fileURLToPath(new URL('./itda-server.ts', import.meta.url));

/** The publisher's participant id from a WHIP resource URL (assumed: its last path segment). */
function publisherRef(location: string): string {
  return new URL(location).pathname.split('/').at(-1) ?? '';
}

/** POSTs an SDP offer (WHIP, RFC 9725; WHEP, draft-ietf-wish-whep: the same exchange) → the answer and the resource URL. */
export async function postSdp(url: string, offer: string): Promise<{ answer: string; location: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: offer,
    signal: AbortSignal.timeout(20_000),
  });
  if (res.status !== 201) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  const location = new URL(res.headers.get('location') ?? '', url).toString();
  return { answer: await res.text(), location };
}

/** DELETEs a WHIP/WHEP resource: the session ends (RFC 9725). */
export async function deleteResource(location: string): Promise<void> {
  await fetch(location, { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
}

export class ItdaTarget implements SfuTarget {
  readonly name: string;
  readonly clientAddress = '127.0.0.1';
  readonly notes: string;
  readonly #mediaWorkers: number | undefined;
  #child: ChildProcess | undefined;
  #url = '';
  readonly #host: string;
  readonly #extra: ItdaTargetExtra;
  /** Waiting for the runner's next `{"log":…}` line. */
  #logWaiters: ((counts: LogCounts) => void)[] = [];

  /**
   * `mediaWorkers`: itda's `--media-workers`; undefined: its default (0 on ≤ 2 CPUs, else CPUs − 1, at most 8).
   * `host`: its bind address, 127.0.0.1 or the wildcard 0.0.0.0 (still announcing 127.0.0.1).
   */
  constructor(mediaWorkers?: number, name = 'itda', host = '127.0.0.1', extra: ItdaTargetExtra = {}) {
    this.name = name;
    this.#host = host;
    this.#extra = extra;
    this.#mediaWorkers = mediaWorkers;
    const workers = mediaWorkers === undefined ? 'default media workers' : `${mediaWorkers} media workers`;
    this.notes = `itda SFU in one Node process (node ${process.version}, ${workers}), WHIP/WHEP on 127.0.0.1`;
  }

  get pid(): number {
    return this.#child?.pid ?? 0;
  }

  /** `http://127.0.0.1:PORT` once started. */
  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    if (!WIRED) throw new Error(ITDA_NOT_WIRED);
    const options = {
      host: this.#host,
      ...(this.#host === '127.0.0.1' ? {} : { rtcAnnounce: ['127.0.0.1'] }),
      port: 0,
      logLevel: 'warn',
      sfu: true,
      rtcTcp: false,
      sfuRoomCapacity: 1000,
      ...(this.#mediaWorkers === undefined ? {} : { mediaWorkers: this.#mediaWorkers }),
      ...this.#extra.server,
    };
    // BENCH_SFU_CPU_PROF=<dir>: a V8 CPU profile of the itda process (written when it stops).
    const prof = process.env.BENCH_SFU_CPU_PROF;
    // The runtime flags `itda` itself runs with (packages/server/bin/itda.js, `npm start`).
    const execArgs = [...ITDA_NODE_FLAGS];
    if (prof !== undefined && prof !== '') execArgs.push('--cpu-prof', `--cpu-prof-dir=${prof}`);
    // BENCH_SFU_NODE_ARGS: more runtime flags for the itda process (e.g. --trace-gc), space-separated.
    execArgs.push(...(process.env.BENCH_SFU_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''));
    const child = spawn(process.execPath, [...execArgs, RUNNER, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: this.#extra.countLog === true ? { ...process.env, BENCH_ITDA_LOG: 'count' } : process.env,
    });
    this.#child = child;
    this.#url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('itda runner: no ready line within 15 s')), 15_000);
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        try {
          const msg = JSON.parse(line) as { ready?: boolean; url?: string; log?: LogCounts };
          if (msg.ready === true && msg.url !== undefined) {
            clearTimeout(timer);
            resolve(msg.url);
          }
          if (msg.log !== undefined) {
            const log = msg.log;
            for (const w of this.#logWaiters.splice(0)) w(log);
          }
        } catch {
          // Not the ready line: runtime output such as --trace-gc from BENCH_SFU_NODE_ARGS.
          if (process.env.BENCH_SFU_NODE_ARGS) appendFileSync('/tmp/itda-bench-stdout.log', `${line}\n`);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`itda runner exited with ${code}`));
      });
    });
  }

  /**
   * The server's log counts so far (`countLog`), or undefined when it does not answer within
   * `timeoutMs` (its event loop is busy) or does not count.
   */
  async logCounts(timeoutMs = 2000): Promise<LogCounts | undefined> {
    const child = this.#child;
    if (child === undefined || this.#extra.countLog !== true || child.exitCode !== null) return undefined;
    return await new Promise<LogCounts | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#logWaiters = this.#logWaiters.filter((w) => w !== done);
        resolve(undefined);
      }, timeoutMs);
      const done = (counts: LogCounts): void => {
        clearTimeout(timer);
        resolve(counts);
      };
      this.#logWaiters.push(done);
      child.kill('SIGUSR2');
    });
  }

  async publish(offerSdp: string): Promise<{ answer: string; published: Published }> {
    const { answer, location } = await postSdp(`${this.#url}/whip/${this.#extra.room ?? ROOM}`, offerSdp);
    return { answer, published: { ref: publisherRef(location), close: () => deleteResource(location) } };
  }

  async subscribe(publisherRef: string, peer: SdpPeer): Promise<Subscribed> {
    const offer = await peer.offer();
    const { answer, location } = await postSdp(
      `${this.#url}/whep/${this.#extra.room ?? ROOM}?participant=${encodeURIComponent(publisherRef)}`,
      offer,
    );
    await peer.accept(answer);
    return { close: () => deleteResource(location) };
  }

  async stop(): Promise<void> {
    if (this.#child !== undefined) await stop(this.#child, 10_000);
    this.#child = undefined;
  }
}
