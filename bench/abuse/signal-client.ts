/**
 * A bare signaling client for the attacks (docs/signaling.md): one WebSocket, `join`, raw
 * sends, and counts of what came back — messages by type, `error` by code, how the socket
 * closed. Large frames (relayed `data`) are counted by a peek at their start, not parsed,
 * so that receiving 30 MiB costs the attacker little. Every wait is bounded.
 */
import type { JoinedMessage } from '@itda/protocol';
import WebSocket from 'ws';

/** TURN credentials from `joined.iceServers` (the server's REST credentials for this participant). */
export interface TurnCredentials {
  username: string;
  password: string;
}

export class SignalClient {
  readonly ws: WebSocket;
  joined: JoinedMessage | undefined;
  /** Messages received, by type (`data` frames counted without parsing). */
  readonly received = new Map<string, number>();
  /** `error` messages received, by code. */
  readonly errors = new Map<string, number>();
  /** Payload bytes received. */
  bytesIn = 0;
  /** How the socket closed (1006: cut without a close frame); undefined while open. */
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  #waiters: { type: string; resolve: (msg: Record<string, unknown>) => void }[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      });
    });
    ws.on('error', () => {}); // a refused or cut socket: `close` follows
    ws.on('message', (data: Buffer, isBinary) => this.#onMessage(data, isBinary));
  }

  /** Opens the socket (from `localAddress` if given); rejects on error or after `timeoutMs`. */
  static connect(wsUrl: string, timeoutMs = 5000, localAddress?: string): Promise<SignalClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, {
        handshakeTimeout: timeoutMs,
        ...(localAddress === undefined ? {} : { localAddress }),
      });
      const client = new SignalClient(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`WebSocket not open within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Connects and joins `room`: resolves with `joined`, rejects with the `error` code or on timeout. */
  static async join(
    wsUrl: string,
    room: string,
    name: string,
    timeoutMs = 5000,
    localAddress?: string,
  ): Promise<SignalClient> {
    const deadline = Date.now() + timeoutMs;
    const client = await SignalClient.connect(wsUrl, timeoutMs, localAddress);
    try {
      client.send({ type: 'join', v: 1, room, name });
      const msg = await Promise.race([
        client.next('joined', deadline - Date.now()),
        client.next('error', deadline - Date.now()).then((e) => {
          throw new Error(`join refused: ${String(e.code)}`);
        }),
      ]);
      client.joined = msg as unknown as JoinedMessage;
      return client;
    } catch (err) {
      client.terminate();
      throw err;
    }
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(msg: object): void {
    if (this.open) this.ws.send(JSON.stringify(msg));
  }

  /** The next message of `type` (parsed); rejects after `timeoutMs` or when the socket closes. */
  next(type: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new Error(`no ${type} within ${timeoutMs} ms`));
        },
        Math.max(0, timeoutMs),
      );
      const waiter = {
        type,
        resolve: (msg: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(msg);
        },
      };
      this.#waiters.push(waiter);
      void this.closed.then((code) => {
        clearTimeout(timer);
        reject(new Error(`socket closed (${code}) before ${type}`));
      });
    });
  }

  /** The TURN credentials of `joined`, if the server handed any. */
  turnCredentials(): TurnCredentials | undefined {
    for (const s of this.joined?.iceServers ?? []) {
      if (s.username !== undefined && s.credential !== undefined)
        return { username: s.username, password: s.credential };
    }
    return undefined;
  }

  /** Sends `leave` (the server closes with 1000) and waits for the close, at most `timeoutMs`. */
  async leave(timeoutMs = 2000): Promise<void> {
    this.send({ type: 'leave' });
    const timer = setTimeout(() => this.terminate(), timeoutMs);
    await this.closed;
    clearTimeout(timer);
  }

  terminate(): void {
    this.ws.terminate();
  }

  #count(type: string): void {
    this.received.set(type, (this.received.get(type) ?? 0) + 1);
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    this.bytesIn += data.length;
    if (isBinary) {
      this.#count('(binary)');
      return;
    }
    // A relayed `data` frame is 48 KiB: count it by its start (the server writes `type` first).
    if (data.length > 4096 && data.toString('latin1', 0, 24).includes('"type":"data"')) {
      this.#count('data');
      return;
    }
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    } catch {
      this.#count('(not json)');
      return;
    }
    const type = typeof msg.type === 'string' ? msg.type : '(no type)';
    this.#count(type);
    if (type === 'error') {
      const code = typeof msg.code === 'string' ? msg.code : '(no code)';
      this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    }
    const waiting = this.#waiters.filter((w) => w.type === type);
    this.#waiters = this.#waiters.filter((w) => w.type !== type);
    for (const w of waiting) w.resolve(msg);
  }
}

/** `Map` → plain object, for reports and JSON. */
export function counts(map: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...map.entries()].sort((a, b) => b[1] - a[1]));
}
