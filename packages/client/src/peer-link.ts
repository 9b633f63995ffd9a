/**
 * One RTCPeerConnection to one remote participant, negotiated with the *perfect
 * negotiation* pattern of the W3C WebRTC spec (§10.7, "Perfect negotiation example"):
 *
 * - `negotiationneeded` → `setLocalDescription()` (no arguments) → send the offer,
 *   with `makingOffer` set meanwhile.
 * - An incoming offer collides when we are making an offer or are not `stable`
 *   (unless only our remote answer is being applied). The impolite side ignores a
 *   colliding offer (`ignoreOffer`); the polite side applies it, which rolls its own
 *   offer back implicitly, and answers with `setLocalDescription()`.
 * - Trickle ICE both ways (draft-ietf-mmusic-trickle-ice / RFC 8838), including
 *   end-of-candidates: a `null` candidate is sent, and received as `addIceCandidate()`
 *   without a candidate. Candidates that fail while an offer is being ignored are
 *   swallowed.
 * - ICE restart (RFC 8445 §9) via `restartIce()` when ICE `failed`, or stayed
 *   `disconnected` for `disconnectedRestartMs`.
 * - An offer left unanswered for `offerResendMs` (lost while signaling reconnected)
 *   is sent again, at most `maxOfferResends` times.
 *
 * One negotiated data channel (`negotiated: true, id: 0`, label `itda`, ordered)
 * carries chat and files (see PeerChannel).
 */
import { type Clock, type Logger, type TimerHandle, TypedEmitter } from '@itda/common';
import type { IceCandidate } from '@itda/protocol';
import { PeerChannel } from './peer-channel.ts';
import type { OutgoingMessage } from './signaling-client.ts';

export interface PeerLinkOptions {
  remoteId: string;
  /** Whether this side rolls back on glare (see isPolite). */
  polite: boolean;
  configuration: RTCConfiguration;
  clock: Clock;
  logger: Logger;
  /** Sends a signaling message addressed to the remote participant. */
  signal: (message: OutgoingMessage) => void;
  /**
   * Whether this side makes the first offer. The other side holds its own offers until
   * the first negotiation completes (or `holdOffersMs` passes), so the first
   * negotiation does not start with glare: Chromium can stall ICE gathering when an
   * offer that created the transport is rolled back. Default true.
   */
  initiator?: boolean;
  /** How long a non-initiator waits for the first offer before offering itself, ms. Default 3000. */
  holdOffersMs?: number;
  /** Restart ICE when it is still `new` this long after a completed negotiation, ms. Default 5000. */
  stalledIceRestartMs?: number;
  /** Restart ICE after this long in `disconnected`, ms. Default 4000. */
  disconnectedRestartMs?: number;
  /** Resend an unanswered offer after this long, ms. Default 5000. */
  offerResendMs?: number;
  /** Default 3. */
  maxOfferResends?: number;
  /** Largest file sent or received on the data channel, bytes. Default 100 MiB. */
  maxFileBytes?: number;
  /** Default: `new RTCPeerConnection(configuration)`. */
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
}

export type PeerLinkEvents = {
  track: [track: MediaStreamTrack, streams: readonly MediaStream[]];
  connectionState: [state: RTCPeerConnectionState];
  channelOpen: [];
};

export class PeerLink extends TypedEmitter<PeerLinkEvents> {
  readonly pc: RTCPeerConnection;
  readonly channel: PeerChannel;
  readonly polite: boolean;
  readonly remoteId: string;
  readonly #dc: RTCDataChannel;
  readonly #o: PeerLinkOptions;
  readonly #log: Logger;
  #makingOffer = false;
  #ignoreOffer = false;
  #isSettingRemoteAnswerPending = false;
  #closed = false;
  #disconnectedTimer: TimerHandle | undefined;
  #resendTimer: TimerHandle | undefined;
  #resends = 0;
  #holding: boolean;
  #heldNegotiation = false;
  #holdTimer: TimerHandle | undefined;
  #stallTimer: TimerHandle | undefined;

