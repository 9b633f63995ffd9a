/**
 * A participant's media in an `sfu` room: exactly two RTCPeerConnections to the server
 * whatever the room size — `publisher` (SfuPublisher: what this side sends) and
 * `subscriber` (SfuSubscriber: everyone else's tracks) — and the relayed data channel
 * (chat and files as `data` messages, see signal-channel.ts): one `broadcast` channel to
 * send to everyone, and one receive channel per remote participant (`linkFor`).
 * The Room routes `published`, `subscribe` and SFU errors here (`handle`).
 *
 * When the server closes one of its media transports (`error` `sfu_transport_closed`,
 * e.g. consent freshness expired, RFC 7675), that connection is started afresh: a new
 * publish connection (the Room re-attaches local media: `publisherReplaced`), or a new
 * subscribe connection and `resubscribe { iceRestart: true }` (its tracks end first).
 */
import { type Clock, type Logger, TypedEmitter } from '@itda/common';
import { ErrorCode, type JoinedMessage, type ServerMessage, type SubscribeTrack } from '@itda/protocol';
import type { VideoCodec } from './codec-preference.ts';
import { ClientError } from './errors.ts';
import type { RemoteLink } from './participant.ts';
import { PeerChannel } from './peer-channel.ts';
import { SfuPublisher } from './sfu-publisher.ts';
import { SfuSubscriber } from './sfu-subscriber.ts';
import { dataLimits, SignalDataChannel } from './signal-channel.ts';
import type { OutgoingMessage } from './signaling-client.ts';
import { type StatsEntry, sfuParticipantEntries } from './stats.ts';

export interface SfuSessionOptions {
  configuration: RTCConfiguration;
  clock: Clock;
  logger: Logger;
  signal: (message: OutgoingMessage) => void;
  /** The server's limits from `joined` (the `data` budget). */
  limits: JoinedMessage['limits'];
  /** The local screen share (to label its tracks `screen`). */
  screen: () => MediaStream | null;
  maxFileBytes?: number;
  /** The publish connection's video codec (RoomOptions.videoCodec). */
  videoCodec?: VideoCodec;
  /** Send the camera as simulcast layers (RoomOptions.simulcast). */
  simulcast?: boolean;
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
}

export type SfuSessionEvents = {
  /** The publish connection was replaced (the server closed its transport): move local media to `next`. */
  publisherReplaced: [old: SfuPublisher, next: SfuPublisher];
  track: [info: SubscribeTrack, track: MediaStreamTrack];
  ended: [info: SubscribeTrack, track: MediaStreamTrack | undefined];
  /** The subscribe connection's state (what remote participants' `connectionState` shows). */
  connectionState: [state: RTCPeerConnectionState];
  error: [err: ClientError];
};

/**
 * SFU error codes that answer `subscribed`/`resubscribe` and need no action: a newer offer
 * follows (`sfu_bad_answer`: the server voided the offer it answered and offers again;
 * should it stop, the subscriber's connect deadline asks for a fresh one).
 */
const QUIET_SUBSCRIBE_ERRORS = new Set(['sfu_stale_version', 'sfu_bad_answer']);

export class SfuSession extends TypedEmitter<SfuSessionEvents> {
  #publisher: SfuPublisher;
  #subscriber: SfuSubscriber;
  /** Sends chat frames and files to everyone in the room. */
  readonly broadcast: PeerChannel;
  readonly #broadcastChannel: SignalDataChannel;
  readonly #o: SfuSessionOptions;
  readonly #log: Logger;
  readonly #receivers = new Set<SignalDataChannel>();
  #closed = false;

