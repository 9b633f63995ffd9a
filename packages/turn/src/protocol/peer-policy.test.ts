import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { PeerPolicy } from './peer-policy.ts';

test('deny by default: special-purpose IPv4 and IPv6 ranges and their aliases (CVE-2020-26262 class)', () => {
  const p = new PeerPolicy();
  const denied: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::127.0.0.1', 'loopback'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:7f00:1::1', 'loopback'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['169.254.169.254', 'link_local'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['192.0.0.8', 'special'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link_local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'special'],
    ['100::1', 'special'],
    ['not-an-ip', 'invalid'],
  ];
  for (const [ip, why] of denied) assert.equal(p.check(ip, 5000), why, ip);
  for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '172.32.0.1']) {
    assert.equal(p.check(ip, 5000), undefined, ip);
  }
});

test("allowLoopbackPeers, allowedPeers, deniedPeers and the server's own addresses", () => {
  const p = new PeerPolicy({
    allowLoopbackPeers: true,
    allowedPeers: ['10.1.0.0/16', '192.168.7.7'],
    deniedPeers: ['10.1.2.0/24', '8.8.4.4'],
  });
  assert.equal(p.check('127.0.0.1', 1), undefined);
  assert.equal(p.check('::ffff:127.0.0.1', 1), undefined);
  assert.equal(p.check('::1', 1), undefined);
  assert.equal(p.check('10.1.9.9', 1), undefined);
  assert.equal(p.check('192.168.7.7', 1), undefined);
  assert.equal(p.check('192.168.7.8', 1), 'private');
  assert.equal(p.check('10.1.2.3', 1), 'denied_list');
  assert.equal(p.check('8.8.4.4', 1), 'denied_list');
  assert.equal(p.check('169.254.169.254', 1), 'link_local');
  p.addOwnAddress('127.0.0.1', 3478);
  assert.equal(p.check('127.0.0.1', 3478), 'own_address');
  assert.equal(p.check('::ffff:127.0.0.1', 3478), 'own_address');
  assert.equal(p.check('127.0.0.1', 3479), undefined);
  assert.throws(
    () => new PeerPolicy({ allowedPeers: ['10.0.0.0/33'] }),
    (e) => isItdaError(e, 'turn_bad_options'),
  );
});
