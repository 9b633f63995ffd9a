/**
 * The signaling connection: one WebSocket to the server's `/ws`, speaking the
 * protocol of `@itda/protocol` (docs/signaling.md).
 *
 * - Every server frame is validated with `decodeServerMessage`; invalid frames are
 *   dropped and reported as `invalid_server_message`.
 * - Heartbeat: after `joined`, a `ping` every `joined.heartbeat.intervalMs`; no frame
 *   at all within `timeoutMs` means the socket is dead (it is closed with 4002).
 * - Resume: when the socket drops unexpectedly, it reconnects with backoff and sends
 *   `resume` (participant id + resume token) while within `joined.resumeGraceMs` of
 *   the drop; on any error to `resume` (normally `resume_failed`) it sends a fresh
 *   `join` on the same socket and emits `rejoined` with the new participant id.
 * - Messages sent while reconnecting are queued (bounded) and flushed after
 *   `resumed`; they are dropped on a fresh join (they were addressed to the old session).
 *
 * States: `connecting` (first join) → `connected` ⇄ `reconnecting` → `disconnected`.
 */
import { type Clock, type Logger, silentLogger, systemClock, type TimerHandle, TypedEmitter } from '@itda/common';
import {
  type ClientMessage,
  CloseCode,
  decodeServerMessage,
  encodeMessage,
  type JoinedMessage,
  type MediaState,
  PROTOCOL_VERSION,
  type ResumedMessage,
  type ServerMessage,
} from '@itda/protocol';
import { type BackoffOptions, backoffDelay } from './backoff.ts';
import { ClientError, ClientErrorCode } from './errors.ts';
import { type SocketFactory, type SocketHandle, webSocketFactory } from './socket.ts';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** Messages the application may send; join/resume/ping/leave are the client's own. */
export type OutgoingMessage = Extract<
  ClientMessage,
  {
    type:
      | 'offer'
      | 'answer'
      | 'candidate'
      | 'update'
      | 'publish'
      | 'subscribed'
      | 'resubscribe'
      | 'quality'
      | 'data'
      | 'moderate';
  }
>;

export interface JoinParams {
  room: string;
  name: string;
  token?: string;
  media?: MediaState;
}

export interface SignalingClientOptions {
  /** WebSocket URL of the server's signaling endpoint, e.g. `wss://host/ws`. Required. */
  url: string;
  /** Default: systemClock. */
  clock?: Clock;
  /** Default: silentLogger. */
  logger?: Logger;
  /** Default: the platform WebSocket. */
  socketFactory?: SocketFactory;
  /** Reconnect backoff. Default 250 ms doubling to 5 s, 30 % jitter. */
  backoff?: BackoffOptions;
  /** Time to wait for `joined`/`resumed` after opening a socket, ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Give up reconnecting after this long, ms. Default 60 000. */
  reconnectTimeoutMs?: number;
  /** Messages kept while reconnecting; older ones are dropped beyond this. Default 500. */
  maxQueuedMessages?: number;
  /** Random source for backoff jitter. Default Math.random. */
  random?: () => number;
}

export type SignalingEvents = {
  state: [state: ConnectionState];
  /** Room traffic: participant-*, offer, answer, candidate, and non-fatal `error`s. */
  message: [message: ServerMessage];
  /** The session survived a dropped socket; same participant id. */
  resumed: [message: ResumedMessage];
  /** The room has a lobby: `join` waits until a host admits (then the join resolves) or denies it (`closed`). */
  lobby: [message: Extract<ServerMessage, { type: 'lobby' }>];
  /** Resume failed and a fresh join succeeded: a NEW participant id. */
  rejoined: [message: JoinedMessage];
  /** The session ended for good, not by `leave()`. */
  closed: [err: ClientError];
  /** Non-fatal problems (invalid frames); fatal ones also end in `closed`. */
  error: [err: ClientError];
};

/** Ping interval while waiting in a lobby, ms (servers' heartbeat timeout is 15 s by default). */
const LOBBY_PING_MS = 5000;

