/**
 * One participant of an SFU room as the session layer sees it: its publish and
 * subscribe transports, the producers it publishes (by mid) and the m-line slots of its
 * subscribe peer connection.
 *
 * Subscribe slots: one m-line per consumed track, in order. A consumer that ends leaves
 * its slot inactive (port 0 in the next offer); once that offer is answered the slot
 * may be recycled for a new track with a fresh mid (RFC 8843 §7.3.3, JSEP §5.2.2), so
 * the subscribe SDP stays as long as the most tracks seen at once.
 */
import type { Consumer, Producer, RtpCodec, WebRtcTransport } from '../router/index.ts';
import type { SfuOutMessage, SfuParticipantInfo } from './types.ts';

export interface SubscribeSlotState {
  mid: string;
  kind: 'audio' | 'video';
  /** The consumer this slot carries; undefined once it ended. */
  consumer: Consumer | undefined;
  /** Offered as inactive and answered: may be recycled with a new mid. */
  recyclable: boolean;
  /** The consumer the last offer carried in this slot (undefined: offered inactive). */
  offered: Consumer | undefined;
  /** The last offer had this m-line bundled (a live track, or idle) rather than at port 0. */
  bundled: boolean;
  /** The last offer had it idle (`a=inactive`, transport kept): not recyclable. */
  idle: boolean;
  /** Codec of the last track this slot carried (an idle m-line needs one). */
  lastCodec: RtpCodec | undefined;
}

export class SfuPeer {
  readonly info: SfuParticipantInfo;
  send: (msg: SfuOutMessage) => void;
  publish: WebRtcTransport | undefined;
  subscribe: WebRtcTransport | undefined;
  readonly producers = new Map<string, Producer>();
  readonly slots: SubscribeSlotState[] = [];
  /** Simulcast rank asked for per publishing participant (`quality`), at most `MAX_QUALITIES`. */
  readonly qualities = new Map<string, number>();
  /** Version of the last subscribe offer sent. */
  version = 0;
  /** An offer is out and its answer not in yet. */
  awaitingAnswer = false;
  /** Something changed since the last offer. */
  dirty = false;
  /** The last offer sent, resent after a resume. */
  lastOffer: SfuOutMessage | undefined;
  /** The publish offer's ICE ufrag, to detect an ICE restart. */
  publishRemoteUfrag: string | undefined;
  /** o= session id of the subscribe offers on the current transport. */
  subscribeSessionId: string | undefined;
  /** Next mid number of the subscribe peer connection. */
  nextMid = 0;

  constructor(info: SfuParticipantInfo, send: (msg: SfuOutMessage) => void) {
    this.info = info;
    this.send = send;
  }

  get id(): string {
    return this.info.id;
  }

  /** A slot for a new track: a recyclable one of the same kind with a fresh mid, else a new one. */
  takeSlot(kind: 'audio' | 'video', consumerFor: (mid: string) => Consumer): SubscribeSlotState {
    const mid = String(this.nextMid++);
    const slot = this.slots.find((s) => s.recyclable && s.consumer === undefined && s.kind === kind);
    if (slot !== undefined) {
      slot.mid = mid;
      slot.recyclable = false;
      slot.offered = undefined;
      slot.bundled = false;
      slot.idle = false;
      slot.consumer = consumerFor(mid);
      slot.lastCodec = slot.consumer.producer.codec;
      return slot;
    }
    const fresh: SubscribeSlotState = {
      mid,
      kind,
      consumer: undefined,
      recyclable: false,
      offered: undefined,
      bundled: false,
      idle: false,
      lastCodec: undefined,
    };
    fresh.consumer = consumerFor(mid);
    fresh.lastCodec = fresh.consumer.producer.codec;
    this.slots.push(fresh);
    return fresh;
  }
}
