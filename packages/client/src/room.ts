/**
 * A call: `new Room(options)`, `await room.join({ room, name, localStream })`,
 * `room.leave()`. Typed events are listed in `RoomEvent`. The same API and events in
 * both room modes (`room.mode`, from `joined`):
 *
 * - `p2p`: a mesh — one RTCPeerConnection per remote participant. The newcomer learns
 *   the others from `joined`, the others learn of it from `participant-joined`; both
 *   sides create the connection and `negotiationneeded` drives the offers (perfect
 *   negotiation, see PeerLink). Chat and files go over each connection's data channel
 *   (see PeerChannel, docs/client.md).
 * - `sfu`: two RTCPeerConnections to the server whatever the room size — publish and
 *   subscribe (SfuSession) — and chat and files relayed by the server as `data`
 *   messages in the same framing (signal-channel.ts).
 */
import { type Clock, type Logger, silentLogger, systemClock, TypedEmitter } from '@itda/common';
import type {
  ActiveSpeakerMessage,
  Grants,
  JoinedMessage,
  LeaveReason,
  MediaState,
  ModerateMessage,
  ParticipantInfo,
  ResumedMessage,
  RoomMode,
  RoomState,
  ServerMessage,
  SubscribeTrack,
  VideoQuality,
} from '@itda/protocol';
import { displayNameProblem, ErrorCode } from '@itda/protocol';
import { ClientError, ClientErrorCode } from './errors.ts';
import { randomId } from './ids.ts';
import { LocalMedia } from './local-media.ts';
import { MeshLinks } from './mesh-links.ts';
import { RemoteParticipant } from './participant.ts';
import type { ChannelFileProgress, PeerChannel } from './peer-channel.ts';
import { checkChatText, MAX_FILE_BYTES } from './peer-protocol.ts';
import type { ChatMessage, Knock, LocalParticipant, RoomEvents, TrackInfo } from './room-events.ts';
import { defaultSignalingUrl, type JoinOptions, type RoomOptions } from './room-options.ts';
import { SfuSession } from './sfu-session.ts';
import { addSfuTrack, removeSfuTrack } from './sfu-streams.ts';
import { decodeSignalPayload } from './signal-channel.ts';
import { type ConnectionState, SignalingClient } from './signaling-client.ts';
import { type LinkStats, type StatsEntry, StatsSampler } from './stats.ts';

/** A host's action: `moderate`'s message without its type. */
export type ModerationRequest = Omit<ModerateMessage, 'type'>;

