/**
 * Test helpers for the sans-IO core (used by the *.test.ts files beside it): an I/O
 * recorder, fake relays, and a client that speaks STUN to a `TurnCore` in memory.
 */
import { ManualClock } from '@itda/common';
import {
  AttrType,
  createTransactionId,
  type DecodedStunMessage,
  decodeMessage,
  type EncodeOptions,
  encodeMessage,
  longTermKey,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import type { TurnCoreOptions } from './config.ts';
import { TurnCore } from './core.ts';
import type { ClientRef, Endpoint, RelayHandle, RelayRequest, StreamClient, TurnIo } from './io.ts';

export class FakeRelay implements RelayHandle {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
  closed = false;
  constructor(address: string, port: number) {
    this.address = address;
    this.port = port;
    this.family = address.includes(':') ? 'IPv6' : 'IPv4';
  }
}

export interface Sent {
  client: ClientRef<string>;
  bytes: Uint8Array;
  from: Endpoint | undefined;
  port: number | undefined;
}

export class RecordingIo implements TurnIo<FakeRelay, string> {
  readonly toClient: Sent[] = [];
  readonly toPeer: { relay: FakeRelay; data: Uint8Array; address: string; port: number }[] = [];
  readonly binds: RelayRequest<string>[] = [];
  readonly closedStreams: StreamClient<string>[] = [];
  core: TurnCore<FakeRelay, string> | undefined;
  /** Answer bindRelay at once with a fake relay (undefined: fail with 508). */
  autoBind = true;
  nextPort = 50000;

  sendToClient(
    client: ClientRef<string>,
    head: Uint8Array,
    body?: Uint8Array,
    tail?: Uint8Array,
    from?: Endpoint,
    port?: number,
  ): void {
    const bytes = Buffer.concat([head, body ?? new Uint8Array(0), tail ?? new Uint8Array(0)]);
    this.toClient.push({ client, bytes, from, port });
  }
  sendToPeer(relay: FakeRelay, data: Uint8Array, offset: number, length: number, address: string, port: number): void {
    this.toPeer.push({ relay, data: Uint8Array.from(data.subarray(offset, offset + length)), address, port });
  }
  bindRelay(request: RelayRequest<string>): void {
    this.binds.push(request);
    if (!this.autoBind) return;
    const port = request.evenPort && this.nextPort % 2 === 1 ? ++this.nextPort : this.nextPort;
    this.nextPort = port + (request.reserveNext ? 2 : 1);
    const ip = request.family === 'IPv6' ? '::1' : '127.0.0.1';
    const relay = new FakeRelay(ip, port);
    const next = request.reserveNext ? new FakeRelay(ip, port + 1) : undefined;
    this.core?.relayBound(request.id, relay, next);
  }
  closeRelay(relay: FakeRelay): void {
    relay.closed = true;
  }
  closeStream(client: StreamClient<string>): void {
    this.closedStreams.push(client);
    this.core?.streamClosed(client);
  }
}

export interface Harness {
  core: TurnCore<FakeRelay, string>;
  io: RecordingIo;
  clock: ManualClock;
  udp: Endpoint;
  tcp: Endpoint;
}

/** A core on a ManualClock (wall clock 1,700,000,000,000 ms at 0) with a UDP and a TCP endpoint. */
export function harness(options: TurnCoreOptions = {}, relayAddresses = { IPv4: '192.0.2.1' }): Harness {
  const clock = new ManualClock(0);
  const io = new RecordingIo();
  const core = new TurnCore<FakeRelay, string>({
    io,
    clock,
    options: { wallClock: () => 1_700_000_000_000 + clock.now(), ...options },
    relayAddresses,
  });
  io.core = core;
  const udp = core.addEndpoint({ transport: 'udp', address: '192.0.2.1', port: 3478, family: 'IPv4' });
  const tcp = core.addEndpoint({ transport: 'tcp', address: '192.0.2.1', port: 3478, family: 'IPv4' });
  return { core, io, clock, udp, tcp };
}

export interface Creds {
  username: string;
  password: string;
  realm?: string;
}

/** A client of the in-memory core, over UDP from `address:port`, or over a stream. */
export class TestClient {
  readonly h: Harness;
  readonly address: string;
  readonly port: number;
  readonly stream: StreamClient<string> | undefined;
  nonce: string | undefined;
  realm = 'itda';
  creds: Creds | undefined;
  /** Use MESSAGE-INTEGRITY-SHA256 and PASSWORD-ALGORITHM SHA-256. */
  sha256 = false;

  constructor(h: Harness, address = '203.0.113.5', port = 40000, stream = false) {
    this.h = h;
    this.address = address;
    this.port = port;
    this.stream = stream ? h.core.streamOpened(h.tcp, address, port, `${address}:${port}`) : undefined;
  }

  /** Feeds raw bytes to the core as this client. */
  raw(bytes: Uint8Array): void {
    if (this.stream !== undefined) this.h.core.handleStreamData(this.stream, bytes);
    else this.h.core.handleUdp(this.h.udp, bytes, this.address, this.port);
  }

  /** Everything sent to this client since `from` (index into io.toClient). */
  received(from = 0): Sent[] {
    return this.h.io.toClient
      .slice(from)
      .filter((s) => s.client.address === this.address && s.client.port === this.port);
  }

  /** Sends a request and returns the decoded answer, or undefined when none came. */
  request(
    method: number,
    attributes: StunAttribute[] = [],
    options: { auth?: boolean; encode?: EncodeOptions; transactionId?: Uint8Array } = {},
  ): DecodedStunMessage | undefined {
    const attrs = [...attributes];
    const enc: EncodeOptions = { ...options.encode };
    if (options.auth !== false && this.creds !== undefined && this.nonce !== undefined) {
      attrs.push(
        { type: AttrType.Username, value: this.creds.username } as StunAttribute,
        { type: AttrType.Realm, value: this.creds.realm ?? this.realm } as StunAttribute,
        { type: AttrType.Nonce, value: this.nonce } as StunAttribute,
      );
      const algorithm = this.sha256 ? 2 : 1;
      if (this.sha256) {
        attrs.push(
          {
            type: AttrType.PasswordAlgorithms,
            value: [
              { algorithm: 2, parameters: new Uint8Array(0) },
              { algorithm: 1, parameters: new Uint8Array(0) },
            ],
          } as StunAttribute,
          { type: AttrType.PasswordAlgorithm, value: { algorithm: 2, parameters: new Uint8Array(0) } } as StunAttribute,
        );
      }
      const key = longTermKey(this.creds.username, this.creds.realm ?? this.realm, this.creds.password, { algorithm });
      if (this.sha256) enc.integritySha256Key = key;
      else enc.integrityKey = key;
    }
    const before = this.h.io.toClient.length;
    const transactionId = options.transactionId ?? createTransactionId();
    this.raw(encodeMessage({ class: StunClass.Request, method, transactionId, attributes: attrs }, enc));
    const answers = this.received(before);
    const last = answers[answers.length - 1];
    if (last === undefined) return undefined;
    const msg = decodeMessage(last.bytes);
    const nonce = msg.get(AttrType.Nonce);
    if (nonce !== undefined) this.nonce = nonce;
    return msg;
  }

  /** Sends with credentials, retrying once after a 401/438 that brings a nonce. */
  authed(method: number, attributes: StunAttribute[] = [], transactionId?: Uint8Array): DecodedStunMessage | undefined {
    let res = this.request(method, attributes, transactionId === undefined ? {} : { transactionId });
    const code = res?.get(AttrType.ErrorCode)?.code;
    if (code === 401 || code === 438) res = this.request(method, attributes);
    return res;
  }

  allocate(attributes: StunAttribute[] = [{ type: AttrType.RequestedTransport, value: 17 } as StunAttribute]) {
    return this.authed(StunMethod.Allocate, attributes);
  }
}

/** The ERROR-CODE of a response, or 0 for a success, or -1 for no response. */
export function codeOf(msg: DecodedStunMessage | undefined): number {
  if (msg === undefined) return -1;
  if (msg.class === StunClass.SuccessResponse) return 0;
  return msg.get(AttrType.ErrorCode)?.code ?? -2;
}

export const peer = (address: string, port = 5000): StunAttribute =>
  ({
    type: AttrType.XorPeerAddress,
    value: { family: address.includes(':') ? 'IPv6' : 'IPv4', address, port },
  }) as StunAttribute;
