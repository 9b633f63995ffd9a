/**
 * `SfuHost`: the SFU's side of its API (messages.ts). It takes requests from an
 * `SfuLink`, runs them on the `SfuService` and its WHEP players, and posts what the SFU
 * says back: messages to participants, transport changes, player ends, call results.
 * A request that fails never throws past the host: a participant's request becomes an
 * `error` message to that participant, a call becomes `failed`.
 *
 * The host makes its `SfuService` (`new SfuHost({ link, ...serviceOptions })`), because
 * the service's `send` and `onTransport` callbacks are the host's.
 */
import { isItdaError, type Logger, silentLogger } from '@itda/common';
import { SFU_ERROR_CODES } from '@itda/protocol';
import { createIceCredentials } from '../ice/index.ts';
import { SfuError, SfuErrorCode } from '../router/errors.ts';
import { SdpErrorCode } from '../sdp/index.ts';
import { WhepPlayer } from '../session/player.ts';
import { SfuService, type SfuServiceOptions } from '../session/sfu-service.ts';
import type { SfuOutMessage } from '../session/types.ts';
import type { IceRestartResult, SfuCallErrorCode, SfuCallResults, SfuEvent, SfuLink, SfuRequest } from './messages.ts';

export interface SfuHostOptions extends Omit<SfuServiceOptions, 'onTransport'> {
  link: SfuLink<SfuEvent, SfuRequest>;
}

/** Most WHEP players one host keeps (each is a transport; the router's own limits apply too). */
export const MAX_PLAYERS = 10_000;

const CALL_CODES: ReadonlySet<string> = new Set<string>([
  ...Object.values(SfuErrorCode),
  ...Object.values(SdpErrorCode),
]);

/** ice-char (RFC 8839 §5.4): ALPHA / DIGIT / "+" / "/". */
const UFRAG = /^[A-Za-z0-9+/]{4,256}$/;

/** A client's new ICE ufrag, else SfuError `sfu_bad_parameters`. */
function checkUfrag(ufrag: string): void {
  if (!UFRAG.test(ufrag)) throw new SfuError(SfuErrorCode.BadParameters, 'ice-ufrag must be 4–256 ice-chars');
}

export class SfuHost {
  readonly service: SfuService;
  readonly #link: SfuLink<SfuEvent, SfuRequest>;
  readonly #log: Logger;
  readonly #players = new Map<string, WhepPlayer>();
  readonly #options: SfuHostOptions;
  #closed = false;

  constructor(options: SfuHostOptions) {
    this.#options = options;
    this.#link = options.link;
    this.#log = options.logger ?? silentLogger;
    this.service = new SfuService({
      ...options,
      onTransport: (change) => this.#post({ type: 'transport', ...change }),
    });
    this.#link.onMessage((request) => this.#handle(request));
  }

  /** Live WHEP players. */
  get playerCount(): number {
    return this.#players.size;
  }

