/**
 * The two kinds of WHIP/WHEP resource (RFC 9725 §4.2, draft-ietf-wish-whep): a WHIP
 * publisher — an external participant of its room (core.addExternalParticipant) whose
 * offer goes through the SFU's publish path like a browser's — and a WHEP player (an
 * `@itda/sfu` WhepPlayer, not a participant). Each owns one WebRtcTransport and frees
 * itself when the transport dies (consent freshness, RFC 7675), when it does not
 * connect in time, or when it is deleted.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Logger, TimerHandle } from '@itda/common';
import type { LeaveReason, MediaState, ServerMessage } from '@itda/protocol';
import { type SfuService, type WebRtcTransport, WhepPlayer } from '@itda/sfu';
import { createIceCredentials, type IceCredentials } from '@itda/sfu/ice';
import {
  effectiveDirection,
  type MediaSection,
  parseSdp,
  SdpErrorCode,
  type SessionDescription,
  selectCodec,
} from '@itda/sfu/sdp';
import type { SignalCore } from '@itda/signal';
import { HttpError, isHttpErrorCode } from '../http/http-errors.ts';

/** One live WHIP or WHEP session, addressed by `/whip|whep/<room>/<id>`. */
export interface WhipResource {
  readonly kind: 'whip' | 'whep';
  readonly id: string;
  readonly room: string;
  /** WHIP: the publisher's participant id. WHEP: the participant being played. */
  readonly participantId: string;
  readonly answer: string;
  readonly transport: WebRtcTransport;
  /** The client's current ICE ufrag (a PATCH with another one is an ICE restart). */
  remoteUfrag: string;
  /** Entity tag of the session's ICE state (RFC 9725 §4.3.1): a new one after each ICE restart. */
  etag: string;
  /** mid and kind of the BUNDLE tag, for sdpfrag answers. */
  readonly tag: { mid: string; kind: string } | undefined;
  /** ICE restart: new local credentials; `remoteUfrag` is the client's new one. */
  restartIce(remoteUfrag: string): IceCredentials;
  /** Frees everything. Idempotent. */
  close(reason: string): void;
}

export interface ResourceContext {
  core: SignalCore;
  service: SfuService;
  clock: Clock;
  log: Logger;
  /** Not connected after this long: freed. */
  connectTimeoutMs: number;
  /** Called once when a resource is gone, whatever the reason. */
  onGone(resource: WhipResource): void;
}

/** A resource id: 128 random bits, base64url (unguessable: the URL is the capability, RFC 9725 §4.3). */
export function newResourceId(): string {
  return randomBytes(16).toString('base64url');
}

/** A fresh entity tag (a quoted random string, RFC 9110 §8.8.3). */
export function newEtag(): string {
  return `"${randomBytes(9).toString('base64url')}"`;
}

/** The SDP layer's codes: a player's offer the SFU could not answer (400 `sfu_bad_offer`). */
const SDP_ERROR_CODES: ReadonlySet<string> = new Set(Object.values(SdpErrorCode));

/** The parsed offer, or HttpError 400 `sfu_bad_offer`. */
export function parseOffer(sdp: string): SessionDescription {
  try {
    return parseSdp(sdp);
  } catch (err) {
    throw new HttpError('sfu_bad_offer', `the offer is not valid SDP: ${(err as Error).message}`);
  }
}

function tagOf(offer: SessionDescription): { mid: string; kind: string } | undefined {
  const group = offer.groups.find((g) => g.semantics === 'BUNDLE');
  const m = offer.media.find((x) => x.mid === group?.mids[0]) ?? offer.media[0];
  return m?.mid === undefined ? undefined : { mid: m.mid, kind: m.kind };
}

function sends(offer: SessionDescription, m: MediaSection): boolean {
  const d = effectiveDirection(offer, m);
  return d === 'sendonly' || d === 'sendrecv';
}

