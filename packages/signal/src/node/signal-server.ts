/**
 * The `ws` adapter: WebSocket (RFC 6455) connections in, SignalCore events out.
 *
 * - Listens at `path` (default `/ws`) on an `http.Server` (`attach`) or takes upgrades
 *   routed to it (`handleUpgrade`).
 * - Hard frame limit `maxPayload` = 4 × `maxMessageBytes`: ws closes such a connection at
 *   once with 1009 (RFC 6455 §7.4.1). Between the two limits the core answers
 *   `message_too_large` and drops the message.
 * - Relayed `data` (droppable) is not queued on a connection that already has
 *   `maxBufferedDataBytes` waiting: it is dropped for that reader, counted (`data_dropped`)
 *   and logged at most once per `DROP_LOG_INTERVAL_MS` with a count. Everything else is
 *   queued; a connection whose send buffer grows past `maxBufferedBytes` (a reader that
 *   does not read) is cut, so one slow client cannot make the server hold unbounded
 *   memory — but `data` alone can no longer get it there.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Logger, silentLogger } from '@itda/common';
import { encodeMessage, type ServerMessage, SIGNAL_PATH } from '@itda/protocol';
import { WebSocket, WebSocketServer } from 'ws';
import type { SignalOutput } from '../context.ts';
import { SignalCore, type SignalCoreOptions } from '../core.ts';

export interface SignalServerOptions extends Omit<SignalCoreOptions, 'output'> {
  /** WebSocket path. Default `/ws` (`SIGNAL_PATH`). */
  path?: string;
  /** Outgoing bytes buffered for one connection before it is cut. Default 8 MiB. */
  maxBufferedBytes?: number;
  /**
   * Outgoing bytes buffered for one connection past which relayed `data` to it is dropped
   * instead of queued. Default 2 MiB (leaving 6 MiB of the default `maxBufferedBytes` for
   * signaling); 64 KiB up to `maxBufferedBytes`. Out of range: RangeError.
   */
  maxBufferedDataBytes?: number;
  /** How long `close()` waits for close handshakes before terminating sockets, ms. Default 1000. */
  closeTimeoutMs?: number;
}

/** At most one `data_dropped` log line this often, ms. */
export const DROP_LOG_INTERVAL_MS = 10_000;

export class SignalServer {
  readonly core: SignalCore;
  readonly path: string;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Map<string, WebSocket>();
  readonly #log: Logger;
  readonly #maxBuffered: number;
  readonly #maxBufferedData: number;
  #dropsUnlogged = 0;
  #lastDropLog = Number.NEGATIVE_INFINITY;
  readonly #closeTimeoutMs: number;
  readonly #attached: { server: Server; listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void }[] = [];
  #seq = 0;
  #closing: Promise<void> | undefined;

