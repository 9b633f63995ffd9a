/**
 * The two kinds of WHIP/WHEP resource (RFC 9725 §4.2, draft-ietf-wish-whep): a WHIP
 * publisher — an external participant of its room (core.addExternalParticipant) whose
 * offer goes through the SFU's publish path like a browser's — and a WHEP player (not a
 * participant). Both reach the SFU only through its API (`SfuClient`: messages, answers
 * later), as if it ran elsewhere. Each frees itself when its transport dies (consent
 * freshness, RFC 7675), when it does not connect in time, or when it is deleted.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Logger, TimerHandle } from '@itda/common';
import type { LeaveReason, MediaState, ServerMessage } from '@itda/protocol';
import { type IceRestartResult, SfuCallError, type SfuClient, type SfuTransportChange } from '@itda/sfu/api';
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
  /** The client's current ICE ufrag (a PATCH with another one is an ICE restart). */
  remoteUfrag: string;
  /** Entity tag of the session's ICE state (RFC 9725 §4.3.1): a new one after each ICE restart. */
  etag: string;
  /** mid and kind of the BUNDLE tag, for sdpfrag answers. */
  readonly tag: { mid: string; kind: string } | undefined;
  /** True once freed. */
  readonly closed: boolean;
  /** ICE restart: our new credentials and candidates; `remoteUfrag` is the client's new one. HttpError 404 once ended. */
  restartIce(remoteUfrag: string): Promise<IceRestartResult>;
  /** Frees everything. Idempotent. */
  close(reason: string): void;
}

export interface ResourceContext {
  core: SignalCore;
  sfu: SfuClient;
  clock: Clock;
  log: Logger;
  /** Not connected after this long: freed. */
  connectTimeoutMs: number;
  /** The SFU's answer to a publish must come within this long (else 503 `sfu_unavailable`). */
  answerTimeoutMs: number;
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
 * Rejects with HttpError: 400 `sfu_bad_offer`, 404 `room_not_found`, 409 `not_sfu_room` /
 * `room_full`, 413 `sfu_offer_too_large`, 503 `sfu_unavailable`.
 */
export async function createPublisher(ctx: ResourceContext, req: PublishRequest): Promise<WhipResource> {
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
  let removedBy: string | undefined;
  // What happens before the resource exists: the SFU's answer, the participant removed, a transport change.
  let settle: ((message: ServerMessage | undefined) => void) | undefined;
  const answered = new Promise<ServerMessage | undefined>((resolve) => {
    settle = resolve;
  });
  let connected = false;
  let endedBy: string | undefined;
  let closed = false;
  let timer: TimerHandle | undefined;
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
        if (message.type === 'published' || message.type === 'error') settle?.(message);
      },
      onRemoved: (reason) => {
        removedBy = `participant_${reason}`;
        settle?.(undefined);
        resource?.close(removedBy);
      },
    }).id;
  } catch (err) {
    throw joinError(err);
  }
  const onTransport = (change: SfuTransportChange): void => {
    if (change.role !== 'publish') return;
    if (change.state === 'connected') {
      connected = true;
      timer?.cancel();
    } else {
      endedBy ??= change.reason ?? 'closed';
      resource?.close(endedBy);
    }
  };
  ctx.sfu.watchTransports(req.room, participantId, onTransport);
  ctx.sfu.publish(req.room, participantId, { type: 'publish', sdp: req.offer, tracks: [] });
  const deadline = ctx.clock.setTimeout(() => settle?.(undefined), ctx.answerTimeoutMs);
  const answer = await answered;
  settle = undefined;
  deadline.cancel();
  if (answer?.type !== 'published') {
    if (removedBy === undefined) ctx.core.removeExternalParticipant(participantId, 'left');
    throw publishError(answer, removedBy);
  }
  const close = (reason: string): void => {
    if (closed) return;
    closed = true;
    timer?.cancel();
    if (removedBy === undefined) {
      const leave: LeaveReason =
        reason === 'ice_consent_expired' || reason === 'connect_timeout' || reason.startsWith('dtls')
          ? 'timeout'
          : 'left';
      // The SFU closes the participant's transports when it leaves.
      ctx.core.removeExternalParticipant(participantId, leave);
    }
    ctx.log.info('whip publisher closed', { room: req.room, resource: id, participantId, reason });
    if (resource !== undefined) ctx.onGone(resource);
  };
  resource = {
    kind: 'whip',
    id,
    room: req.room,
    participantId,
    answer: answer.sdp,
    remoteUfrag: iceUfragOf(offer),
    etag: newEtag(),
    tag: tagOf(offer),
    get closed() {
      return closed;
    },
    restartIce: (remoteUfrag) => callOrGone(ctx.sfu.restartIce(req.room, participantId, remoteUfrag)),
    close,
  };
  if (endedBy !== undefined) {
    close(endedBy);
    throw new HttpError('sfu_unavailable', 'the session ended at once');
  }
  if (!connected) {
    timer = ctx.clock.setTimeout(() => {
      if (!connected) close('connect_timeout');
    }, ctx.connectTimeoutMs);
  }
  ctx.log.info('whip publisher', { room: req.room, resource: id, participantId, name: req.name });
  return resource;
}