/** Close codes after which reconnecting is pointless (RFC 6455 §7.4; 4000–4999 itda's). */
const TERMINAL_CLOSE_CODES = new Set<number>([
  CloseCode.Normal,
  CloseCode.RoomClosed,
  CloseCode.Replaced,
  CloseCode.Removed,
  CloseCode.Denied,
]);

type Phase = 'join' | 'resume' | 'session';

interface Session {
  participantId: string;
  resumeToken: string;
  heartbeat: { intervalMs: number; timeoutMs: number };
  resumeGraceMs: number;
}

export class SignalingClient extends TypedEmitter<SignalingEvents> {
  readonly #url: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #factory: SocketFactory;
  readonly #backoff: BackoffOptions;
  readonly #connectTimeoutMs: number;
  readonly #reconnectTimeoutMs: number;
  readonly #maxQueue: number;
  readonly #random: () => number;

  #state: ConnectionState = 'disconnected';
  #params: JoinParams | undefined;
  #session: Session | undefined;
  #socket: SocketHandle | undefined;
  #gen = 0;
  #phase: Phase = 'join';
  #queue: OutgoingMessage[] = [];
  #pending: { resolve: (m: JoinedMessage) => void; reject: (e: ClientError) => void } | undefined;
  #ended = false;
  #droppedAt = 0;
  #attempt = 0;
  #timers: { ping?: TimerHandle; live?: TimerHandle; connect?: TimerHandle; retry?: TimerHandle } = {};

