/**
 * The SFU session layer: turns signaling messages into router objects and SDP.
 *
 * Each participant has two peer connections to the server (docs/sfu.md):
 * - **publish**: the client offers its tracks (`publish`), the server answers
 *   (`published`) and creates a Producer per sending m-line;
 * - **subscribe**: the server offers every other participant's tracks (`subscribe`,
 *   numbered by `version`), the client answers (`subscribed`). One offer is out at a
 *   time; changes meanwhile are batched into the next one; an answer is checked against
 *   the offer it answers (subscribe-negotiator.ts).
 * Consumers start paused and are resumed when the answer that declares them arrives,
 * so the browser knows their SSRCs before the first packet; video consumers then ask
 * the publisher for a keyframe.
 *
 * It shapes itself after `@itda/signal`'s `SfuBackend`. The server puts it behind the
 * SFU's API (`SfuHost`, src/api/), and its users hold an `SfuClient`.
 */
import { type Clock, type Logger, RateLimitedLog, silentLogger } from '@itda/common';
import { createIceCredentials } from '../ice/index.ts';
import {
  ActiveSpeakerObserver,
  type ActiveSpeakerOptions,
  type ActiveSpeakers,
  type Producer,
  Router,
  resolveActiveSpeakerOptions,
  SfuError,
  SfuErrorCode,
  type TrackSource,
  type WebRtcTransport,
} from '../router/index.ts';
import {
  answerPublishOffer,
  effectiveTransport,
  type LocalTransportParams,
  parseSdp,
  type SessionDescription,
} from '../sdp/index.ts';
import { SfuPeer } from './peer.ts';
import { countMediaSections, publishMediaSectionsOption } from './publish-limits.ts';
import type {
  PublishRequest,
  QualityRequest,
  ResubscribeRequest,
  SfuOutMessage,
  SfuParticipantInfo,
  SubscribedRequest,
  TransportFactory,
} from './types.ts';

export interface SfuServiceOptions {
  transports: TransportFactory;
  clock: Clock;
  logger?: Logger;
  /**
   * Most m-lines in a `publish` offer; more is refused with `sfu_offer_too_large` before
   * the SDP is parsed. Default 32 (`DEFAULT_MAX_PUBLISH_MEDIA_SECTIONS`: twice the 16
   * producers a transport holds), 1–256.
   */
  maxPublishMediaSections?: number;
  /**
   * Window of the rate-limited log lines about what a participant sent (a rejected
   * producer, bad SDP): at most one line per participant and kind per window, with the
   * count held back. Default 10,000 ms (`RateLimitedLog`), 1 ms – 1 hour.
   */
  logWindowMs?: number;
  /**
   * Active speaker of each room (`active-speaker` messages; ActiveSpeakerObserver):
   * decision interval (default 300 ms, 100–5,000), speaking threshold (default −50 dBov)
   * and hold (default 1,000 ms). Out of range: RangeError from the constructor.
   */
  activeSpeaker?: ActiveSpeakerOptions;
  /** Told when a participant's transport connects or closes (SfuHost makes `transport` events of it). */
  onTransport?: (change: TransportChange) => void;
}

/** A participant's transport connected or closed (`reason`: its close cause). */
export interface TransportChange {
  room: string;
  participantId: string;
  role: 'publish' | 'subscribe';
  state: 'connected' | 'closed';
  reason?: string;
}

/** Close reason of a transport made for an offer that could not be answered (no one is told). */
const UNUSED = 'unused';

interface SfuRoom {
  router: Router;
  peers: Map<string, SfuPeer>;
  speakers: ActiveSpeakerObserver;
}

/** An `active-speaker` message for a decision. */
function activeSpeakerMessage(s: ActiveSpeakers): SfuOutMessage {
  return { type: 'active-speaker', dominant: s.dominant ?? null, speaking: s.speaking, levels: s.levels };
}

/** A video quality (`quality` message, WHEP `?quality=`) → how many simulcast layers below the best one (Consumer.preferredRank). */
export const QUALITY_RANK: Readonly<Record<QualityRequest['quality'], number>> = { high: 0, medium: 1, low: 99 };
/** Qualities one participant may have asked for (one per other participant). */
const MAX_QUALITIES = 1000;

