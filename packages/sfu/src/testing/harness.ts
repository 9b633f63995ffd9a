/**
 * An SFU on loopback driven without signaling: an `RtcServer` on 127.0.0.1 (ephemeral
 * UDP and TCP ports), an `SfuService` over it, and participants whose `send` callback
 * is the test's. A participant publishes with one `TestPeer` and answers every
 * `subscribe` offer with another, as the web client does (docs/sfu/testing.md).
 * With `api: 'message-port'` the participants reach the service through its API
 * (`SfuClient` → a worker_threads MessageChannel → `SfuHost`), as signaling does.
 */
import { MessageChannel } from 'node:worker_threads';
import type { Clock, Logger } from '@itda/common';
import { systemClock } from '@itda/common';
import type { StreamGuardLimits } from '@itda/common/node';
import { SfuHost } from '../api/host.ts';
import { messagePortLink, SfuClient, type SfuEvent, type SfuRequest } from '../api/index.ts';
import type { DtlsCertificate } from '../dtls/index.ts';
import { RtcServer } from '../node/index.ts';
import type { TrackSource, WebRtcTransport } from '../router/index.ts';
import { type AnnouncedCandidate, type SfuOutMessage, SfuService, type TransportFactory } from '../session/index.ts';
import { TestPeer } from './peer.ts';
import type { PublishOfferOptions, PublishTrackSpec, SubscribeTrack } from './sdp.ts';

export interface SfuHarnessOptions {
  /** Clock of the server and the service (a ManualClock drives consent and throttles). Default systemClock. */
  clock?: Clock;
  /** RtcServer consent timeout, ms. Default 30,000. */
  consentTimeoutMs?: number;
  /** RtcServer media worker threads (docs/sfu/workers.md). Default 0. */
  mediaWorkers?: number;
  /** RtcServer bind address: 127.0.0.1 (default) or a wildcard (`0.0.0.0`), still announcing 127.0.0.1. */
  host?: '127.0.0.1' | '0.0.0.0';
  /** The ICE-TCP port's limits (RtcServer `tcpLimits`). Default: RtcServer's. */
  tcpLimits?: StreamGuardLimits;
  logger?: Logger;
  /**
   * How participants reach the service: `direct` method calls (default), or its API over a
   * real MessageChannel (every message structured-cloned, every answer later).
   */
  api?: 'direct' | 'message-port';
}

/** What a participant calls: the service itself, or the SfuClient in front of it. */
export type HarnessBackend = Pick<
  SfuService,
  'addParticipant' | 'publish' | 'subscribed' | 'resubscribe' | 'setQuality' | 'resumed' | 'removeParticipant'
>;

export interface JoinOptions {
  room?: string;
  /** How both of this participant's peers connect. Default `udp`. */
  protocol?: 'udp' | 'tcp';
  canPublish?: boolean;
  canSubscribe?: boolean;
  /** Subscribe mids to reject in every answer. */
  reject?: readonly string[];
  /** Present this certificate in DTLS instead of the one our SDP fingerprints (an impostor). */
  dtlsCertificate?: DtlsCertificate;
  /** Connect timeout of this participant's peers, ms. Default 5,000. */
  connectTimeoutMs?: number;
  /** Do not answer subscribe offers (they stay in `messages`; answer them with `answer`). Default false. */
  manualAnswers?: boolean;
  /**
   * Awaited before each answer is made and sent: the time an offer and its answer spend
   * on the network and in the browser, during which the server's state moves on (join
   * storms). Default: none.
   */
  answerDelay?: () => Promise<void>;
}

/** The RtcServer as the service's TransportFactory, keeping the transports it hands out. */
class TransportTracker implements TransportFactory {
  readonly live = new Set<WebRtcTransport>();
  created = 0;
  readonly #server: RtcServer;

  constructor(server: RtcServer) {
    this.#server = server;
  }

  get candidates(): readonly AnnouncedCandidate[] {
    return this.#server.candidates;
  }

  createTransport(): WebRtcTransport {
    const t = this.#server.createTransport();
    this.created++;
    this.live.add(t);
    t.on('closed', () => this.live.delete(t));
    return t;
  }
}

export class SfuHarness {
  readonly server: RtcServer;
  readonly service: SfuService;
  readonly clock: Clock;
  /** What participants call: `service`, or with `api: 'message-port'` the `client`. */
  readonly backend: HarnessBackend;
  /** With `api: 'message-port'`: the API's two ends. */
  readonly client: SfuClient | undefined;
  readonly host: SfuHost | undefined;
  readonly participants = new Map<string, TestParticipant>();
  readonly #tracker: TransportTracker;