  constructor(options: SignalingClientOptions) {
    super();
    this.#url = options.url;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#factory = options.socketFactory ?? webSocketFactory;
    this.#backoff = options.backoff ?? {};
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#reconnectTimeoutMs = options.reconnectTimeoutMs ?? 60_000;
    this.#maxQueue = options.maxQueuedMessages ?? 500;
    this.#random = options.random ?? Math.random;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The current participant id (changes after `rejoined`). */
  get participantId(): string | undefined {
    return this.#session?.participantId;
  }

  /** Opens the socket and joins. Rejects with the server's error code (e.g. `room_full`) or `connect_failed`. */
  join(params: JoinParams): Promise<JoinedMessage> {
    if (this.#params !== undefined) {
      return Promise.reject(new ClientError(ClientErrorCode.InvalidState, 'join() may be called once per client'));
    }
    this.#params = { ...params };
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#setState('connecting');
      this.#open('join');
    });
  }

  /** Sends a message now, or queues it while (re)connecting. Name/media in `update` are remembered for re-joins. */
  send(message: OutgoingMessage): void {
    if (this.#ended) return;
    if (message.type === 'update' && this.#params !== undefined) {
      if (message.name !== undefined) this.#params.name = message.name;
      if (message.media !== undefined) this.#params.media = message.media;
    }
    if (this.#state === 'connected' && this.#socket !== undefined && this.#phase === 'session') {
      this.#socket.send(encodeMessage(message));
      return;
    }
    this.#queue.push(message);
    if (this.#queue.length > this.#maxQueue) this.#queue.splice(0, this.#queue.length - this.#maxQueue);
  }

  /** Sends `leave` and closes. Idempotent; no `closed` event follows. */
  leave(): void {
    if (this.#ended) return;
    if (this.#socket !== undefined && this.#phase === 'session') this.#socket.send(encodeMessage({ type: 'leave' }));
    this.#end(undefined, CloseCode.Normal);
  }

  // ------------------------------------------------------------ socket lifecycle

  #open(phase: Phase): void {
    const gen = ++this.#gen;
    this.#phase = phase;
    this.#log.debug('opening signaling socket', { phase, gen });
    this.#socket = this.#factory(this.#url, {
      onOpen: () => {
        if (gen === this.#gen) this.#onOpen();
      },
      onMessage: (text) => {
        if (gen === this.#gen) this.#onMessage(text);
      },
      onClose: (code, reason) => {
        if (gen === this.#gen) this.#onClose(code, reason);
      },
    });
    this.#timers.connect = this.#clock.setTimeout(() => {
      if (gen !== this.#gen) return;
      this.#log.warn('no joined/resumed in time', { timeoutMs: this.#connectTimeoutMs });
      this.#dropSocket(4002, 'connect timeout');
    }, this.#connectTimeoutMs);
  }

  #onOpen(): void {
    const params = this.#params;
    const socket = this.#socket;
    if (params === undefined || socket === undefined) return;
    if (this.#phase === 'resume' && this.#session !== undefined) {
      socket.send(
        encodeMessage({
          type: 'resume',
          v: PROTOCOL_VERSION,
          room: params.room,
          participantId: this.#session.participantId,
          resumeToken: this.#session.resumeToken,
        }),
      );
    } else {
      this.#sendJoin(socket, params);
    }
  }

  #sendJoin(socket: SocketHandle, params: JoinParams): void {
    this.#phase = 'join';
    socket.send(
      encodeMessage({
        type: 'join',
        v: PROTOCOL_VERSION,
        room: params.room,
        name: params.name,
        ...(params.token === undefined ? {} : { token: params.token }),
        ...(params.media === undefined ? {} : { media: params.media }),
      }),
    );
  }

  #onMessage(text: string): void {
    this.#armLiveness();
    let msg: ServerMessage;
    try {
      msg = decodeServerMessage(text);
    } catch (err) {
      this.#log.warn('invalid server message dropped', { err });
      this.emit(
        'error',
        new ClientError(ClientErrorCode.InvalidServerMessage, 'invalid server message', { cause: err }),
      );
      return;
    }
    switch (msg.type) {
      case 'joined':
        this.#onJoined(msg);
        return;
      case 'resumed':
        this.#onResumed(msg);
        return;
      case 'pong':
        return;
      case 'lobby':
        // Waiting to be let in is not a slow server: no connect timeout, and pings keep the socket alive.
        this.#timers.connect?.cancel();
        this.#schedulePing('join');
        this.emit('lobby', msg);
        return;
      case 'closed': {
        if (msg.reason !== 'server_shutdown') {
          this.#end(new ClientError(ClientErrorCode.SessionClosed, `session closed: ${msg.reason}`, { details: msg }));
        }
        return;
      }
      case 'error':
        this.#onError(msg);
        return;
      default:
        if (this.#phase === 'session') this.emit('message', msg);
    }
  }

  #onJoined(msg: JoinedMessage): void {
    const fresh = this.#session !== undefined;
    this.#session = {
      participantId: msg.participantId,
      resumeToken: msg.resumeToken,
      heartbeat: msg.heartbeat,
      resumeGraceMs: msg.resumeGraceMs,
    };
    this.#established();
    if (fresh) {
      this.#queue = [];
      this.emit('rejoined', msg);
    } else {
      const pending = this.#pending;
      this.#pending = undefined;
      pending?.resolve(msg);
    }
  }

  #onResumed(msg: ResumedMessage): void {
    this.#established();
    const queued = this.#queue;
    this.#queue = [];
    for (const m of queued) this.#socket?.send(encodeMessage(m));
    this.emit('resumed', msg);
  }

  #established(): void {
    this.#timers.connect?.cancel();
    this.#phase = 'session';
    this.#attempt = 0;
    this.#setState('connected');
    this.#schedulePing();
    this.#armLiveness();
  }

  #onError(msg: Extract<ServerMessage, { type: 'error' }>): void {
    const err = ClientError.fromServer(msg);
    if (this.#phase === 'session') {
      this.emit('message', msg);
      return;
    }
    if (this.#phase === 'resume' && this.#socket !== undefined && this.#params !== undefined) {
      // resume_failed (or any refusal of resume): fall back to a fresh join.
      this.#log.info('resume refused; joining afresh', { code: msg.code });
      this.#sendJoin(this.#socket, this.#params);
      return;
    }
    this.#end(err);
  }

  #onClose(code: number, reason: string): void {
    this.#log.info('signaling socket closed', { code, reason });
    this.#socket = undefined;
    this.#clearSocketTimers();
    if (this.#ended) return;
    if (this.#session === undefined) {
      const timedOut = reason === 'connect timeout';
      this.#end(
        new ClientError(
          timedOut ? ClientErrorCode.ConnectTimeout : ClientErrorCode.ConnectFailed,
          timedOut ? 'no answer to join in time' : `signaling connection closed (${code})`,
          { closeCode: code },
        ),
      );
      return;
    }
    if (TERMINAL_CLOSE_CODES.has(code)) {
      this.#end(
        new ClientError(ClientErrorCode.SessionClosed, `session closed by server (${code})`, { closeCode: code }),
      );
      return;
    }
    this.#reconnect();
  }

  /** Closes the current socket ourselves and handles it as an unexpected close. */
  #dropSocket(code: number, reason: string): void {
    const socket = this.#socket;
    this.#gen++;
    socket?.close(code, reason);
    this.#onClose(code, reason);
  }

  #reconnect(): void {
    const now = this.#clock.now();
    if (this.#state !== 'reconnecting') {
      this.#droppedAt = now;
      this.#attempt = 0;
      this.#setState('reconnecting');
    }
    if (now - this.#droppedAt >= this.#reconnectTimeoutMs) {
      this.#end(new ClientError(ClientErrorCode.ReconnectFailed, 'could not reconnect to the signaling server'));
      return;
    }
    const delay = backoffDelay(this.#attempt++, this.#backoff, this.#random);
    this.#timers.retry = this.#clock.setTimeout(() => {
      if (this.#ended) return;
      const session = this.#session;
      const withinGrace = session !== undefined && this.#clock.now() - this.#droppedAt < session.resumeGraceMs;
      this.#open(withinGrace ? 'resume' : 'join');
    }, delay);
  }

  // ------------------------------------------------------------ heartbeat

  /**
   * Pings at the session's heartbeat interval; while waiting in a lobby (`phase` join, no
   * session yet) every 5 s, under the server's heartbeat timeout.
   */
  #schedulePing(phase: 'session' | 'join' = 'session'): void {
    this.#timers.ping?.cancel();
    const interval = phase === 'session' ? this.#session?.heartbeat.intervalMs : LOBBY_PING_MS;
    if (interval === undefined) return;
    const gen = this.#gen;
    this.#timers.ping = this.#clock.setTimeout(
      () => {
        if (gen !== this.#gen || this.#phase !== phase) return;
        this.#socket?.send(encodeMessage({ type: 'ping', ts: Math.round(this.#clock.now()) }));
        this.#schedulePing(phase);
      },
      Math.max(100, interval),
    );
  }

  #armLiveness(): void {
    const session = this.#session;
    if (session === undefined || this.#phase !== 'session') return;
    this.#timers.live?.cancel();
    const gen = this.#gen;
    this.#timers.live = this.#clock.setTimeout(
      () => {
        if (gen !== this.#gen) return;
        this.#log.warn('heartbeat timeout: no message from the server', { timeoutMs: session.heartbeat.timeoutMs });
        this.#dropSocket(CloseCode.HeartbeatTimeout, 'heartbeat timeout');
      },
      Math.max(100, session.heartbeat.timeoutMs),
    );
  }

  // ------------------------------------------------------------ ending

  #clearSocketTimers(): void {
    this.#timers.ping?.cancel();
    this.#timers.live?.cancel();
    this.#timers.connect?.cancel();
  }

  #end(err: ClientError | undefined, closeCode: number = CloseCode.Normal): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#clearSocketTimers();
    this.#timers.retry?.cancel();
    const socket = this.#socket;
    this.#socket = undefined;
    this.#gen++;
    socket?.close(closeCode);
    this.#queue = [];
    this.#setState('disconnected');
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) {
      pending.reject(err ?? new ClientError(ClientErrorCode.InvalidState, 'left before joining'));
    } else if (err !== undefined) {
      this.emit('closed', err);
    }
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}
