/**
 * The publish connection of an `sfu` room: the client offers, the SFU answers
 * (docs/signaling.md, "SFU rooms"). LocalMedia adds the camera, microphone and screen
 * tracks to `pc` as on any link; every `negotiationneeded` becomes one `publish`:
 *
 * 1. transceivers that send are made `sendonly`; those whose track was removed (screen
 *    share stopped) are stopped, so their m-line goes to port 0 (JSEP §4.2.2);
 * 2. `createOffer` (with `iceRestart` after ICE failed) → `setLocalDescription`;
 * 3. `publish { sdp, tracks }` with each sending mid's source (`publishSourceOf`);
 * 4. `published` → `setRemoteDescription(answer)`.
 * One offer is out at a time; changes meanwhile make one more offer after the answer.
 * An error answer (`sfu_bad_offer`, …) rolls the offer back. An unanswered offer is sent
 * again after `offerResendMs` (at most `maxOfferResends` times) and after a resume.
 */
import type { Clock, Logger, TimerHandle } from '@itda/common';
import { TypedEmitter } from '@itda/common';
import type { PublishMessage, PublishTrack } from '@itda/protocol';
import { preferVideoCodec, type VideoCodec } from './codec-preference.ts';
import { ClientError, ClientErrorCode } from './errors.ts';
import { IceWatch } from './ice-watch.ts';
import { publishSourceOf } from './sfu-tracks.ts';

export interface SfuPublisherOptions {
  configuration: RTCConfiguration;
  clock: Clock;
  logger: Logger;
  send: (message: PublishMessage) => void;
  /** The local screen share, to tell its tracks from the camera's. */
  screen: () => MediaStream | null;
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
  /** Restart ICE after this long in `disconnected`, ms. Default 4000. */
  disconnectedRestartMs?: number;
  /** Resend an unanswered publish after this long, ms. Default 5000. */
  offerResendMs?: number;
  /** Default 3. */
  maxOfferResends?: number;
  /** Offer only this video codec (and RTX), see codec-preference.ts. Default: the browser's list. */
  videoCodec?: VideoCodec;
  /** Send the camera as simulcast layers (RoomOptions.simulcast). Default false. */
  simulcast?: boolean;
}

export type SfuPublisherEvents = {
  error: [err: ClientError];
};

export class SfuPublisher extends TypedEmitter<SfuPublisherEvents> {
  readonly pc: RTCPeerConnection;
  /** The camera goes out as simulcast layers on this connection (LocalMedia reads it). */
  readonly simulcast: boolean;
  readonly #o: SfuPublisherOptions;
  readonly #log: Logger;
  readonly #ice: IceWatch;
  /** An offer is out (from createOffer until its answer or error). */
  #busy = false;
  #again = false;
  #iceRestart = false;
  #closed = false;
  #pending: PublishMessage | undefined;
  #resendTimer: TimerHandle | undefined;
  #resends = 0;