  private constructor(
    server: RtcServer,
    service: SfuService,
    clock: Clock,
    tracker: TransportTracker,
    api?: { client: SfuClient; host: SfuHost },
  ) {
    this.#tracker = tracker;
    this.server = server;
    this.service = service;
    this.clock = clock;
    this.client = api?.client;
    this.host = api?.host;
    this.backend = api?.client ?? service;
  }

  static async start(options: SfuHarnessOptions = {}): Promise<SfuHarness> {
    const clock = options.clock ?? systemClock;
    const server = await RtcServer.listen({
      host: options.host ?? '127.0.0.1',
      announcedAddresses: ['127.0.0.1'],
      udpPort: 0,
      tcpPort: 0,
      clock,
      ...(options.consentTimeoutMs === undefined ? {} : { consentTimeoutMs: options.consentTimeoutMs }),
      ...(options.mediaWorkers === undefined ? {} : { mediaWorkers: options.mediaWorkers }),
      ...(options.tcpLimits === undefined ? {} : { tcpLimits: options.tcpLimits }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const tracker = new TransportTracker(server);
    const serviceOptions = {
      transports: tracker,
      clock,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    };
    if (options.api === 'message-port') {
      const { port1, port2 } = new MessageChannel();
      const host = new SfuHost({ ...serviceOptions, link: messagePortLink<SfuEvent, SfuRequest>(port2) });
      const client = new SfuClient({ link: messagePortLink<SfuRequest, SfuEvent>(port1), clock });
      return new SfuHarness(server, host.service, clock, tracker, { client, host });
    }
    return new SfuHarness(server, new SfuService(serviceOptions), clock, tracker);
  }

  /** Transports the service created that are not closed yet (to inspect producers and consumers). */
  get transports(): ReadonlySet<WebRtcTransport> {
    return this.#tracker.live;
  }

  /** Transports the service created in all. */
  get transportsCreated(): number {
    return this.#tracker.created;
  }

  /** Adds a participant to the service (its `send` records messages and answers offers). */
  join(id: string, options: JoinOptions = {}): TestParticipant {
    const p = new TestParticipant(this, id, options);
    this.participants.set(id, p);
    this.backend.addParticipant(
      {
        room: p.room,
        id,
        name: id,
        canPublish: options.canPublish ?? true,
        canSubscribe: options.canSubscribe ?? true,
      },
      (msg) => p.onMessage(msg),
    );
    return p;
  }

  /** Closes every participant's peers, the service and the server. */
  async close(): Promise<void> {
    for (const p of this.participants.values()) await p.closePeers();
    this.client?.close();
    if (this.host === undefined) this.service.close();
    else this.host.close();
    await this.server.close();
  }
}

export class TestParticipant {
  readonly id: string;
  readonly room: string;
  readonly harness: SfuHarness;
  readonly options: JoinOptions;
  /** Every message the service sent to this participant, in order. */
  readonly messages: SfuOutMessage[] = [];
  publisher: TestPeer | undefined;
  subscriber: TestPeer | undefined;
  /** Tracks of the last publish offer. */
  published: PublishTrackSpec[] = [];
  /** Tracks of the last subscribe offer answered. */
  subscribed: SubscribeTrack[] = [];
  /** Version of the last subscribe offer answered. */
  version = 0;
  /** Errors from answering offers in the background. */
  readonly failures: Error[] = [];
  #work: Promise<void> = Promise.resolve();
  #subscriberUfrag: string | undefined;
  #newestOffer = 0;
  #left = false;
  #onMessage: (() => void) | undefined;

  constructor(harness: SfuHarness, id: string, options: JoinOptions) {
    this.harness = harness;
    this.id = id;
    this.room = options.room ?? 'room';
    this.options = options;
  }

  /** Called by the service (synchronously); subscribe offers are answered in the background. */
  onMessage(msg: SfuOutMessage): void {
    this.messages.push(msg);
    this.#onMessage?.();
    if (msg.type === 'subscribe' && this.options.manualAnswers !== true) {
      const delay = this.options.answerDelay;
      this.#work = this.#work
        .then(async () => {
          if (delay !== undefined) await delay();
          // A newer offer arrived meanwhile: a browser applies offers in order and skips overtaken ones.
          if (delay !== undefined && this.#newestOffer > msg.version) return;
          await this.answer(msg);
        })
        .catch((err: Error) => void this.failures.push(err));
    }
    if (msg.type === 'subscribe') this.#newestOffer = Math.max(this.#newestOffer, msg.version);
  }

  /** Error messages (`sfu_*` codes) received. */
  get errors(): { code: string; message: string }[] {
    return this.messages.filter((m) => m.type === 'error');
  }

  async #peer(): Promise<TestPeer> {
    const server = this.harness.server;
    return await TestPeer.open({
      protocol: this.options.protocol ?? 'udp',
      udpPort: server.udpPort,
      ...(this.options.dtlsCertificate === undefined ? {} : { dtlsCertificate: this.options.dtlsCertificate }),
      ...(server.tcpPort === undefined ? {} : { tcpPort: server.tcpPort }),
    });
  }

  /**
   * Publishes (or republishes) through `SfuService.publish` (or the API) and connects the publish
   * peer. `iceRestart` offers new ICE credentials first. `sources` names mids.
   */
  async publish(
    options: Omit<PublishOfferOptions, 'ice' | 'fingerprint'> & {
      iceRestart?: boolean;
      sources?: { mid: string; source: TrackSource }[];
    } = {},
  ): Promise<PublishTrackSpec[]> {
    const peer = this.publisher ?? (await this.#peer());
    this.publisher = peer;
    if (options.iceRestart === true) peer.restartIce();
    const offer = peer.publishOffer(options);
    const before = this.messages.length;
    const replied = (): SfuOutMessage | undefined =>
      this.messages.slice(before).find((m) => m.type === 'published' || m.type === 'error');
    this.harness.backend.publish(this.room, this.id, {
      type: 'publish',
      sdp: offer.sdp,
      tracks: options.sources ?? [],
    });
    // Directly the reply is there at once; through the API it comes later.
    if (replied() === undefined) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no reply to publish within 10 s')), 10_000);
        this.#onMessage = () => {
          if (replied() === undefined) return;
          clearTimeout(timer);
          resolve();
        };
      }).finally(() => {
        this.#onMessage = undefined;
      });
    }
    const reply = replied();
    if (reply === undefined) throw new Error('no reply to publish');
    if (reply.type === 'error') throw new Error(`publish refused: ${reply.code} ${reply.message}`);
    if (reply.type !== 'published') throw new Error('unexpected reply');
    peer.setRemoteDescription(reply.sdp);
    await peer.connect({ timeoutMs: this.options.connectTimeoutMs ?? 5000 });
    this.published = offer.tracks;
    return offer.tracks;
  }

