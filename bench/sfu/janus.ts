/**
 * Janus (Debian `janus`, VideoRoom plugin) as an `SfuTarget`: a generated minimal config
 * directory (only libjanus_videoroom.so and the HTTP transport on 127.0.0.1, no STUN, no
 * event handlers, no loggers, warnings-only log), started as a child of the benchmark (so
 * inside its network namespace), driven through the Janus HTTP API with plain fetch.
 *
 * Fairness: `ice_lite = true` like itda's SFU (no connectivity checks from the server),
 * ICE gathering enforced to JANUS_ADDRESS (see below: Janus skips loopback interfaces),
 * default NACK queue and TWCC period; threads: `event_loops` static loops shared by all
 * handles (run.ts passes one per core — Janus's own tuning for many peers, about twice as
 * cheap per packet as its shipped default 0, a loop thread per handle). All Janus threads
 * count: CPU is utime + stime of its pid.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stop } from '../../e2e/interop/coturn.ts';
import { JanusApi } from './janus-api.ts';
import type { Published, SdpPeer, SfuTarget, Subscribed } from './target.ts';

const JANUS = '/usr/bin/janus';
/**
 * The veth end run.ts creates in the bench's namespace and its one address, for Janus's ICE.
 * Janus gathers no candidates on loopback interfaces (src/ice.c skips IFF_LOOPBACK), and its
 * libnice pins each socket to its interface (IP_UNICAST_IF), so a 127/8 address on the veth
 * fails (EINVAL: loopback source on a non-loopback device) and so does any peer on another
 * address. Hence one address from the benchmarking range (198.18.0.0/15, RFC 2544 / RFC 6890)
 * that Janus and the load generators both bind: the kernel delivers it locally (through lo),
 * and the namespace has no uplink, so nothing can leave it.
 */
export const JANUS_LINK = 'janusbench0';
export const JANUS_ADDRESS = '198.18.0.1';
const ROOM = 1234;

