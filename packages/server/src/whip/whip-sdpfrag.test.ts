import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSdpFragment, restartFragment } from './whip-sdpfrag.ts';

test('parseSdpFragment: ICE attributes and candidates (RFC 8840), refusals', () => {
  assert.deepEqual(
    parseSdpFragment(
      'a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n' +
        'a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\n' +
        'a=candidate:3471623853 1 udp 2122194687 198.51.100.2 61765 typ host\r\na=end-of-candidates\r\n',
    ),
    { iceUfrag: 'EsAw', icePwd: 'P2uYro0UCOQ4zxjKXaWCBui1', candidates: 2, endOfCandidates: true },
  );
  assert.deepEqual(parseSdpFragment(''), { candidates: 0, endOfCandidates: false });
  assert.equal(parseSdpFragment('hello'), undefined);
  assert.equal(parseSdpFragment('a=ice-ufrag:ab\r\n'), undefined, 'ufrag under 4 characters');
  assert.equal(parseSdpFragment('a=ice-ufrag:abcd\r\na=ice-pwd:short\r\n'), undefined, 'pwd under 22 characters');
  assert.equal(parseSdpFragment('a=ice-ufrag:ab cd\r\n'), undefined, 'not ice-chars');
});

test('restartFragment: ice-lite, credentials, the tag m-line, candidates and end-of-candidates', () => {
  const text = restartFragment(
    { ufrag: 'AAAABBBBCCCCDDDD', pwd: 'p'.repeat(32) },
    [
      { protocol: 'udp', address: '127.0.0.1', port: 7882 },
      { protocol: 'tcp', address: '127.0.0.1', port: 7882 },
    ],
    { mid: '0', kind: 'audio' },
  );
  const lines = text.split('\r\n');
  assert.deepEqual(lines.slice(0, 5), [
    'a=ice-lite',
    'a=ice-ufrag:AAAABBBBCCCCDDDD',
    `a=ice-pwd:${'p'.repeat(32)}`,
    'm=audio 9 UDP/TLS/RTP/SAVPF 0',
    'a=mid:0',
  ]);
  assert.match(lines[5] ?? '', /^a=candidate:\d+ 1 udp \d+ 127\.0\.0\.1 7882 typ host$/);
  assert.match(lines[6] ?? '', /^a=candidate:\d+ 1 tcp \d+ 127\.0\.0\.1 7882 typ host tcptype passive$/);
  assert.equal(lines[7], 'a=end-of-candidates');
  assert.ok(text.endsWith('\r\n'));
  assert.deepEqual(parseSdpFragment(text)?.iceUfrag, 'AAAABBBBCCCCDDDD');
});
