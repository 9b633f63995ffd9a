/**
 * A WHEP player session (draft-ietf-wish-whep): one viewer that is not a participant of
 * the room plays one participant's current tracks. It owns a WebRtcTransport created on
 * the media server and adopted by the room's Router, and one paused Consumer per track
 * its offer could take; the consumers resume when the transport connects (so video
 * starts with a keyframe request), and everything closes with the transport.
 *
 * ```ts
 * const player = WhepPlayer.create({ service, room: 'r', offerSdp, clock });
 * res.end(player.answer);
 * player.on('closed', (reason) => forget(player));
 * ```
 */
import { type Clock, type Logger, silentLogger, type TimerHandle, TypedEmitter } from '@itda/common';
import { createIceCredentials, type IceCredentials } from '../ice/index.ts';
import {
  type Consumer,
  type Producer,
  type Router,
  SfuError,
  SfuErrorCode,
  type WebRtcTransport,
} from '../router/index.ts';
import { FORWARDED_EXTENSIONS } from '../rtp/extensions.ts';
import { answerPlayOffer, type PlayTrack } from '../sdp/index.ts';
import type { SfuService } from './sfu-service.ts';

export interface WhepPlayerOptions {
  service: SfuService;
  room: string;
  /** Whose tracks to play. Default: the newest participant that publishes video (else audio). */
  participantId?: string;
  /** The player's offer (recvonly audio and/or video m-lines). */
  offerSdp: string;
  clock: Clock;
  logger?: Logger;
  /** The transport must connect within this time or the session closes (`connect_timeout`). Default 30,000 ms. */
  connectTimeoutMs?: number;
  /** Session id, for logs and consumer ids. Default: the transport id. */
  id?: string;
  /**
   * Simulcast publishers: which layer the player gets, counted down from the best one the
   * publisher sends (0, the default); past the lowest, the lowest (`Consumer.preferredRank`).
   */
  preferredRank?: number;
}

export type WhepPlayerEvents = {
  /** The session ended: `close()`, the transport died (consent, DTLS), the stream ended, or no connection in time. */
  closed: [reason: string];
};

function randomSsrc(): number {
  return ((Math.random() * 0xfffffffe) >>> 0) + 1;
}

/**
 * The participant a player gets by default: the one whose video producer was created
 * last (the newest publisher of video), else the newest publisher of anything.
 */
export function newestPublisher(router: Router): string | undefined {
  let video: Producer | undefined;
  let any: Producer | undefined;
  for (const p of router.producers()) {
    if (p.closed) continue;
    if (any === undefined || producerOrder(p) > producerOrder(any)) any = p;
    if (p.kind === 'video' && (video === undefined || producerOrder(p) > producerOrder(video))) video = p;
  }
  return (video ?? any)?.participantId;
}

/** Producer ids are `p<n>` in creation order (sfu-service.ts); others sort first. */
function producerOrder(p: Producer): number {
  const n = Number(p.id.slice(1));
  return Number.isFinite(n) ? n : -1;
}

export class WhepPlayer extends TypedEmitter<WhepPlayerEvents> {
  readonly id: string;
  readonly room: string;
  /** The participant being played. */
  readonly participantId: string;
  /** Our SDP answer (ICE-lite, every candidate, `a=end-of-candidates`). */
  readonly answer: string;
  readonly transport: WebRtcTransport;
  readonly consumers: Consumer[] = [];
  readonly #clock: Clock;
  readonly #log: Logger;
  #timer: TimerHandle | undefined;
  #closed = false;

