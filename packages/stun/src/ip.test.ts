import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIPv4, formatIPv6, parseIp, parseIpInto } from './ip.ts';

const roundTrip = (text: string): string | undefined => {
  const bytes = parseIp(text);
  if (bytes === undefined) return undefined;
  return bytes.length === 4 ? formatIPv4(bytes) : formatIPv6(bytes);
};

test('IPv4 text parses strictly and formats back', () => {
  assert.deepEqual(parseIp('192.0.2.1'), Uint8Array.of(192, 0, 2, 1));
  assert.equal(roundTrip('0.0.0.0'), '0.0.0.0');
  assert.equal(roundTrip('255.255.255.255'), '255.255.255.255');
  for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', 'a.b.c.d', '', '1..2.3']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('IPv6 text parses RFC 4291 forms and formats per RFC 5952', () => {
  assert.equal(roundTrip('2001:db8:1234:5678:11:2233:4455:6677'), '2001:db8:1234:5678:11:2233:4455:6677');
  assert.equal(roundTrip('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(roundTrip('::'), '::');
  assert.equal(roundTrip('::1'), '::1');
  assert.equal(roundTrip('fe80::'), 'fe80::');
  // RFC 5952 §4.2.2: a single zero group is not shortened; §4.2.3: the first longest run.
  assert.equal(roundTrip('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(roundTrip('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
  assert.equal(roundTrip('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
  assert.equal(roundTrip('::ffff:192.0.2.1'), '::ffff:192.0.2.1');
  assert.equal(roundTrip('::ffff:c000:201'), '::ffff:192.0.2.1');
  assert.equal(roundTrip('64:ff9b::192.0.2.1'), '64:ff9b::c000:201');
  for (const bad of [
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '12345::',
    'g::1',
    '::1%eth0',
    ':1',
    '1:',
    '1::2:3:4:5:6:7:8',
    '1.2.3.4::',
  ]) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('IPv4: the character-loop parser keeps the strict rules (no leading zeros, 0-255, four parts)', () => {
  for (const good of ['1.2.3.4', '10.0.0.1', '127.0.0.1', '100.64.0.0', '249.250.251.252', '9.99.199.255']) {
    assert.equal(roundTrip(good), good, good);
  }
  for (const bad of [
    '1.2.3.4.',
    '.1.2.3.4',
    '1.2.3.04',
    '1.2.3.00',
    '1.2.3.256',
    '1.2.3.999',
    '1.2.3.1000',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.+4',
    '1.2.3.0x1',
    '1.2.3.٤', // a non-ASCII digit
    '1.2.3',
    '1234.1.1.1',
    '1.2.3.4.5.6.7.8',
  ]) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('parseIpInto writes 4 or 16 bytes at an offset, 0 for bad text or too little room', () => {
  const buf = new Uint8Array(20).fill(0xee);
  assert.equal(parseIpInto('192.0.2.1', buf, 2), 4);
  assert.deepEqual([...buf.subarray(0, 7)], [0xee, 0xee, 192, 0, 2, 1, 0xee]);
  assert.equal(parseIpInto('2001:db8::1', buf, 4), 16);
  assert.deepEqual(buf.subarray(4, 20), parseIp('2001:db8::1'));
  assert.equal(parseIpInto('::ffff:192.0.2.1', buf, 0), 16);
  assert.deepEqual(buf.subarray(0, 16), parseIp('::ffff:192.0.2.1'));
  assert.equal(parseIpInto('2001:db8::1', buf, 5), 0, 'no room for 16 bytes');
  assert.equal(parseIpInto('1.2.3.4', buf, 17), 0, 'no room for 4 bytes');
  assert.equal(parseIpInto('01.2.3.4', buf), 0);
  assert.equal(parseIpInto('1::2::3', buf), 0);
  assert.equal(parseIpInto('', buf), 0);
});
