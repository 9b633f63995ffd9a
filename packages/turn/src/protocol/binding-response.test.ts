import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AttrType,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import { encodeBindingSuccess } from './binding-response.ts';
import { harness, TestClient } from './test-harness.ts';

/** What the general encoder writes for the same answer. */
function general(id: Uint8Array, address: string, port: number, software: string, fingerprint: boolean): Uint8Array {
  const attributes: StunAttribute[] = [
    { type: AttrType.XorMappedAddress, value: { family: address.includes(':') ? 'IPv6' : 'IPv4', address, port } },
  ] as StunAttribute[];
  if (software !== '') attributes.push({ type: AttrType.Software, value: software } as StunAttribute);
  return encodeMessage(
    { class: StunClass.SuccessResponse, method: StunMethod.Binding, transactionId: id, attributes },
    { fingerprint },
  );
}

test('the hand-written Binding response is byte for byte what the general encoder writes', () => {
  const cases: [string, number][] = [
    ['192.0.2.1', 40000],
    ['0.0.0.0', 0],
    ['255.255.255.255', 65535],
    ['2001:db8::1', 3478],
    ['::ffff:192.0.2.1', 1],
  ];
  for (const software of ['', 'itda', 'itda 1.0 (a longer text: 3 bytes of padding)', 'ünïcödé ☃']) {
    for (const fingerprint of [false, true]) {
      for (const [address, port] of cases) {
        const id = createTransactionId();
        const fast = encodeBindingSuccess(id, address, port, software, fingerprint);
        const label = `${address}:${port} software=${JSON.stringify(software)} fingerprint=${fingerprint}`;
        assert.ok(fast !== undefined, label);
        assert.deepEqual(new Uint8Array(fast), general(id, address, port, software, fingerprint), label);
        const msg = decodeMessage(fast); // checks the FINGERPRINT too
        assert.deepEqual(msg.get(AttrType.XorMappedAddress), {
          family: address.includes(':') ? 'IPv6' : 'IPv4',
          address,
          port,
        });
      }
    }
  }
});

test('the hand-written Binding response declines what is not an IP literal or a port', () => {
  const id = createTransactionId();
  assert.equal(encodeBindingSuccess(id, 'localhost', 1, 'itda', false), undefined);
  assert.equal(encodeBindingSuccess(id, '01.2.3.4', 1, 'itda', false), undefined);
  assert.equal(encodeBindingSuccess(id, '1.2.3.4', 70000, 'itda', false), undefined);
  assert.equal(encodeBindingSuccess(id, '1::2::3', 1, 'itda', false), undefined);
});

test('Binding through the core: the fast answer for UDP and TCP clients, counted as a success', () => {
  const h = harness({ software: 'itda-test' });
  for (const [address, stream] of [
    ['203.0.113.7', false],
    ['2001:db8::7', false],
    ['203.0.113.8', true],
  ] as const) {
    const c = new TestClient(h, address, 41000, stream);
    const res = c.request(StunMethod.Binding, [], { encode: { fingerprint: true } });
    assert.equal(res?.class, StunClass.SuccessResponse);
    assert.deepEqual(res?.get(AttrType.XorMappedAddress), {
      family: address.includes(':') ? 'IPv6' : 'IPv4',
      address,
      port: 41000,
    });
    assert.equal(res?.get(AttrType.Software), 'itda-test');
    assert.ok((res?.fingerprintAt ?? -1) >= 0, 'FINGERPRINT because the request had one');
    const plain = c.request(StunMethod.Binding);
    assert.equal(plain?.fingerprintAt, -1, 'no FINGERPRINT when the request had none');
  }
  const binding = h.core.metrics.snapshot().requests.find((r) => r.method === 'binding' && r.result === 'success');
  assert.equal(binding?.count, 6);
});