export class SfuService {
  readonly modes = ['sfu'] as const;
  readonly #rooms = new Map<string, SfuRoom>();
  readonly #options: SfuServiceOptions;
  readonly #log: Logger;
  /** Lines about what participants send, one per participant and kind per window. */
  readonly #inputLog: RateLimitedLog;
  readonly #maxPublishMedia: number;
  #ids = 0;

  constructor(options: SfuServiceOptions) {
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
    this.#maxPublishMedia = publishMediaSectionsOption(options.maxPublishMediaSections);
    // Checks the options now (RangeError), not at the first room.
    resolveActiveSpeakerOptions(options.activeSpeaker);
    this.#inputLog = new RateLimitedLog({
      logger: this.#log,
      clock: options.clock,
      ...(options.logWindowMs === undefined ? {} : { windowMs: options.logWindowMs }),
    });
  }

  /** Rooms with media state, for metrics and tests. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Transports alive across all rooms. */
  get transportCount(): number {
    let n = 0;
    for (const r of this.#rooms.values()) n += r.router.transports.size;
    return n;
  }

  /** The media server this service creates transports on (for WHEP players, session/player.ts). */
  get transports(): TransportFactory {
    return this.#options.transports;
  }

  /** The Router of a room with media state, or undefined (no participant in the SFU yet). */
  routerFor(roomName: string): Router | undefined {
    return this.#rooms.get(roomName)?.router;
  }

  /** A participant's publish or subscribe transport, if it has one (e.g. to watch a WHIP publisher's). */
  transportOf(roomName: string, participantId: string, role: 'publish' | 'subscribe'): WebRtcTransport | undefined {
    return this.#rooms.get(roomName)?.peers.get(participantId)?.[role];
  }

  addParticipant(p: SfuParticipantInfo, send: (msg: SfuOutMessage) => void): void {
    let room = this.#rooms.get(p.room);
    if (room === undefined) {
      room = this.#newRoom(p.room);
      this.#rooms.set(p.room, room);
    }
    const existing = room.peers.get(p.id);
    if (existing !== undefined) {
      existing.send = send;
      return;
    }
    const peer = new SfuPeer(p, send);
    room.peers.set(p.id, peer);
    const speakers = room.speakers.current;
    if (speakers.dominant !== undefined || speakers.speaking.length > 0) peer.send(activeSpeakerMessage(speakers));
    if (!p.canSubscribe) return;
    let added = false;
    for (const producer of room.router.producers()) {
      if (producer.participantId === p.id) continue;
      this.#addConsumer(room, peer, producer);
      added = true;
    }
    if (added) this.#offer(room, peer);
  }

  publish(roomName: string, participantId: string, msg: PublishRequest): void {
    const found = this.#find(roomName, participantId);
    if (found === undefined) return;
    const { room, peer } = found;
    if (!peer.info.canPublish) {
      peer.send({ type: 'error', code: 'forbidden', message: 'this participant may not publish', ref: 'publish' });
      return;
    }
    // Before any parsing (issue 10): an offer of more m-lines than a transport could ever
    // use costs one scan of its text, not a parse, an answer and a producer attempt per line.
    const max = this.#maxPublishMedia;
    if (countMediaSections(msg.sdp, max) > max) {
      this.#refuse(peer, 'sfu_offer_too_large', 'publish', `the offer has more than ${max} m-lines`);
      return;
    }
    let offer: SessionDescription;
    try {
      offer = parseSdp(msg.sdp, { maxMediaSections: max });
    } catch (err) {
      this.#badSdp(peer, 'sfu_bad_offer', 'publish', err);
      return;
    }
    const first = offer.media[0];
    const offerUfrag = first === undefined ? offer.iceUfrag : effectiveTransport(offer, first).iceUfrag;
    let transport = peer.publish;
    const fresh = transport === undefined || transport.closed;
    if (transport === undefined || transport.closed) {
      transport = this.#createTransport(room, peer, 'publish');
      peer.publish = transport;
    } else if (peer.publishRemoteUfrag !== undefined && offerUfrag !== peer.publishRemoteUfrag) {
      transport.restartIce(createIceCredentials());
    }
    let result: ReturnType<typeof answerPublishOffer>;
    try {
      result = answerPublishOffer(offer, this.#local(transport));
    } catch (err) {
      // A transport made for an offer that cannot be answered would never connect: drop it.
      if (fresh) {
        transport.close(UNUSED);
        peer.publish = undefined;
      }
      this.#badSdp(peer, 'sfu_bad_offer', 'publish', err);
      return;
    }
    peer.publishRemoteUfrag = result.remote.ice.ufrag;
    transport.setRemoteParameters({ iceUfrag: result.remote.ice.ufrag, fingerprints: result.remote.fingerprints });

    const sources = new Map(msg.tracks.map((t) => [t.mid, t.source]));
    const live = new Set<string>();
    const created: Producer[] = [];
    const rejected: { mid: string; err: unknown }[] = [];
    for (const track of result.tracks) {
      live.add(track.mid);
      if (peer.producers.has(track.mid)) continue;
      const source: TrackSource = sources.get(track.mid) ?? (track.kind === 'audio' ? 'microphone' : 'camera');
      try {
        const producer = transport.produce({
          id: `p${++this.#ids}`,
          participantId: peer.id,
          kind: track.kind,
          source,
          mid: track.mid,
          ssrc: track.ssrc,
          rtxSsrc: track.rtxSsrc,
          ...(track.rids === undefined ? {} : { rids: track.rids }),
          codec: track.codec,
          rtxPayloadType: track.rtx?.payloadType,
          extensions: track.extensions,
          cname: track.cname,
        });
        peer.producers.set(track.mid, producer);
        if (peer.held.has(source)) producer.pause();
        producer.on('closed', () => {
          if (peer.producers.get(track.mid) === producer) peer.producers.delete(track.mid);
        });
        created.push(producer);
      } catch (err) {
        rejected.push({ mid: track.mid, err });
      }
    }
    if (rejected.length > 0) {
      // One line per offer (and per participant and window), not one per m-line.
      this.#inputLog.warn(`producer rejected:${roomName}:${peer.id}`, 'producer rejected', {
        room: roomName,
        participant: peer.id,
        count: rejected.length,
        mids: rejected.slice(0, 4).map((r) => r.mid),
        err: rejected[0]?.err,
      });
    }
    for (const [mid, producer] of [...peer.producers]) {
      if (!live.has(mid)) producer.close();
    }
    if (created.length === 0 && rejected.length > 0 && peer.producers.size === 0) {
      // Not one track could be taken: an answer would promise media the SFU drops.
      if (fresh) {
        transport.close(UNUSED);
        peer.publish = undefined;
      }
      this.#badSdp(peer, 'sfu_bad_offer', 'publish', rejected[0]?.err);
      return;
    }
    peer.send({ type: 'published', sdp: result.sdp });
    for (const other of room.peers.values()) {
      if (other === peer || !other.info.canSubscribe) continue;
      for (const producer of created) this.#addConsumer(room, other, producer);
      this.#offer(room, other);
    }
  }

  subscribed(roomName: string, participantId: string, msg: SubscribedRequest): void {
    const found = this.#find(roomName, participantId);
    if (found === undefined) return;
    const { room, peer } = found;
    const transport = peer.subscribe;
    const negotiator = peer.negotiator;
    const outcome =
      transport === undefined
        ? { kind: 'stale' as const, current: negotiator.version }
        : negotiator.answer(msg.version, msg.sdp, (answer) => {
            // An answer that rejects every m-line carries throwaway ICE credentials (Chromium): nothing to connect.
            if (answer.acceptedMids.length > 0) {
              transport.setRemoteParameters({
                iceUfrag: answer.remote.ice.ufrag,
                fingerprints: answer.remote.fingerprints,
              });
            }
          });
    if (outcome.kind === 'stale') {
      peer.send({
        type: 'error',
        code: 'sfu_stale_version',
        message: `no subscribe offer ${msg.version} is waiting for an answer (current ${outcome.current})`,
        ref: 'subscribed',
      });
      return;
    }
    if (outcome.kind === 'bad') {
      // The offer is void: a new one (with everything there is now) lets the client converge.
      this.#badSdp(peer, 'sfu_bad_answer', 'subscribed', outcome.error);
      if (outcome.reoffer) this.#offer(room, peer);
      return;
    }
    this.#offer(room, peer);
  }

  resubscribe(roomName: string, participantId: string, msg: ResubscribeRequest): void {
    const found = this.#find(roomName, participantId);
    if (found === undefined) return;
    const { room, peer } = found;
    if (peer.subscribe === undefined || peer.subscribe.closed) {
      // The transport ended (and its consumers with it): the client built a new peer
      // connection, so start its m-lines afresh with every track there is now.
      peer.negotiator.clear();
      if (peer.info.canSubscribe) {
        for (const producer of room.router.producers()) {
          if (producer.participantId !== peer.id) this.#addConsumer(room, peer, producer);
        }
      }
    } else {
      peer.negotiator.reset();
      if (msg.iceRestart === true) peer.subscribe.restartIce(createIceCredentials());
    }
    this.#offer(room, peer);
  }

  /**
   * `quality`: forward `msg.participantId`'s video to this participant at that simulcast
   * rank (high 0, medium 1, low the lowest), now and for its later tracks. At most 1,000
   * remembered per participant (`sfu_limit_reached` past that); an unknown participant is
   * remembered all the same (it may publish later).
   */
  setQuality(roomName: string, participantId: string, msg: QualityRequest): void {
    const found = this.#find(roomName, participantId);
    if (found === undefined) return;
    const { peer } = found;
    const rank = QUALITY_RANK[msg.quality];
    if (!peer.qualities.has(msg.participantId) && peer.qualities.size >= MAX_QUALITIES) {
      throw new SfuError(SfuErrorCode.LimitReached, `quality asked for more than ${MAX_QUALITIES} participants`);
    }
    peer.qualities.set(msg.participantId, rank);
    for (const c of peer.negotiator.consumers()) {
      if (c.kind === 'video' && c.producer.participantId === msg.participantId) c.preferredRank = rank;
    }
  }

  resumed(roomName: string, participantId: string): void {
    const found = this.#find(roomName, participantId);
    if (found === undefined) return;
    const { peer } = found;
    const out = peer.negotiator.inFlight;
    if (out !== undefined) peer.send({ type: 'subscribe', ...out });
  }

  removeParticipant(roomName: string, participantId: string): void {
    const room = this.#rooms.get(roomName);
    const peer = room?.peers.get(participantId);
    if (room === undefined || peer === undefined) return;
    room.peers.delete(participantId);
    peer.publish?.close('participant_left');
    peer.subscribe?.close('participant_left');
    for (const other of room.peers.values()) this.#offer(room, other);
    if (room.peers.size === 0) this.closeRoom(roomName);
  }

  closeRoom(roomName: string): void {
    const room = this.#rooms.get(roomName);
    if (room === undefined) return;
    this.#rooms.delete(roomName);
    room.router.close();
    room.peers.clear();
  }

  /**
   * A host forced the participant's microphone (`audio`: source `microphone`) or camera
   * (`video`: source `camera`) off: its producers of that source stay paused — now and any
   * it publishes later — until released. Screen shares are not touched.
   */
  holdMedia(roomName: string, participantId: string, kind: 'audio' | 'video', held: boolean): void {
    const found = this.#find(roomName, participantId);
    if (found === undefined) return;
    const source: TrackSource = kind === 'audio' ? 'microphone' : 'camera';
    if (held) found.peer.held.add(source);
    else found.peer.held.delete(source);
    for (const producer of found.peer.producers.values()) {
      if (producer.source !== source) continue;
      if (held) {
        producer.pause();
      } else {
        producer.resume();
        // Subscribers' decoders start again from a keyframe.
        if (producer.kind === 'video') producer.requestKeyframe();
      }
    }
  }

  /** Closes every room, and writes the counts of log lines held back. */
  close(): void {
    for (const name of [...this.#rooms.keys()]) this.closeRoom(name);
    this.#inputLog.flush();
  }

  /** The active speaker state of a room (undefined without media state). */
  activeSpeakers(roomName: string): ActiveSpeakers | undefined {
    return this.#rooms.get(roomName)?.speakers.current;
  }

  // ---- internals ----

  #newRoom(name: string): SfuRoom {
    const router = new Router({ id: name, clock: this.#options.clock });
    const speakers = new ActiveSpeakerObserver(this.#options.activeSpeaker);
    router.observe(speakers);
    const room: SfuRoom = { router, peers: new Map(), speakers };
    speakers.on('change', (s) => {
      const msg = activeSpeakerMessage(s);
      for (const peer of room.peers.values()) peer.send(msg);
    });
    return room;
  }

  #find(roomName: string, participantId: string): { room: SfuRoom; peer: SfuPeer } | undefined {
    const room = this.#rooms.get(roomName);
    const peer = room?.peers.get(participantId);
    if (room === undefined || peer === undefined) return undefined;
    return { room, peer };
  }

  #createTransport(room: SfuRoom, peer: SfuPeer, role: 'publish' | 'subscribe'): WebRtcTransport {
    const transport = this.#options.transports.createTransport();
    room.router.adopt(transport);
    const onTransport = this.#options.onTransport;
    const change = { room: room.router.id, participantId: peer.id, role };
    if (onTransport !== undefined) transport.on('connected', () => onTransport({ ...change, state: 'connected' }));
    transport.on('closed', (reason) => {
      onTransport?.({ ...change, state: 'closed', reason });
      if (peer[role] === transport) peer[role] = undefined;
      if (reason !== 'participant_left' && reason !== 'router_closed' && reason !== UNUSED) {
        this.#log.info('transport ended', { room: room.router.id, participant: peer.id, role, reason });
        peer.send({
          type: 'error',
          code: 'sfu_transport_closed',
          message: `${role} transport closed: ${reason}`,
          ref: role,
        });
        for (const other of room.peers.values()) if (other !== peer) this.#offer(room, other);
      }
    });
    return transport;
  }

  /** A new subscribe transport: a new bundle (no m-line is its tag yet) and a new o= session. */
  #newSubscribeTransport(room: SfuRoom, peer: SfuPeer): WebRtcTransport {
    const transport = this.#createTransport(room, peer, 'subscribe');
    peer.subscribe = transport;
    peer.negotiator.newTransport();
    return transport;
  }

  #local(transport: WebRtcTransport): LocalTransportParams {
    return {
      ice: transport.iceParameters,
      fingerprint: transport.fingerprint,
      candidates: [...this.#options.transports.candidates],
      iceLite: true,
    };
  }

  #addConsumer(room: SfuRoom, peer: SfuPeer, producer: Producer): void {
    const sub =
      peer.subscribe === undefined || peer.subscribe.closed ? this.#newSubscribeTransport(room, peer) : peer.subscribe;
    try {
      const consumer = peer.negotiator.add(producer.kind, (mid) =>
        sub.consume({
          id: `c${++this.#ids}`,
          producer,
          mid,
          ssrc: randomSsrc(),
          rtxSsrc: producer.rtxPayloadType !== undefined ? randomSsrc() : undefined,
          paused: true,
          preferredRank: peer.qualities.get(producer.participantId) ?? 0,
        }),
      );
      consumer.on('closed', () => peer.negotiator.ended(consumer));
    } catch (err) {
      if (!(err instanceof SfuError)) throw err;
      this.#log.warn('consumer not created', { room: room.router.id, participant: peer.id, code: err.code });
    }
  }

  /** Sends the next subscribe offer when one is due (changes pending, none out). */
  #offer(room: SfuRoom, peer: SfuPeer): void {
    const negotiator = peer.negotiator;
    if (negotiator.offering || !negotiator.pending) return;
    let transport = peer.subscribe;
    if (transport === undefined || transport.closed) {
      if (!negotiator.hasConsumers) return;
      transport = this.#newSubscribeTransport(room, peer);
    }
    const offer = negotiator.offer(this.#local(transport));
    if (offer !== undefined) peer.send({ type: 'subscribe', ...offer });
  }

  #badSdp(peer: SfuPeer, code: string, ref: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const detail = (err as { code?: unknown }).code;
    this.#inputLog.info(`bad sdp:${peer.info.room}:${peer.id}`, 'bad sdp', { participant: peer.id, code, detail });
    peer.send({ type: 'error', code, message, ref });
  }

  /** Refuses a request past a limit: `error` to the participant, a rate-limited warn line. */
  #refuse(peer: SfuPeer, code: string, ref: string, message: string): void {
    this.#inputLog.warn(`${code}:${peer.info.room}:${peer.id}`, 'request refused', {
      room: peer.info.room,
      participant: peer.id,
      code,
      detail: message,
    });
    peer.send({ type: 'error', code, message, ref });
  }
}

function randomSsrc(): number {
  return ((Math.random() * 0xfffffffe) >>> 0) + 1;
}