  constructor(options: SfuSessionOptions) {
    super();
    this.#o = options;
    this.#log = options.logger.child('sfu');
    this.#publisher = this.#newPublisher();
    this.#subscriber = this.#newSubscriber();
    this.#broadcastChannel = this.#dataChannel(undefined);
    this.broadcast = new PeerChannel(this.#broadcastChannel, {
      maxFileBytes: options.maxFileBytes,
      chunkBytes: dataLimits(options.limits).chunkBytes,
    });
  }

  /** The publish connection (replaced when the server closes its transport). */
  get publisher(): SfuPublisher {
    return this.#publisher;
  }

  /** The subscribe connection (replaced when the server closes its transport). */
  get subscriber(): SfuSubscriber {
    return this.#subscriber;
  }

  #common(): { configuration: RTCConfiguration; clock: Clock; logger: Logger } & Pick<
    SfuSessionOptions,
    'createPeerConnection'
  > {
    const o = this.#o;
    return {
      configuration: o.configuration,
      clock: o.clock,
      logger: this.#log,
      ...(o.createPeerConnection === undefined ? {} : { createPeerConnection: o.createPeerConnection }),
    };
  }

  #newPublisher(): SfuPublisher {
    const pub = new SfuPublisher({
      ...this.#common(),
      send: this.#o.signal,
      screen: this.#o.screen,
      ...(this.#o.videoCodec === undefined ? {} : { videoCodec: this.#o.videoCodec }),
      ...(this.#o.simulcast === true ? { simulcast: true } : {}),
    });
    pub.on('error', (e) => this.emit('error', e));
    return pub;
  }

  #newSubscriber(): SfuSubscriber {
    const sub = new SfuSubscriber({ ...this.#common(), send: this.#o.signal });
    sub.on('error', (e) => this.emit('error', e));
    sub.on('track', (info, track) => this.emit('track', info, track));
    sub.on('ended', (info, track) => this.emit('ended', info, track));
    const pc = sub.pc;
    pc.onconnectionstatechange = () => this.emit('connectionState', pc.connectionState);
    return sub;
  }

  /** The server closed the transport of one connection: start that connection afresh. */
  #transportClosed(role: 'publish' | 'subscribe'): void {
    this.#log.info('the server closed a media transport; starting the connection afresh', { role });
    if (role === 'publish') {
      const old = this.#publisher;
      this.#publisher = this.#newPublisher();
      this.emit('publisherReplaced', old, this.#publisher);
      old.close();
      return;
    }
    const old = this.#subscriber;
    const ended = old.current();
    old.pc.onconnectionstatechange = null;
    old.close();
    this.#subscriber = this.#newSubscriber();
    for (const { info, track } of ended) this.emit('ended', info, track);
    this.#o.signal({ type: 'resubscribe', iceRestart: true });
  }

  #dataChannel(to: string | undefined): SignalDataChannel {
    const { limits } = this.#o;
    return new SignalDataChannel({
      clock: this.#o.clock,
      maxPayload: dataLimits(limits).maxPayload,
      send: (payload) => this.#o.signal(to === undefined ? { type: 'data', payload } : { type: 'data', to, payload }),
      ...(limits.dataBytesPerSecond === undefined ? {} : { bytesPerSecond: limits.dataBytesPerSecond }),
      ...(limits.dataBurstBytes === undefined ? {} : { burstBytes: limits.dataBurstBytes }),
    });
  }

  /** The two connections: publish, subscribe. */
  get peerConnections(): RTCPeerConnection[] {
    return [this.publisher.pc, this.subscriber.pc];
  }

  /** The link of one remote participant: the subscribe connection and a receive channel for its data. */
  linkFor(participantId: string): RemoteLink {
    const ch = this.#dataChannel(participantId);
    this.#receivers.add(ch);
    const channel = new PeerChannel(ch, { maxFileBytes: this.#o.maxFileBytes, ignoreStrayFrames: true });
    const pcOf = (): RTCPeerConnection => this.#subscriber.pc;
    const receivers = this.#receivers;
    return {
      get pc(): RTCPeerConnection {
        return pcOf();
      },
      channel,
      close: () => {
        channel.close();
        ch.close();
        receivers.delete(ch);
      },
    };
  }

  /** Routes a server message; true when it was the session's. */
  handle(m: ServerMessage): boolean {
    if (this.#closed) return false;
    switch (m.type) {
      case 'published':
        void this.publisher.handlePublished(m.sdp);
        return true;
      case 'subscribe':
        void this.subscriber.handleSubscribe(m);
        return true;
      case 'error': {
        if (m.code === ErrorCode.SfuTransportClosed) {
          // `ref` names the connection; without one, the message starts with it.
          const role = m.ref === 'subscribe' || (m.ref === undefined && m.message.startsWith('subscribe'));
          this.#transportClosed(role ? 'subscribe' : 'publish');
          return true;
        }
        const err = ClientError.fromServer(m);
        if (m.ref === 'publish') {
          void this.publisher.handleError(err);
          return true;
        }
        if (m.ref === 'subscribed' || m.ref === 'resubscribe') {
          if (QUIET_SUBSCRIBE_ERRORS.has(m.code)) this.#log.debug('subscribe answer refused', { code: m.code });
          else this.emit('error', err);
          return true;
        }
        return false;
      }
      default:
        return false;
    }
  }

  /** The signaling connection is up (`true`) or down: relayed data waits meanwhile. */
  setConnected(connected: boolean): void {
    this.#broadcastChannel.setConnected(connected);
    for (const ch of this.#receivers) ch.setConnected(connected);
  }

  /** After `resumed`: resend an unanswered publish; restart ICE where it is broken. */
  recover(): void {
    this.publisher.recover();
    this.subscriber.recover();
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    for (const pc of this.peerConnections) {
      try {
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
      } catch (err) {
        this.#log.warn('setConfiguration failed', { err: String(err) });
      }
    }
  }

  /** Stats entries for one remote participant (see `sfuParticipantEntries`). */
  async statsFor(participantId: string): Promise<StatsEntry[]> {
    const mids = new Set<string>();
    const trackIds = new Set<string>();
    for (const { info, track } of this.subscriber.current()) {
      if (info.participantId !== participantId) continue;
      mids.add(info.mid);
      trackIds.add(track.id);
    }
    const [sub, pub] = await Promise.all([this.subscriber.pc.getStats(), this.publisher.pc.getStats()]);
    return sfuParticipantEntries(sub.values() as Iterable<StatsEntry>, pub.values() as Iterable<StatsEntry>, {
      mids,
      trackIds,
    });
  }

  /** Closes both connections and the data channels. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.broadcast.close();
    this.broadcast.removeAllListeners();
    this.#broadcastChannel.close();
    for (const ch of this.#receivers) ch.close();
    this.#receivers.clear();
    this.#subscriber.pc.onconnectionstatechange = null;
    this.#publisher.close();
    this.#subscriber.close();
    this.removeAllListeners();
  }
}
