/**
 * itda's TURN client (the client side of RFC 8656 §5–§12) over any ClientTransport:
 * Allocate with the 401/438 dance, Refresh, CreatePermission, ChannelBind, Send
 * indications and ChannelData out, Data indications and ChannelData in, and STUN
 * Binding (RFC 8489). Used by the interop tests and the benchmark.
 */
import { type Clock, type Logger, silentLogger, systemClock, type TimerHandle, TypedEmitter } from '@itda/common';
import {
  AttrType,
  type DecodedStunMessage,
  decodeChannelData,
  decodeMessage,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
  type TransportAddress,
} from '@itda/stun';
import { LongTermAuth } from './auth.ts';
import { TurnClientError } from './errors.ts';
import { type ConnectOptions, connectTransport } from './node-transport.ts';
import { Refresher } from './refresher.ts';
import {
  type AllocateOptions,
  allocateAttributes,
  channelBindAttributes,
  checkChannel,
  createPermissionAttributes,
  encodeChannelMessage,
  encodeSendIndication,
  refreshAttributes,
  request,
} from './requests.ts';
import { type RetransmitOptions, Transactions } from './transactions.ts';
import type { ClientTransport } from './transport.ts';

/** Options of TurnClient. */
export interface TurnClientOptions extends RetransmitOptions {
  /** Long-term credentials (static user, or a TURN REST `expiry:user` name and HMAC password). */
  username?: string;
  password?: string;
  /** SOFTWARE attribute on requests. Default: none. */
  software?: string;
  /** FINGERPRINT on requests (RFC 8489 §14.7). Default true. Never on Send/ChannelData. */
  fingerprint?: boolean;
  /**
   * Refresh the allocation (1 minute before expiry), permissions (every 4 minutes, RFC
   * 8656 §9: they last 300 s) and channel bindings (every 9 minutes, §12: 600 s) by
   * itself. Default true.
   */
  autoRefresh?: boolean;
  /** How long `close()` waits for the Refresh with LIFETIME 0. Default 2,000 ms. */
  closeTimeout?: number;
  clock?: Clock;
  logger?: Logger;
}

/** The result of a successful Allocate (RFC 8656 §7.3). */
export interface Allocation {
  /** XOR-RELAYED-ADDRESS: where peers send to reach this client. */
  relayed: TransportAddress;
  /** XOR-MAPPED-ADDRESS: the client's address as the server saw it. */
  mapped: TransportAddress | undefined;
  /** LIFETIME granted, in seconds. */
  lifetime: number;
  /** RESERVATION-TOKEN when EVEN-PORT asked for a reservation. */
  reservationToken: Uint8Array | undefined;
}

/** The result of a Binding request (RFC 8489, RFC 5780 §7). */
export interface BindingResult {
  mapped: TransportAddress;
  /** RESPONSE-ORIGIN (RFC 5780 §7.3). */
  responseOrigin: TransportAddress | undefined;
  /** OTHER-ADDRESS (RFC 5780 §7.4). */
  otherAddress: TransportAddress | undefined;
  software: string | undefined;
}

/** Counters of one client. */
export interface TurnClientStats {
  requests: number;
  retransmissions: number;
  sentIndications: number;
  sentChannelData: number;
  receivedIndications: number;
  receivedChannelData: number;
  /** Packets that could not be decoded or had no use (unknown channel, late response). */
  dropped: number;
}

export type TurnClientEvents = {
  /**
   * Data from a peer: a Data indication (`channel` undefined) or ChannelData. `data` is a
   * view of the received packet: copy it to keep it past the listener.
   */
  data: [data: Uint8Array, peer: TransportAddress, channel: number | undefined];
  /** A background refresh failed. */
  error: [err: TurnClientError];
  /** The client closed (by `close()` or because the transport closed). */
  closed: [];
};

/** At most this many attempts per request: the first, one after 401, one after 438. */
const MAX_ATTEMPTS = 3;