/** What a publisher's offer sends, for its `media` state (RFC 3264 directions). */
function sentMedia(offer: SessionDescription): MediaState {
  const sendsKind = (kind: string): boolean =>
    offer.media.some((m) => m.kind === kind && m.port !== 0 && sends(offer, m));
  return { audio: sendsKind('audio'), video: sendsKind('video'), screenStreamId: null };
}

/** Frees a resource whose transport never connects (RFC 7675 gives no consent to expire then). */
function connectTimer(ctx: ResourceContext, transport: WebRtcTransport, close: (reason: string) => void): TimerHandle {
  return ctx.clock.setTimeout(() => {
    if (!transport.connected) close('connect_timeout');
  }, ctx.connectTimeoutMs);
}

export interface PublishRequest {
  room: string;
  offer: string;
  name: string;
  identity: string | null;
  /** May the room be created (open rooms, or a token for it)? */
  create: boolean;
}

/**
 * A WHIP publisher: joins the room as an external participant (`participant-joined`
 * for the others), publishes its offer through the SFU, and leaves the room when it is
 * freed (`participant-left`, reason `left` on DELETE, `timeout` when its transport died).
 * Throws HttpError: 400 `sfu_bad_offer`, 404 `room_not_found`, 409 `not_sfu_room` /
 * `room_full`, 503 `sfu_unavailable`.
 */
export function createPublisher(ctx: ResourceContext, req: PublishRequest): WhipResource {
  const offer = parseOffer(req.offer);
  const media = sentMedia(offer);
  if (!media.audio && !media.video) {
    throw new HttpError('sfu_bad_offer', 'the offer sends no audio or video (sendonly/sendrecv m-lines)');
  }
  // Checked before joining, so the room sees no participant come and go for an offer the SFU cannot take.
  if (!offer.media.some((m) => m.port !== 0 && sends(offer, m) && selectCodec(m) !== undefined)) {
    throw new HttpError('sfu_bad_offer', 'the offer has no track in a codec the SFU forwards');
  }
  const id = newResourceId();
  let resource: WhipResource | undefined;
  let answer: ServerMessage | undefined;
  let removedByCore = false;
  let participantId: string;
  try {
    participantId = ctx.core.addExternalParticipant(req.room, {
      name: req.name,
      identity: req.identity,
      grants: { canPublish: true, canSubscribe: false, canRename: false },
      media,
      create: req.create,
      requireMode: 'sfu',
      // The answer to its publish: `published`, or an `error`. Other messages the room sends
      // it (`active-speaker` when someone speaks, …) are not for a WHIP publisher.
      deliver: (message) => {
        if (message.type === 'published' || message.type === 'error') answer ??= message;
      },
      onRemoved: (reason) => {
        removedByCore = true;
        resource?.close(`participant_${reason}`);
      },
    }).id;
  } catch (err) {
    throw joinError(err);
  }
  try {
    ctx.service.publish(req.room, participantId, { type: 'publish', sdp: req.offer, tracks: [] });
  } catch (err) {
    ctx.core.removeExternalParticipant(participantId, 'left');
    throw err;
  }
  const transport = ctx.service.transportOf(req.room, participantId, 'publish');
  if (answer?.type !== 'published' || transport === undefined) {
    ctx.core.removeExternalParticipant(participantId, 'left');
    const detail = answer?.type === 'error' ? answer : undefined;
    if (detail?.code === 'sfu_offer_too_large') throw new HttpError(detail.code, detail.message);
    if (detail?.code === 'sfu_bad_offer' || detail?.code === undefined) {
      throw new HttpError('sfu_bad_offer', detail?.message ?? 'the SFU did not accept the offer');
    }
    throw new HttpError(isHttpErrorCode(detail.code) ? detail.code : 'sfu_unavailable', detail.message);
  }
  if (transport.producers.size === 0) {
    ctx.core.removeExternalParticipant(participantId, 'left');
    throw new HttpError('sfu_bad_offer', 'the offer has no track in a codec the SFU forwards');
  }
  let closed = false;
  let timer: TimerHandle | undefined;
  const close = (reason: string): void => {
    if (closed) return;
    closed = true;
    timer?.cancel();
    if (!removedByCore) {
      const leave: LeaveReason =
        reason === 'ice_consent_expired' || reason === 'connect_timeout' || reason.startsWith('dtls')
          ? 'timeout'
          : 'left';
      ctx.core.removeExternalParticipant(participantId, leave);
    }
    transport.close(reason);
    ctx.log.info('whip publisher closed', { room: req.room, resource: id, participantId, reason });
    if (resource !== undefined) ctx.onGone(resource);
  };
  resource = {
    kind: 'whip',
    id,
    room: req.room,
    participantId,
    answer: answer.sdp,
    transport,
    remoteUfrag: iceUfragOf(offer),
    etag: newEtag(),
    tag: tagOf(offer),
    restartIce: (remoteUfrag) => {
      const ice = createIceCredentials();
      transport.restartIce(ice);
      transport.setRemoteParameters({ iceUfrag: remoteUfrag, fingerprints: [] });
      return ice;
    },
    close,
  };
  timer = connectTimer(ctx, transport, close);
  transport.on('connected', () => timer?.cancel());
  transport.on('closed', (reason) => close(reason));
  ctx.log.info('whip publisher', { room: req.room, resource: id, participantId, name: req.name });
  return resource;
}