  constructor(options: SfuPublisherOptions) {
    super();
    this.#o = options;
    this.simulcast = options.simulcast === true;
    this.#log = options.logger.child('publish');
    const create = options.createPeerConnection ?? ((c: RTCConfiguration) => new RTCPeerConnection(c));
    this.pc = create(options.configuration);
    this.#ice = new IceWatch(this.pc, {
      clock: options.clock,
      disconnectedMs: options.disconnectedRestartMs ?? 4000,
      restart: () => {
        this.#log.info('restarting ICE');
        this.negotiate(true);
      },
    });
    this.pc.onnegotiationneeded = () => this.negotiate();
    this.pc.oniceconnectionstatechange = () => this.#ice.onStateChange();
  }

  /** Makes an offer now, or once the one that is out is answered. */
  negotiate(iceRestart = false): void {
    if (iceRestart) this.#iceRestart = true;
    if (this.#closed) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    void this.#offer();
  }

  async #offer(): Promise<void> {
    const pc = this.pc;
    try {
      if (pc.getTransceivers().length === 0) {
        // Nothing to publish (an ICE restart before any track): no offer.
        this.#busy = false;
        this.#iceRestart = false;
        return;
      }
      this.#prepareTransceivers();
      if (this.#o.videoCodec !== undefined) preferVideoCodec(pc, this.#o.videoCodec, this.#log);
      const iceRestart = this.#iceRestart;
      this.#iceRestart = false;
      const offer = await pc.createOffer(iceRestart ? { iceRestart: true } : {});
      if (this.#closed) return;
      await pc.setLocalDescription(offer);
      const sdp = pc.localDescription?.sdp;
      if (this.#closed || sdp === undefined) return;
      const message: PublishMessage = { type: 'publish', sdp, tracks: this.#tracks() };
      this.#pending = message;
      this.#resends = 0;
      this.#send(message);
    } catch (err) {
      this.#log.warn('creating a publish offer failed', { err: String(err) });
      this.#busy = false;
      this.emit(
        'error',
        new ClientError(ClientErrorCode.Negotiation, 'creating a publish offer failed', { cause: err }),
      );
    }
  }

  #send(message: PublishMessage): void {
    this.#log.debug('publish', { tracks: message.tracks.length });
    this.#o.send(message);
    this.#resendTimer?.cancel();
    this.#resendTimer = this.#o.clock.setTimeout(() => {
      if (this.#closed || this.#pending !== message || this.#resends >= (this.#o.maxOfferResends ?? 3)) return;
      this.#resends++;
      this.#log.info('publish unanswered; sending it again', { attempt: this.#resends });
      this.#send(message);
    }, this.#o.offerResendMs ?? 5000);
  }

  /** Sending transceivers become sendonly; those whose track was removed are stopped (port 0). */
  #prepareTransceivers(): void {
    for (const t of this.pc.getTransceivers()) {
      if (t.currentDirection === 'stopped' || t.direction === 'stopped') continue;
      if (t.direction === 'sendrecv') t.direction = 'sendonly';
      else if ((t.direction === 'recvonly' || t.direction === 'inactive') && t.sender.track === null) t.stop();
    }
  }

  #tracks(): PublishTrack[] {
    const screen = this.#o.screen();
    const tracks: PublishTrack[] = [];
    for (const t of this.pc.getTransceivers()) {
      if (t.mid === null || t.direction !== 'sendonly') continue;
      const kind = t.sender.track?.kind ?? t.receiver.track.kind;
      tracks.push({ mid: t.mid, source: publishSourceOf(kind, t.sender.track, screen) });
    }
    return tracks;
  }

  /** `published`: applies the answer; makes the next offer if changes came meanwhile. */
  async handlePublished(sdp: string): Promise<void> {
    if (this.#closed || this.pc.signalingState !== 'have-local-offer') {
      this.#log.debug('published without an offer out; ignored');
      return;
    }
    this.#pending = undefined;
    this.#resendTimer?.cancel();
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
      if (this.pc.getTransceivers().some((t) => t.sender.track !== null)) this.#ice.expectConnection();
    } catch (err) {
      this.#log.warn('applying the publish answer failed', { err: String(err) });
      this.emit(
        'error',
        new ClientError(ClientErrorCode.Negotiation, 'applying the publish answer failed', { cause: err }),
      );
      await this.#rollback();
    }
    this.#done();
  }

  /** An `error` answering `publish`: the offer is rolled back; the error is emitted. */
  async handleError(err: ClientError): Promise<void> {
    if (this.#closed) return;
    this.#pending = undefined;
    this.#resendTimer?.cancel();
    this.#log.warn('publish refused', { code: err.code, message: err.message });
    await this.#rollback();
    this.#done();
    this.emit('error', err);
  }

  async #rollback(): Promise<void> {
    if (this.pc.signalingState !== 'have-local-offer') return;
    try {
      await this.pc.setLocalDescription({ type: 'rollback' });
    } catch (err) {
      this.#log.warn('rollback failed', { err: String(err) });
    }
  }

  #done(): void {
    this.#busy = false;
    if (this.#again || this.#iceRestart) {
      this.#again = false;
      this.negotiate();
    }
  }

  /** After a signaling outage: resend an unanswered publish; restart ICE when it is broken. */
  recover(): void {
    if (this.#closed) return;
    const pending = this.#pending;
    if (pending !== undefined) {
      this.#resends = 0;
      this.#send(pending);
    }
    if (this.#ice.broken) this.negotiate(true);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#ice.stop();
    this.#resendTimer?.cancel();
    this.removeAllListeners();
    this.pc.onnegotiationneeded = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.close();
  }
}
