/**
 * The subscribe connection of an `sfu` room: the SFU offers every other participant's
 * tracks (`subscribe`, numbered by `version`), the client answers (`subscribed`). Offers
 * are applied one at a time in order of `version`; one that a newer offer has overtaken
 * before it was applied is skipped. Each m-line's participant and source come from the
 * offer's `tracks` list (the msid stream id is the participant id as well); an m-line
 * that is no longer listed (port 0, or its slot recycled) ends its track: `ended`.
 * ICE that fails (or stays `disconnected`, or does not come up after an answer with
 * tracks) asks for a fresh offer with new credentials: `resubscribe { iceRestart: true }`.
 * The same offer again (the server resends the one out after a resume) gets the same
 * answer again, since the first may have been lost; an offer that cannot be applied
 * asks for a fresh one (`resubscribe`, at most `MAX_APPLY_RETRIES` in a row).
 */
import type { Clock, Logger } from '@itda/common';
import { TypedEmitter } from '@itda/common';
import type { ResubscribeMessage, SubscribedMessage, SubscribeMessage, SubscribeTrack } from '@itda/protocol';
import { ClientError, ClientErrorCode } from './errors.ts';
import { IceWatch } from './ice-watch.ts';
import { SubscribeTrackTable } from './sfu-tracks.ts';

/** Offers in a row that could not be applied after which the subscriber stops asking for another. */
const MAX_APPLY_RETRIES = 3;

export interface SfuSubscriberOptions {
  configuration: RTCConfiguration;
  clock: Clock;
  logger: Logger;
  send: (message: SubscribedMessage | ResubscribeMessage) => void;
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
  /** Restart ICE after this long in `disconnected`, ms. Default 4000. */
  disconnectedRestartMs?: number;
  /** Restart ICE when the connection is not up this long after an answer with tracks, ms. Default 15,000. */
  connectRestartMs?: number;
}

export type SfuSubscriberEvents = {
  /** A remote track arrived on the m-line described by `info`. */
  track: [info: SubscribeTrack, track: MediaStreamTrack];
  /** The m-line of `info` went away; its track (the one `track` gave) is over. */
  ended: [info: SubscribeTrack, track: MediaStreamTrack | undefined];
  error: [err: ClientError];
};

