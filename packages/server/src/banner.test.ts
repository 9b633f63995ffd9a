import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BannerFacts, lanAddresses, startBanner } from './banner.ts';

const base: BannerFacts = {
  version: '1.2.3',
  host: '0.0.0.0',
  port: 8080,
  tls: undefined,
  openRooms: true,
  api: 'open',
  sfu: { udpPort: 7882, tcpPort: 7882 },
  turn: [
    { transport: 'udp', port: 3478 },
    { transport: 'tcp', port: 3478 },
  ],
  lan: ['192.168.1.20'],
};

test('banner without TLS: local and LAN URLs, and how other devices get camera and microphone', () => {
  const text = startBanner(base);
  assert.match(text, /^itda 1\.2\.3 is running\./);
  assert.match(text, /http:\/\/localhost:8080 +on this machine/);
  assert.match(text, /http:\/\/192\.168\.1\.20:8080 +from other devices/);
  assert.match(text, /need HTTPS for camera and microphone: restart with --tls self-signed/);
  assert.match(text, /Media \(SFU\): UDP 7882 and TCP 7882/);
  assert.match(text, /STUN\/TURN: UDP 3478, TCP 3478\./);
  assert.match(text, /Room API: \/api\/rooms, open/);
});

test('banner with a self-signed certificate: https URLs, the fingerprint, the redirect; invitation-only rooms', () => {
  const text = startBanner({
    ...base,
    tls: { selfSigned: true, fingerprint256: 'AB:CD' },
    openRooms: false,
    api: 'key',
    lan: ['10.0.0.2', 'fd00::2'],
  });
  assert.match(text, /https:\/\/localhost:8080/);
  assert.match(text, /https:\/\/10\.0\.0\.2:8080/);
  assert.match(text, /https:\/\/\[fd00::2\]:8080/);
  assert.match(text, /SHA-256 AB:CD/);
  assert.match(text, /http:\/\/ on port 8080 redirects to https/);
  assert.doesNotMatch(text, /restart with --tls/);
  assert.match(text, /needs an invitation: itda token --room/);
  assert.match(text, /Bearer <your --api-key>/);
});

test('banner for one address: only that URL', () => {
  const text = startBanner({ ...base, host: '10.1.2.3', sfu: undefined, turn: undefined });
  assert.doesNotMatch(text, /localhost/);
  assert.match(text, /http:\/\/10\.1\.2\.3:8080/);
  assert.doesNotMatch(text, /Media \(SFU\)/);
});

test('lanAddresses: external IPv4 first, then global IPv6; no loopback or link-local', () => {
  const fake = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [
      { address: 'fe80::1', family: 'IPv6', internal: false },
      { address: '2001:db8::5', family: 'IPv6', internal: false },
      { address: '192.168.0.7', family: 'IPv4', internal: false },
      { address: '169.254.3.3', family: 'IPv4', internal: false },
    ],
  } as unknown as Parameters<typeof lanAddresses>[0];
  assert.deepEqual(lanAddresses(fake), ['192.168.0.7', '2001:db8::5']);
});
