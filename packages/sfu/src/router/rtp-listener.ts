/**
 * The RtpListener of one transport: which producer layer an incoming RTP packet belongs
 * to — the only code that binds a layer's SSRC (mediasoup's RtpListener).
 *
 * - SSRCs the SDP declared are bound when the producer is added (primary and RTX).
 * - An SSRC the SDP did not declare (Chromium's simulcast, a publisher that changed its
 *   SSRC) is learnt from the packet's header extensions: its mid (RFC 8843 §15) names the
 *   producer; with simulcast, its rid (RFC 8852 §3.1) names the layer, or repaired-rid
 *   (§3.2) / the RTX payload type mark it as that layer's RTX stream. A layer's SSRC is
 *   bound once: a second SSRC claiming a bound layer is refused (unknown).
 * - RTX packets (RFC 4588 §4) are restored to the original: primary SSRC and payload type,
 *   the original sequence number from the first two payload bytes. Padding-only RTX
 *   packets are the sender's bandwidth probes.
 */
import type { RtpPacketView } from '../rtp/index.ts';
import { SfuError, SfuErrorCode } from './errors.ts';
import type { Producer } from './producer.ts';
import type { ProducerLayer } from './producer-layer.ts';
import { ExtensionUri } from './types.ts';

/** What `restoreRtx` made of an RTX packet. */
export type RtxOutcome = Buffer | 'probe' | 'malformed';

export class RtpListener {
  readonly #bySsrc = new Map<number, ProducerLayer>();
  readonly #byRtxSsrc = new Map<number, ProducerLayer>();
  readonly #byMid = new Map<string, Producer>();
  #midExtId = 0;
  #ridExtId = 0;
  #repairedRidExtId = 0;
  /** Whether the last packet `route` found is an RTX packet. */
  rtx = false;

  /** Producers listened for. */
  get size(): number {
    return this.#byMid.size;
  }

  /** Some primary SSRC of the transport (the media SSRC of transport-wide feedback), or 0. */
  get anySsrc(): number {
    return this.#bySsrc.keys().next().value ?? 0;
  }

  /** Throws SfuError `sfu_duplicate` when the mid or a declared SSRC is taken. */
  check(mid: string, ssrc: number | undefined): void {
    if (this.#byMid.has(mid) || (ssrc !== undefined && (this.#bySsrc.has(ssrc) || this.#byRtxSsrc.has(ssrc)))) {
      throw new SfuError(SfuErrorCode.Duplicate, `a producer with mid ${mid} or its SSRC exists`);
    }
  }

  /** Listens for `producer`'s packets (after `check`). */
  add(producer: Producer): void {
    this.#byMid.set(producer.mid, producer);
    for (const layer of producer.layers) {
      if (layer.ssrc !== undefined) this.#bySsrc.set(layer.ssrc, layer);
      if (layer.rtxSsrc !== undefined) this.#byRtxSsrc.set(layer.rtxSsrc, layer);
    }
    for (const ext of producer.extensions) {
      if (ext.uri === ExtensionUri.Mid) this.#midExtId = ext.id;
      if (ext.uri === ExtensionUri.Rid) this.#ridExtId = ext.id;
      if (ext.uri === ExtensionUri.RepairedRid) this.#repairedRidExtId = ext.id;
    }
  }

  /** Stops listening for `producer` (its SSRCs, learnt ones included, are free again). */
  remove(producer: Producer): void {
    if (this.#byMid.get(producer.mid) === producer) this.#byMid.delete(producer.mid);
    for (const layer of producer.layers) {
      if (layer.ssrc !== undefined && this.#bySsrc.get(layer.ssrc) === layer) this.#bySsrc.delete(layer.ssrc);
      if (layer.rtxSsrc !== undefined && this.#byRtxSsrc.get(layer.rtxSsrc) === layer)
        this.#byRtxSsrc.delete(layer.rtxSsrc);
    }
  }

  /** The layer sending primary SSRC `ssrc` (sender reports). */
  layerBySsrc(ssrc: number): ProducerLayer | undefined {
    return this.#bySsrc.get(ssrc);
  }

  /**
   * The layer `view` belongs to, learning its SSRC when it is new; undefined when none.
   * `rtx` then says whether it is the layer's RTX stream (restore it with `restoreRtx`).
   */
  route(view: RtpPacketView): ProducerLayer | undefined {
    const ssrc = view.ssrc;
    let layer = this.#bySsrc.get(ssrc);
    if (layer !== undefined) {
      this.rtx = false;
      return layer;
    }
    layer = this.#byRtxSsrc.get(ssrc);
    if (layer !== undefined) {
      this.rtx = true;
      return layer;
    }
    return this.#learn(view);
  }

  #learn(view: RtpPacketView): ProducerLayer | undefined {
    if (this.#midExtId === 0) return undefined;
    const mid = view.extensionText(this.#midExtId);
    const producer = mid === undefined ? undefined : this.#byMid.get(mid);
    if (producer === undefined) return undefined;
    const ssrc = view.ssrc;
    const isRtx = producer.rtxPayloadType !== undefined && view.payloadType === producer.rtxPayloadType;
    let layer: ProducerLayer | undefined;
    if (!producer.simulcast) layer = producer.layers[0];
    else {
      const rid =
        (isRtx && this.#repairedRidExtId !== 0 ? view.extensionText(this.#repairedRidExtId) : undefined) ??
        (this.#ridExtId !== 0 ? view.extensionText(this.#ridExtId) : undefined);
      if (rid !== undefined) layer = producer.layerByRid(rid);
    }
    if (layer === undefined) return undefined;
    if (isRtx) {
      if (layer.rtxSsrc !== undefined) return undefined;
      layer.rtxSsrc = ssrc;
      this.#byRtxSsrc.set(ssrc, layer);
    } else {
      if (layer.ssrc !== undefined) return undefined;
      layer.ssrc = ssrc;
      this.#bySsrc.set(ssrc, layer);
    }
    this.rtx = isRtx;
    return layer;
  }

  /**
   * Restores RTX packet `packet` (parsed in `view`) of `layer` to its original, and parses
   * `view` on the restored copy. 'probe': padding only, or a layer without a primary
   * SSRC yet; 'malformed': the restored packet does not parse.
   */
  restoreRtx(layer: ProducerLayer, packet: Buffer, view: RtpPacketView): RtxOutcome {
    if (view.payloadLength < 2 || layer.ssrc === undefined) return 'probe';
    const header = view.payloadOffset - view.offset;
    const osn = (packet[view.payloadOffset] as number) * 256 + (packet[view.payloadOffset + 1] as number);
    const restored = Buffer.allocUnsafe(header + view.payloadLength - 2);
    packet.copy(restored, 0, view.offset, view.payloadOffset);
    packet.copy(restored, header, view.payloadOffset + 2, view.payloadOffset + view.payloadLength);
    restored[0] = (restored[0] as number) & ~0x20; // RTX padding is not part of the original
    restored[1] = ((restored[1] as number) & 0x80) | layer.producer.codec.payloadType;
    restored[2] = osn >>> 8;
    restored[3] = osn & 0xff;
    restored.writeUInt32BE(layer.ssrc, 8);
    try {
      view.parse(restored);
    } catch {
      return 'malformed';
    }
    return restored;
  }
}
