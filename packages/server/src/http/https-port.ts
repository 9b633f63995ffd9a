/**
 * One TCP port that serves HTTPS and turns plain HTTP away politely: a connection whose
 * first byte opens a TLS handshake record (content type 22, RFC 8446 §5.1) goes to the
 * HTTPS server; any other is HTTP and gets `308 Permanent Redirect` to the same URL on
 * `https://` (so someone who types `http://<server>:8080` lands on the meeting).
 * A connection that sends nothing within `firstByteTimeoutMs` (default 10 s) is closed.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';

/** TLS record content type `handshake` (RFC 8446 §5.1): the first byte of a ClientHello. */
const TLS_HANDSHAKE = 0x16;
/** What a Host header may hold to be echoed into a Location (a name or address, a port). */
const HOST_HEADER = /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](?::\d{1,5})?$/;

export interface HttpsPortOptions {
  https: HttpsServer;
  /** Default 10,000 ms. */
  firstByteTimeoutMs?: number;
}

/** The `https://` URL of a plain-HTTP request to this port. */
function httpsLocation(req: IncomingMessage): string {
  const given = req.headers.host;
  const socket = req.socket;
  const local = socket.localAddress ?? '127.0.0.1';
  const fallback = `${local.includes(':') ? `[${local}]` : local}:${socket.localPort ?? 443}`;
  const host = given !== undefined && HOST_HEADER.test(given) ? given : fallback;
  const path = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/';
  return `https://${host}${path}`;
}

function redirect(req: IncomingMessage, res: ServerResponse): void {
  const location = httpsLocation(req);
  const body = `This server speaks HTTPS: ${location}\n`;
  res.writeHead(308, {
    location,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
  });
  res.end(body);
}

/** The listening side: `listen` it like any server; `close()` it and `closeAllConnections()` the HTTPS server. */
export function createHttpsPort(options: HttpsPortOptions): { server: Server; closeAll(): void } {
  const timeout = options.firstByteTimeoutMs ?? 10_000;
  const plain = createHttpServer(redirect);
  plain.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    socket.end(
      `HTTP/1.1 308 Permanent Redirect\r\nLocation: ${httpsLocation(req).replace(/^https/, 'wss')}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  });
  const pending = new Set<Socket>();
  const server = createNetServer({ pauseOnConnect: true }, (socket) => {
    pending.add(socket);
    const timer = setTimeout(() => socket.destroy(), timeout);
    timer.unref();
    const onError = (): void => {
      socket.destroy();
    };
    socket.on('error', onError);
    socket.once('close', () => {
      clearTimeout(timer);
      pending.delete(socket);
    });
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      pending.delete(socket);
      socket.pause();
      socket.unshift(chunk);
      socket.off('error', onError);
      if (chunk[0] === TLS_HANDSHAKE) {
        // The TLS socket reads the bytes put back from the socket's buffer and takes over reading.
        options.https.emit('connection', socket);
      } else {
        plain.emit('connection', socket);
        socket.resume();
      }
    });
    socket.resume();
  });
  return {
    server,
    closeAll: () => {
      for (const s of pending) s.destroy();
      pending.clear();
      options.https.closeAllConnections();
      plain.closeAllConnections();
    },
  };
}
