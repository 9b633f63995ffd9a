/**
 * The RtpListener fed packets: declared SSRCs, SSRCs learnt from mid / rid / repaired-rid,
 * RTX restoration, probes, duplicates and what it refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import { RtpPacketView } from '../rtp/index.ts';
import { buildRtp } from '../testing/rtp.ts';
import { Producer, type ProducerOptions } from './producer.ts';
import { RtpListener } from './rtp-listener.ts';
import { ExtensionUri } from './types.ts';

const VP8 = { payloadType: 96, name: 'VP8', clockRate: 90000, parameters: {}, feedback: [{ type: 'nack' }] };
const EXTENSIONS = [
  { id: 4, uri: ExtensionUri.Mid },
  { id: 10, uri: ExtensionUri.Rid },
  { id: 11, uri: ExtensionUri.RepairedRid },
];

function producer(options: Partial<ProducerOptions> & { mid: string }): Producer {
  return new Producer({
    id: `p-${options.mid}`,
    participantId: 'ada',
    kind: 'video',
    source: 'camera',
    codec: VP8,
    rtxPayloadType: 97,
    extensions: EXTENSIONS,
    clock: new ManualClock(0),
    rtcpSsrc: 1,
    ...options,
  });
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function packet(
  ssrc: number,
  options: { pt?: number; seq?: number; mid?: string; rid?: string; rrid?: string; payload?: Uint8Array } = {},
): { buf: Buffer; view: RtpPacketView } {
  const extensions: { id: number; value: Uint8Array }[] = [];
  if (options.mid !== undefined) extensions.push({ id: 4, value: text(options.mid) });
  if (options.rid !== undefined) extensions.push({ id: 10, value: text(options.rid) });
  if (options.rrid !== undefined) extensions.push({ id: 11, value: text(options.rrid) });
  const buf = buildRtp({
    ssrc,
    payloadType: options.pt ?? 96,
    sequenceNumber: options.seq ?? 1,
    timestamp: 1000,
    payload: options.payload ?? Uint8Array.of(1, 2, 3, 4),
    extensions,
  });
  return { buf, view: new RtpPacketView().parse(buf) };
}

test('RtpListener: declared SSRCs route at once; an unknown SSRC without a mid is unknown', () => {
  const l = new RtpListener();
  const p = producer({ mid: '1', ssrc: 1111, rtxSsrc: 2222 });
  l.add(p);
  assert.equal(l.route(packet(1111).view), p.layers[0]);
  assert.equal(l.rtx, false);
  assert.equal(l.route(packet(2222, { pt: 97 }).view), p.layers[0]);
  assert.equal(l.rtx, true);
  assert.equal(l.route(packet(3333).view), undefined);
  assert.equal(l.anySsrc, 1111);
  assert.throws(() => l.check('1', undefined), { code: 'sfu_duplicate' });
  assert.throws(() => l.check('2', 2222), { code: 'sfu_duplicate' });
  l.remove(p);
  assert.equal(l.route(packet(1111).view), undefined);
  assert.equal(l.size, 0);
});

test('RtpListener: SSRCs learnt from mid; simulcast layers from rid, their RTX from repaired-rid; each layer binds once', () => {
  const l = new RtpListener();
  const plain = producer({ mid: '0' });
  const sim = producer({ mid: '1', rids: ['q', 'h', 'f'] });
  l.add(plain);
  l.add(sim);
  assert.equal(l.route(packet(10, { mid: '0' }).view), plain.layers[0]);
  assert.equal(plain.layers[0]?.ssrc, 10);
  assert.equal(l.route(packet(10).view), plain.layers[0], 'known from then on, without the extension');
  assert.equal(l.route(packet(11, { mid: '0', pt: 97 }).view), plain.layers[0]);
  assert.equal(l.rtx, true);
  // Simulcast: rid picks the layer; RTX by payload type + repaired-rid.
  assert.equal(l.route(packet(20, { mid: '1', rid: 'h' }).view), sim.layerByRid('h'));
  assert.equal(l.route(packet(21, { mid: '1', pt: 97, rrid: 'h' }).view), sim.layerByRid('h'));
  assert.equal(sim.layerByRid('h')?.rtxSsrc, 21);
  // A second SSRC for a bound layer, an unknown mid or rid, or a simulcast packet without rid: refused.
  assert.equal(l.route(packet(22, { mid: '1', rid: 'h' }).view), undefined);
  assert.equal(l.route(packet(23, { mid: '9' }).view), undefined);
  assert.equal(l.route(packet(24, { mid: '1', rid: 'x' }).view), undefined);
  assert.equal(l.route(packet(25, { mid: '1' }).view), undefined);
  // Removing the producer frees learnt SSRCs too.
  l.remove(sim);
  assert.equal(l.route(packet(20).view), undefined);
});

test('RtpListener: RTX restored to the original (SSRC, payload type, sequence number); padding-only RTX is a probe', () => {
  const l = new RtpListener();
  const p = producer({ mid: '1', ssrc: 1111, rtxSsrc: 2222 });
  l.add(p);
  // RTX payload: the original sequence number (OSN) 0x1234, then the original payload.
  const rtx = packet(2222, { pt: 97, seq: 7, payload: Uint8Array.of(0x12, 0x34, 9, 8, 7) });
  const layer = l.route(rtx.view);
  assert.ok(layer);
  const restored = l.restoreRtx(layer, rtx.buf, rtx.view);
  assert.ok(Buffer.isBuffer(restored));
  assert.deepEqual(
    [rtx.view.ssrc, rtx.view.payloadType, rtx.view.sequenceNumber],
    [1111, 96, 0x1234],
    'the view is parsed on the restored packet',
  );
  assert.deepEqual([...restored.subarray(rtx.view.payloadOffset)], [9, 8, 7]);
  const probe = packet(2222, { pt: 97, payload: Uint8Array.of(0) });
  assert.equal(l.restoreRtx(layer, probe.buf, probe.view), 'probe');
});