  constructor(options: SignalServerOptions = {}) {
    const {
      path = SIGNAL_PATH,
      maxBufferedBytes = 8 * 1024 * 1024,
      maxBufferedDataBytes = Math.min(2 * 1024 * 1024, maxBufferedBytes),
      closeTimeoutMs = 1000,
      ...coreOptions
    } = options;
    if (
      !Number.isInteger(maxBufferedDataBytes) ||
      maxBufferedDataBytes < 65_536 ||
      maxBufferedDataBytes > maxBufferedBytes
    ) {
      throw new RangeError(
        `maxBufferedDataBytes must be an integer from 65536 to maxBufferedBytes (${maxBufferedBytes}), got ${maxBufferedDataBytes}`,
      );
    }
    this.path = path;
    this.#log = (options.logger ?? silentLogger).child('ws');
    this.#maxBuffered = maxBufferedBytes;
    this.#maxBufferedData = maxBufferedDataBytes;
    this.#closeTimeoutMs = closeTimeoutMs;
    const output: SignalOutput = {
      send: (connId, message, droppable) => this.#send(connId, message, droppable === true),
      close: (connId, code, reason) => this.#sockets.get(connId)?.close(code, reason),
    };
    this.core = new SignalCore({ ...coreOptions, output });
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: 4 * this.core.config.maxMessageBytes,
      perMessageDeflate: false,
    });
  }

  /** Routes upgrades for `path` on `server` to this signaling server; other paths get 404. */
  attach(server: Server): void {
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (!this.handleUpgrade(req, socket, head)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    };
    server.on('upgrade', listener);
    this.#attached.push({ server, listener });
  }

  /** Takes an HTTP upgrade if it is for `path`; returns false (and does nothing) otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== this.path) return false;
    if (this.#closing !== undefined) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req));
    return true;
  }

  /**
   * Cuts a participant's socket abruptly, with no close frame — as a network failure
   * would (for tests). The participant enters the resume grace. False when it has no socket.
   */
  dropConnection(participantId: string): boolean {
    const connId = this.core.connectionOf(participantId);
    const ws = connId === null ? undefined : this.#sockets.get(connId);
    if (ws === undefined) return false;
    ws.terminate();
    return true;
  }

  /** Open WebSocket connections. */
  get connections(): number {
    return this.#sockets.size;
  }

  /**
   * Shuts down: every client gets `closed` (reason `server_shutdown`) and close 1001;
   * sockets still open after `closeTimeoutMs` are terminated. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const { server, listener } of this.#attached) server.off('upgrade', listener);
    this.core.shutdown();
    if (this.#sockets.size > 0) {
      const sockets = [...this.#sockets.values()];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.#closeTimeoutMs);
        let left = sockets.length;
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        for (const ws of sockets) {
          if (ws.readyState === WebSocket.CLOSED) left--;
          else ws.once('close', () => --left === 0 && done());
        }
        if (left === 0) done();
      });
      for (const ws of this.#sockets.values()) ws.terminate();
    }
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    const connId = `c${++this.#seq}`;
    this.#sockets.set(connId, ws);
    this.#log.debug('connection', { connId, remote: req.socket.remoteAddress });
    ws.on('message', (data, isBinary) => {
      // binaryType is the default 'nodebuffer': a Buffer, or Buffer[] for fragmented frames.
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? new Uint8Array(data)
          : data;
      this.core.receive(connId, bytes, isBinary);
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws reports protocol errors (e.g. WS_ERR_UNSUPPORTED_MESSAGE_LENGTH → 1009) here and then closes.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.core.metrics.countError('message_too_big');
      this.#log.warn('websocket error', { connId, code: err.code ?? 'ws_error', detail: err.message });
    });
    ws.on('close', (code) => {
      this.#sockets.delete(connId);
      this.#log.debug('closed', { connId, code });
      this.core.disconnect(connId);
    });
    this.core.open(connId, { host: req.headers.host });
  }

  #send(connId: string, message: ServerMessage, droppable: boolean): void {
    const ws = this.#sockets.get(connId);
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return;
    if (droppable && ws.bufferedAmount > this.#maxBufferedData) {
      this.#dropped(connId, ws.bufferedAmount);
      return;
    }
    const text = encodeMessage(message);
    if (ws.bufferedAmount > this.#maxBuffered) {
      this.core.metrics.countError('slow_consumer');
      this.#log.warn('slow consumer cut', { connId, code: 'slow_consumer', buffered: ws.bufferedAmount });
      ws.terminate();
      return;
    }
    ws.send(text);
  }

  /** Relayed `data` dropped for a backed-up reader: counted; one log line per interval, with the count. */
  #dropped(connId: string, buffered: number): void {
    this.core.metrics.countError('data_dropped');
    this.#dropsUnlogged++;
    const now = Date.now();
    if (now - this.#lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.#lastDropLog = now;
    this.#log.warn('data dropped for a slow reader', {
      code: 'data_dropped',
      connId,
      buffered,
      count: this.#dropsUnlogged,
    });
    this.#dropsUnlogged = 0;
  }
}