  constructor(options: PeerLinkOptions) {
    super();
    this.#o = options;
    this.polite = options.polite;
    this.remoteId = options.remoteId;
    this.#log = options.logger.child('peer', { remote: options.remoteId, polite: options.polite });
    const create = options.createPeerConnection ?? ((c: RTCConfiguration) => new RTCPeerConnection(c));
    const pc = create(options.configuration);
    this.pc = pc;
    this.#dc = pc.createDataChannel('itda', { negotiated: true, id: 0, ordered: true });
    this.#dc.binaryType = 'arraybuffer';
    this.channel = new PeerChannel(this.#dc, { maxFileBytes: options.maxFileBytes });
    this.#dc.onmessage = (ev: MessageEvent) => {
      const data: unknown = ev.data;
      if (typeof data === 'string' || data instanceof ArrayBuffer) this.channel.receive(data);
    };
    this.#dc.onopen = () => this.emit('channelOpen');

    this.#holding = options.initiator === false;
    if (this.#holding) {
      this.#holdTimer = options.clock.setTimeout(() => this.#release(), options.holdOffersMs ?? 3000);
    }
    pc.onnegotiationneeded = () => {
      if (this.#holding) {
        this.#heldNegotiation = true;
        return;
      }
      void this.#makeOffer();
    };
    pc.onsignalingstatechange = () => this.#onSignalingState();
    pc.onicecandidate = ({ candidate }) => {
      if (this.#closed) return;
      this.#o.signal({
        type: 'candidate',
        to: this.remoteId,
        candidate: candidate === null ? null : toWire(candidate),
      });
    };
    pc.oniceconnectionstatechange = () => this.#onIceState();
    pc.onconnectionstatechange = () => this.emit('connectionState', pc.connectionState);
    pc.ontrack = (ev) => this.emit('track', ev.track, ev.streams);
  }

  /** Ends the hold on offers; makes the offer that was held back, if any. */
  #release(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#holdTimer?.cancel();
    if (this.#heldNegotiation && this.pc.signalingState === 'stable') {
      this.#heldNegotiation = false;
      void this.#makeOffer();
    }
  }

  #onSignalingState(): void {
    const pc = this.pc;
    if (this.#closed || pc.signalingState !== 'stable' || pc.remoteDescription === null) return;
    // The first negotiation is complete.
    this.#release();
    // ICE that never starts after a negotiation is restarted (stalled gathering).
    this.#stallTimer?.cancel();
    if (pc.iceConnectionState === 'new') {
      this.#stallTimer = this.#o.clock.setTimeout(() => {
        if (!this.#closed && pc.iceConnectionState === 'new' && pc.signalingState === 'stable') {
          this.#log.info('ICE did not start after negotiation');
          this.restartIce();
        }
      }, this.#o.stalledIceRestartMs ?? 5000);
    }
  }

  async #makeOffer(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#makingOffer = true;
      await this.pc.setLocalDescription();
      this.#sendLocalOffer();
    } catch (err) {
      this.#log.warn('creating an offer failed', { err: String(err) });
    } finally {
      this.#makingOffer = false;
    }
  }

  #sendLocalOffer(): void {
    const desc = this.pc.localDescription;
    if (this.#closed || desc === null || desc.type !== 'offer') return;
    this.#log.debug('sending offer');
    this.#o.signal({ type: 'offer', to: this.remoteId, sdp: desc.sdp });
    this.#resendTimer?.cancel();
    const sdp = desc.sdp;
    this.#resendTimer = this.#o.clock.setTimeout(() => {
      const still = this.pc.localDescription;
      if (this.#closed || this.pc.signalingState !== 'have-local-offer' || still?.sdp !== sdp) return;
      if (this.#resends >= (this.#o.maxOfferResends ?? 3)) return;
      this.#resends++;
      this.#log.info('offer unanswered; sending it again', { attempt: this.#resends });
      this.#sendLocalOffer();
    }, this.#o.offerResendMs ?? 5000);
  }

  /** Applies a remote offer or answer (perfect negotiation, W3C WebRTC §10.7). */
  async handleDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<void> {
    if (this.#closed) return;
    const pc = this.pc;
    this.#log.debug('remote description', {
      type: description.type,
      sig: pc.signalingState,
      makingOffer: this.#makingOffer,
    });
    // Everything up to setRemoteDescription is synchronous, so candidates handled after
    // this call queue behind it on the connection's operations chain.
    const readyForOffer = !this.#makingOffer && (pc.signalingState === 'stable' || this.#isSettingRemoteAnswerPending);
    const offerCollision = description.type === 'offer' && !readyForOffer;
    this.#ignoreOffer = !this.polite && offerCollision;
    if (this.#ignoreOffer) {
      this.#log.debug('ignoring a colliding offer (impolite side)');
      return;
    }
    try {
      this.#isSettingRemoteAnswerPending = description.type === 'answer';
      await pc.setRemoteDescription(description); // implicit rollback on the polite side
      this.#isSettingRemoteAnswerPending = false;
      if (description.type === 'answer') {
        this.#resendTimer?.cancel();
        this.#resends = 0;
        return;
      }
      await pc.setLocalDescription();
      const answer = pc.localDescription;
      if (!this.#closed && answer !== null) this.#o.signal({ type: 'answer', to: this.remoteId, sdp: answer.sdp });
    } catch (err) {
      this.#isSettingRemoteAnswerPending = false;
      this.#log.warn('applying a remote description failed', { type: description.type, err: String(err) });
    }
  }

  /** Adds a remote ICE candidate; `null` means end-of-candidates. */
  async handleCandidate(candidate: IceCandidate | null): Promise<void> {
    if (this.#closed) return;
    this.#log.debug('remote candidate', { candidate: candidate?.candidate ?? null, sig: this.pc.signalingState });
    try {
      if (candidate === null) await this.pc.addIceCandidate();
      else await this.pc.addIceCandidate(candidate);
    } catch (err) {
      // Candidates for an offer we ignored cannot be added; that is expected.
      if (!this.#ignoreOffer) this.#log.warn('adding a remote candidate failed', { err: String(err) });
    }
  }

  #onIceState(): void {
    const state = this.pc.iceConnectionState;
    this.#log.debug('ice connection state', { state, gathering: this.pc.iceGatheringState });
    this.#disconnectedTimer?.cancel();
    this.#disconnectedTimer = undefined;
    if (state !== 'new') this.#stallTimer?.cancel();
    if (state === 'failed') {
      this.restartIce();
    } else if (state === 'disconnected') {
      this.#disconnectedTimer = this.#o.clock.setTimeout(() => {
        if (this.pc.iceConnectionState === 'disconnected') this.restartIce();
      }, this.#o.disconnectedRestartMs ?? 4000);
    }
  }

  /** True when ICE is connected or completed. */
  get iceConnected(): boolean {
    const s = this.pc.iceConnectionState;
    return s === 'connected' || s === 'completed';
  }

  /** Starts an ICE restart: new credentials in the next offer (RFC 8445 §9). */
  restartIce(): void {
    if (this.#closed) return;
    this.#log.info('restarting ICE');
    this.pc.restartIce();
  }

  /** After a signaling outage: resend a pending offer; restart ICE if it is not connected. */
  recover(): void {
    if (this.#closed) return;
    if (this.pc.signalingState === 'have-local-offer') {
      this.#resends = 0;
      this.#sendLocalOffer();
    }
    if (!this.iceConnected) this.restartIce();
  }

  /** Updates the ICE servers (for example fresh TURN credentials after `resumed`). */
  setIceServers(iceServers: RTCIceServer[]): void {
    if (this.#closed) return;
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
    } catch (err) {
      this.#log.warn('setConfiguration failed', { err: String(err) });
    }
  }

  /** Closes the channel and the connection. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disconnectedTimer?.cancel();
    this.#resendTimer?.cancel();
    this.#holdTimer?.cancel();
    this.#stallTimer?.cancel();
    this.channel.close();
    this.channel.removeAllListeners();
    this.removeAllListeners();
    this.#dc.onmessage = null;
    this.#dc.onopen = null;
    this.#dc.close();
    this.pc.onnegotiationneeded = null;
    this.pc.onsignalingstatechange = null;
    this.pc.onicecandidate = null;
    this.pc.oniceconnectionstatechange = null;
    this.pc.onconnectionstatechange = null;
    this.pc.ontrack = null;
    this.pc.close();
  }
}

function toWire(c: RTCIceCandidate): IceCandidate {
  const json = c.toJSON();
  return {
    candidate: json.candidate ?? '',
    sdpMid: json.sdpMid ?? null,
    sdpMLineIndex: json.sdpMLineIndex ?? null,
    usernameFragment: json.usernameFragment ?? null,
  };
}