/**
 * A WHEP player of `participantId` (or of the newest video publisher). Throws HttpError:
 * 400 `sfu_bad_offer`, 404 `no_stream`, 503 `sfu_unavailable` (router limits).
 */
export function createPlayer(
  ctx: ResourceContext,
  req: { room: string; offer: string; participantId: string | undefined; preferredRank?: number },
): WhipResource {
  const offer = parseOffer(req.offer);
  const id = newResourceId();
  let player: WhepPlayer;
  try {
    player = WhepPlayer.create({
      service: ctx.service,
      room: req.room,
      ...(req.participantId === undefined ? {} : { participantId: req.participantId }),
      ...(req.preferredRank === undefined ? {} : { preferredRank: req.preferredRank }),
      offerSdp: req.offer,
      clock: ctx.clock,
      logger: ctx.log,
      connectTimeoutMs: ctx.connectTimeoutMs,
      id,
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = (err as Error).message;
    if (code === 'sfu_not_found') throw new HttpError('no_stream', message);
    if (typeof code === 'string' && SDP_ERROR_CODES.has(code)) throw new HttpError('sfu_bad_offer', message);
    throw new HttpError('sfu_unavailable', message);
  }
  const resource: WhipResource = {
    kind: 'whep',
    id,
    room: req.room,
    participantId: player.participantId,
    answer: player.answer,
    transport: player.transport,
    remoteUfrag: iceUfragOf(offer),
    etag: newEtag(),
    tag: tagOf(offer),
    restartIce: (remoteUfrag) => player.restartIce(remoteUfrag),
    close: (reason) => player.close(reason),
  };
  player.on('closed', (reason) => {
    ctx.log.info('whep player closed', { room: req.room, resource: id, reason });
    ctx.onGone(resource);
  });
  return resource;
}

function iceUfragOf(offer: SessionDescription): string {
  return offer.iceUfrag ?? offer.media.find((m) => m.iceUfrag !== undefined)?.iceUfrag ?? '';
}

/** The core's join errors as HTTP errors. */
function joinError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'room_not_found':
      return new HttpError('room_not_found', message);
    case 'not_sfu_room':
    case 'unsupported_mode':
      return new HttpError('not_sfu_room', 'this room does not use the SFU (p2p room)');
    case 'room_full':
      return new HttpError('room_full', message);
    case 'bad_message':
      return new HttpError('bad_request', message);
    case 'server_shutdown':
      return new HttpError('sfu_unavailable', message);
    default:
      return err;
  }
}