/**
 * A TURN client over one transport, for one allocation.
 *
 * ```ts
 * const client = await TurnClient.connect({ transport: 'udp', host: '127.0.0.1', port: 3478 },
 *   { username: 'alice', password: 'secret' });
 * const { relayed } = await client.allocate();
 * await client.createPermission(['192.0.2.5']);
 * const channel = await client.channelBind({ family: 'IPv4', address: '192.0.2.5', port: 4000 });
 * client.on('data', (data, peer) => { ... });
 * client.sendChannel(channel, payload);
 * await client.close();
 * ```
 */
export class TurnClient extends TypedEmitter<TurnClientEvents> {
  readonly transport: ClientTransport;
  readonly stats: TurnClientStats = {
    requests: 0,
    retransmissions: 0,
    sentIndications: 0,
    sentChannelData: 0,
    receivedIndications: 0,
    receivedChannelData: 0,
    dropped: 0,
  };
  readonly #auth: LongTermAuth | undefined;
  readonly #transactions: Transactions;
  readonly #refresher: Refresher;
  readonly #software: string | undefined;
  readonly #fingerprint: boolean;
  readonly #closeTimeout: number;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #channels = new Map<number, TransportAddress>();
  readonly #send: (bytes: Uint8Array) => void;
  #allocation: Allocation | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(transport: ClientTransport, options: TurnClientOptions = {}) {
    super();
    this.transport = transport;
    const clock = options.clock ?? systemClock;
    this.#clock = clock;
    this.#auth =
      options.username === undefined ? undefined : new LongTermAuth(options.username, options.password ?? '');
    this.#transactions = new Transactions(clock, options);
    this.#software = options.software;
    this.#fingerprint = options.fingerprint ?? true;
    this.#closeTimeout = options.closeTimeout ?? 2000;
    this.#log = (options.logger ?? silentLogger).child('turn-client');
    this.#refresher = new Refresher(clock, options.autoRefresh ?? true, {
      allocation: () => this.refresh(),
      permissions: (peers) => this.createPermission(peers),
      channel: (channel, peer) => this.channelBind(peer, channel),
      failed: (err) => this.emit('error', err),
    });
    this.#send = (bytes) => transport.send(bytes);
    transport.setHandlers({
      packet: (bytes) => this.#onPacket(bytes),
      close: (err) => this.#onTransportClose(err),
    });
  }

  /** Connects a Node transport and makes a client on it. */
  static async connect(connect: ConnectOptions, options: TurnClientOptions = {}): Promise<TurnClient> {
    return new TurnClient(await connectTransport(connect), options);
  }

  /** The current allocation, or undefined. */
  get allocation(): Allocation | undefined {
    return this.#allocation;
  }

  /** Realm and nonce learnt from the server (undefined before the first 401). */
  get realm(): string | undefined {
    return this.#auth?.realm;
  }

  /**
   * Sends a STUN Binding request (RFC 8489 §3) and returns the mapped address. Not
   * authenticated. `changeRequest` adds CHANGE-REQUEST (RFC 5780 §7.2).
   */
  async binding(options: { changeRequest?: { changeIp: boolean; changePort: boolean } } = {}): Promise<BindingResult> {
    const attributes: StunAttribute[] = [];
    if (options.changeRequest !== undefined) {
      attributes.push({ type: AttrType.ChangeRequest, value: options.changeRequest });
    }
    const res = await this.#request(StunMethod.Binding, attributes, false);
    const mapped = res.get(AttrType.XorMappedAddress) ?? res.get(AttrType.MappedAddress);
    if (mapped === undefined)
      throw new TurnClientError('turn_client_bad_response', 'Binding response without an address');
    return {
      mapped,
      responseOrigin: res.get(AttrType.ResponseOrigin),
      otherAddress: res.get(AttrType.OtherAddress),
      software: res.get(AttrType.Software),
    };
  }

  /**
   * Creates the allocation (RFC 8656 §7.1, §7.3).
   * @throws TurnClientError turn_client_error_response (stunCode 437, 440, 442, 486, 508, …),
   *   turn_client_unauthenticated, turn_client_timeout, turn_client_state
   */
  async allocate(options: AllocateOptions = {}): Promise<Allocation> {
    if (this.#allocation !== undefined) throw new TurnClientError('turn_client_state', 'already allocated');
    const res = await this.#request(StunMethod.Allocate, allocateAttributes(options), true);
    const relayed = res.get(AttrType.XorRelayedAddress);
    const lifetime = res.get(AttrType.Lifetime);
    if (relayed === undefined || lifetime === undefined) {
      throw new TurnClientError('turn_client_bad_response', 'Allocate success without XOR-RELAYED-ADDRESS or LIFETIME');
    }
    const token = res.get(AttrType.ReservationToken);
    this.#allocation = {
      relayed,
      mapped: res.get(AttrType.XorMappedAddress),
      lifetime,
      reservationToken: token === undefined ? undefined : new Uint8Array(token),
    };
    this.#refresher.allocated(lifetime);
    this.#log.debug('allocated', { relayed: `${relayed.address}:${relayed.port}`, lifetime });
    return this.#allocation;
  }

  /**
   * Refreshes the allocation (RFC 8656 §8.1); `lifetime` 0 deletes it. Returns the
   * granted lifetime in seconds.
   */
  async refresh(lifetime?: number): Promise<number> {
    this.#needAllocation();
    const res = await this.#request(StunMethod.Refresh, refreshAttributes(lifetime), true);
    const granted = res.get(AttrType.Lifetime) ?? lifetime ?? 0;
    if (granted === 0) {
      this.#allocation = undefined;
      this.#channels.clear();
      this.#refresher.clear();
    } else if (this.#allocation !== undefined) {
      this.#allocation.lifetime = granted;
      this.#refresher.allocated(granted);
    }
    return granted;
  }

  /** Installs or refreshes permissions for peer IPs (RFC 8656 §10.1). */
  async createPermission(peers: readonly string[]): Promise<void> {
    this.#needAllocation();
    await this.#request(StunMethod.CreatePermission, createPermissionAttributes(peers), true);
    this.#refresher.permitted(peers);
  }

  /**
   * Binds `channel` (default: the next free one from 0x4000) to `peer`, or refreshes the
   * binding (RFC 8656 §11.1). This also installs a permission for the peer's IP. Returns
   * the channel number.
   */
  async channelBind(peer: TransportAddress, channel?: number): Promise<number> {
    this.#needAllocation();
    const number = channel ?? this.#freeChannel(peer);
    checkChannel(number);
    await this.#request(StunMethod.ChannelBind, channelBindAttributes(number, peer), true);
    this.#channels.set(number, { family: peer.family, address: peer.address, port: peer.port });
    this.#refresher.bound(number, peer);
    // RFC 8656 §12: the binding installed a permission too, which lasts 300 s only.
    this.#refresher.permitted([peer.address]);
    return number;
  }

  /** Sends `data` to `peer` in a Send indication (RFC 8656 §9.1). Needs a permission. */
  send(peer: TransportAddress, data: Uint8Array, dontFragment = false): void {
    this.#needAllocation();
    this.stats.sentIndications++;
    this.#send(encodeSendIndication(peer, data, dontFragment));
  }

  /** Sends `data` on a bound channel as ChannelData (RFC 8656 §12.4). */
  sendChannel(channel: number, data: Uint8Array): void {
    this.stats.sentChannelData++;
    this.#send(encodeChannelMessage(channel, data, this.transport.reliable));
  }

  /** The peer a channel is bound to. */
  channelPeer(channel: number): TransportAddress | undefined {
    return this.#channels.get(channel);
  }

  /**
   * Deletes the allocation (Refresh with LIFETIME 0, RFC 8656 §8.1) when there is one,
   * waiting at most `closeTimeout`, then closes the transport. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#refresher.clear();
    if (this.#allocation !== undefined && !this.#closed) {
      let timer: TimerHandle | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = this.#clock.setTimeout(resolve, this.#closeTimeout);
      });
      const deleted = this.refresh(0).then(
        () => {},
        (err: unknown) => this.#log.debug('delete on close failed', { err }),
      );
      await Promise.race([deleted, timeout]);
      timer?.cancel();
    }
    this.#finish();
    this.transport.close();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#allocation = undefined;
    this.#refresher.clear();
    this.#transactions.cancelAll(new TurnClientError('turn_client_closed', 'the client is closed'));
    this.emit('closed');
  }

  #onTransportClose(err?: Error): void {
    if (err !== undefined) this.#log.debug('transport closed', { err });
    this.#finish();
  }

  #needAllocation(): void {
    if (this.#closed) throw new TurnClientError('turn_client_closed', 'the client is closed');
    if (this.#allocation === undefined) throw new TurnClientError('turn_client_state', 'no allocation');
  }

  #freeChannel(peer: TransportAddress): number {
    for (const [n, p] of this.#channels) {
      if (p.address === peer.address && p.port === peer.port) return n;
    }
    for (let n = 0x4000; n <= 0x4fff; n++) if (!this.#channels.has(n)) return n;
    throw new TurnClientError('turn_client_bad_argument', 'every channel number is in use');
  }

  /** One request with the credential retries of RFC 8489 §9.2 and RFC 8656 §7.1. */
  async #request(method: number, attributes: StunAttribute[], authenticated: boolean): Promise<DecodedStunMessage> {
    if (this.#closed) throw new TurnClientError('turn_client_closed', 'the client is closed');
    const auth = authenticated ? this.#auth : undefined;
    for (let attempt = 1; ; attempt++) {
      const withCredentials = auth?.ready === true;
      const all = [...attributes, ...(auth?.attributes() ?? [])];
      if (this.#software !== undefined) all.push({ type: AttrType.Software, value: this.#software });
      const msg = request(method, all);
      const bytes = encodeMessage(msg, { ...auth?.encodeOptions(), fingerprint: this.#fingerprint });
      this.stats.requests++;
      const before = this.#transactions.retransmissions;
      const res = await this.#transactions.start(msg.transactionId, bytes, this.transport.reliable, this.#send);
      this.stats.retransmissions += this.#transactions.retransmissions - before;
      if (res.class === StunClass.SuccessResponse) return res;
      const error = res.get(AttrType.ErrorCode);
      if (error === undefined)
        throw new TurnClientError('turn_client_bad_response', 'error response without ERROR-CODE');
      if (auth !== undefined && attempt < MAX_ATTEMPTS && auth.handleError(res, withCredentials) === 'retry') continue;
      throw new TurnClientError('turn_client_error_response', `${error.code} ${error.reason}`, {
        stunCode: error.code,
        details: { method },
      });
    }
  }

  #onPacket(bytes: Uint8Array): void {
    try {
      const first = bytes[0] ?? 0xff;
      if (first >= 0x40 && first <= 0x4f) {
        const cd = decodeChannelData(bytes, this.transport.reliable);
        const peer = this.#channels.get(cd.channel);
        // RFC 8656 §12.6: ChannelData on a channel that is not bound is discarded.
        if (peer === undefined) {
          this.stats.dropped++;
          return;
        }
        this.stats.receivedChannelData++;
        this.emit('data', cd.data, peer, cd.channel);
        return;
      }
      if (first > 3) {
        this.stats.dropped++;
        return;
      }
      const msg = decodeMessage(bytes);
      if (msg.class === StunClass.SuccessResponse || msg.class === StunClass.ErrorResponse) {
        // RFC 8489 §9.2.5: a response whose integrity does not verify is discarded.
        if (this.#auth !== undefined && !this.#auth.acceptResponse(msg)) {
          this.stats.dropped++;
          return;
        }
        if (!this.#transactions.handleResponse(msg)) this.stats.dropped++;
        return;
      }
      if (msg.class === StunClass.Indication && msg.method === StunMethod.Data) {
        // RFC 8656 §10.4: a Data indication carries XOR-PEER-ADDRESS and DATA.
        const peer = msg.get(AttrType.XorPeerAddress);
        const data = msg.get(AttrType.Data);
        if (peer === undefined || data === undefined) {
          this.stats.dropped++;
          return;
        }
        this.stats.receivedIndications++;
        this.emit('data', data, peer, undefined);
        return;
      }
      this.stats.dropped++;
    } catch (err) {
      this.stats.dropped++;
      this.#log.debug('dropped a packet', { err });
    }
  }
}
