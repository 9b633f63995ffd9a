/**
 * The output of one WebRtcTransport: everything it sends goes to the ICE-selected tuple
 * through the node layer's `DatagramSink` — DTLS records as they are, RTP and RTCP
 * encrypted with the outbound SRTP context. With media workers, outgoing RTP on a UDP
 * tuple is encrypted and sent by a worker (an `RtpEgress`, opened at the first RTP
 * packet, so a publisher's transport never uses one); this thread keeps following the
 * streams' rollover counters so it can take over when the worker goes or the tuple moves
 * to ICE-TCP.
 */
import type { Logger } from '@itda/common';
import type { SrtpKeyingMaterial } from '../dtls/index.ts';
import { encodeRtcp, type RtcpPacket } from '../rtp/index.ts';
import { SrtpError, type SrtpSession } from '../srtp/index.ts';
import type { SfuStats } from './stats.ts';
import type { DatagramSink, RtpEgress, RtpEgressProvider, Tuple } from './types.ts';

export interface TransportSenderOptions {
  /** The transport's id (logs). */
  id: string;
  sink: DatagramSink;
  stats: SfuStats;
  egress: RtpEgressProvider | undefined;
  logger: Logger;
}

export class TransportSender {
  readonly #o: TransportSenderOptions;
  #tuple: Tuple | undefined;
  #tx: SrtpSession | undefined;
  /** Outbound keys, kept for opening an egress. */
  #keys: SrtpKeyingMaterial | undefined;
  #egress: RtpEgress | undefined;
  /** An egress was opened once: never reopen (this thread's context has taken the streams over). */
  #egressTried = false;

  constructor(options: TransportSenderOptions) {
    this.#o = options;
  }

  get tuple(): Tuple | undefined {
    return this.#tuple;
  }

  /** Keys and tuple known: RTP and RTCP can go out. */
  get ready(): boolean {
    return this.#tx !== undefined && this.#tuple !== undefined;
  }

  /** The outbound SRTP context (after DTLS). */
  setSrtp(tx: SrtpSession, keys: SrtpKeyingMaterial): void {
    this.#tx = tx;
    this.#keys = keys;
  }

  /**
   * A new selected tuple: the egress follows a UDP one. On ICE-TCP the worker cannot send,
   * so RTP comes back to this thread, whose SRTP context has followed every stream's
   * rollover counter (`trackOutboundRtp`).
   */
  setTuple(tuple: Tuple): void {
    this.#tuple = tuple;
    const egress = this.#egress;
    if (egress === undefined) return;
    if (tuple.protocol === 'udp') {
      egress.setTuple(tuple);
      return;
    }
    egress.close();
    this.#egress = undefined;
  }

  /** DTLS output. Not stopped by `close()`: the session's last records (close_notify, a fatal alert) still go out. */
  sendRaw(datagram: Uint8Array): void {
    const tuple = this.#tuple;
    if (tuple !== undefined) this.#o.sink.send(datagram, tuple);
  }

  /** Encrypts and sends one RTP packet to the selected tuple (through the egress, when there is one). */
  sendRtp(packet: Uint8Array): void {
    const tx = this.#tx;
    const tuple = this.#tuple;
    if (tx === undefined || tuple === undefined) return;
    let egress = this.#egress ?? (this.#egressTried ? undefined : this.#openEgress(tuple));
    let out: Buffer | undefined;
    try {
      if (egress !== undefined) {
        // This thread follows the rollover counters (and checks the header) of what the worker
        // encrypts, so it can take the stream over if the worker goes.
        tx.trackOutboundRtp(packet);
        if (!egress.sendRtp(packet)) {
          this.#egress = egress = undefined;
          this.#o.logger.warn('media worker gone; sending on the main thread', { transport: this.#o.id });
        }
      }
      if (egress === undefined) out = tx.protectRtp(packet);
    } catch (err) {
      this.#o.stats.drop(err instanceof SrtpError ? err.code : 'srtp_error');
      return;
    }
    this.#o.stats.forwarded++;
    this.#o.stats.forwardedBytes += packet.length;
    if (out !== undefined) this.#o.sink.send(out, tuple);
  }

  /** Encrypts and sends RTCP packets as one compound datagram. */
  sendRtcp(packets: readonly RtcpPacket[]): void {
    const tx = this.#tx;
    const tuple = this.#tuple;
    if (tx === undefined || tuple === undefined || packets.length === 0) return;
    try {
      this.#o.sink.send(tx.protectRtcp(encodeRtcp(packets)), tuple);
    } catch (err) {
      this.#o.stats.drop(err instanceof SrtpError ? err.code : 'rtcp_encode_failed');
    }
  }

  /** Opens the egress at the first RTP packet on a UDP tuple (once per transport). */
  #openEgress(tuple: Tuple): RtpEgress | undefined {
    const provider = this.#o.egress;
    const keys = this.#keys;
    if (provider === undefined || keys === undefined || tuple.protocol !== 'udp') return undefined;
    this.#egressTried = true;
    this.#egress = provider.open({ tuple, profile: keys.profile, key: keys.localKey, salt: keys.localSalt });
    return this.#egress;
  }

  /** Closes the egress (RTP stops; DTLS may still send its last records). */
  close(): void {
    this.#egress?.close();
    this.#egress = undefined;
  }
}