  /**
   * Creates the session. Throws `SfuError` `sfu_not_found` when the room has no media or
   * the participant publishes nothing (nothing to play), `SdpError` for a bad offer,
   * `SfuError` `sfu_limit_reached` / `sfu_closed` from the router. Nothing is left behind
   * when it throws.
   */
  static create(options: WhepPlayerOptions): WhepPlayer {
    const router = options.service.routerFor(options.room);
    const participantId = options.participantId ?? (router === undefined ? undefined : newestPublisher(router));
    const producers =
      router === undefined || participantId === undefined
        ? []
        : [...router.producers()].filter((p) => p.participantId === participantId && !p.closed);
    if (router === undefined || participantId === undefined || producers.length === 0) {
      throw new SfuError(SfuErrorCode.NotFound, 'nothing to play: no participant publishes in this room yet');
    }
    // The camera first, so a player's single video m-line takes it rather than a screen share.
    producers.sort((a, b) => (a.source === 'camera' ? 0 : 1) - (b.source === 'camera' ? 0 : 1));
    const factory = options.service.transports;
    const transport = factory.createTransport();
    try {
      router.adopt(transport);
      const tracks: PlayTrack[] = producers.map((p) => ({
        kind: p.kind,
        codec: p.codec,
        ...(p.rtxPayloadType === undefined ? {} : { rtx: { payloadType: p.rtxPayloadType }, rtxSsrc: randomSsrc() }),
        ssrc: randomSsrc(),
        cname: p.cname,
        streamId: p.participantId,
        trackId: p.id,
        extensions: p.extensions.filter((e) => FORWARDED_EXTENSIONS.has(e.uri)),
      }));
      const result = answerPlayOffer(
        options.offerSdp,
        {
          ice: transport.iceParameters,
          fingerprint: transport.fingerprint,
          candidates: [...factory.candidates],
          iceLite: true,
        },
        tracks,
      );
      if (result.placements.length === 0) {
        throw new SfuError(SfuErrorCode.NotFound, "the offer takes none of the stream's tracks (kinds or codecs)");
      }
      transport.setRemoteParameters({ iceUfrag: result.remote.ice.ufrag, fingerprints: result.remote.fingerprints });
      const id = options.id ?? transport.id;
      const player = new WhepPlayer(options, id, participantId, result.sdp, transport);
      for (const placement of result.placements) {
        const track = tracks[placement.track];
        const producer = producers[placement.track];
        if (track === undefined || producer === undefined) continue;
        const consumer = transport.consume({
          id: `${id}-c${player.consumers.length}`,
          producer,
          mid: placement.mid,
          ssrc: track.ssrc,
          ...(track.rtxSsrc === undefined || placement.rtxPayloadType === undefined ? {} : { rtxSsrc: track.rtxSsrc }),
          paused: true,
          ...(options.preferredRank === undefined ? {} : { preferredRank: options.preferredRank }),
          payloadType: placement.payloadType,
          ...(placement.rtxPayloadType === undefined ? {} : { rtxPayloadType: placement.rtxPayloadType }),
        });
        player.consumers.push(consumer);
        consumer.on('closed', () => {
          if (player.consumers.every((c) => c.closed)) player.close('stream_ended');
        });
      }
      return player;
    } catch (err) {
      transport.close('player_failed');
      throw err;
    }
  }

  private constructor(
    options: WhepPlayerOptions,
    id: string,
    participantId: string,
    answer: string,
    transport: WebRtcTransport,
  ) {
    super();
    this.id = id;
    this.room = options.room;
    this.participantId = participantId;
    this.answer = answer;
    this.transport = transport;
    this.#clock = options.clock;
    this.#log = options.logger ?? silentLogger;
    this.#timer = options.clock.setTimeout(() => {
      this.#timer = undefined;
      if (!transport.connected) this.close('connect_timeout');
    }, options.connectTimeoutMs ?? 30_000);
    transport.on('connected', () => {
      this.#timer?.cancel();
      this.#timer = undefined;
      for (const c of this.consumers) c.resume();
      this.#log.info('whep player connected', { room: this.room, player: this.id, tracks: this.consumers.length });
    });
    transport.on('closed', (reason) => this.#ended(reason));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** ICE restart (RFC 8445 §9; RFC 9725 §4.4 through PATCH): new local credentials, the tuple stays until checks with them arrive. */
  restartIce(remoteUfrag: string): IceCredentials {
    const ice = createIceCredentials();
    this.transport.restartIce(ice);
    this.transport.setRemoteParameters({ iceUfrag: remoteUfrag, fingerprints: [] });
    return ice;
  }

  /** Ends the session and frees its transport and consumers. Idempotent. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#ended(reason);
    this.transport.close(reason);
  }

  #ended(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#log.info('whep player closed', { room: this.room, player: this.id, reason });
    this.emit('closed', reason);
    this.removeAllListeners();
  }
}
