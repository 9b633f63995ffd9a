/**
 * For the router's tests: a video producer with three simulcast layers (rids q, h, f) on
 * known SSRCs, and VP8 packets whose sizes rank the layers q < h < f by bitrate.
 */
import assert from 'node:assert/strict';
import type { ManualClock } from '@itda/common';
import { Producer, type ProducerOptions } from './producer.ts';

export const SSRC = { q: 0x1001, h: 0x1002, f: 0x1003 } as const;
export type Rid = keyof typeof SSRC;
export const RIDS: readonly Rid[] = ['q', 'h', 'f'];
/** Payload bytes per packet: at one packet per 20 ms, q ≈ 40 kbit/s, h ≈ 160, f ≈ 400. */
export const SIZE: Record<Rid, number> = { q: 100, h: 400, f: 1000 };

/** A VP8 packet of layer `rid`: descriptor S=1 PID=0, payload header P bit = !key. */
export function vp8(rid: Rid, seq: number, key: boolean): Buffer {
  const b = Buffer.alloc(12 + SIZE[rid], 0x55);
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(seq * 3000, 4);
  b.writeUInt32BE(SSRC[rid], 8);
  b[12] = 0x10;
  b[13] = key ? 0x10 : 0x11;
  return b;
}

/** The producer, its layers' SSRCs set as the transport would from the rid extension. */
export function simulcastProducer(clock: ManualClock, more: Partial<ProducerOptions> = {}): Producer {
  const producer = new Producer({
    id: 'p1',
    participantId: 'ada',
    kind: 'video',
    source: 'camera',
    mid: '1',
    rids: [...RIDS],
    codec: {
      payloadType: 96,
      name: 'VP8',
      clockRate: 90000,
      parameters: {},
      feedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
    },
    extensions: [],
    clock,
    rtcpSsrc: 0x3333,
    ...more,
  });
  for (const rid of RIDS) {
    const layer = producer.layerByRid(rid);
    assert.ok(layer);
    layer.ssrc = SSRC[rid];
  }
  return producer;
}
