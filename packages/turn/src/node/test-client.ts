/**
 * A minimal STUN/TURN client over UDP, TCP or TLS on loopback, built on @itda/stun, for
 * the Node-level tests of this package (H6's full client lives in src/client/).
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  AttrType,
  createTransactionId,
  type DecodedStunMessage,
  decodeMessage,
  encodeMessage,
  longTermKey,
  type StunAttribute,
  StunClass,
  streamFrameLength,
} from '@itda/stun';

/** A framed connection to the server: whole STUN / ChannelData messages in and out. */
export class TestConn {
  readonly #queue: Uint8Array[] = [];
  readonly #waiters: ((m: Uint8Array) => void)[] = [];
  readonly #send: (b: Uint8Array) => void;
  readonly #close: () => void;
  readonly stream: boolean;
  /** Over UDP: the source `ip:port` of every datagram received, in order (the server must answer from where it was asked). */
  readonly sources: string[] = [];
  #buf = Buffer.alloc(0);

  private constructor(send: (b: Uint8Array) => void, close: () => void, stream: boolean) {
    this.#send = send;
    this.#close = close;
    this.stream = stream;
  }

  /**
   * Connects to `host:port`. Over UDP the socket is bound to `from`, by default the
   * loopback address of `host`'s family (127.0.0.1 or ::1).
   */
  static async open(transport: 'udp' | 'tcp' | 'tls', host: string, port: number, from?: string): Promise<TestConn> {
    if (transport === 'udp') {
      const v6 = host.includes(':');
      const s: DgramSocket = createSocket(v6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
      await new Promise<void>((resolve) => s.bind(0, from ?? (v6 ? '::1' : '127.0.0.1'), resolve));
      const c = new TestConn(
        (b) => s.send(b, port, host),
        () => s.close(),
        false,
      );
      s.on('message', (m, rinfo) => {
        c.sources.push(`${rinfo.address}:${rinfo.port}`);
        c.#push(m);
      });
      return c;
    }
    const socket: Socket = await new Promise((resolve, reject) => {
      const s =
        transport === 'tls'
          ? tlsConnect({ host, port, rejectUnauthorized: false }, () => resolve(s))
          : tcpConnect({ host, port }, () => resolve(s));
      s.once('error', reject);
    });
    const c = new TestConn(
      (b) => socket.write(b),
      () => socket.destroy(),
      true,
    );
    socket.on('data', (chunk: Buffer) => c.#onStream(chunk));
    socket.on('error', () => {});
    return c;
  }

  #onStream(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    for (;;) {
      const n = streamFrameLength(this.#buf);
      if (n === undefined || n > this.#buf.length) return;
      this.#push(this.#buf.subarray(0, n));
      this.#buf = this.#buf.subarray(n);
    }
  }

  #push(m: Uint8Array): void {
    const w = this.#waiters.shift();
    if (w !== undefined) w(m);
    else this.#queue.push(m);
  }

  /** Messages received and not yet taken with `next`. */
  get queued(): number {
    return this.#queue.length;
  }

  send(bytes: Uint8Array): void {
    this.#send(bytes);
  }

  /** The next message, or a rejection after `ms`. */
  next(ms = 2000): Promise<Uint8Array> {
    const m = this.#queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(done);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error('timeout waiting for a message'));
      }, ms);
      const done = (x: Uint8Array): void => {
        clearTimeout(timer);
        resolve(x);
      };
      this.#waiters.push(done);
    });
  }

  close(): void {
    this.#close();
  }
}

/** Long-term credential state of a test client. */
export class TestTurnClient {
  readonly conn: TestConn;
  readonly username: string;
  readonly password: string;
  realm = '';
  nonce = '';

  constructor(conn: TestConn, username: string, password: string) {
    this.conn = conn;
    this.username = username;
    this.password = password;
  }

  /** Sends a request (authenticated once a nonce is known) and waits for its answer; retries after 401/438. */
  async request(method: number, attributes: StunAttribute[]): Promise<DecodedStunMessage> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const attrs = [...attributes];
      let key: Uint8Array | undefined;
      if (this.nonce !== '') {
        attrs.push(
          { type: AttrType.Username, value: this.username } as StunAttribute,
          { type: AttrType.Realm, value: this.realm } as StunAttribute,
          { type: AttrType.Nonce, value: this.nonce } as StunAttribute,
        );
        key = longTermKey(this.username, this.realm, this.password);
      }
      const transactionId = createTransactionId();
      this.conn.send(
        encodeMessage(
          { class: StunClass.Request, method, transactionId, attributes: attrs },
          { ...(key === undefined ? {} : { integrityKey: key }), fingerprint: true },
        ),
      );
      let res: DecodedStunMessage;
      for (;;) {
        res = decodeMessage(await this.conn.next());
        if (Buffer.from(res.transactionId).equals(Buffer.from(transactionId))) break;
      }
      const code = res.get(AttrType.ErrorCode)?.code;
      if (code === 401 || code === 438) {
        this.realm = res.get(AttrType.Realm) ?? this.realm;
        this.nonce = res.get(AttrType.Nonce) ?? this.nonce;
        if (code === 401 && key !== undefined) return res;
        continue;
      }
      return res;
    }
    throw new Error('authentication did not converge');
  }
}
