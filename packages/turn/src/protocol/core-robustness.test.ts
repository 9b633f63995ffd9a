import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@itda/common/testing';
import {
  AttrType,
  ChangeRequestFlag,
  createTransactionId,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import { codeOf, harness, peer, TestClient } from './test-harness.ts';

test('malformed, truncated and fuzzed input never throws out of the core (UDP and TCP; bounded: 20k inputs or 2 s)', () => {
  const h = harness({
    users: { alice: 'secret' },
    allowLoopbackPeers: true,
    unauthenticatedRate: { perSecond: 100_000, burst: 1_000_000 },
  });
  const c = new TestClient(h);
  c.creds = { username: 'alice', password: 'secret' };
  assert.equal(codeOf(c.allocate()), 0);
  assert.equal(
    codeOf(
      c.request(StunMethod.ChannelBind, [
        { type: AttrType.ChannelNumber, value: 0x4000 } as StunAttribute,
        peer('127.0.0.1'),
      ]),
    ),
    0,
  );
  const tcp = new TestClient(h, '203.0.113.6', 1, true);
  const seeds: Uint8Array[] = [
    encodeMessage(
      {
        class: StunClass.Request,
        method: StunMethod.Allocate,
        transactionId: createTransactionId(),
        attributes: [
          { type: AttrType.RequestedTransport, value: 17 } as StunAttribute,
          { type: AttrType.Username, value: 'alice' } as StunAttribute,
          { type: AttrType.Realm, value: 'itda' } as StunAttribute,
          { type: AttrType.Nonce, value: c.nonce ?? '' } as StunAttribute,
        ],
      },
      { integrityKey: new Uint8Array(16), fingerprint: true },
    ),
    encodeMessage({
      class: StunClass.Indication,
      method: StunMethod.Send,
      transactionId: createTransactionId(),
      attributes: [peer('127.0.0.1'), { type: AttrType.Data, value: new Uint8Array(7) } as StunAttribute],
    }),
    encodeMessage({
      class: StunClass.Request,
      method: StunMethod.ChannelBind,
      transactionId: createTransactionId(),
      attributes: [{ type: AttrType.ChannelNumber, value: 0x4001 } as StunAttribute, peer('127.0.0.1')],
    }),
    encodeChannelData(0x4000, new Uint8Array(33)),
    encodeChannelData(0x4000, new Uint8Array(33), true),
  ];
  const random = seededRandom(42);
  const deadline = Date.now() + 2000;
  let n = 0;
  for (; n < 20_000 && Date.now() < deadline; n++) {
    const seed = seeds[n % seeds.length] as Uint8Array;
    let input: Uint8Array;
    const kind = n % 4;
    if (kind === 0)
      input = seed.subarray(0, Math.floor(random() * seed.length)); // truncated
    else if (kind === 1) {
      input = Uint8Array.from(seed);
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++)
        input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
    } else if (kind === 2) {
      input = new Uint8Array(Math.floor(random() * 80));
      for (let k = 0; k < input.length; k++) input[k] = Math.floor(random() * 256);
      if (input.length > 0) input[0] = (input[0] as number) & 0x4f; // STUN or ChannelData first bytes
    } else {
      input = Uint8Array.from(seed);
      if (input.length > 3) input[2] = Math.floor(random() * 256); // bad length field
    }
    h.core.handleUdp(h.udp, input, c.address, c.port);
    h.core.handleStreamData(tcp.stream ?? (undefined as never), input);
    if (n % 997 === 0) h.core.handlePeer(h.io.toPeer[0]?.relay ?? ({} as never), input, '127.0.0.1', 5000);
  }
  assert.ok(n > 1000);
  assert.ok(h.core.metrics.dropped('malformed') > 0);
  h.core.close();
});

