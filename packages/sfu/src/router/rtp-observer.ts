/**
 * RTP observers: what watches a room's media without forwarding it (active speaker here;
 * recording taps and statistics later). The Router hands each observer every producer of
 * the room, and each producer hands its observers every packet it receives (after
 * decryption, before forwarding; not retransmissions, not while paused). The Router's
 * room tick drives their periodic work.
 */
import type { RtpPacketView } from '../rtp/index.ts';
import type { Producer } from './producer.ts';

export interface RtpObserver {
  /** A producer of the room (existing ones when the observer is added, then each new one). Return false to skip its packets. */
  addProducer(producer: Producer): boolean;
  /** The producer closed. */
  removeProducer(producer: Producer): void;
  /** One received packet of an observed producer. Runs on the forwarding path: keep it cheap, never throw. */
  onRtp(producer: Producer, view: RtpPacketView, nowMs: number): void;
  /** The room tick (every `Router` `tickMs`). */
  tick(nowMs: number): void;
  /** The router closed. */
  close(): void;
}
