/**
 * A call: `new Room(options)`, `await room.join({ room, name, localStream })`,
 * `room.leave()`. Typed events are listed in `RoomEvent`.
 *
 * Topology: a P2P mesh — one RTCPeerConnection per remote participant (rooms of up
 * to 4) until the SFU arrives. The newcomer learns the others from `joined`, the
 * others learn of it from `participant-joined`; both sides create the connection and
 * `negotiationneeded` drives the offers (perfect negotiation, see PeerLink). Chat and
 * files go over each connection's data channel (see PeerChannel, docs/client.md).
 */
import { type Clock, type Logger, silentLogger, systemClock, TypedEmitter } from '@itda/common';
import {
  type Grants,
  type JoinedMessage,
  type LeaveReason,
  type MediaState,
  type ParticipantInfo,
  type ResumedMessage,
  type ServerMessage,
  SIGNAL_PATH,
} from '@itda/protocol';
import { ClientError, ClientErrorCode } from './errors.ts';
import { randomId } from './ids.ts';
import { LocalMedia } from './local-media.ts';
import { RemoteParticipant } from './participant.ts';
import { PeerLink } from './peer-link.ts';
import { checkChatText, MAX_FILE_BYTES } from './peer-protocol.ts';
import { isPolite } from './polite.ts';
import type { ChatMessage, LocalParticipant, RoomEvents, TrackInfo } from './room-events.ts';
import { type ConnectionState, SignalingClient, type SignalingClientOptions } from './signaling-client.ts';
import type { SocketFactory } from './socket.ts';
import { type LinkStats, type StatsEntry, StatsSampler } from './stats.ts';

export interface RoomOptions {
  /** Signaling URL. Default: `ws(s)://<location.host>/ws`. `join({ url })` overrides it. */
  url?: string;
  /** Default: silentLogger. */
  logger?: Logger;
  /** Default: systemClock. */
  clock?: Clock;
  /** ICE servers added to those the server announces in `joined`. Default none. */
  iceServers?: RTCIceServer[];
  /**
   * `relay` gathers only TURN relay candidates, so media always goes through a TURN
   * server (to test one, or to hide the participants' addresses from each other).
   * Default `all` (W3C WebRTC §4.2.1, RTCIceTransportPolicy).
   */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** Passed to SignalingClient (backoff, timeouts). */
  signaling?: Omit<SignalingClientOptions, 'url' | 'clock' | 'logger' | 'socketFactory'>;
  /** Default: the platform WebSocket. */
  socketFactory?: SocketFactory;
  /** Largest file sent or received, bytes. Default 100 MiB. */
  maxFileBytes?: number;
  /** Default: `new RTCPeerConnection(config)`. */
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
}

export interface JoinOptions {
  url?: string;
  room: string;
  /** Display name, 1–64 characters. */
  name: string;
  /** Room token, when the server requires one. */
  token?: string;
  /** Camera and microphone to send. The Room never stops these tracks; the app does. */
  localStream?: MediaStream | null;
}

/** Messages from a participant not yet announced, kept until its `participant-joined`. */
const MAX_EARLY_PER_PEER = 64;
const MAX_EARLY_PEERS = 8;