export class Room extends TypedEmitter<RoomEvents> {
  /** Remote participants by id. */
  readonly participants = new Map<string, RemoteParticipant>();
  /** This participant; `id` is '' until joined. */
  readonly localParticipant: LocalParticipant = {
    id: '',
    name: '',
    media: { audio: false, video: false, screenStreamId: null },
    speaking: false,
  };
  /** The dominant speaker's participant id (`sfu` rooms; undefined before anyone spoke). */
  activeSpeaker: string | undefined;
  /** Room name once joined. */
  name = '';
  grants: Grants = { canPublish: true, canSubscribe: true, canRename: true };
  /** Locked / lobby, as the server last said (`roomStateChanged`). */
  roomState: RoomState = { locked: false, lobby: false };
  /** Hosts: who waits in the lobby now, by id. */
  readonly knocks = new Map<string, Knock>();
  /** This participant's devices a host forced off: turning them on throws `forbidden` until released. */
  readonly held = new Set<'audio' | 'video'>();
  readonly #o: RoomOptions;
  #mode: RoomMode = 'p2p';
  /** p2p rooms: the link to each remote participant. */
  readonly #mesh: MeshLinks;
  /** sfu rooms: the two connections to the server and the relayed data channel. */
  #sfu: SfuSession | undefined;
  /** sfu rooms: who each outgoing file goes to (progress is reported per recipient). */
  readonly #fileRecipients = new Map<string, string[]>();
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #stats = new StatsSampler();
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
    this.#mesh = new MeshLinks({
      clock: this.#clock,
      logger: this.#log,
      signal: (msg) => this.#signaling?.send(msg),
      configuration: () => this.#configuration(),
      localId: () => this.localParticipant.id,
      ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }),
      ...(options.createPeerConnection === undefined ? {} : { createPeerConnection: options.createPeerConnection }),
    });
  }

  /** Signaling connection state. */
  get connectionState(): ConnectionState {
    return this.#signaling?.state ?? 'disconnected';
  }

  /** The room's mode, from `joined`: `p2p` (a mesh) or `sfu` (through the server). */
  get mode(): RoomMode {
    return this.#mode;
  }

  /**
   * This side's RTCPeerConnections: one per remote participant in a p2p room; exactly
   * two (publish, subscribe) in an sfu room, whatever its size.
   */
  get peerConnections(): RTCPeerConnection[] {
    return this.#sfu !== undefined ? this.#sfu.peerConnections : this.#mesh.peerConnections;
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
    signaling.on('state', (s) => {
      this.#sfu?.setConnected(s === 'connected');
      this.emit('connectionStateChanged', s);
    });
    signaling.on('message', (m) => this.#onMessage(m));
    signaling.on('resumed', (m) => this.#onResumed(m));
    signaling.on('rejoined', (m) => this.#onRejoined(m));
    signaling.on('error', (e) => this.emit('error', e));
    signaling.on('lobby', () => this.emit('lobby'));
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

  /** Whether this participant may moderate the room (`grants.roomAdmin`). */
  get isHost(): boolean {
    return this.grants.roomAdmin === true;
  }

  /**
   * A host's action (docs/signaling.md "Moderation"): `mute` a participant's `audio` or
   * `video`, `remove` them (banned from the room), `lock`/`unlock`, `lobby-on`/`lobby-off`,
   * `admit`/`deny` a knock. Throws ClientError `forbidden` when not host; the server's
   * refusals (`unknown_participant`, `room_full`, …) come as `error` events.
   */
  moderate(request: ModerationRequest): void {
    if (!this.isHost) throw new ClientError(ErrorCode.Forbidden, 'only a host may moderate this room');
    this.#signaling?.send({ type: 'moderate', ...request });
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
    if (enabled && this.held.has('audio')) {
      throw new ClientError(ErrorCode.Forbidden, 'a host has turned your microphone off until they release it');
    }
    this.#local.setMicrophoneEnabled(enabled);
  }

  /** Turns the camera off (stops sending video) or on; announced to the others. */
  setCameraEnabled(enabled: boolean): Promise<void> {
    if (enabled && this.held.has('video')) {
      return Promise.reject(
        new ClientError(ErrorCode.Forbidden, 'a host has turned your camera off until they release it'),
      );
    }
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

  /**
   * sfu rooms: the quality of `participantId`'s video this participant receives — with a
   * simulcast publisher, `high` the best layer it sends, `medium` one below, `low` the
   * lowest (e.g. `low` for a small tile). The SFU switches at the next keyframe. No effect
   * in p2p rooms or for a publisher without simulcast. Default `high`.
   */
  setVideoQuality(participantId: string, quality: VideoQuality): void {
    if (this.#sfu === undefined) return;
    this.#signaling?.send({ type: 'quality', participantId, quality });
  }

  /**
   * Changes the display name; announced to the others. Throws `bad_message` for a name
   * that breaks the display-name rule of @itda/protocol, and `forbidden` when the room
   * token set the name and does not grant renaming (`grants.canRename`).
   */
  setName(name: string): void {
    const problem = displayNameProblem(name);
    if (problem !== undefined) throw new ClientError(ErrorCode.BadMessage, problem);
    if (!this.grants.canRename) throw new ClientError(ErrorCode.Forbidden, 'the room token does not grant renaming');
    name = name.trim();
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
    const frame = { t: 'chat' as const, id: message.id, text, ts: message.ts };
    if (this.#sfu !== undefined) {
      if (this.participants.size > 0) this.#sfu.broadcast.sendChat(frame);
      return message;
    }
    for (const p of this.participants.values()) p.link.channel.sendChat(frame);
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
    const sfu = this.#sfu;
    const targets = [...this.participants.values()].filter((p) => sfu !== undefined || p.link.channel.isOpen);
    if (targets.length === 0) throw new ClientError(ClientErrorCode.InvalidState, 'nobody to send the file to');
    const id = randomId();
    const fileName = name ?? (file as Blob & { name?: string }).name ?? 'file';
    const outgoing = { id, name: fileName, mime: file.type || 'application/octet-stream', blob: file };
    const recipients = targets.map((p) => p.id);
    if (sfu !== undefined) {
      // One copy through the server to everyone; progress is reported per recipient.
      this.#fileRecipients.set(id, recipients);
      const done = sfu.broadcast.sendFile(outgoing).finally(() => this.#fileRecipients.delete(id));
      return { id, recipients, done };
    }
    const done = Promise.all(targets.map((p) => p.link.channel.sendFile(outgoing))).then(() => undefined);
    return { id, recipients, done };
  }

  /** Call quality to one participant (bitrates are deltas since the previous call). */
  async getStats(participantId: string): Promise<LinkStats | undefined> {
    const p = this.participants.get(participantId);
    if (p === undefined) return undefined;
    if (this.#sfu !== undefined) {
      const entries = await this.#sfu.statsFor(participantId);
      return this.#stats.sample(participantId, entries, this.#clock.now());
    }
    const report = await p.pc.getStats();
    return this.#stats.sample(participantId, report.values() as Iterable<StatsEntry>, this.#clock.now());
  }

  // ------------------------------------------------------------ signaling

  #applyJoined(joined: JoinedMessage): void {
    this.localParticipant.id = joined.participantId;
    this.grants = joined.grants;
    this.roomState = joined.roomState ?? { locked: false, lobby: false };
    this.#local.canPublish = joined.grants.canPublish;
    this.#iceServers = [...joined.iceServers, ...(this.#o.iceServers ?? [])];
    this.#mode = joined.mode;
    if (joined.mode === 'sfu') this.#startSfu(joined);
    else if (joined.mode !== 'p2p') this.#log.warn('unknown room mode; speaking p2p', { mode: joined.mode });
    for (const info of joined.participants) this.#addParticipant(info, true);
  }

  #configuration(): RTCConfiguration {
    return { iceServers: this.#iceServers, iceTransportPolicy: this.#o.iceTransportPolicy ?? 'all' };
  }

  #startSfu(joined: JoinedMessage): void {
    const signaling = this.#signaling;
    const sfu = new SfuSession({
      configuration: this.#configuration(),
      clock: this.#clock,
      logger: this.#log,
      signal: (msg) => signaling?.send(msg),
      limits: joined.limits,
      screen: () => this.#local.screen,
      ...(this.#o.videoCodec === undefined ? {} : { videoCodec: this.#o.videoCodec }),
      ...(this.#o.simulcast === true ? { simulcast: true } : {}),
      ...(this.#o.maxFileBytes === undefined ? {} : { maxFileBytes: this.#o.maxFileBytes }),
      ...(this.#o.createPeerConnection === undefined ? {} : { createPeerConnection: this.#o.createPeerConnection }),
    });
    this.#sfu = sfu;
    sfu.onListenerError = this.onListenerError;
    sfu.broadcast.onListenerError = this.onListenerError;
    sfu.on('track', (info, track) => this.#onSfuTrack(info, track));
    sfu.on('ended', (info, track) => this.#onSfuEnded(info, track));
    sfu.on('error', (e) => this.emit('error', e));
    sfu.on('connectionState', (state) => {
      for (const p of this.participants.values()) this.emit('peerConnectionStateChanged', p, state);
    });
    sfu.broadcast.on('fileProgress', (f: ChannelFileProgress) => {
      for (const participantId of this.#fileRecipients.get(f.id) ?? [])
        this.emit('fileProgress', { ...f, participantId });
    });
    sfu.broadcast.on('error', (e) => this.emit('error', e));
    sfu.on('publisherReplaced', (old, next) => {
      this.#local.detach(old);
      this.#local.attach(next);
    });
    this.#local.attach(sfu.publisher);
  }

  #onSfuTrack(info: SubscribeTrack, track: MediaStreamTrack): void {
    const p = this.participants.get(info.participantId);
    if (p === undefined) return; // replayed from the subscriber when the participant is announced
    const { stream, source } = addSfuTrack(p, info, track);
    this.emit('trackAdded', { participant: p, track, stream, source });
  }

  #onSfuEnded(info: SubscribeTrack, track: MediaStreamTrack | undefined): void {
    const p = this.participants.get(info.participantId);
    if (p === undefined) return;
    const removed = removeSfuTrack(p, info, track);
    if (removed !== undefined) this.emit('trackRemoved', { participant: p, ...removed });
  }

  #onMessage(m: ServerMessage): void {
    if (this.#sfu?.handle(m) === true) return;
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
      case 'moderated':
        if (m.action === 'release') {
          this.held.delete(m.kind);
        } else {
          // A host muted us: turn that device off (forced: and keep it off until released).
          if (m.kind === 'audio') this.setMicrophoneEnabled(false);
          else void this.setCameraEnabled(false).catch(() => undefined);
          if (m.forced === true) this.held.add(m.kind);
        }
        this.emit('moderated', { action: m.action, kind: m.kind, by: m.by, forced: m.forced === true });
        return;
      case 'room-state':
        this.roomState = { locked: m.locked, lobby: m.lobby };
        this.emit('roomStateChanged', this.roomState, m.by);
        return;
      case 'knock': {
        const knock: Knock = { id: m.participant.id, name: m.participant.name, identity: m.participant.identity };
        this.knocks.set(knock.id, knock);
        this.emit('knock', knock);
        return;
      }
      case 'knock-ended':
        this.knocks.delete(m.participantId);
        this.emit('knockEnded', m.participantId, m.outcome);
        return;
      case 'offer':
      case 'answer':
      case 'candidate':
        if (this.#sfu === undefined) this.#mesh.route(m);
        return;
      case 'data': {
        // Relayed chat and files (sfu rooms); p2p rooms use their data channels.
        const p = this.#sfu === undefined ? undefined : this.participants.get(m.from);
        if (p === undefined) return;
        let frame: string | ArrayBuffer;
        try {
          frame = decodeSignalPayload(m.payload);
        } catch (err) {
          if (err instanceof ClientError) this.emit('error', err);
          return;
        }
        p.link.channel.receive(frame);
        return;
      }
      case 'active-speaker':
        this.#onActiveSpeaker(m);
        return;
      case 'error':
        this.#log.warn('server refused a message', { code: m.code, message: m.message, ref: m.ref });
        this.emit('error', ClientError.fromServer(m));
        return;
      default:
        return;
    }
  }

  /** `active-speaker`: each participant's `speaking` and the dominant speaker, with their events. */
  #onActiveSpeaker(m: ActiveSpeakerMessage): void {
    const speaking = new Set(m.speaking);
    const local = this.localParticipant;
    if (local.speaking !== speaking.has(local.id)) {
      local.speaking = !local.speaking;
      this.emit('speakingChanged', local.id, local.speaking);
    }
    for (const p of this.participants.values()) {
      p.audioLevel = m.levels[p.id] ?? 0;
      if (p.speaking === speaking.has(p.id)) continue;
      p.speaking = !p.speaking;
      this.emit('speakingChanged', p.id, p.speaking);
    }
    const dominant = m.dominant ?? undefined;
    if (dominant !== this.activeSpeaker) {
      this.activeSpeaker = dominant;
      this.emit('activeSpeakerChanged', dominant);
    }
  }

  #onResumed(m: ResumedMessage): void {
    this.#iceServers = [...m.iceServers, ...(this.#o.iceServers ?? [])];
    const present = new Set(m.participants.map((p) => p.id));
    for (const id of [...this.participants.keys()]) if (!present.has(id)) this.#removeParticipant(id, 'left');
    for (const info of m.participants) {
      if (this.participants.has(info.id)) this.#updateParticipant(info);
      else this.#addParticipant(info);
    }
    this.#mesh.recover(this.#iceServers);
    this.#sfu?.setIceServers(this.#iceServers);
    this.#sfu?.recover();
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
    const sfu = this.#sfu;
    if (sfu !== undefined) {
      const p = new RemoteParticipant(info, sfu.linkFor(info.id));
      this.participants.set(p.id, p);
      this.#wireChannel(p, p.link.channel);
      this.emit('participantJoined', p);
      for (const { info: t, track } of sfu.subscriber.current())
        if (t.participantId === p.id) this.#onSfuTrack(t, track);
      return;
    }
    const link = this.#mesh.create(info.id, initiator);
    const p = new RemoteParticipant(info, link);
    this.participants.set(p.id, p);
    link.onListenerError = this.onListenerError;
    link.on('track', (track, streams) => this.#onTrack(p, track, streams));
    link.on('connectionState', (s) => this.emit('peerConnectionStateChanged', p, s));
    this.#wireChannel(p, link.channel);
    this.#local.attach(link);
    this.emit('participantJoined', p);
    this.#mesh.replayEarly(p.id);
  }

  /** Chat, files and errors from one participant's channel become Room events. */
  #wireChannel(p: RemoteParticipant, channel: PeerChannel): void {
    channel.onListenerError = this.onListenerError;
    channel.on('chat', (f) => this.emit('chatMessage', { id: f.id, from: p.id, name: p.name, text: f.text, ts: f.ts }));
    channel.on('fileProgress', (f) => this.emit('fileProgress', { ...f, participantId: p.id }));
    channel.on('fileReceived', (f) => this.emit('fileReceived', { ...f, from: p.id }));
    channel.on('error', (e) => this.emit('error', e));
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
    if (p === undefined) {
      this.#mesh.remove(id);
      return;
    }
    this.participants.delete(id);
    this.#stats.forget(id);
    this.#dropLink(p);
    for (const stream of p.streams.values()) {
      for (const track of stream.getTracks()) {
        this.emit('trackRemoved', { participant: p, track, stream, source: p.sourceOf(stream) });
      }
    }
    this.emit('participantLeft', p, reason);
  }

  #dropLink(p: RemoteParticipant): void {
    const link = this.#mesh.remove(p.id);
    if (link !== undefined) this.#local.detach(link);
    p.link.close();
  }

  /** Closes every link (and the SFU session); emits participantLeft with `reason` unless it is undefined. */
  #closeAll(reason: LeaveReason | 'rejoined' | undefined): void {
    for (const id of [...this.participants.keys()]) {
      if (reason !== undefined) {
        this.#removeParticipant(id, reason);
        continue;
      }
      const p = this.participants.get(id);
      this.participants.delete(id);
      if (p !== undefined) this.#dropLink(p);
    }
    this.#mesh.clearEarly();
    const sfu = this.#sfu;
    this.#sfu = undefined;
    if (sfu !== undefined) {
      this.#local.detach(sfu.publisher);
      sfu.close();
    }
    this.#fileRecipients.clear();
  }
}
