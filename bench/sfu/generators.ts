/**
 * The benchmark's side of the load generator processes (loadgen.ts): fork them, ask them
 * things (request/answer by `req` over IPC, each with a deadline), and an `SdpPeer` per
 * generated PeerConnection for the targets' signalling.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Answer, Command, RunReport } from './ipc.ts';
import type { SdpPeer } from './target.ts';

type Request = Command extends infer C ? (C extends Command ? Omit<C, 'req'> : never) : never;

export class Generator {
  readonly child: ChildProcess;
  #req = 0;
  readonly #waiting = new Map<number, { resolve(a: Answer): void; timer: ReturnType<typeof setTimeout> }>();

  constructor() {
    this.child = fork(fileURLToPath(new URL('./loadgen.ts', import.meta.url)), [], {
      execPath: process.execPath,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (a: Answer) => {
      const w = this.#waiting.get(a.req);
      if (w === undefined) return;
      this.#waiting.delete(a.req);
      clearTimeout(w.timer);
      w.resolve(a);
    });
    // A send racing the child's exit: the answer is an error from the exit handler below.
    this.child.on('error', () => {});
    this.child.on('exit', (code) => {
      for (const [req, w] of this.#waiting) {
        clearTimeout(w.timer);
        w.resolve({ req, ok: false, error: `load generator exited (${code})` });
      }
      this.#waiting.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  async ask(request: Request, timeoutMs = 30_000): Promise<{ sdp?: string; report?: RunReport }> {
    this.#req += 1;
    const req = this.#req;
    const answer = await new Promise<Answer>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(req);
        resolve({ req, ok: false, error: `${request.cmd}: no answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.#waiting.set(req, { resolve, timer });
      if (!this.child.connected) {
        this.#waiting.delete(req);
        clearTimeout(timer);
        resolve({ req, ok: false, error: `${request.cmd}: the load generator is gone` });
        return;
      }
      this.child.send({ ...request, req } as Command);
    });
    if (!answer.ok) throw new Error(answer.error);
    return answer;
  }

  /** Ends the process (it closes its PeerConnections on disconnect); bounded by a SIGKILL after 5 s. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** An `SdpPeer` for PeerConnection `peer` living in `gen`. */
export function sdpPeer(gen: Generator, peer: number): SdpPeer {
  return {
    offer: async () => (await gen.ask({ cmd: 'peer-offer', peer })).sdp ?? '',
    answer: async (sdp) => (await gen.ask({ cmd: 'peer-answer', peer, sdp })).sdp ?? '',
    accept: async (sdp) => {
      await gen.ask({ cmd: 'peer-accept', peer, sdp });
    },
  };
}

/** Runs `fn` over `items` with at most `limit` at once (set-up of many PeerConnections). */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