/** Installs Debian's `janus` when /usr/bin/janus is missing (root only; needs the network, so call it outside the namespace). */
export function ensureJanusInstalled(log: (line: string) => void): void {
  if (existsSync(JANUS)) return;
  if (process.getuid?.() !== 0) throw new Error('janus is not installed and this is not root: apt-get install janus');
  log('installing Debian janus (apt-get install -y janus)…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', 'janus'], {
    stdio: 'inherit',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** The directory holding Janus's plugins/, transports/, … (Debian: /usr/lib/<triplet>/janus). */
function janusLibDir(): string {
  for (const base of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    const dir = join(base, 'janus');
    if (existsSync(join(dir, 'plugins'))) return dir;
  }
  throw new Error('janus plugin directory not found under /usr/lib');
}

/** Every `.so` in `dir` except `keep`, comma-separated (Janus's `disable = "…"` lists). */
function disableAllBut(dir: string, keep: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.so') && f !== keep)
    .join(',');
}

function writeConfig(dir: string, httpPort: number, rtpPorts: string, eventLoops: number): void {
  const lib = janusLibDir();
  writeFileSync(
    join(dir, 'janus.jcfg'),
    `general: {
  configs_folder = "${dir}"
  plugins_folder = "${lib}/plugins"
  transports_folder = "${lib}/transports"
  events_folder = "${lib}/events"
  loggers_folder = "${lib}/loggers"
  debug_level = ${process.env.BENCH_SFU_DEBUG === '1' ? 6 : 3}
  session_timeout = 60
  server_name = "itda-bench"
  event_loops = ${eventLoops}
}
certificates: {
}
media: {
  rtp_port_range = "${rtpPorts}"
}
nat: {
  nice_debug = ${process.env.BENCH_SFU_DEBUG === '1'}
  ice_lite = true
  ice_enforce_list = "${JANUS_ADDRESS}"
  ignore_mdns = true
}
plugins: {
  disable = "${disableAllBut(join(lib, 'plugins'), 'libjanus_videoroom.so')}"
}
transports: {
  disable = "${disableAllBut(join(lib, 'transports'), 'libjanus_http.so')}"
}
loggers: {
  disable = "${disableAllBut(join(lib, 'loggers'), '')}"
}
events: {
  broadcast = false
}
`,
  );
  writeFileSync(
    join(dir, 'janus.transport.http.jcfg'),
    `general: {
  json = "compact"
  base_path = "/janus"
  http = true
  port = ${httpPort}
  ip = "127.0.0.1"
  https = false
}
admin: {
  admin_http = false
  admin_https = false
}
`,
  );
  writeFileSync(join(dir, 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
}

/** Janus VideoRoom as a benchmark target. `httpPort` and the RTP port range are inside the bench's own namespace. */
export class JanusTarget implements SfuTarget {
  readonly name = 'janus' as const;
  readonly clientAddress = JANUS_ADDRESS;
  readonly #httpPort: number;
  readonly #eventLoops: number;
  #child: ChildProcess | undefined;
  #dir = '';
  #api: JanusApi | undefined;
  #tail: string[] = [];
  #version = '';

  /**
   * @param eventLoops Janus's `event_loops`: 0 (Janus's default) gives every handle its own
   *   loop thread; N > 0 shares N static loops among all handles (Janus's tuning for many peers).
   */
  constructor(eventLoops = 0, httpPort = 18_088) {
    this.#eventLoops = eventLoops;
    this.#httpPort = httpPort;
  }

  get pid(): number {
    return this.#child?.pid ?? 0;
  }

  get notes(): string {
    return `Janus ${this.#version} VideoRoom, ice_lite, HTTP API on 127.0.0.1:${this.#httpPort}, ${this.#eventLoops === 0 ? 'default threads (one event loop per handle)' : `${this.#eventLoops} static event loops`}, log level 3`;
  }

  async start(): Promise<void> {
    // `janus --help` prints the version first (and exits 0; there is no --version).
    this.#version = execFileSync(JANUS, ['--help'], { encoding: 'utf8' }).match(/\(([\d.]+)\)/)?.[1] ?? '?';
    this.#dir = mkdtempSync(join(tmpdir(), 'itda-bench-janus-'));
    writeConfig(this.#dir, this.#httpPort, '20000-40000', this.#eventLoops);
    const child = spawn(
      JANUS,
      [
        '-C',
        join(this.#dir, 'janus.jcfg'),
        '-F',
        this.#dir,
        '-o',
        ...(process.env.BENCH_SFU_DEBUG === '1' ? ['-L', '/tmp/janus-bench.log'] : []),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.#child = child;
    const keep = (chunk: Buffer): void => {
      this.#tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.#tail.length > 40) this.#tail.splice(0, this.#tail.length - 40);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const base = `http://127.0.0.1:${this.#httpPort}/janus`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`janus exited with ${child.exitCode}:\n${this.#tail.join('\n')}`);
      try {
        const res = await fetch(`${base}/info`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`janus: no HTTP API within 20 s:\n${this.#tail.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    this.#api = new JanusApi(base);
    await this.#api.open();
    const admin = await this.#api.attach();
    await this.#api.request(admin, {
      request: 'create',
      room: ROOM,
      publishers: 1000,
      bitrate: 0,
      fir_freq: 0,
      audiocodec: 'opus',
      videocodec: 'vp8',
      notify_joining: false,
      permanent: false,
    });
  }

  /** Janus's last log lines (warnings and errors), for a failure report. */
  logTail(): string {
    return this.#tail.join('\n');
  }

  #apiOrThrow(): JanusApi {
    if (this.#api === undefined) throw new Error('janus target not started');
    return this.#api;
  }

  async publish(offerSdp: string): Promise<{ answer: string; published: Published }> {
    const api = this.#apiOrThrow();
    const handle = await api.attach();
    const ev = await api.message(
      handle,
      { request: 'joinandconfigure', ptype: 'publisher', room: ROOM, audio: true, video: true },
      { type: 'offer', sdp: offerSdp },
    );
    await api.trickleDone(handle);
    const id = ev.plugindata?.data.id;
    if (ev.jsep?.type !== 'answer' || typeof id !== 'number') throw new Error('janus publish: no answer or id');
    return { answer: ev.jsep.sdp, published: { ref: String(id), close: () => api.detach(handle) } };
  }

  async subscribe(publisherRef: string, peer: SdpPeer): Promise<Subscribed> {
    const api = this.#apiOrThrow();
    const handle = await api.attach();
    const ev = await api.message(handle, {
      request: 'join',
      ptype: 'subscriber',
      room: ROOM,
      streams: [{ feed: Number(publisherRef) }],
    });
    if (ev.jsep?.type !== 'offer') throw new Error('janus subscribe: no offer');
    const answer = await peer.answer(ev.jsep.sdp);
    await api.message(handle, { request: 'start' }, { type: 'answer', sdp: answer });
    await api.trickleDone(handle);
    return { close: () => api.detach(handle) };
  }

  async stop(): Promise<void> {
    await this.#api?.close();
    this.#api = undefined;
    if (this.#child !== undefined) await stop(this.#child, 10_000);
    this.#child = undefined;
    if (this.#dir !== '') rmSync(this.#dir, { recursive: true, force: true });
  }
}