  /** Ends every player and room, closes the link. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const player of [...this.#players.values()]) player.close('server_shutdown');
    this.#players.clear();
    this.service.close();
    this.#link.close();
  }

  #post(event: SfuEvent): void {
    if (!this.#closed) this.#link.post(event);
  }

  #sender(room: string, participantId: string): (message: SfuOutMessage) => void {
    return (message) => this.#post({ type: 'message', room, participantId, message });
  }

  #handle(request: SfuRequest): void {
    if (this.#closed) return;
    try {
      this.#run(request);
    } catch (err) {
      this.#failed(request, err);
    }
  }

  #run(request: SfuRequest): void {
    const service = this.service;
    switch (request.type) {
      case 'join': {
        const p = request.participant;
        service.addParticipant(p, this.#sender(p.room, p.id));
        return;
      }
      case 'publish':
        service.publish(request.room, request.participantId, request.message);
        return;
      case 'subscribed':
        service.subscribed(request.room, request.participantId, request.message);
        return;
      case 'resubscribe':
        service.resubscribe(request.room, request.participantId, request.message);
        return;
      case 'quality':
        service.setQuality(request.room, request.participantId, request.message);
        return;
      case 'resumed':
        service.resumed(request.room, request.participantId);
        return;
      case 'leave':
        service.removeParticipant(request.room, request.participantId);
        return;
      case 'hold':
        service.holdMedia(request.room, request.participantId, request.kind, request.held);
        return;
      case 'close-room':
        service.closeRoom(request.room);
        return;
      case 'restart-ice': {
        checkUfrag(request.remoteUfrag);
        const transport = service.transportOf(request.room, request.participantId, 'publish');
        if (transport === undefined || transport.closed) {
          throw new SfuError(SfuErrorCode.NotFound, 'the participant has no publish transport');
        }
        const ice = createIceCredentials();
        transport.restartIce(ice);
        transport.setRemoteParameters({ iceUfrag: request.remoteUfrag, fingerprints: [] });
        this.#reply(request.call, this.#restarted(ice));
        return;
      }
      case 'play':
        this.#play(request);
        return;
      case 'restart-player-ice': {
        checkUfrag(request.remoteUfrag);
        const player = this.#players.get(request.playerId);
        if (player === undefined || player.closed) throw new SfuError(SfuErrorCode.NotFound, 'no such player');
        this.#reply(request.call, this.#restarted(player.restartIce(request.remoteUfrag)));
        return;
      }
      case 'ping':
        this.#reply(request.call, {});
        return;
      case 'stop-player': {
        const player = this.#players.get(request.playerId);
        this.#players.delete(request.playerId);
        player?.close(request.reason);
        return;
      }
    }
  }

  #play(request: Extract<SfuRequest, { type: 'play' }>): void {
    if (this.#players.has(request.playerId)) throw new SfuError(SfuErrorCode.Duplicate, 'the player exists already');
    if (this.#players.size >= MAX_PLAYERS) {
      throw new SfuError(SfuErrorCode.LimitReached, `this SFU has ${MAX_PLAYERS} players already`);
    }
    const player = WhepPlayer.create({
      service: this.service,
      room: request.room,
      ...(request.participantId === undefined ? {} : { participantId: request.participantId }),
      ...(request.preferredRank === undefined ? {} : { preferredRank: request.preferredRank }),
      offerSdp: request.offer,
      clock: this.#options.clock,
      ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
      connectTimeoutMs: request.connectTimeoutMs,
      id: request.playerId,
    });
    this.#players.set(request.playerId, player);
    player.on('closed', (reason) => {
      if (this.#players.get(request.playerId) !== player) return; // stopped: the client knows
      this.#players.delete(request.playerId);
      this.#post({ type: 'player-closed', playerId: request.playerId, reason });
    });
    this.#reply(request.call, { answer: player.answer, participantId: player.participantId });
  }

  #restarted(ice: { ufrag: string; pwd: string }): IceRestartResult {
    return { ice: { ufrag: ice.ufrag, pwd: ice.pwd }, candidates: [...this.service.transports.candidates] };
  }

  #reply(call: number, result: SfuCallResults[keyof SfuCallResults]): void {
    this.#post({ type: 'reply', call, result });
  }

  /** A request that threw: `failed` for a call, an `error` to the participant for its own request. */
  #failed(request: SfuRequest, err: unknown): void {
    const code = isItdaError(err) ? err.code : '';
    const forCall = CALL_CODES.has(code);
    const forParticipant = SFU_ERROR_CODES.has(code);
    if (!forCall && !forParticipant) this.#log.error('sfu request failed', { err, request: request.type });
    const text = (known: boolean): string =>
      known && err instanceof Error ? err.message : 'internal error in the SFU';
    if ('call' in request) {
      // CALL_CODES holds exactly the SfuErrorCode and SdpErrorCode values.
      const callCode = (forCall ? code : 'internal') as SfuCallErrorCode;
      this.#post({ type: 'failed', call: request.call, code: callCode, message: text(forCall) });
      return;
    }
    if ('participantId' in request && request.type !== 'leave') {
      this.#post({
        type: 'message',
        room: request.room,
        participantId: request.participantId,
        message: {
          type: 'error',
          code: forParticipant ? code : 'internal',
          message: text(forParticipant),
          ref: request.type,
        },
      });
    }
  }
}
