/**
 * A small WebSocket client for integration tests of the signaling server: queues what
 * the server sends and waits for messages by type, with a bounded wait.
 */
import type { ServerMessage } from '@itda/protocol';
import { WebSocket } from 'ws';

export interface TestClientOptions {
  /** Longest wait in `next`/`closed`, ms. Default 3000. */
  timeoutMs?: number;
  /** wss://: the certificate (PEM) to trust, e.g. the server's self-signed one. */
  ca?: string;
}

type Waiter = { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void };

export class TestClient {
  readonly ws: WebSocket;
  /** Messages received and not yet taken by `next`. */
  readonly inbox: ServerMessage[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #timeoutMs: number;
  readonly #closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket, options: TestClientOptions) {
    this.ws = ws;
    this.#timeoutMs = options.timeoutMs ?? 3000;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      const i = this.#waiters.findIndex((w) => w.match(message));
      const waiter = i >= 0 ? this.#waiters.splice(i, 1)[0] : undefined;
      if (waiter !== undefined) waiter.resolve(message);
      else this.inbox.push(message);
    });
    this.#closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
    });
  }

  /** Connects to `url` (a ws:// or wss:// URL on loopback). */
  static connect(url: string, options: TestClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options.ca === undefined ? {} : { ca: options.ca });
      const client = new TestClient(ws, options);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  /** Sends a message object as JSON, or a raw string/buffer as it is. */
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  /** The next message of `type` (earlier messages of other types stay in the inbox). */
  next<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    return this.nextOf([type]);
  }

  /** The next message of any of `types`. Rejects after the timeout. */
  nextOf<T extends ServerMessage['type']>(types: readonly T[]): Promise<Extract<ServerMessage, { type: T }>> {
    const match = (m: ServerMessage): boolean => (types as readonly string[]).includes(m.type);
    const i = this.inbox.findIndex(match);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ServerMessage, { type: T }>);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        const inbox = JSON.stringify(this.inbox).slice(0, 500);
        reject(new Error(`no ${types.join('/')} within ${this.#timeoutMs} ms; inbox: ${inbox}`));
      }, this.#timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Resolves true if no message of `type` arrives within `ms` (for "nothing happened" checks). */
  async quiet(type: ServerMessage['type'], ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return !this.inbox.some((m) => m.type === type);
  }

  /** Sends `join` and waits for `joined` (or throws with the error the server sent). */
  async join(
    room: string,
    name: string,
    extra: Record<string, unknown> = {},
  ): Promise<Extract<ServerMessage, { type: 'joined' }>> {
    this.send({ type: 'join', v: 1, room, name, ...extra });
    const reply = await this.nextOf(['joined', 'error']);
    if (reply.type === 'error') throw new Error(`join refused: ${reply.code}`);
    return reply;
  }

  /** Resolves when the socket has closed, with the close code and reason. */
  closed(): Promise<{ code: number; reason: string }> {
    return this.#closed;
  }

  /** Closes (if open) and waits for the close. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.#closed;
  }
}