/** `ws(s)://<host>/ws` of the page's own origin. */
export function defaultSignalingUrl(): string {
  const { protocol, host } = globalThis.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${SIGNAL_PATH}`;
}

export class Room extends TypedEmitter<RoomEvents> {
  /** Remote participants by id. */
  readonly participants = new Map<string, RemoteParticipant>();
  /** This participant; `id` is '' until joined. */
  readonly localParticipant: LocalParticipant = {
    id: '',
    name: '',
    media: { audio: false, video: false, screenStreamId: null },
  };
  /** Room name once joined. */
  name = '';
  grants: Grants = { canPublish: true, canSubscribe: true };
  readonly #o: RoomOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #stats = new StatsSampler();
  readonly #early = new Map<string, ServerMessage[]>();
  #signaling: SignalingClient | undefined;
  #local: LocalMedia = new LocalMedia(null, () => undefined);
  #iceServers: RTCIceServer[] = [];
  #left = false;

  constructor(options: RoomOptions = {}) {
    super();
    this.#o = options;
    this.#log = (options.logger ?? silentLogger).child('room');
    this.#clock = options.clock ?? systemClock;
    this.onListenerError = (err) => this.#log.error('room event listener threw', { err: String(err) });
  }

  /** Signaling connection state. */
  get connectionState(): ConnectionState {
    return this.#signaling?.state ?? 'disconnected';
  }

  /** The local camera/microphone stream (after device switches, the current one). */
  get localStream(): MediaStream | null {
    return this.#local.stream;
  }

  /** The local screen share, when sharing. */
  get screenStream(): MediaStream | null {
    return this.#local.screen;
  }

  /** Joins the room. Rejects with a ClientError whose code is the server's (`room_full`, …) or `connect_failed`. */
  async join(options: JoinOptions): Promise<void> {
    if (this.#signaling !== undefined) throw new ClientError(ClientErrorCode.InvalidState, 'join() was already called');
    this.#local = new LocalMedia(options.localStream ?? null, (media) => this.#onLocalMedia(media));
    const signaling = new SignalingClient({
      ...this.#o.signaling,
      url: options.url ?? this.#o.url ?? defaultSignalingUrl(),
      clock: this.#clock,
      logger: this.#log.child('signal'),
      ...(this.#o.socketFactory === undefined ? {} : { socketFactory: this.#o.socketFactory }),
    });
    this.#signaling = signaling;
    signaling.onListenerError = this.onListenerError;
    signaling.on('state', (s) => this.emit('connectionStateChanged', s));
    signaling.on('message', (m) => this.#onMessage(m));
    signaling.on('resumed', (m) => this.#onResumed(m));
    signaling.on('rejoined', (m) => this.#onRejoined(m));
    signaling.on('error', (e) => this.emit('error', e));
    signaling.on('closed', (e) => {
      this.#closeAll('left');
      this.emit('disconnected', e);
    });
    this.name = options.room;
    this.localParticipant.name = options.name;
    this.localParticipant.media = this.#local.media;
    const joined = await signaling.join({
      room: options.room,
      name: options.name,
      ...(options.token === undefined ? {} : { token: options.token }),
      media: this.#local.media,
    });
    this.#applyJoined(joined);
  }

  /** Leaves the room and closes every peer connection. Idempotent. Local tracks are left running. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    this.#signaling?.leave();
    this.#local.stopScreen();
    this.#closeAll(undefined);
  }

  // ------------------------------------------------------------ media controls

  /** Mutes (false) or unmutes (true) the microphone; announced to the others. */
  setMicrophoneEnabled(enabled: boolean): void {
    this.#local.setMicrophoneEnabled(enabled);
  }

  /** Turns the camera off (stops sending video) or on; announced to the others. */
  setCameraEnabled(enabled: boolean): Promise<void> {
    return this.#local.setCameraEnabled(enabled);
  }

  /** Switches a device: replaces the camera or microphone track everywhere. Returns the old track (stop it). */
  replaceTrack(track: MediaStreamTrack): Promise<MediaStreamTrack | undefined> {
    return this.#local.replaceTrack(track);
  }

  /**
   * Shares the screen: `stream` if given (for example a canvas capture), else
   * `getDisplayMedia()`. Stops by itself when the shared video track ends.
   */
  async startScreenShare(stream?: MediaStream): Promise<MediaStream> {
    if (this.#local.screen !== null) return this.#local.screen;
    const owns = stream === undefined;
    const s = stream ?? (await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false }));
    const video = s.getVideoTracks()[0];
    video?.addEventListener('ended', () => {
      if (this.#local.screen === s) this.stopScreenShare();
    });
    this.#local.startScreen(s, owns);
    return s;
  }

  /** Stops sharing the screen. */
  stopScreenShare(): void {
    this.#local.stopScreen();
  }

  /** Changes the display name; announced to the others. */
  setName(name: string): void {
    this.localParticipant.name = name;
    this.#signaling?.send({ type: 'update', name });
  }

  // ------------------------------------------------------------ chat, files, stats

  /** Sends a chat message to everyone (over each data channel). Returns it, for local display. */
  sendChat(text: string): ChatMessage {
    checkChatText(text);
    const message: ChatMessage = {
      id: randomId(),
      from: this.localParticipant.id,
      name: this.localParticipant.name,
      text,
      ts: Date.now(),
    };
    for (const p of this.participants.values()) {
      p.link.channel.sendChat({ t: 'chat', id: message.id, text, ts: message.ts });
    }
    return message;
  }

  /**
   * Sends a file to everyone whose data channel is open; progress is emitted as
   * `fileProgress` per participant. `done` settles when every copy was sent.
   * Throws `file_too_large` above the limit (default 100 MiB), `invalid_state` when nobody can receive it.
   */
  sendFile(file: Blob, name?: string): { id: string; recipients: string[]; done: Promise<void> } {
    const max = this.#o.maxFileBytes ?? MAX_FILE_BYTES;
    if (file.size > max) throw new ClientError(ClientErrorCode.FileTooLarge, `file is larger than ${max} bytes`);
    const targets = [...this.participants.values()].filter((p) => p.link.channel.isOpen);
    if (targets.length === 0) throw new ClientError(ClientErrorCode.InvalidState, 'nobody to send the file to');
    const id = randomId();
    const fileName = name ?? (file as Blob & { name?: string }).name ?? 'file';
    const outgoing = { id, name: fileName, mime: file.type || 'application/octet-stream', blob: file };
    const done = Promise.all(targets.map((p) => p.link.channel.sendFile(outgoing))).then(() => undefined);
    return { id, recipients: targets.map((p) => p.id), done };
  }

  /** Call quality to one participant (bitrates are deltas since the previous call). */
  async getStats(participantId: string): Promise<LinkStats | undefined> {
    const p = this.participants.get(participantId);
    if (p === undefined) return undefined;
    const report = await p.pc.getStats();
    return this.#stats.sample(participantId, report.values() as Iterable<StatsEntry>, this.#clock.now());
  }

  // ------------------------------------------------------------ signaling

  #applyJoined(joined: JoinedMessage): void {
    this.localParticipant.id = joined.participantId;
    this.grants = joined.grants;
    this.#local.canPublish = joined.grants.canPublish;
    this.#iceServers = [...joined.iceServers, ...(this.#o.iceServers ?? [])];
    if (joined.mode === 'sfu') this.#log.warn('room mode is sfu; this client speaks p2p mesh only');
    for (const info of joined.participants) this.#addParticipant(info, true);
  }

  #onMessage(m: ServerMessage): void {
    switch (m.type) {
      case 'participant-joined':
        this.#addParticipant(m.participant);
        return;
      case 'participant-updated':
        this.#updateParticipant(m.participant);
        return;
      case 'participant-left':
        this.#removeParticipant(m.participantId, m.reason);
        return;
      case 'offer':
      case 'answer':
      case 'candidate': {
        const p = this.participants.get(m.from);
        if (p === undefined) {
          this.#keepEarly(m.from, m);
          return;
        }
        if (m.type === 'candidate') void p.link.handleCandidate(m.candidate);
        else void p.link.handleDescription({ type: m.type, sdp: m.sdp });
        return;
      }
      case 'error':
        this.#log.warn('server refused a message', { code: m.code, message: m.message, ref: m.ref });
        this.emit('error', new ClientError(m.code, m.message, { details: { ref: m.ref } }));
        return;
      default:
        return;
    }
  }

  #keepEarly(from: string, m: ServerMessage): void {
    let list = this.#early.get(from);
    if (list === undefined) {
      if (this.#early.size >= MAX_EARLY_PEERS) return;
      list = [];
      this.#early.set(from, list);
    }
    if (list.length < MAX_EARLY_PER_PEER) list.push(m);
  }

  #onResumed(m: ResumedMessage): void {
    this.#iceServers = [...m.iceServers, ...(this.#o.iceServers ?? [])];
    const present = new Set(m.participants.map((p) => p.id));
    for (const id of [...this.participants.keys()]) if (!present.has(id)) this.#removeParticipant(id, 'left');
    for (const info of m.participants) {
      if (this.participants.has(info.id)) this.#updateParticipant(info);
      else this.#addParticipant(info);
    }
    for (const p of this.participants.values()) {
      p.link.setIceServers(this.#iceServers);
      p.link.recover();
    }
  }

  #onRejoined(m: JoinedMessage): void {
    this.#closeAll('rejoined');
    this.#applyJoined(m);
    this.emit('rejoined', m.participantId);
  }

  #onLocalMedia(media: MediaState): void {
    this.localParticipant.media = media;
    if (this.localParticipant.id !== '') this.#signaling?.send({ type: 'update', media });
  }

  // ------------------------------------------------------------ participants

  /**
   * `initiator`: true for participants this side found already in the room (it is the
   * newcomer and makes the first offer), false for those who arrive after it.
   */
  #addParticipant(info: ParticipantInfo, initiator = false): void {
    if (this.#left || info.id === this.localParticipant.id) return;
    if (this.participants.has(info.id)) {
      this.#updateParticipant(info);
      return;
    }
    const signaling = this.#signaling;
    const link = new PeerLink({
      remoteId: info.id,
      polite: isPolite(this.localParticipant.id, info.id),
      initiator,
      configuration: { iceServers: this.#iceServers, iceTransportPolicy: this.#o.iceTransportPolicy ?? 'all' },
      clock: this.#clock,
      logger: this.#log,
      signal: (msg) => signaling?.send(msg),
      ...(this.#o.maxFileBytes === undefined ? {} : { maxFileBytes: this.#o.maxFileBytes }),
      ...(this.#o.createPeerConnection === undefined ? {} : { createPeerConnection: this.#o.createPeerConnection }),
    });
    const p = new RemoteParticipant(info, link);
    this.participants.set(p.id, p);
    link.onListenerError = this.onListenerError;
    link.channel.onListenerError = this.onListenerError;
    link.on('track', (track, streams) => this.#onTrack(p, track, streams));
    link.on('connectionState', (s) => this.emit('peerConnectionStateChanged', p, s));
    link.channel.on('chat', (f) =>
      this.emit('chatMessage', { id: f.id, from: p.id, name: p.name, text: f.text, ts: f.ts }),
    );
    link.channel.on('fileProgress', (f) => this.emit('fileProgress', { ...f, participantId: p.id }));
    link.channel.on('fileReceived', (f) => this.emit('fileReceived', { ...f, from: p.id }));
    link.channel.on('error', (e) => this.emit('error', e));
    this.#local.attach(link);
    this.emit('participantJoined', p);
    const early = this.#early.get(p.id);
    this.#early.delete(p.id);
    for (const m of early ?? []) this.#onMessage(m);
  }

  #updateParticipant(info: ParticipantInfo): void {
    const p = this.participants.get(info.id);
    if (p === undefined) return;
    p.update(info);
    this.emit('participantUpdated', p);
  }

  #onTrack(p: RemoteParticipant, track: MediaStreamTrack, streams: readonly MediaStream[]): void {
    const stream = streams[0] ?? new MediaStream([track]);
    if (p.addStream(stream)) {
      stream.addEventListener('removetrack', (ev: MediaStreamTrackEvent) => {
        const info: TrackInfo = { participant: p, track: ev.track, stream, source: p.sourceOf(stream) };
        if (stream.getTracks().length === 0) p.removeStream(stream);
        if (this.participants.get(p.id) === p) this.emit('trackRemoved', info);
      });
    }
    this.emit('trackAdded', { participant: p, track, stream, source: p.sourceOf(stream) });
  }

  #removeParticipant(id: string, reason: LeaveReason | 'rejoined'): void {
    const p = this.participants.get(id);
    this.#early.delete(id);
    if (p === undefined) return;
    this.participants.delete(id);
    this.#stats.forget(id);
    this.#local.detach(p.link);
    p.link.close();
    for (const stream of p.streams.values()) {
      for (const track of stream.getTracks()) {
        this.emit('trackRemoved', { participant: p, track, stream, source: p.sourceOf(stream) });
      }
    }
    this.emit('participantLeft', p, reason);
  }

  /** Closes every link; emits participantLeft with `reason` unless it is undefined. */
  #closeAll(reason: LeaveReason | 'rejoined' | undefined): void {
    for (const id of [...this.participants.keys()]) {
      if (reason !== undefined) {
        this.#removeParticipant(id, reason);
        continue;
      }
      const p = this.participants.get(id);
      this.participants.delete(id);
      if (p !== undefined) {
        this.#local.detach(p.link);
        p.link.close();
      }
    }
    this.#early.clear();
  }
}