test('Binding: XOR-MAPPED-ADDRESS, SOFTWARE, FINGERPRINT when asked; 420 for unknown attributes and for CHANGE-REQUEST without RFC 5780', () => {
  const h = harness();
  const c = new TestClient(h, '203.0.113.5', 40000);
  const ok = c.request(StunMethod.Binding, [], { encode: { fingerprint: true } });
  assert.equal(codeOf(ok), 0);
  assert.deepEqual(ok?.get(AttrType.XorMappedAddress), { family: 'IPv4', address: '203.0.113.5', port: 40000 });
  assert.equal(ok?.get(AttrType.Software), 'itda');
  assert.ok((ok?.fingerprintAt ?? -1) > 0);
  const unknown = c.request(StunMethod.Binding, [{ type: 0x0042, raw: new Uint8Array(0) }]);
  assert.equal(codeOf(unknown), 420);
  assert.deepEqual(unknown?.get(AttrType.UnknownAttributes), [0x0042]);
  const change = c.request(StunMethod.Binding, [
    { type: AttrType.ChangeRequest, value: { changeIp: true, changePort: false } } as StunAttribute,
  ]);
  assert.equal(codeOf(change), 420);
  assert.deepEqual(change?.get(AttrType.UnknownAttributes), [AttrType.ChangeRequest]);
  // responses and unknown indications are dropped
  c.raw(
    encodeMessage({
      class: StunClass.SuccessResponse,
      method: StunMethod.Binding,
      transactionId: createTransactionId(),
      attributes: [],
    }),
  );
  assert.equal(h.core.metrics.dropped('unexpected'), 1);
  h.core.close();
});

test('RFC 5780: OTHER-ADDRESS, RESPONSE-ORIGIN, MAPPED-ADDRESS; CHANGE-REQUEST answered from the other IP/port; RESPONSE-PORT', () => {
  const h = harness();
  const e = (address: string, port: number) => h.core.addEndpoint({ transport: 'udp', address, port, family: 'IPv4' });
  const e00 = e('127.0.0.1', 3478);
  const e01 = e('127.0.0.1', 3479);
  const e10 = e('127.0.0.2', 3478);
  const e11 = e('127.0.0.2', 3479);
  h.core.setRfc5780Group([
    [e00, e01],
    [e10, e11],
  ]);
  const ask = (attributes: StunAttribute[]) => {
    const before = h.io.toClient.length;
    const bytes = encodeMessage({
      class: StunClass.Request,
      method: StunMethod.Binding,
      transactionId: createTransactionId(),
      attributes,
    });
    h.core.handleUdp(e00, bytes, '198.51.100.9', 5555);
    const sent = h.io.toClient[before];
    assert.ok(sent);
    return { sent, msg: decodeMessage(sent.bytes) };
  };
  const plain = ask([]);
  assert.equal(plain.sent.from, undefined);
  assert.deepEqual(plain.msg.get(AttrType.OtherAddress), { family: 'IPv4', address: '127.0.0.2', port: 3479 });
  assert.deepEqual(plain.msg.get(AttrType.ResponseOrigin), { family: 'IPv4', address: '127.0.0.1', port: 3478 });
  assert.deepEqual(plain.msg.get(AttrType.MappedAddress), { family: 'IPv4', address: '198.51.100.9', port: 5555 });
  const both = ask([{ type: AttrType.ChangeRequest, value: { changeIp: true, changePort: true } } as StunAttribute]);
  assert.equal(both.sent.from, e11);
  assert.deepEqual(both.msg.get(AttrType.ResponseOrigin), { family: 'IPv4', address: '127.0.0.2', port: 3479 });
  const portOnly = ask([
    { type: AttrType.ChangeRequest, value: { changeIp: false, changePort: true } } as StunAttribute,
  ]);
  assert.equal(portOnly.sent.from, e01);
  const toPort = ask([{ type: AttrType.ResponsePort, value: 6000 } as StunAttribute]);
  assert.equal(toPort.sent.port, 6000);
  const bad = ask([
    { type: AttrType.ResponsePort, value: 6000 } as StunAttribute,
    { type: AttrType.Padding, value: new Uint8Array(8) } as StunAttribute,
  ]);
  assert.equal(codeOf(bad.msg), 400);
  assert.equal(ChangeRequestFlag.ChangeIp, 4);
  h.core.close();
});