  /** Answers one subscribe offer, tells the service, and (re)connects the subscribe peer. */
  async answer(msg: Extract<SfuOutMessage, { type: 'subscribe' }>): Promise<void> {
    if (this.#left) return;
    const peer = this.subscriber ?? (await this.#peer());
    this.subscriber = peer;
    const answer = peer.answerSubscribe(msg.sdp, { reject: this.options.reject ?? [] });
    this.harness.backend.subscribed(this.room, this.id, { type: 'subscribed', sdp: answer.sdp, version: msg.version });
    this.subscribed = answer.tracks;
    this.version = msg.version;
    const remote = answer.remote;
    if (remote === undefined || !answer.tracks.some((t) => t.active)) return;
    if (!peer.connected || remote.ice.ufrag !== this.#subscriberUfrag) await peer.connect();
    this.#subscriberUfrag = remote.ice.ufrag;
  }

  /** Resolves when every offer received so far is answered and connected. */
  async idle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.#work;
      await current;
    } while (current !== this.#work);
  }

  /** The subscribe track carrying `producerTrack` of participant `from` (by mid order of its publish). */
  trackFrom(from: string, kind: 'audio' | 'video'): SubscribeTrack | undefined {
    return this.subscribed.find((t) => t.active && t.streamId === from && t.kind === kind);
  }

  /** Consent checks on both peers (RFC 7675), as a browser sends every few seconds. */
  async keepAlive(): Promise<void> {
    if (this.publisher?.connected === true) await this.publisher.check({ useCandidate: false });
    if (this.subscriber?.connected === true) await this.subscriber.check({ useCandidate: false });
  }

  /** Leaves through the service and closes both peers. */
  async leave(): Promise<void> {
    this.#left = true;
    this.harness.backend.removeParticipant(this.room, this.id);
    this.harness.participants.delete(this.id);
    await this.idle();
    await this.closePeers();
  }

  /** Closes both peers (DTLS close_notify, as a browser does) without telling the service. */
  async closePeers(): Promise<void> {
    this.#left = true;
    await this.idle();
    await this.publisher?.close();
    await this.subscriber?.close();
  }

  /** Closes both sockets without a word (no close_notify, no leave): the participant vanishes. */
  async vanish(): Promise<void> {
    this.#left = true;
    await this.idle();
    await this.publisher?.close({ notify: false });
    await this.subscriber?.close({ notify: false });
  }
}