/** The HTTP error for a publish the SFU did not answer with `published`. */
function publishError(answer: ServerMessage | undefined, removedBy: string | undefined): HttpError {
  if (answer?.type !== 'error') {
    return new HttpError(
      'sfu_unavailable',
      removedBy === undefined ? 'the SFU did not answer the offer in time' : `the publisher was removed (${removedBy})`,
    );
  }
  if (answer.code === 'sfu_offer_too_large') return new HttpError(answer.code, answer.message);
  if (answer.code === 'sfu_bad_offer') return new HttpError('sfu_bad_offer', answer.message);
  return new HttpError(isHttpErrorCode(answer.code) ? answer.code : 'sfu_unavailable', answer.message);
}

/** A call on an ended session: 404. */
async function callOrGone<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof SfuCallError && err.code === 'sfu_not_found') {
      throw new HttpError('not_found', 'the session has ended');
    }
    if (err instanceof SfuCallError && err.code === 'sfu_bad_parameters')
      throw new HttpError('bad_request', err.message);
    throw err instanceof SfuCallError ? new HttpError('sfu_unavailable', err.message) : err;
  }
}

/**
 * A WHEP player of `participantId` (or of the newest video publisher). Rejects with
 * HttpError: 400 `sfu_bad_offer`, 404 `no_stream`, 503 `sfu_unavailable` (router limits).
 */
export async function createPlayer(
  ctx: ResourceContext,
  req: { room: string; offer: string; participantId: string | undefined; preferredRank?: number },
): Promise<WhipResource> {
  const offer = parseOffer(req.offer);
  const id = newResourceId();
  let closed = false;
  let resource: WhipResource | undefined;
  let endedBy: string | undefined;
  const ended = (reason: string): void => {
    if (closed) return;
    closed = true;
    ctx.log.info('whep player closed', { room: req.room, resource: id, reason });
    if (resource !== undefined) ctx.onGone(resource);
  };
  let played: { answer: string; participantId: string };
  try {
    played = await ctx.sfu.play(
      {
        room: req.room,
        playerId: id,
        ...(req.participantId === undefined ? {} : { participantId: req.participantId }),
        ...(req.preferredRank === undefined ? {} : { preferredRank: req.preferredRank }),
        offer: req.offer,
        connectTimeoutMs: ctx.connectTimeoutMs,
      },
      (reason) => {
        endedBy = reason;
        ended(reason);
      },
    );
  } catch (err) {
    const code = err instanceof SfuCallError ? err.code : undefined;
    const message = (err as Error).message;
    if (code === 'sfu_not_found') throw new HttpError('no_stream', message);
    if (code !== undefined && SDP_ERROR_CODES.has(code)) throw new HttpError('sfu_bad_offer', message);
    throw new HttpError('sfu_unavailable', message);
  }
  resource = {
    kind: 'whep',
    id,
    room: req.room,
    participantId: played.participantId,
    answer: played.answer,
    remoteUfrag: iceUfragOf(offer),
    etag: newEtag(),
    tag: tagOf(offer),
    get closed() {
      return closed;
    },
    restartIce: (remoteUfrag) => callOrGone(ctx.sfu.restartPlayerIce(id, remoteUfrag)),
    close: (reason) => {
      if (closed) return;
      ctx.sfu.stopPlayer(id, reason);
      ended(reason);
    },
  };
  if (endedBy !== undefined) throw new HttpError('sfu_unavailable', 'the session ended at once');
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
    case 'room_locked':
    case 'banned':
      return new HttpError('forbidden', message);
    case 'bad_message':
      return new HttpError('bad_request', message);
    case 'server_shutdown':
      return new HttpError('sfu_unavailable', message);
    default:
      return err;
  }
}