export class SfuSubscriber extends TypedEmitter<SfuSubscriberEvents> {
  readonly pc: RTCPeerConnection;
  readonly #o: SfuSubscriberOptions;
  readonly #log: Logger;
  readonly #ice: IceWatch;
  readonly #table = new SubscribeTrackTable();
  /** Tracks by mid, as delivered (`ontrack`). */
  readonly #tracks = new Map<string, MediaStreamTrack>();
  /** Mids whose `track` event was emitted. */
  readonly #emitted = new Set<string>();
  #newest = -1;
  /** The last answer sent, sent again when its offer comes again. */
  #lastAnswer: SubscribedMessage | undefined;
  /** Offers in a row that could not be applied. */
  #applyFailures = 0;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: SfuSubscriberOptions) {
    super();
    this.#o = options;
    this.#log = options.logger.child('subscribe');
    const create = options.createPeerConnection ?? ((c: RTCConfiguration) => new RTCPeerConnection(c));
    this.pc = create(options.configuration);
    this.#ice = new IceWatch(this.pc, {
      clock: options.clock,
      disconnectedMs: options.disconnectedRestartMs ?? 4000,
      connectMs: options.connectRestartMs ?? 15_000,
      restart: () => {
        this.#log.info('asking for an ICE restart');
        this.#o.send({ type: 'resubscribe', iceRestart: true });
      },
    });
    this.pc.oniceconnectionstatechange = () => this.#ice.onStateChange();
    this.pc.ontrack = (ev) => this.#onTrack(ev.transceiver.mid, ev.track);
  }

  /** The version of the last offer answered, or -1. */
  get version(): number {
    return this.#lastAnswer?.version ?? -1;
  }

  /** The tracks delivered (`track` events) and still listed. */
  current(): { info: SubscribeTrack; track: MediaStreamTrack }[] {
    const out: { info: SubscribeTrack; track: MediaStreamTrack }[] = [];
    for (const mid of this.#emitted) {
      const info = this.#table.get(mid);
      const track = this.#tracks.get(mid);
      if (info !== undefined && track !== undefined) out.push({ info, track });
    }
    return out;
  }

  /** A `subscribe` offer. Older or repeated versions are ignored. */
  handleSubscribe(msg: SubscribeMessage): Promise<void> {
    if (!this.#closed && this.#lastAnswer !== undefined && msg.version === this.#lastAnswer.version) {
      // Sent again (after a resume): the answer may not have reached the server.
      this.#log.debug('subscribe offer repeated: answering again', { version: msg.version });
      this.#o.send(this.#lastAnswer);
      return this.#chain;
    }
    if (this.#closed || msg.version <= this.#newest) {
      this.#log.debug('subscribe offer ignored (not newer)', { version: msg.version, newest: this.#newest });
      return this.#chain;
    }
    this.#newest = msg.version;
    this.#chain = this.#chain.then(() => this.#apply(msg));
    return this.#chain;
  }

  async #apply(msg: SubscribeMessage): Promise<void> {
    if (this.#closed || msg.version !== this.#newest) return;
    const pc = this.pc;
    const change = this.#table.apply(msg.tracks);
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      await pc.setLocalDescription();
      const answer = pc.localDescription;
      if (this.#closed || answer === null) return;
      this.#applyFailures = 0;
      this.#lastAnswer = { type: 'subscribed', sdp: answer.sdp, version: msg.version };
      this.#o.send(this.#lastAnswer);
      if (msg.tracks.length > 0) this.#ice.expectConnection();
    } catch (err) {
      this.#log.warn('applying a subscribe offer failed', { version: msg.version, err: String(err) });
      this.emit(
        'error',
        new ClientError(ClientErrorCode.Negotiation, 'applying a subscribe offer failed', { cause: err }),
      );
      if (pc.signalingState === 'have-remote-offer') {
        await pc.setRemoteDescription({ type: 'rollback' }).catch(() => undefined);
      }
      // The server waits for an answer to this offer: ask it for a fresh one instead.
      if (!this.#closed && ++this.#applyFailures <= MAX_APPLY_RETRIES) this.#o.send({ type: 'resubscribe' });
    }
    for (const info of change.removed) {
      const wasEmitted = this.#emitted.delete(info.mid);
      const track = this.#tracks.get(info.mid);
      if (this.#table.get(info.mid) === undefined) this.#tracks.delete(info.mid);
      if (wasEmitted) this.emit('ended', info, track);
    }
    // Tracks that arrived before their m-line was listed, or a listed mid that changed hands.
    for (const info of change.added) this.#deliver(info.mid);
  }

  #deliver(mid: string): void {
    const info = this.#table.get(mid);
    const track = this.#tracks.get(mid);
    if (info === undefined || track === undefined || this.#emitted.has(mid)) return;
    this.#emitted.add(mid);
    this.emit('track', info, track);
  }

  #onTrack(mid: string | null, track: MediaStreamTrack): void {
    if (this.#closed || mid === null) return;
    this.#tracks.set(mid, track);
    this.#emitted.delete(mid);
    if (this.#table.get(mid) === undefined) {
      this.#log.debug('track on an unlisted m-line; waiting for its listing', { mid });
      return;
    }
    this.#deliver(mid);
  }

  /** After a signaling outage: ask for an ICE restart when ICE is broken (the server resends its offer itself). */
  recover(): void {
    if (this.#closed) return;
    if (this.#ice.broken) this.#o.send({ type: 'resubscribe', iceRestart: true });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ice.stop();
    this.removeAllListeners();
    this.pc.oniceconnectionstatechange = null;
    this.pc.ontrack = null;
    this.pc.close();
  }
}
